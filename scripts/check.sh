#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: build the module for each kernel of the matrix, boot one guest
# per kernel, run the selftests in it, and report.
#
#   check.sh [--host] [--guests-only] [KERNEL...]     KERNEL: 6.1, 6.12, sid, debug, or a full version string
#
# KERNEL sid is the newest Debian kernel: the sid chroot of scripts/sid-root.sh
# (built or refreshed on demand) builds the module with its own compiler and is
# the guest's root, with this clone bind-mounted at the same path.
#
# Prints the KTAP of each kernel, a summary, and last the line
# "N passed, N failed, N skipped". Exits non-zero on any failure. A guest that
# panics, warns, gets tainted or hangs counts as one more failure, and its
# console log is shown. --host runs the selftests on this machine instead.
#
# KERNEL debug is the debug kernel of scripts/debug-kernel.sh (KASAN, lockdep,
# kmemleak, ...; built once and cached): the suite runs on it, and ends with
# a kmemleak scan that must find nothing.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# Where builds and guest logs go; separate runs need separate directories.
bdir=${PS_BUILD_DIR:-$top/build}
mkdir -p "$bdir"
host=0 host_checks=1
while [ $# -gt 0 ]; do
	case $1 in
	--host) host=1; shift ;;
	--guests-only) host_checks=0; shift ;;	# no host unit/install/DKMS checks
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- 6.1 6.12 sid
tests=${PS_TESTS:-}

# Settings of the selftests (PS_FUZZ_SEED, PS_FUZZ_COUNT, ...) go into the guest.
guest_env=()
while IFS= read -r v; do
	case $v in
	PS_BUILD_DIR | PS_TESTS | PS_DEBUG_TESTS | PS_VM_TIMEOUT | PS_KO) ;;
	*) guest_env+=("$v=${!v}") ;;
	esac
done < <(compgen -e | grep '^PS_')

total_pass=0 total_fail=0 total_skip=0
summary=()

# Newest installed kernel whose version starts with $1.
resolve_kver() {
	local k
	if [ -r "/boot/vmlinuz-$1" ]; then
		echo "$1"
		return
	fi
	k=$(ls /boot/vmlinuz-"$1".* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n1)
	[ -n "$k" ] && echo "$k"
}

# Build portsteer.ko for kernel $1 in build/$1/src; prints the module path.
# In the root file system $root when set (sid), chrooted, with its compiler.
build_module() {
	local kver=$1 kdir src inroot=()
	[ -n "${root:-}" ] && inroot=("$top/scripts/in-root.sh" --chroot "$root")
	kdir=${kdir_override:-/usr/src/linux-headers-$kver}
	[ -f "${root:-}$kdir/Makefile" ] || kdir=/lib/modules/$kver/build
	src=$bdir/$kver/src
	mkdir -p "$src"
	cp -a "$top/Kbuild" "$top/module" "$top/uapi" "$src/"
	if ! "${inroot[@]}" make -s -C "$kdir" M="$src" PORTSTEER_WERROR=y \
		PORTSTEER_VERSION="$PORTSTEER_VERSION" modules >"$bdir/$kver/build.log" 2>&1; then
		sed 's/^/# build: /' "$bdir/$kver/build.log" >&2
		return 1
	fi
	echo "$src/portsteer.ko"
}

# Count KTAP results of one run (file $1): leaf results of each test
# program, or the program's own result when it printed none.
count() {
	awk '
	/^# (ok|not ok) [0-9]+ / {
		if ($0 ~ /# SKIP/) leaf_s++; else if ($2 == "ok") leaf_p++; else leaf_f++
		next
	}
	/^(ok|not ok) [0-9]+ / {
		if (leaf_p + leaf_f + leaf_s == 0) {
			if ($0 ~ /# SKIP/) s++; else if ($1 == "ok") p++; else f++
		} else if ($1 == "not" && leaf_f == 0) {
			f++	# the program failed after its subtests passed
		}
		p += leaf_p; f += leaf_f; s += leaf_s
		leaf_p = leaf_f = leaf_s = 0
	}
	END { print p + 0, f + 0, s + 0 }' "$1"
}

record() {		# record LABEL FILE GUEST_OK EXIT_STATUS
	local p f s
	read -r p f s < <(count "$2")
	# A guest that failed, or a runner that failed without a failed test to
	# show for it (it could not start, say), is one failure more.
	if [ "$3" != 1 ] || { [ "${4:-0}" -ne 0 ] && [ "$f" -eq 0 ]; }; then
		f=$((f + 1))
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
	summary+=("$(printf '%-28s %4d passed, %d failed, %d skipped' "$1" "$p" "$f" "$s")")
}

export PORTSTEER_VERSION=${PORTSTEER_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo 0.1.0-nogit)}

if [ $host_checks -eq 1 ] && [ -x "$top/tools/tests/run.sh" ]; then
	echo "# host: unit tests of the tools"
	"$top/tools/tests/run.sh" | tee "$bdir/host-unit.log"
	record "host unit tests" "$bdir/host-unit.log" 1 "${PIPESTATUS[0]}"
fi

