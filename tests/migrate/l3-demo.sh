#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A real libvirt + QEMU live migration across subnets, with the module and
# the agents (issue 4), next to the L2 baseline, in one lab boot and with
# one guest boot.  Runs in the lab only (the module must load):
#
#   tests/migrate/lab-demo.sh --l3 [--tag T] [KVER] [MOB_L3_...=V ...]
#
#                          mig-dir: etcd 10.250.0.2
#                                    |
#      10.1.0.0/24 -------------- mig-rt -------------- 10.3.0.0/24
#           |                        |                        |
#   mig-hv1 10.1.0.2           10.2.0.0/24             mig-hv3 10.3.0.2
#   libvirtd + mobd                  |                 mobd (libvirt = none,
#   pool 10.1.1.0/24           mig-hv2 10.2.0.2          learn = arp)
#   vmtap0                     libvirtd + mobd         pool 10.3.1.0/24
#     |                        pool 10.2.1.0/24        vmport0
#    vm1 (QEMU guest)          vmtap0                     |
#    10.99.0.11/24 gw .1        (vm1 after a move)     mig-vm21 (namespace)
#    52:54:00:99:00:11                                 10.99.0.21/24 gw .1
#
#   L2 phase only (the baseline, migrate-demo.sh's VM side):
#
#     mig-hv1: brl2 = vmtap0 + l2up --.            .-- l2up + vmtap0 = brl2 :mig-hv2
#                                      mig-l2sw: br0
#                                            |
#                                   mig-cn2 10.99.0.21/24 + 10.99.0.1/24
#
# The hypervisors' own traffic (libvirt, the migration stream, etcd) is
# routed through mig-rt in both phases; only the VM's port changes.
#
#  0. insmod mob.ko; the topology; a private libvirtd on hv1 and hv2
#     (hv.sh); etcd and hv3's agent (which learns vm21 from its ARP) while
#     vm1 boots on hv1 (tests/migrate's busybox guest; its home address
#     10.99.0.11 is in its libvirt <metadata>, see agent/mobd/virt.h).
#  1. L2 baseline: both taps on a bridge to one segment with the
#     correspondent cn2; no agent runs on hv1/hv2 yet (the module is
#     loaded but has nothing configured in those namespaces: no prefix,
#     no binding); MOB_L3_L2_ROUNDS migrations, probed from cn2.
#  2. The switch to L3: the taps leave the bridges and become routed VM
#     ports with one MAC on every hypervisor (the guest's gateway MAC, also
#     cn2's MAC in phase 1: the guest's neighbour table stays right, see
#     Documentation/admin-guide.md); mobd starts on hv1 and hv2 (learn =
#     metadata, libvirt = its libvirtd's URI).  Every kernel must then map
#     10.99.0.11 to a MoA from hv1's pool and 10.99.0.21 to one of hv3's.
#  3. L3: MOB_L3_ROUNDS migrations, virsh migrate --live --p2p --persistent
#     --undefinesource, alternating direction, probed from vm21 (through
#     both translations).  After each: the domain runs at the destination
#     and is gone from the source; the guest answers, kept its uptime, its
#     address, netmask, gateway and MAC (it reports them on TCP port 9);
#     every kernel (mobctl -n NS -j binding show) maps the HoA to one MoA
#     from the destination's pool, kind local there, remote elsewhere, and
#     holds nothing else; the TCP connection still echoes.  Printed:
#     downtime = lost probes x interval, libvirt's (domjobinfo --completed
#     on the destination: total and w/o network), and the time line
#     (libvirt events of both sides, ARP/RARP on both taps and at the
#     correspondent, each kernel's binding changes from mobctl monitor,
#     the agents' log, the probe's outage).
#  4. Failed migrations: virsh migrate --bandwidth 1 (MiB/s), then, once
#     the destination's QEMU is up, virsh domjobabort (phase abort) or
#     kill -9 of that QEMU (phase kill): the VM must still run
#     at the source and answer, the TCP connection too, every kernel must
#     still map the HoA to the source's MoA, and no kernel may hold a
#     binding (or an alias) with a MoA of the destination's pool.
#  5. Summary: per round and per phase, the downtimes, and L3 - L2
#     ("overhead", a benchmark, not a check).
#
# Downtime: lost probes x interval (seed 001's measure), and the longest
# run of probes lost or answered more than 1 s late: just after a move
# the nested guest answers seconds late (its new QEMU translates all its
# code again); in L2 those answers arrive, in L3 the destination
# hypervisor's ARP for the guest gives up after 3 s and drops them.
#
# Probe intervals: the nested guest answers ICMP at 100 ms and 50 ms, but
# not at 10 ms or 1 ms (median RTT ~1.5 s before any migration: the
# README), where lost probes measure its overload, not the downtime.
# MOB_L3_ROUNDS / MOB_L3_L2_ROUNDS take any intervals (in ms).
#
# Environment (all optional): MOB_L3_L2_ROUNDS ("100 50"), MOB_L3_ROUNDS
# ("100 50 100 50"), MOB_L3_PHASES ("l2 l3 abort kill"; "l2" alone runs on a
# host without the module), MOB_L3_BIN (a directory with mob.ko, mobd,
# mobctl, announce; default build/migrate/l3-bin if there, else the
# build/ paths), MOB_L3_BOOT_WAIT (600 s), MOB_L3_MIGRATE_WAIT (240 s per
# virsh migrate), MOB_L3_CONVERGE_WAIT (60 s for the kernels to agree),
# MOB_L3_DEADLINE (2400 s for the whole script, then it fails and cleans
# up), MOB_L3_RETRY (1: a virsh migrate that fails while the domain still
# runs at the source is retried once, reported as RETRY; 0: fail),
# MOB_L3_TOOL (alternate: L3 rounds by virsh migrate and mobctl migrate in
# turn, mobctl's output checked for its phases and the source kernel's
# change; virsh; mobctl), MOB_L3_ABORT_BW (1 MiB/s),
# MOB_MIG_MAX_DOWNTIME (ms), MOB_MIG_MEMCHECK (64 pages), MOB_MIG_MEM
# (96), MOB_MIG_GUEST_APPEND (loglevel=5), MOB_MIG_KEEP=1.  Everything goes to
# $MOB_LAB_OUT/migrate-l3 (MOB_L3_OUT): summary.txt, rounds.tsv,
# timeline-*.txt, events, captures, monitors, agents' logs, probes,
# per-hypervisor libvirt logs and the guest's consoles (hv-logs/).
# Exit 0 only if every check passed.
set -euo pipefail

