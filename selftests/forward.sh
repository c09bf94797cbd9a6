#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The hook point: prerouting sees forwarded traffic, input does not; moving
# the hook keeps the configuration.
#
#   +-----------+       +----------------------+       +-----------+
#   | $C        |-------| $R (router, portsteer)|------| $S        |
#   | 10.78.1.2 |       | 10.78.1.1  10.78.2.1  |      | 10.78.2.2 |
#   | fd78:1::2 |       | fd78:1::1  fd78:2::1  |      | fd78:2::2 |
#   +-----------+       +----------------------+       +-----------+

. "$(dirname "$0")"/lib.sh

here=$(cd "$(dirname "$0")" && pwd)
PKT=$here/pkt.py
C=pfc-$$
R=pfr-$$
S=pfs-$$

cleanup() {
	ip netns del "$C" 2>/dev/null
	ip netns del "$R" 2>/dev/null
	ip netns del "$S" 2>/dev/null
}
trap cleanup EXIT

CTL_NS=$R

fw_packets() {
	ctl -j -s service show | jget "d['services'][0]['stats']['packets']"
}

setup() {
	local ns
	for ns in "$C" "$R" "$S"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
	done
	ip -n "$C" link add c0 type veth peer name r1 netns "$R" || return 1
	ip -n "$S" link add s0 type veth peer name r2 netns "$R" || return 1
	ip -n "$C" addr add 10.78.1.2/24 dev c0
	ip -n "$C" addr add fd78:1::2/64 dev c0 nodad
	ip -n "$R" addr add 10.78.1.1/24 dev r1
	ip -n "$R" addr add fd78:1::1/64 dev r1 nodad
	ip -n "$R" addr add 10.78.2.1/24 dev r2
	ip -n "$R" addr add fd78:2::1/64 dev r2 nodad
	ip -n "$S" addr add 10.78.2.2/24 dev s0
	ip -n "$S" addr add fd78:2::2/64 dev s0 nodad
	ip -n "$C" link set c0 up
	ip -n "$S" link set s0 up
	ip -n "$R" link set r1 up
	ip -n "$R" link set r2 up
	ip -n "$C" route add default via 10.78.1.1
	ip -n "$C" -6 route add default via fd78:1::1
	ip -n "$S" route add default via 10.78.2.1
	ip -n "$S" -6 route add default via fd78:2::1
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip netns exec "$C" ping -q -c1 -W5 10.78.2.2 >/dev/null &&
		ip netns exec "$C" ping -q -c1 -W5 fd78:2::2 >/dev/null
}

ktap_header 7
kmsg_mark
ps_unload
if ! ps_load || ! setup; then
	ktap_fail "setup"
	ktap_finish
fi
ctl service add fw queue 50 bypass
ctl rule add udp dport 7000 service fw
# $S answers port unreachable through $R; datapath.sh tests following those.
ctl settings set icmp-errors off

# Prerouting: forwarded traffic is steered (and flows on: bypass).
ip netns exec "$C" python3 "$PKT" l4 4 udp 10.78.2.2 7000 --count 3
ip netns exec "$C" python3 "$PKT" l4 6 udp fd78:2::2 7000 --count 2
expect "prerouting_sees_forwarded" "$(fw_packets)" 5

# Input: forwarded traffic is not seen, local traffic is.
ctl settings set hook input
expect "hook_change_keeps_rules" "$(ctl -j settings show | jget "d['settings']['hook'], d['settings']['rule_count'], d['settings']['hook_active']" | tr -d "(),'")" "input 1 True"
ctl stats reset
ip netns exec "$C" python3 "$PKT" l4 4 udp 10.78.2.2 7000 --count 3
ip netns exec "$C" python3 "$PKT" l4 6 udp fd78:2::2 7000 --count 2
expect "input_ignores_forwarded" "$(fw_packets)" 0
ip netns exec "$C" python3 "$PKT" l4 4 udp 10.78.1.1 7000 --count 2
ip netns exec "$C" python3 "$PKT" l4 6 udp fd78:1::1 7000 --count 1
expect "input_sees_local" "$(fw_packets)" 3

# A priority change re-registers, and the configuration stays.
ctl settings set hook prerouting priority -150
ctl stats reset
ip netns exec "$C" python3 "$PKT" l4 4 udp 10.78.2.2 7000 --count 4
expect "priority_change_keeps_steering" "$(fw_packets)" 4

ktap_result "unload" ps_unload
ktap_result "no_kernel_reports" eval 'kmsg_clean && kernel_untainted'
ktap_finish
