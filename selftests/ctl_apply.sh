#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# portsteerctl apply and save: a 10,000-rule configuration survives
# save -> flush -> apply -> save byte for byte; a file with one bad line, or
# one the kernel refuses, changes nothing; apply replaces everything.

. "$(dirname "$0")"/lib.sh

NS=ps-ctl-$$
PY=/usr/bin/python3
tmp=$(mktemp -d)
ktap_header 11
kmsg_mark

cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ctl_netns_setup

# 10 services; 10,000 rules over all protocols and families, some ranges.
$PY - >"$tmp/big.conf" <<'EOF'
print("# generated: 10 services, 10000 rules")
print("settings set hook prerouting priority -200 defrag on icmp-errors on seed 777")
for s in range(10):
    q = 100 + s * 4
    print("service add s%d queue %d-%d balance %s%s" % (s, q, q + 3, "flow" if s % 2 else "cpu", " bypass" if s % 3 == 0 else ""))
n = 0
for proto in ("tcp", "udp", "udplite", "sctp", "dccp"):
    for i in range(2000):
        port = 1 + i * 3
        fam = ("inet", "ip", "ip6")[i % 3]
        spec = "%d-%d" % (port, port + 1) if i % 7 == 0 else "%d" % port
        print("rule add %s %s dport %s service s%d" % (fam, proto, spec, (i + n) % 10))
    n += 1
EOF
ktap_result "apply_10000_rules" $C apply "$tmp/big.conf"
$C save >"$tmp/save1"
ktap_result "save_10000_rules" eval "[ \$(grep -c '^rule add ' $tmp/save1) -eq 10000 ] &&
	[ \$(grep -c '^service add ' $tmp/save1) -eq 10 ] &&
	head -n1 $tmp/save1 | grep -qx 'settings set hook prerouting priority -200 defrag on icmp-errors on seed 777'"
$C flush
ktap_result "flush_empties" eval "[ -z \"\$($C show)\" ]"
ktap_result "apply_saved" $C apply "$tmp/save1"
$C save >"$tmp/save2"
ktap_result "save_apply_save_identical" cmp "$tmp/save1" "$tmp/save2"

# One bad line at the end: refused with FILE:LINE, nothing changes.
cp "$tmp/save1" "$tmp/bad.conf"
echo "rule add tcp dport 70000 service s1" >>"$tmp/bad.conf"
lines=$(wc -l <"$tmp/bad.conf")
$C apply "$tmp/bad.conf" 2>"$tmp/bad.err"
rc=$?
sed 's/^/# stderr: /' "$tmp/bad.err"
ktap_result "apply_bad_line_refused" eval "[ $rc -eq 2 ] &&
	grep -qx \"$tmp/bad.conf:$lines: invalid port '70000' in 'tcp dport 70000'\" $tmp/bad.err"
$C save >"$tmp/save3"
ktap_result "apply_bad_line_changes_nothing" cmp "$tmp/save1" "$tmp/save3"

# A file the kernel refuses (defrag on needs priority above -400): the
# transaction is aborted, nothing changes, the next apply works.
printf 'settings set defrag on priority -450\nservice add x queue 1\n' >"$tmp/kbad.conf"
$C apply "$tmp/kbad.conf" 2>"$tmp/kbad.err"
rc=$?
sed 's/^/# stderr: /' "$tmp/kbad.err"
$C save >"$tmp/save4"
ktap_result "apply_kernel_refusal_reported" eval "[ $rc -eq 1 ] && grep -q '^portsteerctl: apply $tmp/kbad.conf: ' $tmp/kbad.err"
ktap_result "apply_kernel_refusal_changes_nothing" cmp "$tmp/save1" "$tmp/save4"

# apply from stdin replaces the whole configuration.
printf 'service add only queue 5\nrule add udp dport 53 service only\n' | $C apply -
ktap_result "apply_stdin_replaces" eval "[ \"\$($C -n rule show)\" = 'inet udp dport 53 service only' ] &&
	[ \$($C service show | wc -l) -eq 1 ]"
ip netns del "$NS"
ps_unload
ktap_result "no_kernel_reports" eval 'kmsg_clean && kernel_untainted'
ktap_finish
