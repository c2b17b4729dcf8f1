#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the lab guest, started by the initramfs (tests/lab/initramfs-init)
# on the host's root filesystem, read-only over 9p.  Runs the guest command
# from the work tree, prints "MOB-LAB-EXIT: <code>" on the console (the host
# side decides on that line) and powers the VM off, whatever happens: PID 1
# exiting would panic the kernel, and a hung command is cut by a watchdog so
# QEMU always ends.
set -euo pipefail

# One brace group, ended by exit: bash parses it whole before running it,
# so editing this file while a run goes on cannot derail that run.
{
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb

conf=/run/mob-lab
marker_done=0

power_off() {
	sync
	# busybox's applet calls reboot(2) directly; the host's poweroff may be
	# systemctl, which wants a running systemd.
	busybox poweroff -f 2>/dev/null || true
	echo o >/proc/sysrq-trigger
	sleep 60
}

finish() {
	local rc=$1
	trap - EXIT
	if [ "$marker_done" -eq 0 ]; then
		marker_done=1
		# dmesg lands in the out share for the post-mortem (the console
		# only gets warnings and worse).
		if [ -n "${MOB_LAB_OUT:-}" ] && [ -d "$MOB_LAB_OUT" ]; then
			dmesg >"$MOB_LAB_OUT/dmesg.txt" 2>/dev/null || true
		fi
		echo "MOB-LAB-EXIT: $rc"
	fi
	power_off
}
# Any unexpected error in this script still ends in a marker and a poweroff.
trap 'finish $?' EXIT

MOB_WORKTREE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MOB_KVER=$(uname -r)
MOB_LAB_OUT=$(cat "$conf/out")
timeout=$(cat "$conf/timeout")
export MOB_WORKTREE MOB_KVER MOB_LAB_OUT

hostname mob-lab
ip link set lo up
mkdir -p /dev/pts /dev/shm
# Under systemd (mob.init=systemd) these are mounted already.
mountpoint -q /dev/pts || mount -t devpts -o mode=620,ptmxmode=666 devpts /dev/pts
mountpoint -q /dev/shm || mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# The out share is the only writable place of the host; mounted at the
# same path as on the host, so paths print the same on both sides.
# cache=none: every write reaches the host at once, even if the guest dies.
mount -t 9p -o trans=virtio,version=9p2000.L,rw,msize=262144 MOBOUT "$MOB_LAB_OUT"

cd "$MOB_WORKTREE"
cmd=()
mapfile -d '' -t cmd <"$conf/cmd"
[ ${#cmd[@]} -gt 0 ] || cmd=(tests/kernel/run.sh)

echo "mob-lab: kernel $MOB_KVER, $(nproc) cpus, running: ${cmd[*]}"
echo "mob-lab: guest watchdog ${timeout}s, out dir $MOB_LAB_OUT"

# The command runs in the background so that a watchdog can stop it.
# stdin is /dev/null: nobody types on this console, and a test that reads
# stdin by mistake should see EOF, not wait for the watchdog.
start=$SECONDS
"${cmd[@]}" </dev/null &
pid=$!
if [ "$timeout" -gt 0 ]; then
	(
		trap - EXIT
		sleep "$timeout"
		echo "MOB-LAB-TIMEOUT: guest command still running after ${timeout}s"
		# What was running, and where each task waited in the kernel;
		# blocked (D) tasks' stacks go to the kernel log (dmesg.txt).
		ps -eo pid,ppid,stat,wchan:30,etime,args >"$MOB_LAB_OUT/watchdog-ps.txt" || true
		# Kernel threads (children of kthreadd, pid 2) only in the file.
		awk '$1 != 2 && $2 != 2' "$MOB_LAB_OUT/watchdog-ps.txt" || true
		echo w >/proc/sysrq-trigger 2>/dev/null || true
		kill -KILL "$pid" 2>/dev/null || true
		# A task stuck in the kernel ignores SIGKILL: end the VM anyway.
		sleep 10
		finish 124
	) &
	watchdog=$!
fi
rc=0
wait "$pid" || rc=$?
[ -z "${watchdog:-}" ] || kill "$watchdog" 2>/dev/null || true
echo "mob-lab: command exited with $rc after $((SECONDS - start))s"
finish "$rc"
exit
}
