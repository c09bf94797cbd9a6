#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Behind an inline IPS: both directions of every connection in one queue of
# a multi-queue service, on a host (hooks input,output) and on a router
# (hook forward), IPv4 and IPv6, TCP and UDP; a consumer in repeat mode
# sees each packet once; a connection whose conntrack mark the consumer's
# bypass mark set skips the queue. The consumer is nfq_consumer.py.
#
#   host:   $C (10.79.1.2, fd79:1::2) ---- $S (10.79.1.1, fd79:1::1, portsteer)
#   router: $C (10.78.1.2) ---- $R (portsteer) ---- $S (10.78.2.2)

. "$(dirname "$0")"/lib.sh

here=$(cd "$(dirname "$0")" && pwd)
CONNS=$here/conns.py
CONSUMER=$here/nfq_consumer.py
C=pic-$$
S=pis-$$
R=pir-$$
# Enough connections that a queue left unused would be a fault: 64 over 4
# queues leave one empty once in 10^7 runs.
N=64
tmp=$(mktemp -d)

cleanup() {
	kill_jobs
	ip netns del "$C" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	ip netns del "$R" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# start_bg NS NAME CMD...: CMD in NS, in the background, until it prints a
# line (bound, ready); its output in $tmp/NAME.out
start_bg() {
	local ns=$1 name=$2
	shift 2
	ip netns exec "$ns" "$@" >"$tmp/$name.out" 2>&1 &
	echo $! >"$tmp/$name.pid"
	busywait 20000 test -s "$tmp/$name.out"
}

stop_bg() {
	local pid
	pid=$(cat "$tmp/$1.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$tmp/$1.pid"
}

# stat NAME: a counter of the namespace
stat() {
	ctl -j stats | jget "d['netns']['$1']"
}

svc_packets() {
	ctl -j -s service show | jget "sum(s['stats']['packets'] for s in d['services'])"
}

# exchanges DST...: N TCP and N UDP exchanges with each address from $C
exchanges() {
	local dst ok=0
	for dst in "$@"; do
		ip netns exec "$C" python3 "$CONNS" connect tcp "$dst" 80 "$N" >/dev/null &&
		ip netns exec "$C" python3 "$CONNS" connect udp "$dst" 53 "$N" >/dev/null ||
			ok=1
	done
	return $ok
}

# both_ways TOPOLOGY NFAMILIES: run the exchanges through the consumer and
# check what it saw
both_ways() {
	local topo=$1 want=$(( $2 * N )) q=4 out
	shift 2
	ctl stats reset
	start_bg "$CTL_NS" consumer python3 "$CONSUMER" 10-17 "$tmp/$topo.json" ||
		diag "consumer did not start"
	ktap_result "${topo}_exchanges_complete" exchanges "$@"
	stop_bg consumer
	for port in 80 53; do
		out=$(python3 "$CONNS" summary "$tmp/$topo.json" $port)
		diag "$topo port $port: $out"
		expect "${topo}_port_${port}_one_queue_per_connection" \
			"$(sed 's/ queues.*//' <<<"$out")" "conns=$want one_queue=$want both_dirs=$want"
		expect "${topo}_port_${port}_all_queues_used" \
			"$(grep -o 'queues=[0-9]*' <<<"$out")" "queues=$q"
	done
	out=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["packets"]))' \
		"$tmp/$topo.json")
	expect "${topo}_exact_counts" "$(stat matched) $(svc_packets)" "$out $out"
}

configure() {
	ctl flush
	ctl service add web queue 10-13 &&
	ctl service add dns queue 14-17 &&
	ctl rule add tcp port 80 service web &&
	ctl rule add udp port 53 service dns
}

test_host() {
	CTL_NS=$S
	ktap_result "host_config" eval 'configure && ctl settings set hook input,output'
	start_bg "$S" tcpd python3 "$CONNS" serve tcp 80 300
	start_bg "$S" udpd python3 "$CONNS" serve udp 53 300
	both_ways host 2 10.79.1.1 fd79:1::1
}

test_rules() {
	CTL_NS=$S
	expect "dport_overlaps_port" "$(ctl rule add tcp dport 80 service web 2>&1 >/dev/null | grep -c overlaps)" 1
	expect "sport_overlaps_port" "$(ctl rule add tcp sport 80-81 service web 2>&1 >/dev/null | grep -c overlaps)" 1
	ktap_result "dport_beside_sport" eval 'ctl rule add tcp sport 8080 service web &&
		ctl rule add tcp dport 8080 service dns && ctl rule del tcp sport 8080 &&
		ctl rule del tcp dport 8080'
	ktap_result "prerouting_with_input_refused" eval '! ctl settings set hook prerouting,input 2>/dev/null'
	expect "hooks_unchanged" "$(ctl -j settings show | jget "','.join(d['settings']['hooks'])")" "input,output"
}