# One brace group, ended by exit: editing this file during a run is safe.
{
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=tests/migrate/hv.sh
. "$here/hv.sh"
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
py=/usr/bin/python3
W=$MOB_MIG_WORKTREE

out=${MOB_L3_OUT:-}
if [ -z "$out" ]; then
	if [ -n "${MOB_LAB_OUT:-}" ]; then
		out=$MOB_LAB_OUT/migrate-l3
	else
		out=$W/build/migrate/l3-results
	fi
fi
out=$(realpath -m "$out")
phases=${MOB_L3_PHASES:-l2 l3 abort kill}
has_phase() { [[ " $phases " == *" $1 "* ]]; }
l2_rounds=${MOB_L3_L2_ROUNDS-100 50}
l3_rounds=${MOB_L3_ROUNDS-100 50 100 50}
boot_wait=${MOB_L3_BOOT_WAIT:-600}
mig_wait=${MOB_L3_MIGRATE_WAIT:-240}
conv_wait=${MOB_L3_CONVERGE_WAIT:-60}
deadline=${MOB_L3_DEADLINE:-2400}
retry=${MOB_L3_RETRY:-1}
# Who migrates in L3: virsh, mobctl (mobctl migrate, run in the source's
# namespace, so it shows that kernel following the VM), or alternate
# (virsh first).  L2 and the abort always use virsh.
l3_tool=${MOB_L3_TOOL:-alternate}
case "$l3_tool" in virsh | mobctl | alternate) ;; *) echo "l3-demo: MOB_L3_TOOL: virsh, mobctl or alternate, not '$l3_tool'" >&2; exit 2 ;; esac
abort_bw=${MOB_L3_ABORT_BW:-1}
max_downtime=${MOB_MIG_MAX_DOWNTIME:-}
mem=${MOB_MIG_MEM:-96}
# The guest's memory check: 64 pages (migrate-demo.sh: 256 in the lab);
# more starves the nested guest (probes answered seconds late).
export MOB_MIG_MEMCHECK=${MOB_MIG_MEMCHECK-64}
# The guest's kernel: warnings and worse on its console, not the ~350
# lines of a boot (each byte is an emulated port write under nested TCG).
export MOB_MIG_GUEST_APPEND=${MOB_MIG_GUEST_APPEND-loglevel=5}
export MOB_MIG_LIBVIRTD_WAIT=${MOB_MIG_LIBVIRTD_WAIT:-300}
# Each hypervisor's /var/log (libvirtd.log, qemu/vm1.log, the guest's
# console) on the out share: readable from the host while the run goes on.
export MOB_MIG_LOGS=$out/hv-logs
kver=${MOB_MIG_KVER:-$(ls /boot/vmlinuz-* | sed 's|^/boot/vmlinuz-||' | sort -V | tail -1)}

bin=${MOB_L3_BIN:-}
[ -n "$bin" ] || [ ! -r "$W/build/migrate/l3-bin/mob.ko" ] || bin=$W/build/migrate/l3-bin
if [ -n "$bin" ]; then
	MOBKO=$bin/mob.ko MOBD=$bin/mobd MOBCTL=$bin/mobctl ANNOUNCE=$bin/announce
else
	MOBKO=$W/build/$(uname -r)/kmod/mob.ko MOBD=$W/build/agent/mobd
	MOBCTL=$W/build/agent/mobctl ANNOUNCE=$W/build/labtools/announce
fi

dom=vm1
vm_ip=10.99.0.11
vm_mac=52:54:00:99:00:11
cn_ip=10.99.0.21
gw_ip=10.99.0.1
# The VM ports' MAC on every hypervisor (L3), and cn2's (L2): the guest's
# gateway and correspondent resolve to it in both phases.
port_mac=02:00:00:00:99:01
mig_flags=(--live --p2p --persistent --undefinesource --verbose)
run=/run/mob-l3
etcd_url=http://10.250.0.2:2379
declare -A addr=([hv1]=10.1.0.2 [hv2]=10.2.0.2 [hv3]=10.3.0.2)
declare -A idx=([hv1]=1 [hv2]=2 [hv3]=3)

rm -rf "$out"
mkdir -p "$out"
summary=$out/summary.txt
marks=$out/marks.txt
rounds_tsv=$out/rounds.tsv
: >"$summary"
: >"$marks"
printf 'phase\tround\tfrom\tto\tinterval_ms\tlost_x_interval_ms\tlongest_run_ms\tlibvirt_downtime_ms\tlibvirt_downtime_wo_net_ms\tmigrate_s\tlast_kernel_after_rarp_ms\tlost_or_late1s_ms\tflip_ms\n' >"$rounds_tsv"
failures=0
retries=0
run_start=$(date +%s.%N)

say() {
	printf '[%7.2f] %s\n' "$(awk -v a="$run_start" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$*" |
		tee -a "$summary"
}
indent() { sed "s/^/    ${1:-}/" | tee -a "$summary"; }
mark() { echo "$(date +%s.%N) $*" >>"$marks"; }
check() { # DESCRIPTION COMMAND...
	local what=$1
	shift
	echo "--- $what: $*" >>"$out/checks.log"
	if "$@" >>"$out/checks.log" 2>&1; then
		say "PASS: $what"
	else
		say "FAIL: $what"
		failures=$((failures + 1))
	fi
}
fatal() {
	say "FAIL: $*"
	failures=$((failures + 1))
	exit 1
}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.3f", b-a}'; }
# wait_until SECS CMD...: CMD until it succeeds, SECS of wall clock at most.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.3
	done
}

