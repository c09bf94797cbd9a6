#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS works: `make dkms-install` stages the sources, and `dkms add` and
# `dkms build` succeed for every kernel whose headers are installed on this
# host, and for the newest Debian kernel inside the sid chroot when it is
# cached (scripts/debian-root.sh sid). Uses a private DKMS tree (--dkmstree,
# --sourcetree) in a temporary directory, removed at the end: nothing is
# added to the system's DKMS state. dkms.conf's BUILD_EXCLUSIVE_KERNEL is
# checked against the supported range. Prints KTAP; exits non-zero on any
# failure.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
bdir=${PS_BUILD_DIR:-$top/build}
ver=0.0.0+check
results=()
fail=0

add() {			# add ok|not-ok|skip NAME [REASON]
	case $1 in
	ok) results+=("ok $2") ;;
	skip) results+=("ok $2 # SKIP $3") ;;
	*) results+=("not ok $2"); fail=1 ;;
	esac
}
note() { results+=("# $*"); }

if ! command -v dkms >/dev/null; then
	echo "TAP version 13"
	echo "1..1"
	echo "ok 1 dkms # SKIP dkms is not installed (make deps)"
	exit 0
fi

mkdir -p "$bdir"
tmp=$(mktemp -d -p "$(cd "$bdir" && pwd)" dkms.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage
src=$stage/usr/src/portsteer-$ver

# make dkms-install with DESTDIR stages the sources and does not call dkms.
if out=$(make -s -C "$top" dkms-install DESTDIR="$stage" DKMS_VERSION="$ver" 2>&1) &&
	[ -f "$src/dkms.conf" ] && [ -f "$src/Kbuild" ] && [ -f "$src/uapi/linux/portsteer.h" ] &&
	grep -q "^PACKAGE_VERSION=\"$ver\"$" "$src/dkms.conf"; then
	add ok dkms_install_staged
else
	note "$out"
	add not-ok dkms_install_staged
fi

# The supported range: 5.10 and newer.
regex=$(bash -c '. "$1" && echo "$BUILD_EXCLUSIVE_KERNEL"' sh "$top/dkms.conf")
range_ok=1
for k in 5.10.0-46-amd64 5.14.0-503.el9.x86_64 5.15.0-130-generic 6.0.12-amd64 \
	6.1.0-56-amd64 6.12.117+deb12-amd64 6.19.1 7.2.13+deb14-amd64 10.0.0; do
	[[ $k =~ $regex ]] || { note "$k should be accepted"; range_ok=0; }
done
for k in 5.4.0-200-generic 5.9.16 5.1.0 4.19.0-1-amd64 3.10.0-1160.el7.x86_64; do
	[[ $k =~ $regex ]] && { note "$k should be refused"; range_ok=0; }
done
[ $range_ok = 1 ] && add ok dkms_kernel_range || add not-ok dkms_kernel_range

# dkms_build NAME KVER [CHROOT]: add, build, check the module, remove.
dkms_build() {
	local name=$1 kver=$2 root=${3:-} run=() tree=$tmp/dkms-$2 ko log=$tmp/dkms-$2.log
	[ -n "$root" ] && run=("$top/scripts/in-root.sh" --chroot "$root")
	mkdir -p "$tree"
	local opts=(-m portsteer -v "$ver" --sourcetree "$stage/usr/src" --dkmstree "$tree")
	if "${run[@]}" dkms add "${opts[@]}" >"$log" 2>&1 &&
		"${run[@]}" dkms build "${opts[@]}" -k "$kver" >>"$log" 2>&1; then
		ko=$(ls "$tree/portsteer/$ver/$kver"/*/module/portsteer.ko* 2>/dev/null | head -n1)
		if [ -n "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$kver "; then
			add ok "$name"
		else
			note "no module for $kver in the DKMS tree"
			add not-ok "$name"
		fi
	else
		while IFS= read -r l; do
			note "$l"
		done < <(tail -n 20 "$log"; find "$tree" -name make.log -exec tail -n 30 {} \;)
		add not-ok "$name"
	fi
	"${run[@]}" dkms remove "${opts[@]}" --all >>"$log" 2>&1 || true
}

for h in /usr/src/linux-headers-*; do
	[ -f "$h/Makefile" ] && [ -e "$h/.config" ] || continue
	kver=${h#/usr/src/linux-headers-}
	dkms_build "dkms_build_$kver" "$kver"
done

if root=$("$top/scripts/debian-root.sh" sid --cached 2>/dev/null); then
	kver=$(ls "$root"/boot/vmlinuz-* | sed 's|.*/vmlinuz-||' | sort -V | tail -n1)
	if [ -x "$root/usr/sbin/dkms" ]; then
		dkms_build "dkms_build_sid_$kver" "$kver" "$root"
	else
		add skip "dkms_build_sid" "no dkms in the sid chroot (scripts/debian-root.sh adds it)"
	fi
else
	add skip "dkms_build_sid" "no sid chroot cached"
fi

echo "TAP version 13"
n=$(printf '%s\n' "${results[@]}" | grep -c '^\(not \)\?ok ')
echo "1..$n"
i=0
for r in "${results[@]}"; do
	case $r in
	"ok "*) i=$((i + 1)); echo "ok $i ${r#ok }" ;;
	"not ok "*) i=$((i + 1)); echo "not ok $i ${r#not ok }" ;;
	*) echo "$r" ;;
	esac
done
exit $fail