# A consumer in repeat mode marks every packet and gives NF_REPEAT: the
# hook runs again, and the mark lets the packet through, once.
test_repeat() {
	local seen
	CTL_NS=$S
	ctl service change web mark 0x1/0x1
	ctl stats reset
	start_bg "$S" consumer python3 "$CONSUMER" 10-17 "$tmp/repeat.json" --repeat 0x1
	ktap_result "repeat_exchanges_complete" eval 'ip netns exec "$C" python3 "$CONNS" connect tcp 10.79.1.1 80 8 >/dev/null'
	stop_bg consumer
	seen=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["packets"]))' \
		"$tmp/repeat.json")
	diag "repeat: consumer saw $seen packets"
	expect "repeat_each_packet_once" "$(stat matched) $(stat exempt)" "$seen $seen"
	ctl service change web mark none
}

# A consumer done with a connection marks its packets (Suricata's bypass
# mark); the ruleset saves the mark to the connection; the rest of the
# connection skips the queue.
test_ct_bypass() {
	local seen total err
	CTL_NS=$S
	err=$(ctl service change web ctmark 0x2/0x2 2>&1)
	if [[ $err == *CONFIG_NF_CONNTRACK_MARK* ]]; then
		ktap_skip_all "no conntrack marks in this kernel" ct_bypass:5
		return
	fi
	expect "ctmark_config" "$err" ""
	ktap_result "ctmark_conntrack_loaded" test -d /sys/module/nf_conntrack
	ip netns exec "$S" nft -f - <<-EOF
	table inet keep {
		chain keep_in { type filter hook input priority 10; meta mark 0x2 ct mark set meta mark; }
		chain keep_out { type filter hook output priority 10; meta mark 0x2 ct mark set meta mark; }
	}
	EOF
	ctl stats reset
	start_bg "$S" consumer python3 "$CONSUMER" 10-17 "$tmp/bypass.json" --mark-after 2:0x2
	ktap_result "bypass_exchanges_complete" eval 'ip netns exec "$C" python3 "$CONNS" connect tcp 10.79.1.1 80 8 >/dev/null'
	stop_bg consumer
	seen=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["packets"]))' \
		"$tmp/bypass.json")
	total=$(( $(stat matched) + $(stat exempt) ))
	diag "bypass: consumer saw $seen packets, $(stat exempt) exempt of $total"
	ktap_result "bypass_skips_queue" test "$(stat exempt)" -ge 8 -a "$seen" -eq "$(stat matched)"
	ip netns exec "$S" nft delete table inet keep
	ktap_result "ctmark_priority_checked" eval '! ctl settings set priority -200 2>/dev/null'
	ctl service change web ctmark none
}

test_router() {
	local ns
	CTL_NS=$R
	stop_bg tcpd
	stop_bg udpd
	for ns in "$C" "$R" "$S"; do
		ip netns del "$ns" 2>/dev/null
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	ip -n "$C" link add c0 type veth peer name r1 netns "$R"
	ip -n "$S" link add s0 type veth peer name r2 netns "$R"
	ip -n "$C" addr add 10.78.1.2/24 dev c0
	ip -n "$C" addr add fd78:1::2/64 dev c0 nodad
	ip -n "$R" addr add 10.78.1.1/24 dev r1
	ip -n "$R" addr add fd78:1::1/64 dev r1 nodad
	ip -n "$R" addr add 10.78.2.1/24 dev r2
	ip -n "$R" addr add fd78:2::1/64 dev r2 nodad
	ip -n "$S" addr add 10.78.2.2/24 dev s0
	ip -n "$S" addr add fd78:2::2/64 dev s0 nodad
	for ns in "$C:c0" "$S:s0" "$R:r1" "$R:r2"; do
		ip -n "${ns%:*}" link set "${ns#*:}" up
	done
	ip -n "$C" route add default via 10.78.1.1
	ip -n "$C" -6 route add default via fd78:1::1
	ip -n "$S" route add default via 10.78.2.1
	ip -n "$S" -6 route add default via fd78:2::1
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ktap_result "router_config" eval 'configure && ctl settings set hook forward'
	start_bg "$S" tcpd2 python3 "$CONNS" serve tcp 80 300
	start_bg "$S" udpd2 python3 "$CONNS" serve udp 53 300
	both_ways router 2 10.78.2.2 fd78:2::2
}

ktap_header "$(ktap_plan host:7 rules:5 repeat:2 ct_bypass:5 router:7)"
kmsg_mark
ps_unload
if ! ps_load || ! two_hosts "$C" "$S" 10.79.1 fd79:1 ||
   ! ip netns exec "$C" ping -q -c1 -W5 fd79:1::1 >/dev/null; then
	ktap_fail "setup"
	ktap_finish
fi
ktap_run host:7 rules:5 repeat:2 ct_bypass:5 router:7
unload_and_finish
