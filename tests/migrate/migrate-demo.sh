#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A real libvirt + QEMU live migration between two "hypervisors" that are
# namespaces of this machine (tests/migrate/hv.sh), on one L2 segment, no
# kernel module: the first milestone, the mechanics.
#
#   tests/migrate/migrate-demo.sh            on the host (root), ~1 min
#   flock build/qemu.lock tests/lab/run-lab.sh 6.12.117+deb12-amd64 \
#       -- tests/migrate/migrate-demo.sh     in the lab guest (nested TCG)
#
#                 mig-sw: br0 (the shared L2 segment)
#             /                 |                 \
#   hv1: up0-br0-vmtap0   hv2: up0-br0-vmtap0    cn: eth0
#        10.99.0.2             10.99.0.3             10.99.0.1 (the VM's gateway)
#                    vm1 10.99.0.11/24, 52:54:00:99:00:11
#
# 1. builds the guest if needed (mkguest.sh; on the host only, the lab's
#    work tree is read-only), starts a private libvirtd on hv1 and hv2;
# 2. defines and starts vm1 on hv1 (direct kernel boot, tap vmtap0 made
#    beforehand on both hypervisors), waits for its console to say
#    MOB-GUEST-READY; the correspondent cn pings it and opens one TCP
#    connection to its echo port, kept for the whole run;
# 3. round 1: virsh migrate --live --p2p --persistent --undefinesource
#    hv1 -> hv2 under an ICMP probe every 10 ms; round 2: back hv2 -> hv1
#    under a probe every 1 ms (MOB_MIG_ROUNDS);
# 4. after each round checks: the domain runs on the destination and is
#    gone from the source, the guest answers ping and reports an uptime
#    that went on (not a reboot), the destination's console shows it
#    alive, the TCP connection still echoes; prints downtime as lost
#    probes x interval, libvirt's own downtime (domjobinfo --completed)
#    and a time line of libvirt events (both sides), RARP/ARP seen on the
#    destination tap and at the correspondent, and the probe's outage.
#
# Everything goes to MOB_MIG_OUT (build/migrate/results on the host,
# $MOB_LAB_OUT/migrate in the lab): summary.txt, per-round timelines,
# event logs, captures, probe data, console and libvirt logs.  Exit 0
# only if every check passed.
#
# Environment: MOB_MIG_KVER (guest kernel, default the newest installed),
# MOB_MIG_ROUNDS ("10 1": one migration per probe interval in ms,
# alternating direction; empty: none), MOB_MIG_MEM (MiB, 96), MOB_MIG_BOOT_WAIT
# (seconds for the guest to boot, 120; 900 in the lab),
# MOB_MIG_MIGRATE_WAIT (seconds for one migration, 300; 1200 in the lab),
# MOB_MIG_NIC (unmanaged: the default, a tap the hypervisor makes on
# both sides; ethernet or bridge: libvirt makes it, see mig_domain_xml),
# MOB_MIG_MAX_DOWNTIME (ms: virsh migrate-setmaxdowntime on the source
# before each migration; QEMU's default limit is 300 ms and an idle guest
# uses most of it), MOB_MIG_UNDEFINE_SOURCE (1; 0 leaves the source's
# persistent definition, shut off, whose domjobinfo --completed then
# still answers), MOB_MIG_SOAK (seconds to keep the guest running after
# the last round, then check its console again), MOB_MIG_MEMCHECK (pages
# for the guest's memory check, 1024; 256 in the lab; empty: off),
# MOB_MIG_KEEP=1 (leave the namespaces and domains running at the end).
set -euo pipefail

