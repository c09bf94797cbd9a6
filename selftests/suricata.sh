#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Suricata 8 inline behind portsteer: the service "web" steers TCP port 80,
# both directions (input and output hooks), to queues 10-11, where Suricata
# runs in workers mode (a thread per queue). Skipped where suricata is not
# installed (only the sid guest's root has it: scripts/debian-root.sh).
#
#   +-------------+          +------------------------------------------+
#   | $C (client) |  veth    | $S (server)  10.81.0.1, 10.81.1.1        |
#   | 10.81.0.2   |----------| portsteer: tcp port 80 -> web, queues    |
#   | curl        |          |   10-11, hooks input,output              |
#   +-------------+     +----| suricata -q 10:11; python3 http.server   |
#   | $X 10.81.1.2|-----+    +------------------------------------------+
#   | curl (drop) |
#   +-------------+
#
# Two runs of Suricata (its start is most of the time under TCG):
#  accept mode: an http.uri rule alerts (Suricata saw both directions of
#    the connection, in order: app_layer.flow.http counts it), a drop rule
#    stops a request on its payload before the server, a normal request
#    still passes, and no packet of a flow reached the other thread
#    (tcp.pkt_on_wrong_thread);
#  repeat mode with a bypass mark: Suricata marks what it has seen (0x1)
#    and gives NF_REPEAT; the service's mark 0x1/0x1 lets it through when
#    the hook runs again: each packet reaches Suricata once (no "Packet
#    seems already treated") and is counted exempt once. A rule with the
#    bypass keyword makes Suricata add the bypass mark 0x2, which
#    selftests/suricata/bypass.nft saves to the conntrack mark; the
#    service's ctmark 0x2/0x2 then exempts the rest of that connection,
#    which never reaches the queues.
# Suricata's configuration and rules: selftests/suricata/.

. "$(dirname "$0")"/lib.sh

CONF=$SELFTESTS/suricata
C=psu-c-$$
S=psu-s-$$
X=psu-x-$$
URL=http://10.81.0.1
tmp=$(mktemp -d)
suri_pid=

