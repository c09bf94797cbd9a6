#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# portsteerctl monitor sees, in order, the changes another process makes,
# as text and as JSON, and stops on SIGTERM or after "count N".

. "$(dirname "$0")"/lib.sh

NS=ps-ctl-$$
PY=/usr/bin/python3
tmp=$(mktemp -d)
ktap_header 7
kmsg_mark

cleanup() {
	kill_jobs
	ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ctl_netns_setup

# monitor_ready FILE: the monitor has joined once it reports a stats reset
monitor_ready() {
	$C stats reset
	grep -q 'stats reset' "$1"
}

$C -n monitor >"$tmp/mon" 2>"$tmp/mon.err" &
MPID=$!
$C -j monitor >"$tmp/monj" 2>"$tmp/monj.err" &
JPID=$!
busywait 20000 monitor_ready "$tmp/mon" && busywait 20000 monitor_ready "$tmp/monj"
ktap_result "monitor_joins" test $? -eq 0
marks=$(grep -c 'stats reset' "$tmp/mon")

$C service add web queue 10-11 bypass
$C rule add tcp dport 80,443 service web
$C service change web balance cpu nobypass
$C settings set icmp-errors off
printf 'service add dns queue 20\nrule add ip udp dport 53 service dns\n' | $C apply -
$C rule del ip udp dport 53
$C service del dns
$C flush

# The lines after the readiness marks, without their generation.
want="service add web queue 10-11 balance flow bypass
rule add inet tcp dport 80,443 service web
service change web queue 10-11 balance cpu nobypass
settings set hook prerouting priority 0 defrag on icmp-errors off seed SEED
apply
rule del ip udp dport 53 service dns
service del dns
flush"
got() {
	tail -n +$((marks + 1)) "$tmp/mon" | sed -E 's/^gen [0-9]+ //; s/ seed [0-9]+$/ seed SEED/'
}
busywait 20000 eval 'got | grep -qx flush'
kill -TERM $MPID
wait $MPID
rc=$?
if [ "$(got)" = "$want" ]; then
	ktap_pass "monitor_lines"
else
	ktap_fail "monitor_lines"
	got | sed 's/^/# got:  /'
	echo "$want" | sed 's/^/# want: /'
fi
ktap_result "monitor_sigterm_exit_0" test $rc -eq 0
ktap_result "monitor_generations_increase" eval \
	"tail -n +$((marks + 1)) $tmp/mon | awk '{ if (\$2 <= last) exit 1; last = \$2 }'"

busywait 20000 eval "grep -q '\"flush\"' $tmp/monj"
kill -TERM $JPID
wait $JPID
ktap_result "monitor_json" $PY - "$tmp/monj" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
ev = [e for e in ev if e["command"] != "stats reset"]
cmds = [e["command"] for e in ev]
assert cmds == ["service add", "rule add", "service change", "settings set",
                "apply", "rule del", "service del", "flush"], cmds
assert ev[0]["service"]["name"] == "web" and ev[0]["service"]["bypass"] is True
assert [(r["port_min"], r["service"]) for r in ev[1]["rules"]] == [(80, "web"), (443, "web")]
assert ev[3]["settings"]["icmp_errors"] is False, ev[3]
assert ev[6]["service"]["name"] == "dns", ev[6]
assert all(isinstance(e["generation"], int) for e in ev)
EOF

# count N ends the monitor by itself
$C monitor count 2 >"$tmp/monc" &
CPID=$!
busywait 20000 eval "$C stats reset; [ \$(wc -l <$tmp/monc) -ge 1 ]"
$C stats reset
busywait 10000 eval "! kill -0 $CPID 2>/dev/null"
ktap_result "monitor_count" eval "! kill -0 $CPID 2>/dev/null && [ \$(wc -l <$tmp/monc) -eq 2 ]"
ip netns del "$NS"
ps_unload
ktap_result "no_kernel_reports" eval 'kmsg_clean && kernel_untainted'
ktap_finish