# One brace group, ended by exit: editing this file during a run is safe.
{
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=tests/migrate/hv.sh
. "$here/hv.sh"
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
py=/usr/bin/python3

in_lab=0
[ -z "${MOB_LAB_OUT:-}" ] || in_lab=1
out=${MOB_MIG_OUT:-}
if [ -z "$out" ]; then
	if [ $in_lab = 1 ]; then
		out=$MOB_LAB_OUT/migrate
	else
		out=$MOB_MIG_WORKTREE/build/migrate/results
	fi
fi
# Absolute: virsh and friends run in the hypervisors' mount namespaces.
out=$(realpath -m "$out")
if [ $in_lab = 1 ]; then
	boot_wait=${MOB_MIG_BOOT_WAIT:-900}
	mig_wait=${MOB_MIG_MIGRATE_WAIT:-1200}
	export MOB_MIG_LIBVIRTD_WAIT=${MOB_MIG_LIBVIRTD_WAIT:-600}
else
	boot_wait=${MOB_MIG_BOOT_WAIT:-120}
	mig_wait=${MOB_MIG_MIGRATE_WAIT:-300}
fi
# In the lab, each hypervisor's /var/log (libvirtd.log, qemu/vm1.log, the
# guest's console) is on the out share, readable from the host during
# the run; on the host it stays in the state dir and is copied at the end.
if [ $in_lab = 1 ]; then
	export MOB_MIG_LOGS=${MOB_MIG_LOGS:-$out/hv-logs}
fi
rounds=${MOB_MIG_ROUNDS-10 1}
# The guest's memory check (guest-init: mob.memcheck): pages of random
# data verified all along, and as many rewritten every second.
if [ $in_lab = 1 ]; then
	export MOB_MIG_MEMCHECK=${MOB_MIG_MEMCHECK-256}
else
	export MOB_MIG_MEMCHECK=${MOB_MIG_MEMCHECK-1024}
fi
# What, on a guest's console, means its kernel or memory went wrong.
kerr='BUG:|BUG |WARNING:|Oops|corruption|Kernel panic|general protection|MOB-GUEST-CORRUPT'
new_lines() { # FILE FROM_LINE: the lines after FROM_LINE
	tail -n +"$(($2 + 1))" "$1" 2>/dev/null || true
}
lines_of() {
	if [ -e "$1" ]; then grep -a -c '' "$1" || true; else echo 0; fi
}
max_downtime=${MOB_MIG_MAX_DOWNTIME:-}
undefine=${MOB_MIG_UNDEFINE_SOURCE:-1}
mig_flags=(--live --p2p --persistent --verbose)
[ "$undefine" = 0 ] || mig_flags+=(--undefinesource)
mem=${MOB_MIG_MEM:-96}
nic=${MOB_MIG_NIC:-unmanaged}
kver=${MOB_MIG_KVER:-$(ls /boot/vmlinuz-* | sed 's|^/boot/vmlinuz-||' | sort -V | tail -1)}

dom=vm1
vm_ip=10.99.0.11
vm_mac=52:54:00:99:00:11
cn_ip=10.99.0.1
declare -A hv_addr=([hv1]=10.99.0.2 [hv2]=10.99.0.3)

rm -rf "$out"
mkdir -p "$out"
summary=$out/summary.txt
: >"$summary"
marks=$out/marks.txt
: >"$marks"
failures=0
run_start=$(date +%s.%N)

say() {
	# Time since the start, then the message; also in summary.txt.
	printf '[%7.2f] %s\n' "$(awk -v a="$run_start" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$*" |
		tee -a "$summary"
}
mark() {
	echo "$(date +%s.%N) $*" >>"$marks"
}
check() { # DESCRIPTION COMMAND...
	local what=$1
	shift
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

bg_pids=()
cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${bg_pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${bg_pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	# What the hypervisors logged (their state dir may be a tmpfs).
	for h in hv1 hv2; do
		d=$(hv_dir "$h")
		[ -d "$d" ] || continue
		mkdir -p "$out/$h"
		[ -n "${MOB_MIG_LOGS:-}" ] || cp -r "$(hv_logdir "$h")/libvirt/." "$out/$h/" 2>/dev/null || true
		cp "$d/libvirtd.out" "$d/etc/libvirtd.conf" "$d/etc/qemu.conf" "$out/$h/" 2>/dev/null || true
	done
	if [ "${MOB_MIG_KEEP:-0}" = 1 ]; then
		say "MOB_MIG_KEEP=1: namespaces left running (mig_cleanup from hv.sh removes them)"
	else
		mig_cleanup
	fi
	if [ "$rc" -eq 0 ] && [ "$failures" -gt 0 ]; then
		rc=1
	fi
	say "result: $([ "$rc" -eq 0 ] && echo PASS || echo FAIL) ($failures failed checks), logs in $out"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "migrate-demo: guest kernel $kver, ${mem} MiB, NIC $nic, memcheck ${MOB_MIG_MEMCHECK:-off} pages, rounds (probe ms): $rounds, $(nproc) cpus," \
	"$([ $in_lab = 1 ] && echo "in the lab ($(uname -r))" || echo "on the host ($(uname -r))")"
for t in libvirtd virsh qemu-system-x86_64 tcpdump nsenter unshare ip; do
	command -v "$t" >/dev/null || fatal "$t not found (tests/lab/install-deps.sh)"
done
[ -x "$MOB_MIG_LIBVIRT_LIBDIR/connection-driver/libvirt_driver_qemu.so" ] ||
	[ -r "$MOB_MIG_LIBVIRT_LIBDIR/connection-driver/libvirt_driver_qemu.so" ] ||
	fatal "no libvirt QEMU driver (install libvirt-daemon-driver-qemu)"

# --- the guest ------------------------------------------------------------
initrd=$MOB_MIG_WORKTREE/build/migrate/guest/initrd-$kver.cpio.gz
if [ ! -r "$initrd" ] || [ "$here/guest-init" -nt "$initrd" ] || [ "$here/mkguest.sh" -nt "$initrd" ]; then
	[ $in_lab = 0 ] || fatal "no (or stale) $initrd: run tests/migrate/mkguest.sh --kver $kver on the host first"
	"$here/mkguest.sh" --kver "$kver" | tee -a "$summary"
fi

# --- the network ------------------------------------------------------------
mig_cleanup
mig_preflight || fatal "preflight"
mig_netns_add sw
ip -n mig-sw link add br0 type bridge
ip -n mig-sw link set br0 up
mig_netns_add cn
ip link add eth0 netns mig-cn type veth peer name cn netns mig-sw
ip -n mig-sw link set cn master br0 up
ip -n mig-cn addr add "$cn_ip/24" dev eth0
ip -n mig-cn link set eth0 up
for h in hv1 hv2; do
	hv_create "$h"
	# The uplink to the segment, a bridge for it and the VM's tap; the
	# hypervisor's own address (libvirt, migration traffic) on the bridge.
	ip link add up0 netns "mig-$h" type veth peer name "$h" netns mig-sw
	ip -n mig-sw link set "$h" master br0 up
	hv_exec "$h" ip link add br0 type bridge
	hv_exec "$h" ip link set up0 master br0 up
	hv_exec "$h" ip link set br0 up
	hv_exec "$h" ip addr add "${hv_addr[$h]}/24" dev br0
	# The VM's port: made by us (unmanaged), or by libvirt when QEMU
	# starts (ethernet: and then attached to nothing; bridge: to br0).
	[ "$nic" != unmanaged ] || hv_add_tap "$h" vmtap0 br0
done

# --- libvirt ------------------------------------------------------------------
t=$(date +%s.%N)
hv_libvirtd_start hv1 "${hv_addr[hv1]}" || fatal "libvirtd on hv1"
say "hv1: libvirtd answering after $(hv_since "$t") s"
xml=$out/$dom.xml
mig_domain_xml "$dom" "$kver" "$vm_ip/24" "$cn_ip" "$vm_mac" vmtap0 "$mem" "$nic" br0 >"$xml" ||
	fatal "domain XML"
# The first define makes libvirt probe QEMU's capabilities (slow under
# TCG); hv2 gets that cache (hv_seed_caps) before it starts.
t=$(date +%s.%N)
hv_virsh hv1 define "$xml" >/dev/null || fatal "define $dom on hv1"
say "hv1: $dom defined in $(hv_since "$t") s (includes the QEMU capabilities probe)"
hv_seed_caps hv1 hv2 || true
t=$(date +%s.%N)
hv_libvirtd_start hv2 "${hv_addr[hv2]}" || fatal "libvirtd on hv2"
say "hv2: libvirtd answering after $(hv_since "$t") s"

# Events on both sides, the whole run; ARP/RARP on each tap (when it
# exists beforehand: unmanaged), else on each hypervisor's bridge, and at
# cn.
cap_if=vmtap0
[ "$nic" = unmanaged ] || cap_if=br0
for h in hv1 hv2; do
	hv_spawn "$h" "$out/events-$h.txt" virsh -c qemu:///system event --all --loop --timestamp
	bg_pids+=("$HV_SPAWNED")
	hv_spawn "$h" "$out/arp-$h-$cap_if.txt" tcpdump -i "$cap_if" -n -e -tt -l 'arp or rarp'
	bg_pids+=("$HV_SPAWNED")
done
ip netns exec mig-cn tcpdump -i eth0 -n -e -tt -l 'arp or rarp' </dev/null >"$out/arp-cn-eth0.txt" 2>&1 &
bg_pids+=($!)

# --- boot on hv1 ------------------------------------------------------------
console() { # HV: the host path of the guest's console log on HV
	echo "$(hv_logdir "$1")/libvirt/qemu/$dom-console.log"
}
t=$(date +%s.%N)
mark "virsh start $dom on hv1"
hv_virsh hv1 start "$dom" >/dev/null || fatal "start $dom on hv1"
say "hv1: virsh start returned after $(hv_since "$t") s"
# Wall-clock deadline (a loop count would stretch under TCG); every few
# seconds also check the domain still runs (a guest that panics or powers
# off is reported at once, with its console).
ready=
deadline=$((SECONDS + boot_wait))
next_state=$((SECONDS + 5))
while [ $SECONDS -lt $deadline ]; do
	if ready=$(grep -a -m1 'MOB-GUEST-READY\|MOB-GUEST-FAILED' "$(console hv1)" 2>/dev/null); then
		break
	fi
	if [ $SECONDS -ge $next_state ]; then
		next_state=$((SECONDS + 5))
		state=$(hv_virsh hv1 domstate "$dom" --reason 2>&1 || true)
		case "$state" in
		running*) ;;
		*) ready="domain not running: $state"; break ;;
		esac
	fi
	sleep 0.2
done
case "$ready" in
*MOB-GUEST-READY*)
	mark "guest ready"
	say "boot: MOB-GUEST-READY $(hv_since "$t") s after virsh start (guest uptime ${ready##*uptime=} s)"
	if grep -a -E "$kerr" "$(console hv1)" >"$out/boot-kernel-errors.txt"; then
		say "NOTE: the guest's kernel logged errors while booting (not a check; boot-kernel-errors.txt):"
		head -3 "$out/boot-kernel-errors.txt" | sed 's/^/    /' | tee -a "$summary"
	fi
	;;
*)
	tail -30 "$(console hv1)" 2>/dev/null | sed 's/^/    console: /' | tee -a "$summary" || true
	fatal "boot: no MOB-GUEST-READY after $(hv_since "$t") s (${ready:-timeout})"
	;;
