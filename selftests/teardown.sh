#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Teardown under load.
#
# 1. The module is removed and loaded again 100 times while pktgen, in a
#    client netns, sends UDP to the steered ports of a server netns over a
#    veth, and a consumer holds the queued packets (never a verdict): each
#    removal takes them back while packets keep coming.
# 2. 500 times: a netns is created, configured, sent traffic to over its
#    loopback (some of it left queued with a holding consumer) and deleted
#    (selftests/netns_cycle).
#
# Both: no kernel report, and the kernel's memory (slab, percpu, vmalloc)
# back to where it started, within a small margin. PS_SCALE divides the
# counts (make check-debug).

. "$(dirname "$0")"/lib.sh

here=$(cd "$(dirname "$0")" && pwd)
RELOADS=$(scaled "${PS_RELOADS:-100}")
CYCLES=$(scaled "${PS_NETNS_CYCLES:-500}")
C=pst-c-$$
S=pst-s-$$
PG=/proc/net/pktgen
# Growth of slab + percpu + vmalloc allowed after each part, in kB: the
# kernel keeps partly used slabs after a burst of namespaces, which a
# warm-up brings to their level first (seen on 6.1: +2.4 MB after the
# first 500 namespaces, +1.4 MB after the next 500, -0.2 MB after the
# third); a leak of one page per cycle would be 2 MB. kmemleak, on the
# debug kernel, is the exact check.
MARGIN_KB=${PS_MEM_MARGIN_KB:-1024}

cleanup() {
	[ -e $PG/pgctrl ] && ip netns exec "$C" sh -c "echo stop >$PG/pgctrl" 2>/dev/null
	kill_jobs
	ip netns del "$C" 2>/dev/null
	ip netns del "$S" 2>/dev/null
}
trap cleanup EXIT

# Namespaces are destroyed asynchronously, in batches, by one ordered
# workqueue (net/core/net_namespace.c: netns_wq, cleanup_net()): once a
# namespace destroyed last has had its devices taken down, every namespace
# destroyed before it is in that batch or an earlier one. The marker is a
# veth pair with one end in a throwaway namespace: its end here goes when
# that namespace's cleanup runs.
netns_barrier() {
	local m=pst-bar-$$ dev=pstbar$$
	ip netns add "$m" || return 1
	ip link add "$dev" type veth peer name b0 netns "$m" || { ip netns del "$m"; return 1; }
	ip netns del "$m"
	busywait 120000 test ! -e "/sys/class/net/$dev"
}

# slab + percpu + vmalloc in kB, once what can be dropped is dropped and
# deferred frees (the cleanup of namespaces, RCU) have run: after the
# barrier above, sampled every 2 s until three samples in a row agree
# within 16 kB (at most two minutes).
kmem_kb() {
	local i now last='' same=0 d t0=$SECONDS barrier=yes
	netns_barrier || barrier="NOT SEEN"
	for i in $(seq 60); do
		echo 3 >/proc/sys/vm/drop_caches
		sleep 2
		now=$(awk '/^(Slab|Percpu|VmallocUsed):/ { s += $2 } END { print s }' /proc/meminfo)
		if [ -n "$last" ]; then
			d=$((now - last))
			if [ "${d#-}" -lt 16 ]; then
				same=$((same + 1))
				[ $same -ge 2 ] && break
			else
				same=0
			fi
		fi
		last=$now
	done
	diag "memory reading: $now kB after $((SECONDS - t0))s, $i samples; namespace cleanup barrier: $barrier" >&2
	echo "$now"
}

# A kernel with KASAN holds freed objects in its quarantine (up to 1/32 of
# memory) and gives them back when it likes: totals say nothing there, so
# on it neither the readings nor their warm-ups are made, and kmemleak
# checks every object instead (run_tests.sh, after the suite).
kasan=0
grep -qw kasan_quarantine_reduce /proc/kallsyms && kasan=1
mem_now() {
	if [ $kasan -eq 1 ]; then echo 0; else kmem_kb; fi
}

# mem_result NAME BEFORE AFTER: the growth within MARGIN_KB.
mem_result() {
	if [ $kasan -eq 1 ]; then
		ktap_skip "$1" "KASAN quarantine: totals are not comparable, kmemleak checks instead"
	else
		diag "kernel memory (slab+percpu+vmalloc): $2 kB before, $3 kB after"
		ktap_result "$1" test $(($3 - $2)) -le "$MARGIN_KB"
	fi
}

ktap_header 6
kmsg_mark
modprobe -a pktgen nfnetlink_queue 2>/dev/null
ps_load || { ktap_fail "load"; ktap_finish; }
ps_unload

# The two hosts.
ip netns add "$C"
ip netns add "$S"
ip -n "$C" link add c0 type veth peer name s0 netns "$S"
ip -n "$C" addr add 10.78.0.2/24 dev c0
ip -n "$S" addr add 10.78.0.1/24 dev s0
ip -n "$C" link set c0 up
ip -n "$S" link set s0 up
ip -n "$S" link set lo up
mac=$(ip netns exec "$S" cat /sys/class/net/s0/address)

# netfilter's static keys are global: with a prerouting base chain of
# nftables in the client netns, portsteer's hook is never the one whose
# registration flips the key that ip_rcv() tests, so the reloads do not
# patch kernel text while pktgen's packets run through it. (Without it,
# one run on 6.12 under TCG took an int3 Oops in ip_rcv() during that
# patching, in the core kernel's code; not seen on 6.1.)
ip netns exec "$C" nft -f - <<-EOF
	table inet pst_keep_keys {
		chain pre { type filter hook prerouting priority 0; policy accept; }
	}
