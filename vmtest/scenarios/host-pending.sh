# shellcheck shell=sh
# An async fault held pending on the pvapf host (its page-in waits on userfaultfd) while
# the VMM deletes the memslot under it, and while the VMM is killed; and tokens of a vCPU
# whose id does not fit in 12 bits. A program on KVM's selftest library runs in L1
# (vmtest/kvm-tests/pending_fault_test.c), no L2 kernel. Also run with the debug kernel as
# L1 (KASAN, lockdep, kmemleak).
SWAP=none
L0_TIMEOUT=900

# pending CASE KEY: KEY=value from the RESULT lines of pending_fault_test CASE.
pending() { result_in "/results/$1.log" "pending case=$1" "$2"; }

l1_main() {
	# by path: the selftest library loads the guest code from its own ELF file (argv[0])
	/bin/pending_fault_test memslot >/results/memslot.log 2>&1
	check_cmp "memslot: test program ran to its end (log: memslot.log)" "$?" -eq 0
	check_cmp "memslot: the held fault was async (host async_started)" "$(pending memslot async_started)" -eq 1
	check_cmp "memslot: READY carried the NOT_PRESENT token" "$(pending memslot ready_matches)" -eq 1
	check_cmp "memslot: READY delivered" "$(pending memslot ready)" -eq 1
	check_cmp "memslot: ...and acknowledged" "$(pending memslot ack)" -ge 1
	check_cmp "memslot: nothing mapped for the deleted memslot" "$(pending memslot mapped_on_completion)" -eq 0
	check_cmp "memslot: the guest's retry reached KVM as MMIO" "$(pending memslot mmio_retry)" -eq 1
	check_cmp "memslot: nothing outstanding in the VM" "$(pending memslot outstanding)" -eq 0
	check_cmp "memslot: nothing outstanding once the VM is gone" "$(pending memslot global_outstanding)" -eq 0

	/bin/pending_fault_test exit >/results/exit.log 2>&1
	check_cmp "exit: test program ran to its end (log: exit.log)" "$?" -eq 0
	check_cmp "exit: the VMM held a fault in its page-in" "$(pending exit outstanding_before)" -eq 1
	check_cmp "exit: the killed VMM went away (within the test's limit)" "$(pending exit vmm_exited)" -eq 1
	check_cmp "exit: ...by SIGKILL" "$(pending exit killed)" -eq 1
	check_cmp "exit: its VM was destroyed (sysfs directory gone)" "$(pending exit vm_gone)" -eq 1
	check_cmp "exit: nothing outstanding once the VM is gone" "$(pending exit global_outstanding)" -eq 0
	/bin/pending_fault_test tokens >/results/tokens.log 2>&1
	check_cmp "tokens: test program ran to its end (log: tokens.log)" "$?" -eq 0
	check_cmp "tokens: vCPU 1 (two faults) and vCPU 4097 (one) got three distinct tokens" \
		"$(pending tokens distinct)" -eq 1
	[ -e /sys/kernel/debug/kmemleak ] && check_debug_kernel
}
