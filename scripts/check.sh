#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: build the module for each kernel of the matrix, run the
# selftests in qemu guests, and report.
#
#   check.sh [--host] [--guests-only] [--full] [KERNEL...]
#                 KERNEL: 5.10, 6.1, 6.12, sid, debug, or a full version string
#
# The guests run side by side in lanes, one lane per core (PS_LANES), each
# guest with the cores divided among the lanes (one vCPU on two cores):
# under TCG one guest uses little more than one core, and guests that
# together want more vCPUs than there are cores are slower than one at a
# time. Each kernel's tests are cut into PS_SHARDS guests (default 2) of
# about the same length, from the times the last run measured
# (selftests/tests.list holds the default estimates), and the longest
# guests start first. The guests see a frozen copy of what they run
# (build/stage): nothing built on the host meanwhile can change under them.
#
# KERNEL sid is the newest Debian kernel: the sid chroot of
# scripts/debian-root.sh (built or refreshed on demand) builds the module with
# its own compiler and is the guest's root, with this clone bind-mounted at
# the same path. KERNEL 5.10 is Debian 11's, the oldest supported, in a
# bullseye chroot the same way; bullseye's compiler also builds the tool and
# the selftests' programs it runs (the host's need a newer C library). By
# default it runs the tests of loading, netlink, the datapath and inline IPS
# (PS_OLDEST_TESTS); --full runs them all.
#
# KERNEL debug is the debug kernel of scripts/debug-kernel.sh (KASAN, lockdep,
# kmemleak, failslab...; built once and cached, in the background while the
# other guests run): it runs the reliability tests (PS_DEBUG_TESTS), and
# each of its guests ends with a kmemleak scan that must find nothing.
#
# Tiers: by default the stress loops run a fifth of their iterations
# (PS_SCALE=5; the debug kernel a tenth), every case still runs. --full
# (make check-full) runs them at full count and the whole suite on the
# debug kernel.
#
# The host checks (unit tests, libFuzzer, make install, DKMS) run beside
# the guests at low priority. --guests-only leaves them out; --host runs
# the selftests on this machine instead of in guests.
#
# Prints the KTAP of each guest, a summary, the slowest tests, what went
# wrong (each failed test; a failed guest's verdict, the test it was in and
# its first kernel report), and last the line "N passed, N failed, N
# skipped". Exits non-zero on any failure. A guest that panics, warns, gets
# tainted or hangs counts as one more failure, and its console log is
# shown. A guest that has not begun its tests PS_BOOT_TIMEOUT seconds (300)
# after it started is stopped; one that never reached them boots once more.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# Where builds and guest logs go; separate runs need separate directories.
bdir=${PS_BUILD_DIR:-$top/build}
mkdir -p "$bdir"
bdir=$(cd "$bdir" && pwd)
export PS_BUILD_DIR=$bdir
# Nothing of an earlier run may stand in for this one's: results of its
# background builds, host checks and guests.
rm -f "$bdir"/prereq-* "$bdir"/host-*.log "$bdir"/host-*.rc "$bdir"/*/vm-*.rc
cache=${PORTSTEER_CACHE:-/var/cache/portsteer}
host=0 host_checks=1 full=0
while [ $# -gt 0 ]; do
	case $1 in
	--host) host=1; shift ;;
	--guests-only) host_checks=0; shift ;;	# no host unit/install/DKMS checks
	--full) full=1; shift ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- 5.10 6.1 6.12 sid
tests=${PS_TESTS:-}
ncpu=$(nproc)
lanes=${PS_LANES:-$ncpu}
[ "$lanes" -ge 1 ] || lanes=1
smp=${PS_SMP:-$(( ncpu / lanes > 0 ? ncpu / lanes : 1 ))}
shards=${PS_SHARDS:-2}
# The stress loops: a fifth in the default tier (PS_SCALE=5), all in
# --full; the debug kernel, where every process costs about a second, a
# tenth in both.
if [ $full -eq 1 ]; then
	scale=${PS_SCALE:-1}
else
	scale=${PS_SCALE:-5}
fi
debug_scale=${PS_SCALE:-10}

# Settings of the selftests (PS_FUZZ_SEED, PS_FUZZ_COUNT, ...) go into the guest.
guest_env=()
while IFS= read -r v; do
	case $v in
	PS_BUILD_DIR | PS_TESTS | PS_DEBUG_TESTS | PS_VM_TIMEOUT | PS_KO | PS_SCALE | \
		PS_LANES | PS_SMP | PS_SHARDS) ;;
	*) guest_env+=("$v=${!v}") ;;
	esac
done < <(compgen -e | grep '^PS_')

total_pass=0 total_fail=0 total_skip=0
summary=()
problems=()	# one line each: what failed, and why where that is known

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

# build_module KVER KDIR [ROOT]: build portsteer.ko for kernel KVER in
# build/KVER/src (in the root file system ROOT when given, chrooted, with its
# compiler); prints the module path.
build_module() {
	local kver=$1 kdir=$2 root=${3:-} src inroot=()
	[ -n "$root" ] && inroot=("$top/scripts/in-root.sh" --chroot "$root")
	[ -f "$root$kdir/Makefile" ] || kdir=/lib/modules/$kver/build
	src=$bdir/$kver/src
	rm -rf "$src"
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
	summary+=("$(printf '%-34s %4d passed, %d failed, %d skipped' "$1" "$p" "$f" "$s")")
}

fail_setup() {		# fail_setup LABEL: something that is not a guest failed
	summary+=("$1")
	problems+=("$1")
	total_fail=$((total_fail + 1))
}

PORTSTEER_VERSION=${PORTSTEER_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo 0.2.0-nogit)}
export PORTSTEER_VERSION=${PORTSTEER_VERSION#v}

if [ $host -eq 1 ]; then
	kver=$(uname -r)
	if ko=$(build_module "$kver" "/lib/modules/$kver/build"); then
		echo "# host: kernel $kver"
		# shellcheck disable=SC2086
		PS_KO=$ko PS_SCALE=$scale selftests/run_tests.sh $tests | tee "$bdir/host-$kver.log"
		record "host $kver" "$bdir/host-$kver.log" 1 "${PIPESTATUS[0]}"
	else
		fail_setup "host $kver: module build failed"
	fi
	set -- # no guests
fi

# What the guests run, frozen: the selftests and their programs, the tool,
# and the files the tests read (the spec, the uapi header, the unit file,
# the README whose examples readme.sh runs, the Python example).
stage=$bdir/stage
rm -rf "$stage"
mkdir -p "$stage/tools" "$stage/Documentation"
cp -a selftests dist uapi README.md "$stage/"
cp -a tools/portsteerctl tools/tests tools/examples "$stage/tools/"
cp -a Documentation/netlink "$stage/Documentation/"

# The test list, and an estimate of each test's seconds on a kernel: the
# last run's measure there (per tier), else tests.list's second column
# (three times that on the debug kernel).
times_db=$cache/test-times
tier=default
[ $full -eq 0 ] || tier=full
all_tests() {
	awk '!/^#/ && NF { print $1 }' selftests/tests.list
}
estimate() {		# estimate KERNEL TEST
	local t
	t=$(awk -v k="$1/$tier" -v n="$2" '$1 == k && $2 == n { print $3 }' "$times_db" 2>/dev/null)
	if [ -z "$t" ]; then
		t=$(awk -v n="$2" '$1 == n { print ($2 == "" ? 60 : $2) }' selftests/tests.list)
		[ "$1" = debug ] && t=$((${t:-60} * 3))
	fi
	echo "${t:-60}"
}

# kernel_tests KERNEL: the tests its guests run
kernel_tests() {
	if [ -n "$tests" ]; then
		echo "$tests"
	elif [ "$1" = debug ] && [ $full -eq 0 ]; then
		echo "${PS_DEBUG_TESTS:-$(all_tests | xargs)}"
	elif [ "$1" = 5.10 ] && [ $full -eq 0 ]; then
		echo "${PS_OLDEST_TESTS:-module_load.sh netns.sh datapath.sh nl_test ctl_basic.sh evasion.sh inline.sh}"
	else
		all_tests | xargs
	fi
}

declare -A K_KVER=() K_KO=() K_WRAP=() K_OPTS=() K_ENV=() K_STATE=() K_STAGE=() PREREQ=()

# stage_in_root KERNEL ROOT: a copy of the stage whose programs (the tool,
# the selftests') are built in ROOT with its compiler and C library.
stage_in_root() {
	local st=$bdir/stage-$1 ksft
	rm -rf "$st"
	cp -a "$stage" "$st"
	mkdir -p "$st/tools-src" "$st/ksft"
	cp -a tools/Makefile tools/*.[ch] "$st/tools-src/"
	ksft=$(scripts/kernel-tools.sh)/tools/testing/selftests
	cp -a "$ksft"/kselftest*.h "$st/ksft/"
	if ! scripts/in-root.sh --chroot "$2" bash -c '
		set -e
		make -s -C "$1/tools-src" PORTSTEERCTL_VERSION="$2" portsteerctl
		cp "$1/tools-src/portsteerctl" "$1/tools/portsteerctl"
		make -s -C "$1/selftests" KSFT_DIR="$1/ksft" clean all' \
		stage "$st" "$PORTSTEER_VERSION" >"$bdir/stage-$1.log" 2>&1; then
		sed "s/^/# $1 stage: /" "$bdir/stage-$1.log" >&2
		return 1
	fi
	echo "$st"
}
# prepare KERNEL: its version, module, guest wrapper and options in K_*,
# K_STATE ready or failed. The debug kernel and the sid chroot come from
# their background builds (below): what they printed is in bdir/prereq-K.
prepare() {
	local k=$1 kver='' root='' kdir img out=$bdir/prereq-$1
	K_WRAP[$k]="scripts/vm.sh"
	K_OPTS[$k]="--smp $smp"
	K_ENV[$k]="PS_SCALE=$scale"
	K_STATE[$k]=failed
	if [ -e "$out.what" ] && [ ! -s "$out.out" ]; then
		echo "# kernel $k: FAILED: $(cat "$out.what"):"
		sed "s/^/# $k: /" "$out.log"
		fail_setup "kernel $k: $(cat "$out.what") failed"
		return
	fi
	case $k in
	debug)		# release, bzImage, build directory
		{ read -r kver && read -r img && read -r kdir; } <"$out.out"
		K_OPTS[$k]="--smp $smp --kernel $img --mem 3072"
		K_ENV[$k]="PS_SCALE=$debug_scale"
		;;
	sid | 5.10)	# root, release
		{ read -r root && read -r kver; } <"$out.out"
		kdir=/usr/src/linux-headers-$kver
		K_WRAP[$k]="scripts/in-root.sh $root scripts/vm.sh --root $root"
		if [ "$k" = 5.10 ] && ! K_STAGE[$k]=$(stage_in_root "$k" "$root"); then
			fail_setup "kernel $kver: the tool and selftests do not build there"
			return
		fi
		;;
	*)
		kver=$(resolve_kver "$k")
		kdir=/usr/src/linux-headers-$kver
		;;
	esac
	if [ -z "$kver" ]; then
		echo "# kernel $k: not installed (make deps)"
		fail_setup "kernel $k: not installed"
		return
	fi
	K_KVER[$k]=$kver
	if ! K_KO[$k]=$(build_module "$kver" "$kdir" "$root"); then
		fail_setup "kernel $kver: module build failed"
		return
	fi
	K_STATE[$k]=ready
}

# The debug kernel (built when its inputs changed: minutes) and the sid
# chroot (built or refreshed at most once a day) are made ready in the
# background while the other kernels' guests run.
for k in "$@"; do
	case $k in
	debug) what="the debug kernel (scripts/debug-kernel.sh)"; cmd=(nice -n 10 scripts/debug-kernel.sh) ;;
	# With it, the YNL tools of its kernel (ynl_cli.sh), which need sid's
	# archive too: its guests start with them cached.
	sid) what="the sid chroot (scripts/debian-root.sh sid; is the archive reachable?)"
	     cmd=(bash -c 'scripts/debian-root.sh sid --kver && { scripts/ynl.sh dir >&2 || true; }') ;;
	5.10) what="the bullseye chroot (scripts/debian-root.sh bullseye; is the archive reachable?)"
	      cmd=(scripts/debian-root.sh bullseye --kver) ;;
	*) continue ;;
	esac
	echo "$what" >"$bdir/prereq-$k.what"
	"${cmd[@]}" >"$bdir/prereq-$k.out" 2>"$bdir/prereq-$k.log" &
	PREREQ[$k]=$!
done
for k in "$@"; do
	[ -n "${PREREQ[$k]:-}" ] || prepare "$k"
done

# The host checks, at low priority beside the guests; their output is
# shown after the guests'.
host_pid=
if [ $host_checks -eq 1 ]; then
	(
		exec nice -n 15 bash -c '
			top=$1 tests=$2 bdir=$3
			cd "$top"
			run() {		# run NAME SCRIPT: its KTAP to bdir/host-NAME.log, its status after
				$2 >"$bdir/host-$1.log" 2>&1
				echo "$?" >"$bdir/host-$1.rc"
			}
			run unit tools/tests/run.sh
			run regen "scripts/ynl.sh ktap"
			run fuzz scripts/fuzz-cli.sh
			# make install, the systemd unit and DKMS; not when PS_TESTS
			# picks single selftests.
			if [ -z "$tests" ]; then
				run install scripts/install-check.sh
				run dkms scripts/dkms-check.sh
			fi' host-checks "$top" "$tests" "$bdir"
	) &
	host_pid=$!
fi

# The jobs: KERNEL SHARD SECONDS TEST..., longest first. A kernel's tests
# are dealt into its shards greedily, longest test first, each to the
# shard with the least so far.
jobs_file=$bdir/jobs
: >"$jobs_file"
for k in "$@"; do
	[ "${K_STATE[$k]:-}" = failed ] && continue
	tl=$(kernel_tests "$k")
	n=$shards
	[ "$n" -le "$(wc -w <<<"$tl")" ] || n=$(wc -w <<<"$tl")
	for t in $tl; do
		echo "$(estimate "$k" "$t") $t"
	done | sort -s -k1,1nr | awk -v n="$n" -v k="$k" '
		{
			best = 1
			for (i = 2; i <= n; i++) if (load[i] < load[best]) best = i
			load[best] += $1
			list[best] = list[best] " " $2
		}
		END { for (i = 1; i <= n; i++) if (list[i] != "") print k, i, load[i] list[i] }' >>"$jobs_file"
done
# Longest first; the order within a shard is tests.list's.
sort -k3,3nr -o "$jobs_file" "$jobs_file"

order_tests() {		# order_tests TEST...: in tests.list's order
	local t
	for t in $(all_tests); do
		[[ " $* " == *" $t "* ]] && echo "$t"
	done
	# Tests not in the list (PS_TESTS may name any) keep their place after.
	for t in "$@"; do
		all_tests | grep -qxF "$t" || echo "$t"
	done
}

# A guest whose runner has not begun its KTAP this many seconds after qemu
# started did not boot (the slowest guests, 5.10 and the debug kernel, start
# their runner in well under a minute).
boot_limit=${PS_BOOT_TIMEOUT:-300}

# boot_guest KERNEL OUT TEST...: one guest run into OUT. A guest that has not
# reached its runner after boot_limit seconds is stopped (OUT/no-boot says
# so); OUT/booted holds the seconds its runner took to start.
boot_guest() {
	local k=$1 out=$2 vm waited=0 booted=0
	shift 2
	rm -f "$out/output.log" "$out/no-boot" "$out/booted"
	# shellcheck disable=SC2086
	${K_WRAP[$k]} ${K_OPTS[$k]} --timeout "${PS_VM_TIMEOUT:-3000}" "${K_KVER[$k]}" "$out" \
		env PS_KO="${K_KO[$k]}" ${K_ENV[$k]} "${guest_env[@]}" "${K_STAGE[$k]:-$stage}/selftests/run_tests.sh" \
		$(order_tests "$@") >"$out.vm.log" 2>&1 &
	vm=$!
	while [ $booted -eq 0 ] && kill -0 "$vm" 2>/dev/null; do
		if grep -qs '^TAP version' "$out/output.log"; then
			booted=1
			echo "$waited" >"$out/booted"
		elif [ "$waited" -ge "$boot_limit" ]; then
			echo "its tests had not begun ${waited}s after it started" >"$out/no-boot"
			# qemu is the one process with this guest's console file.
			pkill -f -- "file:$out/console.log"
			break
		fi
		sleep 2
		waited=$((waited + 2))
	done
	wait "$vm"
}

# run_job KERNEL SHARD TEST...: one guest; its results in its out dir. A
# guest that never reached its tests (a boot that hung under TCG: nothing of
# portsteer had run yet) boots once more, and the summary says so.
run_job() {
	local k=$1 sh=$2 out start rc
	shift 2
	out=$bdir/${K_KVER[$k]}/vm-$sh
	start=$(date +%s)
	rm -rf "$out.first-boot"
	boot_guest "$k" "$out" "$@"
	rc=$?
	if [ "$(cat "$out/verdict" 2>/dev/null)" != ok ] && ! grep -qs '^TAP version' "$out/output.log"; then
		rm -rf "$out.first-boot"
		mv "$out" "$out.first-boot"
		mv "$out.vm.log" "$out.first-boot/vm.log"
		mkdir -p "$out"
		boot_guest "$k" "$out" "$@"
		rc=$?
	fi
	echo "$rc $(( $(date +%s) - start ))" >"$out.rc"
}

declare -A RUNNING=()
started=()
lane_free() { [ "${#RUNNING[@]}" -lt "$lanes" ]; }
# On a cold cache the YNL tools come with sid's background build: a guest
# that runs ynl_*.sh waits for it rather than skip those tests (its lane
# meanwhile leaves the core to the builds).
ynl_pending() {
	[ -n "${PREREQ[sid]:-}" ] && ! compgen -G "$cache/ynl-*/.complete" >/dev/null
}
start_ready() {		# start the longest ready jobs while lanes are free
	local line k sh est tl
	while lane_free; do
		line=
		while read -r k sh est tl; do
			[[ " ${started[*]} " == *" $k/$sh "* ]] && continue
			[ "${K_STATE[$k]:-}" = ready ] || continue
			[[ " $tl" == *" ynl_"* ]] && ynl_pending && continue
			line="$k $sh"
			break
		done <"$jobs_file"
		[ -n "$line" ] || return
		started+=("$k/$sh")
		mkdir -p "$bdir/${K_KVER[$k]}"
		echo "# kernel ${K_KVER[$k]} ($k) guest $sh: $tl (about ${est}s)"
		run_job "$k" "$sh" $tl &
		RUNNING[$!]="$k $sh"
	done
}

