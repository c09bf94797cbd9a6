#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, with apt, what building and testing portsteer needs, and only what
# is missing. Idempotent, and silent when everything is already there.
#
#   deps.sh          the packages make check needs, and checkpatch and the
#                    kselftest headers (scripts/kernel-tools.sh)
#   deps.sh demo     only what make demo needs: one Debian kernel, qemu, the
#                    tool's libraries (no sid chroot, no kernel source)
set -euo pipefail

what=${1:-all}
# make demo: build the module and the tool, boot a guest on Debian's kernel.
pkgs=(
	build-essential make gcc pkg-config kmod cpio xz-utils
	qemu-system-x86 busybox-static
	linux-image-amd64 linux-headers-amd64
	libmnl-dev libjansson-dev
	iproute2 python3 procps iputils-ping
)
if [ "$what" != demo ]; then
	pkgs+=(
		git linux-image-6.12-amd64 linux-headers-6.12-amd64 sparse
		nftables iptables python3-yaml python3-jsonschema netbase
		debootstrap dkms systemd man-db bash-completion
		clang libclang-rt-14-dev
		flex bison bc libelf-dev libssl-dev
	)
fi

missing=()
for p in "${pkgs[@]}"; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "portsteer: missing packages: ${missing[*]} (run make deps as root)" >&2
		exit 1
	fi
	echo "portsteer: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "$what" != demo ] || exit 0

# checkpatch.pl and the kselftest headers, cached outside the tree.
"$(dirname "$0")"/kernel-tools.sh >/dev/null

# The newest Debian kernel's sid chroot (scripts/debian-root.sh sid) is not made
# here: make check builds or refreshes it beside its first guests.
