#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Three hypervisors in three subnets, joined by a router, with one VM each;
# the VMs share one virtual subnet (their home addresses).  Each hypervisor
# runs the module and a stateful firewall.
#
#                         ext  10.200.0.2 / fd00:200::2   (ordinary host)
#                          |
#        10.1.0.0/24 ---- rt ---- 10.3.0.0/24           (router: sees MoAs only)
#             |            |            |
#             |       10.2.0.0/24       |
#            hv1          hv2          hv3               hypervisors
#     MoA 10.1.1.0/24  10.2.1.0/24  10.3.1.0/24          (routed to each hv)
#    fd00:1:1::/64     fd00:2:1::/64 fd00:3:1::/64
#             |            |            |  vmportN
#            vm1          vm2          vm3               VMs, eth0
#     10.99.0.11/24  10.99.0.12/24  10.99.0.13/24        home addresses
#     fd99::11/64    fd99::12/64    fd99::13/64
#
# A VM's gateway is 10.99.0.1 (proxy ARP) and fe80::1 on every hypervisor
# port, so nothing in a VM changes when it moves.  vm1 is moved to hv2 by
# hand halfway through, with connections open.

source "$(dirname "$0")/lib.sh"

RT=rt-$S
EXT=ext-$S
declare -a HV VM
for i in 1 2 3; do
	HV[i]=hv$i-$S
	VM[i]=vm$i-$S
done
STOP=$OUT/20-stop.$S

# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
	del_ns "$RT" "$EXT" "${HV[@]}" "${VM[@]}" "vm4-$S"
	rm -f "$STOP"
}
trap cleanup EXIT

ex() { ip netns exec "$@"; }

# A namespace whose IPv6 addresses are usable at once (no DAD wait).
mkns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ex "$1" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
}

fw_rules() {
	cat <<'EOF'
table inet fw {
	counter invalid {}
	counter dropped {}
	chain vmfw {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ct state invalid counter name "invalid" drop
		iifname "vmport*" accept
		tcp dport 5000 accept
		udp dport 5000 accept
		icmp type echo-request accept
		icmpv6 type echo-request accept
		counter name "dropped"
	}
}
EOF
}

# The router counts any packet carrying a home address, and MoA traffic.
probe_rules() {
	cat <<'EOF'
table inet probe {
	counter home {}
	counter moa {}
	chain count {
		type filter hook forward priority filter; policy accept;
		ip saddr 10.99.0.0/24 counter name "home"
		ip daddr 10.99.0.0/24 counter name "home"
		ip6 saddr fd99::/64 counter name "home"
		ip6 daddr fd99::/64 counter name "home"
		ip saddr { 10.1.1.0/24, 10.2.1.0/24, 10.3.1.0/24 } counter name "moa"
		ip6 saddr { fd00:1:1::/64, fd00:2:1::/64, fd00:3:1::/64 } counter name "moa"
	}
}
EOF
}

counter() { # NS TABLE NAME -> packets
	ex "$1" nft -j list counter inet "$2" "$3" |
		jq '.nftables[] | select(.counter) | .counter.packets'
}

setup_router() {
	mkns "$RT"
	mkns "$EXT"
	ex "$RT" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip link add to-ext netns "$RT" type veth peer name eth0 netns "$EXT"
	ip -n "$RT" addr add 10.200.0.1/24 dev to-ext
	ip -n "$RT" addr add fd00:200::1/64 dev to-ext nodad
	ip -n "$EXT" addr add 10.200.0.2/24 dev eth0
	ip -n "$EXT" addr add fd00:200::2/64 dev eth0 nodad
	ip -n "$RT" link set to-ext up
	ip -n "$EXT" link set eth0 up
	ip -n "$EXT" route add default via 10.200.0.1
	ip -n "$EXT" -6 route add default via fd00:200::1
	probe_rules | ex "$RT" nft -f -
}

