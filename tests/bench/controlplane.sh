#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Control-plane timings of the agent: how long after a VM is announced at
# its new hypervisor the LAST other hypervisor's kernel has its new
# binding, with mobd on every hypervisor and one etcd.  Numbers, not a
# test: nothing here passes or fails, and it is not part of `make check`.
# Runs inside the lab guest (tests/bench/run-controlplane.sh boots it);
# loads the module itself when tests/kernel/run.sh has not.
#
# For each size N in BENCH_HVS, a fresh lab: a router, etcd in its own
# namespace and N hypervisor namespaces, each with mobd (libvirt = none,
# learn = arp, log-level warning), much as tests/kernel/50-agent.sh has:
#
#   dir 10.250.0.2 (etcd) -- rt -- 192.168.I.0/24 -- hvI  (I = 1..N)
#                                                     pool 100.64.I.0/24
#                                                     vmport* -- VMs
#
# and then:
#   rtt    BENCH_RTT_N etcd writes (PUT through the JSON gateway, the way
#          the agents talk to etcd) from hv1, one keep-alive connection,
#          after one warm-up request: the "directory round trip".
#   moves  one VM (its own namespace, HoA 10.99.0.11) moved BENCH_MOVES
#          times round the hypervisors: its port (a veth end) leaves one
#          hypervisor namespace for the next, then the VM is announced as
#          QEMU does after a migration (RARP at 0/50/200/450/800 ms, then
#          a gratuitous ARP, build/labtools/announce).  Per move: from the
#          first RARP to each kernel's new binding.
#   burst  if N is in BENCH_BURST_HVS: BENCH_BURST VMs on hv1 all migrate
#          to hv2 at once.  As in a live migration, each VM has a port on
#          both sides at the switch-over: the destination QEMU's tap exists
#          before the guest resumes there, the source's goes only after
#          (so, unlike the single moves, no port vanishes from hv1: its
#          agent learns of the move from the directory alone).  Every VM
#          then speaks from its hv2 port in the same instant, the QEMU
#          sequence from each, sent by one process that holds a raw socket
#          on every VM's interface (separate `announce` processes would
#          take seconds to fork under emulation and spread the burst out).
#          Measured: from the first RARP until every kernel has all
#          BENCH_BURST new bindings.  Learning those VMs at hv1 beforehand
#          is a burst too (BENCH_BURST new VMs announced at once, a
#          gratuitous ARP each): reported as "learn".
#
# Timing: every hypervisor runs `mobctl -j monitor timestamp` for the
# whole size, at SCHED_FIFO priority, writing to tmpfs.  Each line carries
# the wall-clock time the monitor read the kernel's binding event, which
# is sent when the binding changes, so the delay after the change is one
# wake-up of a real-time task.  Polling the kernel tables instead (a
# `mobctl binding show` per hypervisor, tens of ms each under emulation)
# would add up to a whole sweep over N hypervisors to every sample, and
# load the CPU it measures.  The announcement times come from the same
# clock (announce prints when its first frame left).
#
# The VMs of the burst are interfaces of one namespace "vms" with no IP
# stack of their own (IPv6 off, no addresses): the hypervisors see exactly
# what they would see of real VMs, a port and the frames from a MAC, and
# 100 namespaces would only cost time to set up.  Everything is IPv4: a
# dual-stack VM is two directory keys (and, for IPv6, neighbour proxies).
#
# Environment:
#   BENCH_HVS="2 8 32"      sizes (hypervisor namespaces), at most 250
#   BENCH_MOVES=5           single moves per size
#   BENCH_BURST=100         VMs in the burst (at most 250: one /24 pool)
#   BENCH_BURST_HVS=        sizes that get the burst (default: the largest
#                           of BENCH_HVS; "none" for none)
#   BENCH_RTT_N=20          etcd round trips measured per size
#   BENCH_GAP=2             seconds of quiet between two measurements
#   BENCH_WAIT=120          seconds a measurement may take before it is
#                           recorded as timed out
#   BENCH_AGENT_CONF=       extra mobd.conf lines for every agent, ';'
#                           between lines (e.g. "etcd-timeout = 10000"),
#                           for experiments; the default is mobd's own
#                           (and log level warning, unless it sets one)
#   BENCH_MOBD_B=           a second mobd binary (under the worktree, which
#                           the guest sees) to compare with build/agent/mobd
#                           side by side in one boot: each size runs once
#                           with each, alternating which goes first, and
#                           every size in the JSON says which ("a", "b")
# Prints a table and writes $MOB_LAB_OUT/bench-controlplane.json (raw
# samples, medians, parameters, kernel); agent logs with anything in them
# go to $MOB_LAB_OUT/bench-controlplane/.

# shellcheck source=tests/kernel/lib.sh
source "$(dirname "$0")/../kernel/lib.sh"
# shellcheck disable=SC2034 # lib.sh's pretty() prints it
T_NAME=controlplane

BENCH_HVS=${BENCH_HVS:-2 8 32}
BENCH_MOVES=${BENCH_MOVES:-5}
BENCH_BURST=${BENCH_BURST:-100}
BENCH_RTT_N=${BENCH_RTT_N:-20}
BENCH_GAP=${BENCH_GAP:-2}
BENCH_WAIT=${BENCH_WAIT:-120}
BENCH_AGENT_CONF=${BENCH_AGENT_CONF:-}
largest=0
for n in $BENCH_HVS; do
	if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 2 ] || [ "$n" -gt 250 ]; then
		echo "controlplane: BENCH_HVS: '$n' is not a number from 2 to 250" >&2
		exit 2
	fi
	[ "$n" -le "$largest" ] || largest=$n
