#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Python example of the "Scripting" section of portsteer.rst,
# tools/examples/portsteer_ynl.py, as a user runs it: with the kernel's YNL
# library (the newest kernel's, cached by scripts/ynl.sh), in a namespace of
# its own. It loads the spec and finds what it uses; without the module it
# says so and exits 3; with it, it adds a service and two rules, dumps them,
# deletes them and sees the three notifications, and leaves nothing behind.

. "$(dirname "$0")"/lib.sh

EXAMPLE=$PS_SELFTESTS/../tools/examples/portsteer_ynl.py
SPEC=$PS_SELFTESTS/../Documentation/netlink/specs/portsteer.yaml
cache=${PORTSTEER_CACHE:-/var/cache/portsteer}
src=$(ls -d "$cache"/ynl-*/ 2>/dev/null | sort -V | tail -n1)
src=${src%/}
NS=ps-ynlex-$$
tmp=$(mktemp -d)
names="spec_only no_module_exit_3 runs dumped notified nothing_left"

cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ktap_header $(($(echo $names | wc -w) + 2))
if [ -z "$src" ] || [ ! -f "$src/.complete" ] || ! python3 -c 'import yaml' 2>/dev/null ||
   [ ! -r "$EXAMPLE" ]; then
	for n in $names; do
		ktap_skip "$n" "the kernel's YNL tools are not cached yet (scripts/ynl.sh dir), or no $EXAMPLE"
	done
	ktap_skip unload "nothing ran"
	ktap_skip no_kernel_reports "nothing ran"
	ktap_finish
fi

# ex ARGS...: the example, with the cached library and our spec
ex() {
	timeout 60 python3 "$EXAMPLE" --ynl "$src" --spec "$SPEC" "$@"
}

kmsg_mark
ps_unload
ip netns add "$NS" || { diag "ip netns add failed"; exit $ksft_skip; }

ktap_result spec_only ex --spec-only

ex >"$tmp/out" 2>&1
rc=$?
if [ "$rc" -eq 3 ] && grep -q "not supported by the kernel" "$tmp/out"; then
	ktap_pass no_module_exit_3
else
	sed 's/^/#   /' "$tmp/out"
	diag "exit $rc, expected 3"
	ktap_fail no_module_exit_3
fi

modprobe -a nf_defrag_ipv4 nf_defrag_ipv6 2>/dev/null
ps_load || diag "the module did not load"

ip netns exec "$NS" timeout 60 python3 "$EXAMPLE" --ynl "$src" --spec "$SPEC" \
	--name example >"$tmp/out" 2>&1
rc=$?
sed 's/^/#   /' "$tmp/out"
expect runs "$rc" 0
expect dumped "$(grep -c -e '^service example queue 40 queue-count 2 balance flow bypass 1$' \
	-e '^rule inet proto 6 dst 8080-8081 service example$' \
	-e '^rule ipv6 proto 17 dst 5353-5353 service example$' "$tmp/out")" 3
expect notified "$(grep '^notification ' "$tmp/out" | awk '{ print $2 }' | paste -sd' ')" \
	"service-new-ntf rule-new-ntf service-del-ntf"
expect nothing_left "$("$CTL" --netns "$NS" show 2>&1)" ""

unload_and_finish