cleanup() {
	suri_stop
	kill_jobs
	ip netns del "$C" 2>/dev/null
	ip netns del "$X" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

CTL_NS=$S

# suri_start DIR ARGS...: Suricata in $S on queues 10-11, logging to DIR,
# with more ARGS; succeeds once its engine started (at most 45 s)
suri_start() {
	local dir=$1 i t0=${EPOCHREALTIME/[.,]/}
	shift
	mkdir -p "$dir"
	ip netns exec "$S" suricata -c "$CONF/suricata.yaml" \
		--set default-rule-path="$CONF" -l "$dir" \
		-q 10:11 --runmode workers -k none "$@" >"$dir/stdout" 2>&1 &
	suri_pid=$!
	# Slow polls: under TCG every grep takes time from Suricata's start.
	for ((i = 0; i < 90; i++)); do
		if grep -qs "Engine started" "$dir/suricata.log"; then
			diag "suricata started in $(( (${EPOCHREALTIME/[.,]/} - t0) / 1000 )) ms"
			return 0
		fi
		kill -0 "$suri_pid" 2>/dev/null || break
		sleep 0.5
	done
	diag "suricata did not start; its log:"
	tail -n 20 "$dir/suricata.log" "$dir/stdout" 2>/dev/null | sed 's/^/#   /'
	return 1
}

# suri_stop: SIGTERM, at most 20 s to exit, then SIGKILL
suri_stop() {
	local i
	[ -n "$suri_pid" ] || return 0
	kill -TERM "$suri_pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$suri_pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$suri_pid" 2>/dev/null && diag "suricata did not stop in 20 s: killed"
	wait "$suri_pid" 2>/dev/null
	suri_pid=
}

# suri_read DIR: sets SV[NAME] for some counters of the last stats record in
# DIR/eve.json, and SV[alert.SID.ACTION] for the alerts. Once Suricata has
# exited: its threads sync their counters as they stop, and the stats
# thread, stopped after them, writes a last record.
declare -A SV
suri_read() {
	local k v
	SV=()
	while read -r k v; do
		SV[$k]=$v
	done < <(python3 - "$1/eve.json" <<-'PY'
	import json, sys
	last, alerts = {}, {}
	with open(sys.argv[1]) as f:
	    for line in f:
	        e = json.loads(line)
	        if e.get("event_type") == "stats":
	            last = e["stats"]
	        elif e.get("event_type") == "alert":
	            k = "alert.%d.%s" % (e["alert"]["signature_id"], e["alert"]["action"])
	            alerts[k] = alerts.get(k, 0) + 1
	for name in ("decoder.pkts", "app_layer.flow.http", "tcp.pkt_on_wrong_thread",
	             "ips.accepted", "ips.blocked", "flow_bypassed.local_capture_pkts"):
	    v = last
	    for part in name.split("."):
	        v = v.get(part) if isinstance(v, dict) else None
	    print(name, v if isinstance(v, int) else "none")
	for k, v in sorted(alerts.items()):
	    print(k, v)
	PY
	)
	diag "suricata: $(for k in "${!SV[@]}"; do printf '%s=%s ' "$k" "${SV[$k]}"; done)"
}

# get PATH...: one curl in $C, a connection for each PATH (the server
# closes each); prints the HTTP status of each, 000 for no response.
# GET_NS, GET_URL, GET_TIMEOUT: another client, server address, time limit.
get() {
	local p args=()
	for p; do
		args+=(-o /dev/null "${GET_URL:-$URL}$p")
	done
	ip netns exec "${GET_NS:-$C}" curl -s -m "${GET_TIMEOUT:-10}" \
		-w '%{http_code} ' "${args[@]}" 2>/dev/null
	echo
}

# counters: "EXEMPT STEERED", the exempt packets of $S and the packets
# steered to web
counters() {
	python3 -c 'import json, sys
print(json.loads(sys.argv[1])["netns"]["exempt"], json.loads(sys.argv[2])["services"][0]["stats"]["packets"])' \
		"$(ctl -j stats)" "$(ctl -j -s service show)"
}

# settled: sets E and P from counters once E equals P plus $1 (0) or
# more (at most 5 s); fails when it did not come to that
settled() {
	local i
	for ((i = 0; i < 10; i++)); do
		read -r E P < <(counters)
		[ -n "$E" ] && [ "$E" -ge $((P + ${1:-0})) ] && return 0
		sleep 0.5
	done
	return 1
}

# queues: the packets each of queues 10 and 11 was given, for the log
queues() {
	ip netns exec "$S" awk '$1 == 10 || $1 == 11 { printf "queue %s: %s packets ", $1, $8 }' \
		/proc/net/netfilter/nfnetlink_queue 2>/dev/null
}

# skip PREFIX REASON NAME...: PREFIX_NAME of each skipped, for REASON
skip() {
	local prefix=$1 reason=$2 n
	shift 2
	for n; do
		ktap_skip "${prefix}_$n" "$reason"
	done
}

accept_tests="suricata_started http_ok http_uri_alert app_layer_http drop_blocks_payload
	ok_after_drop no_wrong_thread"
repeat_tests="suricata_started http_ok exempt_each_packet_once bypass_rest_exempt
	not_treated_twice bypass_alert bypass_mark_saved no_wrong_thread"

if ! command -v suricata >/dev/null; then
	diag "no suricata (the sid guest's root has it: scripts/debian-root.sh)"
	exit $ksft_skip
fi
command -v "$CTL" >/dev/null || { diag "no portsteerctl"; exit $ksft_skip; }

ktap_header $(($(echo $accept_tests $repeat_tests | wc -w) + 3))
kmsg_mark

mkdir -p "$tmp/www"
echo probe >"$tmp/www/portsteer-probe"
echo plain >"$tmp/www/index.txt"
echo bypassed >"$tmp/www/portsteer-bypass"
# $X, a second client for the request Suricata drops, whose link goes
# after it: nothing of that connection comes later.
if ps_load && two_hosts "$C" "$S" 10.81.0 fd81 &&
   ip netns add "$X" && ip -n "$X" link add x0 type veth peer name s1 netns "$S" &&
   ip -n "$X" addr add 10.81.1.2/24 dev x0 && ip -n "$S" addr add 10.81.1.1/24 dev s1 &&
   ip -n "$X" link set x0 up && ip -n "$S" link set s1 up &&
   ctl service add web queue 10-11 balance flow bypass &&
   ctl rule add tcp port 80 service web && ctl settings set hook input,output; then
	ip netns exec "$S" python3 -u -m http.server 80 --bind 0.0.0.0 \
		--directory "$tmp/www" >"$tmp/http.log" 2>&1 &
	ktap_pass "setup"
else
	ktap_fail "setup"
	skip accept "setup failed" $accept_tests
	skip repeat "setup failed" $repeat_tests
	unload_and_finish
fi

# Accept mode.
if ! suri_start "$tmp/accept"; then
	ktap_fail "accept_suricata_started"
	skip accept "suricata did not start" ${accept_tests#suricata_started}
else
	ktap_pass "accept_suricata_started"
	for ((i = 0; i < 40; i++)); do
		grep -qs "Serving HTTP" "$tmp/http.log" && break
		sleep 0.5
	done
	[ $i -lt 40 ] || diag "the HTTP server is not up: $(cat "$tmp/http.log")"
	codes=$(get /portsteer-probe /index.txt /portsteer-probe?2 /index.txt?2)
	expect "accept_http_ok" "$codes" "200 200 200 200 "
	codes=$(GET_NS=$X GET_URL=http://10.81.1.1 GET_TIMEOUT=3 get /index.txt?EVIL-PAYLOAD)
	# Its socket, orphaned, would go on sending (and keeps $X alive):
	# the link goes.
	ip -n "$S" link del s1
	ip netns del "$X"
	after=$(get /index.txt?3)
	diag "$(queues)"
	suri_stop
	suri_read "$tmp/accept"
	expect "accept_http_uri_alert" "${SV[alert.9100001.allowed]:-0}" 2
	ktap_result "accept_app_layer_http" test "${SV[app_layer.flow.http]}" -ge 4 2>/dev/null
	# No response, the server never saw it, and Suricata says it dropped it.
	if [ "$codes" = "000 " ] && ! grep -q EVIL-PAYLOAD "$tmp/http.log" &&
	   [ "${SV[alert.9100002.blocked]:-0}" -ge 1 ]; then
		ktap_pass "accept_drop_blocks_payload"
	else
		diag "payload request: status '$codes', alerts ${SV[alert.9100002.blocked]:-0}, server log:"
		sed 's/^/#   /' "$tmp/http.log"
		ktap_fail "accept_drop_blocks_payload"
	fi
	expect "accept_ok_after_drop" "$after" "200 "
	expect "accept_no_wrong_thread" "${SV[tcp.pkt_on_wrong_thread]}" 0
fi
suri_stop

# Repeat mode, with a bypass mark saved to the conntrack mark.
ctl service change web mark 0x1/0x1 ctmark 0x2/0x2 || diag "the marks were refused"
ip netns exec "$S" nft -f "$CONF/bypass.nft" || diag "bypass.nft was refused"
if ! suri_start "$tmp/repeat" --set nfq.mode=repeat \
	--set nfq.repeat-mark=1 --set nfq.repeat-mask=1 \
	--set nfq.bypass-mark=2 --set nfq.bypass-mask=2 ||
   ! grep -q "NFQ running in REPEAT mode with mark 1/1" "$tmp/repeat/suricata.log"; then
	ktap_fail "repeat_suricata_started"
	skip repeat "suricata did not start" ${repeat_tests#suricata_started}
else
	ktap_pass "repeat_suricata_started"
	ctl stats reset
	codes=$(get /portsteer-probe /index.txt /index.txt?2)
	expect "repeat_http_ok" "$codes" "200 200 200 "
	# Every packet steered came back with the repeat mark: exempt once.
	if settled 0; then
		diag "exempt $E, steered $P"
		ktap_result "repeat_exempt_each_packet_once" test "$E" -eq "$P" -a "$P" -gt 0
	else
		diag "exempt ${E:-?} never reached steered ${P:-?}"
		ktap_fail "repeat_exempt_each_packet_once"
	fi
	E0=$E P0=$P
	codes=$(get /portsteer-bypass)
	# More exempt than steered: packets exempted by the conntrack mark
	# that never went to a queue (each steered one is exempt once).
	if [ "$codes" = "200 " ] && settled 1 && [ $((E - E0)) -gt $((P - P0)) ]; then
		diag "bypassed connection: exempt $((E - E0)), steered $((P - P0))"
		ktap_pass "repeat_bypass_rest_exempt"
	else
		diag "bypassed connection: status '$codes', exempt $((${E:-0} - E0)), steered $((${P:-0} - P0))"
		ktap_fail "repeat_bypass_rest_exempt"
	fi
	marked=$(ip netns exec "$S" nft list table inet portsteer_bypass 2>/dev/null |
		awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) }
		     END { print s + 0 }')
	diag "$(queues)"
	suri_stop
	suri_read "$tmp/repeat"
	n=$(grep -c "Packet seems already treated" "$tmp/repeat/suricata.log")
	expect "repeat_not_treated_twice" "$n" 0
	expect "repeat_bypass_alert" "${SV[alert.9100003.allowed]:-0}" 1
	ktap_result "repeat_bypass_mark_saved" test "$marked" -ge 1
	expect "repeat_no_wrong_thread" "${SV[tcp.pkt_on_wrong_thread]}" 0
fi
suri_stop

kill_jobs
ip netns del "$C"
ip netns del "$X" 2>/dev/null
ip netns del "$S"
unload_and_finish
