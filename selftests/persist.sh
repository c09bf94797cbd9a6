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
#   a bad FILE: ExecReload fails and changes nothing; ExecStartPre fails

. "$(dirname "$0")"/lib.sh

UNIT=$PS_SELFTESTS/../dist/portsteer.service.in
tmp=$(mktemp -d)
conf=$tmp/portsteer.conf
ktap_header 11
kmsg_mark

cleanup() {
	$CTL flush 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

command -v "$CTL" >/dev/null || { diag "no portsteerctl"; exit $ksft_skip; }
[ -r "$UNIT" ] || { diag "no $UNIT"; exit $ksft_skip; }

# unit_cmd KEY: the unit's command lines for KEY, with portsteerctl from PATH
# and the configuration file in $conf, joined by && as systemd runs them
# (it stops at the first that fails).
unit_cmd() {
	sed -n "s/^$1=//p" "$UNIT" | sed -e "s|@SBINDIR@/portsteerctl|$CTL|" \
		-e "s|/etc/portsteer.conf|$conf|" -e "s|@MODPROBE@ portsteer|true|" |
		sed ':a;N;$!ba;s/\n/ \&\& /g'
}
start=$(unit_cmd ExecStart) reload=$(unit_cmd ExecReload) stop=$(unit_cmd ExecStop)
pre=$(unit_cmd ExecStartPre)
diag "ExecStartPre: $pre; ExecStart: $start; ExecReload: $reload; ExecStop: $stop"

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
ktap_result "exec_start_pre_checks" eval "$pre"
ktap_result "exec_start_applies" eval "$start"
$CTL save >"$tmp/after-boot"
ktap_result "boot_restores_identical" cmp "$conf" "$tmp/after-boot"

# systemctl reload after editing the file: applied atomically.
echo "rule add udp dport 5353 service dns" >>"$conf"
eval "$reload"
ktap_result "exec_reload_applies_edit" eval "$CTL -n rule show | grep -qw 5353"

# A bad edit: the reload fails before it changes anything, and so would
# the next boot's ExecStartPre (before the module is loaded).
$CTL save >"$tmp/before-bad"
cp "$conf" "$tmp/good.conf"
echo "service add broken queue notanumber" >>"$conf"
ktap_result "exec_reload_refuses_bad_file" eval "! { $reload; } 2>/dev/null"
$CTL save >"$tmp/after-bad"
ktap_result "bad_reload_changes_nothing" cmp "$tmp/before-bad" "$tmp/after-bad"
ktap_result "exec_start_pre_refuses_bad_file" eval "! { $pre; } 2>/dev/null"
cp "$tmp/good.conf" "$conf"

# systemctl stop: flushed.
eval "$stop"
ktap_result "exec_stop_flushes" eval "[ -z \"\$($CTL show)\" ]"

ps_unload
ktap_result "no_kernel_reports" eval 'kmsg_clean && kernel_untainted'
ktap_finish
