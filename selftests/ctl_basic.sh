#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# portsteerctl against the real module: every configuration command, its
# human and JSON output, kernel refusals with their extended ack, and
# --netns isolation. Runs in a namespace of its own.

. "$(dirname "$0")"/lib.sh

NS=ps-ctl-$$
PY=/usr/bin/python3
tmp=$(mktemp -d)
export PORTSTEER_SERVICES=$PS_SELFTESTS/../tools/tests/services
ktap_header 32
kmsg_mark

cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ctl_netns_setup

# out_is WANT CMD...: stdout of CMD is exactly WANT, status 0
out_is() {
	local want=$1 got
	shift
	got=$("$@" 2>"$tmp/err") || { diag "status $?: $(cat "$tmp/err")"; return 1; }
	[ "$got" = "$want" ] && return 0
	diag "got:"; echo "$got" | sed 's/^/#   /'
	diag "want:"; echo "$want" | sed 's/^/#   /'
	return 1
}

# fails STATUS STDERR_REGEX CMD...: CMD exits STATUS, stderr matches
fails() {
	local want_rc=$1 re=$2 rc
	shift 2
	"$@" >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq "$want_rc" ] && grep -Eq "$re" "$tmp/err" && return 0
	diag "status $rc, stderr: $(cat "$tmp/err")"
	return 1
}

json_ok() {	# json_ok PYTHON_EXPR CMD...: CMD's JSON satisfies EXPR (j)
	local expr=$1
	shift
	"$@" >"$tmp/json" || return 1
	$PY -c "import json,sys; j=json.load(open(sys.argv[1])); assert $expr, j" "$tmp/json"
}

ktap_result "service_add" $C service add web queue 10-13 balance flow bypass
ktap_result "service_add_duplicate_extack" fails 1 \
	"^portsteerctl: service add web: File exists: service '[^']*' already exists" \
	$C service add web queue 1
ktap_result "service_show" out_is "service web queue 10-13 balance flow bypass rules 0" \
	$C service show web
ktap_result "service_show_json" json_ok \
	'list(j)[0] == "json_schema_version" and j["generation"] > 0 and j["services"] == [{"name": "web", "queue": 10, "queue_count": 4, "balance": "flow", "bypass": True, "rule_count": 0}]' \
	$C -j service show
ktap_result "service_show_unknown" fails 1 "service show nosuch: " $C service show nosuch
ktap_result "rule_add_list" $C rule add tcp dport http,https,8000-8080 service web
ktap_result "rule_show_numeric" out_is "inet tcp dport 80 service web
inet tcp dport 443 service web
inet tcp dport 8000-8080 service web" $C -n rule show
ktap_result "rule_show_names" out_is "inet tcp dport http service web
inet tcp dport https service web
inet tcp dport 8000-8080 service web" $C rule show
ktap_result "rule_add_all_or_none" eval \
	"fails 1 'rule add tcp dport 9000,443 service web: .+' $C rule add tcp dport 9000,443 service web &&
	 ! $C -n rule show | grep -q 'dport 9000 '"
ktap_result "rule_add_unknown_service_extack" fails 1 \
	"^portsteerctl: rule add udp dport 53 service nosuch: [^:]+: .+" \
	$C rule add udp dport 53 service nosuch
ktap_result "rule_add_family_split" eval \
	"$C service add dns queue 20 && $C rule add ip udp dport 53 service dns &&
	 $C rule add ip6 udp dport 53 service web"
ktap_result "rule_show_json" json_ok \
	'{"family": "ip", "proto": "udp", "port_min": 53, "port_max": 53, "direction": "dst", "service": "dns"} in j["rules"] and len(j["rules"]) == 5' \
	$C -j rule show
ktap_result "rule_del" eval "$C rule del tcp dport https && ! $C -n rule show | grep -q 'dport 443 '"
ktap_result "rule_del_missing_refused" fails 1 "rule del tcp dport 443: " $C rule del tcp dport 443
ktap_result "service_change" eval \
	"$C service change web queue 30-31 balance cpu nobypass &&
	 out_is 'service web queue 30-31 balance cpu rules 3' $C service show web"
