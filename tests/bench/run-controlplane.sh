#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Control-plane timings of mobd and etcd (tests/bench/controlplane.sh) in
# the lab guest booted on KVER; the result is kept as
# build/bench/controlplane-KVER.json, with the console as
# build/bench/controlplane-KVER.log (under BENCH_OUT instead if set).
# Numbers, not a test.
#
#   tests/bench/run-controlplane.sh KVER
#
# The guest gets no environment from here, only a command line: the
# BENCH_* settings controlplane.sh reads are passed on it.  BENCH_TIMEOUT
# (seconds, default 3600) bounds the whole boot.
set -uo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 KVER" >&2
	exit 2
fi
kver=$1
worktree=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$worktree" || exit 1

for t in "build/$kver/kmod/mob.ko" build/agent/mobd build/agent/mobctl build/labtools/announce; do
	if [ ! -e "$t" ]; then
		echo "run-controlplane: $t is missing (make module KVER=$kver agent labtools)" >&2
		exit 1
	fi
done

envs=()
for v in BENCH_HVS BENCH_MOVES BENCH_BURST BENCH_BURST_HVS BENCH_RTT_N BENCH_GAP BENCH_WAIT \
	BENCH_AGENT_CONF BENCH_MOBD_B; do
	[ -z "${!v+set}" ] || envs+=("$v=${!v}")
done

out=build/lab/$kver/out
dest=${BENCH_OUT:-build/bench}
mkdir -p "$dest"
# An old result must not pass for this run's.
rm -f "$dest/controlplane-$kver.json"
start=$SECONDS
tests/lab/run-lab.sh "$kver" --timeout "${BENCH_TIMEOUT:-3600}" -- \
	env "${envs[@]}" tests/bench/controlplane.sh
rc=$?
cp "build/lab/$kver/console.log" "$dest/controlplane-$kver.log" 2>/dev/null
if [ -s "$out/bench-controlplane.json" ]; then
	cp "$out/bench-controlplane.json" "$dest/controlplane-$kver.json"
	echo "run-controlplane: $dest/controlplane-$kver.json ($((SECONDS - start)) s)"
else
	echo "run-controlplane: FAIL: the guest wrote no $out/bench-controlplane.json" >&2
	rc=1
fi
exit "$rc"
