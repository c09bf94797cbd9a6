#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own YNL CLI (tools/net/ynl/pyynl/cli.py of the newest kernel
# we support, cached by scripts/ynl.sh) drives the family from the spec
# alone: the spec validates under the kernel's schema, every op and every
# dump works, and --subscribe config receives the notifications of a
# change, decoded.

. "$(dirname "$0")"/lib.sh

spec=$(cd "$(dirname "$0")/.." && pwd)/Documentation/netlink/specs/portsteer.yaml
cache=${PORTSTEER_CACHE:-/var/cache/portsteer}
src=$(ls -d "$cache"/ynl-*/ 2>/dev/null | sort -V | tail -n1)
src=${src%/}
names="schema service_new service_set service_get service_dump rule_new rule_dump
	rule_del settings_set settings_get stats_get stats_reset replace replace_abort
	flush service_del subscribe"

ktap_header $(($(echo $names | wc -w) + 2))
if [ -z "$src" ] || [ ! -f "$src/.complete" ] || ! python3 -c 'import yaml' 2>/dev/null; then
	for n in $names; do
		ktap_skip "$n" "the kernel's YNL tools are not cached yet (scripts/ynl.sh dir)"
	done
	ktap_skip unload "nothing ran"
	ktap_skip no_kernel_reports "nothing ran"
	ktap_finish
fi

# The schema is checked once (validating it is most of an invocation's time
# under TCG); it needs python3-jsonschema, which a guest's root (sid's
# chroot) may not have, and the host checks it too (make regen-check).
ynl() {
	python3 "$src/tools/net/ynl/pyynl/cli.py" --spec "$spec" --no-schema \
		--output-json "$@"
}

# ok NAME PYTHON_EXPR ARGS...: ynl ARGS, then the expression of its JSON
# output (d) must hold
ok() {
	local name=$1 expr=$2 out
	shift 2
	if ! out=$(ynl "$@" 2>&1); then
		diag "$name: ynl $*: $out"
		ktap_fail "$name"
		return
	fi
	if [ -n "$expr" ] &&
	   ! python3 -c "import json, sys; d = json.loads(sys.argv[1] or 'null'); sys.exit(0 if ($expr) else 1)" "$out"; then
		diag "$name: ynl $*: $out"
		ktap_fail "$name"
		return
	fi
	ktap_pass "$name"
}

kmsg_mark
ps_unload
modprobe -a nf_defrag_ipv4 nf_defrag_ipv6 2>/dev/null
ps_load || diag "the module did not load"

if ! python3 -c 'import jsonschema' 2>/dev/null; then
	ktap_skip schema "python3-jsonschema is not installed here (the host checks it)"
else
	ktap_result schema python3 "$src/tools/net/ynl/pyynl/cli.py" --spec "$spec" \
		--schema "$src/Documentation/netlink/genetlink.yaml" --validate
fi
ok service_new "" --do service-new --json '{"service": {"name": "web", "queue": 10, "queue-count": 2}}'
ok service_set "" --do service-set --json '{"service": {"name": "web", "bypass": 1}}'
ok service_get "d['service'][0]['queue-count'] == 2 and d['service'][0]['bypass'] == 1 and d['service'][0]['balance'] == 'flow'" \
	--do service-get --json '{"service": {"name": "web"}}'
ok service_dump "[s['service'][0]['name'] for s in d] == ['web']" --dump service-get
ok rule_new "" --do rule-new --json '{"rule": [{"proto": 6, "port-min": 80, "service": "web"}, {"family": "ipv6", "proto": 17, "port-min": 53, "port-max": 54, "service": "web"}]}'
ok rule_dump "sorted((r['rule'][0]['proto'], r['rule'][0]['port-min'], r['rule'][0]['family']) for r in d) == [(6, 80, 'inet'), (17, 53, 'ipv6')]" \
	--dump rule-get
ok rule_del "" --do rule-del --json '{"rule": [{"family": "ipv6", "proto": 17, "port-min": 53, "port-max": 54}]}'
ok settings_set "" --do settings-set --json '{"settings": {"icmp-errors": 1, "seed": 7}}'
ok settings_get "d['settings']['seed'] == 7 and d['settings']['icmp-errors'] == 1 and d['settings']['rules'] == 1 and d['settings']['hook'] == 'prerouting'" \
	--do settings-get
ok stats_get "'seen' in d['stats'] and 'dropped' in d['stats']" --do stats-get
ok stats_reset "" --do stats-reset
# A transaction belongs to its socket: one invocation, one socket.
ok replace "" --multi replace-begin '{}' \
	--multi replace-add '{"service": [{"name": "dns", "queue": 20}], "rule": [{"proto": 17, "port-min": 53, "service": "dns"}]}' \
	--multi replace-commit '{}'
ok replace_abort "" --multi replace-begin '{}' --multi replace-abort '{}'
ok flush "" --do flush
ynl --do service-new --json '{"service": {"name": "gone", "queue": 1}}' >/dev/null
ok service_del "" --do service-del --json '{"service": {"name": "gone"}, "flags": 1}'

# The group's notifications, named and decoded from the spec.
out=$(mktemp)
PYTHONUNBUFFERED=1 ynl --subscribe config --duration 60 >"$out" 2>&1 &
sub=$!
# Subscribed once a change of ours shows.
for _ in $(seq 20); do
	ynl --do stats-reset >/dev/null
	busywait 2000 grep -q stats-reset-ntf "$out" && break
done
ynl --do service-new --json '{"service": {"name": "seen", "queue": 3}}' >/dev/null
ynl --do rule-new --json '{"rule": [{"proto": 6, "port-min": 443, "service": "seen"}]}' >/dev/null
ynl --do flush >/dev/null
busywait 15000 grep -q flush-ntf "$out"
kill "$sub" 2>/dev/null
wait "$sub" 2>/dev/null
if python3 - "$out" <<'EOF'; then
import json, sys
text = open(sys.argv[1]).read()
msgs = [json.loads(l) for l in text.splitlines() if l.startswith('{')]
while msgs and msgs[0]['name'] == 'stats-reset-ntf':
    msgs.pop(0)
names = [m['name'] for m in msgs]
want = ['service-new-ntf', 'rule-new-ntf', 'flush-ntf']
ok = names == want and msgs[0]['msg']['service'][0]['name'] == 'seen' and \
    msgs[1]['msg']['rule'][0]['port-min'] == 443
if not ok:
    print('# got: ' + text.replace('\n', '\n# '))
sys.exit(0 if ok else 1)
EOF
	ktap_pass subscribe
else
	ktap_fail subscribe
fi
rm -f "$out"

unload_and_finish
