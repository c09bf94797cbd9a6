#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Network namespaces come and go while the module is loaded, and the module
# goes away while namespaces are still alive: nothing warns, nothing leaks.

. "$(dirname "$0")"/lib.sh

COUNT=$(scaled 100)
ns=ps-$$
ktap_header 3
kmsg_mark

cleanup() {
	local n
	for n in $(ip netns list | awk -v p="$ns-" 'index($1, p) == 1 { print $1 }'); do
		ip netns del "$n"
	done
}
trap cleanup EXIT

ps_unload
ps_load || { ktap_fail "load"; ktap_finish; }

made=0
# Each namespace lives as long as its unshare(1) child: created, used, destroyed.
for i in $(seq $COUNT); do
	unshare --net ip link set lo up || break
	made=$i
done
diag "$made of $COUNT namespaces created and destroyed"
ktap_result "netns_create_destroy_$COUNT" test "$made" -eq "$COUNT"

# Unload while namespaces are alive: their state must go with the module.
for i in $(seq 10); do
	ip netns add "$ns-live-$i"
done
ktap_result "unload_with_live_netns" ps_unload
for i in $(seq 10); do
	ip netns del "$ns-live-$i"
done
# Namespace teardown is asynchronous: give the cleanup work time to run.
sleep 1

ktap_result "no_kernel_reports" eval 'kmsg_clean && kernel_untainted'
ktap_finish
