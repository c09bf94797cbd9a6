#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Namespace churn: a batch of dying namespaces with a portsteer rule each
# must go about as fast as one without. Any user namespace's root can create
# namespaces; a wait for a grace period per dying namespace, serially under
# the netns core's lock, would let it stall every namespace's cleanup.
# selftests/netns_hold creates COUNT namespaces (500 / PS_SCALE), with a
# service and a rule each or without, and releases them all at once; the
# time until a namespace deleted after them has gone (its veth peer here
# disappears) is the batch's teardown. Target: with rules, at most 1.5 times
# without (and 0.2 s more, for the noise of a small batch), the fastest of
# up to three pairs of batches.

. "$(dirname "$0")"/lib.sh

here=$(cd "$(dirname "$0")" && pwd)
N=${PS_CHURN_COUNT:-$(scaled 500)}
SENT=psn-sent-$$

cleanup() {
	ip netns del "$SENT" 2>/dev/null
	ip link del psn-s0 2>/dev/null
}
trap cleanup EXIT

# teardown RULES: milliseconds from the release of N namespaces (with a
# rule each if RULES is 1) until the sentinel deleted after them is gone
teardown() {
	local t0 t1 line
	ip netns add "$SENT"
	ip link add psn-s0 type veth peer name psn-s1 netns "$SENT"
	coproc HOLD { "$here/netns_hold" "$N" "$1"; }
	read -r line <&"${HOLD[0]}"
	[ "$line" = ready ] || { echo "netns_hold failed" >&2; return 1; }
	t0=$(date +%s%3N)
	eval "exec ${HOLD[1]}>&-"
	wait "$HOLD_PID" || return 1
	ip netns del "$SENT"
	t1=$(( t0 + 120000 ))
	while [ -e /sys/class/net/psn-s0 ] && [ "$(date +%s%3N)" -lt "$t1" ]; do
		sleep 0.01
	done
	[ -e /sys/class/net/psn-s0 ] && return 1
	echo $(( $(date +%s%3N) - t0 ))
}

kmsg_mark
ps_load || { ktap_header 1; ktap_fail "load"; ktap_finish; }
ktap_header 5
# A first batch warms the slabs and the netns workqueue up.
teardown 0 >/dev/null
# Wall-clock time on a machine that builds and runs other guests beside
# this one: a pair over the bound is measured again (3 pairs at most) and
# each kind keeps its fastest. A wait per namespace is in every pair.
without= with= failed_without= failed_with=
for round in 1 2 3; do
	w=$(teardown 0) || failed_without=1
	r=$(teardown 1) || failed_with=1
	[ -n "$w" ] && [ -n "$r" ] || break
	diag "$N namespaces: $w ms without portsteer rules, $r ms with a rule each"
	[ -z "$without" ] || [ "$w" -lt "$without" ] && without=$w
	[ -z "$with" ] || [ "$r" -lt "$with" ] && with=$r
	[ "$with" -le $(( without * 3 / 2 + 200 )) ] && break
done
ktap_result "teardown_without_rules" test -n "$without" -a -z "$failed_without"
ktap_result "teardown_with_rules" test -n "$with" -a -z "$failed_with"
diag "fastest of $round: $without ms without, $with ms with"
ktap_result "rules_cost_at_most_half_more" test "${with:-999999}" -le $(( ${without:-0} * 3 / 2 + 200 ))
unload_and_finish