done
BENCH_BURST_HVS=${BENCH_BURST_HVS:-$largest}
[ "$BENCH_BURST_HVS" != none ] || BENCH_BURST_HVS=
for v in BENCH_MOVES BENCH_BURST BENCH_RTT_N BENCH_GAP BENCH_WAIT; do
	if ! [[ ${!v} =~ ^[0-9]+$ ]]; then
		echo "controlplane: $v: '${!v}' is not a number" >&2
		exit 2
	fi
done
if [ "$BENCH_BURST" -gt 250 ]; then
	echo "controlplane: BENCH_BURST=$BENCH_BURST: at most 250 (one /24 MoA pool)" >&2
	exit 2
fi

MOBD_A=$W/build/agent/mobd
MOBD=$MOBD_A
MOBD_B=${BENCH_MOBD_B:-}
if [ -n "$MOBD_B" ] && [ ! -x "$MOBD_B" ]; then
	echo "controlplane: BENCH_MOBD_B: '$MOBD_B' is not an executable file the guest sees" >&2
	exit 2
fi
AGENT_TAG=
ANNOUNCE=$W/build/labtools/announce
ETCD=http://10.250.0.2:2379
# tmpfs in the guest: the monitors write here without touching 9p.
TMP=/tmp/bench-cp-$S
RUN=/run/bench-cp-$S
JSON=$OUT/bench-controlplane.json
LOGS=$OUT/bench-controlplane
RT=bcp-rt-$S
DIRNS=bcp-dir-$S
VMM=bcp-vmm-$S
VMS=bcp-vms-$S
MOVER_HOA=10.99.0.11
MOVER_MAC=52:54:00:aa:00:01
declare -a AGENT=() MON=() MONS=() READY=()
ETCD_PID=
N=0

ex() { ip netns exec "$@"; }
hv() { echo "bcp-hv$1-$S"; }
now() { date +%s.%N; }
# ms between two epoch times, one decimal.
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

# shellcheck disable=SC2317 # called through the EXIT trap and between sizes
teardown() {
	local i ns=()
	# Agents before etcd: one that stops may still talk to it.
	for i in "${!AGENT[@]}"; do kill "${AGENT[i]}" 2>/dev/null; done
	for i in "${!MON[@]}"; do kill "${MON[i]}" 2>/dev/null; done
	for i in "${!AGENT[@]}"; do
		timeout 10 tail --pid="${AGENT[i]}" -f /dev/null 2>/dev/null ||
			kill -9 "${AGENT[i]}" 2>/dev/null
		wait "${AGENT[i]}" 2>/dev/null
	done
	[ -n "$ETCD_PID" ] && kill "$ETCD_PID" 2>/dev/null && wait "$ETCD_PID" 2>/dev/null
	AGENT=()
	MON=()
	ETCD_PID=
	for ((i = 1; i <= N; i++)); do ns+=("$(hv "$i")"); done
	del_ns "$RT" "$DIRNS" "$VMM" "$VMS" "${ns[@]}"
	rm -rf "$RUN" "$TMP/etcd"
}
trap 'teardown; rm -rf "$TMP"' EXIT

for t in "$MOBD" "$MOBCTL" "$ANNOUNCE" /usr/bin/etcd /usr/bin/python3 /usr/bin/curl; do
	if [ ! -x "$t" ]; then
		echo "controlplane: $t is missing (make agent labtools; make deps)" >&2
		exit 1
	fi
done
# Run straight from run-lab.sh, nobody has loaded the module.
if ! grep -q '^mob ' /proc/modules; then
	insmod "$W/build/$KVER/kmod/mob.ko" || {
		echo "controlplane: cannot load build/$KVER/kmod/mob.ko" >&2
		exit 1
	}
