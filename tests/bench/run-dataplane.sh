#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boots the lab kernel KVER, runs the data-plane benchmark
# (tests/bench/dataplane.sh) in it, and keeps its results:
#
#   tests/bench/run-dataplane.sh KVER
#
# build/bench/dataplane-KVER.json (and the raw files in
# build/bench/dataplane-KVER/), or under BENCH_OUT if set.  The BENCH_*
# settings that dataplane.sh documents are passed on to the guest;
# BENCH_TIMEOUT (seconds, default 2400) bounds the whole boot.  The guest
# gets MOB_LAB_MEM MB of RAM, 4096 unless set: the full run holds 2.1 million bindings, as many
# map elements and twice as many again (the nftfull variants' two maps),
# and nft needs about 1 GB of its own to load 1M elements in one
# transaction.
#
# The benchmark itself passes or fails on nothing but a broken set-up;
# the numbers are in the JSON and the printed table.
set -uo pipefail

if [ $# -ne 1 ] || [[ $1 == -* ]]; then
	echo "usage: $0 KVER" >&2
	exit 2
fi
kver=$1
worktree=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
out=$worktree/build/lab/$kver/out
keep=${BENCH_OUT:-$worktree/build/bench}

for f in "build/$kver/kmod/mob.ko" build/agent/mobctl; do
	if [ ! -e "$worktree/$f" ]; then
		echo "run-dataplane: no $f: make modules agent" >&2
		exit 1
	fi
done

# The guest command gets its settings as arguments: the lab passes no
# environment into the guest.
settings=()
for v in BENCH_SIZES BENCH_SIZES6 BENCH_SECS BENCH_WARMUP BENCH_ROUNDS \
	BENCH_NFT BENCH_RPS BENCH_DUMP BENCH_DUMP_TIMEOUT; do
	if [ -n "${!v+set}" ]; then
		settings+=("$v=${!v}")
	fi
done

MOB_LAB_MEM=${MOB_LAB_MEM:-4096} "$worktree/tests/lab/run-lab.sh" "$kver" \
	--timeout "${BENCH_TIMEOUT:-2400}" -- \
	env "${settings[@]}" tests/bench/dataplane.sh
rc=$?

if [ -s "$out/bench-dataplane.json" ]; then
	mkdir -p "$keep"
	cp "$out/bench-dataplane.json" "$keep/dataplane-$kver.json"
	rm -rf "$keep/dataplane-$kver"
	cp -r "$out/bench-dataplane" "$keep/dataplane-$kver"
	echo "run-dataplane: results in $keep/dataplane-$kver.json"
else
	echo "run-dataplane: the guest wrote no results (console: build/lab/$kver/console.log)" >&2
	[ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
