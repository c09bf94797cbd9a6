#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The YNL tools of the newest kernel portsteer supports (the sid leg's), run
# on our spec, Documentation/netlink/specs/portsteer.yaml: the schema check,
# the C generator and the CLI. They come from that kernel's Debian
# linux-source package, fetched through the sid chroot's apt
# (scripts/debian-root.sh sid) and cached outside the repository, so nothing of the
# kernel tree is copied into it. PORTSTEER_YNL_SRC=DIR uses a kernel source
# tree instead.
#
# Usage: ynl.sh dir           print the directory holding tools/net/ynl
#        ynl.sh validate      check the spec against the kernel's schema
#        ynl.sh regen         write the generated files into the tree (and
#                             the syzkaller description, scripts/ynl-syz.py)
#        ynl.sh check         fail if the generated files in the tree differ
#                             from a fresh generation
#        ynl.sh ktap          validate and check, as KTAP (make check runs it)
#        ynl.sh cli ARGS...   the kernel's YNL CLI (pyynl/cli.py) with
#                             --spec set to our spec
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${PORTSTEER_CACHE:-/var/cache/portsteer}
spec=$top/Documentation/netlink/specs/portsteer.yaml
py=/usr/bin/python3

say() { echo "ynl: $*" >&2; }

syz=selftests/syzkaller/socket_netlink_generic_portsteer.txt

# What the generator writes, from the spec: file, mode, header or source.
outputs=(
	"uapi/linux/portsteer.h uapi --header"
	"module/netlink-gen.h kernel --header"
	"module/netlink-gen.c kernel --source"
)

ynl_src() {
	local root kver series dir tmp deb
	if [ -n "${PORTSTEER_YNL_SRC:-}" ]; then
		echo "$PORTSTEER_YNL_SRC"
		return
	fi
	root=$("$top"/scripts/debian-root.sh sid --cached 2>/dev/null) ||
		root=$("$top"/scripts/debian-root.sh sid)
	kver=$(ls "$root"/boot/vmlinuz-* | sed 's|.*/vmlinuz-||' | sort -V | tail -n1)
	series=${kver%%[.-]*}.$(echo "$kver" | cut -d. -f2 | cut -d- -f1 | cut -d+ -f1)
	dir=$cache/ynl-$series
	# One fetch at a time: make check's host check and its sid prereq
	# both come here on a cold cache.
	mkdir -p "$cache"
	exec 8>"$cache/ynl.lock"
	flock 8
	if [ ! -f "$dir/.complete" ]; then
		say "fetching linux-source-$series through the sid chroot"
		tmp=$(mktemp -d "$root/tmp/ynl.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		fetch() {
			chroot "$root" /bin/sh -c \
				"cd /tmp/${tmp##*/} && apt-get download -qq linux-source-$series" >/dev/null
		}
		fetch 2>/dev/null || { chroot "$root" apt-get update -qq >/dev/null && fetch; }
		deb=$(ls "$tmp"/linux-source-"$series"_*.deb)
		rm -rf "$dir" && mkdir -p "$dir"
		dpkg-deb --fsys-tarfile "$deb" |
			tar -xO "./usr/src/linux-source-$series.tar.xz" |
			tar -xJ -C "$dir" --strip-components=1 --wildcards \
				"linux-source-$series/tools/net/ynl/pyynl" \
				"linux-source-$series/Documentation/netlink/*.yaml"
		touch "$dir/.complete"
		rm -rf "$tmp"
		trap - EXIT
	fi
	exec 8>&-
	echo "$dir"
}

# The generator finds the schema next to the spec's directory and names the
# spec by its path below a directory holding MAINTAINERS: give it a tree of
# links that looks like the kernel's.
stage() {		# stage SRC -> prints the staged spec path
	local src=$1 t
	t=$(mktemp -d)
	mkdir -p "$t/Documentation/netlink/specs"
	touch "$t/MAINTAINERS"
	ln -s "$src"/Documentation/netlink/*.yaml "$t/Documentation/netlink/"
	cp "$spec" "$t/Documentation/netlink/specs/portsteer.yaml"
	echo "$t/Documentation/netlink/specs/portsteer.yaml"
}

generate() {		# generate SRC OUTDIR
	local src=$1 out=$2 staged line file mode kind
	staged=$(stage "$src")
	for line in "${outputs[@]}"; do
		read -r file mode kind <<<"$line"
		mkdir -p "$out/$(dirname "$file")"
		(cd "$src/tools/net/ynl/pyynl" &&
			timeout 60 "$py" ynl_gen_c.py --mode "$mode" --spec "$staged" \
				"$kind" -o "$out/$file")
	done
	rm -rf "${staged%/Documentation/*}"
	# Ours, not the kernel's generator: the syzkaller description.
	mkdir -p "$out/$(dirname "$syz")"
	"$py" "$top/scripts/ynl-syz.py" "$spec" "$out/$syz"
}

cmd=${1:-}
shift || true
case $cmd in
dir)
	ynl_src
	;;
validate)
	src=$(ynl_src)
	staged=$(stage "$src")
	trap 'rm -rf "${staged%/Documentation/*}"' EXIT
	"$py" "$src/tools/net/ynl/pyynl/cli.py" --spec "$staged" --validate
	;;
regen)
	src=$(ynl_src)
	generate "$src" "$top"
	;;
check)
	src=$(ynl_src)
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
	generate "$src" "$out"
	rc=0
	for line in "${outputs[@]}" "$syz"; do
		read -r file _ <<<"$line"
		diff -u "$top/$file" "$out/$file" || {
			say "$file differs from what the spec generates: run make regen"
			rc=1
		}
	done
	exit $rc
	;;
ktap)
	echo "TAP version 13"
	echo "1..2"
	if ! src=$(ynl_src 2>&1); then
		echo "$src" | sed 's/^/# /'
		echo "# the kernel's YNL tools are not available"
		echo "not ok 1 spec_schema"
		echo "not ok 2 generated_files_current"
		exit 1
	fi
	rc=0
	n=0
	for step in "validate spec_schema" "check generated_files_current"; do
		read -r what name <<<"$step"
		n=$((n + 1))
		if out=$("$0" "$what" 2>&1); then
			echo "ok $n $name"
		else
			echo "$out" | head -n 40 | sed 's/^/# /'
			echo "not ok $n $name"
			rc=1
		fi
	done
	exit $rc
	;;
cli)
	src=$(ynl_src)
	exec "$py" "$src/tools/net/ynl/pyynl/cli.py" --spec "$spec" \
		--schema "$src/Documentation/netlink/genetlink.yaml" "$@"
	;;
*)
	sed -n '/^# Usage/,/^set/p' "$0" | sed '$d' >&2
	exit 2
	;;
esac