fi
mkdir -p "$TMP" "$LOGS"
rm -f "$JSON" "$LOGS"/*
# Netlink sockets take their receive buffer from rmem_default: the
# monitors' must hold a burst's events (hv2 gets six announcements and a
# binding per VM) even if the monitor is late, or samples are lost.
sysctl -qw net.core.rmem_default=4194304 net.core.rmem_max=8388608

# The burst's announcer: raw frames from every VM interface of the "vms"
# namespace, set up before the burst, sent on a word from a FIFO.
cat >"$TMP/burst.py" <<'EOF'
# burst.py MODE COUNT IF GO READY: MODE "hello" sends one gratuitous ARP
# per VM; "qemu" sends RARP at 0, 50, 200, 450 and 800 ms then a
# gratuitous ARP, from every VM each time, as QEMU (and the guest) would
# after a migration.  VM k sends on interface IFk, from MAC
# 52:54:00:bb:HH:LL, HoA 10.99.(1 + (k-1) / 250).(1 + (k-1) % 250).
# Waits for a line on the FIFO GO after touching READY; prints the time
# the first frame left and the time the first round was out.
import socket, sys, time
mode, count, ifp, go, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def frame(k, ethertype, op):
    mac = bytes([0x52, 0x54, 0, 0xbb, k >> 8, k & 0xff])
    ip = bytes([10, 99, 1 + (k - 1) // 250, 1 + (k - 1) % 250])
    if ethertype == 0x8035:   # RARP request about itself: no addresses
        spa, tha, tpa = bytes(4), mac, bytes(4)
    else:                     # gratuitous ARP request: sender = target
        spa, tha, tpa = ip, bytes(6), ip
    f = (b'\xff' * 6 + mac + ethertype.to_bytes(2, 'big') +
         b'\x00\x01\x08\x00\x06\x04' + op.to_bytes(2, 'big') +
         mac + spa + tha + tpa)
    return f + bytes(60 - len(f))
vms = [(k, '%s%d' % (ifp, k)) for k in range(1, count + 1)]
rarp = {k: frame(k, 0x8035, 3) for k, _ in vms}
garp = {k: frame(k, 0x0806, 1) for k, _ in vms}
# One socket bound to each interface: a (name, proto) address on every
# send would cost an ioctl each.  Protocol 0: they receive nothing.
socks = []
for k, name in vms:
    t = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    t.bind((name, 0))
    socks.append((k, t))
steps = [(0.0, rarp), (0.05, rarp), (0.2, rarp), (0.45, rarp), (0.8, rarp),
         (0.8, garp)] if mode == 'qemu' else [(0.0, garp)]
open(ready, 'w').close()
with open(go) as g:
    g.readline()
first = end1 = None
start = time.time()
for at, frames in steps:
    delay = start + at - time.time()
    if delay > 0:
        time.sleep(delay)
    for k, t in socks:
        t.send(frames[k])
        if first is None:
            first = time.time()
    if end1 is None:
        end1 = time.time()
print('%.6f %.6f' % (first, end1))
EOF

mkns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
}

# The router, etcd's namespace, N hypervisors with their uplinks, as
# batches: one `ip` process per namespace rather than one per command
# keeps the setup of 32 hypervisors to seconds under emulation.
setup_topology() {
	local i h
	mkns "$RT"
	mkns "$DIRNS"
	ex "$RT" sysctl -qw net.ipv4.ip_forward=1
	ip link add to-dir netns "$RT" type veth peer name eth0 netns "$DIRNS"
	ip -n "$DIRNS" -b - <<-EOF
		addr add 10.250.0.2/24 dev eth0
		link set eth0 up
		route add default via 10.250.0.1
	EOF
	{
		echo "addr add 10.250.0.1/24 dev to-dir"
		echo "link set to-dir up"
		for ((i = 1; i <= N; i++)); do
			h=$(hv "$i")
			mkns "$h" >&2
			ex "$h" sysctl -qw net.ipv4.ip_forward=1 >&2
			ip link add "to-hv$i" netns "$RT" type veth peer name uplink netns "$h" >&2
			ip -n "$h" -b - >&2 <<-EOF
				addr add 192.168.$i.2/24 dev uplink
				link set uplink up
				route add default via 192.168.$i.1
				route add blackhole 100.64.$i.0/24
			EOF
			echo "addr add 192.168.$i.1/24 dev to-hv$i"
			echo "link set to-hv$i up"
			echo "route add 100.64.$i.0/24 via 192.168.$i.2"
		done
	} >"$TMP/rt.batch"
	ip -n "$RT" -b "$TMP/rt.batch"
}

start_etcd() {
	rm -rf "$TMP/etcd"
	# ip netns exec execs etcd: $! is etcd itself (ex() would add a shell).
	ip netns exec "$DIRNS" /usr/bin/etcd --name bench --data-dir "$TMP/etcd" \
		--listen-client-urls "$ETCD" --advertise-client-urls "$ETCD" \
		--listen-peer-urls http://127.0.0.1:2380 \
		--initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster bench=http://127.0.0.1:2380 \
		--logger zap --log-level warn >"$TMP/etcd.log" 2>&1 &
	ETCD_PID=$!
}
etcd_healthy() { ex "$DIRNS" curl -sf -m 2 "$ETCD/health" | grep -q '"health":"true"'; }

stamp() {
	local l
	while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done
}

start_agents() {
	local i
	mkdir -p "$RUN"
	for ((i = 1; i <= N; i++)); do
		mkdir -p "$RUN/hv$i"
		cat >"$RUN/hv$i.conf" <<-EOF
			# hypervisor $i of $N, control-plane benchmark
			hypervisor = hv$i
			libvirt = none
			learn = arp
			vm-ports = vmport*
			pool = 100.64.$i.0/24
			home = 10.99.0.0/16 gateway 10.99.0.1
			etcd = $ETCD
			control-socket = $RUN/hv$i.sock
			state-dir = $RUN/hv$i
		EOF
		grep -q 'log-level' <<<"$BENCH_AGENT_CONF" ||
			echo "log-level = warning" >>"$RUN/hv$i.conf"
		tr ';' '\n' <<<"$BENCH_AGENT_CONF" >>"$RUN/hv$i.conf"
		# mobd's lines carry no time: stamp them, to tell which phase
		# they belong to.  Through a FIFO, not >(...): the guest has no
		# /dev/fd; and so $! is mobd's pid.
		mkfifo "$RUN/hv$i.log"
		stamp <"$RUN/hv$i.log" >"$TMP/mobd-hv$i.log" &
		ip netns exec "$(hv "$i")" "$MOBD" -f -c "$RUN/hv$i.conf" >"$RUN/hv$i.log" 2>&1 &
		AGENT[i]=$!
	done
}

# Every agent answers, has read the directory, and knows all N sites.
agents_ready() {
	local i
	for ((i = 1; i <= N; i++)); do
		[ -n "${READY[i]:-}" ] && continue
		"$MOBCTL" -c "$RUN/hv$i.sock" -j site show 2>/dev/null |
			jq -e --argjson n "$N" \
				'.directory == "up" and .synced and (.sites | length) == $n' \
				>/dev/null || return 1
		READY[i]=1
	done
}

# A monitor per hypervisor, real-time so that its timestamps are taken
# when the event comes, not when the CPU is free.  Appending (>>), so a
# truncation between measurements leaves the writer at the new end.
start_monitors() {
	local i
	MONS=()
	for ((i = 1; i <= N; i++)); do
		: >"$TMP/mon-hv$i.jsonl"
		chrt -f 50 ip netns exec "$(hv "$i")" "$MOBCTL" -j monitor timestamp \
			>>"$TMP/mon-hv$i.jsonl" 2>>"$TMP/mon-hv$i.err" &
		MON[i]=$!
		MONS+=("$TMP/mon-hv$i.jsonl")
	done
}
truncate_monitors() {
	local f
	for f in "${MONS[@]}"; do : >"$f"; done
}

# first_seen HOA MOA: "I TIME" for each hypervisor I whose monitor saw
# HOA bound to MOA, the first time.  The match is on '"hoa":H,"moa":M'
# together: a replacement also names the previous MoA under "prev".
first_seen() {
	awk -v key="\"hoa\":\"$1\",\"moa\":\"$2\"" '
		index($0, "\"event\":\"binding\"") && index($0, key) &&
		!(FILENAME in seen) && match($0, /"time":"[0-9.]+"/) {
			seen[FILENAME] = 1
			f = FILENAME
			sub(/.*mon-hv/, "", f)
			sub(/\.jsonl$/, "", f)
			print f, substr($0, RSTART + 8, RLENGTH - 9)
		}' "${MONS[@]}"
}

# The MoA the kernel of hypervisor I has for HOA as a local binding,
# from its monitor.
local_moa() {
	awk -v key="\"hoa\":\"$2\",\"moa\":\"" '
		index($0, "\"event\":\"binding\"") && index($0, "\"kind\":\"local\"") &&
		(p = index($0, key)) {
			m = substr($0, p + length(key))
			sub(/".*/, "", m)
			moa = m
		}
		END { if (moa != "") print moa }' "$TMP/mon-hv$1.jsonl"
}

