#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, the guest side: run inside the one-vCPU icount guest that
# scripts/bench.sh boots. Measures every configuration in one boot and prints
# one line per figure on stdout:
#
#   BENCH pkt CONFIG N FAMILY TRAFFIC NFQ COUNT USEC INSN_PER_PACKET
#   BENCH mem CONFIG N TABLE_BYTES MEMCG_DELTA_BYTES
#   BENCH cfg WHAT NANOSECONDS
#
# With -icount shift=0 one guest instruction is one virtual nanosecond, so
# pktgen's usec * 1000 / count is instructions per packet, and a duration
# taken with date(1) is (about) instructions.
#
#   bench-guest.sh PORTSTEER_KO EMPTY_HOOK_KO GENDIR
set -uo pipefail

ko=$1 empty_ko=$2 gen=$3
top=$(cd "$(dirname "$0")/.." && pwd)
ctl=$top/tools/portsteerctl
quick=${BENCH_QUICK:-0}
count=${BENCH_COUNT:-20000}
pg=/proc/net/pktgen

log() { echo "# $*"; }

# The rulesets, on tmpfs: no 9p reads while measuring.
work=/tmp/bench
mkdir -p $work
cp "$gen"/* $work/
# A whole reload, as users of an anonymous map change one element.
{ echo "flush ruleset"; cat $work/nftvmap-named-10000.nft; } >$work/reload.nft

# Quiet the stack: no router solicitations, no forwarding, nothing but
# pktgen's packets on the veth.
sysctl -qw net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.accept_ra=0
sysctl -qw net.ipv6.conf.default.router_solicitations=0
sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
ip link add veth0 type veth peer name veth1 || exit 1
ip link set veth0 up
ip link set veth1 up
ip addr add 10.0.0.1/24 dev veth1
ip addr add 2001:db8::1/64 dev veth1 nodad
# The destinations are not local and not forwarded: dropped after routing,
# without an ICMP error.
ip route add blackhole 198.51.100.0/24
ip -6 route add blackhole 2001:db8:1::/64
mac=$(cat /sys/class/net/veth1/address)
modprobe pktgen || exit 1
sleep 3		# let MLD reports of the new addresses go by

pgset() {
	echo "$1" >"$2" || { log "pktgen: '$1' > $2 failed"; return 1; }
}

# run FAMILY PORT_LO COUNT: inject COUNT UDP packets into veth1's receive
# path, destination ports PORT_LO.. PORT_LO+63 in turn; prints usec.
run() {
	local fam=$1 lo=$2 n=$3 dev=$pg/veth1
	pgset "rem_device_all" $pg/kpktgend_0
	pgset "add_device veth1" $pg/kpktgend_0
	pgset "count $n" $dev
	pgset "pkt_size 60" $dev
	pgset "flag NO_TIMESTAMP" $dev
	pgset "burst 1" $dev
	pgset "clone_skb 0" $dev
	pgset "xmit_mode netif_receive" $dev
	pgset "dst_mac $mac" $dev
	if [ "$fam" = 6 ]; then
		pgset "dst6 2001:db8:1::1" $dev
		pgset "src6 2001:db8::2" $dev
	else
		pgset "dst_min 198.51.100.1" $dev
		pgset "dst_max 198.51.100.1" $dev
		pgset "src_min 10.0.0.2" $dev
		pgset "src_max 10.0.0.2" $dev
	fi
	pgset "udp_src_min 9999" $dev
	pgset "udp_src_max 9999" $dev
	pgset "udp_dst_min $lo" $dev
	pgset "udp_dst_max $((lo + 64))" $dev
	pgset "start" $pg/pgctrl
	sed -n 's/^Result: OK: \([0-9]*\)(.*/\1/p' $dev
}

