#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, with apt, what building and testing portsteer needs, and only what
# is missing. Idempotent, and silent when everything is already there.
set -euo pipefail

pkgs=(
	build-essential make gcc pkg-config git kmod cpio xz-utils
	qemu-system-x86 busybox-static
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	libmnl-dev libjansson-dev sparse
	iproute2 nftables iptables python3 python3-yaml netbase procps iputils-ping
	debootstrap dkms systemd man-db
	clang libclang-rt-14-dev
	flex bison bc libelf-dev libssl-dev
)

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

# checkpatch.pl and the kselftest headers, cached outside the tree.
"$(dirname "$0")"/kernel-tools.sh >/dev/null

# The newest Debian kernel: the sid chroot (scripts/sid-root.sh), refreshed at
# most once a day. Without the archive, make check reports the sid kernel as
# failed; the other kernels still run.
if ! "$(dirname "$0")"/sid-root.sh >/dev/null; then
	echo "portsteer: WARNING: no sid chroot; make check will fail for the sid kernel" >&2
fi
