# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# "Hypervisors" for real libvirt + QEMU live migrations on one machine:
# source this file, then
#
#   hv_create NAME             network + mount + UTS namespaces, kept alive
#   hv_exec NAME CMD...        run CMD in them (nsenter)
#   hv_libvirtd_start NAME ADDR   a private libvirtd there, TCP on ADDR
#   hv_virsh NAME ARGS...      virsh against that libvirtd (qemu:///system)
#   hv_uri NAME                its URI from outside (qemu+unix://...?socket=)
#   hv_add_tap NAME TAP [BRIDGE]  a persistent tap for a VM port
#   hv_destroy NAME            domains, libvirtd, namespaces, all gone
#   mig_cleanup                every hypervisor and netns of this library
#
# Each hypervisor NAME is a process (`sleep`) started by
#   unshare --net --mount --uts --propagation private
# whose namespaces every hv_exec enters; its network namespace is also
# named mig-NAME (ip netns attach) so `ip -n mig-NAME ...` works.  Nothing
# is created in the caller's network namespace and no file outside
# MOB_MIG_STATE is written: what libvirtd must have to itself is
# bind-mounted from MOB_MIG_STATE/NAME inside the hypervisor's mount
# namespace only.
#
# What two libvirtds (and their QEMUs) on one kernel must NOT share:
#
#   /run/libvirt        sockets (libvirt-sock, libvirt-admin-sock), the
#                       pid file, the QEMU driver's live status XML
#                       (/run/libvirt/qemu/NAME.xml): a second libvirtd
#                       would take the first one's domains for its own
#   /var/lib/libvirt    QEMU monitor sockets, domain runtime dirs
#   /var/cache/libvirt  the QEMU capabilities cache (shareable in theory;
#                       kept apart, but seeded from the first hypervisor
#                       to save a probe: see hv_libvirtd_start)
#   /var/log/libvirt    libvirtd.log, qemu/NAME.log, the guest's console
#   /etc/libvirt        libvirtd.conf, qemu.conf, persistent domain XML
#                       (--persistent on the destination writes
#                       /etc/libvirt/qemu/NAME.xml)
#   host_uuid           (libvirtd.conf) the migration cookie carries the
#                       host UUID; equal UUIDs fail "Attempt to migrate
#                       guest to the same host".  The default comes from
#                       SMBIOS/machine-id, the same for every namespace.
#   migration_host      (qemu.conf) the address the destination tells the
#                       source QEMU to connect to; by default its hostname,
#                       which resolves to nothing useful in a namespace
#   /etc/hosts          the hypervisor's own name (see hv_create): libvirtd
#                       resolves it while the migrated guest is paused
#   the network         (namespace) libvirtd's TCP port 16509, QEMU's
#                       incoming migration ports 49152+, the taps
#   /sys                remounted in the namespace so /sys/class/net shows
#                       the hypervisor's own links (this also hides the
#                       container's cgroup mounts from libvirt)
#
# /var/lib, /var/cache and /var/log are bind-mounted whole (from
# MOB_MIG_STATE/NAME/var-*, /var/log from hv_logdir), not just their
# libvirt subdirectories: the
# build machine has no /var/lib/libvirt to mount on (libvirt-daemon-system
# is not installed) and its root filesystem is not ours to add it to; in
# the lab guest those three are empty tmpfs anyway.  Nothing libvirtd or
# QEMU run here reads anything else there.
#
# qemu.conf turns off what a container (and the lab guest) lacks or
# forbids: cgroups, the per-QEMU mount namespace for /dev, security
# drivers, chown of the kernel and initrd (read-only 9p in the lab),
# virtlogd (stdio_handler = "file"; a privileged libvirtd does not spawn
# virtlogd, and nothing else would).  Only the QEMU driver is loaded
# (LIBVIRT_DRIVER_DIR points at a directory holding just it): the
# network, nwfilter, storage, nodedev... drivers are not needed for a
# tap-backed, diskless domain, and each costs start-up time under TCG.

MOB_MIG_HERE=${MOB_MIG_HERE:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)}
MOB_MIG_WORKTREE=${MOB_MIG_WORKTREE:-$(cd "$MOB_MIG_HERE/../.." && pwd -P)}
# Per-hypervisor state (configs, logs, sockets).  In the work tree on the
# host; in the lab the work tree is read-only, so under /tmp (a tmpfs).
if [ -z "${MOB_MIG_STATE:-}" ]; then
	if [ -w "$MOB_MIG_WORKTREE/build" ]; then
		MOB_MIG_STATE=$MOB_MIG_WORKTREE/build/migrate/run
	else
		MOB_MIG_STATE=/tmp/mob-migrate
	fi
