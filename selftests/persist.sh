#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot-time persistence without systemd: run the commands of
# dist/portsteer.service (ExecStart, ExecReload, ExecStop) as systemd would,
# in the initial network namespace, against a configuration file written by
# `portsteerctl save`:
#
#   configure -> save >FILE -> unload ("reboot") -> load, ExecStart -> same
#   edit FILE -> ExecReload -> the edit is live -> ExecStop -> empty

. "$(dirname "$0")"/lib.sh

UNIT=$PS_SELFTESTS/../dist/portsteer.service.in
tmp=$(mktemp -d)
conf=$tmp/portsteer.conf
ktap_header 7
kmsg_mark

cleanup() {
	$CTL flush 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

command -v "$CTL" >/dev/null || { diag "no portsteerctl"; exit $ksft_skip; }
[ -r "$UNIT" ] || { diag "no $UNIT"; exit $ksft_skip; }

# unit_cmd KEY: the unit's command line for KEY, with portsteerctl from PATH
# and the configuration file in $conf.
unit_cmd() {
	sed -n "s/^$1=//p" "$UNIT" | sed -e "s|@SBINDIR@/portsteerctl|$CTL|" \
		-e "s|/etc/portsteer.conf|$conf|"
}
start=$(unit_cmd ExecStart) reload=$(unit_cmd ExecReload) stop=$(unit_cmd ExecStop)
diag "ExecStart: $start; ExecReload: $reload; ExecStop: $stop"

ps_unload
ps_load || { ktap_fail "load"; ktap_finish; }
$CTL flush
$CTL settings set priority -180 seed 4242 &&
	$CTL service add ids queue 10-13 balance flow bypass &&
	$CTL service add dns queue 20 &&
	$CTL rule add tcp dport http,https,8000-8080 service ids &&
	$CTL rule add ip6 udp dport domain service dns
$CTL save >"$conf"
ktap_result "saved_configuration" grep -q '^rule add .*8000-8080 service ids' "$conf"

# A reboot: the module and its configuration are gone; the unit starts.
ps_unload
ps_load || { ktap_fail "reload_module"; ktap_finish; }
ktap_result "empty_after_reboot" eval "[ -z \"\$($CTL show)\" ]"
ktap_result "exec_start_applies" eval "$start"
$CTL save >"$tmp/after-boot"
ktap_result "boot_restores_identical" cmp "$conf" "$tmp/after-boot"

# systemctl reload after editing the file: applied atomically.
echo "rule add udp dport 5353 service dns" >>"$conf"
eval "$reload"
ktap_result "exec_reload_applies_edit" eval "$CTL -n rule show | grep -qw 5353"

# systemctl stop: flushed.
eval "$stop"
ktap_result "exec_stop_flushes" eval "[ -z \"\$($CTL show)\" ]"

ps_unload
ktap_result "no_kernel_reports" eval 'kmsg_clean && kernel_untainted'
ktap_finish
