#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: build portsteer, boot a guest on Debian's kernel and show the
# module at work there. Installs what it needs first.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "${1:-}" != --in-guest ]; then
	scripts/deps.sh demo
	make -s tools >/dev/null
	kver=$(ls /boot/vmlinuz-6.1.* | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n1)
	kdir=/usr/src/linux-headers-$kver
	src=$top/build/$kver/src
	mkdir -p "$src"
	cp -a Kbuild module uapi "$src/"
	make -s -C "$kdir" M="$src" modules >/dev/null
	echo "== booting a guest on $kver"
	rc=0
	scripts/vm.sh --timeout 600 "$kver" build/demo "$0" --in-guest "$src/portsteer.ko" || rc=$?
	tr -d '\r' <build/demo/output.log | grep -v '^PORTSTEER-GUEST-EXIT'
	[ "$(cat build/demo/verdict)" = ok ] || { echo "guest: $(cat build/demo/verdict)"; exit 1; }
	exit $rc
fi

ko=$2
ctl=$top/tools/portsteerctl
pkt=$top/selftests/pkt.py
modprobe -a nf_defrag_ipv4 nf_defrag_ipv6
insmod "$ko"
dmesg | grep 'portsteer: version'

# A client namespace and a server namespace, joined by a veth pair.
ip netns add client
ip netns add server
ip -n client link add eth0 type veth peer name eth0 netns server
ip -n client addr add 192.0.2.2/24 dev eth0
ip -n server addr add 192.0.2.1/24 dev eth0
ip -n client addr add 2001:db8::2/64 dev eth0 nodad
ip -n server addr add 2001:db8::1/64 dev eth0 nodad
for ns in client server; do
	ip -n $ns link set lo up
	ip -n $ns link set eth0 up
done
ip netns exec client ping -q -c1 -W2 192.0.2.1 >/dev/null
ip netns exec client ping -q -c1 -W2 2001:db8::1 >/dev/null

run() {
	echo "# $*"
	"$@"
}
echo
echo "== configure the server namespace"
run $ctl --netns server service add web queue 10-11 bypass
run $ctl --netns server service add dns queue 20 bypass
run $ctl --netns server rule add tcp dport http,https service web
run $ctl --netns server rule add udp dport domain service dns
run $ctl --netns server show

echo
echo "== consumers on each service's queues; traffic from the client"
ip netns exec server $ctl listen web count 12 timeout 20 >/tmp/web.log 2>&1 &
ip netns exec server $ctl listen dns count 4 timeout 20 >/tmp/dns.log 2>&1 &
sleep 1
ip netns exec client python3 "$pkt" flows 4 tcp 192.0.2.1 80 --flows 4 --sport 40000
ip netns exec client python3 "$pkt" flows 6 tcp 2001:db8::1 443 --flows 4 --sport 41000
ip netns exec client python3 "$pkt" flows 4 tcp 192.0.2.1 443 --flows 4 --sport 42000
ip netns exec client python3 "$pkt" udp 4 192.0.2.1 53 --count 2
ip netns exec client python3 "$pkt" udp 6 2001:db8::1 53 --count 2
ip netns exec client python3 "$pkt" udp 4 192.0.2.1 8080 --count 3
wait
echo "-- what the web consumer (queues 10-11) received:"
cat /tmp/web.log
echo "-- what the dns consumer (queue 20) received:"
cat /tmp/dns.log
echo
echo "== counters (the 3 datagrams to port 8080 were not steered)"
run $ctl --netns server -s show
run $ctl --netns server stats
ip netns del client
ip netns del server
rmmod portsteer