njobs=$(wc -l <"$jobs_file")
done_jobs=0
while :; do
	# A background build done: that kernel's module, then its guests.
	for k in "${!PREREQ[@]}"; do
		kill -0 "${PREREQ[$k]}" 2>/dev/null && continue
		wait "${PREREQ[$k]}"
		unset "PREREQ[$k]"
		prepare "$k"
	done
	start_ready
	[ "$done_jobs" -lt "$njobs" ] || break
	if [ "${#RUNNING[@]}" -eq 0 ] && [ "${#PREREQ[@]}" -eq 0 ]; then
		break	# nothing can start any more
	fi
	# One guest ends, or a background build.
	unset pid
	wait -n -p pid "${!RUNNING[@]}" "${PREREQ[@]}"
	[ -n "${pid:-}" ] && [ -n "${RUNNING[$pid]:-}" ] || continue
	read -r k sh <<<"${RUNNING[$pid]}"
	unset "RUNNING[$pid]"
	done_jobs=$((done_jobs + 1))
	out=$bdir/${K_KVER[$k]}/vm-$sh
	read -r rc secs <"$out.rc"
	echo "# kernel ${K_KVER[$k]} guest $sh: $(cat "$out/verdict" 2>/dev/null || echo 'no verdict'), exit $rc, ${secs}s$(
		[ ! -e "$out/booted" ] || echo ", tests began after $(cat "$out/booted")s")"
