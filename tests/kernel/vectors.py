#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the packet matrix that tests/kernel/30-packets.sh replays.

    python3 tests/kernel/vectors.py [OUTPUT]     (default build/lab/vectors.txt)
    python3 tests/kernel/vectors.py --alias [OUTPUT]
                                    (default build/lab/alias-vectors.txt)

With --alias it writes the smaller matrix of tests/kernel/35-alias.sh
instead: packets through a hypervisor that holds aliases (see
add_alias_matrix below), in the same format, with @alias lines besides.

Runs on the host, before the lab guest boots: importing scapy under TCG
takes seconds, and the guest only needs the bytes.

Every vector is one packet sent into the hypervisor namespace with the
module active, and what must come out of it.  The expected packet is built
from scratch by scapy with the translated addresses and the TTL / hop limit
one lower (the hypervisor forwards), so its checksums are computed afresh
and owe nothing to the module's incremental arithmetic.  Fragments are cut
from the whole packet after its checksums were computed, so a first fragment
carries the checksum of the whole datagram, exactly as a real sender's does.

The file, one item a line:

    # comment
    @prefix PFX/LEN                    home prefix to configure
    @binding HOA MOA local|remote      binding to configure
    NAME DIR INPUT EXPECTED COUNTERS

DIR is wire->vm (sent by the wire namespace) or vm->wire (sent by the VM);
INPUT and EXPECTED are L3 packets in hex, EXPECTED is DROP when the packet
must not come out anywhere; COUNTERS is a comma-separated list of the
module's counters (mobctl -j stats keys) the vector bumps by one, or "-".

