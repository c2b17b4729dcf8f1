#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Aliases: more MoAs for a HoA around a migration.  A small packet matrix
# (tests/kernel/vectors.py --alias) goes through a hypervisor that holds
# them, byte for byte as in 30-packets.sh: packets to a VM's old MoA come
# out toward its new one with only the destination and the checksums
# changed, packets from a VM's next MoA reach the local VM from its HoA,
# quoted aliases come back as HoAs, and an alias without a target is left
# alone.  Then the control plane: a binding takes an alias's place, an
# alias with a short timeout expires by itself and says so on the events
# group, and a flush.
#
#   wire ns (al-wire-PID)      hypervisor ns (al-hv-PID)        vm ns (al-vm-PID)
#  +--------------------+   +-------------------------------+   +------------------+
#  |               wire0|---|hv-wire      mob         hv-vm|---|vm0               |
#  | pktxchg sends here |   | routes to the vm side: the   |   | the local VM and |
#  | and listens        |   | local VM's HoA, the aliases' |   | the way to the   |
#  +--------------------+   | targets (the new hypervisor) |   | new hypervisor:  |
#                           | and aliases without target;  |   | pktxchg listens  |
#                           | the rest to the wire          |   +------------------+
#                           +-------------------------------+
#
# Needs build/agent/mobctl, build/labtools/pktxchg and the vector file,
# $MOB_ALIAS_VECTORS or build/lab/alias-vectors.txt, written on the host by
# "python3 tests/kernel/vectors.py --alias build/lab/alias-vectors.txt"
# (make lab does).

source "$(dirname "$0")/lib.sh"

VECTORS=${MOB_ALIAS_VECTORS:-$W/build/lab/alias-vectors.txt}
PKTXCHG=$W/build/labtools/pktxchg
HV=al-hv-$S
WIRE=al-wire-$S
VM=al-vm-$S
MON=$OUT/35-events.$S
hv_wire_mac=02:6d:6f:62:01:01
wire_mac=02:6d:6f:62:01:02
hv_vm_mac=02:6d:6f:62:01:03
vm_mac=02:6d:6f:62:01:04
counters=(xlat_in xlat_out xlat_fwd xlat_icmp_inner drop_unknown_hoa drop_leak
	drop_malformed drop_unsupported drop_nomem)

mon=
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
	[ -z "$mon" ] || kill "$mon" 2>/dev/null
	del_ns "$HV" "$WIRE" "$VM"
	rm -f "$MON"
}
trap cleanup EXIT

ex() { ip netns exec "$@"; }
hvctl() { mobctl -n "$HV" "$@"; }
# ev JQ-FILTER: the first event the monitor printed that matches.
ev() { jq -c "select($1)" "$MON" 2>/dev/null | head -n 1; }

if [ ! -s "$VECTORS" ] || [ ! -x "$PKTXCHG" ]; then
	fail "the alias matrix can run" \
		"need $VECTORS (python3 tests/kernel/vectors.py --alias) and $PKTXCHG (make labtools)"
	finish
	exit 1
fi

pretty "topology: wire, hypervisor, vm"
ip netns add "$HV"
ip netns add "$WIRE"
ip netns add "$VM"
ip -n "$HV" link add hv-wire address "$hv_wire_mac" type veth \
	peer name wire0 netns "$WIRE" address "$wire_mac"
ip -n "$HV" link add hv-vm address "$hv_vm_mac" type veth \
	peer name vm0 netns "$VM" address "$vm_mac"
ex "$WIRE" sysctl -qw net.ipv6.conf.wire0.disable_ipv6=1
ex "$VM" sysctl -qw net.ipv6.conf.vm0.disable_ipv6=1
ex "$HV" sysctl -qw \
	net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
	net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
	net.ipv4.conf.hv-wire.rp_filter=0 net.ipv4.conf.hv-vm.rp_filter=0 \
	net.ipv4.conf.all.send_redirects=0 \
	net.ipv6.conf.hv-wire.accept_dad=0 net.ipv6.conf.hv-vm.accept_dad=0
for l in "$HV lo" "$HV hv-wire" "$HV hv-vm" "$WIRE wire0" "$VM vm0"; do
	# shellcheck disable=SC2086 # "ns dev" split on purpose
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n "$HV" -batch - <<EOF
route add default via 192.0.2.254 dev hv-wire onlink
neigh replace 192.0.2.254 lladdr $wire_mac dev hv-wire nud permanent
route add ::/0 via fe80::2 dev hv-wire
neigh replace fe80::2 lladdr $wire_mac dev hv-wire nud permanent
EOF

# To the vm side: a static route and neighbour, so nothing is resolved.
to_vm() {
	local len=32
	case "$1" in *:*) len=128 ;; esac
	ip -n "$HV" route add "$1/$len" dev hv-vm
	ip -n "$HV" neigh replace "$1" lladdr "$vm_mac" dev hv-vm nud permanent
}

pretty "the module's configuration, from the vector file"
ex "$HV" "$MOBCTL" -j monitor >"$MON" 2>&1 &
mon=$!
sleep 0.5	# joined the group before the first change
config=$(grep '^@' "$VECTORS")
declare -a aliases=()
while read -r what a b c _; do
	case "$what" in
	@prefix) hvctl prefix add "$a" ;;
	@binding)
		if [ "$c" = local ]; then
			hvctl binding add "$a" moa "$b" local dev hv-vm
			to_vm "$a"
		else
			hvctl binding add "$a" moa "$b" "$c"
		fi
		;;
	@alias)
		if [ -n "$c" ]; then
			check "alias $a of $b, forwarding to $c" \
				hvctl alias add "$a" hoa "$b" target "$c"
			to_vm "$c"
		else
			check "alias $a of $b" hvctl alias add "$a" hoa "$b"
			to_vm "$a"
		fi
		aliases+=("$a")
		;;
	esac