fi
# Seconds to wait for a libvirtd to answer (the lab is ~20x slower).
MOB_MIG_LIBVIRTD_WAIT=${MOB_MIG_LIBVIRTD_WAIT:-120}
MOB_MIG_LIBVIRT_LIBDIR=${MOB_MIG_LIBVIRT_LIBDIR:-/usr/lib/x86_64-linux-gnu/libvirt}

hv_log() {
	printf '%s %s\n' "$(date +%H:%M:%S.%3N)" "$*" >&2
}

# Seconds since T0 (date +%s.%N), to the millisecond.
hv_since() {
	awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.3f", t1 - t0 }'
}

hv_die() {
	hv_log "FAIL: $*"
	return 1
}

hv_dir() {
	echo "$MOB_MIG_STATE/$1"
}

# Where NAME's /var/log comes from: MOB_MIG_LOGS/NAME if set (the lab
# demo points it at the share the host sees, so the guest's console can be
# read while the run goes on), else MOB_MIG_STATE/NAME/var-log.
hv_logdir() {
	if [ -n "${MOB_MIG_LOGS:-}" ]; then
		echo "$MOB_MIG_LOGS/$1"
	else
		echo "$MOB_MIG_STATE/$1/var-log"
	fi
}

hv_pid() {
	local f
	f=$(hv_dir "$1")/holder.pid
	[ -s "$f" ] || return 1
	cat "$f"
}

# Run a command inside hypervisor NAME's namespaces.
hv_exec() {
	local name=$1 pid
	shift
	pid=$(hv_pid "$name") || hv_die "no hypervisor $name" || return 1
	nsenter -t "$pid" --net --mount --uts -- "$@"
}

# hv_spawn NAME LOG CMD...: CMD in the background inside NAME, output to
# LOG; its pid in HV_SPAWNED (nsenter execs CMD: the pid is CMD's).  Call
# it directly, not in $(...) or a pipeline, or $! is a subshell's.
hv_spawn() {
	local name=$1 log=$2 pid
	shift 2
	pid=$(hv_pid "$name") || hv_die "no hypervisor $name" || return 1
	nsenter -t "$pid" --net --mount --uts -- "$@" </dev/null >"$log" 2>&1 &
	HV_SPAWNED=$!
}

# hv_uri NAME: a URI for NAME's libvirtd usable from outside its
# namespaces (its socket is a file in the state dir), e.g.
#   virsh -c "$(hv_uri hv1)" migrate --live --p2p ... qemu+tcp://10.99.0.3/system
hv_uri() {
	echo "qemu+unix:///system?socket=$(hv_dir "$1")/run/libvirt-sock"
}

hv_virsh() {
	local name=$1
	shift
	hv_exec "$name" virsh -q -c qemu:///system "$@"
}

