#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel tests in the lab on each kernel in turn, and sum up.
#
#   tests/lab/run-all.sh [--timeout SECS] KVER... [-- GUEST_COMMAND...]
#
# The guest command (default tests/kernel/run.sh) reports its counts with
# lines "MOB-TESTS: kernel=<kver> passed=<n> failed=<m>"; they are added up
# over every such line of every kernel.  The last line printed is
# "N passed, M failed", where a kernel whose run failed although its tests
# reported no failure (a kernel WARNING, a crash, a timeout) counts as one
# failed test, so the line never reads as a success when the run was not.
# Exit 0 only if every kernel passed, each reported counts, and at least
# one test ran.
set -euo pipefail

# One brace group, ended by exit: bash parses it whole before running it,
# so editing this file while a run goes on cannot derail that run.
{
usage() {
	echo "usage: $0 [--timeout SECS] KVER... [-- GUEST_COMMAND...]" >&2
	exit 2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
worktree=$(cd "$here/../.." && pwd -P)
opts=()
kvers=()
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout)
		[ $# -ge 2 ] || usage
		opts+=(--timeout "$2")
		shift 2
		;;
	--timeout=*)
		opts+=("$1")
		shift
		;;
	--)
		break
		;;
	-*) usage ;;
	*)
		kvers+=("$1")
		shift
		;;
	esac
done
# What is left is "-- GUEST_COMMAND..." or nothing.
[ ${#kvers[@]} -gt 0 ] || {
	echo "run-all: FAIL: no kernel given (the Makefile finds them: make lab)" >&2
	usage
}

declare -A result=() npass=() nfail=() secs=() why=()
tot_pass=0
tot_fail=0
bad=()
for k in "${kvers[@]}"; do
	echo "run-all: ===== $k ====="
	t0=$(date +%s)
	# run-lab.sh's output (the console and its verdict) is captured in a
	# file of this run's own, and shown as it comes: build/lab/KVER/ is
	# shared, and another run may start there as soon as this one ends.
	# In the background so that a signal here reaches run-lab.sh, which
	# then stops its QEMU.
	mkdir -p "$worktree/build/lab"
	cap=$(mktemp "$worktree/build/lab/.run-all.XXXXXX")
	rc=0
	"$here/run-lab.sh" "$k" "${opts[@]}" "$@" >"$cap" 2>&1 &
	runlab=$!
	tail -n +1 -f --pid="$runlab" "$cap" &
	shower=$!
	trap 'kill -TERM "$runlab" 2>/dev/null; wait "$runlab" || true
		wait "$shower" || true; rm -f "$cap"
		echo "run-all: interrupted during $k" >&2; exit 130' INT TERM
	wait "$runlab" || rc=$?
	wait "$shower" || true
	trap - INT TERM
	secs[$k]=$(($(date +%s) - t0))

	p=0 f=0 n=0
	while read -r line; do
		[[ $line =~ kernel=([^ ]+)\ passed=([0-9]+)\ failed=([0-9]+) ]] || continue
		n=$((n + 1))
		p=$((p + BASH_REMATCH[2]))
		f=$((f + BASH_REMATCH[3]))
		if [ "${BASH_REMATCH[1]}" != "$k" ]; then
			rc=1
			why[$k]+="guest said kernel=${BASH_REMATCH[1]}; "
		fi
	done < <(grep -a -o 'MOB-TESTS: kernel=[^ ]* passed=[0-9]* failed=[0-9]*' "$cap" || true)
	if [ "$n" -eq 0 ]; then
		rc=1
		why[$k]+="no MOB-TESTS line; "
	elif [ $((p + f)) -eq 0 ]; then
		rc=1
		why[$k]+="zero tests ran; "
	fi
	if [ "$rc" -ne 0 ]; then
		result[$k]=FAIL
		bad+=("$k")
		# The reasons run-lab.sh gave, on one line.
		why[$k]+=$(sed -n -e 's/^run-lab:   \(.*\)/\1/p' \
			-e 's/^run-lab: FAIL ([^)]*): \(..*\)$/\1/p' "$cap" |
			grep -v -e '^console:' -e '^guest output:' | head -4 |
			paste -sd ';' - || true)
		[ "$f" -gt 0 ] || f=1
	else
		result[$k]=PASS
	fi
	mv -f "$cap" "$worktree/build/lab/$k/run-all.log" 2>/dev/null || rm -f "$cap"
	npass[$k]=$p
	nfail[$k]=$f
	tot_pass=$((tot_pass + p))
	tot_fail=$((tot_fail + f))
	echo "run-all: ===== $k: ${result[$k]} ($p passed, $f failed, ${secs[$k]}s) ====="
done

echo
echo "run-all: summary"
printf '  %-28s %-6s %7s %7s %7s\n' kernel result passed failed time
for k in "${kvers[@]}"; do
	printf '  %-28s %-6s %7s %7s %6ss\n' "$k" "${result[$k]}" "${npass[$k]}" \
		"${nfail[$k]}" "${secs[$k]}"
done
for k in "${bad[@]}"; do
	echo "run-all: FAILED on kernel $k: ${why[$k]:-see build/lab/$k/console.log}" >&2
	echo "run-all:   output: build/lab/$k/run-all.log, guest files: build/lab/$k/out/" >&2
done
if [ $((tot_pass + tot_fail)) -eq 0 ]; then
	echo "run-all: FAIL: no test ran on any kernel" >&2
fi
echo "$tot_pass passed, $tot_fail failed"
[ ${#bad[@]} -eq 0 ] && [ $((tot_pass + tot_fail)) -gt 0 ]
exit
}