esac
check "cn pings $dom on hv1" ip netns exec mig-cn ping -c 3 -i 0.2 -W 5 "$vm_ip"

# One TCP connection for the whole run (a line every 100 ms, each echo
# awaited).
ip netns exec mig-cn "$py" "$here/probe.py" tcp "$vm_ip" 7 0.1 "$out/tcp.txt" </dev/null 2>"$out/tcp.err" &
tcp_pid=$!
bg_pids+=("$tcp_pid")
for ((i = 0; i < 60; i++)); do
	! grep -q '^[0-9]' "$out/tcp.txt" 2>/dev/null || break
	sleep 1
done
check "TCP connection to $dom:7 open and echoing" grep -q '^[0-9]' "$out/tcp.txt"

uptime_of() { # the guest's "NAME up SECS", over TCP port 8
	ip netns exec mig-cn timeout 120 "$py" "$here/probe.py" ask "$vm_ip" 8 </dev/null
}

# --- migration rounds ---------------------------------------------------------
src=hv1
dst=hv2
n=0
for ms in $rounds; do
	n=$((n + 1))
	interval=$(awk -v m="$ms" 'BEGIN { printf "%.4f", m / 1000 }')
	say "round $n: $src -> $dst, ICMP probe every $ms ms"
	up_before=$(uptime_of) || true
	src_from=$(lines_of "$(console "$src")")
	dst_from=$(lines_of "$(console "$dst")")
	ip netns exec mig-cn "$py" "$here/probe.py" icmp "$vm_ip" "$interval" \
		"$out/probe-$n.txt" </dev/null 2>"$out/probe-$n.err" &
	probe_pid=$!
	bg_pids+=("$probe_pid")
	sleep 2
	if [ -n "$max_downtime" ]; then
		# Sets QEMU's downtime-limit (migrate-set-parameters) now; it
		# holds for the migration that follows.
		hv_virsh "$src" migrate-setmaxdowntime "$dom" "$max_downtime" ||
			fatal "migrate-setmaxdowntime $max_downtime"
	fi
	say "round $n: max downtime allowed: $(hv_virsh "$src" migrate-getmaxdowntime "$dom" 2>&1) ms"
	uri="qemu+tcp://${hv_addr[$dst]}/system"
	t0=$(date +%s.%N)
	mark "round $n: virsh migrate $src -> $dst starts"
	rc=0
	# From outside the namespaces, through the source's socket file: the
	# source libvirtd (p2p) connects to the destination's over TCP.
	timeout "$mig_wait" virsh -c "$(hv_uri "$src")" migrate "${mig_flags[@]}" "$dom" "$uri" \
		</dev/null >"$out/migrate-$n.txt" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	mark "round $n: virsh migrate returned $rc"
	tr '\r' '\n' <"$out/migrate-$n.txt" | grep -v '^$' | tail -3 | sed 's/^/    /' | tee -a "$summary"
	[ $rc -eq 0 ] || fatal "round $n: virsh migrate exited $rc: $(tail -1 "$out/migrate-$n.txt")"
	say "round $n: virsh -c $(hv_uri "$src") migrate ${mig_flags[*]} $dom $uri"
	say "round $n: virsh migrate took $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') s"
	sleep 3
	kill -TERM "$probe_pid"
	wait "$probe_pid" || true

	check "round $n: $dom running on $dst" \
		sh -c "[ \"\$(nsenter -t $(hv_pid "$dst") -n -m -u virsh -q -c qemu:///system domstate $dom)\" = running ]"
	check "round $n: $dom persistent on $dst" \
		sh -c "nsenter -t $(hv_pid "$dst") -n -m -u virsh -c qemu:///system dominfo $dom | grep -q 'Persistent: *yes'"
	if [ "$undefine" = 0 ]; then
		check "round $n: $dom shut off (defined, not running) on $src" \
			sh -c "[ \"\$(nsenter -t $(hv_pid "$src") -n -m -u virsh -q -c qemu:///system domstate $dom)\" = 'shut off' ]"
	else
		check "round $n: $dom gone from $src (not even defined)" \
			sh -c "! nsenter -t $(hv_pid "$src") -n -m -u virsh -q -c qemu:///system list --all --name | grep -qx $dom"
	fi
	check "round $n: cn pings $dom on $dst" ip netns exec mig-cn ping -c 3 -i 0.2 -W 5 "$vm_ip"
	up_after=$(uptime_of) || true
	say "round $n: guest says '$up_before' before, '$up_after' after"
	check "round $n: same guest, uptime went on (no reboot)" \
		awk -v a="${up_before##* }" -v b="${up_after##* }" 'BEGIN { exit !(a > 0 && b > a) }'
	check "round $n: $dst's console shows the guest alive" \
		sh -c "grep -a -q MOB-GUEST-ALIVE '$(console "$dst")'"
	# The guest's kernel log and memory checks, on both consoles, from
	# just before this migration: a page lost or stale in transit shows
	# as list/slab corruption, an oops, or MOB-GUEST-CORRUPT.
	{
		new_lines "$(console "$src")" "$src_from"
		new_lines "$(console "$dst")" "$dst_from"
	} | grep -a -E "$kerr" >"$out/kernel-errors-$n.txt" || true
	check "round $n: guest kernel and memory check clean (consoles of both sides)" \
		test ! -s "$out/kernel-errors-$n.txt"
	[ ! -s "$out/kernel-errors-$n.txt" ] || head -5 "$out/kernel-errors-$n.txt" | sed 's/^/    /' | tee -a "$summary"
	check "round $n: TCP connection still open and echoing" \
		"$py" "$here/probe.py" tcpstat "$out/tcp.txt" "$t0" "$t1"
	"$py" "$here/probe.py" tcpstat "$out/tcp.txt" "$t0" "$t1" 2>&1 | sed 's/^/    tcp: /' | tee -a "$summary" || true

	say "round $n: downtime seen by the correspondent (ICMP every $ms ms):"
	"$py" "$here/probe.py" analyze "$out/probe-$n.txt" "$interval" "$t0" "$(date +%s.%N)" |
		sed 's/^/    /' | tee "$out/downtime-$n.txt" | tee -a "$summary"
	say "round $n: libvirt's completed job (domjobinfo --completed):"
	for h in "$src" "$dst"; do
		if hv_virsh "$h" domjobinfo "$dom" --completed >"$out/jobinfo-$n-$h.txt" 2>&1; then
			grep -E 'Time elapsed|Data processed|Memory processed|Memory bandwidth|Total downtime|Downtime w/o network|Setup time|Iteration|Dirty rate|Expected' \
				"$out/jobinfo-$n-$h.txt" | sed "s/^/    $h: /" | tee -a "$summary"
		else
			sed "s/^/    $h: /" "$out/jobinfo-$n-$h.txt" | tee -a "$summary"
		fi
	done
	say "round $n: time line (s from virsh migrate; events, ARP/RARP, probe outage):"
	outage=$(awk '/^outage_from/ { print $2, $4 }' "$out/downtime-$n.txt")
	if [ -n "$outage" ]; then
		read -r o0 o1 <<<"$outage"
		echo "$o0 probe: last answered probe before the outage sent" >>"$marks"
		echo "$o1 probe: first answered probe after the outage sent" >>"$marks"
	fi
	"$py" "$here/timeline.py" "$t0" --until "$(date +%s.%N)" \
		"marks:demo=$marks" \
		"events:$src-event=$out/events-$src.txt" "events:$dst-event=$out/events-$dst.txt" \
		"pcap:$dst-$cap_if=$out/arp-$dst-$cap_if.txt" "pcap:$src-$cap_if=$out/arp-$src-$cap_if.txt" \
		"pcap:cn-eth0=$out/arp-cn-eth0.txt" >"$out/timeline-$n.txt" || true
	tee -a "$summary" <"$out/timeline-$n.txt"
	tmp=$src
	src=$dst
	dst=$tmp