# measure CONFIG N NFQ [COUNT]: every family and traffic; after a pause (the
# deferred work of the configuration change runs) and a warm-up, three runs,
# of which the median counts (a run varies by about 0.2%).
measure() {
	local cfg=$1 n=$2 nfq=$3 c=${4:-$count} fam tr lo us i
	sleep 1
	for fam in 4 6; do
		for tr in unmatched matched; do
			lo=40000
			[ $tr = unmatched ] && lo=50000
			run $fam $lo $((c / 10 + 1)) >/dev/null
			us=$(for i in 1 2 3; do run $fam $lo "$c"; done | sort -n | sed -n 2p)
			if [ -z "$us" ]; then
				log "no pktgen result for $cfg $n ip$fam $tr"
				cat $pg/veth1
				continue
			fi
			echo "BENCH pkt $cfg $n ip$fam $tr $nfq $c $us" \
			     "$(awk -v u="$us" -v c="$c" 'BEGIN { printf "%.1f", u * 1000 / c }')"
		done
	done
}

nfq_state() { [ -d /sys/module/nfnetlink_queue ] && echo nfq || echo nonfq; }

# memcg: the kernel memory a configuration takes, charged to a cgroup.
mkdir -p /sys/fs/cgroup
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
mkdir -p /sys/fs/cgroup/bench
memcg() { cat /sys/fs/cgroup/bench/memory.current 2>/dev/null || echo 0; }

sizes_ps="1 100 1000 10000 65536"
sizes_map="1000 10000"
sizes_lin="10 100 1000"
if [ "$quick" = 1 ]; then
	sizes_ps="1 1000"
	sizes_map="1000"
	sizes_lin="10"
fi

log "kernel $(uname -r), $(nproc) cpu, count $count"

# 1. No hook.
measure nohook 0 nonfq
measure nohook 0 nonfq

# 2. The empty hook.
insmod "$empty_ko" || exit 1
measure empty 0 nonfq
rmmod bench_empty_hook
# ... and one that queues every packet (bypass, no consumer): the floor
# for matched traffic.
insmod "$empty_ko" queue=10 || exit 1
measure emptyq 0 nonfq
modprobe nfnetlink_queue
measure emptyq 0 nfq
modprobe -r nfnetlink_queue
rmmod bench_empty_hook

# 3. portsteer, nfnetlink_queue not loaded, then loaded.
modprobe -r nfnetlink_queue 2>/dev/null
insmod "$ko" || exit 1
for nfq in 0 1; do
	[ $nfq = 1 ] && modprobe nfnetlink_queue
	for n in $sizes_ps; do
		$ctl apply $work/ps-$n.conf || { log "apply ps-$n failed"; continue; }
		if [ $nfq = 0 ]; then
			tb=$($ctl -j settings show | sed -n 's/.*"table_bytes": *\([0-9]*\).*/\1/p')
			echo "BENCH mem portsteer $n ${tb:-0} -"
		fi
		measure portsteer $n "$(nfq_state)"
	done
	$ctl flush
done
# The default, defrag on: what nf_defrag's hooks add to every packet.
modprobe -r nfnetlink_queue
$ctl apply $work/ps-1000.conf && $ctl settings set defrag on &&
	measure psdefrag 1000 nonfq
$ctl flush
# The inline-IPS features: rules for either direction (a packet no rule
# matches is looked up by both its ports), and a mark on every service (the
# traffic is unmarked: the cost of the test).
for c in port mark; do
	$ctl apply $work/ps-$c-1000.conf && measure ps$c 1000 nonfq
	$ctl flush
done
rmmod portsteer
modprobe -r nfnetlink_queue

# 4. nftables maps.
for n in $sizes_map; do
	nft -f $work/nftmap-$n.nft || log "nft map $n failed"
	measure nftmap $n nonfq
	nft flush ruleset
	nft -f $work/nftvmap-$n.nft || log "nft vmap $n failed"
	measure nftvmap $n nonfq
	nft flush ruleset
done

# ... and nft doing what portsteer's inline-IPS features do.
nft -f $work/nftips-1000.nft || log "nft ips failed"
measure nftips 1000 nonfq
nft flush ruleset

