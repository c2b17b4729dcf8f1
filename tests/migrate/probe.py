#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Probes for the migration demo (tests/migrate/migrate-demo.sh).

  probe.py icmp DST INTERVAL OUT   ICMP echo every INTERVAL seconds until
                                   SIGTERM; one line per probe in OUT:
                                   "seq sent_epoch rtt_or_-"
  probe.py tcp DST PORT INTERVAL OUT
                                   one TCP connection to an echo server:
                                   a numbered line every INTERVAL s, each
                                   echo awaited (no pipelining); one line
                                   per exchange: "seq sent_epoch rtt", or
                                   "ERROR epoch reason" if the connection
                                   breaks (then it exits 1)
  probe.py ask DST PORT              connect, print what the server says
                                   until it closes (the guest's uptime)
  probe.py analyze OUT INTERVAL T0 T1
                                   losses among the ICMP probes sent in
                                   [T0, T1] (epochs): count, count x
                                   INTERVAL (the seed-001 downtime), the
                                   longest run of consecutive losses and
                                   the time from the last answered probe
                                   before it to the first answered after;
                                   the longest run lost or answered > 1 s
  probe.py tcpstat OUT T0 T1       the TCP exchanges around [T0, T1]: how
                                   many, the slowest, whether any after T1

ICMP probes carry a 64-bit sequence number and the send time in their
payload (no 16-bit wrap at 1 ms); the ICMP id is the process id.  A raw
socket: run as root (each correspondent namespace is).
"""
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

stop = threading.Event()


def on_term(signum, frame):
    stop.set()


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def icmp(dst, interval, out):
    ident = os.getpid() & 0xFFFF
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sent = {}      # seq -> send time
    rtt = {}       # seq -> rtt
    lock = threading.Lock()

    def receiver():
        while not stop.is_set():
            r, _, _ = select.select([sock], [], [], 0.2)
            if not r:
                continue
            pkt, addr = sock.recvfrom(2048)
            now = time.time()
            ihl = (pkt[0] & 0xF) * 4
            icmph = pkt[ihl:ihl + 8]
            if len(icmph) < 8 or addr[0] != dst:
                continue
            typ, _, _, pid, _ = struct.unpack("!BBHHH", icmph)
            if typ != 0 or pid != ident:
                continue
            seq, t = struct.unpack("!Qd", pkt[ihl + 8:ihl + 24])
            with lock:
                if seq in sent and seq not in rtt:
                    rtt[seq] = now - t

    th = threading.Thread(target=receiver, daemon=True)
    th.start()
    seq = 0
    start = time.time()
    while not stop.is_set():
        t = time.time()
        payload = struct.pack("!Qd", seq, t) + b"mob-migrate-probe"
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq & 0xFFFF)
        ck = csum(hdr + payload)
        hdr = struct.pack("!BBHHH", 8, 0, ck, ident, seq & 0xFFFF)
        with lock:
            sent[seq] = t
        try:
            sock.sendto(hdr + payload, (dst, 0))
        except OSError:
            pass    # no route / neighbour yet: counts as lost
        seq += 1
        # Absolute schedule: a late wake-up does not shift later probes.
        # In slices: a signal may reach the receiver thread, and then
        # the main thread only sees stop set when its wait times out.
        delay = start + seq * interval - time.time()
        while delay > 0 and not stop.is_set():
            stop.wait(min(delay, 0.2))
            delay = start + seq * interval - time.time()
    # Replies still in flight (the lab's nested guest can take seconds).
    time.sleep(5.0)
    stop.set()
    th.join()
    with open(out, "w") as f:
        for s in sorted(sent):
            r = rtt.get(s)
            f.write("%d %.6f %s\n" % (s, sent[s], "%.6f" % r if r is not None else "-"))


def tcp(dst, port, interval, out):
    f = open(out, "w", buffering=1)
    try:
        sock = socket.create_connection((dst, port), timeout=10)
    except OSError as e:
        f.write("ERROR %.6f connect: %s\n" % (time.time(), e))
        return 1
    # A migration stalls the connection for a fraction of a second; TCP
    # retransmits.  Wait long for each echo, but not forever.
    sock.settimeout(60)
    rf = sock.makefile("rb")
    seq = 0
    while not stop.is_set():
        t = time.time()
        line = b"mob %d %.6f\n" % (seq, t)
        try:
            sock.sendall(line)
            back = rf.readline()
        except OSError as e:
            f.write("ERROR %.6f %s\n" % (time.time(), e))
            return 1
        now = time.time()
        if back != line:
            f.write("ERROR %.6f bad echo %r\n" % (now, back))
            return 1
        f.write("%d %.6f %.6f\n" % (seq, t, now - t))
        seq += 1
        stop.wait(max(0.0, t + interval - time.time()))
    sock.close()
    f.write("CLOSED %.6f\n" % time.time())
    return 0


def ask(dst, port):
    # Generous: the lab's nested guest takes seconds to fork its server.
    with socket.create_connection((dst, port), timeout=60) as sock:
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    sys.stdout.write(data.decode(errors="replace"))
    return 0


def load(out):
    rows = []
    with open(out) as f:
        for line in f:
            p = line.split()
            rows.append((int(p[0]), float(p[1]), None if p[2] == "-" else float(p[2])))
    return rows


def analyze(out, interval, t0, t1):
    rows = [r for r in load(out) if t0 <= r[1] <= t1]
    # Probes after the last answered one: the prober stopped before their
    # replies could come (or the guest died); not counted as downtime.
    answered = [i for i, r in enumerate(rows) if r[2] is not None]
    if answered and answered[-1] < len(rows) - 1:
        print("trailing_unanswered %d (sent after the last answered probe, not counted)" %
              (len(rows) - 1 - answered[-1]))
        rows = rows[:answered[-1] + 1]
    lost = [r for r in rows if r[2] is None]
    print("probes %d in window, answered %d, lost %d" %
          (len(rows), len(rows) - len(lost), len(lost)))
    print("downtime_lost_x_interval_ms %.1f" % (len(lost) * interval * 1000))
    # Longest run of consecutive losses (by sequence number).
    best = (0, None, None)
    run = []
    for r in rows + [(None, None, 0.0)]:
        if r[2] is None:
            run.append(r)
            continue
        if len(run) > best[0]:
            best = (len(run), run[0], run[-1])
        run = []
    if best[0]:
        n, first, last = best
        before = [r for r in rows if r[0] < first[0] and r[2] is not None]
        after = [r for r in rows if r[0] > last[0] and r[2] is not None]
        print("longest_run %d probes (seq %d..%d), sent %.6f .. %.6f" %
              (n, first[0], last[0], first[1], last[1]))
        print("longest_run_ms %.1f" % (n * interval * 1000))
        if before and after:
            # The path was down at most from just after the last answered
            # probe was sent to just before the first answered one.
            b, a = before[-1], after[0]
            print("gap_last_answer_before_to_first_after_ms %.1f"
                  " (last answered sent %.6f, first answered sent %.6f)" %
                  ((a[1] - b[1]) * 1000, b[1], a[1]))
            print("outage_from %.6f to %.6f" % (b[1], a[1]))
        other = len(lost) - n
        if other:
            print("other_losses %d (outside the longest run)" % other)
    else:
        print("longest_run 0")
    # A nested guest may answer seconds late just after a move (its new
    # QEMU translates all its code again): late answers are answers, but
    # the outage as a user sees it is the longest run of probes lost or
    # answered later than 1 s.
    late, run_late = 0, 0
    for r in rows:
        if r[2] is None or r[2] > 1.0:
            run_late += 1
            late = max(late, run_late)
        else:
            run_late = 0
    print("longest_run_lost_or_late1s_ms %.1f" % (late * interval * 1000))
    rtts = sorted(r[2] for r in rows if r[2] is not None)
    if rtts:
        print("rtt_ms median %.3f p99 %.3f max %.3f" %
              (rtts[len(rtts) // 2] * 1000, rtts[int(len(rtts) * 0.99)] * 1000,
               rtts[-1] * 1000))


def tcpstat(out, t0, t1):
    rows, errors, closed = [], [], False
    with open(out) as f:
        for line in f:
            p = line.split()
            if p[0] == "ERROR":
                errors.append(line.strip())
            elif p[0] == "CLOSED":
                closed = True
            else:
                rows.append((int(p[0]), float(p[1]), float(p[2])))
    during = [r for r in rows if t0 - 1 <= r[1] <= t1]
    after = [r for r in rows if r[1] > t1]
    slow = max(during, key=lambda r: r[2]) if during else None
    print("exchanges %d total, %d around the migration, %d after it" %
          (len(rows), len(during), len(after)))
    if slow:
        print("slowest_echo_ms %.1f (seq %d sent %.6f)" % (slow[2] * 1000, slow[0], slow[1]))
    print("errors %d%s" % (len(errors), (": " + errors[0]) if errors else ""))
    print("connection %s" % ("closed cleanly by the prober" if closed else "still open"))
    return 0 if (not errors and after) else 1


def main():
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    a = sys.argv[1:]
    if a[:1] == ["icmp"] and len(a) == 4:
        icmp(a[1], float(a[2]), a[3])
        return 0
    if a[:1] == ["tcp"] and len(a) == 5:
        return tcp(a[1], int(a[2]), float(a[3]), a[4])
    if a[:1] == ["ask"] and len(a) == 3:
        return ask(a[1], int(a[2]))
    if a[:1] == ["analyze"] and len(a) == 5:
        analyze(a[1], float(a[2]), float(a[3]), float(a[4]))
        return 0
    if a[:1] == ["tcpstat"] and len(a) == 4:
        return tcpstat(a[1], float(a[2]), float(a[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
