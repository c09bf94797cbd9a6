#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch the pieces of the kernel source tree that portsteer's build and tests
# use but that Debian's header packages do not ship: checkpatch.pl (with its
# data files) and the kselftest headers. They come from Debian's
# linux-source-6.1 package and are cached outside the repository, so nothing
# of the kernel tree is copied into it.
#
# Usage: kernel-tools.sh        prints the cache directory, fetching if needed
set -euo pipefail

cache=${PORTSTEER_CACHE:-/var/cache/portsteer}
dir=$cache/kernel-tools
pkg=linux-source-6.1
files=(
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest_harness.h
)

complete() {
	local f
	for f in "${files[@]}"; do
		[ -s "$dir/$f" ] || return 1
	done
}

if ! complete; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$dir"
	(cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1) || {
		apt-get update -qq >/dev/null 2>&1
		(cd "$tmp" && apt-get download -qq "$pkg" >/dev/null)
	}
	deb=$(ls "$tmp"/"$pkg"_*.deb)
	members=()
	for f in "${files[@]}"; do
		members+=("linux-source-6.1/$f")
	done
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$tmp" "${members[@]}"
	for f in "${files[@]}"; do
		mkdir -p "$dir/$(dirname "$f")"
		cp "$tmp/linux-source-6.1/$f" "$dir/$f"
	done
	chmod +x "$dir/scripts/checkpatch.pl"
	complete
fi
echo "$dir"
