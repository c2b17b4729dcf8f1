#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The agent under systemd, as Documentation/agent.md deploys it.  Runs in
# the lab guest booted with systemd as PID 1:
#
#   MOB_LAB_APPEND="mob.init=systemd" \
#       tests/lab/run-lab.sh KVER -- tests/lab/systemd-check.sh
#
# (make lab-systemd).  The unit is installed exactly as "make install" writes
# it, plus the drop-in an administrator of the lab would add: the module
# comes from the build tree (it is not under /lib/modules here) and the
# configuration from the run's directory.

source "$(dirname "$0")/../kernel/lib.sh"
T_NAME=systemd
UNIT=/run/systemd/system/mobd.service
VM=vm-$S
ANNOUNCE=$W/build/labtools/announce

cleanup() {
	systemctl stop mobd 2>/dev/null
	del_ns "$VM"
}
trap cleanup EXIT

pretty "mobd.service installed as make install writes it, with a lab drop-in"
check_eq "PID 1 is systemd" "$(cat /proc/1/comm)" systemd
insmod "$W/build/$KVER/kmod/mob.ko" 2>/dev/null
sed "s|@SBINDIR@|$W/build/agent|g" "$W/agent/systemd/mobd.service" >"$UNIT"
mkdir -p "$UNIT.d"
cat >"$UNIT.d/lab.conf" <<EOF
[Service]
ExecStartPre=
ExecStartPre=+/bin/sh -c 'grep -q "^mob " /proc/modules || insmod $W/build/$KVER/kmod/mob.ko'
ExecStart=
ExecStart=$W/build/agent/mobd --foreground -c /run/mob-lab/mobd.conf
EOF
cat >/run/mob-lab/mobd.conf <<EOF
hypervisor = lab
libvirt = none
learn = arp
vm-ports = vmport*
pool = 10.1.1.0/24
home = 10.99.0.0/24 gateway 10.99.0.1
EOF
sysctl -qw net.ipv4.ip_forward=1
check "systemctl daemon-reload" systemctl daemon-reload
check "systemctl start mobd (Type=notify: returns once READY=1 came)" \
	timeout 120 systemctl start mobd
check_eq "mobd is active" "$(systemctl is-active mobd)" active
check_match "its status line came through sd_notify" \
	"$(systemctl show -p StatusText --value mobd)" "running as lab"
pid=$(systemctl show -p MainPID --value mobd)
# CAP_NET_ADMIN (bit 12) and CAP_CHOWN (bit 0), nothing else.
check_eq "it runs with CAP_NET_ADMIN and CAP_CHOWN only" \
	"$(awk '/^CapEff/ { print $2 }' "/proc/$pid/status")" 0000000000001001
check "mobctl reaches it on /run/mob/mobd.sock" mobctl site show
check_eq "the control socket is root's only (0600)" "$(stat -c %a /run/mob/mobd.sock)" 600

pretty "a VM learned under the sandbox: netlink, routes and sysctls work"
ip netns add "$VM"
ip link add eth0 netns "$VM" type veth peer name vmport1
ip link set vmport1 up
ip -n "$VM" addr add 10.99.0.11/24 dev eth0
ip -n "$VM" link set eth0 up
ip netns exec "$VM" "$ANNOUNCE" eth0 garp 10.99.0.11 >/dev/null
learned() { [ "$(mobctl -j binding show | jq -r '.[0].moa')" = 10.1.1.1 ]; }
check "the kernel has vm's binding" wait_for 20 learned
check_match "the host route is mobd's (proto 77)" "$(ip route show 10.99.0.11)" "dev vmport1 proto 77"
check_eq "proxy ARP on the VM port" "$(sysctl -n net.ipv4.conf.vmport1.proxy_arp)" 1

pretty "kill -9: systemd restarts it and the data plane never noticed"
kill -9 "$pid"
restarted() {
	[ "$(systemctl show -p NRestarts --value mobd)" = 1 ] &&
		[ "$(systemctl is-active mobd)" = active ]
}
check "restarted after kill -9" wait_for 30 restarted
check_eq "the binding stayed" "$(mobctl -j binding show | jq -r '.[0].moa')" 10.1.1.1
check "the new agent answers" wait_for 10 mobctl site show
check_eq "... and owns the VM again" "$(mobctl -j vm show | jq -r '.[0].state')" owned
check_match "the journal has its decisions" "$(journalctl -u mobd --no-pager 2>&1)" "adopting 10.99.0.11"

pretty "systemctl stop"
check "stops" systemctl stop mobd
check_eq "exited cleanly" "$(systemctl show -p ExecMainStatus --value mobd)" 0
check_eq "the data plane stays" "$(mobctl -j binding show | jq length)" 1
finish