done

# Soak (MOB_MIG_SOAK seconds): the guest keeps running where it ended up,
# under the TCP prober, then its console is checked again.  With
# MOB_MIG_ROUNDS= (none) this tells what the guest does without any
# migration, over the same time.
if [ "${MOB_MIG_SOAK:-0}" -gt 0 ]; then
	from=$(lines_of "$(console "$src")")
	say "soak: ${MOB_MIG_SOAK} s on $src"
	sleep "$MOB_MIG_SOAK"
	new_lines "$(console "$src")" "$from" | grep -a -E "$kerr" >"$out/kernel-errors-soak.txt" || true
	check "soak: $dom still running on $src" \
		sh -c "[ \"\$(nsenter -t $(hv_pid "$src") -n -m -u virsh -q -c qemu:///system domstate $dom)\" = running ]"
	check "soak: guest kernel and memory check clean" test ! -s "$out/kernel-errors-soak.txt"
	[ ! -s "$out/kernel-errors-soak.txt" ] || head -5 "$out/kernel-errors-soak.txt" | sed 's/^/    /' | tee -a "$summary"
	check "soak: cn pings $dom" ip netns exec mig-cn ping -c 3 -i 0.2 -W 5 "$vm_ip"
fi

# The TCP prober stops; it must have seen no error all along.
kill -TERM "$tcp_pid" 2>/dev/null || true
tcp_rc=0
wait "$tcp_pid" || tcp_rc=$?
check "TCP connection survived every migration and closed cleanly" \
	sh -c "[ $tcp_rc -eq 0 ] && grep -q '^CLOSED' '$out/tcp.txt' && ! grep -q '^ERROR' '$out/tcp.txt'"
exit 0
}
