#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs as PID 1 inside the guest that scripts/vm.sh boots, after the switch
# to the 9p root: runs the command vm.sh saved, with its output on the second
# serial port, then reports its exit status and the kernel's taint and
# reboots, which ends qemu. Environment from the kernel command line: PSOUT.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TMPDIR=/tmp
out=/dev/ttyS1

# devtmpfs has no fd links; bash process substitution needs /dev/fd.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/shm /dev/pts
mount -t tmpfs shm /dev/shm
mount -t devpts devpts /dev/pts
ip link set lo up 2>/dev/null
# 6.1 has no kernel.modprobe default issue; make sure the path is the root's.
echo /sbin/modprobe >/proc/sys/kernel/modprobe 2>/dev/null
# A task blocked past the hung-task timeout is a failure anyway (vm.sh
# finds the report); a panic ends the guest there, with the stacks.
echo 1 >/proc/sys/kernel/hung_task_panic 2>/dev/null

eval "set -- $(cat "$PSOUT/command")"
"$@" >"$out" 2>&1 </dev/null
rc=$?

# Let deferred work (RCU callbacks, netns cleanup) run and report.
sleep 1
echo "PORTSTEER-GUEST-EXIT $rc $(cat /proc/sys/kernel/tainted)" >"$out"
sync
# A reboot ends qemu (-no-reboot), with or without ACPI in the kernel (the
# debug kernel has none, so no power-off).
echo b >/proc/sysrq-trigger
# PID 1 must not exit before the power goes: wait with shell builtins only,
# the root file system may already be gone.
while :; do :; done
