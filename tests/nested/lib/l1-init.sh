#!/bin/busybox sh
# shellcheck shell=dash
# L1 init: mount the kernel's filesystems, set up swap for the guest's memory, run the
# scenario's l1_main (which starts L2 guests) under the watchdog (l1-watchdog.sh), then
# hand every result back to L0 as a tar on the results disk and power off.
. /pvapf/lib/init-common.sh
mkdir -p /results
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null

SCENARIO=$(pvapf_arg scenario)
SWAP=$(pvapf_arg swap)
echo "@@PVAPF L1 INIT $(uname -r) scenario=$SCENARIO swap=$SWAP"

. /pvapf/lib/l1.sh
# Debian's kernel and our guest flavour have KVM and the virtio drivers as modules, our
# debug kernel KVM.
[ -f /pvapf/modules/order ] && load_modules
. /pvapf/lib/l1-watchdog.sh

# finish_l1: every result onto the results disk for L0, then power off. Once: by init when
# the scenario has ended, or by the watchdog when a stuck scenario cannot be killed.
finish_l1() {
	mkdir /tmp/finishing 2>/dev/null || return 0
	dmesg >/results/l1-dmesg.txt
	cat /proc/swaps >/results/l1-swaps.txt
	tar -cf "$(results_disk)" -C /results . && sync
	echo "@@PVAPF L1 DONE"
	reboot -f
}

# in the background (stdin kept: the L2 consoles are on it) so the watchdog can act
{
	# shellcheck source=/dev/null
	setup_swap "$SWAP" && . "/pvapf/scenarios/$SCENARIO.sh" && l1_main
	echo "@@PVAPF L1 SCENARIO END rc=$?"
} </dev/console 2>&1 | tee /results/l1-scenario.log &
scenario=$!
l1_watchdog "$(pvapf_arg deadline)" &
watchdog=$!
wait $scenario
kill $watchdog 2>/dev/null
finish_l1
