#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run portsteer's selftests, in a guest or on a host, as root, and print
# KTAP: each test program's own KTAP indented by "# ", then its result.
#
#   PS_KO=/path/to/portsteer.ko run_tests.sh [TEST...]
#
# Without arguments, every test listed in selftests/tests.list runs in order.

here=$(cd "$(dirname "$0")" && pwd)
export PS_KO=${PS_KO:-$here/../portsteer.ko}
export PS_SELFTESTS=$here
export PATH=$here/../tools:$PATH

if [ $# -gt 0 ]; then
	tests=("$@")
else
	mapfile -t tests < <(awk '!/^#/ && NF { print $1 }' "$here/tests.list")
fi
per_test_timeout=${PS_TEST_TIMEOUT:-1500}

# On a kernel with kmemleak (make check-debug): forget what booting left
# behind now, and after the suite a scan must find nothing.
kmemleak=/sys/kernel/debug/kmemleak
[ -e /sys/kernel/debug/kmemleak ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
[ -w $kmemleak ] && echo clear >$kmemleak || kmemleak=

plan=${#tests[@]}
[ -n "$kmemleak" ] && plan=$((plan + 1))
echo "TAP version 13"
echo "1..$plan"
n=0
fail=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	echo "# selftests: portsteer: $t"
	start=$(date +%s)
	timeout -k 5 "$per_test_timeout" "$here/$t" 2>&1 | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	echo "# $t: exit $rc after $(( $(date +%s) - start ))s"
	# Whatever a test leaves behind must not spill into the next one.
	rmmod portsteer 2>/dev/null
	case $rc in
	0) echo "ok $n selftests: portsteer: $t" ;;
	4) echo "ok $n selftests: portsteer: $t # SKIP" ;;
	124) echo "not ok $n selftests: portsteer: $t # TIMEOUT ${per_test_timeout}s"; fail=1 ;;
	*) echo "not ok $n selftests: portsteer: $t # exit=$rc"; fail=1 ;;
	esac
done

if [ -n "$kmemleak" ]; then
	n=$((n + 1))
	echo "# selftests: portsteer: kmemleak"
	# An object is reported once it is older than 5 s and unreferenced in a
	# scan; two scans, so that nothing still in flight counts.
	echo scan >$kmemleak
	sleep 6
	echo scan >$kmemleak
	leaks=$(cat $kmemleak)
	if [ -z "$leaks" ] && ! dmesg | grep -q 'kmemleak: Kernel memory leak detector disabled'; then
		echo "# kmemleak: no unreferenced objects after the suite"
		echo "ok $n selftests: portsteer: kmemleak"
	else
		echo "$leaks" | head -n 200 | sed 's/^/# /'
		dmesg | grep 'kmemleak:' | tail -n 5 | sed 's/^/# /'
		echo "not ok $n selftests: portsteer: kmemleak # $(grep -c '^unreferenced object' <<<"$leaks") objects"
		fail=1
	fi
fi
exit $fail
