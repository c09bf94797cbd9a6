#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The YNL spec (Documentation/netlink/specs/portsteer.yaml) and the loaded
# module agree: the family's ops and their permission flags, its multicast
# group, and the policy of every op (types, ranges, nests). See
# spec_check.py; the spec's schema and the generated files are checked on
# the host (make regen-check).

. "$(dirname "$0")"/lib.sh

check=$(dirname "$0")/spec_check.py
groups="kernel-family kernel-policy"

ktap_header 3
if ! python3 -c 'import yaml' 2>/dev/null; then
	for g in $groups; do
		ktap_skip "spec_$g" "python3-yaml is not installed"
	done
	ktap_skip "no_kernel_reports" "nothing ran"
	ktap_finish
fi

kmsg_mark
ps_unload
modprobe -a nf_defrag_ipv4 nf_defrag_ipv6 2>/dev/null
ps_load || diag "the module did not load"

for g in $groups; do
	python3 "$check" "$g"
	case $? in
	0) ktap_pass "spec_$g" ;;
	4) ktap_skip "spec_$g" "the family is not registered" ;;
	*) ktap_fail "spec_$g" ;;
	esac
done
ps_unload

ktap_result "no_kernel_reports" eval 'kmsg_clean && kernel_untainted'
ktap_finish
