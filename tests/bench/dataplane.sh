#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Data-plane benchmark of mob.ko, run inside the lab guest:
#
#   tests/bench/run-dataplane.sh KVER                 (host; keeps the JSON)
#   tests/lab/run-lab.sh KVER -- tests/bench/dataplane.sh
#
# Numbers, not a test: nothing here passes or fails on a rate.  It exits
# non-zero only when the set-up is broken (a tool missing, a table that
# does not load, a variant whose packets do not leave as they should), so
# that a broken run cannot print plausible numbers.
#
# What is measured, in one boot:
#   - packets per second forwarded by one "hypervisor" namespace: plain
#     forwarding with the module not loaded and loaded, the module with a
#     home prefix but no matching binding, the module translating with
#     tables of BENCH_SIZES bindings (BENCH_SIZES6 for IPv6), and
#     nftables' stateless NAT with a map of the same sizes; and, for the
#     cost of the module's layout, three empty nftables chains at its
#     hook points, and nftables doing its three lookups there with maps
#     of the same sizes ("nftfull");
#   - kernel memory per binding (and per nft map element) around each
#     table load;
#   - the time to install each table (mobctl -b, nft -f) and to dump the
#     largest ones (mobctl -j binding show, nft list map).
# It prints a table and writes $MOB_LAB_OUT/bench-dataplane.json with
# every raw measurement, medians, ratios, the kernel and the parameters
# (raw files in $MOB_LAB_OUT/bench-dataplane/).
#
# Topology (one hypervisor namespace per variant, so that every table
# stays loaded and all variants can be measured side by side):
#
#   hypervisor namespace "hv-..."
#   pktgen --> vm0 (dummy) --> ip_forward --> up0 (dummy)
#   xmit_mode netif_receive                   counted and freed
#
# - The traffic is what a VM on this hypervisor sends to the world: source
#   HoA 10.96.0.1 (2001:db8:96::1), destination 198.19.0.1
#   (2001:db8:19::1), arriving on the VM's port vm0.  With the module the
#   binding is "local dev vm0" and the source leaves as the MoA 172.16.0.1
#   (2001:db8:172::1): the prerouting hooks look the packet up (it is not
#   for a local MoA, its source is a VM on its port, its destination is no
#   HoA) and postrouting rewrites the source, patching the IP and UDP
#   checksums; that is the lookup + rewrite path every VM packet takes.
#   nftables does the rewrite with one map lookup in postrouting
#   ("ip saddr set ip saddr map @m"); it makes none of the module's other
#   checks (port, home prefix, leak guard).
# - The generator: the lab runs its two vCPUs on one host thread, so a
#   generator on "another CPU" would still take its share of the same
#   host time (tried: pktgen on CPU1 into a veth, RPS to CPU0; no packet
#   was ever dropped, the vCPUs just took turns).  So pktgen runs inside
#   the namespace in xmit_mode netif_receive: it builds each frame and
#   hands it straight to the receive path of vm0, as a NIC driver would,
#   with no device, queue or softirq of its own in between: the cheapest
#   generator the kernel has.  Its remaining cost is measured too: the
#   "gen" variants send frames to another MAC address, which IP drops on
#   arrival (before any netfilter hook), and the net cost of a variant is
#   1/pps - 1/pps(gen), in microseconds of emulated time per packet.
# - The sink is a dummy device: its xmit frees the skb and counts it, so
#   the sink adds nothing to the forwarding path and the count is one the
#   kernel keeps anyway (tx_packets, read without forking from
#   /proc/PID/net/dev of a process that lives in the namespace).
# - pktgen sets flag UDPCSUM on a device with checksum offload: packets
#   are CHECKSUM_PARTIAL, like those a VM sends through virtio/tap.  IPv6
#   frames are 78 bytes, the smallest pktgen makes (headers + its own
#   16-byte payload header); IPv4 frames are 60 bytes (64 with the FCS).
#
# Runs and order (drift under emulation must hit every variant alike):
#   phase 1: the module unloaded vs loaded, BENCH_ROUNDS rounds; each round
#     rmmod, plain forwarding, insmod, then plain (module loaded, nothing
#     configured in that namespace), no-match and 1 binding; the two halves
#     swap order every other round.  No nft table exists yet, so "unloaded"
#     is forwarding with no netfilter hook at all.
#   then every table is loaded (timed, memory measured), the largest are
#     dumped (timed), and each variant is checked once: 100 packets must
#     all leave up0 with the expected source (an nft egress counter).
#   phase 2: every variant, BENCH_ROUNDS rounds, in order A B C... on odd
#     rounds and ...C B A on even ones.
# Each run: pktgen starts, BENCH_WARMUP seconds, then the forwarded count
# over BENCH_SECS seconds.  Results are medians over the rounds; ratios
# are to plain forwarding of the same family measured in the same phase
# (phase 2's "plain" has the module loaded with other namespaces holding
# tables; phase 1 shows what that costs against no module).
#
# Parameters (environment):
#   BENCH_SIZES     IPv4 table sizes        "1 1000 100000 1000000"
#   BENCH_SIZES6    IPv6 table sizes        "1 1000000"
#   BENCH_SECS      seconds counted per run 5
#   BENCH_WARMUP    seconds before counting 0.5
#   BENCH_ROUNDS    rounds per phase        3
#   BENCH_NFT       1: nftables variants    1
#                   (the nftfull ones at 1,000,000 entries need the
#                   guest's memory at 4096 MiB, as run-dataplane.sh sets)
#   BENCH_DUMP      tables dumped: "largest4" (the largest IPv4 ones),
#                   "largest" (and IPv6), "none"               largest4
#                   (nft lists 1M elements in minutes under emulation)
#   BENCH_DUMP_TIMEOUT  seconds before a dump is cut (recorded)   300
# A short run: BENCH_SIZES="1 1000 10000" BENCH_SIZES6="1 10000"
# BENCH_SECS=1 (about 4 minutes).
set -uo pipefail

