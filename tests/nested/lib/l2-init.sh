#!/bin/busybox sh
# shellcheck shell=dash
# L2 init: run the scenario's l2_main and report over the serial console, which is also
# the request channel to L1 (see tools/l2ctl.c). Works on any L2 kernel, stock included.
. /pvapf/lib/init-common.sh
stty -echo 2>/dev/null

SCENARIO=$(pvapf_arg scenario)
# harness-selftest: an L2 that resets before its scenario starts (reboot=t: a triple fault),
# as nested TCG now and then makes one do while it boots
[ "$(pvapf_arg mode)" = early_reset ] && reboot -f
echo "@@PVAPF L2 START $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"
# Modules shipped for this kernel (the guest flavour's msr, see mkinitramfs.sh).
[ -f "/pvapf/modules/$(uname -r)/order" ] && load_modules "/pvapf/modules/$(uname -r)"
. /pvapf/lib/l2.sh
# shellcheck source=/dev/null
. "/pvapf/scenarios/$SCENARIO.sh"
l2_main
echo "@@PVAPF L2 END rc=$?"
reboot -f
