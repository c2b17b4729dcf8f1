#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The agent: three hypervisors each running mobd, sharing bindings through
# etcd, with VMs learned from their own ARP/ND (no libvirt in the lab's
# namespaces, so "libvirt = none" and "learn = arp").  Nothing here adds a
# binding by hand: every binding in every kernel is the agents' work.
#
#                  dir 10.250.0.2 (etcd)     ext 10.200.0.2
#                          |                  |
#        10.1.0.0/24 ---- rt ---- 10.3.0.0/24
#             |            |            |
#            hv1    10.2.0.0/24 hv2    hv3        mobd on each
#     pool 10.1.1.0/24  10.2.1.0/24  10.3.1.0/24
#          fd00:1:1::/64 fd00:2:1::/64 fd00:3:1::/64
#             |            |            |  vmportN
#            vm1          vm2          vm3        home 10.99.0.1N/24, fd99::1N/64
#
# What is shown: convergence; a move announced as QEMU does (RARP burst,
# then gratuitous ARP) followed with a TCP connection open, and the time
# until every kernel knew; kill -9 and restart of an agent under traffic;
# etcd stopped and restarted; a claim for a VM another live hypervisor
# owns refused.

source "$(dirname "$0")/lib.sh"

MOBD=$W/build/agent/mobd
ANNOUNCE=$W/build/labtools/announce
RT=rt-$S
EXT=ext-$S
DIRNS=dir-$S
RUN=/run/mob-$S
ETCD_DATA=/tmp/etcd-$S
ETCD=http://10.250.0.2:2379
declare -a HV VM AGENT
for i in 1 2 3; do
	HV[i]=hv$i-$S
	VM[i]=vm$i-$S
done
VM[4]=vm4-$S
STOP=$OUT/50-stop.$S
ETCD_PID=

# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
	local i
	for i in 1 2 3; do
		[ -n "${AGENT[i]:-}" ] && kill "${AGENT[i]}" 2>/dev/null
	done
	[ -n "$ETCD_PID" ] && kill "$ETCD_PID" 2>/dev/null
	del_ns "$RT" "$EXT" "$DIRNS" "${HV[@]}" "${VM[@]}" "vm5-$S"
	rm -rf "$RUN" "$ETCD_DATA" "$STOP"
}
trap cleanup EXIT

ex() { ip netns exec "$@"; }
etcdctl() { ex "$DIRNS" env ETCDCTL_API=3 /usr/bin/etcdctl --endpoints=$ETCD "$@"; }

mkns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ex "$1" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
}

for t in "$MOBD" "$ANNOUNCE" /usr/bin/etcd /usr/bin/etcdctl; do
	if [ ! -x "$t" ]; then
		fail "$t is missing (make agent labtools; make deps)"
		finish
		exit 1
	fi
done
mkdir -p "$RUN"

setup_router() {
	mkns "$RT"
	mkns "$EXT"
	mkns "$DIRNS"
	ex "$RT" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip link add to-ext netns "$RT" type veth peer name eth0 netns "$EXT"
	ip -n "$RT" addr add 10.200.0.1/24 dev to-ext
	ip -n "$EXT" addr add 10.200.0.2/24 dev eth0
	ip -n "$RT" link set to-ext up
	ip -n "$EXT" link set eth0 up
	ip -n "$EXT" route add default via 10.200.0.1
	ip link add to-dir netns "$RT" type veth peer name eth0 netns "$DIRNS"
	ip -n "$RT" addr add 10.250.0.1/24 dev to-dir
	ip -n "$DIRNS" addr add 10.250.0.2/24 dev eth0
	ip -n "$RT" link set to-dir up
	ip -n "$DIRNS" link set eth0 up
	ip -n "$DIRNS" route add default via 10.250.0.1
}

