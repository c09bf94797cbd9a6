#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's examples, as they stand in README.md between the markers
# <!-- test:begin --> and <!-- test:end -->, so that they cannot drift from
# the tool: each indented line is run in order, each one result (it must
# exit 0), in a server namespace S (portsteerctl gets --netns S; modprobe
# portsteer loads the module under test; /etc/portsteer.conf is a file of
# the test's). While `portsteerctl listen` runs, a client namespace sends it
# UDP over IPv6 to port 53 (domain), one datagram each 0.1 s, at most 300.
#
#   ns C (fd98::2) c0 ---- s0 ns S (fd98::1): the README's configuration

. "$(dirname "$0")"/lib.sh

README=$PS_SELFTESTS/../README.md
C=ps-readme-$$-c
S=ps-readme-$$-s
tmp=$(mktemp -d)
export PORTSTEER_SERVICES=$PS_SELFTESTS/../tools/tests/services

cleanup() {
	kill_jobs
	ip netns del "$C" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

command -v "$CTL" >/dev/null || { diag "no portsteerctl"; exit $ksft_skip; }
[ -r "$README" ] || { diag "no $README"; exit $ksft_skip; }

# The example lines: indented by four, between the markers, comments off.
mapfile -t lines < <(sed -n '/^<!-- test:begin/,/^<!-- test:end/p' "$README" |
	sed -n 's/^    //p' | sed 's/  *#.*$//')
ktap_header $((${#lines[@]} + 4))	# markers, the lines, final, unload, reports
kmsg_mark
if [ "${#lines[@]}" -lt 5 ]; then
	ktap_fail "markers: ${#lines[@]} example lines between the markers of $README"
else
	ktap_pass "markers"
fi

two_hosts "$C" "$S" 10.98.1 fd98 || { diag "topology setup failed"; exit $ksft_skip; }
ps_unload

# run LINE: one example line, portsteerctl in S, files in $tmp
run() {
	local cmd=$1
	case $cmd in
	"modprobe portsteer"|"insmod portsteer.ko") ps_load; return ;;
	esac
	cmd=${cmd//\/etc\/portsteer.conf/$tmp\/portsteer.conf}
	[[ $cmd == "portsteerctl "* ]] &&
		cmd="\"\$CTL\" --netns \"\$S\" ${cmd#portsteerctl }"
	(cd "$tmp" && eval "$cmd")
}

# listen LINE: the line in the background, datagrams to it until it exits
listen() {
	local pid i
	run "$1" >"$tmp/listen.out" 2>&1 &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		ip netns exec "$C" bash -c 'echo "readme-$1" >/dev/udp/fd98::1/53' _ "$i" 2>/dev/null
		sleep 0.1
	done
	wait "$pid"
}

n=0
for line in "${lines[@]}"; do
	n=$((n + 1))
	diag "$line"
	case $line in
	"portsteerctl listen "*) f=listen ;;
	*) f=run ;;
	esac
	if $f "$line" >"$tmp/out" 2>&1; then
		ktap_pass "readme_$n"
	else
		sed 's/^/#   /' "$tmp/out"
		[ $f = listen ] && sed 's/^/#   /' "$tmp/listen.out"
		ktap_fail "readme_$n"
	fi
done

# Where the example ends: its three services, dns with the moved rule.
got=$("$CTL" --netns "$S" -j show 2>&1 |
	jget "sorted(s['name'] for s in d['services']), sorted((s['name'], r['port_min']) for s in d['services'] for r in s['rules'] if s['name'] != 'ids')" 2>&1)
expect final_configuration "$got" "['dns', 'ids', 'ntp'] [('dns', 53), ('ntp', 123)]"

unload_and_finish
