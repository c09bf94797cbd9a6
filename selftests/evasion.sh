#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The evasion set (selftests/evasion.py): datagrams to a steered port whose
# service drops all it gets, cut every way that could carry them past the
# queue (whole, ports-only first fragments, tiny fragments, out of order,
# TCP options or the whole transport header in the second fragment, first
# fragments without ports, a second first fragment rewriting the ports),
# IPv4 and IPv6, every protocol, with defrag off and on: the server's
# transport layer must get none of them (its MIB counters), while the same
# cuts to a port no rule covers reach it. PS_EVASION_COUNT: trains per case
# (5).

. "$(dirname "$0")"/lib.sh

here=$(cd "$(dirname "$0")" && pwd)
C=pse-c-$$
S=pse-s-$$
COUNT=${PS_EVASION_COUNT:-5}

cleanup() {
	ip netns del "$C" 2>/dev/null
	ip netns del "$S" 2>/dev/null
}
trap cleanup EXIT

kmsg_mark
ps_load || { ktap_header 1; ktap_fail "load"; ktap_finish; }
# the client's own stack stays silent: the frames are hand-made
two_hosts "$C" "$S" 10.77.0 fd77 raw
# The server answers nothing the client's stack would have to handle.
ip netns exec "$S" sysctl -qw net.ipv4.icmp_ratelimit=0
mac=$(ip netns exec "$S" cat /sys/class/net/s0/address)

CTL_NS=$S
# Off before anything turns it on: before 5.13, defragmentation once on
# in a namespace stays on (compat.h).
ctl settings set defrag off
# No consumer and no bypass: the service drops all it gets.
ctl service add trap queue 40
for p in tcp udp udplite sctp dccp; do
	ctl rule add inet $p dport 7000 service trap
done

n=$(python3 "$here/evasion.py" --cases)
ktap_header $((2 * n + 3))
for defrag in off on; do
	ctl settings set defrag $defrag
	flag=
	[ $defrag = on ] && flag=--defrag
	ktap_lines < <(ip netns exec "$C" python3 "$here/evasion.py" --dev c0 --dst-mac "$mac" \
		--peer "$S" --ctl "$CTL" --count "$COUNT" --tag "defrag_$defrag" $flag 2>&1)
done
diag "$(ctl stats | tr '\n' ' ')"
ktap_result "matched_but_nothing_delivered" test "$(ctl -j stats | jget 'd["netns"]["matched"] > 0')" = True

ip netns del "$C"
ip netns del "$S"
unload_and_finish
