#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A Debian release's kernel for the test matrix: a debootstrap chroot of that
# release holding its newest kernel, the kernel's headers, the release's
# compiler and what the selftests run, cached outside the clone and exported
# whole as the guest's root.
#
#   debian-root.sh SUITE            build or refresh the chroot; prints its path
#   debian-root.sh SUITE --kver     the same, then prints the newest kernel in it
#   debian-root.sh SUITE --cached   no network: print the path if a chroot is
#                                   cached (once a build or refresh under way is
#                                   done)
#
# SUITE is sid (the newest Debian kernel) or bullseye (Debian 11, Linux 5.10,
# the oldest of the matrix; its kernels come from bullseye-security, and its
# compiler also builds the tools the guest runs, since the host's need a
# newer C library). The chroot is $PORTSTEER_CACHE/SUITE-root (default
# /var/cache/portsteer). It is refreshed at most once a day (stamp file), or
# at once when its package list changes: apt-get update inside it and, when
# the release's kernel moved, a dist-upgrade that installs the new kernel
# and drops the old one. When the archive cannot be reached: a cached chroot
# is kept, with a warning; without one, this fails and says why.
set -euo pipefail

suite=${1:-}
shift || true
cache=${PORTSTEER_CACHE:-/var/cache/portsteer}
# The Debian archive this machine's apt uses (it is what works wherever the
# tool runs: a local mirror, a proxy), unless PORTSTEER_MIRROR (or, for
# sid, PORTSTEER_SID_MIRROR) names one; the security archive likewise.
host_mirror() {		# host_mirror LABEL
	apt-get indextargets --format '$(REPO_URI) $(LABEL)' 'Created-By: Packages' 2>/dev/null |
		awk -v l="$1" '$2 == l { sub("/$", "", $1); print $1; exit }'
}
mirror=${PORTSTEER_MIRROR:-$(host_mirror Debian)}
security=${PORTSTEER_SECURITY_MIRROR:-$(host_mirror Debian-Security)}
[ -n "$security" ] || security=${mirror%/debian}/debian-security
common=(
	linux-image-amd64 linux-headers-amd64 make gcc libc6-dev kmod
	iproute2 nftables iptables ipset procps iputils-ping psmisc
	python3 python3-yaml libmnl0 libjansson4 bash coreutils util-linux dkms
)
case $suite in
sid)
	mirror=${PORTSTEER_SID_MIRROR:-$mirror}
	# selftests/suricata.sh: Suricata 8 inline behind portsteer, and its
	# HTTP client (the server is python3's).
	pkgs=("${common[@]}" suricata curl)
	sources="deb $mirror sid main"
	;;
bullseye)
	# What builds portsteerctl and the selftests' programs there.
	pkgs=("${common[@]}" libmnl-dev libjansson-dev pkg-config)
	sources="deb $mirror bullseye main
deb $mirror bullseye-updates main
deb $security bullseye-security main"
	;;
*)
	echo "usage: debian-root.sh sid|bullseye [--kver|--cached]" >&2
	exit 2
	;;
esac
root=$cache/$suite-root
stamp=$root/.portsteer-stamp
# What the chroot is made of: a change rebuilds or upgrades it.
self_hash=$(printf '%s\n' "$suite" "$sources" "${pkgs[@]}" | sha1sum | cut -c1-12)

say() { echo "$suite-root: $*" >&2; }

newest_kver() {		# newest kernel image in chroot $1
	ls "$1"/boot/vmlinuz-* 2>/dev/null | sed 's|.*/vmlinuz-||' | sort -V | tail -n1
}

mode=${1:-}
lock=$cache/$suite-root.lock
log=$cache/$suite-root.log
if [ "$mode" = --cached ]; then
	# A build or refresh under way (make check's, in the background) first.
	if [ -e "$lock" ]; then
		exec 9<"$lock"
		flock -s 9
	fi
	[ -f "$stamp" ] && [ -n "$(newest_kver "$root")" ] || {
		say "no $suite chroot cached in $root (run scripts/debian-root.sh $suite or make check)"
		exit 1
	}
	echo "$root"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || { say "must run as root"; exit 1; }
mkdir -p "$cache"
# One builder at a time; others wait for it.
exec 9>"$lock"
flock 9

# Run COMMAND in chroot $1 with proc, sys and dev mounted, in a private mount
# namespace so nothing stays mounted whatever happens.
in_chroot() {
	local dir=$1
	shift
	unshare --mount --propagation private -- /bin/sh -c '
		dir=$1; shift
		mount -t proc proc "$dir/proc" && mount -t sysfs sys "$dir/sys" &&
		mount --rbind /dev "$dir/dev" || exit 1
		exec chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive LC_ALL=C INITRD=No "$@"' sh "$dir" "$@"
}