Each vector's packet is found again among whatever else the interfaces see
by its key: the IPv4 ID with the fragment field, or the IPv6 flow label with
the fragment offset; translation changes neither, and keys are unique.
"""

import logging
import os
import random
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
try:
    from scapy.layers.inet import (ICMP, IP, TCP, UDP, IPOption_NOP,
                                   IPOption_Router_Alert)
    from scapy.layers.inet6 import (IPv6, ICMPv6DestUnreach, ICMPv6EchoRequest,
                                    ICMPv6PacketTooBig, IPv6ExtHdrDestOpt,
                                    IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                    IPv6ExtHdrRouting)
    from scapy.layers.sctp import SCTP, SCTPChunkData
    from scapy.packet import Raw
except ImportError:
    # "python3" may be a pyenv or venv interpreter without Debian's
    # python3-scapy; Debian's own interpreter has it.
    if (sys.executable != "/usr/bin/python3" and
            os.access("/usr/bin/python3", os.X_OK) and
            not os.environ.get("MOB_VECTORS_REEXEC")):
        os.environ["MOB_VECTORS_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("vectors.py: cannot import scapy: install python3-scapy "
             "(tests/lab/install-deps.sh) and run with /usr/bin/python3")

# The addresses of the test; 30-packets.sh configures the module from the
# @ lines written below, so this is the only place they are spelled out.
# Outside the home prefixes only documentation ranges (RFC 5737, 3849).
ADDR = {
    4: dict(local_hoa="10.99.0.10", local_moa="198.51.100.10",
            remote_hoa="10.99.0.20", remote_moa="198.51.100.20",
            ext="203.0.113.5", router="192.0.2.1",
            unbound="10.99.0.99", stray="10.99.0.77",
            prefix="10.99.0.0/24"),
    6: dict(local_hoa="fd99::10", local_moa="2001:db8:1::10",
            remote_hoa="fd99::20", remote_moa="2001:db8:2::20",
            ext="2001:db8:ff::5", router="2001:db8:ee::1",
            unbound="fd99::99", stray="fd99::77",
            prefix="fd99::/64"),
}

# Where a packet goes: (direction, source, destination) as sent, and as it
# must come out.  "router" only sends ICMP errors.  For an ICMP error the
# quoted packet is the reverse of the outer one (what its sender had
# received), except from the router, which quotes the local VM's packet to
# the remote VM, so that both inner addresses are translated.
PATHS = {
    "remote": ("wire->vm", "remote_moa", "local_moa", "remote_hoa", "local_hoa"),
    "ext": ("wire->vm", "ext", "local_moa", "ext", "local_hoa"),
    "router": ("wire->vm", "router", "local_moa", "router", "local_hoa"),
    "toremote": ("vm->wire", "local_hoa", "remote_hoa", "local_moa", "remote_moa"),
    "toext": ("vm->wire", "local_hoa", "ext", "local_moa", "ext"),
}
ROUTER_INNER = ("local_moa", "remote_moa", "local_hoa", "remote_hoa")

TTL = 64
INNER_TTL = 61
WHOLE_PAYLOAD = 24
FRAG_PAYLOAD = 120
# First-fragment data: multiples of 8 long enough to hold the L4 checksum
# (and, for an ICMP error, the quoted IP header and its L4 checksum).
FRAG_FIRST = 32
FRAG_FIRST_ERR = 80

PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_FRAG, PROTO_ICMPV6 = 6, 17, 1, 44, 58


def xlat_counter(direction):
    return "xlat_in" if direction == "wire->vm" else "xlat_out"


class Matrix:
    def __init__(self):
        self.vectors = []
        self.keys = {}
        self.names = set()
        self.tag = 0x100

    def new_tag(self):
        """An IPv4 ID or IPv6 flow label no other datagram uses."""
        self.tag += 1
        return self.tag

    def payload(self, n):
        """Deterministic bytes, different for every datagram."""
        return random.Random(self.tag).randbytes(n)

    def add(self, name, direction, inp, exp, counters):
        assert name not in self.names, name
        key = packet_key(inp)
        assert key not in self.keys, (name, self.keys.get(key))
        if exp is not None:
            assert packet_key(exp) == key, name
        self.names.add(name)
        self.keys[key] = name
        self.vectors.append((name, direction, inp, exp, counters))


def packet_key(pkt):
    """What pktxchg matches a received packet on (see pktxchg.c)."""
    if pkt[0] >> 4 == 4:
        return (4, pkt[9], pkt[4:6], pkt[6:8])
    nh = pkt[6]
    frag = pkt[42:44] if nh == PROTO_FRAG else b""
    return (6, nh, pkt[1:4], frag)


def ip(fam, src, dst, ttl, tag, **kw):
    """An IP header; addresses are names from ADDR or literals."""
    a = ADDR[fam]
    src, dst = a.get(src, src), a.get(dst, dst)
    if fam == 4:
        return IP(src=src, dst=dst, ttl=ttl, id=tag, **kw)
    return IPv6(src=src, dst=dst, hlim=ttl, fl=tag, **kw)


def l4(fam, proto, tag, payload):
    """A fresh L4 layer: scapy computes its checksum when assembled."""
    sport = 30000 + tag
    if proto == "tcp":
        return TCP(sport=sport, dport=443, seq=tag * 7919, ack=tag * 104729,
                   flags="PA", window=501) / Raw(payload)
    if proto == "udp":
        return UDP(sport=sport, dport=4789) / Raw(payload)
    if proto == "udp0":
        # IPv4: zero means "no checksum" and must stay zero.  IPv6: zero
        # is only legal for tunnels (RFC 6935/6936, Linux's
        # udp6zerocsumrx for VXLAN or GENEVE); a translator cannot supply
        # a checksum without reading the whole datagram, so it must pass
        # the zero on untouched and let the receiver decide.
        return UDP(sport=sport, dport=4789, chksum=0) / Raw(payload)
    if proto == "echo":
        if fam == 4:
            return ICMP(type=8, id=tag, seq=1) / Raw(payload)
        return ICMPv6EchoRequest(id=tag, seq=1, data=payload)
    if proto == "sctp":
        # CRC32c over the SCTP packet only: no address in it.
        return SCTP(sport=sport, dport=38412, tag=tag) / \
            SCTPChunkData(data=payload)
    raise ValueError(proto)


def icmp_error(fam, kind, quote):
    """An ICMP error header over raw quoted bytes."""
    if fam == 4:
        code = {"mtu": 4, "udp": 3, "tcp": 13, "host": 1}[kind]
        mtu = 1400 if kind == "mtu" else None
        return ICMP(type=3, code=code, nexthopmtu=mtu) / Raw(quote)
    if kind == "mtu":
        return ICMPv6PacketTooBig(mtu=1280) / Raw(quote)
    code = {"udp": 4, "tcp": 1, "host": 3}[kind]
    return ICMPv6DestUnreach(code=code) / Raw(quote)


def fragment(fam, pkt, first_len, later):
    """The first or the later fragment of @pkt (no IPv6 extensions)."""
    if fam == 4:
        ihl = (pkt[0] & 15) * 4
        data = pkt[ihl:]
        hdr = IP(pkt[:ihl])
        del hdr.len, hdr.chksum
        hdr.proto = pkt[9]
        if later:
            hdr.flags, hdr.frag = 0, first_len // 8
            return bytes(hdr / Raw(data[first_len:]))
        hdr.flags, hdr.frag = "MF", 0
        return bytes(hdr / Raw(data[:first_len]))
    assert pkt[6] != PROTO_FRAG
    data = pkt[40:]
    hdr = IPv6(pkt[:40])
    del hdr.plen
    hdr.nh = PROTO_FRAG
    fh = IPv6ExtHdrFragment(nh=pkt[6], id=int.from_bytes(pkt[1:4], "big"))
    if later:
        fh.offset, fh.m = first_len // 8, 0
        return bytes(hdr / fh / Raw(data[first_len:]))
    fh.offset, fh.m = 0, 1
    return bytes(hdr / fh / Raw(data[:first_len]))


def pair(fam, path, build, tag):
    """(input, expected) whole packets: @build(src, dst, ttl, side)."""
    _, src, dst, xsrc, xdst = PATHS[path]
    inp = bytes(build(ip(fam, src, dst, TTL, tag), "in"))
    exp = bytes(build(ip(fam, xsrc, xdst, TTL - 1, tag), "out"))
    return inp, exp


def error_quote(fam, path, inner_proto, tag, payload, side, keep=None):
    """The packet an ICMP error on @path quotes, as sent (side "in") or as
    it must come out ("out"), cut to @keep bytes."""
    _, src, dst, xsrc, xdst = PATHS[path]
    if path == "router":
        isrc, idst, xisrc, xidst = ROUTER_INNER
    else:
        isrc, idst, xisrc, xidst = dst, src, xdst, xsrc
    if side == "out":
        isrc, idst = xisrc, xidst
    inner = bytes(ip(fam, isrc, idst, INNER_TTL, tag + 0x8000) /
                  l4(fam, inner_proto, tag, payload))
    return inner if keep is None else inner[:keep]


def error_kind(path, inner_proto):
    if path == "router":
        return "mtu"
    return {"tcp": "tcp", "udp": "udp", "echo": "host"}[inner_proto]


def add_matrix(m):
    """{v4, v6} x protocols x paths x {whole, first fragment, later one}."""
    for fam in (4, 6):
        for proto in ("tcp", "udp", "udp0", "echo", "err-tcp", "err-udp"):
            err = proto.startswith("err-")
            inner = proto[4:] if err else None
            for path, (direction, *_rest) in PATHS.items():
                if path == "router" and not err:
                    continue
                tag = m.new_tag()
                for frag in ("whole", "frag1", "frag2"):
                    size = WHOLE_PAYLOAD if frag == "whole" else FRAG_PAYLOAD
                    payload = m.payload(size)
                    if err:
                        def build(hdr, side, inner=inner, path=path,
                                  tag=tag, payload=payload):
                            q = error_quote(fam, path, inner, tag, payload,
                                            side)
                            return hdr / icmp_error(fam, error_kind(path,
                                                    inner), q)
                    else:
                        def build(hdr, side, proto=proto, tag=tag,
                                  payload=payload):
                            return hdr / l4(fam, proto, tag, payload)
                    inp, exp = pair(fam, path, build, tag)
                    counters = [xlat_counter(direction)]
                    if frag != "whole":
                        first = FRAG_FIRST_ERR if err else FRAG_FIRST
                        inp = fragment(fam, inp, first, frag == "frag2")
                        exp = fragment(fam, exp, first, frag == "frag2")
                    # Only a packet with the quote in it has inner
                    # addresses to translate.
                    if err and frag != "frag2":
                        counters.append("xlat_icmp_inner")
                    m.add(f"v{fam}-{proto}-{path}-{frag}", direction, inp,
                          exp, counters)


def add_edges(m):
    """Options, extension headers, checksum corner cases."""
    for fam in (4, 6):
        a = ADDR[fam]

        # The quote of an ICMP error cut to what RFC 792 asks for (the IP
        # header and 8 bytes): a TCP checksum is not in it, a UDP one is.
        for inner in ("tcp", "udp"):
            tag = m.new_tag()
            payload = m.payload(WHOLE_PAYLOAD)
            keep = (20 if fam == 4 else 40) + 8

            def build(hdr, side, inner=inner, tag=tag, payload=payload,
                      keep=keep):
                q = error_quote(fam, "router", inner, tag, payload, side,
                                keep)
                return hdr / icmp_error(fam, "mtu", q)
            inp, exp = pair(fam, "router", build, tag)
            m.add(f"v{fam}-err-{inner}-shortquote", "wire->vm", inp, exp,
                  ["xlat_in", "xlat_icmp_inner"])

        # An ICMP error about an echo: an inner ICMPv4 checksum covers no
        # address, an inner ICMPv6 one does.
        tag = m.new_tag()
        payload = m.payload(WHOLE_PAYLOAD)

        def build(hdr, side, tag=tag, payload=payload):
            q = error_quote(fam, "router", "echo", tag, payload, side)
            return hdr / icmp_error(fam, "host", q)
        inp, exp = pair(fam, "router", build, tag)
        m.add(f"v{fam}-err-echo-router", "wire->vm", inp, exp,
              ["xlat_in", "xlat_icmp_inner"])

        # A UDP checksum that comes out as zero must be sent as 0xffff.
        # With the last payload word zero, the translated packet sums to
        # S and its checksum is ~S; putting ~S in that word makes the sum
        # S + ~S = 0xffff, the checksum zero, which scapy sends as 0xffff.
        for path in ("remote", "toremote"):
            direction = PATHS[path][0]
            tag = m.new_tag()
            base = m.payload(WHOLE_PAYLOAD - 2)

            def build(hdr, side, tag=tag, payload=base + b"\0\0"):
                return hdr / l4(fam, "udp", tag, payload)
            _, probe = pair(fam, path, build, tag)
            hl = 20 if fam == 4 else 40
            word = int.from_bytes(probe[hl + 6:hl + 8], "big")

            def build(hdr, side, tag=tag, payload=base +
                      word.to_bytes(2, "big")):
                return hdr / l4(fam, "udp", tag, payload)
            inp, exp = pair(fam, path, build, tag)
            assert exp[hl + 6:hl + 8] == b"\xff\xff", exp.hex()
            m.add(f"v{fam}-udp-csum-ffff-{path}", direction, inp, exp,
                  [xlat_counter(direction)])

        # SCTP: only the IP header changes.
        tag = m.new_tag()
        payload = m.payload(WHOLE_PAYLOAD)

        def build(hdr, side, tag=tag, payload=payload):
            return hdr / l4(fam, "sctp", tag, payload)
        inp, exp = pair(fam, "remote", build, tag)
        m.add(f"v{fam}-sctp-remote", "wire->vm", inp, exp, ["xlat_in"])

        # IPv4 options (NOPs and a router alert, which forwarding leaves
        # alone) / IPv6 hop-by-hop and destination options headers: the
        # L4 header starts later.
        for path, proto in (("remote", "tcp"), ("toremote", "udp")):
            direction = PATHS[path][0]
            tag = m.new_tag()
            payload = m.payload(WHOLE_PAYLOAD)
            if fam == 4:
                opts = [IPOption_NOP()] * 4 + [IPOption_Router_Alert()]

                def build(hdr, side, proto=proto, tag=tag, payload=payload,
                          opts=opts):
                    hdr.options = opts
                    return hdr / l4(fam, proto, tag, payload)
                name = f"v4-{proto}-ipopts-{path}"
            else:
                def build(hdr, side, proto=proto, tag=tag, payload=payload):
                    return hdr / IPv6ExtHdrHopByHop() / \
                        l4(fam, proto, tag, payload)
                name = f"v6-{proto}-hbh-{path}"
            inp, exp = pair(fam, path, build, tag)
            m.add(name, direction, inp, exp, [xlat_counter(direction)])
        if fam == 6:
            tag = m.new_tag()
            payload = m.payload(WHOLE_PAYLOAD)

            def build(hdr, side, tag=tag, payload=payload):
                return hdr / IPv6ExtHdrDestOpt() / \
                    l4(fam, "udp", tag, payload)
            inp, exp = pair(fam, "toext", build, tag)
            m.add("v6-udp-dstopts-toext", "vm->wire", inp, exp, ["xlat_out"])

            # A routing header with nothing left to do: the destination in
            # the header is the final one, the pseudo-header uses it.
            tag = m.new_tag()
            payload = m.payload(WHOLE_PAYLOAD)

            def build(hdr, side, tag=tag, payload=payload):
                return hdr / IPv6ExtHdrRouting(
                    addresses=[a["router"]], segleft=0) / \
                    l4(fam, "tcp", tag, payload)
            inp, exp = pair(fam, "remote", build, tag)
            m.add("v6-tcp-rh-segleft0-remote", "wire->vm", inp, exp,
                  ["xlat_in"])


def add_drops(m):
    """Packets that must not come out, and the counter that says why."""
    for fam in (4, 6):
        a = ADDR[fam]
        hl = 20 if fam == 4 else 40

        # A TCP header cut short by the IP length: the bytes are in the
        # frame, but past the end of the IP packet, as Ethernet padding
        # would be; the stack trims them before netfilter sees it.
        tag = m.new_tag()
        whole = bytes(ip(fam, "remote_moa", "local_moa", TTL, tag) /
                      l4(fam, "tcp", tag, m.payload(WHOLE_PAYLOAD)))
        cut = bytearray(whole)
        if fam == 4:
            cut[2:4] = (hl + 12).to_bytes(2, "big")
            cut[10:12] = b"\0\0"
            cut[10:12] = ip_csum(cut[:hl])
        else:
            cut[4:6] = (12).to_bytes(2, "big")
        m.add(f"v{fam}-tcp-cut-short", "wire->vm", bytes(cut), None,
              ["drop_malformed"])

        # A first fragment too short to hold the TCP checksum.
        tag = m.new_tag()
        whole = bytes(ip(fam, "remote_moa", "local_moa", TTL, tag) /
                      l4(fam, "tcp", tag, m.payload(FRAG_PAYLOAD)))
        m.add(f"v{fam}-tcp-tiny-frag1", "wire->vm",
              fragment(fam, whole, 16, False), None, ["drop_malformed"])

        # An ICMP error whose quoted header ends inside its addresses.
        tag = m.new_tag()
        keep = 14 if fam == 4 else 30
        q = error_quote(fam, "router", "udp", tag, m.payload(8), "in", keep)
        inp = bytes(ip(fam, "router", "local_moa", TTL, tag) /
                    icmp_error(fam, "mtu", q))
        m.add(f"v{fam}-err-quote-cut", "wire->vm", inp, None,
              ["drop_malformed"])

        # From the VM to an address of the home prefix nobody is bound to.
        tag = m.new_tag()
        inp = bytes(ip(fam, "local_hoa", "unbound", TTL, tag) /
                    l4(fam, "udp", tag, m.payload(WHOLE_PAYLOAD)))
        m.add(f"v{fam}-to-unbound-hoa", "vm->wire", inp, None,
              ["drop_unknown_hoa"])

        # From an unbound home address, and from a remote VM's HoA forged
        # by the local VM: neither may leave with a home source.
        for src in ("stray", "remote_hoa"):
            tag = m.new_tag()
            inp = bytes(ip(fam, src, "ext", TTL, tag) /
                        l4(fam, "udp", tag, m.payload(WHOLE_PAYLOAD)))
            name = "from-unbound-hoa" if src == "stray" else "spoofed-remote-hoa"
            m.add(f"v{fam}-{name}", "vm->wire", inp, None, ["drop_leak"])

        # From the wire to an unbound home address: routed back toward
        # the wire, where the leak guard stops it.
        tag = m.new_tag()
        inp = bytes(ip(fam, "ext", "unbound", TTL, tag) /
                    l4(fam, "udp", tag, m.payload(WHOLE_PAYLOAD)))
        m.add(f"v{fam}-wire-to-unbound-hoa", "wire->vm", inp, None,
              ["drop_leak"])

        if fam == 6:
            # Segments left: the L4 checksum is over another destination.
            tag = m.new_tag()
            inp = bytes(ip(fam, "remote_moa", "local_moa", TTL, tag) /
                        IPv6ExtHdrRouting(addresses=[a["router"]],
                                          segleft=1) /
                        l4(fam, "tcp", tag, m.payload(WHOLE_PAYLOAD)))
            m.add("v6-tcp-rh-segleft1", "wire->vm", inp, None,
                  ["drop_unsupported"])

            # AH authenticates the addresses translation would change.
            tag = m.new_tag()
            tcp = bytes(ip(fam, "remote_moa", "local_moa", TTL, tag) /
                        l4(fam, "tcp", tag, m.payload(WHOLE_PAYLOAD)))[40:]
            ah = bytes([PROTO_TCP, 4, 0, 0]) + (0x1000).to_bytes(4, "big") + \
                (1).to_bytes(4, "big") + bytes(12)
            inp = bytes(ip(fam, "remote_moa", "local_moa", TTL, tag, nh=51) /
                        Raw(ah + tcp))
            m.add("v6-tcp-ah", "wire->vm", inp, None, ["drop_unsupported"])


# The aliases' hypervisor: a local VM, a remote VM whose next MoA is
# known as an alias, and a VM that has just left for another hypervisor,
# its old MoA here an alias that forwards to its new one.
ALIAS_ADDR = {
    4: dict(local_hoa="10.99.0.10", local_moa="198.51.100.10",
            remote_hoa="10.99.0.20", remote_moa="198.51.100.20",
            next_moa="198.51.100.21",
            moved_hoa="10.99.0.30", old_moa="198.51.100.30",
            new_moa="198.51.100.31",
            ext="203.0.113.5", router="192.0.2.1",
            prefix="10.99.0.0/24"),
    6: dict(local_hoa="fd99::10", local_moa="2001:db8:1::10",
            remote_hoa="fd99::20", remote_moa="2001:db8:2::20",
            next_moa="2001:db8:2::21",
            moved_hoa="fd99::30", old_moa="2001:db8:1::30",
            new_moa="2001:db8:3::31",
            ext="2001:db8:ff::5", router="2001:db8:ee::1",
            prefix="fd99::/64"),
}


def add_alias_matrix(m):
    """Forwarding to a target, a source alias, quotes, and what is left
    alone.  35-alias.sh routes the targets, the aliases without one and
    the local VM's home address to the "vm" side; so every packet here
    that comes out at all comes out there."""
    for fam in (4, 6):
        a = ALIAS_ADDR[fam]

        def hdr(src, dst, ttl, tag, a=a, fam=fam):
            return ip(fam, a[src], a[dst], ttl, tag)

        def add(name, src, dst, xsrc, xdst, build, counters, frag=None,
                hdr=hdr, fam=fam):
            tag = m.new_tag()
            inp = bytes(build(hdr(src, dst, TTL, tag), tag, "in"))
            exp = bytes(build(hdr(xsrc, xdst, TTL - 1, tag), tag, "out"))
            if frag:
                inp = fragment(fam, inp, FRAG_FIRST, frag == "frag2")
                exp = fragment(fam, exp, FRAG_FIRST, frag == "frag2")
            m.add(f"v{fam}-alias-{name}", "wire->vm", inp, exp, counters)

        def plain(proto, size=WHOLE_PAYLOAD, fam=fam):
            def build(h, tag, side):
                return h / l4(fam, proto, tag, m.payload(size))
            return build

        # To the old MoA: forwarded to the new one, destination only.
        for proto in ("tcp", "udp", "udp0", "echo"):
            add(f"fwd-{proto}", "ext", "old_moa", "ext", "new_moa",
                plain(proto), ["xlat_fwd"])
        for frag in ("frag1", "frag2"):
            add(f"fwd-tcp-{frag}", "ext", "old_moa", "ext", "new_moa",
                plain("tcp", FRAG_PAYLOAD), ["xlat_fwd"], frag)

        # A router's error about a packet the VM sent from its old MoA:
        # forwarded with the quote as it was.
        def err_build(h, tag, side, a=a, fam=fam):
            q = bytes(ip(fam, a["old_moa"], a["ext"], INNER_TTL,
                         tag + 0x8000) /
                      l4(fam, "tcp", tag, m.payload(WHOLE_PAYLOAD)))
            return h / icmp_error(fam, "mtu", q)
        add("fwd-err", "router", "old_moa", "router", "new_moa", err_build,
            ["xlat_fwd"])

        # From the remote VM's next MoA, and from the old MoA of the VM
        # that left: the source becomes the HoA, as from a binding's MoA.
        for proto in ("tcp", "udp", "echo"):
            add(f"src-next-{proto}", "next_moa", "local_moa", "remote_hoa",
                "local_hoa", plain(proto), ["xlat_in"])
        add("src-old-udp", "old_moa", "local_moa", "moved_hoa", "local_hoa",
            plain("udp"), ["xlat_in"])

        # The local VM's packet to the next MoA, quoted by a router: the
        # quote comes back in home addresses.
        def quote_build(h, tag, side, a=a, fam=fam):
            isrc, idst = (("local_moa", "next_moa") if side == "in" else
                          ("local_hoa", "remote_hoa"))
            q = bytes(ip(fam, a[isrc], a[idst], INNER_TTL, tag + 0x8000) /
                      l4(fam, "udp", tag, m.payload(WHOLE_PAYLOAD)))
            return h / icmp_error(fam, "mtu", q)
        add("err-quoting-next", "router", "local_moa", "router", "local_hoa",
            quote_build, ["xlat_in", "xlat_icmp_inner"])

        # An alias without a target is no destination: untouched.
        add("to-next", "ext", "next_moa", "ext", "next_moa", plain("udp"),
            [])

        # Forwarded or translated, a TCP header cut short is dropped.
        tag = m.new_tag()
        whole = bytes(hdr("ext", "old_moa", TTL, tag) /
                      l4(fam, "tcp", tag, m.payload(WHOLE_PAYLOAD)))
        cut = bytearray(whole)
        hl = 20 if fam == 4 else 40
        if fam == 4:
            cut[2:4] = (hl + 12).to_bytes(2, "big")
            cut[10:12] = b"\0\0"
            cut[10:12] = ip_csum(cut[:hl])
        else:
            cut[4:6] = (12).to_bytes(2, "big")
        m.add(f"v{fam}-alias-fwd-cut-short", "wire->vm", bytes(cut), None,
              ["drop_malformed"])


def write_alias(m, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("# Alias matrix for tests/kernel/35-alias.sh, written by "
                "tests/kernel/vectors.py --alias.\n"
                "# NAME DIR INPUT EXPECTED|DROP COUNTERS\n"
                "# @alias MOA HOA [TARGET]\n")
        for fam in (4, 6):
            a = ALIAS_ADDR[fam]
            f.write(f"@prefix {a['prefix']}\n")
            f.write(f"@binding {a['local_hoa']} {a['local_moa']} local\n")
            f.write(f"@binding {a['remote_hoa']} {a['remote_moa']} remote\n")
            f.write(f"@binding {a['moved_hoa']} {a['new_moa']} remote\n")
            f.write(f"@alias {a['next_moa']} {a['remote_hoa']}\n")
            f.write(f"@alias {a['old_moa']} {a['moved_hoa']} "
                    f"{a['new_moa']}\n")
        for name, direction, inp, exp, counters in m.vectors:
            f.write(f"{name} {direction} {inp.hex()} "
                    f"{exp.hex() if exp is not None else 'DROP'} "
                    f"{','.join(counters) or '-'}\n")
    os.replace(tmp, path)


def ip_csum(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += hdr[i] << 8 | hdr[i + 1]
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s & 0xffff).to_bytes(2, "big")


def write(m, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("# Packet matrix for tests/kernel/30-packets.sh, written by "
                "tests/kernel/vectors.py.\n"
                "# NAME DIR INPUT EXPECTED|DROP COUNTERS\n")
        for fam in (4, 6):
            a = ADDR[fam]
            f.write(f"@prefix {a['prefix']}\n")
            f.write(f"@binding {a['local_hoa']} {a['local_moa']} local\n")
            f.write(f"@binding {a['remote_hoa']} {a['remote_moa']} remote\n")
        for name, direction, inp, exp, counters in m.vectors:
            f.write(f"{name} {direction} {inp.hex()} "
                    f"{exp.hex() if exp is not None else 'DROP'} "
                    f"{','.join(counters) or '-'}\n")
    os.replace(tmp, path)


def main():
    args = sys.argv[1:]
    alias = bool(args) and args[0] == "--alias"
    if alias:
        args = args[1:]
    out = args[0] if args else ("build/lab/alias-vectors.txt" if alias else
                                "build/lab/vectors.txt")
    if len(args) > 1 or out.startswith("-"):
        sys.exit("usage: vectors.py [--alias] [OUTPUT]")
    m = Matrix()
    if alias:
        add_alias_matrix(m)
        write_alias(m, out)
        print(f"vectors.py: {len(m.vectors)} alias vectors in {out}")
        return
    add_matrix(m)
    add_edges(m)
    add_drops(m)
    write(m, out)
    drops = sum(1 for v in m.vectors if v[3] is None)
    print(f"vectors.py: {len(m.vectors)} vectors ({drops} drops) in {out}")


if __name__ == "__main__":
    main()
