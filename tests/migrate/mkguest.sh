#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the tiny guest that tests/migrate/ live-migrates: one of Debian's
# installed kernels (/boot/vmlinuz-KVER, used in place) and a busybox
# initramfs, no disk.  The guest's /init (tests/migrate/guest-init):
#
#   - loads virtio_net (and, on kernels that build virtio as modules, the
#     virtio PCI transport) from the initramfs;
#   - configures eth0 from the kernel command line:
#         mob.ip=10.99.0.11/24 mob.gw=10.99.0.1
#   - answers ping, echoes TCP on port 7 (busybox nc -ll -e cat) and tells
#     its uptime on TCP port 8;
#   - prints MOB-GUEST-READY on the serial console once the network is up,
#     then MOB-GUEST-ALIVE <uptime> every second, so a console log shows
#     both the boot time and that the same guest goes on after a move.
#
#   tests/migrate/mkguest.sh [--kver KVER] [--out DIR]
#
# KVER defaults to the newest /boot/vmlinuz-* (MOB_MIG_KVER overrides);
# DIR to build/migrate/guest in the work tree (never /tmp: the lab guest
# mounts a tmpfs over it, and both "hypervisors" must find the files at
# the same path).  Writes DIR/initrd-KVER.cpio.gz and DIR/guest.env (the
# kernel and initrd paths, for the other scripts).  About a second.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
worktree=$(cd "$here/../.." && pwd -P)
kver=${MOB_MIG_KVER:-}
out=$worktree/build/migrate/guest

fail() {
	echo "mkguest: FAIL: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case "$1" in
	--kver) kver=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "usage: $0 [--kver KVER] [--out DIR]" >&2; exit 2 ;;
	esac
done
if [ -z "$kver" ]; then
	kver=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -1)
	[ -n "$kver" ] || fail "no /boot/vmlinuz-* (install linux-image-amd64)"
fi
vmlinuz=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver
[ -r "$vmlinuz" ] || fail "no kernel $vmlinuz"
[ -r "$moddir/modules.dep" ] || fail "no $moddir/modules.dep"

# A static busybox: the initramfs has no libraries (same test as run-lab.sh).
busybox=
for b in /bin/busybox /usr/bin/busybox; do
	if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then
		busybox=$b
		break
	fi
done
[ -n "$busybox" ] || fail "no static busybox (install busybox-static)"
for t in cpio gzip xz; do
	command -v "$t" >/dev/null || fail "$t not found"
done

# --- modules: virtio_net and what it needs, in load order --------------
# Debian 6.1 builds virtio and virtio_pci as modules, 6.12 builds them in;
# virtio_net itself (with failover, net_failover) is a module on both.
# virtio_pci is not a modules.dep dependency of virtio_net (the transport
# binds the device, the driver binds the virtio device), so it is asked
# for explicitly.
declare -A modpath=() moddeps=() loaded=()
while IFS=: read -r path deps; do
	name=${path##*/}
	name=${name%%.ko*}
	modpath[${name//-/_}]=$path
	moddeps[$path]=$deps
done <"$moddir/modules.dep"
order=()
add_module() {
	local path=$1 dep
	[ -z "${loaded[$path]:-}" ] || return 0
	loaded[$path]=1
	for dep in ${moddeps[$path]}; do
		add_module "$dep"
	done
	order+=("$path")
}
for m in virtio_pci virtio_net; do
	[ -z "${modpath[$m]:-}" ] || add_module "${modpath[$m]}"
done
[ -n "${modpath[virtio_net]:-}" ] ||
	grep -q '/virtio_net.ko' "$moddir/modules.builtin" 2>/dev/null ||
	fail "$kver has no virtio_net"

# --- initramfs ----------------------------------------------------------
mkdir -p "$out"
ird=$out/initramfs-$kver
rm -rf "$ird"
mkdir -p "$ird"/{bin,dev,proc,sys,tmp,lib/modules}
cp "$busybox" "$ird/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$ird/bin/$applet"
done
install -m 0755 "$here/guest-init" "$ird/init"
: >"$ird/modules.list"
for path in "${order[@]}"; do
	name=${path##*/}
	name=${name%%.ko*}
	# busybox insmod reads plain ELF only.
	case "$path" in
	*.ko) cp "$moddir/$path" "$ird/lib/modules/$name.ko" ;;
	*.ko.xz) xz -dc "$moddir/$path" >"$ird/lib/modules/$name.ko" ;;
	*.ko.zst) zstd -qdc "$moddir/$path" >"$ird/lib/modules/$name.ko" ;;
	*.ko.gz) gzip -dc "$moddir/$path" >"$ird/lib/modules/$name.ko" ;;
	*) fail "cannot unpack module $path" ;;
	esac
	echo "$name" >>"$ird/modules.list"
done
initrd=$out/initrd-$kver.cpio.gz
(cd "$ird" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet) | gzip -6 >"$initrd.new"
mv "$initrd.new" "$initrd"
rm -rf "$ird"

mods=()
for path in "${order[@]}"; do
	mods+=("${path##*/}")
done
echo "mkguest: $vmlinuz + $initrd ($(du -k "$initrd" | cut -f1) KiB," \
	"modules: ${mods[*]:-none})"