# The host's apt policy on expired Release files (a snapshot mirror) holds
# in the chroot too.
apt_opts=(-o Dpkg::Use-Pty=0 -o APT::Install-Recommends=false)
eval "$(apt-config shell valid_until Acquire::Check-Valid-Until 2>/dev/null)"
[ "${valid_until:-}" = false ] && apt_opts+=(-o Acquire::Check-Valid-Until=false)

apt_in() {		# apt_in DIR ARGS...
	local dir=$1
	shift
	in_chroot "$dir" apt-get -y -q "${apt_opts[@]}" "$@"
}

fresh() {		# the stamp is from today and from this script
	[ -f "$stamp" ] && [ -n "$(newest_kver "$root")" ] &&
		[ "$(sed -n 2p "$stamp")" = "$self_hash" ] &&
		[ -n "$(find "$stamp" -mmin -1440)" ]
}

write_stamp() {
	printf '%s\n%s\n%s\n' "$(newest_kver "$root")" "$self_hash" "$(date -u +%FT%TZ)" >"$stamp"
}

build() {
	local tmp=$root.new start
	start=$(date +%s)
	rm -rf "$tmp"
	if [ -z "$mirror" ]; then
		say "no Debian archive in apt's sources (apt-get indextargets); set PORTSTEER_MIRROR"
		return 1
	fi
	say "debootstrap $suite into $tmp from $mirror"
	if ! debootstrap --variant=minbase "$suite" "$tmp" "$mirror" >"$log" 2>&1; then
		tail -n 20 "$log" | sed "s/^/$suite-root: debootstrap: /" >&2
		rm -rf "$tmp"
		return 1
	fi
	echo "$sources" >"$tmp/etc/apt/sources.list"
	say "installing ${pkgs[*]}"
	if ! { apt_in "$tmp" update && apt_in "$tmp" install "${pkgs[@]}"; } >>"$log" 2>&1; then
		tail -n 20 "$log" | sed "s/^/$suite-root: apt: /" >&2
		rm -rf "$tmp"
		return 1
	fi
	in_chroot "$tmp" apt-get clean
	rm -rf "$root"
	mv "$tmp" "$root"
	write_stamp
	say "built: kernel $(newest_kver "$root") in $(( $(date +%s) - start ))s"
}

refresh() {
	local have want
	have=$(head -n1 "$stamp" 2>/dev/null || true)
	if ! apt_in "$root" update >"$log" 2>&1; then
		tail -n 5 "$log" | sed "s/^/$suite-root: apt: /" >&2
		return 1
	fi
	want=$(in_chroot "$root" apt-cache policy linux-image-amd64 | awk '/Candidate:/ { print $2 }')
	inst=$(in_chroot "$root" dpkg-query -W -f='${Version}' linux-image-amd64 2>/dev/null || true)
	if [ "$want" != "$inst" ] || [ "$(sed -n 2p "$stamp" 2>/dev/null)" != "$self_hash" ]; then
		say "$suite's kernel moved ($inst -> $want) or the package list changed: upgrading"
		apt_in "$root" dist-upgrade >>"$log" 2>&1 &&
			apt_in "$root" install "${pkgs[@]}" >>"$log" 2>&1 &&
			apt_in "$root" autoremove --purge >>"$log" 2>&1 || {
			tail -n 20 "$log" | sed "s/^/$suite-root: apt: /" >&2
			return 1
		}
		in_chroot "$root" apt-get clean
		# Only the newest kernel stays: its image, modules and headers.
		k=$(newest_kver "$root")
		for old in $(ls "$root"/boot/vmlinuz-* | sed 's|.*/vmlinuz-||'); do
			[ "$old" = "$k" ] && continue
			in_chroot "$root" dpkg --purge "linux-image-$old" "linux-headers-$old" \
				>>"$log" 2>&1 || true
		done
		say "kernel was $have, now $(newest_kver "$root")"
	fi
	write_stamp
}

if [ ! -f "$stamp" ] || [ -z "$(newest_kver "$root")" ]; then
	build || { say "FAILED: cannot build the $suite chroot (is $mirror reachable?); see $log"; exit 1; }
elif ! fresh; then
	if ! refresh; then
		say "WARNING: $suite's archive is unreachable; keeping the cached kernel $(newest_kver "$root") of $(sed -n 3p "$stamp")"
	fi
fi

echo "$root"
if [ "$mode" = --kver ]; then
	newest_kver "$root"
fi