done <<<"$config"
check_eq "the aliases are listed" "$(hvctl -j alias show | jq -r '.[].moa' | sort | xargs)" \
	"$(printf '%s\n' "${aliases[@]}" | sort | xargs)"
check_eq "... and counted" "$(mstat "$HV" aliases)" "${#aliases[@]}"

pretty "the alias matrix"
before=$(hvctl -j stats)
n_vectors=$(grep -c -v -E '^(#|@)' "$VECTORS")
"$PKTXCHG" -t 1000 -g 300 "$VECTORS" "$WIRE" wire0 "$hv_wire_mac" \
	"$VM" vm0 "$hv_vm_mac" >"$OUT/35-pktxchg.log" 2>&1
sed 's/^/    /' "$OUT/35-pktxchg.log"
n_ok=$(grep -c '^ok ' "$OUT/35-pktxchg.log")
n_fail=$(grep -c '^FAIL ' "$OUT/35-pktxchg.log")
T_PASS=$((T_PASS + n_ok))
T_FAIL=$((T_FAIL + n_fail))
check_eq "pktxchg judged every vector" "$((n_ok + n_fail))" "$n_vectors"
after=$(hvctl -j stats)
# What each counter must rise by (the vectors' last field, summed), and
# what each did: one awk and one jq, processes being slow under TCG.  (No
# process substitution: the guest has no /dev/fd.)
declare -A want=() rose=()
while read -r c n; do [ -z "$c" ] || want[$c]=$n; done <<<"$(awk '!/^[#@]/ && NF >= 5 {
		k = split($5, l, ","); for (i = 1; i <= k; i++) n[l[i]]++
	} END { for (c in n) if (c != "-") print c, n[c] }' "$VECTORS")"
while read -r c n; do [ -z "$c" ] || rose[$c]=$n; done <<<"$(jq -rn --argjson a "$after" \
	--argjson b "$before" '$a | keys[] | "\(.) \($a[.] - ($b[.] // 0))"')"
for c in "${counters[@]}"; do
	check_eq "counter $c rose by what the vectors say" "${rose[$c]:-?}" "${want[$c]:-0}"
done
fwd4=$(grep -c '^v4-alias-fwd-[^ ]* .*xlat_fwd' "$VECTORS")
check_eq "the forwarding alias counted its packets" \
	"$(hvctl -j alias show 198.51.100.30 | jq -r '.[0].packets')" \
	"$((fwd4 + $(grep -c '^v4-alias-src-old' "$VECTORS")))"

pretty "a binding takes an alias's place"
check "binding replace onto the alias of the same HoA" \
	hvctl binding replace 10.99.0.20 moa 198.51.100.21 remote
check_fails "... the alias is gone" hvctl alias show 198.51.100.21
check_eq "... the binding has the MoA" \
	"$(hvctl -j binding get 10.99.0.20 | jq -r '.[0].moa')" 198.51.100.21
out=$(hvctl binding add 10.99.0.40 moa 198.51.100.30 remote 2>&1)
check_eq "a binding onto the alias of another HoA is refused" "$?" 1
check_match "... and the kernel says why" "$out" "alias of another HoA"

pretty "an alias expires by itself"
# (A process takes a good part of 300 ms under TCG: the time left is
# looked at on a longer alias below.)
t0=$(date +%s%N)
check "alias with a 300 ms timeout" hvctl alias add 198.51.100.50 hoa 10.99.0.50 timeout 300
gone() { ! hvctl alias show 198.51.100.50; }
if wait_for 5 gone; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	check_ge "... is gone, not before its time (${ms} ms)" "$ms" 300
else
	fail "... and is gone within 5 s" "$(hvctl alias show 2>&1)"
fi

pretty "flush"
check "alias with a long timeout" hvctl alias add 198.51.100.60 hoa 10.99.0.60 timeout 86400000
left=$(hvctl -j alias show 198.51.100.60 | jq -r '.[0].expires_ms')
if [ "${left:-x}" -le 86400000 ] 2>/dev/null && [ "$left" -gt 86000000 ]; then
	ok "... shows the time it has left ($left ms)"
else
	fail "... shows the time it has left" "expires_ms: $left"
fi
check "IPv6 alias without" hvctl alias add 2001:db8:9::60 hoa fd99::60
check "alias flush" hvctl alias flush
check_eq "no alias is left" "$(hvctl -j alias show | jq length)" 0
check_eq "stats count none" "$(mstat "$HV" aliases)" 0

pretty "what the events group heard"
sleep 0.5
kill "$mon"
wait "$mon" 2>/dev/null
mon=
check_match "an alias add announced" \
	"$(ev '.event == "alias" and .type == "new" and .moa == "198.51.100.30"')" \
	'"hoa":"10.99.0.30","target":"198.51.100.31"'
check_match "the alias a binding replaced announced deleted" \
	"$(ev '.event == "alias" and .type == "del" and .moa == "198.51.100.21"')" \
	'"hoa":"10.99.0.20"'
check_match "the expiry announced" \
	"$(ev '.event == "alias" and .type == "del" and .moa == "198.51.100.50"')" \
	'"timeout_ms":300'
check_match "the flush announced" "$(ev '.event == "alias" and .type == "flush"')" \
	'"alias"'

finish
