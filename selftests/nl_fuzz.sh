#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The netlink fuzzer (nl_fuzz) as three callers: root in a fresh netns,
# root of a fresh user+network namespace, and an unprivileged user. Each run
# sends PS_FUZZ_COUNT messages (default 100,000) from the seed PS_FUZZ_SEED
# (default: from the clock; printed, so a failure replays). After them: the
# configuration of every other netns is byte for byte what it was, nothing
# was logged by the kernel, and the module unloads.

. "$(dirname "$0")"/lib.sh

FUZZ=$PS_SELFTESTS/nl_fuzz
COUNT=${PS_FUZZ_COUNT:-$(scaled 100000)}
SEED=${PS_FUZZ_SEED:-$(( $(date +%s%N) % 4294967296 ))}
NS=ps-fuzz-$$
tmp=$(mktemp -d)
ktap_header 8
kmsg_mark

cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

[ -x "$FUZZ" ] || { diag "no $FUZZ (make selftests)"; exit $ksft_skip; }
# Every change the first caller gets through is also compared with a table
# built from scratch (update.c), and any difference warns.
ps_load check_updates=1 || { ktap_fail "load"; ktap_finish; }
diag "seed $SEED, $COUNT messages per caller (replay: PS_FUZZ_SEED=$SEED)"

# A configuration in the initial netns that no caller below may touch.
$CTL flush
$CTL service add keep queue 7-8 balance cpu
$CTL rule add tcp dport 80-89 service keep
$CTL rule add ip6 udp dport 53 service keep
$CTL save >"$tmp/init.before"

# fuzz NAME PREFIX...: one run under PREFIX (with FUZZ_ARGS), its output
# indented, its status kept.
fuzz() {
	local name=$1 start rc
	shift
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$@" "$FUZZ" -s "$SEED" -n "$COUNT" ${FUZZ_ARGS:-} 2>&1 | sed 's/^/# /' | tee "$tmp/$name.log"
	rc=${PIPESTATUS[0]}
	diag "$name: $(( $(date +%s) - start ))s"
	ktap_result "$name" test "$rc" -eq 0
}

ip netns add "$NS"
fuzz fuzz_root_netns ip netns exec "$NS"
# The table check is the first caller's: the others meet the same code,
# and on the debug kernel the check is what the run would spend its time on.
checked=$(cat /sys/module/portsteer/parameters/checked_updates 2>/dev/null)
echo N >/sys/module/portsteer/parameters/check_updates
fuzz fuzz_userns_root unshare --user --map-root-user --net

# The unprivileged caller, in a netns root configured: nothing may change.
$CTL --netns "$NS" flush
$CTL --netns "$NS" service add web queue 10
$CTL --netns "$NS" rule add inet tcp dport 443 service web
$CTL --netns "$NS" save >"$tmp/ns.before"
FUZZ_ARGS="-m unpriv" fuzz fuzz_unprivileged ip netns exec "$NS" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all
$CTL --netns "$NS" save >"$tmp/ns.after"
ktap_result "unprivileged_changed_nothing" cmp -s "$tmp/ns.before" "$tmp/ns.after"

$CTL save >"$tmp/init.after"
if ! ktap_result "other_netns_untouched" cmp -s "$tmp/init.before" "$tmp/init.after"; then
	diff "$tmp/init.before" "$tmp/init.after" | sed 's/^/# /'
fi
diag "${checked:-no} changes compared with a table built from scratch"
ktap_result "changes_checked" test "${checked:-0}" -gt 0
$CTL flush
ip netns del "$NS"
unload_and_finish
