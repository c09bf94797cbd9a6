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
#   BENCH upd TOOL OPERATION N NANOSECONDS     (one sample; several per key)
#   BENCH updto TOOL OPERATION N NANOSECONDS   (timed out: a lower bound)
#   BENCH updinfo PORT RANGE
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
# CPU_LIMIT=SECONDS bounds the run (guest time, about 10^9 instructions a
# second): the program is killed, its CPU time printed, and the exit is 124.
cpu() {
	python3 -c 'import os, resource, subprocess, sys
lim = float(os.environ.get("CPU_LIMIT") or 0) or None
try:
    rc = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, timeout=lim,
                        stdin=open(sys.argv[1]) if sys.argv[1] != "-" else None).returncode
except subprocess.TimeoutExpired:
    rc = 124
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(round((u.ru_utime + u.ru_stime) * 1e9))
sys.exit(rc)' "$@"
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

# 8, continued: the cost of updates (issue 17). With N rules loaded, one
# rule added, replaced (same rule, new service) and deleted, on a UDP port
# and on a range over several 256-port blocks that no configuration uses
# (updates.env of bench-gen.py), and one service changed; three samples of
# each, of which the report takes the median. Then N rules added one
# command at a time (portsteerctl -b, one request per rule, one process)
# beside apply of the same file. nft: one element added and deleted in the
# named vmap with N elements, and nft -f of the N elements as separate
# "add element" commands (one transaction) beside nft -f of the map. Every
# run is bounded (CPU_LIMIT): a single change by 30 s of guest time, a
# load by 120 s, N single adds by BENCH_UPD_FACTOR (10) times the apply or
# load of the same N, at least BENCH_UPD_MIN (10) s.
upd_port=60999 upd_range=61000-61999
upd_sizes="1000 10000 65536" nft_upd_sizes="1000 10000"
if [ -r $work/updates.env ]; then
	. $work/updates.env
	upd_port=${UPD_PORT:-$upd_port} upd_range=${UPD_RANGE:-$upd_range}
	upd_sizes=${UPD_SIZES:-$upd_sizes} nft_upd_sizes=${NFT_UPD_SIZES:-$nft_upd_sizes}
fi
if [ "$quick" = 1 ]; then
	upd_sizes=1000 nft_upd_sizes=1000
fi
echo "BENCH updinfo $upd_port $upd_range"
upd_factor=${BENCH_UPD_FACTOR:-10}
upd_min=${BENCH_UPD_MIN:-10}
upd_lim=30
upd_v=

# upd TOOL OPERATION N CMD...: one sample of CMD's CPU time, bounded by
# upd_lim seconds; the value also in upd_v (empty unless it succeeded).
upd() {
	local tool=$1 op=$2 n=$3 v rc
	shift 3
	upd_v=
	v=$(CPU_LIMIT=$upd_lim cpu - "$@" 2>$work/upd.err)
	rc=$?
	if [ $rc = 0 ] && [ -n "$v" ]; then
		echo "BENCH upd $tool $op $n $v"
		upd_v=$v
	elif [ $rc = 124 ]; then
		echo "BENCH updto $tool $op $n ${v:-0}"
		log "updates: $tool $op $n timed out after ${upd_lim}s of guest time"
	else
		log "updates: $tool $op $n failed (exit $rc): $(head -n1 $work/upd.err)"
	fi
	return $rc
}

# the bound of N single adds: upd_factor times the one-file load of ns $1
bulk_limit() {
	local l=120
	[ -n "$1" ] && l=$(( $1 * upd_factor / 1000000000 ))
	[ "$l" -lt "$upd_min" ] && l=$upd_min
	echo "$l"
}

# change N SUFFIX PORTS: three rounds of adding a UDP rule on PORTS,
# replacing it (another service) and deleting it, with N rules loaded
change() {
	local n=$1 what=$2 ports=$3 _
	for _ in 1 2 3; do
		upd ps "add$what" "$n" $ctl rule add udp dport "$ports" service s0
		sleep 1
		upd ps "replace$what" "$n" $ctl rule replace udp dport "$ports" service s1
		sleep 1
		upd ps "del$what" "$n" $ctl rule del udp dport "$ports"
		sleep 1
	done
}

# Room for one rule more than the largest configuration.
insmod "$ko" max_rules=131072 || exit 1
upd_lim=30
for _ in 1 2 3; do upd ps noop 0 $ctl settings show; done
for n in $upd_sizes; do
	$ctl flush
	sleep 1
	upd_lim=120
	if ! upd ps apply "$n" $ctl apply $work/ps-$n.conf &&
	   ! timeout 300 $ctl apply $work/ps-$n.conf; then
		log "updates: apply ps-$n failed: nothing measured with $n loaded"
		continue
	fi
	ap=$upd_v
	sleep 1
	upd_lim=30
	change "$n" "" "$upd_port"
	change "$n" -range "$upd_range"
	for q in 11 10 11; do
		upd ps svc-change "$n" $ctl service change s0 queue $q
		sleep 1
	done
	$ctl flush
	sleep 1
	upd_lim=$(bulk_limit "$ap")
	upd ps batch "$n" $ctl -b $work/ps-batch-$n.txt
	$ctl flush
	sleep 1
done
rmmod portsteer

upd_lim=30
for _ in 1 2 3; do upd nft noop 0 nft list tables; done
for n in $nft_upd_sizes; do
	nft flush ruleset
	sleep 1
	upd_lim=120
	if ! upd nft load "$n" nft -f $work/nftvmap-named-$n.nft &&
	   ! timeout 300 nft -f $work/nftvmap-named-$n.nft; then
		log "updates: nft vmap $n failed: nothing measured with $n loaded"
		continue
	fi
	ld=$upd_v
	sleep 1
	upd_lim=30
	for _ in 1 2 3; do
		upd nft add "$n" nft add element inet steer svc "{ udp . $upd_port : jump svc_0 }"
		sleep 1
		upd nft del "$n" nft delete element inet steer svc "{ udp . $upd_port }"
		sleep 1
	done
	nft flush ruleset
	sleep 1
	upd_lim=$(bulk_limit "$ld")
	upd nft adds "$n" nft -f $work/nftvmap-adds-$n.nft
	nft flush ruleset
	sleep 1
done
log "done"
