#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Instructions per packet of the packet core, counted by callgrind.
#
#   callgrind.sh BENCH OUTDIR [N]
#
# BENCH is the xlat_bench binary.  Each kind runs once under callgrind
# with N packets (default 10000), and so does the copy-only baseline; the
# runs are sequential, to stay light on a shared machine.  Callgrind only
# collects inside the benchmark's loop (--collect-atstart=no and the
# toggles in xlat_bench.c), so
#   Ir per packet = (Ir(kind) - Ir(baseline)) / N.
# Prints a table and writes OUTDIR/xlat-callgrind.json; the callgrind
# files stay in OUTDIR/callgrind/ for callgrind_annotate.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 BENCH OUTDIR [N]" >&2
	exit 2
fi
bench=$1
out=$2
n=${3:-10000}

if ! command -v valgrind >/dev/null; then
	echo "error: valgrind is not installed (apt-get install -y valgrind)" >&2
	exit 1
fi
mkdir -p "$out/callgrind"
rm -f "$out"/callgrind/callgrind.out.*

# The collected instruction count of one run of the benchmark.
ir() {
	local name=$1 f="$out/callgrind/callgrind.out.$1" total
	shift
	valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$f" \
		--log-file="$out/callgrind/valgrind.$name.log" \
		"$bench" -n "$n" "$@" >/dev/null
	# "totals:" is what was collected; older files only have "summary:".
	total=$(awk '$1 == "totals:" { t = $2 } $1 == "summary:" { s = $2 }
		END { print t != "" ? t : s }' "$f")
	if ! [[ $total =~ ^[0-9]+$ ]]; then
		echo "error: no instruction total in $f" >&2
		exit 1
	fi
	echo "$total"
}

# JSON strings here hold compiler flags and prose: escape \ and ".
json_str() {
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}

info=$("$bench" -i)
field() { sed -n "s/^$1=//p" <<<"$info"; }

base=$(ir baseline -b)
kinds=$("$bench" -l)
rows=()
printf '%-20s %12s\n' kind "Ir/packet"
for k in $kinds; do
	total=$(ir "$k" "$k")
	# Whole instructions: the loop does the same work every time, so
	# anything else means the subtraction is not measuring what it says.
	per=$(awk -v t="$total" -v b="$base" -v n="$n" \
		'BEGIN { d = t - b; printf(d % n ? "%.2f" : "%d", d / n) }')
	printf '%-20s %12s\n' "$k" "$per"
	rows+=("$(printf '    { "kind": "%s", "ir_total": %s, "ir_per_packet": %s }' \
		"$k" "$total" "$per")")
done

json="$out/xlat-callgrind.json"
{
	echo "{"
	echo "  \"benchmark\": \"xlat_core per-packet instructions (callgrind Ir)\","
	echo "  \"method\": \"(Ir(kind) - Ir(baseline)) / n, loop only;" \
		"the baseline copies the packet and calls an empty function\","
	echo "  \"n\": $n,"
	echo "  \"compiler\": $(json_str "$(field compiler)"),"
	echo "  \"cflags\": $(json_str "$(field cflags)"),"
	echo "  \"valgrind\": $(json_str "$(valgrind --version)"),"
	echo "  \"table\": $(json_str "$(field table)"),"
	echo "  \"table_compares_per_hit\": $(json_str "$(field compares)"),"
	echo "  \"baseline_ir_total\": $base,"
	echo "  \"kinds\": ["
	for i in "${!rows[@]}"; do
		sep=,
		[ "$i" -eq $((${#rows[@]} - 1)) ] && sep=
		echo "${rows[$i]}$sep"
	done
	echo "  ]"
	echo "}"
} >"$json.tmp"
mv "$json.tmp" "$json"
echo "wrote $json"
