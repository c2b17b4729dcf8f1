#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Turns the packet-matrix vectors into fuzzer seeds: a selector byte
# (family, hook) and the packet.  Usage: seed.sh VECTORS DIR
set -euo pipefail
mkdir -p "$2"
n=0
while read -r name dir input _; do
	case "$name" in '' | '#'* | @*) continue ;; esac
	fam=0
	[ "${input:0:1}" = 6 ] && fam=1
	for hook in 0 1 2; do
		sel=$(printf '%02x' $((fam | hook << 1 | 8)))
		printf '%s%s' "$sel" "$input" | xxd -r -p >"$2/$name-$hook"
		n=$((n + 1))
	done
	: "$dir"
done <"$1"
echo "seed.sh: $n seeds in $2"
