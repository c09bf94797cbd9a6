#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# portsteerctl listen: the NFQUEUE consumer receives exactly what was sent,
# gives the verdict asked for, unbinds on exit and on SIGTERM; show -s
# reports a queue without consumer and an overflowing queue.
#
#   ns "a" (10.99.1.1, fd99::1) veth0 ---- veth0 ns "b" (10.99.1.2, fd99::2)
#                                           nft: udp dport 5000 -> queue 10
#                                           portsteer: udp dport 6000 -> svc
#
# Traffic stays inside the two namespaces; every wait is bounded.

. "$(dirname "$0")"/lib.sh

A=ps-ctl-$$-a
B=ps-ctl-$$-b
tmp=$(mktemp -d)
PY=/usr/bin/python3
ktap_header 21
kmsg_mark

cleanup() {
	kill_jobs
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

command -v "$CTL" >/dev/null || { diag "no portsteerctl"; exit $ksft_skip; }

ip netns add "$A" && ip netns add "$B" &&
ip -n "$A" link add veth0 type veth peer name veth0 netns "$B" &&
ip -n "$A" addr add 10.99.1.1/24 dev veth0 &&
ip -n "$B" addr add 10.99.1.2/24 dev veth0 &&
ip -n "$A" addr add fd99::1/64 dev veth0 nodad &&
ip -n "$B" addr add fd99::2/64 dev veth0 nodad &&
ip -n "$A" link set veth0 up && ip -n "$B" link set veth0 up &&
ip -n "$A" link set lo up && ip -n "$B" link set lo up ||
	{ diag "topology setup failed"; exit $ksft_skip; }

if ! ip netns exec "$B" nft -f - <<-EOF
	table inet ctltest {
		chain input {
			type filter hook input priority 0; policy accept;
			udp dport 5000 queue num 10
		}
	}
EOF
then
	diag "nft queue not available"
	exit $ksft_skip
fi

# send FAMILY DPORT COUNT [SPORT]: COUNT datagrams "pkt-N" from a to b
send() {
	ip netns exec "$A" $PY - "$@" <<-'EOF'
	import socket, sys
	fam, dport, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	sport = int(sys.argv[4]) if len(sys.argv) > 4 else 40000
	af, dst = (socket.AF_INET, "10.99.1.2") if fam == "4" else (socket.AF_INET6, "fd99::2")
	s = socket.socket(af, socket.SOCK_DGRAM)
	s.bind(("", sport))
	for i in range(count):
	    s.sendto(b"pkt-%d" % i, (dst, dport))
	EOF
}

# recv_start PORT SECONDS [WANT]: a receiver in b; prints how many it got
# after SECONDS, or as soon as it got WANT
recv_start() {
	ip netns exec "$B" $PY - "$@" >"$tmp/recv.$1" <<-'EOF' &
	import socket, sys, select, time
	port, secs = int(sys.argv[1]), float(sys.argv[2])
	want = int(sys.argv[3]) if len(sys.argv) > 3 else 0
	s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
	s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
	s.bind(("::", port))
	n, end = 0, time.time() + secs
	print("ready", flush=True)
	while time.time() < end and not (want and n >= want):
	    r, _, _ = select.select([s], [], [], 0.1)
	    if r:
	        s.recv(2048)
	        n += 1
	print(n, flush=True)
	EOF
	busywait 10000 grep -q ready "$tmp/recv.$1"
}

# listen_start NAME ARGS...: listen in b, output in $tmp/NAME, wait for ready
listen_start() {
	local name=$1
	shift
	# ip netns exec execs portsteerctl: $! is its pid
	ip netns exec "$B" "$CTL" "$@" >"$tmp/$name" 2>"$tmp/$name.err" &
	LPID=$!
	busywait 10000 grep -q listening "$tmp/$name"
}

queue_bound() {	# queue_bound Q: a row for Q in b's nfnetlink_queue
	ip netns exec "$B" awk -v q="$1" '$1 == q { f = 1 } END { exit !f }' \
		/proc/net/netfilter/nfnetlink_queue 2>/dev/null
}

# 1-5: four IPv4 datagrams, count 4, exact lines
recv_start 5000 30 4
listen_start l1 listen queue 10 count 4 timeout 20
ktap_result "listen_ready_line" test "$(head -n1 "$tmp/l1")" = "listening queue 10"
ktap_result "listen_bound_in_proc" queue_bound 10
send 4 5000 4 40001
busywait 20000 grep -q '^total:' "$tmp/l1"
cat >"$tmp/l1.want" <<-EOF
	queue 10 ip udp 10.99.1.1:40001 -> 10.99.1.2:5000 len 33
	queue 10 ip udp 10.99.1.1:40001 -> 10.99.1.2:5000 len 33
	queue 10 ip udp 10.99.1.1:40001 -> 10.99.1.2:5000 len 33
	queue 10 ip udp 10.99.1.1:40001 -> 10.99.1.2:5000 len 33
	queue 10: 4 packets
	total: 4 packets
EOF
sed -n '2,$p' "$tmp/l1" | sed -E 's/^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} //' >"$tmp/l1.got"
ktap_result "listen_exact_lines_ipv4" diff -u "$tmp/l1.want" "$tmp/l1.got"
# the time as tcpdump prints it; with epoch (below) seconds since the epoch
ktap_result "listen_time_field" eval "sed -n 2p '$tmp/l1' | grep -Eq '^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{6} queue '"
wait
ktap_result "listen_accept_delivers" test "$(tail -n1 "$tmp/recv.5000")" = 4
ktap_result "listen_unbinds_after_count" eval '! queue_bound 10'
cat "$tmp/l1.err" | sed 's/^/# stderr: /'

# 7: IPv6 and the verdict drop
recv_start 5000 4
listen_start l2 listen queue 10 count 2 timeout 20 verdict drop epoch
send 6 5000 2 40002
busywait 20000 grep -q '^total:' "$tmp/l2"
wait
ktap_result "listen_ipv6_line" eval "grep -Eq '^[0-9]{10}\.[0-9]{6} queue 10 ip6 udp \[fd99::1\]:40002 -> \[fd99::2\]:5000 len 53$' '$tmp/l2'"
ktap_result "listen_drop_verdict" test "$(tail -n1 "$tmp/recv.5000")" = 0

# 9: JSON, one object per line
listen_start l3 -j listen queue 10 count 3 timeout 20
send 4 5000 3 40003
busywait 20000 grep -q '"summary"' "$tmp/l3"
wait
ktap_result "listen_json" $PY - "$tmp/l3" <<-'EOF'
	import json, sys
	lines = [json.loads(l) for l in open(sys.argv[1])]
	for l in lines:
	    assert list(l)[0] == "json_schema_version" and l.pop("json_schema_version") == 1, l
	assert lines[0] == {"type": "listening", "queue": 10, "queue_count": 1}, lines[0]
	pk = [l for l in lines if l["type"] == "packet"]
	assert len(pk) == 3, pk
	for p in pk:
	    assert p["family"] == "ip" and p["proto"] == "udp" and p["src"] == "10.99.1.1"
	    assert p["sport"] == 40003 and p["dport"] == 5000 and p["len"] == 33
	    assert p["verdict"] == "accept" and p["queue"] == 10
	assert lines[-1] == {"type": "summary", "packets": 3,
	                     "queues": [{"queue": 10, "packets": 3}]}, lines[-1]
EOF

# 10-11: SIGTERM ends it cleanly, with the summary, and unbinds
listen_start l4 listen queue 10
send 4 5000 2 40004
busywait 10000 eval "[ \$(grep -c ' queue 10 ' '$tmp/l4') -ge 2 ]"
kill -TERM $LPID
wait
ktap_result "listen_sigterm_summary" grep -qx 'total: 2 packets' "$tmp/l4"
ktap_result "listen_sigterm_unbinds" eval '! queue_bound 10'

# 12-13: a second consumer on a bound queue is refused, naming it
listen_start l5 listen queue 10 timeout 20
ip netns exec "$B" "$CTL" listen queue 10 count 1 timeout 1 >/dev/null 2>"$tmp/busy.err"
rc=$?
ktap_result "listen_busy_queue_refused" test $rc -eq 1
ktap_result "listen_busy_queue_message" grep -q 'cannot bind queue 10' "$tmp/busy.err"
kill -TERM $LPID
wait

# 14-18: with portsteer: listen SERVICE, and show -s consumer states
ip netns exec "$B" nft delete table inet ctltest
if ! ps_load; then
	ktap_skip "listen_service_ready" "module did not load"
	ktap_skip "listen_service_total" "module did not load"
	ktap_skip "show_stats_no_consumer" "module did not load"
	ktap_skip "show_stats_overflow" "module did not load"
	ktap_skip "no_kernel_reports" "module did not load"
	ktap_finish
fi
P="ip netns exec $B $CTL"
$P service add svc queue 20-21 balance flow
$P rule add udp dport 6000 service svc
listen_start l6 listen svc count 5 timeout 30
ktap_result "listen_service_ready" test "$(head -n1 "$tmp/l6")" = "listening queue 20-21"
send 4 6000 5 40006
busywait 20000 grep -q '^total:' "$tmp/l6"
wait
ktap_result "listen_service_total" grep -qx 'total: 5 packets' "$tmp/l6"

# An nft queue before portsteer's hook: the consumer's accept verdict runs
# the rest of the hooks, portsteer's among them, from its process
# (nf_reinject()), not in softirq. portsteer counts them, per CPU, safely.
ip netns exec "$B" nft -f - <<-EOF
	table inet reinject {
		chain pre {
			type filter hook prerouting priority -10; policy accept;
			udp dport 6100 queue num 12
		}
	}
EOF
$P service add after queue 22 bypass
$P rule add udp dport 6100 service after
recv_start 6100 30 5
listen_start l8 listen queue 12 count 5 timeout 30
send 4 6100 5 40008
busywait 20000 grep -q '^total:' "$tmp/l8"
wait
after_counted() {
	test "$(tail -n1 "$tmp/recv.6100")" = 5 &&
		$P -s service show after | grep -q '^service after .* packets 5 '
}
ktap_result "reinjected_packets_steered_from_process_context" after_counted
ip netns exec "$B" nft delete table inet reinject
$P service del after with-rules

# No consumer on 20-21 now; then one that stops reading with a queue of 4.
$P -s show >"$tmp/show1"
sed 's/^/# /' "$tmp/show1"
no_consumer() {
	grep -q 'queue 20: no consumer' "$tmp/show1" &&
		grep -q 'queue 21: no consumer' "$tmp/show1"
}
ktap_result "show_stats_no_consumer" no_consumer
$P service change svc queue 20
listen_start l7 listen svc maxlen 4 no-fail-open timeout 60
kill -STOP $LPID
send 4 6000 10 40007
overflowing() {
	$P -s show >"$tmp/show2" &&
	grep -Eq 'queue 20: bound portid [0-9]+ waiting 4 dropped 6 user-dropped 0' "$tmp/show2"
}
busywait 10000 overflowing
$P -s -j show >"$tmp/show2.json"
kill -CONT $LPID
kill -TERM $LPID
wait
sed 's/^/# /' "$tmp/show2"
overflow_json() {
	$PY - "$tmp/show2.json" <<-'EOF'
	import json, sys
	q = json.load(open(sys.argv[1]))["services"][0]["queues"][0]
	assert q["bound"] and q["waiting"] == 4 and q["dropped"] == 6, q
	EOF
}
overflow_text() {
	grep -Eq 'queue 20: bound portid [0-9]+ waiting 4 dropped 6 user-dropped 0' "$tmp/show2"
}
ktap_result "show_stats_overflow" eval 'overflow_text && overflow_json'

# Another NFQUEUE user's packets stay queued when portsteer's last rule goes:
# unregistering a hook would make the kernel drop every packet queued in the
# namespace, so portsteer's hook stays registered, standing aside.
ip netns exec "$B" nft -f - <<-EOF
	table inet other {
		chain input {
			type filter hook input priority 0; policy accept;
			udp dport 6200 queue num 13
		}
	}
EOF
ip netns exec "$B" $PY "$PS_SELFTESTS/nfq_hold.py" 13 60 >"$tmp/hold" &
busywait 10000 grep -q bound "$tmp/hold"
send 4 6200 3 40009
# waiting QUEUE: how many packets the queue holds
waiting() {
	ip netns exec "$B" awk -v q="$1" '$1 == q { print $3 }' /proc/net/netfilter/nfnetlink_queue
}
busywait 10000 eval 'test "$(waiting 13)" = 3'
$P flush
sleep 0.2
diag "queue 13 holds $(waiting 13) packets after portsteer's flush"
ktap_result "flush_keeps_other_users_packets" test "$(waiting 13)" = 3
kill_jobs

# Packets portsteer queued, held at prerouting when defragmentation goes:
# its hooks (before portsteer's) leave, and the kernel drops what is queued
# in the namespace. Before 6.10 that drop warns unless portsteer has
# dropped them first, while the hook indexes they hold are still valid.
$P service add held queue 14 >/dev/null &&
	$P rule add udp dport 6201 service held >/dev/null || diag "held: configuration failed"
ip netns exec "$B" $PY "$PS_SELFTESTS/nfq_hold.py" 14 60 >"$tmp/hold14" &
busywait 10000 grep -q bound "$tmp/hold14"
send 4 6201 3 40010
busywait 10000 eval 'test "$(waiting 14)" = 3'
diag "queue 14 holds $(waiting 14) packets before defrag goes"
$P settings set defrag off
sleep 0.2
ktap_result "defrag_off_drops_held_packets" test "$(waiting 14)" = 0
kill_jobs
ip netns exec "$B" nft delete table inet other
ps_unload
ktap_result "no_kernel_reports" eval 'kmsg_clean && kernel_untainted'
ktap_finish