done

# The results, in the matrix's order.
: >"$bdir/check.times"
for k in "$@"; do
	[ "${K_STATE[$k]:-}" = ready ] || continue
	kver=${K_KVER[$k]}
	while read -r jk sh _; do
		[ "$jk" = "$k" ] || continue
		out=$bdir/$kver/vm-$sh
		label="kernel $kver"
		[ "$(grep -c "^$k " "$jobs_file")" -gt 1 ] && label+=" ($sh)"
		echo "# $label: guest $sh"
		if [ ! -e "$out.rc" ]; then
			echo "# $label: never ran"
			fail_setup "$label: never ran"
			continue
		fi
		read -r rc secs <"$out.rc"
		sed 's/^/# vm: /' "$out.vm.log"
		tr -d '\r' <"$out/output.log" | grep -v '^PORTSTEER-GUEST-EXIT' | tee "$out/ktap.log"
		verdict=$(cat "$out/verdict" 2>/dev/null || echo "no verdict")
		echo "# $label: guest $verdict, exit $rc, ${secs}s"
		guest_ok=1
		if [ "$verdict" != ok ]; then
			guest_ok=0
			echo "# $label: guest FAILED ($verdict); its console log:"
			tr -d '\r' <"$out/console.log" | tail -n 150 | sed 's/^/# console: /'
			why="$label: guest FAILED: $verdict"
			[ ! -e "$out/no-boot" ] || why+=" ($(cat "$out/no-boot"))"
			# The test it was in: begun, with no result line.
			during=$(awk '/^# selftests: portsteer: / { t = $4 }
				/^(ok|not ok) [0-9]+ selftests: portsteer: / { t = "" }
				END { print t }' "$out/ktap.log")
			[ -z "$during" ] || why+=", during $during"
			problems+=("$why")
			if [ -s "$out/report" ]; then
				problems+=("$label: its console: $(head -n 1 "$out/report")")
			fi
		fi
		if [ -e "$out.first-boot" ]; then
			first="$(cat "$out.first-boot/verdict" 2>/dev/null)$(
				[ ! -e "$out.first-boot/no-boot" ] || echo " ($(cat "$out.first-boot/no-boot"))")"
			if grep -qs '^TAP version' "$out/output.log"; then
				problems+=("$label: booted on the second try; the first boot: $first")
			else
				problems+=("$label: the first boot failed too: $first")
			fi
		fi
		while read -r t; do
			problems+=("$label: not ok $t")
		done < <(sed -n 's/^not ok [0-9]* selftests: portsteer: //p' "$out/ktap.log")
		record "$label" "$out/ktap.log" $guest_ok "$rc"
		sed -n "s/^# \([^ ]*\): exit [0-9]* after \([0-9]*\)s$/$k $kver \1 \2/p" \
			"$out/ktap.log" >>"$bdir/check.times"
	done < <(sort -k1,1 -k2,2n "$jobs_file")