# One brace group, ended by exit: bash parses it whole before running it.
{
W=${MOB_WORKTREE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
KVER=$(uname -r)
OUTDIR=${MOB_LAB_OUT:-$W/build/bench}
RAW=$OUTDIR/bench-dataplane
JSON=$OUTDIR/bench-dataplane.json
MOBCTL=$W/build/agent/mobctl
MODULE=$W/build/$KVER/kmod/mob.ko
TMP=/tmp/bench-dataplane

SIZES=${BENCH_SIZES:-1 1000 100000 1000000}
SIZES6=${BENCH_SIZES6:-1 1000000}
SECS=${BENCH_SECS:-5}
WARMUP=${BENCH_WARMUP:-0.5}
ROUNDS=${BENCH_ROUNDS:-3}
NFT=${BENCH_NFT:-1}
DUMP=${BENCH_DUMP:-largest4}
DUMP_TIMEOUT=${BENCH_DUMP_TIMEOUT:-300}
# Frame sizes without FCS.  IPv6 cannot be smaller than 78 (headers and
# pktgen's 16-byte payload header); asked for less, pktgen enlarges each
# frame itself, with a rate-limited log call per packet.
PKT_SIZE=60 PKT_SIZE6=78

START=$SECONDS
log() { printf 'bench: [%4ds] %s\n' "$((SECONDS - START))" "$*"; }
die() {
	log "FAIL: $*"
	exit 1
}

# --- parameters -------------------------------------------------------
num() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
for s in $SIZES $SIZES6; do
	# HoAs come from 10.96.0.0/11 and MoAs from 172.16.0.0/12: 2^20 - 1.
	if ! [[ $s =~ ^[1-9][0-9]*$ ]] || [ "$s" -gt 1048575 ]; then
		die "table size '$s': want 1..1048575"
	fi
done
num "$SECS" || die "BENCH_SECS wants seconds"
num "$WARMUP" || die "BENCH_WARMUP wants seconds"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS wants a count"
case "$DUMP" in largest | largest4 | none) ;; *) die "BENCH_DUMP: largest, largest4 or none" ;; esac
# Sorted, unique, and always with 1: phase 1 uses the 1-binding tables.
sort_sizes() { printf '%s\n' 1 "$@" | sort -n -u | tr '\n' ' '; }
# shellcheck disable=SC2086 # word splitting wanted
SIZES=$(sort_sizes $SIZES)
# shellcheck disable=SC2086
SIZES6=$(sort_sizes $SIZES6)
LARGEST4=${SIZES% }
LARGEST4=${LARGEST4##* }
LARGEST6=${SIZES6% }
LARGEST6=${LARGEST6##* }

[ -x "$MOBCTL" ] || die "no $MOBCTL: make agent"
[ -f "$MODULE" ] || die "no $MODULE: make modules"
for t in nft jq awk ip modprobe insmod rmmod; do
	command -v "$t" >/dev/null || die "$t not found"
done
mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"
rm -rf "$RAW" "$JSON" "$TMP"
mkdir -p "$RAW" "$TMP" || die "cannot create $RAW"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null

ncpu=$(nproc)
log "kernel $KVER, $ncpu cpus, $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) MB;" \
	"sizes v4: $SIZES v6: $SIZES6; ${SECS}s x $ROUNDS rounds; nft=$NFT"

modprobe pktgen || die "modprobe pktgen"
modprobe dummy numdummies=0 || die "modprobe dummy"
! grep -q '^mob ' /proc/modules || rmmod mob || die "mob is loaded and will not unload"

# --- namespaces -------------------------------------------------------
# Per namespace: the MAC of vm0 (pktgen's destination: the frame must be
# for this host) and the pid of a process living in it, whose
# /proc/PID/net/ is the namespace's: its counters and its pktgen.
declare -A NS_MAC=() NS_PID=()
HOLDERS=()
nidx=0
OTHER_MAC=02:00:00:00:ff:fe

add_hv() { # NAME
	local ns=$1 mac
	nidx=$((nidx + 1))
	mac=$(printf '02:00:00:01:%02x:%02x' $((nidx / 256)) $((nidx % 256)))
	ip netns add "$ns" &&
		ip -n "$ns" link set lo up &&
		ip -n "$ns" link add vm0 address "$mac" type dummy &&
		ip -n "$ns" link add up0 type dummy &&
		ip -n "$ns" link set vm0 up &&
		ip -n "$ns" link set up0 up || return 1
	# rp_filter would want a route back to the source; the routes are
	# there, but a hypervisor does not filter here either.
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.vm0.rp_filter=0 || return 1
	ip -n "$ns" route add 198.19.0.0/16 dev up0 &&
		ip -n "$ns" route add 10.96.0.0/11 dev vm0 &&
		ip -n "$ns" route add 198.18.0.0/16 dev vm0 &&
		ip -n "$ns" -6 route add 2001:db8:19::/48 dev up0 &&
		ip -n "$ns" -6 route add 2001:db8:96::/48 dev vm0 || return 1
	ip netns exec "$ns" sleep 1000000 &
	NS_PID[$ns]=$!
	HOLDERS+=("$!")
	NS_MAC[$ns]=$mac
	# pktgen made its threads when the namespace was born.
	for ((i = 0; i < 50; i++)); do
		[ -e "/proc/$!/net/pktgen/kpktgend_0" ] && return 0
		sleep 0.1
	done
	return 1
}

# shellcheck disable=SC2317 # called through the trap
cleanup() {
	local p
	for p in "${HOLDERS[@]}"; do kill "$p" 2>/dev/null; done
	# The namespaces and their tables go with the guest: freeing two
	# million bindings and map elements would only spend emulated time.
}
trap cleanup EXIT

# --- variants ---------------------------------------------------------
# Each variant: a namespace and the packets pktgen sends into it.
declare -A V_NS=() V_FAM=() V_SRC=() V_KIND=() V_SIZE=() V_EXPECT=() V_DESC=() V_DMAC=()
P1=() # phase 1, loaded half
P2=() # phase 2
defvar() { # NAME NS FAM KIND SIZE SRC EXPECTED-SRC-AT-EGRESS DESCRIPTION
	V_NS[$1]=$2 V_FAM[$1]=$3 V_KIND[$1]=$4 V_SIZE[$1]=$5 V_SRC[$1]=$6
	V_EXPECT[$1]=$7 V_DESC[$1]=$8
}
HOA4=10.96.0.1 MOA4=172.16.0.1 HOA6=2001:db8:96::1 MOA6=2001:db8:172::1
# The generator alone: frames for another MAC, dropped by IP on arrival.
defvar gen4 hv-plain 4 gen 0 $HOA4 - "pktgen + receive only (dropped on arrival)"
defvar gen6 hv-plain 6 gen 0 $HOA6 - "pktgen + receive only (dropped on arrival)"
V_DMAC[gen4]=$OTHER_MAC V_DMAC[gen6]=$OTHER_MAC
defvar plain4 hv-plain 4 plain 0 $HOA4 $HOA4 "plain forwarding"
defvar plain6 hv-plain 6 plain 0 $HOA6 $HOA6 "plain forwarding"
# The same namespaces with the module unloaded (phase 1 only).
defvar plain4-nomod hv-plain 4 plain 0 $HOA4 $HOA4 "plain forwarding, module not loaded"
defvar plain6-nomod hv-plain 6 plain 0 $HOA6 $HOA6 "plain forwarding, module not loaded"
# A host behind the hypervisor, not a VM: the hooks run, nothing matches.
defvar nomatch4 hv-mob4-1 4 nomatch 1 198.18.0.1 198.18.0.1 "module, prefix + 1 binding, not matching"
for n in $SIZES; do
	defvar "mob4-$n" "hv-mob4-$n" 4 mob "$n" $HOA4 $MOA4 "module, $n bindings"
	[ "$NFT" = 1 ] && defvar "nft4-$n" "hv-nft4-$n" 4 nft "$n" $HOA4 $MOA4 "nftables map, $n elements"
done
for n in $SIZES6; do
	defvar "mob6-$n" "hv-mob6-$n" 6 mob "$n" $HOA6 $MOA6 "module, $n bindings"
	[ "$NFT" = 1 ] && defvar "nft6-$n" "hv-nft6-$n" 6 nft "$n" $HOA6 $MOA6 "nftables map, $n elements"
done
# What netfilter itself costs with the module's layout: three empty
# chains at its hook points (prerouting before conntrack and at dstnat,
# postrouting at srcnat); and nftables doing the module's three lookups
# and rewrites there, with a MoA -> HoA map and a HoA -> MoA map of the
# table's size (the module's two tables), not only the source rewrite.
if [ "$NFT" = 1 ]; then
	defvar hooks4 hv-hooks4 4 hooks 0 $HOA4 $HOA4 "3 empty nft chains at the module's hooks"
	defvar hooks6 hv-hooks6 6 hooks 0 $HOA6 $HOA6 "3 empty nft chains at the module's hooks"
	for n in $SIZES; do
		defvar "nftfull4-$n" "hv-nftfull4-$n" 4 nftfull "$n" $HOA4 $MOA4 "nftables, the module's 3 lookups (maps)"
	done
	for n in $SIZES6; do
		defvar "nftfull6-$n" "hv-nftfull6-$n" 6 nftfull "$n" $HOA6 $MOA6 "nftables, the module's 3 lookups (maps)"
	done
fi
P1=(plain4 plain6 nomatch4 mob4-1 mob6-1)
P2=(gen4 plain4 nomatch4)
if [ "$NFT" = 1 ]; then P2+=(hooks4); fi
for n in $SIZES; do P2+=("mob4-$n"); done
if [ "$NFT" = 1 ]; then for n in $SIZES; do P2+=("nft4-$n" "nftfull4-$n"); done; fi
P2+=(gen6 plain6)
if [ "$NFT" = 1 ]; then P2+=(hooks6); fi
for n in $SIZES6; do P2+=("mob6-$n"); done
if [ "$NFT" = 1 ]; then for n in $SIZES6; do P2+=("nft6-$n" "nftfull6-$n"); done; fi

# Written now so the JSON keeps the table's order.
for v in plain4-nomod plain6-nomod "${P2[@]}"; do
	printf '{"variant":"%s","namespace":"%s","family":%s,"kind":"%s","size":%s,"source":"%s","expected_source":"%s","description":"%s"}\n' \
		"$v" "${V_NS[$v]}" "${V_FAM[$v]}" "${V_KIND[$v]}" "${V_SIZE[$v]}" \
		"${V_SRC[$v]}" "${V_EXPECT[$v]}" "${V_DESC[$v]}"
done >"$RAW/variants.jsonl"

log "creating namespaces"
declare -A seen=()
for v in "${P2[@]}"; do
	ns=${V_NS[$v]}
	[ -z "${seen[$ns]:-}" ] || continue
	seen[$ns]=1
	add_hv "$ns" || die "cannot set up namespace $ns"
done

# --- counters ---------------------------------------------------------
# Reads a namespace's counters with builtins only (no fork: the time stamp
# is taken right at the read).  Sets S_TX (up0 tx_packets), S_GEN
# (packets pktgen made), S_T (microseconds).
sample() { # NS
	local line
	local -a f
	S_TX='' S_GEN=''
	while read -r line; do
		case "$line" in
		up0:*)
			read -r -a f <<<"${line#up0:}"
			S_TX=${f[9]}
			;;
		esac
	done <"/proc/${NS_PID[$1]}/net/dev"
	while read -r line; do
		if [[ $line =~ ^pkts-sofar:\ ([0-9]+) ]]; then
			S_GEN=${BASH_REMATCH[1]}
		fi
	done <"/proc/${NS_PID[$1]}/net/pktgen/vm0"
	S_T=${EPOCHREALTIME/./}
	[ -n "$S_TX" ] && [ -n "$S_GEN" ]
}

# --- pktgen -----------------------------------------------------------
# pktgen is per namespace; its files are reached through /proc/PID/net of
# the namespace's holder process.  Only pgctrl acts on the writer's own
# namespace, so start and stop run inside it.
pgw() { # NS FILE COMMAND
	echo "$3" >"/proc/${NS_PID[$1]}/net/pktgen/$2" 2>/dev/null ||
		die "pktgen in $1: $2: '$3' refused"
}
pgctrl() { # NS start|stop
	ip netns exec "$1" sh -c "echo $2 >/proc/net/pktgen/pgctrl"
}

# Sets vm0 of the variant's namespace up for COUNT packets (0: until
# stopped).
pg_setup() { # VARIANT COUNT
	local v=$1 ns=${V_NS[$1]} i
	pgw "$ns" kpktgend_0 rem_device_all
	# The thread removes it later: wait, or vm0 cannot be added again.
	for ((i = 0; i < 50; i++)); do
		[ -e "/proc/${NS_PID[$ns]}/net/pktgen/vm0" ] || break
		sleep 0.1
	done
	pgw "$ns" kpktgend_0 "add_device vm0"
	[ -e "/proc/${NS_PID[$ns]}/net/pktgen/vm0" ] || die "pktgen did not take vm0 in $ns"
	pgw "$ns" vm0 "xmit_mode netif_receive"
	pgw "$ns" vm0 "count $2"
	pgw "$ns" vm0 "clone_skb 0" # a new frame each time: the stack rewrites it
	pgw "$ns" vm0 "burst 1"
	if [ "${V_FAM[$v]}" = 4 ]; then
		pgw "$ns" vm0 "pkt_size $PKT_SIZE"
	else
		pgw "$ns" vm0 "pkt_size $PKT_SIZE6"
	fi
	pgw "$ns" vm0 "delay 0"
	pgw "$ns" vm0 "dst_mac ${V_DMAC[$v]:-${NS_MAC[$ns]}}"
	pgw "$ns" vm0 "flag UDPCSUM"
	pgw "$ns" vm0 "flag NO_TIMESTAMP"
	pgw "$ns" vm0 "udp_src_min 9"
	pgw "$ns" vm0 "udp_src_max 9"
	pgw "$ns" vm0 "udp_dst_min 9"
	pgw "$ns" vm0 "udp_dst_max 9"
	if [ "${V_FAM[$v]}" = 4 ]; then
		pgw "$ns" vm0 "dst_min 198.19.0.1"
		pgw "$ns" vm0 "dst_max 198.19.0.1"
		pgw "$ns" vm0 "src_min ${V_SRC[$v]}"
		pgw "$ns" vm0 "src_max ${V_SRC[$v]}"
	else
		pgw "$ns" vm0 "dst6 2001:db8:19::1"
		pgw "$ns" vm0 "src6 ${V_SRC[$v]}"
	fi
}

mob_xlat_out() { # NS
	"$MOBCTL" -n "$1" -j stats | jq -r '.xlat_out // 0'
}

# One timed run of variant V; appends a line to runs.jsonl.  The rate is
# of forwarded packets (up0), or of generated ones for "gen".
measure() { # PHASE ROUND VARIANT
	local ph=$1 r=$2 v=$3 ns=${V_NS[$3]} pg x0=0 x1=0 c0 t0 g0 c1 t1 g1 a0 a1 pps
	pg_setup "$v" 0
	if [ "${V_KIND[$v]}" = mob ]; then x0=$(mob_xlat_out "$ns"); fi
	sample "$ns" || die "no counters in $ns"
	a0=$S_TX
	# pgctrl's start returns only when pktgen stops.
	pgctrl "$ns" start &
	pg=$!
	sleep "$WARMUP"
	sample "$ns"
	c0=$S_TX t0=$S_T g0=$S_GEN
	sleep "$SECS"
	sample "$ns"
	c1=$S_TX t1=$S_T g1=$S_GEN
	pgctrl "$ns" stop
	wait "$pg"
	sample "$ns"
	a1=$S_TX
	if [ "${V_KIND[$v]}" = mob ]; then x1=$(mob_xlat_out "$ns"); fi
	[ "$t1" -gt "$t0" ] || die "$v: clock did not advance"
	if [ "${V_KIND[$v]}" = gen ]; then
		pps=$(((g1 - g0) * 1000000 / (t1 - t0)))
	else
		pps=$(((c1 - c0) * 1000000 / (t1 - t0)))
	fi
	[ "$pps" -gt 0 ] || die "$v: nothing was forwarded"
	log "phase $ph round $r $(printf '%-14s %9d' "$v" "$pps") pps" \
		"(made $((g1 - g0)), forwarded $((c1 - c0)) in $(((t1 - t0) / 1000)) ms)"
	printf '{"phase":%d,"round":%d,"variant":"%s","pps":%d,"usec":%d,"generated":%d,"forwarded":%d,"forwarded_total":%d,"mob_xlat_out":%d}\n' \
		"$ph" "$r" "$v" "$pps" $((t1 - t0)) $((g1 - g0)) $((c1 - c0)) \
		$((a1 - a0)) $((x1 - x0)) >>"$RAW/runs.jsonl"
}

# --- tables -----------------------------------------------------------
# Address i (1..N) of each space; i = 1 is the VM that sends the traffic.
# HoA 10.96.0.0/11 + i -> MoA 172.16.0.0/12 + i; IPv6 the same in
# 2001:db8:96::/48 -> 2001:db8:172::/48.
ADDR_AWK='
function hoa(i) {
	if (fam == 4)
		return sprintf("10.%d.%d.%d", 96 + int(i / 65536), int(i / 256) % 256, i % 256)
	return sprintf("2001:db8:96::%x:%x", int(i / 65536), i % 65536)
}
function moa(i) {
	if (fam == 4)
		return sprintf("172.%d.%d.%d", 16 + int(i / 65536), int(i / 256) % 256, i % 256)
	return sprintf("2001:db8:172::%x:%x", int(i / 65536), i % 65536)
}'

mob_batch() { # FAM N FILE: the binding of the VM, then N-1 remote ones
	awk -v fam="$1" -v n="$2" "$ADDR_AWK"'
	BEGIN {
		printf "binding add %s moa %s local dev vm0\n", hoa(1), moa(1)
		for (i = 2; i <= n; i++)
			printf "binding add %s moa %s remote\n", hoa(i), moa(i)
	}' >"$3"
}

# One transaction (one nft -f) with "add element" lines of 10000 elements:
# faster to parse than one giant "elements = { }" block.  Map m of the
# nft variants by default; TABLE and MAP name another, and "moa" as KEY
# makes it MoA -> HoA.
nft_batch() { # FAM N FILE [TABLE MAP [KEY]]
	local tbl="ip mobbench"
	[ "$1" = 6 ] && tbl="ip6 mobbench6"
	awk -v fam="$1" -v n="$2" -v tbl="${4:-$tbl}" -v map="${5:-m}" \
		-v key="${6:-hoa}" "$ADDR_AWK"'
	BEGIN {
		for (i = 1; i <= n; i++) {
			if ((i - 1) % 10000 == 0)
				printf "add element %s %s { ", tbl, map
			else
				printf ", "
			if (key == "moa")
				printf "%s : %s", moa(i), hoa(i)
			else
				printf "%s : %s", hoa(i), moa(i)
			if (i % 10000 == 0 || i == n)
				printf " }\n"
		}
	}' >"$3"
}

mob_setup_ns() { # NS FAM N: the namespace settings a table needs
	local max=65536
	[ "$3" -le "$max" ] || max=$3
	"$MOBCTL" -n "$1" config set max-bindings "$max" &&
		if [ "$2" = 4 ]; then
			"$MOBCTL" -n "$1" prefix add 10.96.0.0/11
		else
			"$MOBCTL" -n "$1" prefix add 2001:db8:96::/48
		fi
}

nft_setup_ns() { # NS FAM
	if [ "$2" = 4 ]; then
		ip netns exec "$1" nft -f - <<-'EOF'
			table ip mobbench {
				map m { type ipv4_addr : ipv4_addr; }
				chain post {
					type filter hook postrouting priority 100; policy accept;
					ip saddr set ip saddr map @m
				}
			}
		EOF
	else
		ip netns exec "$1" nft -f - <<-'EOF'
			table ip6 mobbench6 {
				map m { type ipv6_addr : ipv6_addr; }
				chain post {
					type filter hook postrouting priority 100; policy accept;
					ip6 saddr set ip6 saddr map @m
				}
			}
		EOF
	fi
}

# hooks4 and hooks6 (see the variants).
nft_hooks_setup() {
	local fam tbl
	for fam in 4 6; do
		tbl="ip mobhooks"
		[ "$fam" = 6 ] && tbl="ip6 mobhooks6"
		ip netns exec "hv-hooks$fam" nft -f - <<-EOF || return 1
			table $tbl {
				chain pre_in { type filter hook prerouting priority -201; policy accept; }
				chain pre_out { type filter hook prerouting priority -100; policy accept; }
				chain post { type filter hook postrouting priority 100; policy accept; }
			}
		EOF
	done
}

# An nftfull variant's table, empty: the module's three hook points, where
# the first rewrites a MoA destination to its HoA (map "in", the module's
# by-MoA table), the second a HoA destination to its MoA and the third a
# HoA source to its MoA (both map "m", its by-HoA table).  The packets
# measured go to the world: the first two look up and rewrite nothing.
nftfull_table() { # FAM
	if [ "$1" = 6 ]; then echo "ip6 mobfull6"; else echo "ip mobfull"; fi
}
nftfull_setup_ns() { # NS FAM
	local tbl t=ipv4_addr ip=ip
	tbl=$(nftfull_table "$2")
	if [ "$2" = 6 ]; then
		t=ipv6_addr ip=ip6
	fi
	ip netns exec "$1" nft -f - <<-EOF
		table $tbl {
			map in { type $t : $t; }
			map m { type $t : $t; }
			chain pre_in {
				type filter hook prerouting priority -201; policy accept;
				$ip daddr set $ip daddr map @in
			}
			chain pre_out {
				type filter hook prerouting priority -100; policy accept;
				$ip daddr set $ip daddr map @m
			}
			chain post {
				type filter hook postrouting priority 100; policy accept;
				$ip saddr set $ip saddr map @m
			}
		}
	EOF
}

# /proc/meminfo and the mob_binding cache, as one JSON object.
mem_snap() {
	local k v
	local -a f
	local -A mi=()
	local slab='null'
	while read -r k v _; do mi[${k%:}]=$v; done </proc/meminfo
	# name active num objsize objperslab pagesperslab : tunables a b c
	# : slabdata active_slabs num_slabs shared
	while read -r -a f; do
		[ "${f[0]}" = mob_binding ] || continue
		slab=$(printf '{"active_objs":%s,"num_objs":%s,"objsize":%s,"objperslab":%s,"pagesperslab":%s,"active_slabs":%s,"num_slabs":%s}' \
			"${f[1]}" "${f[2]}" "${f[3]}" "${f[4]}" "${f[5]}" "${f[13]}" "${f[14]}")
	done </proc/slabinfo
	printf '{"MemFree_kB":%s,"Slab_kB":%s,"SReclaimable_kB":%s,"SUnreclaim_kB":%s,"VmallocUsed_kB":%s,"Percpu_kB":%s,"mob_binding":%s}' \
		"${mi[MemFree]}" "${mi[Slab]}" "${mi[SReclaimable]}" "${mi[SUnreclaim]}" \
		"${mi[VmallocUsed]:-0}" "${mi[Percpu]:-0}" "$slab"
}

# Loads one table, timed, with memory snapshots around it.  The batch is
# written first; rhashtable resizes run in a worker and free the old
# bucket arrays after a grace period, so the "after" snapshot waits a
# little.
# nftfull loads its two maps in two transactions (one would need twice
# the memory nft -f takes for a million elements); N entries there are N
# in each map, as a binding is in both of the module's tables.
load_table() { # mob|nft|nftfull FAM N
	local what=$1 fam=$2 n=$3 ns file file2 tbl before after t0 t1 rc
	ns=hv-$what$fam-$n
	file=$TMP/$what$fam-$n.txt
	file2=$TMP/$what$fam-$n-in.txt
	case $what in
	mob)
		mob_batch "$fam" "$n" "$file" || die "cannot write $file"
		mob_setup_ns "$ns" "$fam" "$n" || die "$ns: mobctl config/prefix failed"
		;;
	nft)
		nft_batch "$fam" "$n" "$file" || die "cannot write $file"
		nft_setup_ns "$ns" "$fam" || die "$ns: nft table failed"
		;;
	nftfull)
		tbl=$(nftfull_table "$fam")
		nft_batch "$fam" "$n" "$file" "$tbl" m hoa || die "cannot write $file"
		nft_batch "$fam" "$n" "$file2" "$tbl" in moa || die "cannot write $file2"
		nftfull_setup_ns "$ns" "$fam" || die "$ns: nft table failed"
		;;
	esac
	sleep 1
	before=$(mem_snap)
	t0=${EPOCHREALTIME/./}
	case $what in
	mob) "$MOBCTL" -n "$ns" -b "$file" ;;
	nft) ip netns exec "$ns" nft -f "$file" ;;
	nftfull) ip netns exec "$ns" nft -f "$file" &&
		ip netns exec "$ns" nft -f "$file2" ;;
	esac
	rc=$?
	t1=${EPOCHREALTIME/./}
	[ "$rc" = 0 ] || die "loading $n entries into $ns failed"
	sleep 2
	after=$(mem_snap)
	# Only now: the file is in tmpfs, and MemFree would see it go.
	rm -f "$file" "$file2"
	log "loaded $what IPv$fam $n entries in $(((t1 - t0) / 1000)) ms" \
		"($((n * 1000000 / (t1 - t0))) per s)"
	printf '{"what":"%s","family":%d,"size":%d,"usec":%d,"before":%s,"after":%s}\n' \
		"$what" "$fam" "$n" $((t1 - t0)) "$before" "$after" >>"$RAW/install.jsonl"
}

