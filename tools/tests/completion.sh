#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bash completion of portsteerctl, host-side (no kernel): sources
# tools/portsteerctl.bash-completion with bash-completion's own library,
# sets COMP_WORDS/COMP_CWORD as bash does for a command line, calls
# _portsteerctl and compares COMPREPLY. A stub portsteerctl on PATH lists
# the services of the namespace it is given (--netns NAME or PATH), and a
# stub ip lists the namespaces. Prints KTAP; exits non-zero on a failure,
# 4 (skip) without bash-completion.
#
#   tools/tests/completion.sh

here=$(cd "$(dirname "$0")" && pwd)
lib=${BASH_COMPLETION_LIB:-/usr/share/bash-completion/bash_completion}
if [ ! -r "$lib" ]; then
	echo "TAP version 13"
	echo "1..0 # SKIP bash-completion is not installed ($lib)"
	exit 4
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/portsteerctl" <<'EOF'
#!/bin/bash
# the services of a namespace, as `portsteerctl service show` prints them
echo "$*" >>"${0%/*}/calls"
case $* in
"--netns blue service show") echo "service blueweb queue 30 balance flow" ;;
"--netns /run/netns/blue service show") echo "service pathweb queue 31 balance flow" ;;
"service show")
	echo "service web queue 10-11 balance flow bypass"
	echo "service dns queue 20 balance flow" ;;
*) exit 2 ;;
esac
EOF
printf '#!/bin/sh\necho "blue (id: 0)"\necho red\n' >"$tmp/ip"
chmod +x "$tmp/portsteerctl" "$tmp/ip"
PATH=$tmp:$PATH

# bash-completion's library wants an interactive-like shell's settings
# shellcheck disable=SC1090
. "$lib"
# shellcheck disable=SC1091
. "$here/../portsteerctl.bash-completion"

n=0
fail=0
out=()
# comp LINE: the completions of LINE with the cursor at its end, sorted,
# one space between them. Words are split as bash splits them for
# completion (COMP_WORDBREAKS): at blanks, and around '='.
comp() {
	local line=$1 w
	local -a cw=()
	for w in $line; do
		if [[ $w == ?*=* ]]; then
			cw+=("${w%%=*}" "=" "${w#*=}")
		else
			cw+=("$w")
		fi
	done
	[[ $line == *" " || -z $line ]] && cw+=("")
	COMP_WORDS=(portsteerctl "${cw[@]}")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="portsteerctl $line"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_portsteerctl portsteerctl "${COMP_WORDS[COMP_CWORD]}" \
		"${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | paste -sd' '
}

# t NAME LINE EXPECTED: the completions of LINE are EXPECTED (sorted)
t() {
	local got
	got=$(comp "$2")
	n=$((n + 1))
	if [ "$got" = "$3" ]; then
		out+=("ok $n $1")
	else
		out+=("not ok $n $1" "# 'portsteerctl $2<TAB>': got '$got', want '$3'")
		fail=1
	fi
}

all='help rule save service settings show stats version apply flush listen monitor'
all=$(printf '%s\n' $all | sort | paste -sd' ')
t objects '' "$all"
t objects_prefix 'ver' 'version'
t help_objects 'help ' "$(printf '%s\n' $all | grep -vx help | paste -sd' ')"
t service_commands 'service ' 'add change del delete help list show'
t rule_commands 'rule ' 'add del delete help list replace show'
t prefix_object_command 's sh ' 'dns web'
# defect 4: with-rules only where the usage has it (service del NAME)
t show_name_no_with_rules 'service show web ' ''
t del_with_rules 'service del web ' 'with-rules'
t del_with_rules_once 'service del web with-rules ' ''
t delete_alias_names 'service delete ' 'dns web'
# defect 4: the name slot offers names only, also when none matches
t del_name_slot_no_keyword 'service del wi' ''
t change_name_slot_no_keyword 'service change q' ''
t change_name_slot_names 'service change w' 'web'
# defect 4: keywords given once are not offered again
t add_keywords_once 'service add web queue 10 bypass ' 'balance ctmark mark'
t change_bypass_choice 'service change web bypass ' 'balance ctmark mark queue'
t change_mark_none 'service change web mark ' 'none'
t balance_values 'service add web queue 1 balance ' 'cpu flow'
# defect 4: --netns NAME, --netns=NAME and a netns file for the names
t netns_equals_names '--netns=blue service del ' 'blueweb'
t netns_names 'service show --netns blue ' 'blueweb'
t netns_path_names '--netns /run/netns/blue show ' 'pathweb'
n=$((n + 1))
if grep -qx -- '--netns blue service show' "$tmp/calls"; then
	out+=("ok $n netns_passed_to_lookup")
else
	out+=("not ok $n netns_passed_to_lookup")
	fail=1
fi
t netns_list '--netns ' 'blue red'
t netns_file '--netns /pro' '/proc'
t netns_file_after_equals '--netns=/pro' '/proc'
# the commands and keywords of issue 18
t show_name 'show ' 'dns web'
t rule_show_service 'rule show ' 'service'
t rule_show_service_name 'rule show service ' 'dns web'
t rule_proto 'rule add ip6 ' 'dccp sctp tcp udp udplite'
t rule_direction 'rule add tcp ' 'dport port sport'
t rule_service 'rule add tcp dport 80 ' 'service'
t rule_service_name 'rule replace inet udp port 53 service d' 'dns'
t rule_del_service 'rule del tcp dport 80 ' 'service'
t monitor_first 'monitor ' 'count rule service settings timestamp'
t monitor_once 'monitor rule count 5 ' 'timestamp'
t monitor_object_first_only 'monitor count 5 ' 'timestamp'
t listen_first 'listen ' 'dns queue web'
t listen_queue_number 'listen queue ' ''
t listen_keywords 'listen web count 5 ' 'epoch maxlen no-fail-open timeout verdict'
t listen_verdict 'listen queue 10 epoch verdict ' 'accept drop'
t settings_negative_priority 'settings set priority -180 ' 'defrag hook icmp-errors seed'
t settings_hooks 'settings set hook input,' 'input,forward input,output input,prerouting'
t apply_check 'apply --ch' '--check'
t apply_stdin 'apply --check -' "$(compgen -W '-j --json -p --pretty -s --stats -n --numeric --netns --force -' -- - |
	sort | paste -sd' ')"
t options_once '-j service show -' "$(compgen -W '--json -p --pretty -s --stats -n --numeric --netns --force' -- - |
	sort | paste -sd' ')"
t options_first '--v' '--version'
t pretty '--pr' '--pretty'
t batch_nothing_after '-b x ' ''
t version_nothing_after 'version ' ''

echo "TAP version 13"
echo "1..$n"
printf '%s\n' "${out[@]}"
exit $fail
