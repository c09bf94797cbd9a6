#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the cost of steering, measured in guest instructions per
# packet (see Documentation/benchmark.md for the method and the figures).
#
#   bench.sh [KERNEL]        KERNEL: 6.1 (default), 6.12, sid or a full version
#
# Installs what it needs, builds portsteer and the empty-hook module of
# selftests/bench_empty_hook.c for that kernel under build/bench/, generates
# the rulesets (scripts/bench-gen.py), boots ONE guest with one vCPU under
# -icount shift=0,sleep=off, runs scripts/bench-guest.sh there, and writes
# build/bench/results.txt, Documentation/benchmark.md and
# Documentation/benchmark.svg (scripts/bench-report.py); for another kernel
# than 6.1, Documentation/benchmark-KERNEL/ (6.12, sid). KERNEL sid is the
# newest Debian kernel, in the sid chroot of scripts/debian-root.sh (the
# guest's root; the modules are built there with sid's compiler).
# BENCH_QUICK=1: a few configurations only, to try the harness (the report
# then goes to build/bench/ only). BENCH_COUNT: packets per run (20000).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

want=${1:-${BENCH_KERNEL:-${KVER:-6.1}}}
bdir=$top/build/bench
mkdir -p "$bdir"

# What the benchmark needs beyond make deps.
pkgs=(nftables iptables ipset gnuplot-nox python3)
missing=()
for p in "${pkgs[@]}"; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
make -s deps
make -s tools >/dev/null

# inroot: how to run a build in the kernel's root; vmwrap and vmroot: how
# to boot the guest with that root (nothing for the host's own kernels).
inroot=() vmwrap=() vmroot=()
if [ "$want" = sid ]; then
	sidout=$(scripts/debian-root.sh sid --kver) || { echo "bench: no sid chroot" >&2; exit 1; }
	root=$(sed -n 1p <<<"$sidout")
	kver=$(sed -n 2p <<<"$sidout")
	inroot=("$top/scripts/in-root.sh" --chroot "$root")
	vmwrap=("$top/scripts/in-root.sh" "$root")
	vmroot=(--root "$root")
elif [ -r "/boot/vmlinuz-$want" ]; then
	kver=$want
else
	kver=$(ls /boot/vmlinuz-"$want".* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n1)
fi
[ -n "$kver" ] || { echo "bench: no kernel $want installed" >&2; exit 1; }
kdir=/usr/src/linux-headers-$kver
[ -f "${root:-}$kdir/Makefile" ] || kdir=/lib/modules/$kver/build

# portsteer, from a copy of the tree, as scripts/check.sh builds it.
src=$bdir/$kver/src
rm -rf "$src"
mkdir -p "$src"
cp -a Kbuild module uapi "$src/"
"${inroot[@]}" make -s -C "$kdir" M="$src" PORTSTEER_VERSION="${PORTSTEER_VERSION:-bench}" modules >/dev/null
# The empty hook, from a directory of its own with its own Kbuild.
empty=$bdir/$kver/empty
rm -rf "$empty"
mkdir -p "$empty"
cp selftests/bench_empty_hook.c "$empty/"
echo 'obj-m := bench_empty_hook.o' >"$empty/Kbuild"
"${inroot[@]}" make -s -C "$kdir" M="$empty" modules >/dev/null

python3 scripts/bench-gen.py "$bdir/gen"

echo "bench: booting one guest on $kver (one vCPU, icount); this takes a while"
start=$(date +%s)
out=$bdir/$kver/vm
rc=0
"${vmwrap[@]}" scripts/vm.sh "${vmroot[@]}" --smp 1 --mem 2048 \
	--timeout "${BENCH_TIMEOUT:-5400}" \
	--qemu "-icount shift=0,sleep=off" "$kver" "$out" \
	env BENCH_QUICK="${BENCH_QUICK:-0}" BENCH_COUNT="${BENCH_COUNT:-20000}" \
	"$top/scripts/bench-guest.sh" "$src/portsteer.ko" "$empty/bench_empty_hook.ko" \
	"$bdir/gen" || rc=$?
secs=$(( $(date +%s) - start ))
tr -d '\r' <"$out/output.log" | grep -v '^PORTSTEER-GUEST-EXIT' >"$bdir/results.txt" || true
grep '^#' "$bdir/results.txt" || true
if [ $rc -ne 0 ]; then
	echo "bench: guest failed (exit $rc, $(cat "$out/verdict" 2>/dev/null))" >&2
	tail -n 40 "$out/console.log" >&2
	exit 1
fi
echo "bench: guest done in ${secs}s"

docdir=$top/Documentation
case $want in
6.1|6.1.*) ;;
*)	docdir=$top/Documentation/benchmark-$want
	mkdir -p "$docdir" ;;
esac
[ "${BENCH_QUICK:-0}" = 1 ] && docdir=$bdir
python3 scripts/bench-report.py "$bdir/results.txt" "$kver" "$secs" "$docdir"
echo "bench: wrote $docdir/benchmark.md, benchmark.svg and benchmark-updates.svg"
