#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Smoke check of the lab guest itself, no module involved:
#   tests/lab/run-lab.sh KVER -- tests/lab/smoke.sh
# Two network namespaces joined by a veth pair ping each other, and the
# tools the kernel tests use are present and work; prints how long they
# take under TCG.  Ends with the line run-all.sh counts:
#   MOB-TESTS: kernel=<kver> passed=<n> failed=<m>
set -euo pipefail

kver=$(uname -r)
out=${MOB_LAB_OUT:-}
failed=0

say() { echo "smoke: $*"; }
bad() {
	echo "smoke: FAIL: $*"
	failed=1
}
# Milliseconds since boot, from /proc/uptime (two decimals).
now_ms() {
	local up
	read -r up _ </proc/uptime
	echo $((${up%.*} * 1000 + 10#${up#*.} * 10))
}
timed() { # LABEL CMD...: run CMD, report how long it took
	local label=$1 t0 t1
	shift
	t0=$(now_ms)
	if "$@"; then
		t1=$(now_ms)
		say "$label: ok in $((t1 - t0)) ms"
	else
		bad "$label (exit $?)"
	fi
}

say "kernel $kver, $(nproc) cpus, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"

say "checking that the tools exist"
for t in ip nft conntrack tcpdump ping python3 modprobe; do
	if p=$(command -v "$t"); then
		say "  $t: $p"
	else
		bad "$t not found"
	fi
done

# Module autoloading goes through modprobe over the 9p root, where the
# host's /lib/modules holds every installed kernel's modules.
timed "modprobe nf_conntrack" modprobe nf_conntrack
grep -q '^nf_conntrack ' /proc/modules || bad "nf_conntrack not in /proc/modules"

timed "python3 -c pass (bare start)" python3 -c pass
timed "python3 -c 'import scapy.all' (cold)" python3 -c 'import scapy.all'
timed "python3 -c 'import scapy.all' (warm)" python3 -c 'import scapy.all'

# Two hosts.  192.0.2.0/24 is TEST-NET-1 (RFC 5737): documentation only,
# and the guest has no NIC anyway.
a=smoke-a
b=smoke-b
reported=0
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
	local rc=$?
	ip netns del "$a" 2>/dev/null || true
	ip netns del "$b" 2>/dev/null || true
	# An unexpected error (set -e) still reports a count.
	if [ "$reported" -eq 0 ]; then
		echo "smoke: FAIL: aborted with exit $rc"
		echo "MOB-TESTS: kernel=$kver passed=0 failed=1"
	fi
}
trap cleanup EXIT
timed "ip netns add x2" sh -c "ip netns add $a && ip netns add $b"
timed "veth pair" sh -c "ip link add veth-a netns $a type veth peer name veth-b netns $b"
ip -n "$a" addr add 192.0.2.1/24 dev veth-a
ip -n "$b" addr add 192.0.2.2/24 dev veth-b
for n in "$a" "$b"; do
	ip -n "$n" link set lo up
	ip -n "$n" link set "veth-${n#smoke-}" up
done
timed "ping a->b" ip netns exec "$a" ping -c 3 -i 0.2 -W 2 192.0.2.2
timed "ping b->a" ip netns exec "$b" ping -c 1 -W 2 192.0.2.1

timed "nft table in netns" ip netns exec "$a" nft -f - <<'EOF'
table inet smoke {
	chain out { type filter hook output priority 0; policy accept; counter; }
}
EOF
ip netns exec "$a" nft list ruleset | grep -q counter || bad "nft counter rule missing"
timed "conntrack -L in netns" sh -c "ip netns exec $a conntrack -L >/dev/null 2>&1"

# tcpdump drops to user tcpdump after opening the device; the out share
# belongs to root, so -Z root is needed to write a pcap there.
if [ -n "$out" ] && [ -d "$out" ]; then
	pcap=$out/smoke.pcap
	ip netns exec "$b" timeout 20 tcpdump -Z root -U -n -i veth-b -c 2 -w "$pcap" icmp 2>/dev/null &
	td=$!
	sleep 2
	ip netns exec "$a" ping -c 2 -i 0.2 -W 2 192.0.2.2 >/dev/null
	if wait "$td" && [ -s "$pcap" ]; then
		say "tcpdump wrote $(stat -c %s "$pcap") bytes to $pcap"
	else
		bad "tcpdump capture into $pcap"
	fi
fi

reported=1
if [ "$failed" -eq 0 ]; then
	echo "MOB-TESTS: kernel=$kver passed=1 failed=0"
	exit 0
fi
echo "MOB-TESTS: kernel=$kver passed=0 failed=1"
exit 1