# burst_seen MOA_PREFIX: per hypervisor "I COUNT FIRST LAST": how many
# burst HoAs (10.99.1.0 and up; the mover is 10.99.0.11) its kernel bound
# to a MoA starting with MOA_PREFIX, and when the first and the last of
# them came.
burst_seen() {
	awk -v mp="\",\"moa\":\"$1" '
		index($0, "\"event\":\"binding\"") && (p = index($0, mp)) &&
		(q = index($0, "\"hoa\":\"")) && match($0, /"time":"[0-9.]+"/) {
			h = substr($0, q + 7, p - q - 7)
			if (h !~ /^10\.99\.[1-9]/)
				next
			t = substr($0, RSTART + 8, RLENGTH - 9) + 0
			k = FILENAME SUBSEP h
			if (k in seen)
				next
			seen[k] = 1
			n[FILENAME]++
			if (!(FILENAME in first) || t < first[FILENAME])
				first[FILENAME] = t
			if (t > last[FILENAME])
				last[FILENAME] = t
		}
		END {
			for (f in n) {
				i = f
				sub(/.*mon-hv/, "", i)
				sub(/\.jsonl$/, "", i)
				printf "%s %d %.6f %.6f\n", i, n[f], first[f], last[f]
			}
		}' "${MONS[@]}"
}
burst_done() { # MOA_PREFIX COUNT: every kernel has COUNT
	[ "$(burst_seen "$1" | awk -v c="$2" '$2 >= c { n++ } END { print n + 0 }')" -ge "$N" ]
}

