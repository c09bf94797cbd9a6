#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host unit tests of portsteerctl (no kernel needed): the parsers and the
# output of tests/unit.c against golden files, and the command line's
# usage errors. Prints KTAP; exits non-zero on any failure.
#
#   tools/tests/run.sh               UPDATE_GOLDEN=1 tools/tests/run.sh
set -u

here=$(cd "$(dirname "$0")" && pwd)
tools=$(dirname "$here")
results=()
fail=0

add() {			# add ok|not-ok NAME
	results+=("$1 $2")
	[ "$1" = ok ] || fail=1
}

if ! out=$(make -s -C "$tools" portsteerctl tests/unit 2>&1); then
	echo "TAP version 13"
	echo "1..1"
	echo "$out" | sed 's/^/# /'
	echo "not ok 1 build"
	exit 1
fi

cd "$here" || exit 1
export PORTSTEER_SERVICES=$here/services
while IFS= read -r line; do
	case $line in
	"ok - "*) add ok "${line#ok - }" ;;
	"not ok - "*) add not-ok "${line#not ok - }" ;;
	*) results+=("#${line#\#}") ;;
	esac
done < <(./unit "$here/golden" 2>&1; echo "# unit exit $?")

# The command line, without a kernel: exit statuses and messages.
ctl=$tools/portsteerctl
cli() {			# cli NAME STATUS EXPECTED_STDERR ARGS...
	local name=$1 want_rc=$2 want_err=$3 err rc
	shift 3
	err=$("$ctl" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && [ "$err" = "$want_err" ]; then
		add ok "$name"
	else
		add not-ok "$name"
		results+=("# got status $rc, stderr: $err")
	fi
}
cli cli_bad_port 2 "portsteerctl: invalid port '70000' in 'tcp dport 80,70000'; see 'portsteerctl rule help'" \
	rule add tcp dport 80,70000 service web
cli cli_port_zero 2 "portsteerctl: invalid port '0' in 'udp dport 0': port 0 is never valid; see 'portsteerctl rule help'" \
	rule del udp dport 0
cli cli_unknown_object 2 "portsteerctl: unknown object 'frob'; see 'portsteerctl help'" frob
cli cli_bad_settings 2 "portsteerctl: invalid hook 'sideways' (prerouting, input, forward, output); see 'portsteerctl settings help'" \
	settings set hook sideways
cli cli_hook_twice 2 "portsteerctl: hook 'input' given twice in 'input,output,input'; see 'portsteerctl settings help'" \
	settings set hook input,output,input
cli cli_bad_direction 2 "portsteerctl: expected 'dport PORTS', 'sport PORTS' or 'port PORTS' after 'tcp'; see 'portsteerctl rule help'" \
	rule add tcp xport 80 service web
cli cli_sport_port_zero 2 "portsteerctl: invalid port '0' in 'udp sport 0': port 0 is never valid; see 'portsteerctl rule help'" \
	rule del udp sport 0
cli cli_mark_outside_mask 2 "portsteerctl: invalid mark '0x3/0x1': value 0x3 has bits outside mask 0x1; see 'portsteerctl service help'" \
	service add web queue 1 mark 0x3/0x1
cli cli_ctmark_mask_zero 2 "portsteerctl: invalid ctmark '1/0': mask 0 compares no bits (for no mark: 'ctmark none'); see 'portsteerctl service help'" \
	service change web ctmark 1/0
cli cli_listen_bad_count 2 "portsteerctl: listen: invalid count 'x'" \
	listen queue 1 count x
cli cli_bad_option 2 "$("$ctl" --bogus 2>&1)" --bogus
cli cli_rule_replace_missing_service 2 "portsteerctl: missing 'service NAME' after 'tcp dport 80'; see 'portsteerctl rule help'" \
	rule replace tcp dport 80
cli cli_rule_replace_bad_port 2 "portsteerctl: invalid port range '90-80' in 'udp port 90-80'; see 'portsteerctl rule help'" \
	rule replace ip6 udp port 90-80 service a
# Batches, with lines that fail before any netlink: nothing reaches a kernel.
batch=/tmp/ps-unit-batch-$$
printf '# two bad lines\n\nrule add tcp dport 70000 service a\nrule replace tcp dport 0 service a\n' >"$batch"
cli cli_batch_stops 2 "$batch:3: invalid port '70000' in 'tcp dport 70000'; see 'portsteerctl rule help'" -b "$batch"
cli cli_batch_force 1 "$batch:3: invalid port '70000' in 'tcp dport 70000'; see 'portsteerctl rule help'
$batch:4: invalid port '0' in 'tcp dport 0': port 0 is never valid; see 'portsteerctl rule help'" --force --batch "$batch"
err=$("$ctl" -j -b - <"$batch" 2>&1 >/dev/null)
rc=$?
if [ $rc -eq 2 ] && [ "$err" = "<stdin>:3: invalid port '70000' in 'tcp dport 70000'; see 'portsteerctl rule help'" ]; then
	add ok cli_batch_stdin; else add not-ok cli_batch_stdin; results+=("# status $rc: $err"); fi
printf 'frob\n' >"$batch"
cli cli_batch_unknown_object 2 "$batch:1: unknown object 'frob'; see 'portsteerctl help'" -b "$batch"
cli cli_batch_extra_argument 2 "portsteerctl: unexpected argument 'show' after '--batch $batch'" \
	-b "$batch" show
rm -f "$batch"
cli cli_batch_missing_file 1 "portsteerctl: cannot open '$batch': No such file or directory" -b "$batch"
"$ctl" --version | grep -Eq '^portsteerctl .+' && add ok cli_version || add not-ok cli_version
help=$("$ctl" --help)
grep -q 'rule add \[ip|ip6|inet\] PROTO dport|sport|port PORTS service NAME' <<<"$help" &&
	grep -q 'settings set \[hook HOOK\[,HOOK\.\.\.\]\]' <<<"$help" &&
	grep -q '\[mark MARK|none\] \[ctmark MARK|none\]' <<<"$help" &&
	grep -q 'rule replace \[ip|ip6|inet\] PROTO dport|sport|port PORTS service NAME' <<<"$help" &&
	grep -q '\[--force\] -b|--batch FILE|-' <<<"$help" &&
	add ok cli_help || add not-ok cli_help
printf 'service add a queue 1\nrule add tcp dport 80 service b\nflush\n' >/tmp/ps-unit-$$.conf
err=$("$ctl" apply /tmp/ps-unit-$$.conf 2>&1)
rc=$?
rm -f /tmp/ps-unit-$$.conf
want="/tmp/ps-unit-$$.conf:2: unknown service 'b'
/tmp/ps-unit-$$.conf:3: 'flush' is not allowed in a configuration file (only 'service add', 'rule add', 'settings set')
portsteerctl: /tmp/ps-unit-$$.conf: 2 errors, nothing applied"
if [ $rc -eq 2 ] && [ "$err" = "$want" ]; then add ok cli_apply_refuses_file; else
	add not-ok cli_apply_refuses_file; results+=("# status $rc: $err"); fi

# Issue 18 (host side: the portsteer family is not registered here).
nofamily="portsteerctl: generic netlink family 'portsteer' not found: is the portsteer module loaded?"
# defect 9: the family missing is 3, not 1
cli cli_nofamily_show_3 3 "$nofamily" show
cli cli_nofamily_rule_add_3 3 "$nofamily" rule add tcp dport 80 service web
cli cli_nofamily_monitor_3 3 "$nofamily" monitor count 1
# defect 2: options after the command
cli cli_show_dash_s 3 "$nofamily" show -s
cli cli_service_show_dash_j 3 "$nofamily" service show -j
cli cli_options_end 2 "portsteerctl: invalid seed '-s' (0 to 4294967295); see 'portsteerctl settings help'" settings set -- seed -s
cli cli_negative_number_not_option 2 "portsteerctl: invalid seed '-5' (0 to 4294967295); see 'portsteerctl settings help'" settings set seed -5
# defect 1: listen's flags in any order (the service form reaches netlink)
cli cli_listen_flag_last 3 "$nofamily" listen web no-fail-open
cli cli_listen_flag_after_count 3 "$nofamily" listen web count 5 no-fail-open
# defect 7: one line; rule add --help is rule's help
cli cli_unknown_command 2 "portsteerctl: unknown command 'rule frob'; see 'portsteerctl rule help'" rule frob
out=$("$ctl" rule add --help 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^Usage: portsteerctl rule show' <<<"$out" &&
	grep -q 'portsteerctl rule add \[ip|ip6|inet\]' <<<"$out" &&
	! grep -q 'service add' <<<"$out"; then add ok cli_rule_add_help
else add not-ok cli_rule_add_help; results+=("# status $rc: $out"); fi
for w in "rule help" "help rule" "r h"; do
	# shellcheck disable=SC2086 # the words are the test
	if [ "$("$ctl" $w 2>&1)" = "$out" ]; then add ok "cli_help_per_object_${w// /_}"
	else add not-ok "cli_help_per_object_${w// /_}"; fi
done
# defect 8: -j save reaches netlink (JSON shapes: unit json_save_document)
cli cli_json_save 3 "$nofamily" save -j
# defect 10: --netns ../x is a usage error; a path that is not there fails
cli cli_netns_relative 2 "portsteerctl: invalid netns '../x': a path must be absolute (/run/netns/NAME, /proc/PID/ns/net)" \
	--netns ../x show
cli cli_netns_missing_path 1 "portsteerctl: cannot open netns '/nonexistent/ns': No such file or directory" \
	show --netns /nonexistent/ns
cli cli_unknown_option 2 "portsteerctl: unknown option '--bogus'; see 'portsteerctl help'" --bogus
cli cli_unknown_option_after 2 "portsteerctl: unknown option '-x' in '-x'; see 'portsteerctl help'" show -x
# habits: version, prefixes, -p
out=$("$ctl" version 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^tool ' <<<"$out" && grep -q '^family portsteer ' <<<"$out" &&
	grep -q '^module ' <<<"$out"; then add ok cli_version_command
else add not-ok cli_version_command; results+=("# status $rc: $out"); fi
out=$("$ctl" v -j 2>/dev/null)
case $out in '{"json_schema_version":1,"tool":'*) add ok cli_version_json ;;
*) add not-ok cli_version_json; results+=("# $out") ;; esac
[ "$("$ctl" v -j -p 2>/dev/null | sed -n 2p)" = '  "json_schema_version": 1,' ] &&
	add ok cli_pretty || add not-ok cli_pretty
cli cli_prefix_s_sh 3 "$nofamily" s sh
cli cli_alias_delete 3 "$nofamily" service delete web

# defect 13: the man page documents what the tool does
man8=$tools/portsteerctl.8
for sec in 'EXIT STATUS' 'JSON OUTPUT' EXAMPLES FILES; do
	grep -q "^\.SH $sec\$" "$man8" && add ok "man_section_${sec// /_}" ||
		add not-ok "man_section_${sec// /_}"
done
# after an example block (.RE), the text goes on indented (.IP), not outdented
awk 'prev == ".RE" && $0 !~ /^\.(IP|PP|TP|SH|RS)/ { bad = 1 } { prev = $0 } END { exit bad }' \
	"$man8" && add ok man_no_outdent_after_example || add not-ok man_no_outdent_after_example
grep -q '^\\fBhelp\\fR \[\\fIOBJECT\\fR\]' "$man8" &&
	grep -q '^\\fBstats\\fR \[\\fBshow\\fR|\\fBreset\\fR\]' "$man8" &&
	grep -q '^\\fBrule del\\fR .*\[\\fBservice\\fR \\fINAME\\fR\]' "$man8" &&
	grep -q 'counters survive' "$man8" && grep -q '^\.B 3$' "$man8" &&
	grep -q '"json_schema_version": 1' "$man8" &&
	add ok man_documents_commands || add not-ok man_documents_commands
# every object of the tool's help has its entry in COMMANDS
for o in service settings stats show save rule apply flush monitor listen version help; do
	grep -q "^\\\\fB$o\\( \\|\\\\fR\\)" "$man8" || { add not-ok "man_object_$o"; continue; }
	add ok "man_object_$o"
done
# Issue 18 (A1): apply and save. An invalid file is 2 with or without the
# module, a file that cannot be read 1; --check needs no module; the
# module missing is 3 (this host has none: where it has, these skip).
conf=/tmp/ps-unit-a1-$$
mkdir -p "$conf"
cli cli_apply_directory 1 "portsteerctl: cannot read '$conf': Is a directory" apply "$conf"
printf '# nothing\n\n' >"$conf/empty.conf"
cli cli_apply_empty_refused 2 "portsteerctl: $conf/empty.conf: no service: applying it would remove every service and rule (--force to apply it anyway)" \
	apply "$conf/empty.conf"
cli cli_apply_check_empty_refused 2 "portsteerctl: $conf/empty.conf: no service: applying it would remove every service and rule (--force to apply it anyway)" \
	apply --check "$conf/empty.conf"
printf 'service add web queue 1\nrule add tcp dport 80 service web\n' >"$conf/good.conf"
printf 'service add web queue x\nrule add tcp dport 80 service web extra\nservice add queue queue 2\n' >"$conf/bad.conf"
cli cli_apply_check_good 0 "" apply --check "$conf/good.conf"
err=$("$ctl" apply --check - <"$conf/good.conf" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -z "$err" ]; then add ok cli_apply_check_stdin; else
	add not-ok cli_apply_check_stdin; results+=("# status $rc: $err"); fi
cli cli_apply_check_bad 2 "$conf/bad.conf:1: invalid queue 'x' (expected Q or Q-Q2, 0 to 65535)
$conf/bad.conf:2: unexpected argument 'extra' after 'tcp dport 80 service web'
$conf/bad.conf:3: invalid service name 'queue': a keyword of portsteerctl's commands
portsteerctl: $conf/bad.conf: 3 errors, nothing to apply" apply --check "$conf/bad.conf"
cli cli_apply_bad_is_2 2 "$conf/bad.conf:1: invalid queue 'x' (expected Q or Q-Q2, 0 to 65535)
$conf/bad.conf:2: unexpected argument 'extra' after 'tcp dport 80 service web'
$conf/bad.conf:3: invalid service name 'queue': a keyword of portsteerctl's commands
portsteerctl: $conf/bad.conf: 3 errors, nothing applied" apply "$conf/bad.conf"
printf '{"json_schema_version":1,"generation":3,"settings":{"hooks":["input","output"],"seed":7},"services":[{"name":"web","queue":10,"queue_count":2,"balance":"flow","bypass":true,"mark":{"value":1,"mask":1}}],"rules":[{"family":"inet","proto":"tcp","port_min":80,"port_max":80,"direction":"dst","service":"web"}]}\n' >"$conf/save.json"
cli cli_apply_check_json 0 "" apply --check "$conf/save.json"
cli cli_apply_json_forced_on_text 2 "$conf/good.conf: invalid JSON at line 1, column 7: '[' or '{' expected near 'service'
portsteerctl: $conf/good.conf: 1 error, nothing to apply" apply --check -j "$conf/good.conf"
cli cli_apply_unknown_option 2 "portsteerctl: unknown option '--frob'; see 'portsteerctl help'" \
	apply --frob "$conf/good.conf"
cli cli_apply_two_files 2 "portsteerctl: apply: unexpected argument 'x' after '$conf/good.conf' (see 'portsteerctl help apply')" \
	apply "$conf/good.conf" x
cli cli_service_add_keyword 2 "portsteerctl: invalid service name 'queue': a keyword of portsteerctl's commands; see 'portsteerctl service help'" \
	service add queue queue 1
# usage errors point at the object's help, in one line
cli cli_usage_points_at_help 2 "portsteerctl: unexpected argument 'extra' after 'flush'; see 'portsteerctl flush help'" \
	flush extra
cli cli_usage_missing_points_at_help 2 "portsteerctl: service del: missing service name; see 'portsteerctl service help'" \
	service del
# an object's help keeps a continuation line under its command's arguments
help=$("$ctl" service help)
[ "$(sed -n 3p <<<"$help")" = "$(printf '%32s' '')[mark MARK] [ctmark MARK]" ] &&
	add ok cli_help_continuation_aligned || add not-ok cli_help_continuation_aligned
cli cli_rule_trailing_context 2 "portsteerctl: unexpected argument 'extra' after 'tcp dport 80 service web'; see 'portsteerctl rule help'" \
	rule add tcp dport 80 service web extra
if [ ! -e /sys/module/portsteer ]; then
	nomod="portsteerctl: generic netlink family 'portsteer' not found: is the portsteer module loaded?"
	cli cli_apply_valid_no_module_3 3 "$nomod" apply "$conf/good.conf"
	cli cli_apply_force_empty_no_module_3 3 "$nomod" apply --force "$conf/empty.conf"
	echo old >"$conf/saved.conf"
	cli cli_save_no_module_3 3 "$nomod" save "$conf/saved.conf"
	[ "$(cat "$conf/saved.conf")" = old ] && [ -z "$(ls -A "$conf" | grep '^\.')" ] &&
		add ok cli_save_failed_leaves_file || add not-ok cli_save_failed_leaves_file
	out=$("$ctl" save 2>/dev/null)
	[ -z "$out" ] && add ok cli_save_failed_prints_nothing || add not-ok cli_save_failed_prints_nothing
fi
rm -rf "$conf"
# The bash completion (tests/completion.sh, KTAP of its own): its results
# here, each as completion_NAME; skipped without bash-completion.
while IFS= read -r line; do
	case $line in
	"ok "*) add ok "completion_${line#ok * }" ;;
	"not ok "*) add not-ok "completion_${line#not ok * }" ;;
	"1..0 # SKIP"*) results+=("ok completion # SKIP${line#1..0 # SKIP}") ;;
	"#"*) results+=("$line") ;;
	esac