setup_hv() { # i
	local i=$1 h=${HV[$1]}

	mkns "$h"
	ex "$h" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip link add "to-hv$i" netns "$RT" type veth peer name uplink netns "$h"
	ip -n "$RT" addr add "10.$i.0.1/24" dev "to-hv$i"
	ip -n "$RT" addr add "fd00:$i::1/64" dev "to-hv$i" nodad
	ip -n "$h" addr add "10.$i.0.2/24" dev uplink
	ip -n "$h" addr add "fd00:$i::2/64" dev uplink nodad
	ip -n "$RT" link set "to-hv$i" up
	ip -n "$h" link set dev uplink up
	ip -n "$h" route add default via "10.$i.0.1"
	ip -n "$h" -6 route add default via "fd00:$i::1"
	ip -n "$RT" route add "10.$i.1.0/24" via "10.$i.0.2"
	ip -n "$RT" -6 route add "fd00:$i:1::/64" via "fd00:$i::2"
	ip -n "$h" route add blackhole "10.$i.1.0/24"
	ip -n "$h" -6 route add blackhole "fd00:$i:1::/64"
	mkdir -p "$RUN/hv$i"
	cat >"$RUN/hv$i.conf" <<EOF
# hypervisor $i of the agent test
hypervisor = hv$i
libvirt = none
learn = arp
vm-ports = vmport*
pool = 10.$i.1.0/24
pool = fd00:$i:1::/64
home = 10.99.0.0/24 gateway 10.99.0.1
home = fd99::/64 gateway fe80::1
etcd = $ETCD
lease-ttl = 5
moa-hold = 5
control-socket = $RUN/hv$i.sock
state-dir = $RUN/hv$i
log-level = debug
EOF
}

# Runs in this shell (not under check's subshell): AGENT[] must be kept.
start_agent() { # i
	local i=$1
	ip netns exec "${HV[i]}" "$MOBD" -f -c "$RUN/hv$i.conf" >>"$OUT/50-mobd-hv$i.$S.log" 2>&1 &
	AGENT[i]=$!
}
agent_up() { "$MOBCTL" -c "$RUN/hv$1.sock" site show; }

# A VM: a namespace behind a veth whose host end is a VM port of hv HV.
setup_vm() { # vm-index hv-index
	local j=$1 h=${HV[$2]} v=${VM[$1]}

	mkns "$v"
	ip link add eth0 netns "$v" type veth peer name "vmport$j" netns "$h"
	ip -n "$h" link set "vmport$j" up
	ip -n "$v" addr add "10.99.0.1$j/24" dev eth0
	ip -n "$v" addr add "fd99::1$j/64" dev eth0 nodad
	ip -n "$v" link set eth0 up
	ip -n "$v" route add default via 10.99.0.1
	ip -n "$v" -6 route add default via fe80::1 dev eth0 onlink
}

# A VM says it is there, as a booting guest does.
hello() { # vm-index
	ex "${VM[$1]}" "$ANNOUNCE" eth0 garp "10.99.0.1$1" na "fd99::1$1" >/dev/null
}

agentj() { "$MOBCTL" -c "$RUN/hv$1.sock" -j "${@:2}"; }
nbind() { mobctl -n "${HV[$1]}" -j binding show | jq length; }
moa_of() { # hv hoa: the MoA hv's kernel has for hoa
	mobctl -n "${HV[$1]}" -j binding show | jq -r --arg h "$2" '.[] | select(.hoa == $h) | .moa'
}
kind_of() {
	mobctl -n "${HV[$1]}" -j binding show | jq -r --arg h "$2" '.[] | select(.hoa == $h) | .kind'
}
dir_owner() { # hoa -> hypervisor named in etcd
	etcdctl get --print-value-only "/mob/vm/$1" | jq -r .hv
}
all_have() { # N: every hypervisor's kernel holds N bindings
	local i
	for i in 1 2 3; do [ "$(nbind "$i")" = "$1" ] || return 1; done
}

start_etcd() {
	ip netns exec "$DIRNS" /usr/bin/etcd --name lab --data-dir "$ETCD_DATA" \
		--listen-client-urls "$ETCD" --advertise-client-urls "$ETCD" \
		--listen-peer-urls http://127.0.0.1:2380 \
		--initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster lab=http://127.0.0.1:2380 \
		>>"$OUT/50-etcd.$S.log" 2>&1 &
	ETCD_PID=$!
}

