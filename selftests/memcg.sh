#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configuration memory is the caller's: charged to the memory cgroup of the
# task that configures, given back when the configuration goes, and refused
# (ENOMEM, nothing changed, no OOM kill) beyond the cgroup's limit.
#
#   A (no limit): 2,560 rules in 256-port blocks of their own - every block
#      of every protocol and family with a leaf - must raise A's charge by
#      at least the lookup table's size; a flush gives it back.
#   B (256 kB of room, for the kernel alone): the same rules, added
#      protocol by protocol, hit the limit: the request that does is
#      refused with ENOMEM, the configuration is what the requests before
#      it made, and the OOM killer never ran.

. "$(dirname "$0")"/lib.sh

here=$(cd "$(dirname "$0")" && pwd)
CG=/sys/fs/cgroup
NS=ps-memcg-$$
A=$CG/ps-a-$$
B=$CG/ps-b-$$
tmp=$(mktemp -d)

cleanup() {
	ip netns del "$NS" 2>/dev/null
	rmdir "$A" "$B" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

[ -e $CG/cgroup.controllers ] || mount -t cgroup2 cgroup2 $CG 2>/dev/null
if ! grep -qw memory $CG/cgroup.controllers 2>/dev/null; then
	diag "no cgroup v2 memory controller"
	exit $ksft_skip
fi
echo +memory >$CG/cgroup.subtree_control || exit $ksft_skip
mkdir "$A" "$B" || exit 1

# incg CGROUP COMMAND...: run COMMAND as a member of CGROUP
incg() {
	local cg=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

CTL_NS=$NS

# One port in each 256-port block: 256 rules per protocol and family.
ports() {
	seq -s, 1 256 65535
}

ktap_header 7
kmsg_mark
ps_load || { ktap_fail "load"; ktap_finish; }
ip netns add "$NS"
ctl service add s queue 1

# A: charged, and given back.
a0=$(cat "$A/memory.current")
for f in ip ip6; do
	for p in tcp udp udplite sctp dccp; do
		incg "$A" "$CTL" --netns "$NS" rule add $f $p dport "$(ports)" service s || break 2
	done
done
a1=$(cat "$A/memory.current")
table=$(ctl -j settings show | jget 'd["settings"]["table_bytes"]')
rules=$(ctl -j settings show | jget 'd["settings"]["rule_count"]')
diag "A: $rules rules, table $table bytes; A's charge $a0 -> $a1 bytes"
ktap_result "rules_added_in_A" test "$rules" -eq 2560
ktap_result "charged_to_caller" test $((a1 - a0)) -ge "$table"
ctl flush
# the old table goes after an RCU grace period
busywait 5000 sh -c "[ \$(( $a1 - \$(cat $A/memory.current) )) -ge $((table * 9 / 10)) ]"
a2=$(cat "$A/memory.current")
diag "A after flush: $a2 bytes ($(( (a1 - a2) / 1024 )) kB given back)"
ktap_result "given_back_on_flush" test $((a1 - a2)) -ge $((table * 9 / 10))
ctl service add s queue 1

# B: a cgroup with 256 kB of room, joined by selftests/memcg_rules once
# its own memory is all touched (charged where it was), so that the only
# new charges are the kernel's and the limit is met by portsteer's
# allocations, not by a page fault (which would call the OOM killer).
echo $((256 * 1024)) >"$B/memory.max"
# nsenter, not ip netns exec: that one mounts a sysfs of the netns over
# /sys, and the cgroup file system with it
nsenter --net="/run/netns/$NS" "$here/memcg_rules" "$B" >"$tmp/out" 2>&1
rc=$?
sed 's/^/# /' "$tmp/out"
added=$(grep -c ': added$' "$tmp/out")
rules=$(ctl -j settings show | jget 'd["settings"]["rule_count"]')
ktap_result "refused_at_limit_with_enomem" test "$rc" -eq 0
diag "B: $added requests of 256 rules went through before the refusal; $rules rules"
ktap_result "refused_request_changed_nothing" test "$rules" -eq $((added * 256))
oom=$(awk '$1 == "oom_kill" { print $2 }' "$B/memory.events")
diag "B: memory.events: $(tr '\n' ' ' <"$B/memory.events")"
ctl flush
ip netns del "$NS"
ktap_result "no_oom_kill" test "${oom:-0}" -eq 0
ps_unload
ktap_result "no_kernel_reports" eval 'kmsg_clean && kernel_untainted'
ktap_finish
