# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers of portsteer's shell selftests: KTAP output, loading the
# module under test, and watching the kernel log for reports.
#
# PS_KO names the portsteer.ko under test (set by run_tests.sh).

# The selftests' directory, and the portsteerctl under test: PS_CTL (or
# PORTSTEERCTL), else the one built beside them.
SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CTL=${PS_CTL:-${PORTSTEERCTL:-$SELFTESTS/../tools/portsteerctl}}

ksft_skip=4
_ktap_n=0
_ktap_fail=0
_ktap_pass=0
_ktap_skip=0

ktap_header() {		# ktap_header NUMBER_OF_TESTS
	echo "TAP version 13"
	echo "1..$1"
}

ktap_pass() {
	_ktap_n=$((_ktap_n + 1)); _ktap_pass=$((_ktap_pass + 1))
	echo "ok $_ktap_n $*"
}

ktap_fail() {
	_ktap_n=$((_ktap_n + 1)); _ktap_fail=$((_ktap_fail + 1))
	echo "not ok $_ktap_n $*"
}

ktap_skip() {		# ktap_skip NAME REASON
	_ktap_n=$((_ktap_n + 1)); _ktap_skip=$((_ktap_skip + 1))
	echo "ok $_ktap_n $1 # SKIP $2"
}

ktap_result() {		# ktap_result NAME COMMAND...: one test from a command's status
	local name=$1
	shift
	if "$@"; then ktap_pass "$name"; else ktap_fail "$name"; fi
}

