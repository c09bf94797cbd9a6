#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Incremental configuration changes (selftests/updates.c):
#
# - the module checks itself: loaded with check_updates=1, it rebuilds the
#   lookup table from scratch after every change and compares it with the
#   incrementally updated one (a mismatch WARNs, and fails the request);
# - a model-based randomized run of PS_UPDATES_STEPS changes (default
#   20,000 / PS_SCALE, for at most PS_UPDATES_SECONDS, default 20, 60
#   at full count) from the seed
#   PS_UPDATES_SEED (default a fixed one; printed, so a failure replays):
#   rules added, deleted and moved with NLM_F_REPLACE, one or several per
#   request, services created, changed and deleted, replace transactions
#   and flushes; every answer as its model predicts, the dumps as its model
#   holds, and checked_updates grown by at least the accepted changes;
# - readers during updates: UDP on loopback to both ends of a range of
#   several 256-port blocks while the range moves between services (rule
#   delete and add, several rules per request, NLM_F_REPLACE, the service's
#   queue); every change is seen by the traffic at one point in the send
#   order, never half applied (PS_UPDATES_CHANGES changes of each kind,
#   default 200 / PS_SCALE, at most 8 s each).
#
# The traffic stays in a netns of its own, on its loopback.

. "$(dirname "$0")"/lib.sh

BIN=$PS_SELFTESTS/updates
NS=ps-upd-$$
STEPS=${PS_UPDATES_STEPS:-$(scaled 20000)}
# 20 s; a minute at full count (make check-full, or by hand)
SECONDS_MAX=${PS_UPDATES_SECONDS:-$([ "${PS_SCALE:-1}" -le 1 ] && echo 60 || echo 20)}
CHANGES=${PS_UPDATES_CHANGES:-$(scaled 200)}
SEED=${PS_UPDATES_SEED:-20261206}
PARAM=/sys/module/portsteer/parameters
# PS_UPDATES_NO_REPLACE=1: leave NLM_F_REPLACE out (a module without it; its
# results then fail, the others still say something)
NOREP=
[ -n "${PS_UPDATES_NO_REPLACE:-}" ] && NOREP=-R
# PS_UPDATES_SELFCHECK=1: one result more, that the traffic check sees a
# change made of two requests half applied (it can only when the sender
# got the CPU between them: not part of the default plan)
SELFCHECK= SPLIT= PLAN=10
[ -n "${PS_UPDATES_SELFCHECK:-}" ] && SELFCHECK=-X SPLIT=traffic_split_change_seen PLAN=11
ktap_header $PLAN
kmsg_mark

cleanup() {
	ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT

[ -x "$BIN" ] || { diag "no $BIN (make selftests)"; exit $ksft_skip; }
ps_unload
# The self-check is required: a module without it fails here, and runs on.
if ps_load check_updates=1 2>/dev/null && [ "$(cat $PARAM/check_updates 2>/dev/null)" = Y ] &&
	[ -r $PARAM/checked_updates ]; then
	ktap_pass "check_updates_param"
else
	diag "the module has no check_updates / checked_updates parameters"
	ktap_fail "check_updates_param"
	ps_load || { ktap_fail "load"; ktap_finish; }
fi

# part NAME RESULT... -- COMMAND...: COMMAND's results, each RESULT that it
# did not report (it died, say) failed
part() {
	local name=$1 r start=$(date +%s) out
	shift
	local want=()
	while [ "$1" != -- ]; do want+=("$1"); shift; done
	shift
	out=$(mktemp)
	ktap_lines < <("$@" 2>&1 | tee "$out")
	for r in "${want[@]}"; do
		grep -qE "^(pass|fail) $r\$" "$out" || { diag "$name did not report $r"; ktap_fail "$r"; }
	done
	rm -f "$out"
	diag "$name: $(( $(date +%s) - start ))s"
}

ip netns add "$NS" && ip -n "$NS" link set lo up || { ktap_fail "netns"; ktap_finish; }
part model model_agrees checked_updates_counted -- \
	ip netns exec "$NS" "$BIN" model -s "$SEED" -n "$STEPS" -t "$SECONDS_MAX" $NOREP

# The traffic under the module's own code path: the self-check off.
[ -w $PARAM/check_updates ] && echo N >$PARAM/check_updates
modprobe nfnetlink_queue 2>/dev/null
# Full preemption where the kernel can switch to it (PREEMPT_DYNAMIC): the
# sender, a real-time thread, then preempts a change anywhere in the kernel.
preempt=/sys/kernel/debug/sched/preempt
[ -e $preempt ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
preempt_was=
if [ -w $preempt ]; then
	preempt_was=$(sed -n 's/.*(\([a-z]*\)).*/\1/p' $preempt)
	echo full >$preempt 2>/dev/null
	diag "preemption: $(cat $preempt)"
fi
# Each kind for at most 8 s; 3 s on the debug kernel, where a packet costs
# ten times as much and a change waits for tens of them.
KIND_SECONDS=$([ "${PS_SCALE:-1}" -ge 10 ] && echo 3 || echo 8)
part traffic traffic_del_add_multiblock traffic_multi_rule_del_add traffic_replace_single \
	traffic_replace_multi traffic_service_set_queue $SPLIT -- \
	ip netns exec "$NS" "$BIN" traffic -n "$CHANGES" -t "$KIND_SECONDS" $NOREP $SELFCHECK
[ -n "$preempt_was" ] && echo "$preempt_was" >$preempt
ip netns del "$NS"

unload_and_finish
