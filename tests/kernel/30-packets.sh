#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The packet matrix: {IPv4, IPv6} x {TCP, UDP, UDP without checksum, echo,
# ICMP errors quoting TCP and UDP} x {whole, first fragment, later
# fragment} x both directions, plus options, extension headers and
# malformed packets (tests/kernel/vectors.py lists them).  Each packet is
# sent into a hypervisor namespace where the module translates and the
# kernel forwards; it must come out on the other side exactly as scapy
# built it, or, if it is to be dropped, nowhere, with the module's drop
# counter for its reason raised.
#
#   wire ns (mob-wire-PID)     hypervisor ns (mob-hv-PID)       vm ns (mob-vm-PID)
#  +--------------------+   +------------------------------+   +------------------+
#  |               wire0|---|hv-wire     mob        hv-vm |---|vm0               |
#  | no address         |   | forwarding v4+v6, no       |   | no address       |
#  | pktxchg sends the  |   | conntrack (fragments stay  |   | pktxchg sends the|
#  | wire->vm vectors   |   | fragments), static neigh-  |   | vm->wire vectors |
#  | and listens        |   | bours; home /32 and /128   |   | and listens      |
#  +--------------------+   | of the VM -> hv-vm, all    |   +------------------+
#                           | else -> hv-wire            |
#                           +------------------------------+
#
#   bash tests/kernel/30-packets.sh     (from the work tree, module loaded)
#
# Needs build/agent/mobctl, build/labtools/pktxchg and the vector file,
# $MOB_VECTORS or build/lab/vectors.txt, written on the host beforehand by
# "python3 tests/kernel/vectors.py build/lab/vectors.txt" (scapy is slow to
# import under TCG).  Its configuration lines (@prefix, @binding) set up
# the module, so the addresses live in vectors.py alone.
#
# Each vector is one test, and so is each module counter checked at the
# end (it must have risen by exactly what the vectors say).  The last line
# is "RESULT: passed=<n> failed=<m>"; the exit status is non-zero if any
# test failed or the matrix could not be run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
worktree=${MOB_WORKTREE:-$(cd "$here/../.." && pwd -P)}
vectors=${MOB_VECTORS:-$worktree/build/lab/vectors.txt}
mobctl=$worktree/build/agent/mobctl
pktxchg=$worktree/build/labtools/pktxchg
out=${MOB_LAB_OUT:-}
# pktxchg's verdicts, kept for the post-mortem when there is an out dir.
log=
# A vector waits this long for its packet (only a failing one waits it
# out); the run then waits GRACE_MS for any dropped packet that leaks late.
wait_ms=${MOB_PKT_WAIT_MS:-1000}
grace_ms=${MOB_PKT_GRACE_MS:-300}

hv=mob-hv-$$
wire=mob-wire-$$
vm=mob-vm-$$
# Fixed, locally administered MACs: the injected frames are addressed to
# the hypervisor's ports, and the hypervisor's static neighbour entries
# point at the outer ends.
hv_wire_mac=02:6d:6f:62:00:01
wire_mac=02:6d:6f:62:00:02
hv_vm_mac=02:6d:6f:62:00:03
vm_mac=02:6d:6f:62:00:04
# The wire side's next hop; only its neighbour entry matters.
gw4=192.0.2.254
gw6=fe80::2
# Counters the vectors account for; any other rise is a failure too.
counters=(xlat_in xlat_out xlat_icmp_inner drop_unknown_hoa drop_leak
	drop_malformed drop_unsupported drop_nomem)

passed=0
failed=0
reported=0

pretty() { echo "30-packets: $*"; }

report() {
	reported=1
	echo "RESULT: passed=$passed failed=$failed"
}

# The matrix cannot run: say why, count it as a failure, stop.
abort() {
	pretty "FAIL: $*"
	failed=$((failed + 1))
	report
	exit 1
}

# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
	local rc=$?
	ip netns del "$hv" 2>/dev/null || true
	ip netns del "$wire" 2>/dev/null || true
	ip netns del "$vm" 2>/dev/null || true
	[ -z "$log" ] || [ "$log" = "$out/30-packets.log" ] || rm -f "$log"
	# An unexpected error (set -e) still ends with a RESULT line.
	if [ "$reported" -eq 0 ]; then
		pretty "FAIL: aborted by an unexpected error (exit $rc)"
		failed=$((failed + 1))
		report
	fi
}
trap cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# counter JSON KEY: one value from "mobctl -j stats".
counter() {
	local re="\"$2\":[[:space:]]*([0-9]+)"
	[[ $1 =~ $re ]] || abort "mobctl -j stats has no \"$2\": $1"
	echo "${BASH_REMATCH[1]}"
}

# --- what the test needs ----------------------------------------------
[ -s "$vectors" ] || abort "no vector file $vectors: run 'python3 tests/kernel/vectors.py build/lab/vectors.txt' on the host first (make lab does)"
[ -x "$mobctl" ] || abort "no $mobctl: run 'make agent'"
[ -x "$pktxchg" ] || abort "no $pktxchg: run 'make labtools'"
[ -d /sys/module/mob ] || abort "module mob is not loaded: insmod build/${MOB_KVER:-$(uname -r)}/kmod/mob.ko"

# --- topology ---------------------------------------------------------
pretty "kernel ${MOB_KVER:-$(uname -r)}, vectors from $vectors"
ip netns add "$hv"
ip netns add "$wire"
ip netns add "$vm"
ip -n "$hv" link add hv-wire address "$hv_wire_mac" type veth \
	peer name wire0 netns "$wire" address "$wire_mac"
ip -n "$hv" link add hv-vm address "$hv_vm_mac" type veth \
	peer name vm0 netns "$vm" address "$vm_mac"

# The outer ends have no IPv4 address and IPv6 off, so they neither answer
# nor chatter; packet sockets see their frames all the same.
ip netns exec "$wire" sysctl -qw net.ipv6.conf.wire0.disable_ipv6=1
ip netns exec "$vm" sysctl -qw net.ipv6.conf.vm0.disable_ipv6=1
# The hypervisor routes.  Reverse-path filtering and redirects would judge
# or answer the test's deliberately odd packets before the module does;
# DAD would delay nothing but adds frames.
ip netns exec "$hv" sysctl -qw \
	net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
	net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
	net.ipv4.conf.hv-wire.rp_filter=0 net.ipv4.conf.hv-vm.rp_filter=0 \
	net.ipv4.conf.all.send_redirects=0 \
	net.ipv4.conf.hv-wire.send_redirects=0 \
	net.ipv4.conf.hv-vm.send_redirects=0 \
	net.ipv6.conf.hv-wire.accept_dad=0 net.ipv6.conf.hv-vm.accept_dad=0
ip -n "$hv" link set lo up
ip -n "$hv" link set hv-wire up
ip -n "$hv" link set hv-vm up
ip -n "$wire" link set wire0 up
ip -n "$vm" link set vm0 up

# Everything not a local VM's home address goes to the wire.  Static
# neighbours: the hypervisor never sends ARP or ND during the matrix.
ip -n "$hv" -batch - <<EOF
route add default via $gw4 dev hv-wire onlink
neigh replace $gw4 lladdr $wire_mac dev hv-wire nud permanent
route add ::/0 via $gw6 dev hv-wire
neigh replace $gw6 lladdr $wire_mac dev hv-wire nud permanent
EOF

