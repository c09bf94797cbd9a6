#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module loads and unloads cleanly, 50 times in a row.

. "$(dirname "$0")"/lib.sh

CYCLES=$(scaled 50)
ktap_header 7
kmsg_mark
ps_unload

# insmod with nothing loaded first (the first test of a fresh guest): what
# a setting needs comes when it is asked for.
deps="nf_conntrack nf_defrag_ipv6 nf_defrag_ipv4"
# on_demand NAME MODULE...: one result, the modules loaded (skipped when
# they are built into the kernel, as in the debug kernel)
on_demand() {
	local name=$1 m
	shift
	for m; do
		if [ "$(modinfo -F filename "$m" 2>/dev/null)" = "(builtin)" ]; then
			ktap_skip "$name" "$m is built into this kernel"
			return
		fi
	done
	for m; do
		[ -d "/sys/module/$m" ] || { ktap_fail "$name"; return; }
	done
	ktap_pass "$name"
}
modprobe -r -q $deps 2>/dev/null
# (built-in ones have no initstate, and are there whatever happens)
loaded=$(for m in $deps; do [ -e /sys/module/$m/initstate ] && echo $m; done)
if [ -n "$loaded" ]; then
	for t in insmod_alone defrag_on_demand conntrack_on_demand; do
		ktap_skip $t "$(echo $loaded) loaded and in use"
	done
else
	ktap_result "insmod_alone" insmod "$PS_KO"
	NS=pml-$$
	ip netns add $NS
	C="$CTL --netns $NS"
	$C service add m queue 1 && $C rule add tcp dport 1 service m
	on_demand defrag_on_demand nf_defrag_ipv4 nf_defrag_ipv6
	$C service change m ctmark 0x1/0x1
	on_demand conntrack_on_demand nf_conntrack
	ip netns del $NS
	ps_unload
fi

ok=0
for i in $(seq $CYCLES); do
	ps_load || { diag "insmod failed on cycle $i"; break; }
	ps_loaded || { diag "module not listed after insmod, cycle $i"; break; }
	ps_unload || { diag "rmmod failed on cycle $i"; break; }
	ps_loaded && { diag "module still listed after rmmod, cycle $i"; break; }
	ok=$i
done
diag "$ok of $CYCLES load/unload cycles completed"
ktap_result "load_unload_${CYCLES}_times" test "$ok" -eq "$CYCLES"

ps_load
ver=$(cat /sys/module/portsteer/version 2>/dev/null)
diag "module version: '$ver'"
ktap_result "module_has_version" test -n "$ver"
desc=$(modinfo -F description "$PS_KO")
ktap_result "module_has_description" test -n "$desc"
ps_unload

ktap_result "no_kernel_reports" eval 'kmsg_clean && kernel_untainted'
ktap_finish
