#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one qemu guest (TCG) on a Debian kernel with the host's userland and
# run a command in it.
#
#   vm.sh [options] KVER OUTDIR COMMAND...
#
#   --root DIR      the root file system exported to the guest (default /)
#   --timeout SEC   wall-clock limit of the whole guest run (default 900)
#   --smp N         virtual CPUs (default 2; make check runs 1-vCPU guests
#                   side by side, one per core: scripts/check.sh)
#   --mem MB        memory (default 2048)
#   --append ARGS   more kernel command-line arguments
#   --qemu ARGS     more qemu arguments
#   --kernel FILE   the kernel image (default ROOT/boot/vmlinuz-KVER)
#
# The guest's root is ROOT, read-only over virtio-9p with cache=loose (the
# guest keeps what it read: the root must not change while a guest runs, so
# make check hands guests a frozen copy of what it built), with proc, sys, dev and
# a tmpfs on /tmp and /run (where the project, OUTDIR or the current
# directory are under those, they are bound back in). COMMAND runs there as
# root, in the directory this script was started from, with its output on
# the guest's second serial port (OUTDIR/output.log). The kernel console is in OUTDIR/console.log.
#
# The guest is judged here, not by itself: the run fails if the guest did not
# finish (panic, hang, timeout), if its console shows an oops, BUG, WARNING,
# KASAN or lockdep report, or if the kernel is tainted W (warning) or D (died)
# at the end. panic_on_warn turns a WARN into a panic, so nothing after a
# warning can hide it. Exit status: the command's own, or 125 for a guest
# failure; OUTDIR/verdict names what happened, OUTDIR/report holds the first
# lines of a kernel report. A task blocked for the kernel's hung-task
# timeout (120 s) panics the guest (scripts/vm-guest.sh), so a deadlock
# ends the run with its stacks instead of waiting for the wall clock. At
# the wall clock the guest gets an NMI through qemu's monitor (a pipe,
# OUTDIR/monitor.in and .out), which unknown_nmi_panic turns into a panic
# with what the CPU was running, before qemu is stopped.
set -euo pipefail

root=/
timeout=900
smp=2
mem=2048
append=
qemu_extra=
kernel=
while [ $# -gt 0 ]; do
	case $1 in
	--root) root=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--qemu) qemu_extra=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "vm.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 3 ] || { echo "usage: vm.sh [options] KVER OUTDIR COMMAND..." >&2; exit 2; }
kver=$1 out=$2
shift 2

here=$(cd "$(dirname "$0")" && pwd)
cache=${PORTSTEER_CACHE:-/var/cache/portsteer}
kernel=${kernel:-$root/boot/vmlinuz-$kver}
[ -r "$kernel" ] || { echo "vm.sh: no kernel image $kernel" >&2; exit 2; }
mkdir -p "$out" "$cache"
out=$(cd "$out" && pwd)
rm -f "$out"/console.log "$out"/output.log "$out"/verdict "$out"/report

# The initramfs: busybox and the modules that mount the 9p root. Cached per
# kernel and per version of the init script below, and made under a lock
# (guests of one kernel start together); those of other versions of this
# script go after a day unused (another checkout may be running one).
initrd=$cache/initrd-$kver-$(sha1sum "$0" | cut -c1-12).cpio.gz
exec 7>"$cache/initrd.lock"
flock 7
if [ ! -s "$initrd" ]; then
	find "$cache" -maxdepth 1 -name "initrd-$kver-*.cpio.gz" -atime +0 -delete
	tmp=$(mktemp -d)
	mkdir -p "$tmp"/{bin,dev,proc,sys,newroot,lib/modules}
	cp /bin/busybox "$tmp/bin/busybox"
	for m in 9p 9pnet_virtio virtio_pci; do
		modprobe -d "$root" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' >"$tmp/mods"
	while read -r ko; do
		dst=$tmp/lib/modules/$(basename "${ko%.xz}")
		case $ko in
		*.xz) xz -dc "$ko" >"$dst" ;;
		*.zst) zstd -qdc "$ko" >"$dst" ;;
		*) cp "$ko" "$dst" ;;
		esac
		echo "/lib/modules/$(basename "$dst")" >>"$tmp/modlist"
	done <"$tmp/mods"
	touch "$tmp/modlist"
	cat >"$tmp/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
while read -r m; do insmod "$m" || echo "init: insmod $m failed"; done </modlist
# cache=loose: the page cache keeps the root's files between execs, so
# that python3, ip and libc are neither read again over 9p nor translated
# again by TCG (whose translations follow the guest's physical pages).
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /newroot; then
	echo "init: cannot mount the host root"; echo b >/proc/sysrq-trigger
fi
umount /proc /sys /dev
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t devtmpfs dev /newroot/dev
# The guest's own /tmp and /run cover the host's: what the run needs from
# there (a clone in /tmp, its build directory or PS_BUILD_DIR with the
# tests' frozen copy, a PORTSTEER_CACHE there with the debug kernel's
# modules directory) is bound back in place.
mkdir -p /host/tmp /host/run
mount -o bind /newroot/tmp /host/tmp
mount -o bind /newroot/run /host/run
mount -t tmpfs tmp /newroot/tmp
mount -t tmpfs run /newroot/run
for d in "$PSTOP" "$PSCWD" "$PSBUILD" "$PSOUT" "$PSCACHE"; do	# parents first
	case $d in
	/tmp/?* | /run/?*) ;;
	*) continue ;;
	esac
	[ -e "/newroot$d" ] && continue
	mkdir -p "/newroot$d" && mount -o bind "/host$d" "/newroot$d" ||
		echo "init: cannot bind $d of the host"