# --- the module's configuration, from the vector file -----------------
# (No process substitution in this script: the guest has no /dev/fd.)
config=$(grep '^@' "$vectors" || true)
n_prefix=0
n_local=0
n_remote=0
while read -r what a b kind _; do
	case "$what" in
	@prefix)
		"$mobctl" -n "$hv" prefix add "$a"
		n_prefix=$((n_prefix + 1))
		;;
	@binding)
		if [ "$kind" = local ]; then
			"$mobctl" -n "$hv" binding add "$a" moa "$b" local dev hv-vm
			case "$a" in
			*:*) len=128 ;;
			*) len=32 ;;
			esac
			ip -n "$hv" route add "$a/$len" dev hv-vm
			ip -n "$hv" neigh replace "$a" lladdr "$vm_mac" dev hv-vm nud permanent
			n_local=$((n_local + 1))
		else
			"$mobctl" -n "$hv" binding add "$a" moa "$b" "$kind"
			n_remote=$((n_remote + 1))
		fi
		;;
	esac
done <<<"$config"
if [ "$n_prefix" -eq 0 ] || [ "$n_local" -eq 0 ] || [ "$n_remote" -eq 0 ]; then
	abort "$vectors configures $n_prefix prefixes, $n_local local and $n_remote remote bindings; want some of each"
fi
pretty "configured $n_prefix home prefixes, $n_local local and $n_remote remote bindings in $hv"

# What each counter must rise by: the vectors' last field, summed.
declare -A want=()
for c in "${counters[@]}"; do
	want[$c]=0
done
n_vectors=0
sums=$(awk '!/^[#@]/ && NF >= 4 {
		n++
		if ($5 != "-" && $5 != "") {
			k = split($5, list, ",")
			for (i = 1; i <= k; i++)
				sum[list[i]]++
		}
	}
	END {
		print "#vectors", n + 0
		for (c in sum)
			print c, sum[c]
	}' "$vectors")
while read -r c n; do
	if [ "$c" = "#vectors" ]; then
		n_vectors=$n
		continue
	fi
	[ -n "${want[$c]+set}" ] || abort "$vectors names a counter \"$c\" this test does not know"
	want[$c]=$n
done <<<"$sums"
[ "$n_vectors" -gt 0 ] || abort "$vectors holds no vector"

before=$("$mobctl" -n "$hv" -j stats)
if [ -n "$out" ] && [ -d "$out" ] && [ -w "$out" ]; then
	log=$out/30-packets.log
else
	log=$(mktemp)
fi

# --- the matrix -------------------------------------------------------
pretty "sending $n_vectors vectors (wait ${wait_ms} ms each at most, ${grace_ms} ms at the end)"
t0=$(now_ms)
rc=0
"$pktxchg" -t "$wait_ms" -g "$grace_ms" "$vectors" \
	"$wire" wire0 "$hv_wire_mac" "$vm" vm0 "$hv_vm_mac" 2>&1 |
	tee "$log" || rc=${PIPESTATUS[0]}
t1=$(now_ms)
n_ok=$(grep -c '^ok ' "$log" || true)
n_fail=$(grep -c '^FAIL ' "$log" || true)
passed=$((passed + n_ok))
failed=$((failed + n_fail))
if [ $((n_ok + n_fail)) -ne "$n_vectors" ]; then
	pretty "FAIL: pktxchg judged $((n_ok + n_fail)) of $n_vectors vectors (exit $rc)"
	failed=$((failed + n_vectors - n_ok - n_fail))
fi
pretty "matrix: $n_vectors vectors in $((t1 - t0)) ms wall, $n_ok ok, $n_fail failed"

# --- the counters -----------------------------------------------------
after=$("$mobctl" -n "$hv" -j stats)
for c in "${counters[@]}"; do
	rose=$(($(counter "$after" "$c") - $(counter "$before" "$c")))
	if [ "$rose" -eq "${want[$c]}" ]; then
		echo "ok counter $c +$rose"
		passed=$((passed + 1))
	else
		echo "FAIL counter $c: rose by $rose, want ${want[$c]}"
		failed=$((failed + 1))
	fi
done
pretty "stats after the matrix: $after"

report
[ "$failed" -eq 0 ]
