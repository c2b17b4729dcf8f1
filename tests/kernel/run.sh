#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the lab guest (tests/lab/run-lab.sh): loads the module built
# for this kernel, runs every tests/kernel/NN-*.sh (or those named in
# MOB_TESTS, e.g. MOB_TESTS="10 20"), unloads the module, and checks the
# kernel log.  Each script ends with "RESULT: passed=N failed=M"; a script
# that ends without that line counts as one failure.  The last line is
# what run-all.sh counts:
#     MOB-TESTS: kernel=<kver> passed=<n> failed=<m>
set -uo pipefail

cd "${MOB_WORKTREE:?run me through tests/lab/run-lab.sh}" || exit 1
kver=$(uname -r)
out=${MOB_LAB_OUT:-$MOB_WORKTREE/build/lab/out}
passed=0
failed=0

report() {
	echo "MOB-TESTS: kernel=$kver passed=$passed failed=$failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
for tool in build/agent/mobctl build/labtools/echoprobe build/labtools/nlprobe; do
	if [ ! -x "$tool" ]; then
		echo "run: FAIL: $tool is missing: run 'make agent labtools' first"
		failed=1
		report
		exit 1
	fi
done
if ! insmod "build/$kver/kmod/mob.ko"; then
	echo "run: FAIL: cannot load build/$kver/kmod/mob.ko"
	failed=1
	report
	exit 1
fi
echo "run: mob loaded on $kver: $(grep -c . /proc/modules) modules, $(nproc) cpus"

for t in tests/kernel/[0-9][0-9]-*.sh; do
	name=$(basename "$t" .sh)
	if [ -n "${MOB_TESTS:-}" ] && ! [[ " $MOB_TESTS " == *" ${name%%-*} "* ]]; then
		continue
	fi
	echo
	echo "run: ==== $name"
	start=$SECONDS
	# A file, not a pipe: a process a test leaves behind cannot hold it
	# open and stall the run.  Each script gets at most MOB_TEST_TIMEOUT.
	timeout -k 10 "${MOB_TEST_TIMEOUT:-900}" bash "$t" >"$out/$name.run.log" 2>&1 &
	pid=$!
	tail -n +1 -f --pid="$pid" "$out/$name.run.log"
	wait "$pid"
	rc=$?
	[ "$rc" -ne 124 ] || echo "run: ==== $name: FAIL: still running after ${MOB_TEST_TIMEOUT:-900}s, killed"
	res=$(grep '^RESULT:' "$out/$name.run.log" | tail -n 1)
	if [[ $res =~ passed=([0-9]+)\ failed=([0-9]+) ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		# A script that says all passed but exits non-zero still failed.
		if [ "$rc" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; then
			failed=$((failed + 1))
			echo "run: ==== $name: FAIL: exited with $rc"
		fi
		echo "run: ==== $name: $res in $((SECONDS - start)) s"
	else
		failed=$((failed + 1))
		echo "run: ==== $name: FAIL: ended without a RESULT line"
	fi
	# The module must still be there for the next script.
	grep -q '^mob ' /proc/modules || insmod "build/$kver/kmod/mob.ko"
done

echo
echo "run: ==== unload"
if rmmod mob; then
	passed=$((passed + 1))
	echo "  ok   the module unloads"
else
	failed=$((failed + 1))
	echo "  FAIL the module unloads"
fi
log=$(dmesg | grep -E 'mob: .*leaked|still has objects|WARNING:|BUG:|Oops|general protection' || true)
if [ -z "$log" ]; then
	passed=$((passed + 1))
	echo "  ok   the kernel log has no warning, bug or leak"
else
	failed=$((failed + 1))
	echo "  FAIL the kernel log has no warning, bug or leak"
	printf '         %s\n' "$log"
fi
report
