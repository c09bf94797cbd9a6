#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fault injection on every configuration path (selftests/failslab.c): each
# slab allocation of each request fails in turn, through the task's
# fail-nth, so only the test's own allocations fail. Needs
# CONFIG_FAILSLAB (the debug kernel of make check-debug); skipped elsewhere.

. "$(dirname "$0")"/lib.sh

here=$(cd "$(dirname "$0")" && pwd)
FS=/sys/kernel/debug/failslab
NS=ps-fail-$$

[ -d /sys/kernel/debug/failslab ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
if [ ! -d $FS ] || [ ! -e /proc/self/fail-nth ]; then
	diag "no failslab or fail-nth in this kernel (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION)"
	exit $ksft_skip
fi

cleanup() {
	ip netns del "$NS" 2>/dev/null
	# failslab's defaults back
	echo Y >$FS/ignore-gfp-wait
	echo 2 >$FS/verbose
	echo N >$FS/task-filter
}
trap cleanup EXIT

kmsg_mark
ps_load || { ktap_header 1; ktap_fail "load"; ktap_finish; }
# Sleeping allocations too (all of portsteer's); quiet; only tasks that ask
# for it (fail-nth is per task and overrides the probability, which stays 0).
echo N >$FS/ignore-gfp-wait
echo 0 >$FS/verbose
echo Y >$FS/task-filter
echo 0 >$FS/probability

ip netns add "$NS"
ip netns exec "$NS" "$here/failslab"
rc=$?
ip netns del "$NS"
[ $rc -eq 0 ] || [ $rc -eq $ksft_skip ] || exit $rc
ps_unload || exit 1
kmsg_clean && kernel_untainted
