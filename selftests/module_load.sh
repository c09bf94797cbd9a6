#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module loads and unloads cleanly, 50 times in a row.

. "$(dirname "$0")"/lib.sh

CYCLES=$(scaled 50)
ktap_header 4
kmsg_mark
ps_unload

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