done
umount -l /host/tmp /host/run
# switch_root, not chroot: the host root becomes the namespace's root, so
# that nothing in the guest counts as chrooted (unshare(CLONE_NEWUSER)
# refuses a chrooted caller).
exec switch_root /newroot /bin/sh -c "cd '$PSCWD' && exec '$PSHERE/vm-guest.sh'"
INIT
	chmod +x "$tmp/init"
	(cd "$tmp" && find . -path ./mods -prune -o -print | cpio -o -H newc --quiet | gzip -1) >"$initrd.$$"
	mv "$initrd.$$" "$initrd"
	rm -rf "$tmp"
fi
exec 7>&-

# What the guest runs, through the read-only 9p root: the command line
# is passed in a file next to the logs.
printf '%q ' "$@" >"$out/command"

cmdline="console=ttyS0 loglevel=5 panic=-1 oops=panic panic_on_warn=1 softlockup_panic=1 unknown_nmi_panic"
cmdline+=" rdinit=/init PSTOP=${here%/scripts} PSCWD=$PWD PSHERE=$here PSOUT=$out"
cmdline+=" PSCACHE=$(cd "$cache" && pwd)"
[ -z "${PS_BUILD_DIR:-}" ] || cmdline+=" PSBUILD=$(cd "$PS_BUILD_DIR" && pwd)"
cmdline+=" $append"

# The monitor, on a pipe: at the wall clock, an NMI (see below).
mon=$out/monitor
rm -f "$mon.in" "$mon.out"
mkfifo "$mon.in" "$mon.out"

set +e
qemu-system-x86_64 \
	-accel tcg -cpu max -m "$mem" -smp "$smp" \
	-nodefaults -display none -no-reboot \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	-fsdev "local,id=fs0,path=$root,security_model=none,readonly=on,multidevs=remap" \
	-device virtio-9p-pci,fsdev=fs0,mount_tag=hostroot \
	-serial "file:$out/console.log" -serial "file:$out/output.log" \
	-device virtio-rng-pci \
	-chardev "pipe,id=mon0,path=$mon" -mon chardev=mon0 \
	$qemu_extra </dev/null >"$out/qemu.log" 2>&1 &
qpid=$!
# qemu runs in the background (where SIGINT is ignored): it goes with us.
trap 'kill $qpid ${spid:-} 2>/dev/null' EXIT
trap 'exit 130' INT TERM
# The wall clock. At its end the guest gets an NMI: unknown_nmi_panic
# turns it into a panic that shows what the CPU was running (a loop in the
# kernel that no lockup detector sees, say); qemu is stopped 30 s later.
sleep "$timeout" &
spid=$!
gone_within() {		# gone_within SECS: qemu has ended, or ends within SECS
	local i
	for ((i = 0; i < $1; i++)); do
		kill -0 $qpid 2>/dev/null || return 0
		sleep 1
	done
	! kill -0 $qpid 2>/dev/null
}
wait -n $qpid $spid
timed_out=0
if ! gone_within 0; then
	timed_out=1
	echo nmi 1<>"$mon.in"	# read-write: never blocks, even with qemu gone
	gone_within 30 || { kill $qpid; gone_within 5 || kill -9 $qpid; } 2>/dev/null
fi
kill $spid 2>/dev/null
wait $qpid
qrc=$?
wait $spid 2>/dev/null
trap - EXIT INT TERM
rm -f "$mon.in" "$mon.out"
set -e

# The guest writes "PORTSTEER-GUEST-EXIT <rc> <taint>" last; without it the guest
# died or hung.
verdict=
status=$(tr -d '\r' <"$out/output.log" 2>/dev/null | sed -n 's/^PORTSTEER-GUEST-EXIT //p' | tail -n1)
splat=$(tr -d '\r' <"$out/console.log" 2>/dev/null | grep -E -m5 \
	'Oops|BUG[: ]|WARNING:|Kernel panic|KASAN|UBSAN|possible (recursive|circular) locking|suspicious RCU usage|unreferenced object|Call Trace|general protection|soft lockup|blocked for more than|hung_task|Slab cache still has objects' || true)
if [ $timed_out -eq 1 ]; then
	verdict="guest timed out after ${timeout}s"
elif [ -z "$status" ]; then
	# qemu exits 0 on SIGTERM (make check's boot watchdog, say): its log names it.
	sig=$(sed -n 's/.*terminating on signal \([0-9]*\).*/\1/p' "$out/qemu.log" | head -n1)
	why="qemu exit $qrc"
	[ -z "$sig" ] || why="qemu stopped by signal $sig"
	verdict="guest did not finish ($why)"
fi
rc=0
taint=0
if [ -n "$status" ]; then
	rc=${status%% *}
	taint=${status##* }
	# 512: W (warning), 128: D (died); E and O are set by any out-of-tree module.
	if [ $((taint & 640)) -ne 0 ]; then
		verdict="${verdict:+$verdict; }kernel tainted $taint (W or D)"
	fi
fi
if [ -n "$splat" ]; then
	verdict="${verdict:+$verdict; }kernel report in the console log"
	echo "$splat" >"$out/report"	# its first lines
fi
if [ -n "$verdict" ]; then
	echo "$verdict" >"$out/verdict"
	exit 125
fi
echo "ok" >"$out/verdict"
exit "$rc"
