#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command with this clone (and PS_BUILD_DIR, when outside it, and the
# cached YNL tools) visible inside another root file system (the sid and bullseye chroots of scripts/debian-root.sh) at
# the same path, in a private mount namespace: nothing stays mounted after.
#
#   in-root.sh ROOT COMMAND...            on the host (e.g. vm.sh --root ROOT)
#   in-root.sh --chroot ROOT COMMAND...   chrooted into ROOT, with /proc
set -euo pipefail

chrooted=0
if [ "${1:-}" = --chroot ]; then
	chrooted=1
	shift
fi
[ $# -ge 2 ] || { echo "usage: in-root.sh [--chroot] ROOT COMMAND..." >&2; exit 2; }
root=$(cd "$1" && pwd)
shift
top=$(cd "$(dirname "$0")/.." && pwd)
binds=("$top")
if [ -n "${PS_BUILD_DIR:-}" ]; then
	mkdir -p "$PS_BUILD_DIR"
	b=$(cd "$PS_BUILD_DIR" && pwd)
	case $b/ in "$top"/*) ;; *) binds+=("$b") ;; esac
fi
# The kernel's YNL tools (scripts/ynl.sh), for selftests/ynl_cli.sh.
for d in "${PORTSTEER_CACHE:-/var/cache/portsteer}"/ynl-*; do
	[ -f "$d/.complete" ] && binds+=("$(cd "$d" && pwd)")
done
# Parents before children, so no bind hides another.
mapfile -t binds < <(printf '%s\n' "${binds[@]}" | sort -u)
for d in "${binds[@]}"; do
	mkdir -p "$root$d"
done

exec unshare --mount --propagation private -- /bin/bash -c '
	set -e
	root=$1 chrooted=$2 n=$3
	shift 3
	for ((i = 0; i < n; i++)); do
		mount --bind "$1" "$root$1"
		shift
	done
	if [ "$chrooted" = 1 ]; then
		mount -t proc proc "$root/proc"
		exec chroot "$root" /usr/bin/env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
	fi
	exec "$@"' in-root "$root" "$chrooted" "${#binds[@]}" "${binds[@]}" "$@"
