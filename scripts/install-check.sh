#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install works: install into a DESTDIR staging directory (with the
# default PREFIX and with PREFIX=/usr/local) and check every file, that the
# uapi header compiles on its own, and that the systemd unit passes
# `systemd-analyze verify` (its man page found in the staging directory).
# Needs no root and touches nothing outside a temporary directory. Prints
# KTAP; exits non-zero on any failure.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
bdir=${PS_BUILD_DIR:-$top/build}
n=0
fail=0

ok() { n=$((n + 1)); echo "ok $n $*"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n $*"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
check() {		# check NAME COMMAND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name"; fi
}

kver=
for h in /usr/src/linux-headers-*; do
	[ -f "$h/Makefile" ] && [ -e "$h/.config" ] && kver=${h#/usr/src/linux-headers-}
done

mkdir -p "$bdir"
tmp=$(mktemp -d -p "$(cd "$bdir" && pwd)" install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

echo "TAP version 13"
echo "1..12"
if [ -z "$kver" ]; then
	echo "# no kernel headers installed (make deps)"
	exit 1
fi
echo "# kernel $kver"

d=$tmp/usr
if out=$(make -s -C "$top" install DESTDIR="$d" KVER="$kver" 2>&1); then
	ok install_default_prefix
else
	echo "$out" | tail -n 30 | sed 's/^/# /'
	notok install_default_prefix
fi
check install_module test -s "$d/lib/modules/$kver/updates/portsteer.ko"
check install_portsteerctl test -x "$d/usr/sbin/portsteerctl"
check install_man_page test -s "$d/usr/share/man/man8/portsteerctl.8"
check install_bash_completion test -s "$d/usr/share/bash-completion/completions/portsteerctl"
check install_uapi_header test -s "$d/usr/include/linux/portsteer.h"
unit=$d/usr/lib/systemd/system/portsteer.service
check install_systemd_unit grep -qx 'ExecStart=/usr/sbin/portsteerctl apply /etc/portsteer.conf' "$unit"

# The installed header is self-contained for userspace.
echo '#include <linux/portsteer.h>' >"$tmp/hdr.c"
check uapi_header_compiles gcc -fsyntax-only -Wall -Werror -I"$d/usr/include" "$tmp/hdr.c"

l=$tmp/local
if make -s -C "$top" install DESTDIR="$l" PREFIX=/usr/local KVER="$kver" >/dev/null 2>&1 &&
	[ -x "$l/usr/local/sbin/portsteerctl" ] && [ -s "$l/usr/local/include/linux/portsteer.h" ] &&
	grep -qx 'ExecStart=/usr/local/sbin/portsteerctl apply /etc/portsteer.conf' \
		"$l/usr/local/lib/systemd/system/portsteer.service"; then
	ok install_prefix_usr_local
else
	notok install_prefix_usr_local
fi

# systemd-analyze verify wants the unit's programs at their paths: point
# them into the staging directory; man finds the page there too.
if ! command -v systemd-analyze >/dev/null; then
	skip systemd_unit_verify "no systemd-analyze"
else
	mkdir -p "$tmp/unit"
	sed "s|/usr/sbin/portsteerctl|$d/usr/sbin/portsteerctl|g" "$unit" >"$tmp/unit/portsteer.service"
	if out=$(MANPATH=$d/usr/share/man SYSTEMD_LOG_LEVEL=notice \
		systemd-analyze verify "$tmp/unit/portsteer.service" 2>&1) && [ -z "$out" ]; then
		ok systemd_unit_verify
	else
		echo "$out" | sed 's/^/# /'
		notok systemd_unit_verify
	fi
fi
check systemd_unit_oneshot grep -qx 'Type=oneshot' "$unit"
check systemd_unit_before_network_pre grep -qx 'Before=network-pre.target shutdown.target' "$unit"
exit $fail
