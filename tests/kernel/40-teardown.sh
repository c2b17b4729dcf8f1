#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Namespaces deleted and the module unloaded while translated traffic is
# flowing leave nothing behind: the module's count of live objects
# (debugfs mob/objects: bindings, aliases, prefix sets, hook arrays,
# namespace states) returns to where it was, and the kernel log stays
# clean.  Aliases with and without timeouts are there too, one of them
# forwarding a flood, one expiring about when the namespace goes.
#
#   td-vm (10.99.0.11) --- td-hv (mob: 10.99.0.11 <-> 10.1.1.11) --- td-wire (10.1.0.1)
#                          + 300 remote bindings, 2 home prefixes, 4 aliases

source "$(dirname "$0")/lib.sh"

VMNS=tdvm-$S
HVNS=tdhv-$S
WIRE=tdwire-$S
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() { del_ns "$VMNS" "$HVNS" "$WIRE"; }
trap cleanup EXIT

build() {
	# This round's short alias timeout, in ms (0: none of that kind).
	local short=${1:-0}

	ip netns add "$VMNS"
	ip netns add "$HVNS"
	ip netns add "$WIRE"
	ip link add eth0 netns "$VMNS" type veth peer name vmport netns "$HVNS"
	ip link add uplink netns "$HVNS" type veth peer name eth0 netns "$WIRE"
	ip -n "$VMNS" addr add 10.99.0.11/24 dev eth0
	ip -n "$WIRE" addr add 10.1.0.1/24 dev eth0
	ip -n "$HVNS" addr add 10.1.0.2/24 dev uplink
	for l in "$VMNS eth0" "$HVNS vmport" "$HVNS uplink" "$WIRE eth0"; do
		# shellcheck disable=SC2086 # "ns dev" split on purpose
		set -- $l
		ip -n "$1" link set dev "$2" up
	done
	ip -n "$VMNS" route add default via 10.99.0.1
	ip netns exec "$HVNS" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.conf.vmport.proxy_arp=1
	ip -n "$HVNS" route add 10.99.0.11/32 dev vmport
	ip -n "$HVNS" route add default via 10.1.0.1
	ip -n "$WIRE" route add 10.1.1.0/24 via 10.1.0.2
	mobctl -n "$HVNS" prefix add 10.99.0.0/24
	mobctl -n "$HVNS" prefix add fd99::/64
	mobctl -n "$HVNS" binding add 10.99.0.11 moa 10.1.1.11 local dev vmport
	for i in $(seq 1 300); do
		echo "binding add 10.98.$((i / 250)).$((i % 250 + 1)) moa 10.3.$((i / 250)).$((i % 250 + 1)) remote"
	done | mobctl -n "$HVNS" -b -
	mobctl -n "$HVNS" alias add 10.1.1.50 hoa 10.99.0.50
	mobctl -n "$HVNS" alias add 10.1.1.51 hoa 10.99.0.51 target 10.3.9.9 timeout 600000
	mobctl -n "$HVNS" alias add fd00:1:1::52 hoa fd99::52 timeout 600000
	if [ "$short" -gt 0 ]; then
		mobctl -n "$HVNS" alias add 10.1.1.53 hoa 10.99.0.53 timeout "$short"
	fi
}

traffic() {
	ip netns exec "$WIRE" ping -q -f -w 60 10.1.1.11 >/dev/null 2>&1 &
	ip netns exec "$VMNS" ping -q -f -w 60 10.1.0.1 >/dev/null 2>&1 &
	# Forwarded by the alias back to the wire, which has no route on.
	ip netns exec "$WIRE" ping -q -f -w 60 10.1.1.51 >/dev/null 2>&1 &
	sleep 2
}

stop_traffic() {
	ip netns pids "$WIRE" | xargs -r kill 2>/dev/null
	ip netns pids "$VMNS" | xargs -r kill 2>/dev/null
	wait 2>/dev/null
}

objects_are() { [ "$(mob_objects)" = "$1" ]; }

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
base=$(mob_objects)

for round in 1 2 3; do
	pretty "round $round: delete the hypervisor namespace under traffic"
	# An alias that expires around when the namespace goes (processes
	# are slow under TCG: from here to the deletion takes seconds).
	build $((3000 + round * 1500))
	check_ge "301 bindings installed" "$(mstat "$HVNS" bindings_remote)" 300
	check_eq "4 aliases installed" "$(mstat "$HVNS" aliases)" 4
	traffic
	check_ge "traffic is being translated" "$(mstat "$HVNS" xlat_in)" 10
	check_ge "... and forwarded" "$(mstat "$HVNS" xlat_fwd)" 10
	check_ge "objects held while it lives" "$(mob_objects)" $((base + 300))
	ip netns del "$HVNS"
	stop_traffic
	del_ns "$VMNS" "$WIRE"
	if wait_for 60 objects_are "$base"; then
		ok "every object freed ($base live, as before)"
	else
		fail "every object freed" "live objects: $(mob_objects), before: $base"
	fi
done

pretty "unload the module under traffic"
build 6000
traffic
check "rmmod while translating" rmmod mob
check_fails "the family is gone" "$MOBCTL" stats
stop_traffic
log=$(dmesg | grep -E 'mob: .*leaked|still has objects|WARNING:|BUG:' || true)
check_eq "no leak or warning in the kernel log" "$log" ""
check "the module loads again" insmod "$W/build/$KVER/kmod/mob.ko"
# Deleted namespaces are cleaned up asynchronously: wait for the count.
fresh_only() { [ "$(mob_objects)" = "$(($(ip netns list | wc -l) + 1))" ]; }
if wait_for 60 fresh_only; then
	ok "a fresh module counts only namespace states"
else
	fail "a fresh module counts only namespace states" \
		"live objects: $(mob_objects), namespaces: $(ip netns list | wc -l) + init"
fi

finish
