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
cli cli_bad_port 2 "portsteerctl: invalid port '70000' in 'tcp dport 80,70000'" \
	rule add tcp dport 80,70000 service web
cli cli_port_zero 2 "portsteerctl: invalid port '0' in 'udp dport 0': port 0 is never valid" \
	rule del udp dport 0
cli cli_unknown_object 2 "$("$ctl" --help 2>&1 | sed '1i portsteerctl: unknown object '"'"'frob'"'"'')" frob
cli cli_bad_settings 2 "portsteerctl: invalid hook 'sideways' (prerouting, input, forward, output)" \
	settings set hook sideways
cli cli_hook_twice 2 "portsteerctl: hook 'input' given twice in 'input,output,input'" \
	settings set hook input,output,input
cli cli_bad_direction 2 "portsteerctl: expected 'dport PORTS', 'sport PORTS' or 'port PORTS' after 'tcp'" \
	rule add tcp xport 80 service web
cli cli_sport_port_zero 2 "portsteerctl: invalid port '0' in 'udp sport 0': port 0 is never valid" \
	rule del udp sport 0
cli cli_mark_outside_mask 2 "portsteerctl: invalid mark '0x3/0x1': value 0x3 has bits outside mask 0x1" \
	service add web queue 1 mark 0x3/0x1
cli cli_ctmark_mask_zero 2 "portsteerctl: invalid ctmark '1/0': mask 0 compares no bits (for no mark: 'ctmark none')" \
	service change web ctmark 1/0
cli cli_listen_bad_count 2 "portsteerctl: listen: invalid count 'x'" \
	listen queue 1 count x
cli cli_bad_option 2 "$("$ctl" --bogus 2>&1)" --bogus
cli cli_rule_replace_missing_service 2 "portsteerctl: missing 'service NAME' after 'tcp dport 80'" \
	rule replace tcp dport 80
cli cli_rule_replace_bad_port 2 "portsteerctl: invalid port range '90-80' in 'udp port 90-80'" \
	rule replace ip6 udp port 90-80 service a
# Batches, with lines that fail before any netlink: nothing reaches a kernel.
batch=/tmp/ps-unit-batch-$$
printf '# two bad lines\n\nrule add tcp dport 70000 service a\nrule replace tcp dport 0 service a\n' >"$batch"
cli cli_batch_stops 2 "$batch:3: invalid port '70000' in 'tcp dport 70000'" -b "$batch"
cli cli_batch_force 1 "$batch:3: invalid port '70000' in 'tcp dport 70000'
$batch:4: invalid port '0' in 'tcp dport 0': port 0 is never valid" --force --batch "$batch"
err=$("$ctl" -j -b - <"$batch" 2>&1 >/dev/null)
rc=$?
if [ $rc -eq 2 ] && [ "$err" = "<stdin>:3: invalid port '70000' in 'tcp dport 70000'" ]; then
	add ok cli_batch_stdin; else add not-ok cli_batch_stdin; results+=("# status $rc: $err"); fi
printf 'frob\n' >"$batch"
cli cli_batch_unknown_object 2 "$batch:1: unknown object 'frob'" -b "$batch"
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
want="/tmp/ps-unit-$$.conf:3: 'flush' is not allowed in a configuration file (only 'service add', 'rule add', 'settings set')
/tmp/ps-unit-$$.conf:2: unknown service 'b'
portsteerctl: /tmp/ps-unit-$$.conf: 2 errors, nothing applied"
if [ $rc -eq 1 ] && [ "$err" = "$want" ]; then add ok cli_apply_refuses_file; else
	add not-ok cli_apply_refuses_file; results+=("# status $rc: $err"); fi

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
