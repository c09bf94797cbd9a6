#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# portsteerctl's parsers under libFuzzer (tools/fuzz/fuzz_parse, clang with
# ASan and UBSan) for a bounded time: PS_CLI_FUZZ_SECONDS (default 60),
# from the test configurations (every grammar: directions, marks, hook sets)
# as seeds and a fixed seed of libFuzzer's own (PS_CLI_FUZZ_SEED, printed).
# A crash, a sanitizer report or a broken invariant (among them: what save
# prints of an accepted file parses back to the same save) fails; its
# reproducer is kept in build/fuzz/. Prints KTAP.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
secs=${PS_CLI_FUZZ_SECONDS:-60}
seed=${PS_CLI_FUZZ_SEED:-$(( $(date +%s) % 100000 + 1 ))}
out=${PS_BUILD_DIR:-$top/build}/fuzz
echo "TAP version 13"
echo "1..1"
mkdir -p "$(dirname "$out")"
if ! make -s -C "$top/tools" fuzz >"$out.log" 2>&1; then
	sed 's/^/# /' "$out.log"
	echo "not ok 1 libfuzzer_parsers # the target does not build (clang, libclang-rt-14-dev)"
	exit 1
fi
rm -rf "$out"
mkdir -p "$out/corpus"
cp "$top"/tools/tests/*.conf "$out/corpus/"
printf '80,443,8000-8080\n' >"$out/corpus/ports"
printf '10-13\n' >"$out/corpus/queues"
printf 'service add web queue 10-11 balance cpu bypass\nrule add ip6 tcp dport http,8443 service web\nsettings set defrag on priority -150\n' >"$out/corpus/small.conf"
printf 'service add ids queue 3 mark 0x1/0x1 ctmark 0x100/0xff00\nrule add udp sport 53 service ids\nrule add tcp port 80 service ids\nsettings set hook input,output\n' >"$out/corpus/features.conf"
echo "# libFuzzer: seed $seed, ${secs}s (replay: PS_CLI_FUZZ_SEED=$seed)"
(cd "$out" && "$top/tools/fuzz/fuzz_parse" -seed="$seed" -max_total_time="$secs" \
	-max_len=4096 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 corpus) >"$out/run.log" 2>&1
rc=$?
grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)' "$out/run.log" | sed 's/^/# /'
grep -E 'cov: [0-9]+' "$out/run.log" | tail -n1 | sed 's/^/# last: /'
if [ $rc -eq 0 ]; then
	echo "ok 1 libfuzzer_parsers"
else
	grep -E -A30 'ERROR|runtime error|fuzz_parse: accepted|deadly signal' "$out/run.log" | head -n 60 | sed 's/^/# /'
	ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* 2>/dev/null | sed 's/^/# reproducer: /'
	echo "not ok 1 libfuzzer_parsers"
fi
exit $rc