ktap_result "rule_replace_moves" eval \
	"$C rule replace tcp dport http service dns &&
	 $C -n rule show | grep -q '^inet tcp dport 80 service dns$' &&
	 out_is 'service web queue 30-31 balance cpu rules 2' $C service show web &&
	 $C rule replace tcp dport 80 service web &&
	 out_is 'service web queue 30-31 balance cpu rules 3' $C service show web"
ktap_result "rule_replace_overlap_refused" fails 1 "overlaps" \
	$C rule replace tcp dport 79-80 service dns
printf '%s\n' '# one command per line' 'rule add udp dport 7777 service web' \
	'rule add udp dport 7777 service web' 'rule add udp dport 7778 service web' >"$tmp/batch"
ktap_result "batch_stops_at_first_failure" eval \
	"! $C -b $tmp/batch 2>$tmp/batch.err && grep -q '^$tmp/batch:3: ' $tmp/batch.err &&
	 $C -n rule show | grep -q 'udp dport 7777 service web' &&
	 ! $C -n rule show | grep -q 'udp dport 7778' && $C rule del udp dport 7777"
ktap_result "service_del_with_rules_refused" fails 1 "service del dns: " $C service del dns
ktap_result "service_del_with_rules" eval \
	"$C service del dns with-rules && ! $C rule show | grep -q dns && ! $C service show dns 2>/dev/null"
ktap_result "settings_set" $C settings set hook input priority -100 defrag on icmp-errors on seed 1234
ktap_result "settings_show" eval "$C settings show >$tmp/set &&
	grep -qx 'hook input' $tmp/set && grep -qx 'priority -100' $tmp/set &&
	grep -qx 'defrag on' $tmp/set && grep -qx 'icmp-errors on' $tmp/set &&
	grep -qx 'seed 1234' $tmp/set && grep -Eq '^rules 3 of [0-9]+$' $tmp/set"
ktap_result "settings_show_json" json_ok \
	'j["settings"]["hook"] == "input" and j["settings"]["priority"] == -100 and j["settings"]["seed"] == 1234 and j["settings"]["service_count"] == 1 and j["settings"]["rule_count"] == 3' \
	$C -j settings show
ktap_result "settings_defrag_priority_extack" fails 1 \
	"^portsteerctl: settings set priority -500: [^:]+: .+" \
	$C settings set priority -500
ktap_result "stats" eval "$C stats >$tmp/st && grep -Eq '^seen [0-9]+$' $tmp/st &&
	grep -Eq '^icmp-followed [0-9]+$' $tmp/st && grep -Eq '^service web packets [0-9]+ bytes [0-9]+$' $tmp/st"
ktap_result "stats_json_and_reset" eval "$C stats reset && json_ok \
	'set(j[\"netns\"]) == {\"seen\", \"matched\", \"unmatched\", \"no_l4\", \"malformed\", \"icmp_followed\", \"dropped\", \"exempt\"} and [(s[\"name\"], s[\"stats\"]) for s in j[\"services\"]] == [(\"web\", {\"packets\": 0, \"bytes\": 0})]' \
	$C -j stats"
ktap_result "show" out_is "service web queue 30-31 balance cpu rules 3
	inet tcp dport http
	inet tcp dport 8000-8080
	ip6 udp dport domain" $C show
ktap_result "show_json" json_ok \
	'j["generation"] > 0 and j["services"][0]["rules"][2] == {"family": "ip6", "proto": "udp", "port_min": 53, "port_max": 53, "direction": "dst"}' \
	$C -j show
ktap_result "netns_isolation" eval "! $CTL service show | grep -q web"
ktap_result "flush" eval "$C flush && out_is '' $C show && out_is '' $C rule show"
ktap_result "usage_errors_exit_2" eval \
	"fails 2 'unknown command' $C service frob && fails 2 'missing service name' $C service del &&
	 fails 2 \"invalid port '0'\" $C rule add tcp dport 0 service web"
ip netns del "$NS"
ps_unload
ktap_result "no_kernel_reports" eval 'kmsg_clean && kernel_untainted'
ktap_finish
