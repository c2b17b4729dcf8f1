#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a Debian kernel under QEMU (TCG) with the host's root filesystem
# read-only over 9p, run one command from the work tree inside it, and
# report.  The host kernel cannot load modules, so every test that needs
# the module runs through this.
#
#   tests/lab/run-lab.sh KVER [--timeout SECS] [-- GUEST_COMMAND...]
#
# The guest command (default tests/kernel/run.sh) runs as root in the work
# tree with MOB_KVER, MOB_WORKTREE and MOB_LAB_OUT set; MOB_LAB_OUT
# (build/lab/KVER/out) is the one directory the guest can write that the
# host sees.  The whole console goes to stdout and build/lab/KVER/console.log.
# Exit 0 only if the command exited 0 and the kernel logged no error.
# MOB_LAB_APPEND, if set, is added to the kernel command line.
# MOB_LAB_MEM, if set, is the guest's RAM in MB (default 2048).
set -euo pipefail

# One brace group, ended by exit: bash parses it whole before running it,
# so editing this file while a run goes on cannot derail that run.
{
usage() {
	echo "usage: $0 KVER [--timeout SECS] [-- GUEST_COMMAND...]" >&2
	exit 2
}
fail() {
	echo "run-lab: FAIL${kver:+ ($kver)}: $*" >&2
	exit 1
}

[ $# -ge 1 ] || usage
kver=$1
shift
case "$kver" in
'' | -* | .* | */*) usage ;;
esac
timeout=1500
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout)
		[ $# -ge 2 ] || usage
		timeout=$2
		shift 2
		;;
	--timeout=*)
		timeout=${1#--timeout=}
		shift
		;;
	--)
		shift
		break
		;;
	*) usage ;;
	esac
done
case "$timeout" in
'' | *[!0-9]*) fail "--timeout wants whole seconds, got '$timeout'" ;;
esac
[ "$timeout" -ge 30 ] || fail "--timeout $timeout is shorter than a boot"
guest_cmd=("$@")
# The benchmarks hold millions of table entries: they ask for more RAM.
mem=${MOB_LAB_MEM:-2048}
case "$mem" in
'' | *[!0-9]*) fail "MOB_LAB_MEM wants whole megabytes, got '$mem'" ;;
esac
[ "$mem" -ge 512 ] || fail "MOB_LAB_MEM=$mem is too little to boot"

# Physical path: the guest sees the host's real directory tree.
worktree=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
lab=$worktree/build/lab/$kver
out=$lab/out
log=$lab/console.log
mkdir -p "$lab"
# One run per kernel at a time: a second one would delete the first one's
# initramfs and out dir.  (QEMU inherits the lock: a QEMU that outlives
# this script still holds it.)
exec 9>"$worktree/build/.lab-$kver.lock"
if ! flock -n 9; then
	echo "run-lab: $kver: another run-lab.sh is using build/lab/$kver; waiting" >&2
	flock 9
fi
# Nothing from an earlier run may be mistaken for this one's.
rm -rf "$out" "$lab/initramfs" "$log"
mkdir -p "$out"

# Nothing is skipped: a missing piece is an error that says what to install.
command -v qemu-system-x86_64 >/dev/null ||
	fail "qemu-system-x86_64 not found (tests/lab/install-deps.sh installs qemu-system-x86)"
vmlinuz=/boot/vmlinuz-$kver
[ -r "$vmlinuz" ] || fail "no kernel $vmlinuz (install linux-image-$kver)"
moddir=/lib/modules/$kver
[ -r "$moddir/modules.dep" ] || fail "no $moddir/modules.dep (install linux-image-$kver)"
# insmod and friends must run before any library is there: static only
# (busybox-static; the dynamic busybox package installs the same path).
busybox=
for b in /bin/busybox /usr/bin/busybox; do
	if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then
		busybox=$b
		break
	fi
done
[ -n "$busybox" ] || fail "no static busybox (install busybox-static)"
for t in cpio xz timeout; do
	command -v "$t" >/dev/null || fail "$t not found (tests/lab/install-deps.sh)"
done

# --- initramfs --------------------------------------------------------
# Rebuilt on every run: it is a second's work, so it is never stale.

# The modules the 9p root needs, in load order: each module after its
# dependencies (from modules.dep).  Which are modules and which are built
# in differs between kernels (6.12 builds virtio in and folds fscache into
# netfs), so a name that is built in or absent is left out.
declare -A modpath=() moddeps=() builtin=() loaded=()
while IFS=: read -r path deps; do
	name=${path##*/}
	name=${name%%.ko*}
	modpath[${name//-/_}]=$path
	moddeps[$path]=$deps
done <"$moddir/modules.dep"
if [ -r "$moddir/modules.builtin" ]; then
	while read -r path; do
		name=${path##*/}
		name=${name%%.ko*}
		builtin[${name//-/_}]=1
	done <"$moddir/modules.builtin"
fi
order=()
add_module() { # PATH-relative-to-moddir
	local path=$1 dep
	[ -z "${loaded[$path]:-}" ] || return 0
	loaded[$path]=1
	for dep in ${moddeps[$path]}; do
		add_module "$dep"
	done
	order+=("$path")
}
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
	virtio_pci netfs fscache 9pnet 9pnet_virtio 9p; do
	if [ -n "${modpath[$m]:-}" ]; then
		add_module "${modpath[$m]}"
	elif [ -z "${builtin[$m]:-}" ]; then
		case "$m" in
		virtio_pci | 9pnet | 9pnet_virtio | 9p)
			fail "$kver has $m neither as a module nor built in" ;;
		esac
	fi
done

ird=$lab/initramfs
mkdir -p "$ird"/{bin,dev,proc,sys,newroot,mob-lab,lib/modules}
cp "$busybox" "$ird/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$ird/bin/$applet"
done
install -m 0755 "$worktree/tests/lab/initramfs-init" "$ird/init"
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

# The run's parameters go in the initramfs as files, not on the kernel
# command line: the command may hold any characters.  cmd is NUL-separated
# argv, read back with mapfile -d ''.
printf '%s\n' "$worktree" >"$ird/mob-lab/worktree"
printf '%s\n' "$out" >"$ird/mob-lab/out"
: >"$ird/mob-lab/cmd"
if [ ${#guest_cmd[@]} -gt 0 ]; then
	printf '%s\0' "${guest_cmd[@]}" >"$ird/mob-lab/cmd"
fi
(cd "$ird" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet) >"$lab/initramfs.cpio"

# --- boot -------------------------------------------------------------
# The guest's watchdog fires before the host's timeout so that a hang is
# reported from inside (with blocked tasks in dmesg.txt); the host's kill
# is the backstop for a guest that cannot even do that.
margin=$((timeout / 4))
[ "$margin" -le 90 ] || margin=90
[ "$margin" -ge 15 ] || margin=15
guest_timeout=$((timeout - margin))

# loglevel=5: the console gets KERN_WARNING and worse, which WARN()
# splats are (loglevel=4 would hide them); printk.time tells kernel lines
# from the guest command's output below.
# slab_nomerge: otherwise a module's kmem_cache is merged into a kmalloc
# cache of the same size, and destroying it with objects leaked says
# nothing.  MOB_LAB_APPEND adds more (slub_debug=FZPU, say).
append="console=ttyS0 panic=-1 loglevel=5 printk.time=1 slab_nomerge"
append+=" mob.timeout=$guest_timeout ${MOB_LAB_APPEND:-}"
# Two vCPUs, but by default run by one host thread: with multi-threaded
# TCG (QEMU 7.2) a vCPU was seen to execute an int3 that the kernel's
# text_poke_bp() had already removed from code it was patching (jump
# labels flip whenever netfilter hooks come and go), and the kernel died
# of an "Oops: int3", once while booting and once under test.  Real CPUs
# cannot do that; single-threaded TCG does not either.  MOB_LAB_TCG_THREAD=
# multi brings the faster mode back.
tcg_thread=${MOB_LAB_TCG_THREAD:-single}
qemu=(
	qemu-system-x86_64 -machine q35 -accel "tcg,thread=$tcg_thread" -cpu max -smp 2 -m "$mem"
	-nographic -no-reboot -nic none
	-kernel "$vmlinuz" -initrd "$lab/initramfs.cpio" -append "$append"
	-fsdev "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap"
	-device "virtio-9p-pci,fsdev=root,mount_tag=ROOT"
	-fsdev "local,id=out,path=${out//,/,,},security_model=none,multidevs=remap"
	-device "virtio-9p-pci,fsdev=out,mount_tag=MOBOUT"
)
echo "run-lab: $kver: booting (${#order[@]} modules in the initramfs," \
	"timeout ${timeout}s), console in ${log#"$worktree"/}"
start=$(date +%s)
# stdin from /dev/null: QEMU must not grab the terminal or wait on it.
# The serial console writes CRLF; strip the CR, unbuffered, for the log.
# The pipeline runs in the background so that a signal to this script can
# stop QEMU at once (bash runs traps only between foreground commands).
rm -f "$lab/qemu.pid" "$lab/qemu.rc"
{
	rc=0
	timeout --kill-after=10 "$timeout" "${qemu[@]}" -pidfile "$lab/qemu.pid" \
		</dev/null 2>&1 || rc=$?
	echo "$rc" >"$lab/qemu.rc"
} | sed -u 's/\r//g' | tee "$log" &
boot=$!
# shellcheck disable=SC2317 # called through the trap
stop_qemu() {
	trap - INT TERM
	if [ -s "$lab/qemu.pid" ]; then
		kill "$(cat "$lab/qemu.pid")" 2>/dev/null || true
	fi
	wait "$boot" || true
	fail "interrupted; QEMU stopped"
}
trap stop_qemu INT TERM
wait "$boot" || true
trap - INT TERM
qemu_rc=$(cat "$lab/qemu.rc" 2>/dev/null || echo 255)
elapsed=$(($(date +%s) - start))
echo "run-lab: $kver: QEMU ended with $qemu_rc after ${elapsed}s"

# --- verdict ----------------------------------------------------------
reasons=()
if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
	reasons+=("host timeout: QEMU killed after ${timeout}s")
elif [ "$qemu_rc" -ne 0 ]; then
	reasons+=("QEMU exited with $qemu_rc")
fi
if init_err=$(grep -a -o 'MOB-LAB-INIT-FAILED: .*' "$log" | head -1); then
	reasons+=("initramfs: ${init_err#MOB-LAB-INIT-FAILED: }")
fi
if grep -a -q 'MOB-LAB-TIMEOUT' "$log"; then
	reasons+=("guest watchdog: the command ran longer than ${guest_timeout}s")
fi
# The last marker counts; a kernel line may share its console line.
code=$(grep -a -o 'MOB-LAB-EXIT: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
if [ -z "$code" ]; then
	reasons+=("no MOB-LAB-EXIT marker on the console: the guest never finished")
elif [ "$code" != 0 ]; then
	reasons+=("the guest command exited with $code")
fi
# Kernel errors, only on kernel lines ("[ seconds]" prefix): the guest
# command's own output may well say "WARNING:".
# Besides the usual, SLUB's own reports ("BUG <cache> (...): Objects
# remaining") and BUG() ("kernel BUG at", "invalid opcode").
kpat='BUG:|BUG [^ ]+ \(|WARNING:|Oops|general protection|Kernel panic'
kpat+='|still has objects|Objects remaining|kmemleak|kernel BUG at'
kpat+='|invalid opcode|UBSAN:|KASAN:|refcount_t:|list_(add|del) corruption'
kpat+='|blocked for more than'
if kerr=$(grep -a -E "\[ *[0-9]+\.[0-9]+\].*($kpat)" "$log"); then
	reasons+=("the kernel logged errors ($(wc -l <<<"$kerr") lines):")
	while IFS= read -r l; do
		reasons+=("    $l")
	done < <(head -20 <<<"$kerr")
fi

if [ ${#reasons[@]} -gt 0 ]; then
	{
		echo "run-lab: FAIL ($kver) after ${elapsed}s:"
		printf 'run-lab:   %s\n' "${reasons[@]}"
		echo "run-lab:   console: $log"
		echo "run-lab:   guest output: $out"
	} >&2
	exit 1
fi
echo "run-lab: PASS ($kver) in ${elapsed}s"
exit
}