# Configures the 1-binding namespaces (again after each insmod).
mob_small() {
	local fam
	for fam in 4 6; do
		if ! mob_batch "$fam" 1 "$TMP/one$fam.txt" ||
			! mob_setup_ns "hv-mob$fam-1" "$fam" 1 ||
			! "$MOBCTL" -n "hv-mob$fam-1" -b "$TMP/one$fam.txt"; then
			die "cannot configure hv-mob$fam-1"
		fi
	done
}

mob_load() {
	insmod "$MODULE" || die "insmod $MODULE"
}
mob_unload() {
	rmmod mob || die "rmmod mob"
}

# --- phase 1: the module unloaded and loaded --------------------------
log "phase 1: module unloaded vs loaded, $ROUNDS rounds"
p1_unloaded() {
	grep -q '^mob ' /proc/modules && mob_unload
	measure 1 "$1" plain4-nomod
	measure 1 "$1" plain6-nomod
}
p1_loaded() {
	local v
	local -a order=("${P1[@]}")
	if ! grep -q '^mob ' /proc/modules; then
		mob_load
		mob_small
	fi
	if (($1 % 2 == 0)); then
		order=()
		for ((i = ${#P1[@]} - 1; i >= 0; i--)); do order+=("${P1[$i]}"); done
	fi
	for v in "${order[@]}"; do measure 1 "$1" "$v"; done
}
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then
		p1_unloaded "$r"
		p1_loaded "$r"
	else
		p1_loaded "$r"
		p1_unloaded "$r"
	fi
done
if ! grep -q '^mob ' /proc/modules; then
	mob_load
	mob_small
fi
P1_END=$SECONDS

# --- tables: install rate, memory, dump -------------------------------
log "loading tables"
for n in $SIZES; do
	[ "$n" = 1 ] || load_table mob 4 "$n"
done
for n in $SIZES6; do
	[ "$n" = 1 ] || load_table mob 6 "$n"
done
if [ "$NFT" = 1 ]; then
	for n in $SIZES; do load_table nft 4 "$n"; done
	for n in $SIZES6; do load_table nft 6 "$n"; done
	for n in $SIZES; do load_table nftfull 4 "$n"; done
	for n in $SIZES6; do load_table nftfull 6 "$n"; done
	nft_hooks_setup || die "hv-hooks4/hv-hooks6: nft tables failed"
fi
# Every table must hold what was loaded.
for n in $SIZES; do
	got=$("$MOBCTL" -n "hv-mob4-$n" -j stats | jq '.bindings_local + .bindings_remote')
	[ "$got" = "$n" ] || die "hv-mob4-$n holds $got bindings, not $n"
done
for n in $SIZES6; do
	got=$("$MOBCTL" -n "hv-mob6-$n" -j stats | jq '.bindings_local + .bindings_remote')
	[ "$got" = "$n" ] || die "hv-mob6-$n holds $got bindings, not $n"
done
LOAD_END=$SECONDS

dump_one() { # mob|nft FAM N
	local what=$1 fam=$2 n=$3 ns t0 t1 rc
	ns=hv-$what$fam-$n
	t0=${EPOCHREALTIME/./}
	if [ "$what" = mob ]; then
		timeout "$DUMP_TIMEOUT" "$MOBCTL" -n "$ns" -j binding show >/dev/null
	elif [ "$fam" = 4 ]; then
		timeout "$DUMP_TIMEOUT" ip netns exec "$ns" nft list map ip mobbench m >/dev/null
	else
		timeout "$DUMP_TIMEOUT" ip netns exec "$ns" nft list map ip6 mobbench6 m >/dev/null
	fi
	rc=$?
	t1=${EPOCHREALTIME/./}
	[ "$rc" = 0 ] || [ "$rc" = 124 ] || die "dumping $ns failed ($rc)"
	log "dumped $what IPv$fam $n entries in $(((t1 - t0) / 1000)) ms$([ "$rc" = 124 ] && echo ", CUT after ${DUMP_TIMEOUT}s")"
	printf '{"what":"%s","family":%d,"size":%d,"usec":%d,"timed_out":%s}\n' \
		"$what" "$fam" "$n" $((t1 - t0)) "$([ "$rc" = 124 ] && echo true || echo false)" \
		>>"$RAW/dump.jsonl"
}
if [ "$DUMP" != none ]; then
	log "dumping the largest tables"
	dump_one mob 4 "$LARGEST4"
	[ "$NFT" = 1 ] && dump_one nft 4 "$LARGEST4"
	if [ "$DUMP" = largest ]; then
		dump_one mob 6 "$LARGEST6"
		[ "$NFT" = 1 ] && dump_one nft 6 "$LARGEST6"
	fi
fi
: >>"$RAW/dump.jsonl"
DUMP_END=$SECONDS

# --- every variant does what it says ----------------------------------
# 100 packets through each; an egress counter on up0 must see every one
# of them leave with the expected source, and none with another.
log "checking every variant (100 packets each)"
for v in "${P2[@]}"; do
	[ "${V_KIND[$v]}" != gen ] || continue
	ns=${V_NS[$v]}
	if [ "${V_FAM[$v]}" = 4 ]; then
		match="ip saddr ${V_EXPECT[$v]}" all="ip daddr 198.19.0.1"
	else
		match="ip6 saddr ${V_EXPECT[$v]}" all="ip6 daddr 2001:db8:19::1"
	fi
	ip netns exec "$ns" nft -f - <<-EOF || die "$ns: egress counter"
		table netdev mobcheck {
			counter ok { }
			counter total { }
			chain e {
				type filter hook egress device "up0" priority 0;
				$all counter name "total"
				$match counter name "ok"
			}
		}
	EOF
	pg_setup "$v" 100
	timeout 120 ip netns exec "$ns" sh -c 'echo start >/proc/net/pktgen/pgctrl' ||
		die "$v: pktgen did not finish"
	sleep 0.5
	counts=$(ip netns exec "$ns" nft -j list table netdev mobcheck |
		jq -r '[.nftables[] | select(.counter) | {(.counter.name): .counter.packets}] | add | "\(.ok) \(.total)"')
	ip netns exec "$ns" nft delete table netdev mobcheck
	read -r ok all <<<"$counts"
	printf '{"variant":"%s","sent":100,"left_with_expected_source":%s,"left_total":%s}\n' \
		"$v" "${ok:-0}" "${all:-0}" >>"$RAW/checks.jsonl"
	if [ "${ok:-0}" -lt 95 ] || [ "$ok" != "$all" ]; then
		die "$v: of 100 packets, $all left up0 and $ok with source ${V_EXPECT[$v]}"
	fi
done
CHECK_END=$SECONDS

# --- phase 2: every variant, interleaved ------------------------------
log "phase 2: ${#P2[@]} variants, $ROUNDS rounds"
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then
		for v in "${P2[@]}"; do measure 2 "$r" "$v"; done
	else
		for ((i = ${#P2[@]} - 1; i >= 0; i--)); do measure 2 "$r" "${P2[$i]}"; done
	fi
done
P2_END=$SECONDS

# --- report -----------------------------------------------------------
params=$(jq -n --arg sizes "$SIZES" --arg sizes6 "$SIZES6" --arg secs "$SECS" \
	--arg warmup "$WARMUP" --arg rounds "$ROUNDS" --arg nft "$NFT" \
	--arg dump "$DUMP" --arg pkt "$PKT_SIZE" --arg pkt6 "$PKT_SIZE6" '{
	sizes: ($sizes | split(" ") | map(select(. != "") | tonumber)),
	sizes6: ($sizes6 | split(" ") | map(select(. != "") | tonumber)),
	run_seconds: ($secs | tonumber), warmup_seconds: ($warmup | tonumber),
	rounds: ($rounds | tonumber), nft: ($nft == "1"), dump: $dump,
	generator: "pktgen xmit_mode netif_receive into vm0 (dummy) in the namespace, clone_skb 0, UDPCSUM, NO_TIMESTAMP",
	sink: "up0 (dummy), tx_packets",
	pkt_size_ipv4: ($pkt | tonumber), pkt_size_ipv6: ($pkt6 | tonumber),
	path: "VM -> world: source HoA -> MoA (local binding dev vm0), postrouting; nft: ip saddr set ip saddr map @m in a postrouting filter chain"}')
timing=$(printf '{"total_seconds":%d,"phase1_seconds":%d,"load_seconds":%d,"dump_seconds":%d,"check_seconds":%d,"phase2_seconds":%d}' \
	$((P2_END - START)) $((P1_END - START)) $((LOAD_END - P1_END)) \
	$((DUMP_END - LOAD_END)) $((CHECK_END - DUMP_END)) $((P2_END - CHECK_END)))

jq -n --slurpfile variants "$RAW/variants.jsonl" --slurpfile runs "$RAW/runs.jsonl" \
	--slurpfile install "$RAW/install.jsonl" --slurpfile dump "$RAW/dump.jsonl" \
	--slurpfile checks "$RAW/checks.jsonl" --argjson params "$params" \
	--argjson timing "$timing" --arg kernel "$KVER" --arg version "$(cat /proc/version)" \
	--arg cpus "$ncpu" --arg mem "$(awk '/MemTotal/ {print $2}' /proc/meminfo)" '
def median: sort | if length == 0 then null
	elif length % 2 == 1 then .[length / 2 | floor]
	else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def r3: . * 1000 | round / 1000;
def baseline($v): if $v.family == 4 then "plain4" else "plain6" end
	+ (if $v.phase == 1 then "-nomod" else "" end);
# One row per (phase, variant) measured.
[ (1, 2) as $ph | $variants[] as $v
  | [ $runs[] | select(.phase == $ph and .variant == $v.variant) ] as $rs
  | select($rs | length > 0)
  | $v + { phase: $ph,
	pps_runs: ($rs | map(.pps)),
	pps_median: ($rs | map(.pps) | median),
	generated_pps_median: ($rs | map(.generated * 1000000 / .usec | floor) | median),
	translated_fraction: (if $v.kind == "mob" then ($rs | map(.mob_xlat_out) | add) / ($rs | map(.forwarded_total) | add) | r3 else null end) }
  | . + { baseline: baseline(.) } ] as $rows
| [ $rows[] | . as $x
  | ($rows[] | select(.phase == $x.phase and .variant == $x.baseline) | .pps_median) as $b
  | . + { ratio_to_plain: ($x.pps_median / $b | r3) } ] as $rows
# Phase 2 rows also against no module at all, through phase 1.
| ($rows | map(select(.phase == 1)) | map({(.variant): .pps_median}) | add) as $p1
| [ $rows[] | if .phase == 2 then
	. + { ratio_to_nomod: (.ratio_to_plain * ($p1[.baseline] / $p1[.baseline + "-nomod"]) | r3) }
	else . end ] as $rows
# Net cost: emulated microseconds per packet beyond making and receiving
# it (the "gen" variant of the family, same phase), and its ratio to
# plain forwarding.
| ($rows | map(select(.kind == "gen")) | map({("\(.phase)/\(.family)"): .pps_median}) | add // {}) as $gen
| [ $rows[] | ($gen["\(.phase)/\(.family)"]) as $g
  | if $g != null and .kind != "gen" then
	. + { net_cost_us: ((1e6 / .pps_median - 1e6 / $g) | r3) } else . end ] as $rows
| [ $rows[] | . as $x
  | ([ $rows[] | select(.phase == $x.phase and .variant == $x.baseline) | .net_cost_us ] | first) as $b
  | if $x.net_cost_us != null and $b != null then
	. + { net_cost_ratio_to_plain: ($x.net_cost_us / $b | r3) } else . end ] as $rows
| def perentry($i): ($i.after[.] - $i.before[.]) * 1024 / $i.size | round;
{
  benchmark: "dataplane",
  kernel: $kernel, kernel_version: $version,
  cpus: ($cpus | tonumber), mem_total_kB: ($mem | tonumber),
  parameters: $params, timing: $timing,
  results: $rows,
  install: [ $install[] | {what, family, size, seconds: (.usec / 1e6), per_second: (.size * 1e6 / .usec | round)} ],
  memory: [ $install[] | . as $i | select(.size >= 1000) | {what, family, size,
	bytes_per_entry: {
		SUnreclaim: ("SUnreclaim_kB" | perentry($i)),
		Slab: ("Slab_kB" | perentry($i)),
		VmallocUsed: ("VmallocUsed_kB" | perentry($i)),
		SUnreclaim_plus_Vmalloc: ((("SUnreclaim_kB" | perentry($i)) + ("VmallocUsed_kB" | perentry($i)))),
		MemFree_decrease: (-("MemFree_kB" | perentry($i))) },
	mob_binding_cache: (if .what == "mob" and .after.mob_binding != null then {
		objsize: .after.mob_binding.objsize,
		objects_added: (.after.mob_binding.num_objs - (.before.mob_binding.num_objs // 0)),
		bytes_per_binding: ((.after.mob_binding.num_slabs - (.before.mob_binding.num_slabs // 0))
			* .after.mob_binding.pagesperslab * 4096 / .size | round) } else null end),
	before, after } ],
  dump: [ $dump[] | {what, family, size, seconds: (.usec / 1e6), timed_out,
	per_second: (.size * 1e6 / .usec | round)} ],
  checks: $checks,
  runs: $runs
}' >"$JSON" || die "cannot write $JSON"

# The human table, from the JSON.
echo
echo "bench-dataplane: kernel $KVER, $ncpu vCPUs (TCG), ${SECS}s runs, median of $ROUNDS," \
	"IPv4 64-byte / IPv6 78-byte UDP frames"
echo "ratio: pps / plain pps (same phase); vs-nomod: phase 2 through phase 1 to no module;"
echo "net us: emulated us per packet beyond generating it (1/pps - 1/pps(gen)); net ratio: to plain's"
printf '%-2s %-13s %-42s %9s %24s %6s %8s %7s %6s\n' ph variant description pps runs ratio vs-nomod "net us" "net-r"
jq -r '.results[] | [.phase, .variant, .description, .pps_median,
	(.pps_runs | map(tostring) | join("/")), .ratio_to_plain, (.ratio_to_nomod // "-"),
	(.net_cost_us // "-"), (.net_cost_ratio_to_plain // "-")] | @tsv' "$JSON" |
	while IFS=$'\t' read -r ph v d p runs ratio rn nc ncr; do
		printf '%-2s %-13s %-42s %9s %24s %6s %8s %7s %6s\n' "$ph" "$v" "$d" "$p" "$runs" "$ratio" "$rn" "$nc" "$ncr"
	done
echo
printf '%-6s %-5s %9s %10s %12s\n' what fam entries seconds per-second
jq -r '.install[] | [.what, .family, .size, .seconds, .per_second] | @tsv' "$JSON" |
	while IFS=$'\t' read -r w f n s ps; do printf '%-6s IPv%-2s %9s %10.2f %12s\n' "$w" "$f" "$n" "$s" "$ps"; done
echo
echo "memory per entry (bytes; SUnreclaim+Vmalloc deltas / entries; mob_binding cache pages / bindings):"
jq -r '.memory[] | [.what, .family, .size, .bytes_per_entry.SUnreclaim_plus_Vmalloc,
	.bytes_per_entry.SUnreclaim, .bytes_per_entry.VmallocUsed,
	(.mob_binding_cache.bytes_per_binding // "-"), (.mob_binding_cache.objsize // "-")] | @tsv' "$JSON" |
	while IFS=$'\t' read -r w f n tot su vm cache osz; do
		printf '%-6s IPv%-2s %9s  total %5s  (slab %5s, vmalloc %4s)  cache %4s (objsize %s)\n' \
			"$w" "$f" "$n" "$tot" "$su" "$vm" "$cache" "$osz"
	done
echo
jq -r '.dump[] | "dump   \(.what) IPv\(.family) \(.size) entries: \(.seconds) s (\(.per_second)/s)\(if .timed_out then " CUT" else "" end)"' "$JSON"
echo
log "done; JSON in $JSON"
exit 0
}