# hv_create NAME: the namespaces and the private directories.
hv_create() {
	local name=$1 d pid i
	d=$(hv_dir "$name")
	hv_destroy "$name" 2>/dev/null || true
	rm -rf "$d"
	mkdir -p "$d"/{run,var-lib/libvirt,var-cache/libvirt,etc/qemu,drivers}
	rm -rf "$(hv_logdir "$name")"
	mkdir -p "$(hv_logdir "$name")/libvirt/qemu"
	# The holder: unshare execs sleep in the new namespaces (no --fork
	# needed: no PID namespace), so $! is the process to nsenter.
	# setsid: no terminal signals from the caller's session.
	setsid unshare --net --mount --uts --propagation private \
		sleep infinity </dev/null >/dev/null 2>&1 &
	pid=$!
	echo "$pid" >"$d/holder.pid"
	# Wait until the process really is in its own namespaces.
	for i in $(seq 100); do
		[ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && break
		sleep 0.05
	done
	[ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] ||
		hv_die "$name: unshare did not take" || return 1
	# The QEMU driver resolves its compiled-in default user and group
	# (Debian: libvirt-qemu) before it reads qemu.conf's user = "root",
	# and fails to start if they do not exist ("Failed to parse user
	# 'libvirt-qemu'").  libvirt-daemon-system's postinst creates them;
	# without that package, a private /etc/passwd and /etc/group with the
	# two entries added are bind-mounted in the hypervisor only.
	cp /etc/passwd "$d/passwd"
	cp /etc/group "$d/group"
	getent passwd libvirt-qemu >/dev/null ||
		echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin' >>"$d/passwd"
	getent group libvirt-qemu >/dev/null || echo 'libvirt-qemu:x:64055:' >>"$d/group"
	# The hypervisor's host name must resolve at once: libvirtd looks it
	# up (virGetHostname, getaddrinfo) in the destination's Finish phase,
	# while the guest is paused, and a name that goes to DNS costs the
	# resolver's timeout (5 s) of downtime when the namespace has a
	# default route and no answer comes back (l3-demo.sh's topology).
	cp /etc/hosts "$d/hosts"
	echo "127.0.1.1 $name" >>"$d/hosts"
	mkdir -p /run/netns
	ip netns attach "mig-$name" "$pid" || hv_die "$name: ip netns attach" || return 1
	# Mounts, inside the new mount namespace only (propagation private).
	# /run/libvirt and /etc/libvirt exist on the host and in the lab; in
	# the lab /run is a tmpfs, where mkdir is harmless.
	hv_exec "$name" sh -ec '
		d=$1
		mount -t sysfs sysfs /sys
		[ -d /run/libvirt ] || mkdir -p /run/libvirt
		mount --bind "$d/run" /run/libvirt
		mount --bind "$d/var-lib" /var/lib
		mount --bind "$d/var-cache" /var/cache
		mount --bind "$2" /var/log
		mount --bind "$d/etc" /etc/libvirt
		mount --bind "$d/passwd" /etc/passwd
		mount --bind "$d/group" /etc/group
		mount --bind "$d/hosts" /etc/hosts
	' sh "$d" "$(hv_logdir "$name")" || hv_die "$name: private mounts" || return 1
	hv_exec "$name" hostname "$name"
	hv_exec "$name" ip link set lo up
	# Only the QEMU driver (see the header).
	ln -s "$MOB_MIG_LIBVIRT_LIBDIR/connection-driver/libvirt_driver_qemu.so" "$d/drivers/"
	uuidgen 2>/dev/null >"$d/host_uuid" || cat /proc/sys/kernel/random/uuid >"$d/host_uuid"
	hv_log "$name: namespaces up (holder $pid, netns mig-$name)"
}

# hv_libvirtd_start NAME ADDR: config, then libvirtd in the hypervisor,
# listening on ADDR:16509 (TCP, no auth) for the peer's migration
# connection (virsh migrate --p2p ... qemu+tcp://ADDR/system).
hv_libvirtd_start() {
	local name=$1 addr=$2 d pid t0 uuid
	d=$(hv_dir "$name")
	uuid=$(cat "$d/host_uuid")
	cat >"$d/etc/libvirtd.conf" <<EOF
# Generated by tests/migrate/hv.sh for hypervisor $name.
# Plain TCP without authentication, on this namespace's address only: the
# peer's libvirtd connects here for the peer-to-peer migration.
listen_tls = 0
listen_tcp = 1
listen_addr = "$addr"
auth_tcp = "none"
# Root clients on the (private) UNIX socket; no polkit in a container.
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_rw_perms = "0700"
# Distinct per hypervisor: libvirt refuses to migrate to the "same host".
host_uuid = "$uuid"
log_outputs = "${MOB_MIG_LIBVIRTD_LOG:-3:file:/var/log/libvirt/libvirtd.log}"
log_filters = "${MOB_MIG_LIBVIRTD_FILTERS:-}"
# TCG is slow: give a busy peer time before the connection is declared
# dead (default: 5 s x 5).
keepalive_interval = 10
keepalive_count = 12
EOF
	cat >"$d/etc/qemu.conf" <<EOF
# Generated by tests/migrate/hv.sh for hypervisor $name.
user = "root"
group = "root"
# The kernel and initrd are shared by both hypervisors (and read-only 9p
# in the lab): never chown them, never keep owner xattrs on them.
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
# No cgroups (a container's are not ours; the namespace hides them), no
# private /dev mount namespace per QEMU, no virtlogd.
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
# Incoming migrations: listen on, and tell the source to connect to, this
# hypervisor's address (the default, the hostname, resolves to nothing).
migration_address = "$addr"
migration_host = "$addr"
log_timestamp = 1
EOF
	t0=$(date +%s.%N)
	# Not --daemon: libvirtd stays a child of the reaper (reaper.py: QEMU
	# is reparented to it and reaped at once; the container's init takes
	# ~2 s, which libvirt waits out when it kills a QEMU).  libvirtd's own
	# pid is in its pid file; $HV_SPAWNED, the reaper, lives as long as
	# libvirtd or any of its QEMUs.
	hv_spawn "$name" "$d/libvirtd.out" /usr/bin/python3 "$MOB_MIG_HERE/reaper.py" \
		env LIBVIRT_DRIVER_DIR="$d/drivers" \
		libvirtd --listen --config /etc/libvirt/libvirtd.conf \
		--pid-file /run/libvirt/libvirtd.pid || return 1
	pid=$HV_SPAWNED
	# Deadlines in wall-clock seconds, not loop counts: in the lab one
	# round of this loop costs far more than its sleep.
	local deadline=$((SECONDS + MOB_MIG_LIBVIRTD_WAIT))
	while [ $SECONDS -lt $deadline ]; do
		if hv_virsh "$name" uri >/dev/null 2>&1; then
			hv_log "$name: libvirtd up in $(hv_since "$t0") s" \
				"(pid $(cat "$d/run/libvirtd.pid"), $addr:16509)"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	cat "$d/libvirtd.out" >&2
	tail -20 "$(hv_logdir "$name")/libvirt/libvirtd.log" >&2 2>/dev/null
	hv_die "$name: libvirtd did not come up"
}

# hv_seed_caps FROM TO: copy the QEMU capabilities cache.  The probe
# (QEMU started with -machine none and questioned over QMP) costs ~1 s on
# the host, tens of seconds in the lab; the two hypervisors run the same
# binaries on the same kernel, so one probe's result is valid for both
# (libvirt checks the binary's ctime, libvirtd's, the kernel's version).
hv_seed_caps() {
	local from to
	from=$(hv_dir "$1")/var-cache/libvirt/qemu
	to=$(hv_dir "$2")/var-cache/libvirt
	[ -d "$from" ] && cp -a "$from" "$to/"
}

# hv_add_tap NAME TAP [BRIDGE]: a persistent tap, owned by root, up,
# optionally a bridge port.  For <interface type='ethernet'> with
# <target dev='TAP' managed='no'/>, libvirt opens an existing tap by name
# (TUNSETIFF) and hands the fd to QEMU; it does not create, configure or
# delete it.  So the tap must exist on the destination before the incoming
# QEMU starts, and it outlives the domain on the source.
hv_add_tap() {
	local name=$1 tap=$2 br=${3:-}
	hv_exec "$name" ip tuntap add dev "$tap" mode tap || return 1
	[ -z "$br" ] || hv_exec "$name" ip link set "$tap" master "$br" || return 1
	hv_exec "$name" ip link set "$tap" up
}

hv_libvirtd_stop() {
	local name=$1 d pid dom i
	d=$(hv_dir "$name")
	[ -s "$d/run/libvirtd.pid" ] || return 0
	pid=$(cat "$d/run/libvirtd.pid")
	kill -0 "$pid" 2>/dev/null || return 0
	# Domains first: a QEMU outlives its libvirtd.
	for dom in $(hv_virsh "$name" list --name 2>/dev/null); do
		hv_virsh "$name" destroy "$dom" >/dev/null 2>&1 || true
	done
	kill "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
}

hv_destroy() {
	local name=$1 d pid p
	d=$(hv_dir "$name")
	hv_libvirtd_stop "$name" || true
	if pid=$(hv_pid "$name"); then
		# Anything still in the hypervisor's network namespace (QEMU left
		# behind, virsh event, tcpdump): end it, by pid.
		for p in $(ip netns pids "mig-$name" 2>/dev/null); do
			[ "$p" = "$pid" ] || kill "$p" 2>/dev/null || true
		done
		kill "$pid" 2>/dev/null || true
		rm -f "$d/holder.pid"
	fi
	ip netns del "mig-$name" 2>/dev/null || true
}

# mig_preflight: kernel pieces loaded.  /dev/net/tun exists only once
# the tun module is in (Debian builds it as a module; a systemd host makes
# the node at boot from the module's devname alias, the lab guest does
# not, and `ip tuntap add` then fails with "open: No such file or
# directory").  bridge and veth load on demand.
mig_preflight() {
	if [ ! -c /dev/net/tun ]; then
		modprobe tun 2>/dev/null || true
		[ -c /dev/net/tun ] || hv_die "no /dev/net/tun (and modprobe tun failed)" || return 1
	fi
}

# Plain network namespaces (switch, correspondent): mig-NAME.
mig_netns_add() {
	ip netns del "mig-$1" 2>/dev/null || true
	ip netns add "mig-$1"
	ip -n "mig-$1" link set lo up
}

mig_cleanup() {
	local d n p
	for d in "$MOB_MIG_STATE"/*/; do
		[ -e "$d/holder.pid" ] || continue
		hv_destroy "$(basename "$d")"
	done
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^mig-' || true); do
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill "$p" 2>/dev/null || true
		done
		ip netns del "$n" 2>/dev/null || true
	done
}

# mig_domain_xml NAME KVER IP/PLEN GW MAC TAP [MEM_MIB [NIC_MODE [BRIDGE]]]:
# the domain XML (domain.xml.in filled in) on stdout.  The initrd is
# mkguest.sh's for KVER, in the work tree.  NIC_MODE:
#
#   unmanaged  <interface type='ethernet'>, <target dev=TAP managed='no'/>:
#              the tap must exist (hv_add_tap) on both hypervisors; libvirt
#              only opens it.  What mobd will want: the hypervisor owns
#              the port and its configuration.
#   ethernet   <interface type='ethernet'>, <target dev=TAP/>, <script
#              path=ifup-br0/>: libvirt creates the tap when QEMU starts
#              (on the destination: when the incoming QEMU starts) and
#              deletes it when QEMU ends; it attaches it to nothing, so
#              the script (run by libvirtd with the tap's name) puts it on
#              BRIDGE (ifup-br0 knows only br0).
#   bridge     <interface type='bridge'>, <source bridge=BRIDGE/>,
#              <target dev=TAP/>: libvirt creates the tap and enslaves it
#              to BRIDGE on whichever hypervisor runs the domain.
mig_domain_xml() {
	local name=$1 kver=$2 ip=$3 gw=$4 mac=$5 tap=$6 mem=${7:-96}
	local mode=${8:-unmanaged} br=${9:-br0} uuid initrd nic
	case "$mode" in
	unmanaged)
		nic="    <interface type='ethernet'>\n      <mac address='$mac'/>\n"
		nic+="      <target dev='$tap' managed='no'/>\n" ;;
	ethernet)
		nic="    <interface type='ethernet'>\n      <mac address='$mac'/>\n"
		nic+="      <target dev='$tap'/>\n"
		nic+="      <script path='$MOB_MIG_HERE/ifup-br0'/>\n" ;;
	bridge)
		nic="    <interface type='bridge'>\n      <mac address='$mac'/>\n"
		nic+="      <source bridge='$br'/>\n      <target dev='$tap'/>\n" ;;
	*) hv_die "unknown NIC mode '$mode'"; return 1 ;;
	esac
	nic+="      <model type='virtio'/>\n    </interface>"
	# no_timer_check: under nested TCG the timer interrupt can be too
	# slow for the kernel's IO-APIC timer check, which then panics ("IO-
	# APIC + timer doesn't work!"); usual for virtual machines.
	# MOB_MIG_GUEST_APPEND adds more (quiet, loglevel=...).
	cmdline="console=ttyS0 panic=-1 printk.time=1 no_timer_check"
	cmdline+=" mob.ip=$ip mob.gw=$gw mob.name=$name"
	[ -z "${MOB_MIG_MEMCHECK:-}" ] || cmdline+=" mob.memcheck=$MOB_MIG_MEMCHECK"
	cmdline+=" ${MOB_MIG_GUEST_APPEND:-}"
	initrd=$MOB_MIG_WORKTREE/build/migrate/guest/initrd-$kver.cpio.gz
	[ -r "$initrd" ] || hv_die "no $initrd (run tests/migrate/mkguest.sh --kver $kver)" || return 1
	# A UUID derived from the name: the same domain on every run.
	uuid=$(printf '%s' "mob-migrate-$name" | md5sum |
		sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/')
	# The template's leading comment is for its readers, not libvirt.
	sed -e '1,/^-->$/d' -e "s|@NAME@|$name|g" -e "s|@UUID@|$uuid|g" -e "s|@MEM_MIB@|$mem|g" \
		-e "s|@KERNEL@|/boot/vmlinuz-$kver|g" -e "s|@INITRD@|$initrd|g" \
		-e "s|@CMDLINE@|$cmdline|g" \
		-e "s|@MAC@|$mac|g" -e "s|@HOA@|${ip%/*}|g" -e "s|^@INTERFACE@\$|$nic|" \
		"$MOB_MIG_HERE/domain.xml.in"
}
