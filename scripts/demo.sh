#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: build portsteer, boot a guest on Debian's kernel and show the
# module at work there. Installs what it needs first.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "${1:-}" != --in-guest ]; then
	make -s deps
	make -s tools selftests >/dev/null
	kver=$(ls /boot/vmlinuz-6.1.* | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n1)
	kdir=/usr/src/linux-headers-$kver
	src=$top/build/$kver/src
	mkdir -p "$src"
	cp -a Kbuild module uapi "$src/"
	make -s -C "$kdir" M="$src" modules >/dev/null
	echo "== booting a guest on $kver"
	rc=0
	scripts/vm.sh --timeout 600 "$kver" build/demo "$0" --in-guest "$src/portsteer.ko" || rc=$?
	tr -d '\r' <build/demo/output.log | grep -v '^PORTSTEER-GUEST-EXIT'
	[ "$(cat build/demo/verdict)" = ok ] || { echo "guest: $(cat build/demo/verdict)"; exit 1; }
	exit $rc
fi

ko=$2
echo "== insmod $ko"
insmod "$ko"
echo "== the module"
grep -H . /sys/module/portsteer/version /sys/module/portsteer/taint
dmesg | grep portsteer
echo "== rmmod"
rmmod portsteer
dmesg | grep portsteer | tail -n1
