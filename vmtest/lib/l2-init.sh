#!/bin/busybox sh
# L2 init: run the scenario's l2_main and report over the serial console, which is also
# the request channel to L1 (see tools/l2ctl.c). Works on any L2 kernel, stock included.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# The initramfs has no /dev/console node, so init starts without stdio: attach it now.
exec </dev/console >/dev/console 2>&1
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
stty -echo 2>/dev/null

SCENARIO=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^pvapf\.scenario=//p')
echo "@@PVAPF L2 START $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"
. /pvapf/lib/l2.sh
. "/pvapf/scenarios/$SCENARIO.sh"
l2_main
echo "@@PVAPF L2 END rc=$?"
reboot -f