bg_pids=()
cleanup() {
	local rc=$? p h d
	trap - EXIT INT TERM
	for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${bg_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	for h in hv1 hv2; do
		d=$(hv_dir "$h")
		[ -d "$d" ] || continue
		mkdir -p "$out/$h"
		cp "$d/libvirtd.out" "$d/etc/libvirtd.conf" "$d/etc/qemu.conf" "$out/$h/" 2>/dev/null || true
	done
	cp "$run"/*.conf "$out/" 2>/dev/null || true
	if [ "${MOB_MIG_KEEP:-0}" = 1 ]; then
		say "MOB_MIG_KEEP=1: namespaces left running (mig_cleanup from hv.sh removes them)"
	else
		mig_cleanup
		rm -rf "$run" /tmp/mob-l3-etcd
	fi
	[ "$rc" -ne 0 ] || [ "$failures" -eq 0 ] || rc=1
	say "result: $([ "$rc" -eq 0 ] && echo PASS || echo FAIL) ($failures failed checks, $retries retried migrations)" \
		"after $(since "$run_start") s, logs in $out"
	exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted (signal)"; exit 130' INT TERM
# The whole run's deadline: a stuck step fails the run in minutes.
# (Its sleep is killed with it: an orphaned sleep would keep every file
# descriptor it inherited open, build/qemu.lock's included.)
(
	trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
	sleep "$deadline" &
	sleeper=$!
	wait "$sleeper"
	echo "[watchdog] l3-demo still running after $deadline s (MOB_L3_DEADLINE): stopping it" | tee -a "$summary"
	kill -TERM $$
) </dev/null &
bg_pids+=($!)

say "l3-demo: guest kernel $kver, ${mem} MiB, memcheck ${MOB_MIG_MEMCHECK:-off} pages; phases: $phases;" \
	"L2 rounds (ms): $l2_rounds; L3 rounds (ms): $l3_rounds; host kernel $(uname -r), $(nproc) cpus"
for t in libvirtd virsh qemu-system-x86_64 tcpdump nsenter unshare ip jq; do
	command -v "$t" >/dev/null || fatal "$t not found (tests/lab/install-deps.sh)"
done
initrd=$W/build/migrate/guest/initrd-$kver.cpio.gz
[ -r "$initrd" ] && [ ! "$here/guest-init" -nt "$initrd" ] ||
	fatal "no (or stale) $initrd: run tests/migrate/mkguest.sh --kver $kver on the host (lab-demo.sh does)"
if has_phase l3 || has_phase abort; then
	for t in "$MOBKO" "$MOBD" "$MOBCTL" "$ANNOUNCE" /usr/bin/etcd /usr/bin/etcdctl; do
		[ -r "$t" ] || fatal "$t is missing (make module agent labtools)"
	done
	[ -e /proc/modules ] || fatal "this kernel cannot load modules: run in the lab (tests/migrate/lab-demo.sh --l3)"
	say "binaries: $MOBKO $MOBD $MOBCTL ($(cat "$bin/COMMIT" 2>/dev/null || echo "build/"))"
	if ! grep -q '^mob ' /proc/modules; then
		insmod "$MOBKO" || fatal "insmod $MOBKO"
	fi
	say "module loaded: $(grep '^mob ' /proc/modules)"
fi

# --- the network -----------------------------------------------------------
mig_cleanup
mig_preflight || fatal "preflight"
rm -rf "$run" /tmp/mob-l3-etcd
mkdir -p "$run"
ns_of() { echo "mig-$1"; }
mig_netns_add rt
ip netns exec mig-rt sysctl -qw net.ipv4.ip_forward=1
mig_netns_add dir
ip link add to-dir netns mig-rt type veth peer name eth0 netns mig-dir
ip -n mig-rt addr add 10.250.0.1/24 dev to-dir
ip -n mig-rt link set to-dir up
ip -n mig-dir addr add 10.250.0.2/24 dev eth0
ip -n mig-dir link set eth0 up
ip -n mig-dir route add default via 10.250.0.1
hv_create hv1
hv_create hv2
mig_netns_add hv3
for h in hv1 hv2 hv3; do
	i=${idx[$h]}
	ip link add up0 netns "mig-$h" type veth peer name "to-$h" netns mig-rt
	ip -n mig-rt addr add "10.$i.0.1/24" dev "to-$h"
	ip -n mig-rt link set "to-$h" up
	ip -n mig-rt route add "10.$i.1.0/24" via "10.$i.0.2"
	ip -n "mig-$h" addr add "${addr[$h]}/24" dev up0
	ip -n "mig-$h" link set up0 up
	ip -n "mig-$h" route add default via "10.$i.0.1"
	# A MoA of this hypervisor's pool that nobody holds is dropped here.
	ip -n "mig-$h" route add blackhole "10.$i.1.0/24"
	ip netns exec "mig-$h" sysctl -qw net.ipv4.ip_forward=1
done
# The VM's port on hv1 and hv2: a tap made beforehand (<target
# managed='no'/>), which libvirt opens on whichever side runs vm1.
for h in hv1 hv2; do
	hv_add_tap "$h" vmtap0 || fatal "tap on $h"
done
# vm21: the correspondent, a VM namespace behind hv3's port vmport0.
mig_netns_add vm21
ip link add eth0 netns mig-vm21 type veth peer name vmport0 netns mig-hv3
ip -n mig-hv3 link set vmport0 up
ip -n mig-vm21 addr add "$cn_ip/24" dev eth0
ip -n mig-vm21 link set eth0 up
ip -n mig-vm21 route add default via "$gw_ip"

# L2: one segment (mig-l2sw) for both taps and cn2.
l2_attach() {
	local h
	mig_netns_add l2sw
	ip -n mig-l2sw link add br0 type bridge
	ip -n mig-l2sw link set br0 up
	mig_netns_add cn2
	ip link add eth0 netns mig-cn2 address "$port_mac" type veth peer name cn2 netns mig-l2sw
	ip -n mig-l2sw link set cn2 master br0 up
	ip -n mig-cn2 addr add "$cn_ip/24" dev eth0
	ip -n mig-cn2 addr add "$gw_ip/24" dev eth0
	ip -n mig-cn2 link set eth0 up
	for h in hv1 hv2; do
		ip link add l2up netns "mig-$h" type veth peer name "$h" netns mig-l2sw
		ip -n mig-l2sw link set "$h" master br0 up
		ip -n "mig-$h" link add brl2 type bridge
		ip -n "mig-$h" link set l2up master brl2 up
		ip -n "mig-$h" link set vmtap0 master brl2
		ip -n "mig-$h" link set brl2 up
	done
}
# L3: the taps become routed VM ports, one MAC everywhere; the segment goes.
l3_switch() {
	local h p
	for h in hv1 hv2; do
		ip -n "mig-$h" link set vmtap0 nomaster 2>/dev/null || true
		ip -n "mig-$h" link del brl2 2>/dev/null || true
		ip -n "mig-$h" link del l2up 2>/dev/null || true
		if ! ip -n "mig-$h" link set vmtap0 address "$port_mac" 2>/dev/null; then
			ip -n "mig-$h" link set vmtap0 down
			ip -n "mig-$h" link set vmtap0 address "$port_mac"
		fi
		ip -n "mig-$h" link set vmtap0 up
	done
	for h in cn2 l2sw; do
		for p in $(ip netns pids "mig-$h" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
		ip netns del "mig-$h" 2>/dev/null || true
	done
}
if has_phase l2; then
	l2_attach
else
	l3_switch
fi

# --- libvirt -------------------------------------------------------------------
t=$(date +%s.%N)
hv_libvirtd_start hv1 "${addr[hv1]}" || fatal "libvirtd on hv1"
say "hv1: libvirtd answering after $(since "$t") s"
xml=$out/$dom.xml
mig_domain_xml "$dom" "$kver" "$vm_ip/24" "$gw_ip" "$vm_mac" vmtap0 "$mem" unmanaged >"$xml" ||
	fatal "domain XML"
t=$(date +%s.%N)
timeout 300 virsh -q -c "$(hv_uri hv1)" define "$xml" >/dev/null || fatal "define $dom on hv1"
say "hv1: $dom defined in $(since "$t") s (its metadata: HoA $vm_ip for $vm_mac)"
hv_seed_caps hv1 hv2 || true
t=$(date +%s.%N)
hv_libvirtd_start hv2 "${addr[hv2]}" || fatal "libvirtd on hv2"
say "hv2: libvirtd answering after $(since "$t") s"

# vsh HV ARGS...: virsh against HV's libvirtd, never longer than 120 s.
vsh() {
	local h=$1
	shift
	timeout 120 virsh -q -c "$(hv_uri "$h")" "$@"
}
# Events and ARP/RARP on each tap, and at both correspondents, all along.
for h in hv1 hv2; do
	hv_spawn "$h" "$out/events-$h.txt" virsh -c qemu:///system event --all --loop --timestamp
	bg_pids+=("$HV_SPAWNED")
	hv_spawn "$h" "$out/arp-$h-vmtap0.txt" tcpdump -i vmtap0 -n -e -tt -l 'arp or rarp'
	bg_pids+=("$HV_SPAWNED")
done
ip netns exec mig-vm21 tcpdump -i eth0 -n -e -tt -l 'arp or rarp' </dev/null >"$out/arp-vm21-eth0.txt" 2>&1 &
bg_pids+=($!)
if has_phase l2; then
	ip netns exec mig-cn2 tcpdump -i eth0 -n -e -tt -l 'arp or rarp' </dev/null >"$out/arp-cn2-eth0.txt" 2>&1 &
	bg_pids+=($!)
fi

# --- boot vm1 on hv1; meanwhile etcd, hv3's agent, vm21 --------------------------
console() { echo "$(hv_logdir "$1")/libvirt/qemu/$dom-console.log"; }
t_start=$(date +%s.%N)
mark "virsh start $dom on hv1"
vsh hv1 start "$dom" >/dev/null || fatal "start $dom on hv1"
say "hv1: virsh start returned after $(since "$t_start") s; the guest boots (nested TCG: minutes)"

cat_conf() { # HV: mobd.conf for HV
	local h=$1 i=${idx[$1]}
	echo "# l3-demo: hypervisor $h"
	echo "hypervisor = $h"
	if [ "$h" = hv3 ]; then
		echo "libvirt = none"
		echo "learn = arp"
		echo "vm-ports = vmport*"
	else
		echo "libvirt = $(hv_uri "$h")"
		echo "learn = metadata"
		echo "vm-ports = vmtap*"
	fi
	cat <<EOF
pool = 10.$i.1.0/24
home = 10.99.0.0/24 gateway $gw_ip
etcd = $etcd_url
lease-ttl = 5
moa-hold = 5
control-socket = $run/$h.sock
state-dir = $run/$h
log-level = debug
EOF
}
declare -A agent_pid=()
start_agent() { # HV
	local h=$1
	mkdir -p "$run/$h"
	cat_conf "$h" >"$run/$h.conf"
	"$MOBD" -t -c "$run/$h.conf" >>"$out/checks.log" 2>&1 || fatal "mobd -t: $run/$h.conf"
	if [ "$h" = hv3 ]; then
		ip netns exec mig-hv3 "$py" "$here/stamp.py" "$out/mobd-$h.log" "$MOBD" -f -c "$run/$h.conf" \
			</dev/null >/dev/null 2>&1 &
		agent_pid[$h]=$!
	else
		hv_spawn "$h" /dev/null "$py" "$here/stamp.py" "$out/mobd-$h.log" "$MOBD" -f -c "$run/$h.conf"
		agent_pid[$h]=$HV_SPAWNED
	fi
	bg_pids+=("${agent_pid[$h]}")
}
agent_up() { timeout 20 "$MOBCTL" -c "$run/$1.sock" site show; }
bjson() { timeout 30 "$MOBCTL" -n "mig-$1" -j binding show; }
moa_of() { bjson "$1" | jq -r --arg h "$2" '.[] | select(.hoa == $h) | .moa'; }
kind_of() { bjson "$1" | jq -r --arg h "$2" '.[] | select(.hoa == $h) | .kind'; }
start_monitor() { # HV: the kernel's binding changes, stamped
	ip netns exec "mig-$1" "$MOBCTL" -j monitor timestamp </dev/null >>"$out/monitor-$1.txt" 2>&1 &
	bg_pids+=($!)
}
etcdctl() { timeout 20 ip netns exec mig-dir env ETCDCTL_API=3 /usr/bin/etcdctl --endpoints=$etcd_url "$@"; }

if has_phase l3 || has_phase abort; then
	for h in hv1 hv2 hv3; do start_monitor "$h"; done
	ip netns exec mig-dir /usr/bin/etcd --name l3 --data-dir /tmp/mob-l3-etcd \
		--listen-client-urls $etcd_url --advertise-client-urls $etcd_url \
		--listen-peer-urls http://127.0.0.1:2380 \
		--initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster l3=http://127.0.0.1:2380 </dev/null >"$out/etcd.log" 2>&1 &
	bg_pids+=($!)
	wait_until 180 etcdctl endpoint health || fatal "etcd did not come up"
	say "etcd up"
	start_agent hv3
	wait_until 60 agent_up hv3 || fatal "hv3's agent did not come up (mobd-hv3.log)"
	# vm21 says it is there, as a booting guest does; hv3 learns it.
	ip netns exec mig-vm21 "$ANNOUNCE" eth0 garp "$cn_ip" >/dev/null ||
		fatal "announce from vm21"
	wait_until 60 sh -c "[ \"\$('$MOBCTL' -n mig-hv3 -j binding show | jq -r '.[] | select(.hoa == \"$cn_ip\") | .kind')\" = local ]" ||
		fatal "hv3 did not learn vm21"
	say "hv3's agent up; vm21 ($cn_ip) bound at hv3 to $(moa_of hv3 "$cn_ip")"
fi

ready=
deadline_boot=$((SECONDS + boot_wait))
next_state=$((SECONDS + 5))
while [ $SECONDS -lt $deadline_boot ]; do
	if ready=$(grep -a -m1 'MOB-GUEST-READY\|MOB-GUEST-FAILED' "$(console hv1)" 2>/dev/null); then
		break
	fi
	if [ $SECONDS -ge $next_state ]; then
		next_state=$((SECONDS + 15))
		state=$(vsh hv1 domstate "$dom" --reason 2>&1 || true)
		case "$state" in
		running*) ;;
		*) ready="domain not running: $state"; break ;;
		esac
		say "boot: $(since "$t_start") s, $(cat "$(console hv1)" 2>/dev/null | grep -a -c "" || true) console lines"
	fi
	sleep 0.5
done
case "$ready" in
*MOB-GUEST-READY*)
	mark "guest ready"
	say "boot: MOB-GUEST-READY $(since "$t_start") s after virsh start (guest uptime ${ready##*uptime=} s)"
	;;
*)
	tail -30 "$(console hv1)" 2>/dev/null | indent "console: " || true
	fatal "boot: no MOB-GUEST-READY after $(since "$t_start") s (${ready:-timeout})"
	;;
esac

# --- helpers for the rounds -----------------------------------------------------
kerr='BUG:|BUG |WARNING:|Oops|corruption|Kernel panic|general protection|MOB-GUEST-CORRUPT'
lines_of() { if [ -e "$1" ]; then grep -a -c '' "$1" || true; else echo 0; fi; }
new_lines() { tail -n +"$(($2 + 1))" "$1" 2>/dev/null || true; }
# One question per round (each costs the nested guest seconds of forks).
netinfo_of() { # CORR_NS: the guest's "vm1 up SECS addr=... gw=... mac=... neigh=..."
	local r i
	# Twice at most: a nested guest busy catching up after a move can
	# take longer than the prober's 60 s to fork its answer.
	for i in 1 2; do
		r=$(ip netns exec "$1" timeout 120 "$py" "$here/probe.py" ask "$vm_ip" 9 </dev/null 2>/dev/null) || true
		[ -z "$r" ] || { echo "$r"; return 0; }
	done
	return 1
}
up_of() { awk '{ print $3 }' <<<"$1"; }
# The fields that must never change: address/prefix, gateway, MAC.
net_fixed() { tr ' ' '\n' <<<"$1" | grep -E '^(addr|gw|mac)=' | tr '\n' ' '; }
net_expected="addr=$vm_ip/24 gw=$gw_ip mac=$vm_mac "
dom_runs_on() { [ "$(vsh "$1" domstate "$dom" 2>/dev/null)" = running ]; }
# (Output captured first: grep -q would end the pipe early, and pipefail
# would then count virsh's SIGPIPE.)
dom_absent_from() {
	local l
	l=$(vsh "$1" list --all --name) || return 1
	! grep -qx "$dom" <<<"$l"
}
dom_persistent_on() {
	local i
	i=$(vsh "$1" dominfo "$dom") || return 1
	grep -q 'Persistent: *yes' <<<"$i"
}
guest_alive_or_die() { # HV: fail at once (with the console) if vm1 stopped
	dom_runs_on "$1" && return 0
	say "$dom is not running on $1: $(vsh "$1" domstate "$dom" --reason 2>&1 || true)"
	tail -25 "$(console "$1")" 2>/dev/null | indent "console: " || true
	fatal "$dom died on $1 (see hv-logs/$1/libvirt/qemu/)"
}
# state_ok OWNER: every kernel maps vm1's HoA to one MoA from OWNER's pool
# (local at OWNER, remote elsewhere), vm21's to one from hv3's pool (local
# at hv3), and holds nothing else.
state_ok() {
	local owner=$1 h j want11 want21 got moa11='' moa21='' n m11 k11 m21 k21
	for h in hv1 hv2 hv3; do
		j=$(bjson "$h") || { echo "$h: mobctl failed"; return 1; }
		# One jq per kernel (processes are dear in the lab).
		# (Here-strings, not < <(...): the lab guest has no /dev/fd.)
		read -r n m11 k11 m21 k21 <<<"$(jq -r --arg a "$vm_ip" --arg b "$cn_ip" '
			[length,
			 (map(select(.hoa == $a)) | .[0] | .moa // "-", .kind // "-"),
			 (map(select(.hoa == $b)) | .[0] | .moa // "-", .kind // "-")] | map(tostring) | join(" ")' <<<"$j")"
		want11=remote
		[ "$h" != "$owner" ] || want11=local
		want21=remote
		[ "$h" != hv3 ] || want21=local
		got="$h: $n bindings, $vm_ip -> $m11 $k11, $cn_ip -> $m21 $k21"
		[ "$n" = 2 ] || { echo "$got (want 2 bindings)"; return 1; }
		[[ $m11 == 10.${idx[$owner]}.1.* ]] && [ "$k11" = "$want11" ] ||
			{ echo "$got (want $vm_ip -> 10.${idx[$owner]}.1.x $want11)"; return 1; }
		[[ $m21 == 10.3.1.* ]] && [ "$k21" = "$want21" ] ||
			{ echo "$got (want $cn_ip -> 10.3.1.x $want21)"; return 1; }
		[ -z "$moa11" ] || [ "$m11" = "$moa11" ] || { echo "$got (others: $moa11)"; return 1; }
		[ -z "$moa21" ] || [ "$m21" = "$moa21" ] || { echo "$got (others: $moa21)"; return 1; }
		moa11=$m11
		moa21=$m21
	done
}
show_bindings() {
	local h
	for h in hv1 hv2 hv3; do
		bjson "$h" 2>&1 | jq -r '.[] | "\(.hoa) -> \(.moa) \(.kind)"' 2>/dev/null | indent "$h kernel: " || true
	done
}
# Aliases (a second MoA for a HoA, make-before-break), if this mobctl
# knows them: "none" or the list; "unsupported" otherwise.
aliases_of() { # HV
	local j
	if ! j=$(timeout 30 "$MOBCTL" -n "mig-$1" -j alias show 2>/dev/null); then
		echo unsupported
		return 0
	fi
	if [ "$(jq length <<<"$j" 2>/dev/null)" = 0 ]; then echo none; else jq -c . <<<"$j"; fi
}
# No binding nor alias anywhere names a MoA of POOL_INDEX's pool.
no_moa_of_pool() { # I
	local h b a
	for h in hv1 hv2 hv3; do
		b=$(bjson "$h" | jq -r '.[].moa' | grep "^10\.$1\.1\." || true)
		[ -z "$b" ] || { echo "$h: binding with MoA $b"; return 1; }
		a=$(aliases_of "$h")
		case "$a" in
		unsupported | none) ;;
		*) if grep -q "10\.$1\.1\." <<<"$a"; then echo "$h: alias $a"; return 1; fi ;;
		esac
	done
}

# Stamped and ordered: everything that happened around one migration.
timeline() { # N T0 SRC DST CORR_NS L3(0/1)
	local n=$1 t0=$2 src=$3 dst=$4 corr=$5 l3=$6 srcs h
	srcs=("marks:demo=$marks"
		"events:$src-event=$out/events-$src.txt" "events:$dst-event=$out/events-$dst.txt"
		"pcap:$dst-vmtap0=$out/arp-$dst-vmtap0.txt" "pcap:$src-vmtap0=$out/arp-$src-vmtap0.txt"
		"pcap:${corr#mig-}-eth0=$out/arp-${corr#mig-}-eth0.txt")
	if [ "$l3" = 1 ]; then
		for h in hv1 hv2 hv3; do
			srcs+=("monitor:$h-kernel=$out/monitor-$h.txt")
			# The agents' log without its debug lines.
			grep -v ': debug: ' "$out/mobd-$h.log" >"$out/mobd-$h.info.txt" 2>/dev/null || true
			srcs+=("pcap:$h-mobd=$out/mobd-$h.info.txt")
		done
	fi
	"$py" "$here/timeline.py" "$t0" --until "$(date +%s.%N)" "${srcs[@]}" >"$out/timeline-$n.txt" || true
}
# first_rel TIMELINE REGEX: "+S.SSS" of the first line matching, or "-".
first_rel() { awk -v re="$2" '$0 ~ re { print $1; found = 1; exit } END { if (!found) print "-" }' "$1"; }

# migrate SRC DST N [EXTRA...]: one virsh migrate (or mobctl migrate if
# $tool is mobctl; EXTRA is virsh's only), retried once with virsh if it
# failed while the domain still runs at the source (MOB_L3_RETRY).
migrate() {
	local src=$1 dst=$2 n=$3 rc=0 uri
	shift 3
	uri="qemu+tcp://${addr[$dst]}/system"
	if [ "$tool" = mobctl ]; then
		# mobctl migrate = virsh migrate with mig_flags minus --verbose.
		ip netns exec "mig-$src" timeout "$mig_wait" "$MOBCTL" -c "$(hv_uri "$src")" \
			migrate "$dom" to "$uri" </dev/null >"$out/migrate-$n.txt" 2>&1 || rc=$?
	else
		timeout "$mig_wait" virsh -c "$(hv_uri "$src")" migrate "${mig_flags[@]}" "$@" "$dom" "$uri" \
			</dev/null >"$out/migrate-$n.txt" 2>&1 || rc=$?
	fi
	[ $rc -ne 0 ] || return 0
	say "round $n: virsh migrate exited $rc: $(tr '\r' '\n' <"$out/migrate-$n.txt" | grep -v '^$' | tail -1)"
	grep -a ' error : ' "$(hv_logdir "$src")/libvirt/libvirtd.log" 2>/dev/null | tail -3 | indent "$src libvirtd: " || true
	grep -a ' error : ' "$(hv_logdir "$dst")/libvirt/libvirtd.log" 2>/dev/null | tail -3 | indent "$dst libvirtd: " || true
	[ $rc -ne 124 ] || return $rc
	if [ "$retry" = 1 ] && dom_runs_on "$src" && dom_absent_from "$dst"; then
		retries=$((retries + 1))
		say "RETRY: round $n: $dom still runs on $src and not on $dst: migrating again"
		mark "round $n: RETRY virsh migrate"
		rc=0
		timeout "$mig_wait" virsh -c "$(hv_uri "$src")" migrate "${mig_flags[@]}" "$@" "$dom" "$uri" \
			</dev/null >"$out/migrate-$n-retry.txt" 2>&1 || rc=$?
	fi
	return $rc
}

# --- one migration round ------------------------------------------------------------
round=0
l3_count=0
tool=virsh
# do_round PHASE SRC DST MS CORR_NS
do_round() {
	local phase=$1 src=$2 dst=$3 ms=$4 corr=$5 n interval t0 t1 rc up_before up_after net_after
	local src_from dst_from probe_pid lost longest late jd jdn mig_s last_ms
	round=$((round + 1))
	n=$round
	tool=virsh
	if [ "$phase" = L3 ]; then
		case "$l3_tool" in
		mobctl) tool=mobctl ;;
		alternate) l3_count=$((l3_count + 1)); [ $((l3_count % 2)) = 1 ] || tool=mobctl ;;
		esac
	fi
	interval=$(awk -v m="$ms" 'BEGIN { printf "%.4f", m / 1000 }')
	say "round $n ($phase): $src -> $dst, ICMP every $ms ms from ${corr#mig-}"
	guest_alive_or_die "$src"
	up_before=$(up_of "$net_last")
	src_from=$(lines_of "$(console "$src")")
	dst_from=$(lines_of "$(console "$dst")")
	ip netns exec "$corr" "$py" "$here/probe.py" icmp "$vm_ip" "$interval" \
		"$out/probe-$n.txt" </dev/null 2>"$out/probe-$n.err" &
	probe_pid=$!
	bg_pids+=("$probe_pid")
	sleep 2
	if [ -n "$max_downtime" ]; then
		vsh "$src" migrate-setmaxdowntime "$dom" "$max_downtime" || fatal "migrate-setmaxdowntime"
	fi
	t0=$(date +%s.%N)
	mark "round $n: $tool migrate $src -> $dst starts"
	rc=0
	migrate "$src" "$dst" "$n" || rc=$?
	t1=$(date +%s.%N)
	mig_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
	mark "round $n: $tool migrate returned $rc"
	[ $rc -eq 0 ] || {
		kill -TERM "$probe_pid" 2>/dev/null || true
		guest_alive_or_die "$src"
		fatal "round $n: $tool migrate exited $rc (migrate-$n*.txt)"
	}
	say "round $n: $tool migrate took $mig_s s"
	if [ "$tool" = mobctl ]; then
		say "round $n: what mobctl migrate printed:"
		indent <"$out/migrate-$n.txt"
		# Its phases, and the source's kernel following the VM as the
		# agents make the move (man mobctl, MIGRATION).
		check "round $n: mobctl migrate reported the pause, the end and libvirt's downtime" \
			sh -c "grep -q 'VM paused for the last copy' '$out/migrate-$n.txt' &&
				grep -q 'VM stopped here' '$out/migrate-$n.txt' &&
				grep -q 'done: downtime [0-9]' '$out/migrate-$n.txt'"
		check "round $n: mobctl migrate showed $src's kernel binding $vm_ip to $dst's pool" \
			grep -q "kernel: $vm_ip bound to 10\\.${idx[$dst]}\\.1\\.[0-9]* (remote" "$out/migrate-$n.txt"
	fi
	if [ "$phase" = L3 ]; then
		if wait_until "$conv_wait" state_ok "$dst"; then
			say "round $n: every kernel agrees (seen $(since "$t1") s after virsh migrate returned;" \
				"when each changed: below, from mobctl monitor)"
		else
			say "round $n: the kernels did not agree within $conv_wait s"
		fi
	fi
	sleep 3
	stop_probe "$probe_pid"

	check "round $n: $dom running on $dst" dom_runs_on "$dst"
	# A guest that died (nested TCG's memory corruption: see the README)
	# ends the run here; nothing after would mean anything.
	guest_alive_or_die "$dst"
	check "round $n: $dom persistent on $dst" dom_persistent_on "$dst"
	check "round $n: $dom gone from $src (not even defined)" dom_absent_from "$src"
	check "round $n: ${corr#mig-} pings $dom on $dst" ip netns exec "$corr" ping -c 3 -i 0.3 -W 5 "$vm_ip"
	net_after=$(netinfo_of "$corr") || true
	net_last=$net_after
	up_after=$(up_of "$net_after")
	say "round $n: guest says: $net_after"
	check "round $n: same guest, uptime went on (no reboot): ${up_before:-?} s before, ${up_after:-?} s after" \
		awk -v a="$up_before" -v b="$up_after" 'BEGIN { exit !(a > 0 && b > a) }'
	check "round $n: guest's address/netmask, gateway, MAC unchanged ($net_expected)" \
		test "$(net_fixed "$net_after")" = "$net_expected"
	check "round $n: $dst's console shows the guest alive" grep -a -q MOB-GUEST-ALIVE "$(console "$dst")"
	{
		new_lines "$(console "$src")" "$src_from"
		new_lines "$(console "$dst")" "$dst_from"
	} | grep -a -E "$kerr" >"$out/kernel-errors-$n.txt" || true
	check "round $n: guest kernel and memory check clean (both consoles)" test ! -s "$out/kernel-errors-$n.txt"
	[ ! -s "$out/kernel-errors-$n.txt" ] || head -5 "$out/kernel-errors-$n.txt" | indent
	# A guest that panicked still "runs" for libvirt: end here too.
	if grep -a -q 'Kernel panic' "$out/kernel-errors-$n.txt"; then
		tail -25 "$(console "$dst")" 2>/dev/null | indent "console: " || true
		fatal "$dom died on $dst (kernel panic; see hv-logs/$dst/libvirt/qemu/)"
	fi
	check "round $n: TCP connection still open and echoing" "$py" "$here/probe.py" tcpstat "$tcp_out" "$t0" "$t1"
	"$py" "$here/probe.py" tcpstat "$tcp_out" "$t0" "$t1" 2>&1 | indent "tcp: " || true
	if [ "$phase" = L3 ]; then
		check "round $n: every kernel maps $vm_ip to one MoA of $dst's pool (local at $dst), $cn_ip to hv3's, nothing else" \
			state_ok "$dst"
		show_bindings
		local h
		for h in hv1 hv2 hv3; do say "round $n: $h aliases: $(aliases_of "$h")"; done
		say "round $n: etcd: $(etcdctl get --print-value-only "/mob/vm/$vm_ip" 2>&1 | tr -d '\n')"
	fi

	"$py" "$here/probe.py" analyze "$out/probe-$n.txt" "$interval" "$t0" "$(date +%s.%N)" \
		>"$out/downtime-$n.txt" 2>&1 || true
	say "round $n: downtime seen by ${corr#mig-} (ICMP every $ms ms):"
	indent <"$out/downtime-$n.txt"
	vsh "$dst" domjobinfo "$dom" --completed >"$out/jobinfo-$n-$dst.txt" 2>&1 || true
	say "round $n: libvirt's completed job ($dst: domjobinfo --completed):"
	grep -E 'Time elapsed|Data processed|Memory bandwidth|Total downtime|Downtime w/o network|Setup time|Iteration' \
		"$out/jobinfo-$n-$dst.txt" | indent || true
	local o0 o1 first last
	read -r o0 o1 <<<"$(awk '/^outage_from/ { print $2, $4 }' "$out/downtime-$n.txt")" || true
	if [ -n "${o0:-}" ]; then
		echo "$o0 probe: last answered probe before the outage sent" >>"$marks"
		echo "$o1 probe: first answered probe after the outage sent" >>"$marks"
	fi
	read -r first last <<<"$(sed -n 's/^longest_run .* sent \([0-9.]*\) \.\. \([0-9.]*\)$/\1 \2/p' "$out/downtime-$n.txt")" || true
	if [ -n "${first:-}" ]; then
		echo "$first probe: first lost probe sent" >>"$marks"
		echo "$last probe: last lost probe sent" >>"$marks"
	fi
	timeline "$n" "$t0" "$src" "$dst" "$corr" "$([ "$phase" = L3 ] && echo 1 || echo 0)"
	say "round $n: time line (s from virsh migrate):"
	indent <"$out/timeline-$n.txt"

	# The numbers for the summary.
	lost=$(awk '/^downtime_lost_x_interval_ms/ { print $2 }' "$out/downtime-$n.txt")
	longest=$(awk '/^longest_run_ms/ { print $2 }' "$out/downtime-$n.txt")
	late=$(awk '/^longest_run_lost_or_late1s_ms/ { print $2 }' "$out/downtime-$n.txt")
	jd=$(awk -F: '/^Total downtime/ { gsub(/[^0-9]/, "", $2); print $2 }' "$out/jobinfo-$n-$dst.txt")
	jdn=$(awk -F: '/^Downtime w\/o network/ { gsub(/[^0-9]/, "", $2); print $2 }' "$out/jobinfo-$n-$dst.txt")
	last_ms=-
	flip_ms=-
	if [ "$phase" = L3 ]; then
		local tl=$out/timeline-$n.txt new rarp resumed tk worst=
		flip_ms=-
		new=$(moa_of "$dst" "$vm_ip")
		rarp=$(first_rel "$tl" "$dst-vmtap0 .*Reverse")
		resumed=$(first_rel "$tl" "$dst-event .*Resumed Migrated")
		say "round $n: $dst resumed at $resumed s, first RARP on $dst's tap at $rarp s; kernels (binding $vm_ip -> $new):"
		for h in "$dst" $(printf '%s\n' hv1 hv2 hv3 | grep -vx "$dst"); do
			tk=$(first_rel "$tl" "$h-kernel .*hoa=$vm_ip moa=$new( |$)")
			say "    $h kernel at $tk s$( [ "$tk" = - ] || [ "$rarp" = - ] || awk -v k="$tk" -v r="$rarp" 'BEGIN { printf " (%+.0f ms after the first RARP)", (k - r) * 1000 }')$( [ "$tk" = - ] || [ "$resumed" = - ] || awk -v k="$tk" -v r="$resumed" 'BEGIN { printf " (%+.0f ms after Resumed Migrated)", (k - r) * 1000 }')"
			# The flip: the destination's local binding, from the VM's
			# first sign of life there (RARP or libvirt's event).
			if [ "$h" = "$dst" ] && [ "$tk" != - ] && { [ "$rarp" != - ] || [ "$resumed" != - ]; }; then
				flip_ms=$(awk -v k="$tk" -v a="$rarp" -v b="$resumed" 'BEGIN {
					s = (a == "-") ? b : (b == "-") ? a : (a < b ? a : b); printf "%.0f", (k - s) * 1000 }')
			fi
			[ "$tk" = - ] || worst=$(awk -v a="${worst:--1e9}" -v b="$tk" 'BEGIN { print (b > a) ? b : a }')
		done
		[ -z "$worst" ] || [ "$rarp" = - ] ||
			last_ms=$(awk -v k="$worst" -v r="$rarp" 'BEGIN { printf "%.0f", (k - r) * 1000 }')
	fi
	printf '%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$phase" "$n" "$src" "$dst" "$ms" \
		"${lost:--}" "${longest:--}" "${jd:--}" "${jdn:--}" "$mig_s" "$last_ms" "${late:--}" "$flip_ms" >>"$rounds_tsv"
}

# stop_probe PID: SIGTERM, then at most 60 s for it to write its file
# (it waits 5 s for late replies), then SIGKILL.
stop_probe() {
	local end=$((SECONDS + 60))
	kill -TERM "$1" 2>/dev/null || true
	while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.5; done
	if kill -0 "$1" 2>/dev/null; then
		say "probe $1 did not stop within 60 s: killed"
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
}
start_tcp() { # CORR_NS OUT: one TCP connection for the phase
	tcp_out=$2
	ip netns exec "$1" "$py" "$here/probe.py" tcp "$vm_ip" 7 0.1 "$tcp_out" </dev/null 2>"$tcp_out.err" &
	tcp_pid=$!
	bg_pids+=("$tcp_pid")
	wait_until 120 grep -q '^[0-9]' "$tcp_out"
}
stop_tcp() { # WHAT
	local rc=0
	kill -TERM "$tcp_pid" 2>/dev/null || true
	wait "$tcp_pid" || rc=$?
	check "$1: the TCP connection survived every migration and closed cleanly" \
		sh -c "[ $rc -eq 0 ] && grep -q '^CLOSED' '$tcp_out' && ! grep -q '^ERROR' '$tcp_out'"
}

src=hv1
dst=hv2
net_boot=
net_last=
# --- 1. L2 baseline -------------------------------------------------------------------
if has_phase l2; then
	say "== L2 baseline: vm1's port on one segment with cn2, no translation"
	check "cn2 pings $dom on hv1" ip netns exec mig-cn2 ping -c 3 -i 0.3 -W 5 "$vm_ip"
	net_boot=$(netinfo_of mig-cn2) || true
	net_last=$net_boot
	say "guest says after boot: $net_boot"
	check "guest's address/netmask, gateway, MAC as configured ($net_expected)" \
		test "$(net_fixed "$net_boot")" = "$net_expected"
	check "L2: TCP connection from cn2 to $dom:7 open and echoing" start_tcp mig-cn2 "$out/tcp-l2.txt"
	for ms in $l2_rounds; do
		do_round L2 "$src" "$dst" "$ms" mig-cn2
		tmp=$src src=$dst dst=$tmp
	done
	stop_tcp L2
fi

# --- 2. the switch to L3, the agents ----------------------------------------------------
if has_phase l3 || has_phase abort; then
	say "== L3: the taps become routed VM ports (MAC $port_mac on both), agents on hv1 and hv2"
	has_phase l2 && l3_switch
	mark "agents start on hv1, hv2"
	t=$(date +%s.%N)
	start_agent hv1
	start_agent hv2
	for h in hv1 hv2; do
		wait_until 60 agent_up "$h" || fatal "$h's agent did not come up (mobd-$h.log)"
	done
	if wait_until "$conv_wait" state_ok "$src"; then
		say "agents: every kernel agrees $(since "$t") s after the agents started"
	fi
	check "every kernel maps $vm_ip to one MoA of $src's pool (local at $src), $cn_ip to hv3's" state_ok "$src"
	show_bindings
	check "vm21 pings $dom through both translations" ip netns exec mig-vm21 ping -c 3 -i 0.3 -W 5 "$vm_ip"
	net_l3=$(netinfo_of mig-vm21) || true
	net_last=$net_l3
	say "guest says: $net_l3"
	check "guest's address/netmask, gateway, MAC unchanged ($net_expected)" \
		test "$(net_fixed "$net_l3")" = "$net_expected"
	check "L3: TCP connection from vm21 to $dom:7 open and echoing" start_tcp mig-vm21 "$out/tcp-l3.txt"
fi

# --- 3. L3 rounds ---------------------------------------------------------------------------
if has_phase l3; then
	for ms in $l3_rounds; do
		do_round L3 "$src" "$dst" "$ms" mig-vm21
		tmp=$src src=$dst dst=$tmp
	done
fi

# --- 4. a failed migration ------------------------------------------------------------------
# fail_round abort|kill: a migration $src -> $dst that fails once $dst's
# incoming QEMU runs: virsh domjobabort at the source (abort), or that
# QEMU killed with SIGKILL (kill: the destination dies).  The VM must go
# on at the source, untouched, and no trace of $dst's reservation may
# remain anywhere.
fail_round() {
	local mode=$1 what moa_before ev_from mig_pid rc t0 t1 qpid p
	round=$((round + 1))
	n=$round
	if [ "$mode" = abort ]; then
		what="virsh domjobabort on $src"
	else
		what="kill -9 of $dst's incoming QEMU"
	fi
	say "== $mode (round $n): $src -> $dst at $abort_bw MiB/s, $what once $dst's QEMU is up"
	guest_alive_or_die "$src"
	moa_before=$(moa_of "$src" "$vm_ip")
	up_before=$(up_of "$net_last")
	ev_from=$(lines_of "$out/events-$dst.txt")
	ip netns exec mig-vm21 "$py" "$here/probe.py" icmp "$vm_ip" 0.1 "$out/probe-$n.txt" </dev/null 2>"$out/probe-$n.err" &
	probe_pid=$!
	bg_pids+=("$probe_pid")
	sleep 2
	t0=$(date +%s.%N)
	mark "$mode: virsh migrate $src -> $dst --bandwidth $abort_bw starts"
	timeout "$mig_wait" virsh -c "$(hv_uri "$src")" migrate "${mig_flags[@]}" --bandwidth "$abort_bw" \
		"$dom" "qemu+tcp://${addr[$dst]}/system" </dev/null >"$out/migrate-$n.txt" 2>&1 &
	mig_pid=$!
	bg_pids+=("$mig_pid")
	if wait_until 180 sh -c "tail -n +$((ev_from + 1)) '$out/events-$dst.txt' | grep -q 'Started Migrated'"; then
		say "$mode: $dst's incoming QEMU started after $(since "$t0") s; copying at $abort_bw MiB/s"
		sleep 3
	else
		say "$mode: no 'Started Migrated' on $dst after $(since "$t0") s; aborting anyway"
	fi
	vsh "$src" domjobinfo "$dom" >"$out/jobinfo-$n-abort-$src.txt" 2>&1 || true
	grep -E 'Job type|Time elapsed|Data processed|Data remaining' "$out/jobinfo-$n-abort-$src.txt" | indent "$src: " || true
	mark "$mode: $what"
	if [ "$mode" = abort ]; then
		check "$mode: virsh domjobabort accepted on $src" vsh "$src" domjobabort "$dom"
	else
		# The QEMU in the destination's network namespace (the
		# source's may have been started with -incoming too, by an
		# earlier migration).
		qpid=
		for p in $(pgrep -f 'qemu-system-x86_64 ' || true); do
			[ "$(ip netns identify "$p" 2>/dev/null)" = "mig-$dst" ] && { qpid=$p; break; }
		done
		check "kill: $dst's incoming QEMU found (pid ${qpid:-none}) and killed" kill -9 "${qpid:-none}"
	fi
	rc=0
	wait "$mig_pid" || rc=$?
	t1=$(date +%s.%N)
	mark "$mode: virsh migrate returned $rc"
	say "$mode: virsh migrate exited $rc after $(since "$t0") s: $(tr '\r' '\n' <"$out/migrate-$n.txt" | grep -v '^$' | tail -1)"
	check "$mode: virsh migrate failed (not 0, not a timeout)" test "$rc" -ne 0 -a "$rc" -ne 124
	# Give the agents time to do something wrong, if they would.
	sleep 5
	stop_probe "$probe_pid"
	check "$mode: $dom still running on $src" dom_runs_on "$src"
	check "$mode: $dom not on $dst (not even defined)" dom_absent_from "$dst"
	check "$mode: vm21 pings $dom on $src" ip netns exec mig-vm21 ping -c 3 -i 0.3 -W 5 "$vm_ip"
	net_after=$(netinfo_of mig-vm21) || true
	net_last=$net_after
	up_after=$(up_of "$net_after")
	say "$mode: guest says: $net_after"
	check "$mode: same guest, uptime went on: ${up_before:-?} s before, ${up_after:-?} s after" \
		awk -v a="$up_before" -v b="$up_after" 'BEGIN { exit !(a > 0 && b > a) }'
	check "$mode: guest's address/netmask, gateway, MAC unchanged ($net_expected)" \
		test "$(net_fixed "$net_after")" = "$net_expected"
	check "$mode: TCP connection still open and echoing" "$py" "$here/probe.py" tcpstat "$tcp_out" "$t0" "$t1"
	check "$mode: every kernel still maps $vm_ip to $src's MoA" state_ok "$src"
	check "$mode: ... the same MoA as before ($moa_before)" test "$(moa_of "$src" "$vm_ip")" = "$moa_before"
	check "$mode: no kernel holds a binding or alias with a MoA of $dst's pool (10.${idx[$dst]}.1.0/24)" \
		no_moa_of_pool "${idx[$dst]}"
	check "$mode: $dst's agent runs no VM" \
		sh -c "[ \"\$(timeout 20 '$MOBCTL' -c '$run/$dst.sock' -j vm show | jq length)\" = 0 ]"
	show_bindings
	for h in hv1 hv2 hv3; do say "$mode: $h aliases: $(aliases_of "$h")"; done
	"$py" "$here/probe.py" analyze "$out/probe-$n.txt" 0.1 "$t0" "$(date +%s.%N)" >"$out/downtime-$n.txt" 2>&1 || true
	say "$mode: what vm21 saw (ICMP every 100 ms):"
	indent <"$out/downtime-$n.txt"
	longest=$(awk '/^longest_run_ms/ { print $2 }' "$out/downtime-$n.txt")
	check "$mode: the guest never stopped answering for 2 s or more (longest loss ${longest:-0} ms)" \
		awk -v l="${longest:-0}" 'BEGIN { exit !(l < 2000) }'
	timeline "$n" "$t0" "$src" "$dst" mig-vm21 1
	say "$mode: time line (s from virsh migrate):"
	indent <"$out/timeline-$n.txt"
}
if has_phase abort; then fail_round abort; fi
if has_phase kill; then fail_round kill; fi

if has_phase l3 || has_phase abort || has_phase kill; then
	stop_tcp L3
	check "no agent logged an error" sh -c "! grep -h ': err: ' '$out'/mobd-hv*.log"
	grep -h ': err: ' "$out"/mobd-hv*.log 2>/dev/null | head -5 | indent || true
fi

# --- 5. summary -------------------------------------------------------------------------------
say "== summary (ms; lost = lost probes x interval; libvirt = domjobinfo --completed Total downtime / w/o network)"
column -t -s "$(printf '\t')" "$rounds_tsv" | indent
awk -F'\t' 'NR > 1 && $6 != "-" {
		k = $1 " " $5; n[k]++; lost[k] += $6; if ($8 != "") { lv[k] += $8; lvn[k]++ }
		ph[$1]++; pl[$1] += $6; if ($8 != "") { pv[$1] += $8; pvn[$1]++ }
		if ($12 != "-" && $12 != "") { pt[$1] += $12; ptn[$1]++ }
		if ($13 != "-" && $13 != "") { fl = fl sep $13; sep = " / " }
		if ($8 != "" && $8 != "-") { ex[$1] += $6 - $8; exn[$1]++ }
		iv[$5] = 1
	}
	END {
		for (i in iv) {
			a = "L2 " i; b = "L3 " i
			if (n[a] && n[b])
				printf "interval %s ms: L2 %.0f ms (%d), L3 %.0f ms (%d): overhead %+.0f ms; libvirt L2 %.0f, L3 %.0f: %+.0f ms\n",
					i, lost[a] / n[a], n[a], lost[b] / n[b], n[b], lost[b] / n[b] - lost[a] / n[a],
					lvn[a] ? lv[a] / lvn[a] : -1, lvn[b] ? lv[b] / lvn[b] : -1,
					(lvn[a] && lvn[b]) ? lv[b] / lvn[b] - lv[a] / lvn[a] : 0
		}
		if (ph["L2"] && ph["L3"])
			printf "all intervals: L2 %.0f ms, L3 %.0f ms: overhead %+.0f ms (libvirt: L2 %.0f, L3 %.0f)\n",
				pl["L2"] / ph["L2"], pl["L3"] / ph["L3"], pl["L3"] / ph["L3"] - pl["L2"] / ph["L2"],
				pvn["L2"] ? pv["L2"] / pvn["L2"] : -1, pvn["L3"] ? pv["L3"] / pvn["L3"] : -1
		if (ptn["L2"] && ptn["L3"])
			printf "all intervals, probes lost or answered > 1 s late: L2 %.0f ms, L3 %.0f ms: overhead %+.0f ms\n",
				pt["L2"] / ptn["L2"], pt["L3"] / ptn["L3"], pt["L3"] / ptn["L3"] - pt["L2"] / ptn["L2"]
		if (exn["L2"] || exn["L3"])
			printf "lost beyond the libvirt downtime (mean of lost - libvirt; resolution: the probe interval): L2 %s, L3 %s\n",
				exn["L2"] ? sprintf("%+.0f ms", ex["L2"] / exn["L2"]) : "-",
				exn["L3"] ? sprintf("%+.0f ms", ex["L3"] / exn["L3"]) : "-"
		if (fl != "")
			printf "flip (the destination kernel binds the VM locally, ms after its first RARP or Resumed Migrated, whichever came first): %s\n", fl
	}' "$rounds_tsv" | indent "MEASURE "
exit 0
}