done < <("$here/completion.sh" 2>&1)

# A batch's lines read as the command line does: prefixes, aliases, help.
out=$(printf 'r h\n' | "$ctl" -b - 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^Usage: portsteerctl rule show' <<<"$out"; then
	add ok cli_batch_prefix_help
else add not-ok cli_batch_prefix_help; results+=("# status $rc: $out"); fi
out=$(printf 's sh\n' | "$ctl" -b - 2>&1); rc=$?
if [ $rc -eq 3 ] && [ "$out" = "<stdin>:1: ${nofamily#portsteerctl: }" ]; then
	add ok cli_batch_prefix_command
else add not-ok cli_batch_prefix_command; results+=("# status $rc: $out"); fi
out=$(printf 'service frob\n' | "$ctl" -b - 2>&1); rc=$?
case $rc:$out in
"2:<stdin>:1: unknown command 'service frob'; see 'portsteerctl service help'") add ok cli_batch_unknown_command ;;
*) add not-ok cli_batch_unknown_command; results+=("# status $rc: $out") ;;
esac

n=0
for r in "${results[@]}"; do
	case $r in "#"*) ;; *) n=$((n + 1)) ;; esac
done
echo "TAP version 13"
echo "1..$n"
i=0
for r in "${results[@]}"; do
	case $r in
	"#"*) echo "$r" ;;
	"ok "*) i=$((i + 1)); echo "ok $i ${r#ok }" ;;
	*) i=$((i + 1)); echo "not ok $i ${r#not-ok }" ;;
	esac
done
exit $fail
