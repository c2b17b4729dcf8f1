#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The netlink contract: bad requests fail with the right errno and an
# extended ACK, and change nothing; mobctl shows the kernel's words.
#
#     +---------------------------+   +---------------------------+
#     | nl-$$  (dummy d0)         |   | other-$$                  |
#     |  nlprobe, mobctl          |   |  must see none of nl-$$'s |
#     +---------------------------+   +---------------------------+

source "$(dirname "$0")/lib.sh"

NS=nl-$S
OTHER=other-$S
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() { del_ns "$NS" "$OTHER"; }
trap cleanup EXIT
ip netns add "$NS"
ip netns add "$OTHER"
ip -n "$NS" link add d0 type dummy
ip -n "$NS" link set d0 up

pretty "requests that must fail (nlprobe)"
ip netns exec "$NS" "$NLPROBE" d0 >"$OUT/10-nlprobe.txt" 2>&1
sed 's/^/    /' "$OUT/10-nlprobe.txt"
res=$(grep '^RESULT:' "$OUT/10-nlprobe.txt")
if [[ $res =~ passed=([0-9]+)\ failed=([0-9]+) ]]; then
	T_PASS=$((T_PASS + BASH_REMATCH[1]))
	T_FAIL=$((T_FAIL + BASH_REMATCH[2]))
else
	fail "nlprobe ran to the end" "$(tail -n 3 "$OUT/10-nlprobe.txt")"
fi

pretty "namespaces are separate"
check_eq "another namespace has no bindings" \
	"$(mobctl -n "$OTHER" -j binding show | jq length)" 0
check_eq "... and no prefixes" "$(mobctl -n "$OTHER" -j prefix show | jq length)" 0
check_eq "nlprobe's namespace kept 64 prefixes" \
	"$(mobctl -n "$NS" -j prefix show | jq length)" 64

pretty "mobctl: the kernel's reasons reach the user"
mobctl -n "$OTHER" prefix add 10.99.0.0/24
out=$(mobctl -n "$OTHER" binding add 10.99.0.11 moa 10.99.0.50 remote 2>&1)
check_eq "a refused binding exits 1" "$?" 1
check_match "... and says why" "$out" "kernel says: MoA lies inside a home prefix"
out=$(mobctl -n "$OTHER" binding add 10.99.0.11 moa fd00::1 remote 2>&1)
check_match "mixed families refused before sending" "$out" "same address family"
out=$(mobctl -n "$OTHER" binding add 10.99.0.x moa 10.1.1.1 remote 2>&1)
check_match "a bad address is named" "$out" '10\.99\.0\.x'
out=$(mobctl -n "$OTHER" binding frobnicate 2>&1)
check_match "an unknown command is named" "$out" 'Command "frobnicate" is unknown, try "mobctl (binding )?help"'
check "prefix-matched words: b a" mobctl -n "$OTHER" b a 10.99.0.11 m 10.1.1.11 r
check_eq "binding get -j" "$(mobctl -n "$OTHER" -j binding get 10.99.0.11 | jq -r '.[0].moa')" 10.1.1.11
check "change an existing binding" mobctl -n "$OTHER" binding change 10.99.0.11 moa 10.1.1.12 remote
check_fails "change of an unbound HoA" mobctl -n "$OTHER" binding change 10.99.0.99 moa 10.1.1.99 remote
check "replace creates" mobctl -n "$OTHER" binding replace 10.99.0.99 moa 10.1.1.99 remote
check_eq "show remote lists both" "$(mobctl -n "$OTHER" -j binding show remote | jq length)" 2
check_eq "show local lists none" "$(mobctl -n "$OTHER" -j binding show local | jq length)" 0
ip -n "$OTHER" link add port9 type dummy
check "a local binding on a port" mobctl -n "$OTHER" binding add 10.99.0.9 moa 10.1.1.9 local dev port9
ip -n "$OTHER" link del port9
check_eq "a deleted port leaves its binding with no port" \
	"$(mobctl -n "$OTHER" -j binding get 10.99.0.9 | jq -r '.[0].dev // .[0].ifindex // "none"')" none
check "flush remote" mobctl -n "$OTHER" binding flush remote
check_eq "stats count no binding" "$(mstat "$OTHER" bindings_remote)" 0
check "config set max-bindings" mobctl -n "$OTHER" config set max-bindings 1000
check_eq "config show -j" "$(mobctl -n "$OTHER" -j config show | jq -r '.max_bindings')" 1000
finish
