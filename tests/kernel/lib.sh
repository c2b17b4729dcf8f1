# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by every kernel test script.  Gives a step printer, checks that
# print the actual value when it is not the expected one, pass/fail
# counters, and the last line tests/kernel/run.sh counts:
#     RESULT: passed=N failed=M
# Checks never stop the script: a failure is counted and the test goes on.

# Variables here are for the scripts that source this file.
# shellcheck disable=SC2034
set -uo pipefail

W=${MOB_WORKTREE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
KVER=${MOB_KVER:-$(uname -r)}
OUT=${MOB_LAB_OUT:-$W/build/lab/out}
MOBCTL=$W/build/agent/mobctl
ECHOPROBE=$W/build/labtools/echoprobe
NLPROBE=$W/build/labtools/nlprobe
# Unique names, so a test never meets namespaces a previous one left.
S=$$
T_NAME=$(basename "$0" .sh)
T_PASS=0
T_FAIL=0

pretty() { printf '\n[%s] == %s (at %ss)\n' "$T_NAME" "$*" "$SECONDS"; }
ok() {
	T_PASS=$((T_PASS + 1))
	printf '  ok   %s\n' "$1"
}
fail() {
	T_FAIL=$((T_FAIL + 1))
	printf '  FAIL %s\n' "$1"
	shift
	local l
	for l in "$@"; do printf '         %s\n' "$l"; done
}

# check DESC CMD...: CMD must succeed; its output is shown if it does not.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		fail "$desc" "exit $?: $*" "$(printf '%s' "$out" | tail -n 8)"
	fi
}

# check_fails DESC CMD...: CMD must fail.
check_fails() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "$desc" "succeeded but must fail: $*" "$out"
	else
		ok "$desc"
	fi
}

check_eq() { # DESC GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got:  $2" "want: $3"; fi
}

check_match() { # DESC TEXT REGEX
	if [[ $2 =~ $3 ]]; then ok "$1"; else fail "$1" "got:  $2" "want: /$3/"; fi
}

check_ge() { # DESC GOT MIN
	if [ "$2" -ge "$3" ] 2>/dev/null; then ok "$1"; else fail "$1" "got:  $2" "want: >= $3"; fi
}

finish() {
	echo "RESULT: passed=$T_PASS failed=$T_FAIL"
	[ "$T_FAIL" -eq 0 ]
}

mobctl() { "$MOBCTL" "$@"; }

# mstat NS KEY: one namespace counter from "mobctl -j stats".
mstat() {
	"$MOBCTL" -n "$1" -j stats | jq -r ".$2"
}

# Repeats CMD until it succeeds, for at most SECS seconds.
wait_for() { # SECS CMD...
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

mob_objects() { cat /sys/kernel/debug/mob/objects; }

# Deletes namespaces and first kills whatever still runs in them: a
# process left behind would hold the test's output pipe open for ever.
del_ns() {
	local ns
	for ns in "$@"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}