EOF

# The reload loop below, three times over first (the measure is of what
# stays after the kernel's own caches have grown to their size).
warm=3
[ $kasan -eq 1 ] && warm=0

# pktgen on c0: UDP to 10.78.0.1 ports 9000-9003, 500 packets a second at
# most (a 2 ms delay sleeps; below 100 us pktgen spins a CPU), bounded in
# count (and stopped at the end).
pgset() {		# pgset FILE COMMAND
	ip netns exec "$C" sh -c "echo '$2' >$PG/$1"
}
pktgen_ok=0
if ip netns exec "$C" test -e $PG/pgctrl; then
	pgset kpktgend_0 rem_device_all
	pgset kpktgend_0 "add_device c0"
	pgset c0 "count 2000000"
	pgset c0 "clone_skb 0"
	pgset c0 "pkt_size 80"
	pgset c0 "delay 2000000"
	pgset c0 "dst 10.78.0.1"
	pgset c0 "dst_mac $mac"
	pgset c0 "udp_dst_min 9000"
	pgset c0 "udp_dst_max 9003"
	ip netns exec "$C" sh -c "echo start >$PG/pgctrl" &
	pktgen_ok=1
else
	diag "no pktgen: the reloads run without traffic"
fi

# The consumer holding what is queued to 40-41, for the whole run.
ip netns exec "$S" python3 "$here/nfq_hold.py" 40 3600 >"/tmp/pst-hold-$$-40" &
holder=$!	# ip(8) execs python: the pid of a process in the server netns
ip netns exec "$S" python3 "$here/nfq_hold.py" 41 3600 >"/tmp/pst-hold-$$-41" &
busywait 20000 grep -q bound "/tmp/pst-hold-$$-40"
busywait 20000 grep -q bound "/tmp/pst-hold-$$-41"

# The consumers hold packets in queues 40-41: the server's queue table,
# through /proc/PID/net of a process in its netns, read without a process
# (ip netns exec costs up to a second here).
held_some() {
	local q peer total=0
	while read -r q peer total _; do
		if [ "$q" = 40 ] || [ "$q" = 41 ]; then
			[ "$total" -gt 0 ] && return 0
		fi
	done <"/proc/$holder/net/netfilter/nfnetlink_queue"
	return 1
}

done_reloads=0 held=0
for i in $(seq $((RELOADS + warm))); do
	[ "$i" -eq $((warm + 1)) ] && mem0=$(mem_now) && held=0
	ps_load || { diag "reload $i: insmod failed"; break; }
	"$CTL" --netns "$S" service add pg queue 40-41 balance flow >/dev/null &&
		"$CTL" --netns "$S" rule add udp dport 9000-9003 service pg >/dev/null ||
		{ diag "reload $i: configuration failed"; break; }
	# wait (bounded) until the consumer holds packets, then pull the module
	if [ $pktgen_ok -eq 1 ] && busywait 3000 held_some; then
		held=$((held + 1))
	fi
	ps_unload || { diag "reload $i: rmmod failed"; break; }
	done_reloads=$((i - warm))
	[ $((i % 25)) -eq 0 ] && diag "$i reloads, $held with held packets"
done
[ $pktgen_ok -eq 1 ] && ip netns exec "$C" sh -c "echo stop >$PG/pgctrl"
sent=$(ip netns exec "$C" awk '/^ *pkts-sofar:/ { print $2 }' $PG/c0 2>/dev/null)
diag "$done_reloads of $RELOADS reloads; pktgen sent ${sent:-0} packets; the consumer held packets at $held removals"
ktap_result "reload_${RELOADS}_times_under_load" test "$done_reloads" -eq "$RELOADS" -a \
	\( "$pktgen_ok" -eq 0 -o "$held" -gt 0 \)
kill_jobs
ip netns del "$C"
ip netns del "$S"
mem1=$(mem_now)
mem_result memory_back_after_reloads "$mem0" "$mem1"

# 2. netns lifecycles (selftests/netns_cycle.c): each created, configured,
# sent datagrams that must all be steered, and gone with its process; every
# fiftieth with a consumer holding the packets when it goes. pktgen goes
# first: it makes threads in every new netns.
modprobe -r pktgen 2>/dev/null
ps_load || { ktap_fail "load"; ktap_finish; }
# warm-up, as above: twice as many lifecycles as are measured (the slabs
# the kernel keeps after a burst of namespaces grow over the first two);
# none where no totals are read
for i in $(seq $((kasan ? 0 : 2))); do
	"$here/netns_cycle" "$CYCLES" 50 >/dev/null || { ktap_fail "netns_warm_up"; ktap_finish; }
done
mem1=$(mem_now)
start=$(date +%s)
"$here/netns_cycle" "$CYCLES" 50
rc=$?
diag "$CYCLES netns lifecycles (created, configured, 3 datagrams steered, deleted): exit $rc, $(( $(date +%s) - start ))s"
done_cycles=$CYCLES
[ $rc -eq 0 ] || done_cycles=0
ktap_result "netns_lifecycle_${CYCLES}_times" test "$done_cycles" -eq "$CYCLES"
mem2=$(mem_now)
mem_result memory_back_after_netns_cycles "$mem1" "$mem2"
ktap_result "unload" ps_unload
ktap_result "no_kernel_reports" eval 'kmsg_clean && kernel_untainted'
ktap_finish
