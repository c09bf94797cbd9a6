#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# BIG TCP: GSO packets over 64 KiB carry an IPv4 total length of 0 (6.3+)
# or an IPv6 payload length of 0 (with a hop-by-hop jumbo option before
# 7.0). A bulk TCP transfer to a steered port over a veth pair whose GSO and
# GRO limits are raised to 192 KiB: every byte of it is steered (the service
# has bypass and no consumer, so it is accepted), none counted malformed, and
# packets over 64 KiB were among them (an nft counter says so: BIG TCP was in
# play): IPv4 on kernels with gso_ipv4_max_size (6.3+), IPv6 on 5.19+.
# Between the two the IPv4 transfer is skipped; before 5.19 both run with
# packets of 64 KiB at most, and only that last check is skipped.

. "$(dirname "$0")"/lib.sh

here=$(cd "$(dirname "$0")" && pwd)
C=psb-c-$$
S=psb-s-$$
BYTES=$(( $(scaled 64) * 1024 * 1024 / 4 + 8 * 1024 * 1024 ))
SIZE=196608

cleanup() {
	kill_jobs
	ip netns del "$C" 2>/dev/null
	ip netns del "$S" 2>/dev/null
}
trap cleanup EXIT

kmsg_mark
ps_load || { ktap_header 1; ktap_fail "load"; ktap_finish; }
two_hosts "$C" "$S" 10.78.0 fd78
# TCP sizes its GSO packets by its rate (about 1 ms of it), which a slow
# (debug, TCG) kernel keeps low: ask for 96 segments of 1448 bytes at least.
ip netns exec "$C" sysctl -qw net.ipv4.tcp_min_tso_segs=96
v4=0
v6=1
for ns in "$C" "$S"; do
	d=$([ "$ns" = "$C" ] && echo c0 || echo s0)
	# GSO and GRO over 64 KiB (BIG TCP) came with 5.19: before, the
	# transfer still runs, with packets of 64 KiB at most
	ip -n "$ns" link set "$d" gso_max_size $SIZE gro_max_size $SIZE 2>/dev/null || v6=0
	ip netns exec "$ns" python3 - "$d" $SIZE <<-'PY' && v4=1
	# IFLA_GSO_IPV4_MAX_SIZE, IFLA_GRO_IPV4_MAX_SIZE (6.3+), which older
	# iproute2 cannot set: RTM_NEWLINK by hand; exit 1 if refused
	import socket, struct, sys
	idx, size = socket.if_nametoindex(sys.argv[1]), int(sys.argv[2])
	attrs = b"".join(struct.pack("HHI", 8, t, size) for t in (63, 64))
	body = struct.pack("BxHiII", 0, 0, idx, 0, 0) + attrs
	s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
	s.send(struct.pack("IHHII", 16 + len(body), 16, 5, 1, 0) + body)
	if struct.unpack("i", s.recv(4096)[16:20])[0]:
	    sys.exit(1)
	# kernels before 6.3 ignore attributes they do not know: read it back
	body = struct.pack("BxHiII", 0, 0, idx, 0, 0)
	s.send(struct.pack("IHHII", 16 + len(body), 18, 1, 2, 0) + body)
	m = s.recv(65536)
	off = 32
	while off + 4 <= len(m):
	    alen, atype = struct.unpack_from("HH", m, off)
	    if alen < 4:
	        break
	    if atype == 63:
	        sys.exit(struct.unpack_from("I", m, off + 4)[0] != size)
	    off += (alen + 3) & ~3
	sys.exit(1)
	PY
done

CTL_NS=$S
# what crosses prerouting in packets over 64 KiB, counted by nft
ip netns exec "$S" nft -f - <<-EOF
	table inet big {
		chain pre {
			type filter hook prerouting priority -300; policy accept;
			meta l4proto tcp meta length > 65535 counter
		}
	}
EOF
big() {
	ip netns exec "$S" nft list table inet big | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}
ctl service add bulk queue 60 bypass
ctl rule add inet tcp dport 5201 service bulk

# transfer ADDR: BYTES from the client to the server's port 5201; prints
# the bytes the server read
transfer() {
	ip netns exec "$S" timeout 60 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(("::", 5201)); s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
n = 0
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    n += len(b)
print(n, flush=True)' >"$tmp/srv" &
	busywait 10000 grep -q listening "$tmp/srv"
	ip netns exec "$C" timeout 60 python3 -c '
import socket, sys
addr, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
s.connect((addr, 5201))
buf = b"b" * (1 << 20)
while n > 0:
    s.sendall(buf[:min(n, len(buf))])
    n -= min(n, len(buf))
s.close()' "$1" "$BYTES"
	wait
	tail -n1 "$tmp/srv"
}

# one FAMILY ADDR: the checks of one transfer
one() {
	local fam=$1 addr=$2 m0 m1 p0 p1 b0 b1 got g0 g1
	g0=$(big)
	m0=$(ctl -j stats | jget "d['netns']['malformed']")
	read -r p0 b0 < <(ctl -j stats | jget "d['services'][0]['stats']['packets'], d['services'][0]['stats']['bytes']" | tr -d '(),')
	got=$(transfer "$addr")
	m1=$(ctl -j stats | jget "d['netns']['malformed']")
	g1=$(big)
	read -r p1 b1 < <(ctl -j stats | jget "d['services'][0]['stats']['packets'], d['services'][0]['stats']['bytes']" | tr -d '(),')
	diag "ipv$fam: $got of $BYTES bytes read; steered $((p1 - p0)) packets, $((b1 - b0)) bytes (average $(( (b1 - b0) / (p1 - p0 ? p1 - p0 : 1) ))); malformed $((m1 - m0)); $((g1 - g0)) packets over 64 KiB"
	ktap_result "ipv${fam}_transfer_complete" test "$got" = "$BYTES"
	ktap_result "ipv${fam}_nothing_malformed" test "$m1" -eq "$m0"
	ktap_result "ipv${fam}_every_byte_steered" test $((b1 - b0)) -ge "$BYTES"
	if [ "$fam" = 4 ] && [ $v4 = 0 ]; then
		ktap_skip "ipv4_packets_over_64k" "no IPv4 BIG TCP before 6.3 (gso_ipv4_max_size)"
	elif [ "$fam" = 6 ] && [ $v6 = 0 ]; then
		ktap_skip "ipv6_packets_over_64k" "no BIG TCP before 5.19 (gso_max_size over 65536)"
	else
		ktap_result "ipv${fam}_packets_over_64k" test $((g1 - g0)) -gt 0
	fi
}

tmp=$(mktemp -d)
ktap_header 11
one 6 fd78::1
# Without IPv4 BIG TCP an IPv4 transfer repeats what the IPv6 one showed,
# unless IPv6 has none either (before 5.19): then both run.
if [ $v4 = 1 ] || [ $v6 = 0 ]; then
	one 4 10.78.0.1
else
	for t in transfer_complete nothing_malformed every_byte_steered packets_over_64k; do
		ktap_skip "ipv4_$t" "no IPv4 BIG TCP before 6.3; IPv6 had it"
	done
fi
rm -rf "$tmp"
ip netns del "$C"
ip netns del "$S"
unload_and_finish
