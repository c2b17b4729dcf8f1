#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# migrate-demo.sh (or, with --l3, l3-demo.sh) inside the lab guest
# (nested TCG), from the host:
#
#   tests/migrate/lab-demo.sh [--l3] [--tag TAG] [KVER] [VAR=VALUE...]
#
# builds the migration guest on the host first (the lab's work tree is
# read-only), waits for build/qemu.lock (one QEMU-heavy job at a time on
# this machine), runs tests/lab/run-lab.sh KVER -- tests/migrate/migrate-demo.sh
# with the VAR=VALUE settings (MOB_MIG_*, MOB_L3_*, MOB_LAB_MEM...), and,
# still holding the lock, copies the results out of build/lab/KVER/out
# (which the next run on that kernel deletes) to
# build/migrate/lab-results-KVER/ (--l3: lab-l3-results-KVER/;
# -TAG appended with --tag), with the lab's console log.
# KVER defaults to the newest lab kernel.  Exit status: run-lab.sh's.
# The lab's timeout: MOB_MIG_LAB_TIMEOUT (3000 s; 2700 s with --l3).
set -euo pipefail

# One brace group, ended by exit: editing this file during a run is safe.
{
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
worktree=$(cd "$here/../.." && pwd -P)
kver=
tag=
demo=migrate-demo.sh
sub=migrate
res_name=lab-results
lab_timeout=${MOB_MIG_LAB_TIMEOUT:-3000}
if [ "${1:-}" = --l3 ]; then
	demo=l3-demo.sh
	sub=migrate-l3
	res_name=lab-l3-results
	lab_timeout=${MOB_MIG_LAB_TIMEOUT:-2700}
	shift
fi
if [ "${1:-}" = --tag ] && [ $# -ge 2 ]; then
	tag=$2
	shift 2
fi
if [ $# -gt 0 ] && [[ "$1" != *=* ]]; then
	kver=$1
	shift
fi
[ -n "$kver" ] || kver=$(ls -d /lib/modules/*/modules.dep | cut -d/ -f4 | sort -V | tail -1)
settings=("$@")
guest_kver=${MOB_MIG_KVER:-}
for s in "${settings[@]}"; do
	case "$s" in
	MOB_MIG_KVER=*) guest_kver=${s#MOB_MIG_KVER=} ;;
	*=*) ;;
	*) echo "usage: $0 [--l3] [--tag TAG] [KVER] [VAR=VALUE...]" >&2; exit 2 ;;
	esac
done
[ -n "$guest_kver" ] || guest_kver=$(ls /boot/vmlinuz-* | sed 's|^/boot/vmlinuz-||' | sort -V | tail -1)
"$here/mkguest.sh" --kver "$guest_kver"

mkdir -p "$worktree/build/migrate"
exec 8>"$worktree/build/qemu.lock"
echo "lab-demo: waiting for build/qemu.lock" >&2
flock 8
echo "lab-demo: lock taken at $(date +%T)" >&2
start=$(date +%s)
rc=0
# run-lab.sh's own settings (MOB_LAB_MEM...) in its environment; the
# demo's on the guest command line (the guest does not inherit ours).
host_env=() guest_env=()
for s in "${settings[@]}"; do
	case "$s" in
	MOB_LAB_*) host_env+=("$s") ;;
	*) guest_env+=("$s") ;;
	esac
done
# Multi-threaded TCG for the lab here, unless the caller chose: twice as
# fast for the nested guest, which then answers probes every 10 ms.
# (With single, the guest died after a migration in 4 of 9 runs, with
# multi in 1 of 3; the cause is the nested CMPXCHG16B, which the guest no
# longer uses: domain.xml.in, tests/migrate/README.md.)  run-lab.sh
# defaults to single for the kernel tests (see there).
# Multi-threaded TCG has its own fault (run-lab.sh): the lab kernel
# sometimes dies of an "Oops: int3" while it patches its code, mostly
# within seconds of booting; such a boot is tried again, twice at most.
export MOB_LAB_TCG_THREAD=${MOB_LAB_TCG_THREAD:-multi}
for try in 1 2 3; do
	rc=0
	t_try=$(date +%s)
	env "${host_env[@]}" "$worktree/tests/lab/run-lab.sh" "$kver" --timeout "$lab_timeout" \
		-- env "${guest_env[@]}" "tests/migrate/$demo" || rc=$?
	[ "$rc" != 0 ] && [ $(($(date +%s) - t_try)) -lt 120 ] && [ "$try" -lt 3 ] &&
		grep -aq 'Oops: int3' "$worktree/build/lab/$kver/console.log" 2>/dev/null || break
	echo "lab-demo: the lab kernel died of an int3 Oops while booting (multi-threaded TCG): booting again" >&2
done
res=$worktree/build/migrate/$res_name-$kver${tag:+-$tag}
rm -rf "$res"
if [ -d "$worktree/build/lab/$kver/out/$sub" ]; then
	cp -r "$worktree/build/lab/$kver/out/$sub" "$res"
else
	mkdir -p "$res"
fi
cp "$worktree/build/lab/$kver/console.log" "$res/lab-console.log" 2>/dev/null || true
cp "$worktree/build/lab/$kver/out/dmesg.txt" "$res/lab-dmesg.txt" 2>/dev/null || true
flock -u 8
echo "lab-demo: run-lab.sh exited $rc after $(($(date +%s) - start)) s; results in ${res#"$worktree"/}"
exit $rc
}
