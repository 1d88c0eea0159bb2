# shellcheck shell=sh
# The pvapf guest on Debian's unmodified 6.12 KVM host (L1 = stock): tasks re-read swapped
# memory, the guest's own counters show NOT_PRESENT and READY, every task finishes and no
# task is left asleep. (2 vCPUs and cpu hotplug: guest-smp-hotplug.sh.)
L1_KERNEL=stock
SWAP=disk
L0_TIMEOUT=900
L2_MEM=256

l2_main() {
	pvapf_workload 4
}

l1_main() {
	run_l2 up pvapf
	check_pvapf_guest up 1
}