done

if [ -n "$host_pid" ]; then
	wait "$host_pid"
	for c in unit:"host unit tests" regen:"host spec and generated files" fuzz:"host libFuzzer" install:"host make install" dkms:"host dkms"; do
		f=$bdir/host-${c%%:*}.log
		[ -e "$f" ] || continue
		echo "# ${c#*:}"
		cat "$f"
		rc=$(cat "${f%.log}.rc" 2>/dev/null || echo 1)
		record "${c#*:}" "$f" 1 "$rc"
		while read -r t; do
			problems+=("${c#*:}: not ok $t")
		done < <(sed -n 's/^not ok [0-9]* //p' "$f")
		[ "$rc" -eq 0 ] || grep -q '^not ok' "$f" || problems+=("${c#*:}: exit $rc")
	done
fi

# The next run deals its shards from these times.
if [ -s "$bdir/check.times" ] && [ -z "$tests" ]; then
	mkdir -p "$cache"
	{
		awk -v t="$tier" '{ print $1 "/" t, $3, $4 }' "$bdir/check.times"
		# What this run did not measure stays.
		if [ -e "$times_db" ]; then
			awk -v t="$tier" 'NR == FNR { seen[$1 "/" t " " $3] = 1; next }
				!seen[$1 " " $2]' "$bdir/check.times" "$times_db"
		fi
	} >"$times_db.$$" && mv "$times_db.$$" "$times_db"
fi

echo "# summary"
for l in "${summary[@]}"; do
	echo "#   $l"
done
if [ -s "$bdir/check.times" ]; then
	echo "# slowest tests (kernel, test, seconds; all in build/check.times):"
	sort -k4,4nr "$bdir/check.times" | head -n "${PS_SLOWEST:-10}" |
		awk '{ printf "#   %-28s %-16s %5d\n", $2, $3, $4 }'
fi
# What went wrong, last, where a log that is cut keeps it.
if [ "${#problems[@]}" -gt 0 ]; then
	echo "# what went wrong:"
	for l in "${problems[@]}"; do
		echo "#   $l"
	done
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped" | tee "$bdir/check.summary"
[ $total_fail -eq 0 ]