# The CLI's parsers under libFuzzer, for a bounded time.
if [ $host_checks -eq 1 ]; then
	echo "# host: libFuzzer on the CLI's parsers"
	PS_BUILD_DIR=$bdir "$top/scripts/fuzz-cli.sh" | tee "$bdir/host-fuzz.log"
	record "host libFuzzer" "$bdir/host-fuzz.log" 1 "${PIPESTATUS[0]}"
fi

# make install, the systemd unit and DKMS, on the host; not when PS_TESTS
# picks single selftests.
if [ -z "$tests" ] && [ $host_checks -eq 1 ]; then
	export PS_BUILD_DIR=$bdir
	echo "# host: make install and the systemd unit"
	"$top/scripts/install-check.sh" | tee "$bdir/host-install.log"
	record "host make install" "$bdir/host-install.log" 1 "${PIPESTATUS[0]}"
	echo "# host: dkms build for each kernel"
	"$top/scripts/dkms-check.sh" | tee "$bdir/host-dkms.log"
	record "host dkms" "$bdir/host-dkms.log" 1 "${PIPESTATUS[0]}"
fi

if [ $host -eq 1 ]; then
	kver=$(uname -r)
	if ko=$(build_module "$kver"); then
		echo "# host: kernel $kver"
		# shellcheck disable=SC2086
		PS_KO=$ko selftests/run_tests.sh $tests | tee "$bdir/host-$kver.log"
		record "host $kver" "$bdir/host-$kver.log" 1 "${PIPESTATUS[0]}"
	else
		summary+=("host $kver: module build failed")
		total_fail=$((total_fail + 1))
	fi
	set -- # no guests
fi

for k in "$@"; do
	root='' vmwrap=() kdir_override='' vmopts=() debug_env=() ktests=$tests
	if [ "$k" = debug ]; then
		if ! dbg=$(scripts/debug-kernel.sh); then
			echo "# kernel debug: FAILED: no debug kernel (scripts/debug-kernel.sh said why above)"
			summary+=("kernel debug: not built")
			total_fail=$((total_fail + 1))
			continue
		fi
		kver=$(sed -n 1p <<<"$dbg")
		vmopts=(--kernel "$(sed -n 2p <<<"$dbg")" --mem 3072)
		kdir_override=$(sed -n 3p <<<"$dbg")
		# Every process costs about a second there: the long loops shorter.
		[ -n "${PS_SCALE:-}" ] || debug_env=(PS_SCALE=10)
		# PS_DEBUG_TESTS: its selftests when PS_TESTS picks none (default: all)
		ktests=${tests:-${PS_DEBUG_TESTS:-}}
	elif [ "$k" = sid ]; then
		if ! sid=$(scripts/sid-root.sh --kver); then
			echo "# kernel sid: FAILED: no sid chroot (scripts/sid-root.sh said why above)"
			summary+=("kernel sid: no sid chroot (archive unreachable?)")
			total_fail=$((total_fail + 1))
			continue
		fi
		root=$(sed -n 1p <<<"$sid")
		kver=$(sed -n 2p <<<"$sid")
		vmwrap=(scripts/in-root.sh "$root" scripts/vm.sh --root "$root")
	else
		kver=$(resolve_kver "$k")
	fi
	[ ${#vmwrap[@]} -gt 0 ] || vmwrap=(scripts/vm.sh)
	if [ -z "$kver" ]; then
		echo "# kernel $k: not installed (make deps)"
		summary+=("kernel $k: not installed")
		total_fail=$((total_fail + 1))
		continue
	fi
	if ! ko=$(build_module "$kver"); then
		summary+=("kernel $kver: module build failed")
		total_fail=$((total_fail + 1))
		continue
	fi
	out=$bdir/$kver/vm
	echo "# kernel $kver: booting a guest"
	start=$(date +%s)
	# shellcheck disable=SC2086
	"${vmwrap[@]}" "${vmopts[@]}" --timeout "${PS_VM_TIMEOUT:-3000}" "$kver" "$out" \
		env PS_KO="$ko" "${guest_env[@]}" "${debug_env[@]}" "$top/selftests/run_tests.sh" $ktests
	rc=$?
	tr -d '\r' <"$out/output.log" | grep -v '^PORTSTEER-GUEST-EXIT' | tee "$out/ktap.log"
	verdict=$(cat "$out/verdict" 2>/dev/null || echo "no verdict")
	echo "# kernel $kver: guest $verdict, exit $rc, $(( $(date +%s) - start ))s"
	guest_ok=1
	if [ "$verdict" != ok ]; then
		guest_ok=0
		echo "# kernel $kver: guest FAILED ($verdict); its console log:"
		tr -d '\r' <"$out/console.log" | tail -n 150 | sed 's/^/# console: /'
	fi
	record "kernel $kver" "$out/ktap.log" $guest_ok $rc
done

echo "# summary"
for l in "${summary[@]}"; do
	echo "#   $l"
done
echo "$total_pass passed, $total_fail failed, $total_skip skipped" | tee "$bdir/check.summary"
[ $total_fail -eq 0 ]