# A script made of test_NAME functions lists them as NAME:RESULTS, RESULTS
# being how many results the test reports; its plan is computed from them.
ktap_plan() {		# ktap_plan NAME:RESULTS...: prints the sum of RESULTS
	local t n=0
	for t; do
		n=$((n + ${t#*:}))
	done
	echo "$n"
}

ktap_run() {		# ktap_run NAME:RESULTS...: test_NAME of each, in order
	# Names of its own: the tests' variables are dynamically scoped.
	local _kr_t _kr_name _kr_want _kr_before _kr_got
	for _kr_t; do
		_kr_name=${_kr_t%%:*} _kr_want=${_kr_t#*:}
		_kr_before=$_ktap_n
		"test_$_kr_name"
		_kr_got=$((_ktap_n - _kr_before))
		# The plan holds whatever a test did: what it left out fails.
		while [ "$_kr_got" -lt "$_kr_want" ]; do
			_kr_got=$((_kr_got + 1))
			diag "test_$_kr_name reported fewer results than its $_kr_want"
			ktap_fail "${_kr_name}_result_$_kr_got"
		done
		[ "$_kr_got" -eq "$_kr_want" ] ||
			diag "test_$_kr_name reported $_kr_got results, not $_kr_want: fix its count"
	done
}

ktap_skip_all() {	# ktap_skip_all REASON NAME:RESULTS...: skip every result
	local reason=$1 t i
	shift
	for t; do
		for ((i = 1; i <= ${t#*:}; i++)); do
			ktap_skip "${t%%:*}_$i" "$reason"
		done
	done
}

ktap_finish() {
	echo "# Totals: pass:$_ktap_pass fail:$_ktap_fail xfail:0 xpass:0 skip:$_ktap_skip error:0"
	[ "$_ktap_fail" -eq 0 ]
	exit $?
}

diag() {
	echo "# $*"
}

# Kernel log watching: remember where the log is, later look at what came after.
kmsg_mark() {
	_kmsg_mark=$(dmesg | wc -l)
}

# Prints and fails on any kernel report logged since kmsg_mark.
kmsg_clean() {
	local reports
	reports=$(dmesg | tail -n +$((_kmsg_mark + 1)) | grep -E \
		'Oops|BUG[: ]|WARNING:|KASAN|UBSAN|lockdep|suspicious RCU|unreferenced object|Call Trace|leak|still has objects' || true)
	if [ -n "$reports" ]; then
		echo "$reports" | sed 's/^/# kernel: /'
		return 1
	fi
	return 0
}

# W (512) and D (128) taint bits; E and O come with any out-of-tree module.
kernel_untainted() {
	[ $(($(cat /proc/sys/kernel/tainted) & 640)) -eq 0 ]
}

ps_loaded() {
	[ -d /sys/module/portsteer ]
}

# Load the module under test, with the modules it needs.
ps_load() {
	if [ -z "${PS_KO:-}" ] || [ ! -r "$PS_KO" ]; then
		diag "PS_KO does not name a module: '${PS_KO:-}'"
		return 1
	fi
	ps_loaded && return 0
	# Nothing first: portsteer brings in what a setting needs.
	insmod "$PS_KO" "$@"
}

ps_unload() {
	ps_loaded || return 0
	rmmod portsteer
}

# scaled N: a loop count divided by PS_SCALE (at least 1). make check-debug
# sets PS_SCALE, as every process its kernel starts costs a second.
scaled() {
	local n=$(( $1 / ${PS_SCALE:-1} ))
	[ "$n" -ge 1 ] || n=1
	echo "$n"
}

# busywait TIMEOUT_MS COMMAND...: poll until COMMAND succeeds
busywait() {
	local timeout=$1 start now
	shift
	start=$(date +%s%3N)
	while true; do
		"$@" && return 0
		now=$(date +%s%3N)
		[ $((now - start)) -ge "$timeout" ] && return 1
		sleep 0.05
	done
}

# kill_jobs: stop the test's background jobs and reap them.
kill_jobs() {
	local p
	for p in $(jobs -p); do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
}

# ctl_netns_setup: the start of a portsteerctl test (CTL, NS set): skip
# without portsteerctl; load the module; make the netns NS; C runs
# portsteerctl in it.
ctl_netns_setup() {
	command -v "$CTL" >/dev/null || { diag "no portsteerctl"; exit $ksft_skip; }
	ps_load || { ktap_fail "load"; ktap_finish; }
	ip netns add "$NS"
	C="$CTL --netns $NS"
}

# two_hosts C S NET4 NET6 [raw]: namespaces C and S joined by a veth pair, c0
# in C (NET4.2/24, NET6::2/64) and s0 in S (NET4.1, NET6::1), all up. raw:
# the client sends hand-made frames only, its IPv6 stack off from the start
# (no router or neighbour solicitation, no MLD report reaches the server)
two_hosts() {
	ip netns add "$1" && ip netns add "$2" &&
	ip -n "$1" link add c0 type veth peer name s0 netns "$2" &&
	ip -n "$1" addr add "$3.2/24" dev c0 && ip -n "$2" addr add "$3.1/24" dev s0 &&
	if [ "$5" = raw ]; then
		ip netns exec "$1" sysctl -qw net.ipv6.conf.c0.disable_ipv6=1
	else
		ip -n "$1" addr add "$4::2/64" dev c0 nodad
	fi &&
	ip -n "$2" addr add "$4::1/64" dev s0 nodad &&
	ip -n "$1" link set c0 up && ip -n "$2" link set s0 up &&
	ip -n "$1" link set lo up && ip -n "$2" link set lo up
}

# ktap_lines: KTAP results from lines "pass NAME" and "fail NAME" on standard
# input (of a helper program); other lines are passed on as they are
ktap_lines() {
	local verdict name
	while read -r verdict name; do
		case $verdict in
		pass) ktap_pass "$name" ;;
		fail) ktap_fail "$name" ;;
		*) echo "$verdict $name" ;;
		esac
	done
}

# ctl ARGS...: portsteerctl ($CTL) in the namespace $CTL_NS
ctl() {
	"$CTL" --netns "$CTL_NS" "$@"
}

# kernel_at_least MAJOR MINOR: the running kernel is that version or newer
kernel_at_least() {
	local rel maj min
	rel=$(uname -r)
	maj=${rel%%.*}
	min=${rel#*.}
	min=${min%%[!0-9]*}
	[ "$maj" -gt "$1" ] || { [ "$maj" -eq "$1" ] && [ "$min" -ge "$2" ]; }
}

# jget EXPR: reads JSON on standard input and prints the Python expression
# EXPR of it, the document being d
jget() {
	python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"
}

# expect NAME ACTUAL EXPECTED: one test, passed when ACTUAL is EXPECTED
expect() {
	if [ "$2" = "$3" ]; then
		ktap_pass "$1"
	else
		diag "$1: got '$2', expected '$3'"
		ktap_fail "$1"
	fi
}

# unload_and_finish: a module test's last two results (the module unloads;
# the kernel log has no report and the kernel is not tainted), a second for
# deferred reports to reach the log, then the KTAP totals
unload_and_finish() {
	ktap_result "unload" ps_unload
	sleep 1
	ktap_result "no_kernel_reports" eval 'kmsg_clean && kernel_untainted'
	ktap_finish
}
