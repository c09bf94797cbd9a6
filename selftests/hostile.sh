#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile packets (selftests/hostile.py) from a client netns into a server
# netns whose portsteer steers port 7000 of every protocol: each kind must be
# dropped by the IP layer or counted as malformed or no-L4, and none steered.
# Then the same fragments with defragmentation on: overlapping ones never
# reach the hook, and no splat. PS_HOSTILE_COUNT: frames of each kind (20).

. "$(dirname "$0")"/lib.sh

here=$(cd "$(dirname "$0")" && pwd)
C=psh-c-$$
S=psh-s-$$
COUNT=${PS_HOSTILE_COUNT:-20}

cleanup() {
	ip netns del "$C" 2>/dev/null
	ip netns del "$S" 2>/dev/null
}
trap cleanup EXIT

kmsg_mark
ps_load || { ktap_header 1; ktap_fail "load"; ktap_finish; }
# The client's own stack stays silent (no router or neighbour solicitation,
# no MLD): the server's counters then hold only the hostile frames.
two_hosts "$C" "$S" 10.77.0 fd77 raw
# jumbo frames: the non-linear kinds are 4-6 kB
ip -n "$C" link set c0 mtu 9000
ip -n "$S" link set s0 mtu 9000
mac=$(ip netns exec "$S" cat /sys/class/net/s0/address)

CTL_NS=$S
# Off before the first rule turns it on: before 5.13, defragmentation once
# on in a namespace stays on.
ctl settings set defrag off icmp-errors on
ctl service add target queue 30
for p in tcp udp udplite sctp dccp; do
	ctl rule add inet $p dport 7000 service target
done

ktap_header $(( $(python3 "$here/hostile.py" --kinds) + 3 ))
ktap_lines < <(ip netns exec "$C" python3 "$here/hostile.py" --dev c0 --dst-mac "$mac" \
	--peer "$S" --ctl "$CTL" --count "$COUNT" 2>&1)

# With defragmentation on, overlapping fragments are dropped by the
# reassembly and never classified: nothing is steered.
ctl settings set defrag on
before=$(ctl -j stats | jget 'd["netns"]["matched"]')
ip netns exec "$C" python3 -c "
import socket, sys
sys.path.insert(0, '$here')
import hostile as h
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('c0', 0))
src = open('/sys/class/net/c0/address').read().strip()
eth = bytes.fromhex('$mac'.replace(':', '')) + bytes.fromhex(src.replace(':', '')) + b'\x08\x00'
tcp = h.l4(h.TCP)
for i in range($COUNT):
    ident = 100 + i
    for p in (h.ip4(tcp[:8], h.TCP, frag=0x2000, ident=ident),
              h.ip4(b'z' * 16, h.TCP, frag=0x2000 | 0, ident=ident),
              h.ip4(tcp[8:], h.TCP, frag=1, ident=ident)):
        s.send(eth + p)
"
sleep 0.5
after=$(ctl -j stats | jget 'd["netns"]["matched"]')
diag "defrag on: $COUNT overlapping fragment trains, steered $((after - before))"
ktap_result "overlapping_fragments_defrag_not_steered" test "$after" -eq "$before"

ip netns del "$C"
ip netns del "$S"
unload_and_finish