setup_hv() { # i
	local i=$1 h=${HV[$1]}

	mkns "$h"
	ex "$h" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip link add "to-hv$i" netns "$RT" type veth peer name uplink netns "$h"
	ip -n "$RT" addr add "10.$i.0.1/24" dev "to-hv$i"
	ip -n "$RT" addr add "fd00:$i::1/64" dev "to-hv$i" nodad
	ip -n "$h" addr add "10.$i.0.2/24" dev uplink
	ip -n "$h" addr add "fd00:$i::2/64" dev uplink nodad
	ip -n "$RT" link set "to-hv$i" up
	ip -n "$h" link set dev uplink up
	ip -n "$h" route add default via "10.$i.0.1"
	ip -n "$h" -6 route add default via "fd00:$i::1"
	ip -n "$RT" route add "10.$i.1.0/24" via "10.$i.0.2"
	ip -n "$RT" -6 route add "fd00:$i:1::/64" via "fd00:$i::2"
	# A MoA nobody holds is dropped here, not bounced back to the router.
	ip -n "$h" route add blackhole "10.$i.1.0/24"
	ip -n "$h" -6 route add blackhole "fd00:$i:1::/64"
	fw_rules | ex "$h" nft -f -
	mobctl -n "$h" prefix add 10.99.0.0/24
	mobctl -n "$h" prefix add fd99::/64
}

# What a hypervisor does for a VM's port, so that the VM's own address,
# netmask and gateway work unchanged wherever it runs.
setup_port() { # hv-index vm-index
	local h=${HV[$1]} j=$2 k

	ip -n "$h" link set "vmport$j" up
	ex "$h" sysctl -qw "net.ipv4.conf.vmport$j.proxy_arp=1" \
		"net.ipv6.conf.vmport$j.proxy_ndp=1"
	ip -n "$h" addr add fe80::1/64 dev "vmport$j" nodad
	ip -n "$h" route add "10.99.0.1$j/32" dev "vmport$j"
	ip -n "$h" -6 route add "fd99::1$j/128" dev "vmport$j"
	for k in 1 2 3; do
		[ "$k" = "$j" ] || ip -n "$h" -6 neigh add proxy "fd99::1$k" dev "vmport$j"
	done
}

setup_vm() { # i
	local i=$1 v=${VM[$1]}

	mkns "$v"
	ip link add eth0 netns "$v" type veth peer name "vmport$i" netns "${HV[i]}"
	ip -n "$v" addr add "10.99.0.1$i/24" dev eth0
	ip -n "$v" addr add "fd99::1$i/64" dev eth0 nodad
	ip -n "$v" link set eth0 up
	setup_port "$i" "$i"
	ip -n "$v" route add default via 10.99.0.1
	ip -n "$v" -6 route add default via fe80::1 dev eth0 onlink
}

# bind HV-index VM-index local|remote MOA-site: both families.
bind() {
	local h=${HV[$1]} j=$2 kind=$3 site=$4 verb=${5:-add} dev=()

	[ "$kind" = local ] && dev=(dev "vmport$j")
	mobctl -n "$h" binding "$verb" "10.99.0.1$j" moa "10.$site.1.1$j" "$kind" "${dev[@]}" &&
		mobctl -n "$h" binding "$verb" "fd99::1$j" moa "fd00:$site:1::1$j" "$kind" "${dev[@]}"
}

pretty "topology: router, external host, 3 hypervisors, 3 VMs"
setup_router
for i in 1 2 3; do setup_hv "$i"; done
for i in 1 2 3; do setup_vm "$i"; done
for i in 1 2 3; do
	for j in 1 2 3; do
		if [ "$i" = "$j" ]; then kind=local; else kind=remote; fi
		check "hv$i: bind vm$j ($kind)" bind "$i" "$j" "$kind" "$j"
	done