pretty "topology: router, etcd, external host, 3 hypervisors with agents, 3 VMs"
setup_router
for i in 1 2 3; do setup_hv "$i"; done
start_etcd
check "etcd starts in its own namespace" wait_for 60 etcdctl endpoint health
check "mobd -t accepts the test configuration" "$MOBD" -t -c "$RUN/hv1.conf"
# hv1's agent tells a notification socket it is ready, as systemd's
# Type=notify expects.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
open(sys.argv[2], "w").write(s.recv(4096).decode())
' "$RUN/notify" "$OUT/50-notify.$S" &
notifier=$!
wait_for 10 test -S "$RUN/notify"
NOTIFY_SOCKET=$RUN/notify start_agent 1
for i in 2 3; do start_agent "$i"; done
for i in 1 2 3; do check "hv$i: agent up, control socket answers" wait_for 20 agent_up "$i"; done
wait "$notifier"
check_match "hv1's agent sent READY=1 to NOTIFY_SOCKET" "$(cat "$OUT/50-notify.$S" 2>&1)" "READY=1"
for i in 1 2 3; do setup_vm "$i" "$i"; done
for ns in "${VM[@]}" "$EXT"; do
	ip netns exec "$ns" "$ECHOPROBE" serve 5000 &
done

pretty "the agents learn the VMs and converge, with no mobctl binding command"
t0=$(date +%s.%N)
for i in 1 2 3; do hello "$i"; done
check "every kernel holds 6 bindings (2 local, 4 remote)" wait_for 30 all_have 6
awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "  converged in %.2f s\n", b - a }'
for i in 1 2 3; do
	check_eq "hv$i: vm$i's IPv4 binding is local" "$(kind_of "$i" "10.99.0.1$i")" local
	check_match "hv$i: vm$i's MoA comes from hv$i's pool" "$(moa_of "$i" "10.99.0.1$i")" "^10\.$i\.1\."
	check_match "hv$i: vm$i's IPv6 MoA too" "$(moa_of "$i" "fd99::1$i")" "^fd00:$i:1::"
done
check_eq "hv1 knows vm2 at hv2's MoA" "$(moa_of 1 10.99.0.12)" "$(moa_of 2 10.99.0.12)"
check_eq "hv3 knows vm1 at hv1's MoA" "$(moa_of 3 fd99::11)" "$(moa_of 1 fd99::11)"
check_eq "etcd names hv2 as vm2's owner" "$(dir_owner 10.99.0.12)" hv2
check_eq "mobctl vm show: hv1 runs vm1's two addresses, owned" \
	"$(agentj 1 vm show | jq -c '[.[] | .state] | sort')" '["owned","owned"]'
check_match "mobctl vm show: with its MAC and port" \
	"$(agentj 1 vm show | jq -c '.[0]')" '"mac":"[0-9a-f:]{17}".*"port":"vmport1"'
check_eq "mobctl pool show: one IPv4 and one IPv6 MoA used on hv2" \
	"$(agentj 2 pool show | jq -c '[.[] | .used]')" '[1,1]'
check_eq "mobctl site show: three live hypervisors" \
	"$(agentj 3 site show | jq -c '[.sites[] | .name] | sort')" '["hv1","hv2","hv3"]'
check_match "mobctl site show (text)" "$("$MOBCTL" -c "$RUN/hv3.sock" site show)" \
	"hypervisor hv3 mode directory directory up"

