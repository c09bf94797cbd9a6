#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.pl --strict on each file given, and kernel-doc on the module's
# sources; prints the findings and fails if there are any.
set -uo pipefail

tools=$("$(dirname "$0")"/kernel-tools.sh) || exit 1
cp=$tools/scripts/checkpatch.pl
kdoc=$(ls /usr/src/linux-kbuild-*/scripts/kernel-doc 2>/dev/null | sort -V | tail -n1)
rc=0
for f in "$@"; do
	ignore=FILE_PATH_CHANGES
	case $f in
	# The compat header exists to compare kernel versions.
	module/compat.h) ignore+=,LINUX_VERSION_CODE,CONSTANT_COMPARISON ;;
	# BIT() is not part of the uapi.
	uapi/*) ignore+=,BIT_MACRO ;;
	# Userspace has no BIT(), __printf() or ARRAY_SIZE() of the kernel's,
	# and sig_atomic_t flags are volatile by definition.
	tools/*|selftests/*)
		ignore+=,BIT_MACRO,PREFER_DEFINED_ATTRIBUTE_MACRO,ARRAY_SIZE,VOLATILE,PREFER_KERNEL_TYPES,NEW_TYPEDEFS,SPLIT_STRING,PREFER_FALLTHROUGH ;;
	esac
	# kselftest_harness.h's ASSERT_*() need braces around them, and a test
	# compares the kernel's messages whole; the tool's messages are not
	# split either, so that they can be found with grep.
	case $f in
	selftests/*.c) ignore+=,BRACES,LONG_LINE_STRING ;;
	# libFuzzer's entry point has its own name
	tools/fuzz/*.c) ignore+=,CAMELCASE,LONG_LINE_STRING ;;
	tools/*.c) ignore+=,LONG_LINE_STRING ;;
	esac
	out=$("$cp" --no-tree --strict --quiet --show-types \
		--ignore "$ignore" \
		-f "$f" 2>&1)
	if [ -n "$out" ]; then
		echo "$out"
		rc=1
	fi
	case $f in
	module/*|uapi/*)
		if [ -n "$kdoc" ]; then
			out=$(perl "$kdoc" -none -Wall "$f" 2>&1)
			if [ -n "$out" ]; then
				echo "$out"
				rc=1
			fi
		fi
		;;
	esac
done
[ $rc -eq 0 ] && echo "style: $# files clean (checkpatch --strict, kernel-doc)"
exit $rc