done
check_eq "hv1 holds 6 bindings" "$(mobctl -n "${HV[1]}" -j binding show | jq length)" 6
for ns in "${VM[@]}" "$EXT"; do
	ip netns exec "$ns" "$ECHOPROBE" serve 5000 &
done
sleep 1

v4() { echo "10.99.0.1$1"; }
v6() { echo "fd99::1$1"; }

pretty "VM <-> VM across sites: ping, TCP, UDP, IPv4 and IPv6"
for pair in 1:2 2:1 1:3 3:2; do
	a=${pair%:*} b=${pair#*:}
	for fam in v4 v6; do
		dst=$($fam "$b")
		check "vm$a -> vm$b $fam ping" ex "${VM[a]}" ping -c 1 -W 3 "$dst"
		check "vm$a -> vm$b $fam tcp" ex "${VM[a]}" "$ECHOPROBE" tcp "$dst" 5000
		check "vm$a -> vm$b $fam udp" ex "${VM[a]}" "$ECHOPROBE" udp "$dst" 5000
	done
done

pretty "VM <-> ordinary host: the VM by its MoA, the host by its address"
for fam in 4 6; do
	if [ "$fam" = 4 ]; then ext=10.200.0.2 moa=10.1.1.11; else ext=fd00:200::2 moa=fd00:1:1::11; fi
	for p in ping tcp udp; do
		if [ "$p" = ping ]; then
			check "vm1 -> ext v$fam ping" ex "${VM[1]}" ping -c 1 -W 3 "$ext"
			check "ext -> vm1 MoA v$fam ping" ex "$EXT" ping -c 1 -W 3 "$moa"
		else
			check "vm1 -> ext v$fam $p" ex "${VM[1]}" "$ECHOPROBE" "$p" "$ext" 5000
			check "ext -> vm1 MoA v$fam $p" ex "$EXT" "$ECHOPROBE" "$p" "$moa" 5000
		fi
	done
done
mkns "vm4-$S"
ip link add eth0 netns "vm4-$S" type veth peer name vmport4 netns "${HV[1]}"
ip -n "vm4-$S" addr add 10.99.0.14/24 dev eth0
ip -n "vm4-$S" link set eth0 up
ip -n "vm4-$S" route add default via 10.99.0.1
ip -n "${HV[1]}" link set vmport4 up
ex "${HV[1]}" sysctl -qw net.ipv4.conf.vmport4.proxy_arp=1
ip -n "${HV[1]}" route add 10.99.0.14/32 dev vmport4
mobctl -n "${HV[1]}" binding add 10.99.0.14 moa 10.1.1.14 local dev vmport4
before=$(mstat "${HV[1]}" xlat_out)
check "vm4 -> vm1 on the same hypervisor" ex "vm4-$S" "$ECHOPROBE" tcp 10.99.0.11 5000
check_eq "... without translation" "$(mstat "${HV[1]}" xlat_out)" "$before"
mobctl -n "${HV[1]}" binding del 10.99.0.14
del_ns "vm4-$S"

pretty "the router saw MoAs only"
check_eq "packets with a home address at the router" "$(counter "$RT" probe home)" 0
check_ge "packets with a MoA at the router" "$(counter "$RT" probe moa)" 50

pretty "conntrack: one ESTABLISHED flow per connection, in home addresses"
rm -f "$STOP"
ip netns exec "${VM[3]}" "$ECHOPROBE" stream 10.99.0.11 5000 "$STOP" 50 >"$OUT/20-s31.txt" 2>&1 &
s31=$!
ip netns exec "${VM[3]}" "$ECHOPROBE" stream fd99::11 5000 "$STOP" 50 >"$OUT/20-s31v6.txt" 2>&1 &
s31v6=$!
ip netns exec "${VM[2]}" "$ECHOPROBE" stream 10.99.0.11 5000 "$STOP" 50 >"$OUT/20-s21.txt" 2>&1 &
s21=$!
sleep 3
flows() { # NS ORIG-SRC ORIG-DST: conntrack entries of streams to port 5000
	ex "$1" conntrack -L -p tcp --orig-src "$2" --orig-dst "$3" --dport 5000 2>/dev/null
}
for h in 1 3; do
	f=$(flows "${HV[h]}" 10.99.0.13 10.99.0.11)
	check_eq "hv$h: vm3 -> vm1 is one flow" "$(grep -c . <<<"$f")" 1
	check_match "hv$h: ... ESTABLISHED, replies as seen from vm1" "$f" \
		"ESTABLISHED src=10.99.0.13 dst=10.99.0.11 .* src=10.99.0.11 dst=10.99.0.13 .*ASSURED"
	f=$(flows "${HV[h]}" fd99::13 fd99::11)
	check_match "hv$h: vm3 -> vm1 over IPv6 ESTABLISHED" "$f" "ESTABLISHED src=fd99::13 dst=fd99::11"
done
check_eq "hv1: no flow was recorded under a MoA" \
	"$(ex "${HV[1]}" conntrack -L 2>/dev/null | grep -c -E '10\.[123]\.1\.|fd00:[123]:1::')" 0

pretty "path MTU through a 1280-byte link (hv3's uplink)"
ip -n "$RT" link set to-hv3 mtu 1280
ip -n "${HV[3]}" link set dev uplink mtu 1280
for fam in v4 v6; do
	check "vm1 -> vm3 $fam: 1 MB echoed through the small link" \
		ex "${VM[1]}" "$ECHOPROBE" bulk "$($fam 3)" 5000 1000000
done
check_ge "hv1 translated ICMP errors from the router" "$(mstat "${HV[1]}" xlat_icmp_inner)" 1
check_ge "hv3 translated its own ICMP errors to vm3" "$(mstat "${HV[3]}" xlat_icmp_inner)" 1
for h in 1 2 3; do
	check_eq "hv$h firewall: no packet judged invalid" "$(counter "${HV[h]}" fw invalid)" 0
	check_eq "hv$h firewall: no translated packet refused" "$(counter "${HV[h]}" fw dropped)" 0
done

pretty "events: what hv1 tells the agent"
ip netns exec "${HV[1]}" "$MOBCTL" -j monitor >"$OUT/20-events.$S" 2>&1 &
mon=$!
sleep 1
mac1=$(ex "${VM[1]}" cat /sys/class/net/eth0/address)
ip -n "${VM[1]}" neigh flush dev eth0
ex "${VM[1]}" ping -c 1 -W 3 10.99.0.12 >/dev/null
ex "${VM[1]}" ping -c 1 -W 3 fd99::12 >/dev/null
check_fails "vm1 -> unbound home address 10.99.0.77 is dropped" \
	ex "${VM[1]}" ping -c 1 -W 1 10.99.0.77
# What a guest sends when its link comes up (and after a migration).
ex "${VM[1]}" sysctl -qw net.ipv4.conf.eth0.arp_notify=1 net.ipv6.conf.eth0.ndisc_notify=1 \
	net.ipv6.conf.eth0.keep_addr_on_down=1
ip -n "${VM[1]}" link set eth0 down
ip -n "${VM[1]}" link set eth0 up
ip -n "${VM[1]}" route replace default via 10.99.0.1
ip -n "${VM[1]}" -6 route replace default via fe80::1 dev eth0
# What QEMU sends after a migration: a RARP request from the VM's MAC.
ex "${VM[1]}" python3 -c '
import socket, sys
mac = bytes.fromhex(sys.argv[1].replace(":", ""))
arp = bytes.fromhex("0001080006040003") + mac + bytes(4) + mac + bytes(4)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
s.send((b"\xff" * 6 + mac + b"\x80\x35" + arp).ljust(60, b"\0"))
' "$mac1"
# A binding nobody uses: replacing a live one would hand a VM packets from
# a MoA it no longer knows (its TCP would answer them with resets).
mobctl -n "${HV[1]}" binding add 10.99.0.50 moa 10.2.1.50 remote
mobctl -n "${HV[1]}" binding replace 10.99.0.50 moa 10.2.1.51 remote
mobctl -n "${HV[1]}" binding del 10.99.0.50
sleep 2
kill "$mon"
wait "$mon" 2>/dev/null
ev() { jq -c "select($1)" "$OUT/20-events.$S" | head -n 1; }
check_match "ARP request from vm1, with its MAC and port" \
	"$(ev '.event == "neigh" and .type == "arp-request" and .target == "10.99.0.12"')" \
	"\"dev\":\"vmport1\".*\"lladdr\":\"$mac1\",\"sender\":\"10.99.0.11\""
check_match "neighbour solicitation from vm1" \
	"$(ev '.event == "neigh" and .type == "ns" and .target == "fd99::12"')" '"sender":"fd99::11"'
check_match "unknown home address reported" \
	"$(ev '.event == "unknown-hoa" and .type == "dst"')" \
	'"src":"10.99.0.11","dst":"10.99.0.77"'
check_match "gratuitous ARP announced" \
	"$(ev '.event == "announce" and .type == "garp"')" '"target":"10.99.0.11"'
check_match "unsolicited neighbour advertisement announced" \
	"$(ev '.event == "announce" and .type == "unsolicited-na" and .target == "fd99::11"')" \
	"\"dev\":\"vmport1\""
check_match "RARP announced with vm1's MAC" \
	"$(ev '.event == "announce" and .type == "rarp"')" "\"lladdr\":\"$mac1\""
check_match "binding add announced" \
	"$(ev '.event == "binding" and .type == "new" and .hoa == "10.99.0.50"')" '"moa":"10.2.1.50"'
check_match "binding replace announced with the previous MoA" \
	"$(ev '.event == "binding" and .moa == "10.2.1.51"')" '"prev":[{]"moa":"10.2.1.50"'
check_match "binding delete announced" \
	"$(ev '.event == "binding" and .type == "del"')" '"hoa":"10.99.0.50"'
check_ge "hv1 counted the unknown-HoA drop" "$(mstat "${HV[1]}" drop_unknown_hoa)" 1

pretty "vm1 moves to hv2 with connections open"
ip -n "${HV[1]}" link set vmport1 netns "${HV[2]}"
setup_port 2 1
check "hv2: vm1 is now local" bind 2 1 local 2 replace
check "hv1: vm1 is now remote" bind 1 1 remote 2 replace
check "hv3: vm1 has a new MoA" bind 3 1 remote 2 replace
sleep 3
check_eq "hv3: still the same single flow" \
	"$(flows "${HV[3]}" 10.99.0.13 10.99.0.11 | grep -c ESTABLISHED)" 1
touch "$STOP"
# wait cannot run inside check's subshell: it only knows this shell's jobs.
wait "$s31"; r31=$?
wait "$s31v6"; r31v6=$?
wait "$s21"; r21=$?
check_eq "vm3 -> vm1 TCP connection survived: $(cat "$OUT/20-s31.txt")" "$r31" 0
check_eq "vm3 -> vm1 IPv6 connection survived: $(cat "$OUT/20-s31v6.txt")" "$r31v6" 0
check_eq "vm2 -> vm1 connection survived, now on one host: $(cat "$OUT/20-s21.txt")" "$r21" 0
check "ext reaches vm1 at its new MoA" ex "$EXT" ping -c 1 -W 3 10.2.1.11
check_fails "the old MoA is gone" ex "$EXT" ping -c 1 -W 1 10.1.1.11
check "vm1 -> vm3 still works" ex "${VM[1]}" "$ECHOPROBE" tcp 10.99.0.13 5000
check_eq "the router still saw no home address" "$(counter "$RT" probe home)" 0

finish