v4() { echo "10.99.0.1$1"; }
v6() { echo "fd99::1$1"; }
for pair in 1:2 2:3 3:1; do
	a=${pair%:*} b=${pair#*:}
	for fam in v4 v6; do
		check "vm$a -> vm$b $fam ping" ex "${VM[a]}" ping -c 1 -W 3 "$($fam "$b")"
		check "vm$a -> vm$b $fam tcp" ex "${VM[a]}" "$ECHOPROBE" tcp "$($fam "$b")" 5000
	done
done
check "ext reaches vm2 at its MoA" ex "$EXT" ping -c 1 -W 3 "$(moa_of 2 10.99.0.12)"

pretty "vm1 moves to hv2 with TCP connections open; QEMU's announcement does the rest"
old_moa=$(moa_of 1 10.99.0.11)
rm -f "$STOP"
ip netns exec "${VM[3]}" "$ECHOPROBE" stream 10.99.0.11 5000 "$STOP" 50 >"$OUT/50-s31.txt" 2>&1 &
s31=$!
ip netns exec "${VM[3]}" "$ECHOPROBE" stream fd99::11 5000 "$STOP" 50 >"$OUT/50-s31v6.txt" 2>&1 &
s31v6=$!
sleep 2
for i in 1 2 3; do
	ip netns exec "${HV[i]}" "$MOBCTL" -j monitor timestamp >"$OUT/50-mon-hv$i.$S" 2>&1 &
	eval "mon$i=\$!"
done
sleep 1
# The "migration": the VM's link leaves hv1 and appears at hv2, then the
# guest is announced (RARP x5 over 800 ms, then a gratuitous ARP).
ip -n "${HV[1]}" link set vmport1 netns "${HV[2]}"
ip -n "${HV[2]}" link set vmport1 up
t_ann=$(ex "${VM[1]}" "$ANNOUNCE" eth0 qemu garp 10.99.0.11 | head -n 1)
moved() {
	[ "$(kind_of 2 10.99.0.11)" = local ] &&
		[ "$(moa_of 1 10.99.0.11)" = "$(moa_of 2 10.99.0.11)" ] &&
		[ "$(moa_of 3 10.99.0.11)" = "$(moa_of 2 10.99.0.11)" ] &&
		[ "$(moa_of 3 fd99::11)" = "$(moa_of 2 fd99::11)" ]
}
check "every kernel follows vm1 to hv2" wait_for 20 moved
new_moa=$(moa_of 2 10.99.0.11)
check_match "vm1's new MoA is from hv2's pool" "$new_moa" '^10\.2\.1\.'
check_eq "etcd names hv2 as vm1's owner" "$(dir_owner 10.99.0.11)" hv2
sleep 3
touch "$STOP"
wait "$s31"; r31=$?
wait "$s31v6"; r31v6=$?
check_eq "vm3 -> vm1 TCP connection survived the move: $(cat "$OUT/50-s31.txt")" "$r31" 0
check_eq "vm3 -> vm1 IPv6 connection survived: $(cat "$OUT/50-s31v6.txt")" "$r31v6" 0
for i in 1 2 3; do kill "$(eval echo "\$mon$i")" 2>/dev/null; done
sleep 0.5
# When did each kernel get vm1's new binding, after the first RARP?
t_last=0
for i in 1 2 3; do
	t=$(jq -r --arg m "$new_moa" \
		'select(.event == "binding" and .hoa == "10.99.0.11" and .moa == $m) | .time' \
		"$OUT/50-mon-hv$i.$S" | head -n 1)
	if [ -n "$t" ]; then
		awk -v i="$i" -v t="$t" -v a="$t_ann" \
			'BEGIN { printf "  hv%s kernel updated %.1f ms after the first RARP\n", i, (t - a) * 1000 }'
		t_last=$(awk -v t="$t" -v l="$t_last" 'BEGIN { print (t > l) ? t : l }')
	else
		fail "hv$i: no binding event for vm1's new MoA"
	fi
done
if [ "$t_last" != 0 ]; then
	awk -v t="$t_last" -v a="$t_ann" \
		'BEGIN { printf "  MEASURE announcement-to-last-kernel %.1f ms (under TCG emulation)\n", (t - a) * 1000 }'
fi
check "ext reaches vm1 at its new MoA" ex "$EXT" ping -c 1 -W 3 "$new_moa"
check_fails "vm1's old MoA is gone" ex "$EXT" ping -c 1 -W 1 "$old_moa"
check_eq "hv1 no longer runs vm1" "$(agentj 1 vm show | jq length)" 0
check "vm1 -> vm3 works from hv2" ex "${VM[1]}" "$ECHOPROBE" tcp 10.99.0.13 5000
check "vm1 -> vm3 over IPv6 from hv2" ex "${VM[1]}" "$ECHOPROBE" tcp fd99::13 5000

pretty "kill -9 of hv2's agent, and a restart, under traffic"
moa2=$(moa_of 2 10.99.0.12)
ex "${VM[3]}" ping -q -c 40 -i 0.1 -W 1 10.99.0.12 >"$OUT/50-ping-kill.txt" 2>&1 &
pingp=$!
sleep 1
kill -9 "${AGENT[2]}"
wait "${AGENT[2]}" 2>/dev/null
sleep 1
start_agent 2
check "hv2's agent restarts" wait_for 20 agent_up 2
wait "$pingp"
check_match "vm3 -> vm2 lost no ping while the agent died and came back" \
	"$(cat "$OUT/50-ping-kill.txt")" " 0% packet loss"
check_eq "hv2 kept vm2's MoA" "$(moa_of 2 10.99.0.12)" "$moa2"
check "the restarted agent owns vm1 and vm2 again" wait_for 15 \
	bash -c "[ \"\$($MOBCTL -c $RUN/hv2.sock -j vm show | jq -c '[.[] | .state] | unique')\" = '[\"owned\"]' ]"
check_eq "... four addresses" "$(agentj 2 vm show | jq length)" 4
check_eq "etcd still names hv2 as vm2's owner" "$(dir_owner 10.99.0.12)" hv2
check_eq "hv1's kernel unchanged" "$(moa_of 1 10.99.0.12)" "$moa2"

pretty "etcd stopped: the agents keep forwarding with what they have"
kill "$ETCD_PID"
wait "$ETCD_PID" 2>/dev/null
check "agents notice the directory is down" wait_for 20 \
	bash -c "[ \"\$($MOBCTL -c $RUN/hv1.sock -j site show | jq -r .directory)\" = unreachable ]"
check "vm2 -> vm3 still works" ex "${VM[2]}" "$ECHOPROBE" tcp 10.99.0.13 5000
check "vm3 -> vm1 still works" ex "${VM[3]}" ping -c 1 -W 3 fd99::11
check_eq "hv3 kept its bindings" "$(nbind 3)" 6
start_etcd
check "etcd restarts" wait_for 60 etcdctl endpoint health
check "agents resync" wait_for 30 \
	bash -c "[ \"\$($MOBCTL -c $RUN/hv1.sock -j site show | jq -r .directory)\" = up ]"
# Something new after the restart reaches everyone.
setup_vm 4 3
hello 4
check "a VM started after etcd's restart is known everywhere" wait_for 30 all_have 8
check "vm4 -> vm2 across sites" ex "${VM[4]}" "$ECHOPROBE" tcp 10.99.0.12 5000

pretty "a claim for a VM that another live hypervisor owns is refused"
# vm5 on hv3 uses vm2's address (a clone, a typo): its ordinary traffic is
# no evidence that vm2 moved.
mkns "vm5-$S"
ip link add eth0 netns "vm5-$S" type veth peer name vmport5 netns "${HV[3]}"
ip -n "${HV[3]}" link set vmport5 up
ip -n "vm5-$S" addr add 10.99.0.12/24 dev eth0
ip -n "vm5-$S" link set eth0 up
ip -n "vm5-$S" route add default via 10.99.0.1
ex "vm5-$S" ping -c 2 -W 1 10.99.0.13 >/dev/null 2>&1
check "hv3's agent refuses it" wait_for 10 \
	bash -c "$MOBCTL -c $RUN/hv3.sock -j vm show | jq -e '.[] | select(.hoa == \"10.99.0.12\" and .state == \"conflict\")'"
check_match "... and says why" "$(agentj 3 vm show | jq -r '.[] | select(.hoa == "10.99.0.12") | .reason')" \
	"hv2 holds it"
check_eq "etcd still names hv2" "$(dir_owner 10.99.0.12)" hv2
check_eq "hv3's kernel still sends vm2's traffic to hv2" "$(moa_of 3 10.99.0.12)" "$moa2"
check "vm1 -> vm2 unaffected" ex "${VM[1]}" "$ECHOPROBE" tcp 10.99.0.12 5000

pretty "agents stop cleanly"
for i in 1 2 3; do
	kill "${AGENT[i]}"
	wait "${AGENT[i]}"
	check_eq "hv$i: mobd exits 0 on SIGTERM" "$?" 0
	AGENT[i]=
done
check_eq "the data plane stays: hv1 still has its bindings" "$(nbind 1)" 8
check "no agent logged an error" bash -c "! grep -h ': err: ' $OUT/50-mobd-hv*.$S.log"

finish