# 5. Linear rules: nftables, then iptables-legacy.
for n in $sizes_lin; do
	c=$count
	[ "$n" -ge 1000 ] && c=$((count / 10))
	nft -f $work/nftlin-$n.nft || log "nft linear $n failed"
	measure nftlin "$n" nonfq $c
	nft flush ruleset
done
for n in $sizes_lin; do
	c=$count
	[ "$n" -ge 1000 ] && c=$((count / 10))
	iptables-legacy-restore <$work/ipt-$n.rules || log "iptables $n failed"
	ip6tables-legacy-restore <$work/ipt-$n.rules || log "ip6tables $n failed"
	measure iptables "$n" nonfq $c
	iptables-legacy -t mangle -F
	ip6tables-legacy -t mangle -F
	rmmod ip6table_mangle iptable_mangle
done

# 6. ipset bitmap:port and one iptables rule.
ipset restore <$work/ipset-1000.restore || log "ipset failed"
iptables-legacy-restore <$work/ipset-ipt.rules || log "iptables ipset failed"
ip6tables-legacy-restore <$work/ipset-ipt.rules || log "ip6tables ipset failed"
measure ipset 1000 nonfq
iptables-legacy -t mangle -F
ip6tables-legacy -t mangle -F
rmmod ip6table_mangle iptable_mangle
ipset destroy

# 7. No hook again: drift.
log "hooks left at prerouting: $(lsmod | grep -cE '^(portsteer|bench_empty|iptable_|ip6table_)') modules"
measure nohook2 0 nonfq
# ... and the empty hook again: how far a hook's figure moves within a boot.
insmod "$empty_ko" || exit 1
measure empty2 0 nonfq
rmmod bench_empty_hook

# 8. Configuration cost and memory, 10,000 rules. Wall time in the guest is
# no measure here: while a program waits for its binary over 9p the idle
# guest's virtual clock jumps ahead. The CPU time of the process (user and
# system, in ns: instructions) is: every netlink request and nft's commit
# run in its context. A no-op invocation of each program is the baseline.
cpu() {
	python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL,
                   stdin=open(sys.argv[1]) if sys.argv[1] != "-" else None)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(round((u.ru_utime + u.ru_stime) * 1e9))
sys.exit(r.returncode)' "$@"
}
echo $BASHPID >/sys/fs/cgroup/bench/cgroup.procs
insmod "$ko" || exit 1
echo "BENCH cfg ps-noop $(cpu - $ctl settings show)"
$ctl apply $work/ps-10000.conf; $ctl flush; sleep 1
m=$(memcg)
echo "BENCH cfg ps-apply-10000 $(cpu - $ctl apply $work/ps-10000.conf)"
sleep 1
echo "BENCH mem portsteer-memcg 10000 - $(( $(memcg) - m ))"
echo "BENCH cfg ps-change-1 $(cpu - $ctl rule add udp dport 60999 service s0)"
echo "BENCH cfg ps-reapply-10000 $(cpu - $ctl apply $work/ps-10000.conf)"
$ctl flush
rmmod portsteer

echo "BENCH cfg nft-noop $(cpu - nft list tables)"
for f in nftvmap-named nftmap; do
	nft -f $work/$f-10000.nft; nft flush ruleset; sleep 1
	m=$(memcg)
	echo "BENCH cfg $f-load-10000 $(cpu - nft -f $work/$f-10000.nft)"
	sleep 1
	echo "BENCH mem $f-memcg 10000 - $(( $(memcg) - m ))"
	if [ $f = nftvmap-named ]; then
		echo "BENCH cfg nft-change-1 $(cpu - nft add element inet steer svc \
			'{ udp . 60999 : jump svc_0 }')"
		echo "BENCH cfg nftvmap-named-reload-10000 $(cpu $work/reload.nft nft -f -)"
	fi
	nft flush ruleset
done
log "done"
