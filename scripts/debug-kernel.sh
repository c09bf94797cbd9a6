#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug kernel of make check: Debian's linux-source-6.1 built from
# allnoconfig, kvm_guest.config and scripts/debug-kernel.config (what the
# guest and the tests use, and KASAN, lockdep, PROVE_RCU, kmemleak,
# DEBUG_NET, refcount trackers, failslab...).
#
# Built once and cached outside the clone, in $PORTSTEER_CACHE/debug-kernel/KEY,
# where KEY hashes the source package version, the fragment and this script:
# a change to any of them builds a new kernel; anything else reuses it.
#
#   debug-kernel.sh      build if needed; print three lines: the kernel
#                        release, the bzImage, the build directory to build
#                        external modules against
#
# The kernel release's /lib/modules directory is made a symbolic link to the
# cache (modules.builtin, so that modprobe of a built-in driver succeeds in
# the guest, which sees this machine's root). Needs root for that link.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${PORTSTEER_CACHE:-/var/cache/portsteer}/debug-kernel
pkg=linux-source-6.1
frag=$here/debug-kernel.config
mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9

log() { echo "debug-kernel: $*" >&2; }

ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
# Offline, the package already downloaded will do.
[ -n "$ver" ] || ver=$(ls "$cache"/src/ 2>/dev/null | sed -n 's/^\(.*\)\.deb$/\1/p' | sort -V | tail -n1 || true)
if [ -z "$ver" ]; then
	ver=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		apt-get update -qq >/dev/null 2>&1 || true
		ver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
	fi
fi
[ -n "$ver" ] && [ "$ver" != "(none)" ] || { log "no $pkg in the package archive"; exit 1; }

key=$( { echo "$pkg $ver"; cat "$frag" "$0"; } | sha256sum | cut -c1-16)
dir=$cache/$key
build=$dir/build

if [ ! -e "$dir/done" ]; then
	start=$(date +%s)
	# Only one kernel is kept: remove the builds of other keys.
	find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name src ! -name "$key" -exec rm -rf {} +
	mkdir -p "$cache/src" "$dir"
	deb=$cache/src/$ver.deb
	if [ ! -s "$deb" ]; then
		log "downloading $pkg $ver"
		tmp=$(mktemp -d)
		(cd "$tmp" && apt-get download -qq "$pkg=$ver" >/dev/null)
		mv "$tmp"/*.deb "$deb"
		rmdir "$tmp"
	fi
	src=$dir/src
	if [ ! -e "$src/Makefile" ]; then
		log "unpacking $pkg $ver"
		rm -rf "$src" "$dir/src.tmp"
		mkdir -p "$dir/src.tmp"
		dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz |
			tar -xJ -C "$dir/src.tmp" --strip-components=1
		mv "$dir/src.tmp" "$src"
	fi
	log "configuring"
	mkdir -p "$build"
	make -s -C "$src" O="$build" allnoconfig >/dev/null
	make -s -C "$src" O="$build" kvm_guest.config >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$frag" >/dev/null
	make -s -C "$src" O="$build" olddefconfig >/dev/null
	# Every option asked for must be in the result (a dependency not met
	# drops one silently): compare.
	bad=0
	while IFS= read -r l; do
		case $l in
		CONFIG_*=*) grep -qxF "$l" "$build/.config" || { log "not in .config: $l"; bad=1; } ;;
		"# CONFIG_"*" is not set") grep -qxF "$l" "$build/.config" || { log "not in .config: $l"; bad=1; } ;;
		esac
	done <"$frag"
	[ $bad -eq 0 ] || exit 1
	log "building (about 5 minutes on 2 cores)"
	if ! make -s -C "$build" -j"$(nproc)" bzImage modules >"$dir/build.log" 2>&1; then
		tail -n 40 "$dir/build.log" >&2
		exit 1
	fi
	rm -rf "$dir/root"
	make -s -C "$build" INSTALL_MOD_PATH="$dir/root" INSTALL_MOD_STRIP=1 \
		DEPMOD=/sbin/depmod modules_install >>"$dir/build.log" 2>&1
	cp "$build/arch/x86/boot/bzImage" "$dir/bzImage"
	make -s -C "$build" kernelrelease >"$dir/kernelrelease"
	log "built in $(( $(date +%s) - start ))s"
	touch "$dir/done"
fi

kver=$(cat "$dir/kernelrelease")
mods=$dir/root/lib/modules/$kver
ln -sfn "$build" "$mods/build"
if [ "$(readlink "/lib/modules/$kver" 2>/dev/null)" != "$mods" ]; then
	rm -rf "/lib/modules/$kver"
	ln -s "$mods" "/lib/modules/$kver"
fi
echo "$kver"
echo "$dir/bzImage"
echo "$build"