# CPU time (ms) used so far by etcd and by all the agents together, as
# "etcd agents": what a phase cost, and how much of it was etcd's.  In
# this guest all of them share two emulated CPUs, where real hypervisors
# would each have their own.
cpu_now() {
	local hz p e=0 a=0
	hz=$(getconf CLK_TCK)
	e=$(awk '{ print $14 + $15 }' "/proc/$ETCD_PID/stat" 2>/dev/null || echo 0)
	for p in "${AGENT[@]}"; do
		a=$((a + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$((e * 1000 / hz)) $((a * 1000 / hz))"
}
cpu_json() { # "etcd agents" before, after
	local e0 a0 e1 a1
	read -r e0 a0 <<<"$1"
	read -r e1 a1 <<<"$2"
	jq -n -c --argjson e "$((e1 - e0))" --argjson a "$((a1 - a0))" \
		'{etcd_cpu_ms: $e, agents_cpu_ms: $a}'
}

# What the agents logged (warning or worse) between two times: lines in
# all, and the kinds that tell an overloaded directory.
log_json() { # T0 T1
	cat "$TMP"/mobd-hv*.log 2>/dev/null | awk -v a="$1" -v b="$2" '
		$1 >= a && $1 <= b {
			n++
			if (/claim for .* failed/) claim++
			if (/lease refresh failed/) refresh++
			if (/lease not found|lease .* expired/) lost++
		}
		END {
			printf "{\"agent_log_lines\": %d, \"claim_failures\": %d, " \
				"\"lease_refresh_failures\": %d, \"lease_not_found\": %d}\n", \
				n, claim, refresh, lost
		}'
}

# Waits until CMD succeeds, for at most BENCH_WAIT seconds.  Only to know
# when to stop: the times come from the monitors, so the poll can be slow
# (every 0.5 s), and takes little CPU from what it measures.
wait_done() { # CMD...
	local end=$((SECONDS + BENCH_WAIT))
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.5
	done
}

# Round trips to etcd from hv1: PUTs through the JSON gateway on one
# connection (curl --next reuses it), as the agents' CAS writes are; and
# range reads for comparison.  The first request of each run also sets
# up the connection, so it is left out.
measure_rtt() { # PATH BODY -> "a b c ..." in ms
	local args=() i
	for ((i = 0; i <= BENCH_RTT_N; i++)); do
		[ "$i" -eq 0 ] || args+=(--next)
		args+=(-s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json'
			-d "$2" "$ETCD$1")
	done
	ex "$(hv 1)" curl "${args[@]}" | tail -n +2 | awk '{ printf "%s%.3f", (NR > 1 ? " " : ""), $1 * 1000 }'
}

# Memory of what runs: MemAvailable, and the agents' and etcd's RSS and
# PSS (kB), so it is plain whether 32 agents fit.
mem_json() {
	local pids=() p rss=0 pss=0 v
	for p in "${AGENT[@]}"; do pids+=("$p"); done
	for p in "${pids[@]}"; do
		v=$(awk '/^Rss:/ { r = $2 } /^Pss:/ { s = $2 } END { print r + 0, s + 0 }' \
			"/proc/$p/smaps_rollup" 2>/dev/null) || continue
		rss=$((rss + ${v% *}))
		pss=$((pss + ${v#* }))
	done
	jq -n --argjson avail "$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)" \
		--argjson total "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" \
		--argjson rss "$rss" --argjson pss "$pss" --argjson n "${#pids[@]}" \
		--argjson etcd "$(awk '/^VmRSS:/ { print $2 }' "/proc/$ETCD_PID/status" 2>/dev/null || echo 0)" \
		'{mem_total_kb: $total, mem_available_kb: $avail, agents: $n,
		  agents_rss_kb: $rss, agents_pss_kb: $pss,
		  agent_pss_kb_each: (if $n > 0 then ($pss / $n | floor) else null end),
		  etcd_rss_kb: $etcd}'
}

# A JSON array of numbers from words.
jarr() { printf '%s\n' "$@" | jq -s -c 'map(select(. != null))'; }
# Median (mean of the middle two) and max of a JSON array; one decimal.
STATS='def med: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
	else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def r1: if . == null then null else (. * 10 | round) / 10 end;
	def r2: if . == null then null else (. * 100 | round) / 100 end;'
# "I TIME" lines -> {"hvI": ms after T0}.
per_hv_ms() { # T0
	jq -R -s -c --argjson t0 "$1" 'split("\n") | map(select(length > 0) | split(" ") |
		{key: "hv\(.[0])", value: (((.[1] | tonumber) - $t0) * 10000 | round / 10)}) | from_entries'
}

# Wait conditions for the mover.
mover_local_at() { [ -n "$(local_moa "$1" "$MOVER_HOA")" ]; }
mover_seen_by_all() { [ "$(first_seen "$MOVER_HOA" "$1" | wc -l)" -ge "$N" ]; }

# One VM moves from hypervisor A to B; appends a sample to moves.jsonl.
move_once() { # k a b
	local k=$1 a=$2 b=$3 t_ann moa line per cpu
	truncate_monitors
	cpu=$(cpu_now)
	# The "migration": the VM's port leaves A for B, then the announcement.
	ip -n "$(hv "$a")" link set vmport0 netns "$(hv "$b")"
	ip -n "$(hv "$b")" link set vmport0 up
	# Real-time, like the monitors: announce reads the clock after its
	# first frame is sent, and an agent woken by that frame must not run
	# in between (it did: a kernel updated "before" the announcement).
	t_ann=$(chrt -f 50 ip netns exec "$VMM" "$ANNOUNCE" eth0 qemu garp "$MOVER_HOA" | head -n 1)
	if ! wait_done mover_local_at "$b"; then
		echo "  move $k hv$a -> hv$b: no local binding at hv$b after ${BENCH_WAIT}s"
		jq -n -c --argjson k "$k" --argjson a "$a" --argjson b "$b" \
			'{move: $k, from: $a, to: $b, timed_out: true, last_other_ms: null}' >>"$TMP/moves.jsonl"
		return
	fi
	moa=$(local_moa "$b" "$MOVER_HOA")
	wait_done mover_seen_by_all "$moa"
	# CPU from before the port moved until now: the announcement's
	# 800 ms, the move, and up to one poll after it.
	cpu=$(cpu_json "$cpu" "$(cpu_now)")
	per=$(first_seen "$MOVER_HOA" "$moa" | per_hv_ms "$t_ann")
	line=$(jq -c -n --argjson k "$k" --argjson a "$a" --argjson b "$b" --argjson n "$N" \
		--arg hoa "$MOVER_HOA" --arg moa "$moa" --argjson t "$t_ann" --argjson per "$per" \
		--argjson cpu "$cpu" "$STATS"'
		($per | to_entries | map(select(.key != "hv\($b)")) | map(.value)) as $o |
		{move: $k, from: $a, to: $b, hoa: $hoa, moa: $moa, t_announce: $t,
		 per_hv_ms: $per, dst_local_ms: $per["hv\($b)"],
		 others_seen: ($o | length), timed_out: (($o | length) < $n - 1),
		 last_other_ms: (if ($o | length) == $n - 1 then ($o | max) else null end),
		 median_other_ms: ($o | med | r1)} + $cpu')
	echo "$line" >>"$TMP/moves.jsonl"
	jq -r '"  move \(.move) hv\(.from) -> hv\(.to): local at hv\(.to) after \(.dst_local_ms) ms, " +
		"last of \(.others_seen) other kernels \(.last_other_ms // "TIMEOUT") ms (median \(.median_other_ms)); " +
		"CPU etcd \(.etcd_cpu_ms) ms, agents \(.agents_cpu_ms) ms"' \
		<<<"$line"
}

# BENCH_BURST VMs: VM K is two interfaces of one namespace with MAC
# 52:54:00:bb:HH:LL (burst.py's), vbK the peer of port vmportK on hv1,
# where it runs, and vcK the peer of port vmportK on hv2, where it will.
setup_burst_vms() {
	local k i
	mkns "$VMS"
	ex "$VMS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	for ((k = 1; k <= BENCH_BURST; k++)); do
		for i in 1 2; do
			printf 'link add vmport%d netns %s type veth peer name v%s%d address 52:54:00:bb:%02x:%02x netns %s\n' \
				"$k" "$(hv "$i")" "$([ "$i" = 1 ] && echo b || echo c)" "$k" $((k >> 8)) $((k & 255)) "$VMS"
		done
	done | ip -b -
	for ((k = 1; k <= BENCH_BURST; k++)); do echo "link set vb$k up"; echo "link set vc$k up"; done |
		ip -n "$VMS" -b -
	for i in 1 2; do
		for ((k = 1; k <= BENCH_BURST; k++)); do echo "link set vmport$k up"; done | ip -n "$(hv "$i")" -b -
	done
}

# Runs burst.py MODE IF in the vms namespace and gives it the word once
# it is ready (python takes seconds to start under emulation, and that
# must not spread the burst).  Prints "first end_of_round1".
burst_send() { # MODE IF
	local py
	rm -f "$TMP/go" "$TMP/ready"
	mkfifo "$TMP/go"
	# Real-time for the same reason as announce in move_once, and so that
	# each round of frames goes out in one go.
	chrt -f 50 ip netns exec "$VMS" python3 "$TMP/burst.py" "$1" "$BENCH_BURST" "$2" "$TMP/go" "$TMP/ready" \
		>"$TMP/burst.out" 2>&1 &
	py=$!
	if ! wait_for 60 test -e "$TMP/ready"; then
		kill "$py"
		echo "controlplane: burst.py never got ready: $(cat "$TMP/burst.out")" >&2
		return 1
	fi
	echo go >"$TMP/go"
	if ! wait "$py"; then
		echo "controlplane: burst.py failed: $(cat "$TMP/burst.out")" >&2
		return 1
	fi
	cat "$TMP/burst.out"
}

# A burst's result from the monitors, relative to T0 (the first frame),
# against the MoA prefix of the destination DST.
burst_json() { # NAME T0 T_ROUND1 DST MOA_PREFIX EXTRA_JSON
	local name=$1 t0=$2 t1=$3 dst=$4 prefix=$5 extra=$6 per
	per=$(burst_seen "$prefix" | jq -R -s -c --argjson t0 "$t0" 'split("\n") |
		map(select(length > 0) | split(" ") | {key: "hv\(.[0])", value: {bindings: (.[1] | tonumber),
			first_ms: (((.[2] | tonumber) - $t0) * 10000 | round / 10),
			last_ms: (((.[3] | tonumber) - $t0) * 10000 | round / 10)}}) | from_entries')
	jq -c -n --arg name "$name" --argjson dst "$dst" --argjson n "$N" --argjson vms "$BENCH_BURST" \
		--argjson t0 "$t0" --argjson spread "$(ms "$t0" "$t1")" --argjson per "$per" \
		--argjson extra "$extra" "$STATS"'
		($per | to_entries | map(select(.key != "hv\($dst)")) | map(.value)) as $o |
		($o | map(select(.bindings >= $vms))) as $done |
		{burst: $name, to: $dst, vms: $vms, t_first_frame: $t0, first_round_spread_ms: $spread,
		 per_hv: $per, dst_local_last_ms: $per["hv\($dst)"].last_ms,
		 others_complete: ($done | length), timed_out: (($done | length) < $n - 1),
		 last_other_ms: (if ($done | length) == $n - 1 then ($o | map(.last_ms) | max) else null end),
		 median_other_complete_ms: ($o | map(.last_ms) | med | r1),
		 first_other_ms: ($o | map(.first_ms) | min)} + $extra'
}

# Does every kernel bind each burst HoA to the MoA hv DST's kernel has,
# and is it all BENCH_BURST of them?  (The monitors could in principle
# lose events; the tables cannot.)
burst_table() { # I
	mobctl -n "$(hv "$1")" -j binding show |
		jq -c '[.[] | select(.hoa | startswith("10.99.0.") | not) | {hoa, moa}] | sort_by(.hoa)'
}
burst_verify() { # DST -> number of kernels that agree on all
	local i ref good=0
	ref=$(burst_table "$1")
	[ "$(jq length <<<"$ref")" = "$BENCH_BURST" ] || { echo 0; return; }
	for ((i = 1; i <= N; i++)); do
		[ "$(burst_table "$i")" = "$ref" ] && good=$((good + 1))
	done
	echo "$good"
}

# Deletions of burst HoAs' bindings seen during the burst: there should
# be none (a VM that moves is never unbound anywhere).
burst_dels() {
	cat "${MONS[@]}" | grep -c '"event":"binding","type":"del","hoa":"10\.99\.[1-9]'
}
burst_settled() { [ "$(burst_verify "$1")" = "$N" ]; }

# After a burst: deletions seen, kernels agreeing with DST at once, then
# the time until all agree (polled: each poll reads N tables, so this
# is coarse, seconds under emulation), the CPU and the agents' logs.
burst_after() { # T0 DST CPU_BEFORE
	local t0=$1 dst=$2 agree settled=null
	agree=$(burst_verify "$dst")
	if [ "$agree" = "$N" ]; then
		settled=$(ms "$t0" "$(now)")
	elif wait_done burst_settled "$dst"; then
		settled=$(ms "$t0" "$(now)")
	fi
	jq -n -c --argjson agree "$agree" --argjson dels "$(burst_dels)" --argjson settled "$settled" \
		--argjson cpu "$(cpu_json "$3" "$(cpu_now)")" --argjson logs "$(log_json "$t0" "$(now)")" \
		'{kernels_agreeing_at_completion: $agree, binding_dels_seen: $dels,
		  all_kernels_agree_ms_polled: $settled} + $cpu + $logs'
}

BURST_SAY='"hv\(.to) had all \(.vms) local after \(.dst_local_last_ms) ms; last of " +
	"\(.others_complete) other kernels complete after \(.last_other_ms // "TIMEOUT") ms\n" +
	"    (first round of frames over \(.first_round_spread_ms) ms; \(.kernels_agreeing_at_completion)/" +
	"\(.per_hv | length) kernels agreed then, all after \(.all_kernels_agree_ms_polled // "TIMEOUT") ms (polled); " +
	"\(.binding_dels_seen) binding deletions;\n    CPU: etcd \(.etcd_cpu_ms) ms, agents \(.agents_cpu_ms) ms; " +
	"agent log: \(.claim_failures) claim failures, \(.lease_refresh_failures) lease refresh failures, " +
	"\(.lease_not_found) lease not found)"'

run_burst() {
	local out t0 t1 cpu
	pretty "N=$N: $BENCH_BURST VMs on hv1, learned at once"
	setup_burst_vms
	sleep "$BENCH_GAP"
	truncate_monitors
	cpu=$(cpu_now)
	out=$(burst_send hello vb) || return
	read -r t0 t1 <<<"$out"
	wait_done burst_done "100.64.1." "$BENCH_BURST"
	sleep 1
	burst_json learn "$t0" "$t1" 1 "100.64.1." "$(burst_after "$t0" 1 "$cpu")" >"$TMP/learn.json"
	jq -r '"  learn: " + '"$BURST_SAY" "$TMP/learn.json"

	pretty "N=$N: the $BENCH_BURST VMs migrate from hv1 to hv2 at once"
	sleep "$BENCH_GAP"
	truncate_monitors
	cpu=$(cpu_now)
	out=$(burst_send qemu vc) || return
	read -r t0 t1 <<<"$out"
	wait_done burst_done "100.64.2." "$BENCH_BURST"
	sleep 1
	burst_json move "$t0" "$t1" 2 "100.64.2." "$(burst_after "$t0" 2 "$cpu")" >"$TMP/burst.json"
	jq -r '"  burst: " + '"$BURST_SAY" "$TMP/burst.json"
}

run_size() {
	local k a b t t_setup rtt_put rtt_range moves burst learn mem
	N=$1
	READY=()
	rm -f "$TMP/moves.jsonl" "$TMP/burst.json" "$TMP/learn.json"
	pretty "N=$N: router, etcd, $N hypervisors${AGENT_TAG:+, agent $AGENT_TAG ($MOBD)}"
	t=$(now)
	setup_topology
	start_etcd
	if ! wait_for 90 etcd_healthy; then
		echo "controlplane: etcd did not start: $(tail -n 5 "$TMP/etcd.log")" >&2
		return 1
	fi
	start_agents
	if ! wait_for 180 agents_ready; then
		echo "controlplane: agents not ready after 180 s" >&2
		return 1
	fi
	start_monitors
	t_setup=$(ms "$t" "$(now)")
	mem=$(mem_json)
	jq -r '"  up in '"$t_setup"' ms; \(.agents) agents: PSS \(.agents_pss_kb / 1024 | floor) MiB " +
		"(\(.agent_pss_kb_each) kB each), etcd RSS \(.etcd_rss_kb / 1024 | floor) MiB, " +
		"MemAvailable \(.mem_available_kb / 1024 | floor) of \(.mem_total_kb / 1024 | floor) MiB"' <<<"$mem"

	pretty "N=$N: etcd round trips from hv1"
	# Key /bench/rtt, value 1234567890 (the gateway wants base64).
	rtt_put=$(measure_rtt /v3/kv/put '{"key":"L2JlbmNoL3J0dA==","value":"MTIzNDU2Nzg5MA=="}')
	rtt_range=$(measure_rtt /v3/kv/range '{"key":"L2JlbmNoL3J0dA=="}')
	echo "  put (ms): $rtt_put"
	echo "  range (ms): $rtt_range"

	pretty "N=$N: $BENCH_MOVES moves of one VM"
	mkns "$VMM"
	ex "$VMM" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip link add eth0 netns "$VMM" address "$MOVER_MAC" type veth peer name vmport0 netns "$(hv 1)"
	ip -n "$(hv 1)" link set vmport0 up
	ip -n "$VMM" addr add "$MOVER_HOA/16" dev eth0
	ip -n "$VMM" link set eth0 up
	truncate_monitors
	ex "$VMM" "$ANNOUNCE" eth0 garp "$MOVER_HOA" >/dev/null
	wait_done mover_local_at 1 && wait_done mover_seen_by_all "$(local_moa 1 "$MOVER_HOA")"
	a=1
	for ((k = 1; k <= BENCH_MOVES; k++)); do
		sleep "$BENCH_GAP"
		b=$((a % N + 1))
		move_once "$k" "$a" "$b"
		a=$b
	done

	if [[ " $BENCH_BURST_HVS " == *" $N "* ]] && [ "$BENCH_BURST" -gt 0 ]; then
		run_burst
	fi

	moves=$(jq -s -c . "$TMP/moves.jsonl" 2>/dev/null || echo '[]')
	learn=$(cat "$TMP/learn.json" 2>/dev/null || echo null)
	burst=$(cat "$TMP/burst.json" 2>/dev/null || echo null)
	# shellcheck disable=SC2086 # word lists on purpose
	jq -n -c --argjson n "$N" --argjson put "$(jarr $rtt_put)" \
		--argjson range "$(jarr $rtt_range)" --argjson moves "$moves" \
		--argjson learn "$learn" --argjson burst "$burst" --argjson mem "$mem" \
		--argjson setup "$t_setup" --argjson mem_end "$(mem_json)" \
		--arg agent "$AGENT_TAG" "$STATS"'
		($put | med) as $rt |
		($moves | map(select(.last_other_ms != null) | .last_other_ms)) as $last |
		def rts: if . != null and $rt != null and $rt > 0 then . / $rt | r1 else null end;
		{hypervisors: $n, setup_ms: $setup, memory_after_setup: $mem, memory_at_end: $mem_end,
		 etcd_put_ms: {samples: $put, median: ($rt | r2), max: ($put | max)},
		 etcd_range_ms: {samples: $range, median: ($range | med | r2), max: ($range | max)},
		 moves: $moves,
		 move_last_other_ms: {samples: $last, median: ($last | med | r1), max: ($last | max),
			timed_out: ($moves | map(select(.last_other_ms == null)) | length)},
		 move_last_other_rtts: {median: ($last | med | rts), max: ($last | max | rts)},
		 move_cpu_ms_median: {etcd: ($moves | map(.etcd_cpu_ms // empty) | med),
			agents: ($moves | map(.agents_cpu_ms // empty) | med)},
		 learn_burst: $learn, learn_burst_rtts: ($learn.last_other_ms | rts),
		 move_burst: $burst, move_burst_rtts: ($burst.last_other_ms | rts)} +
		(if $agent != "" then {agent: $agent} else {} end)' >>"$TMP/sizes.jsonl"
	# Agent, monitor and etcd logs with anything in them, for the record.
	for ((k = 1; k <= N; k++)); do
		[ -s "$TMP/mobd-hv$k.log" ] && cp "$TMP/mobd-hv$k.log" "$LOGS/N$N-mobd-hv$k.log"
		[ -s "$TMP/mon-hv$k.err" ] && cp "$TMP/mon-hv$k.err" "$LOGS/N$N-monitor-hv$k.err"
	done
	[ -s "$TMP/etcd.log" ] && cp "$TMP/etcd.log" "$LOGS/N$N-etcd.log"
	rm -f "$TMP"/mon-hv*.err "$TMP"/mobd-hv*.log
	return 0
}

t_start=$SECONDS
rm -f "$TMP/sizes.jsonl"
echo "controlplane: kernel $KVER, $(nproc) cpus, $(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo) MiB;" \
	"sizes: $BENCH_HVS; $BENCH_MOVES moves each; burst of $BENCH_BURST VMs at N = ${BENCH_BURST_HVS:-none}"
one_size() { # N
	local t=$SECONDS
	run_size "$1" || echo "controlplane: size $1 failed"
	pretty "N=$1: done in $((SECONDS - t)) s; tearing down"
	teardown
}

k=0
for n in $BENCH_HVS; do
	if [ -z "$MOBD_B" ]; then
		one_size "$n"
		continue
	fi
	# A then B, then B then A: a drift of the host's load over the run
	# falls on both alike.
	for tag in $( ((k++ % 2)) && echo b a || echo a b); do
		AGENT_TAG=$tag
		MOBD=$MOBD_A
		[ "$tag" = a ] || MOBD=$MOBD_B
		one_size "$n"
	done
done
AGENT_TAG=
MOBD=$MOBD_A

# The whole result, and a table.
# shellcheck disable=SC2086 # word lists on purpose
jq -s --arg kver "$KVER" --arg mobd "$("$MOBD" -V 2>&1 | head -n 1)" \
	--arg etcd "$(/usr/bin/etcd --version 2>/dev/null | head -n 1)" --argjson cpus "$(nproc)" \
	--argjson hvs "$(jarr $BENCH_HVS)" --argjson moves "$BENCH_MOVES" --argjson burst "$BENCH_BURST" \
	--argjson bhvs "$(jarr $BENCH_BURST_HVS)" --argjson rttn "$BENCH_RTT_N" --argjson gap "$BENCH_GAP" \
	--arg aconf "$BENCH_AGENT_CONF" --arg mobd_b "$MOBD_B" --argjson secs "$((SECONDS - t_start))" --arg date "$(date -u +%FT%TZ)" '
	{benchmark: "controlplane", date: $date, kernel: $kver, mobd: $mobd, etcd: $etcd,
	 machine: {cpus: $cpus, emulation: "QEMU TCG, single-threaded (tests/lab/run-lab.sh)"},
	 parameters: {hypervisors: $hvs, moves: $moves, burst_vms: $burst, burst_at: $bhvs,
		mobd_b: (if $mobd_b != "" then $mobd_b else null end),
		agent_conf_extra: $aconf,
		rtt_samples: $rttn, gap_s: $gap, family: "ipv4", lease_ttl_s: 10, log_level: "warning",
		etcd_data: "tmpfs", announce: "RARP at 0/50/200/450/800 ms, then a gratuitous ARP",
		timing: "mobctl -j monitor timestamp on every hypervisor, SCHED_FIFO; ms after the first RARP"},
	 duration_s: $secs, sizes: .}' "$TMP/sizes.jsonl" >"$JSON"

echo
echo "control plane, kernel $KVER (QEMU TCG, $(nproc) vCPUs); ms from the first RARP to the"
echo "last OTHER hypervisor's kernel; RT = median etcd PUT round trip from a hypervisor"
printf '%-4s %6s | %-22s %-11s | %-26s %-6s\n' "HVs" "RT" "move: median / max" "in RT" \
	"burst of $BENCH_BURST (dst local)" "in RT"
jq -r '.sizes[] | ["\(.hypervisors)\(.agent // "")", .etcd_put_ms.median,
	"\(.move_last_other_ms.median) / \(.move_last_other_ms.max)",
	"\(.move_last_other_rtts.median) / \(.move_last_other_rtts.max)",
	(if .move_burst then "\(.move_burst.last_other_ms // "timeout") (\(.move_burst.dst_local_last_ms))" else "-" end),
	(.move_burst_rtts // "-")] | @tsv' "$JSON" |
	while IFS=$'\t' read -r n rt mv mvr b br; do
		printf '%-4s %6s | %-22s %-11s | %-26s %-6s\n' "$n" "$rt" "$mv" "$mvr" "$b" "$br"
	done
jq -r '.sizes[] | select(.learn_burst) | "learn burst at N=\(.hypervisors): \(.learn_burst.vms) new VMs " +
	"announced at once on hv1, last kernel after \(.learn_burst.last_other_ms // "timeout") ms"' "$JSON"
if [ -n "$MOBD_B" ]; then
	echo "side by side: a = $MOBD_A, b = $MOBD_B; all moves of each, pooled"
	jq -r "$STATS"' .sizes | group_by(.hypervisors)[] |
		(map(select(.agent == "a") | .move_last_other_ms.samples[]) | med) as $a |
		(map(select(.agent == "b") | .move_last_other_ms.samples[]) | med) as $b |
		"  N=\(.[0].hypervisors): last other kernel, median a \($a | r1) ms, b \($b | r1) ms" +
		(if $a != null and $b != null and $a > 0 then ", b/a \($b / $a | r2)" else "" end)' "$JSON"
fi
echo "controlplane: wrote $JSON in $((SECONDS - t_start)) s"
