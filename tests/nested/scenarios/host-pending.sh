# shellcheck shell=sh
# An async fault held pending on the pvapf host (its page-in waits on userfaultfd) while
# the VMM deletes the memslot under it, and while the VMM is killed; and tokens of a vCPU
# whose id does not fit in 12 bits. A program on KVM's selftest library runs in L1
# (tests/kvm/pending_fault_test.c), no L2 kernel. Also run with the debug kernel as
# L1 (KASAN, lockdep, kmemleak), whose KVM is modular: there kvm_amd and kvm are unloaded
# as soon as the killed VMM's VM lets go of them, and reloaded. Also the APF MSRs written
# host-initiated, as a restore or an incoming migration does (tests/kvm/msr_restore_test.c),
# and a fault no NOT_PRESENT goes for (CPL 0 with APF off, policy 'off', a repeated fault)
# while interrupts are on: the vCPU halts, taking its timer interrupts, while the page-in is
# held, and wakes for nothing else (tests/kvm/halt_wait_test.c).
# And one VM's page-ins held by its userfaultfd, no more of them running than its share of
# the host's workers, while another VM's keep completing; 20 VMs, one rescuer thread
# (tests/kvm/wq_isolation_test.c). A halt asked for right before a signal and a vCPU reset
# (tests/kvm/halt_reset_test.c); an idle vCPU after a restore with INT below 32
# (tests/kvm/restore_idle_test.c).
SWAP=none
L0_TIMEOUT=900

# pending CASE KEY [LOG]: KEY=value from the RESULT lines of pending_fault_test CASE.
pending() { result_in "/results/${3:-$1}.log" "pending case=$1" "$2"; }

# memslot_checks LOG LABEL: the memslot case's outcome, as logged in LOG.
memslot_checks() {
	check_cmp "$2: the held fault was async (host async_started)" "$(pending memslot async_started "$1")" -eq 1
	check_cmp "$2: READY carried the NOT_PRESENT token" "$(pending memslot ready_matches "$1")" -eq 1
	check_cmp "$2: READY delivered" "$(pending memslot ready "$1")" -eq 1
	check_cmp "$2: ...and acknowledged" "$(pending memslot ack "$1")" -ge 1
	check_cmp "$2: nothing mapped for the deleted memslot" "$(pending memslot mapped_on_completion "$1")" -eq 0
	check_cmp "$2: the guest's retry reached KVM as MMIO" "$(pending memslot mmio_retry "$1")" -eq 1
	check_cmp "$2: nothing outstanding in the VM" "$(pending memslot outstanding "$1")" -eq 0
	check_cmp "$2: nothing outstanding once the VM is gone" "$(pending memslot global_outstanding "$1")" -eq 0
}

# sysfs_root_checks LABEL: /sys/kernel/pvapf is root's, and vms/ (whose names are VMM pids) is
# made inside it once it is, so no other user ever reaches vms/, not even from its creation.
sysfs_root_checks() {
	check_cmp "$1: /sys/kernel/pvapf is root's" "$(stat -c %a /sys/kernel/pvapf)" -eq 700
	check_cmp "$1: /sys/kernel/pvapf/vms is root's" "$(stat -c %a /sys/kernel/pvapf/vms)" -eq 700
	asuser 65534 ls /sys/kernel/pvapf >/dev/null 2>&1
	check_cmp "$1: uid 65534 cannot list /sys/kernel/pvapf" "$?" -ne 0
	asuser 65534 ls /sys/kernel/pvapf/vms >/dev/null 2>&1
	check_cmp "$1: uid 65534 cannot list /sys/kernel/pvapf/vms" "$?" -ne 0
}

# Unload kvm_amd and kvm the moment the last VM lets go of them (its VMM was just killed
# with a page-in held), load them again, and run memslot on the reloaded host: the pvapf
# workqueue, work cache and sysfs root go with kvm.ko and come back with it.
unload_reload() {
	# The VM's files pin kvm_amd until KVM has destroyed the VM, which ends a few ms after
	# the VMM is reaped: poll for that (10 ms steps, at most 10 s), then unload at once.
	i=0
	while [ "$(cat /sys/module/kvm_amd/refcnt)" != 0 ] && [ $i -lt 1000 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	echo "unload: kvm_amd unused after $i polls of 10 ms"
	check_cmp "unload: the killed VMM's VM let go of kvm_amd" "$(cat /sys/module/kvm_amd/refcnt)" -eq 0
	# kvm_amd, kvm, irqbypass: the load order backwards
	for m in $(tac /pvapf/modules/order); do
		rmmod "${m%.ko}"
		check_cmp "unload: rmmod ${m%.ko}" "$?" -eq 0
	done
	check_cmp "unload: /sys/kernel/pvapf went with kvm.ko" "$(count_paths /sys/kernel/pvapf)" -eq 0
	load_modules
	rc=$?
	check_cmp "reload: insmod $(tr '\n' ' ' </pvapf/modules/order)" "$rc" -eq 0
	sysfs_root_checks "reload: sysfs"
	check_cmp "reload: /sys/kernel/pvapf is back, nothing outstanding" \
		"$(cat /sys/kernel/pvapf/outstanding)" -eq 0
	/bin/pending_fault_test memslot >/results/memslot-reloaded.log 2>&1
	check_cmp "reload: memslot ran to its end (log: memslot-reloaded.log)" "$?" -eq 0
	memslot_checks memslot-reloaded "reload: memslot"
}

l1_main() {
	sysfs_root_checks sysfs
	# by path: the selftest library loads the guest code from its own ELF file (argv[0])
	/bin/pending_fault_test memslot >/results/memslot.log 2>&1
	check_cmp "memslot: test program ran to its end (log: memslot.log)" "$?" -eq 0
	memslot_checks memslot memslot

	/bin/pending_fault_test exit >/results/exit.log 2>&1
	check_cmp "exit: test program ran to its end (log: exit.log)" "$?" -eq 0
	check_cmp "exit: the VMM held a fault in its page-in" "$(pending exit outstanding_before)" -eq 1
	check_cmp "exit: the killed VMM went away (within the test's limit)" "$(pending exit vmm_exited)" -eq 1
	check_cmp "exit: ...by SIGKILL" "$(pending exit killed)" -eq 1
	check_cmp "exit: its VM was destroyed (sysfs directory gone)" "$(pending exit vm_gone)" -eq 1
	check_cmp "exit: nothing outstanding once the VM is gone" "$(pending exit global_outstanding)" -eq 0
	# KVM built in (the test kernel): nothing to unload.
	kvm_modular && unload_reload
	/bin/pending_fault_test tokens >/results/tokens.log 2>&1
	check_cmp "tokens: test program ran to its end (log: tokens.log)" "$?" -eq 0
	check_cmp "tokens: vCPU 1 (two faults) and vCPU 4097 (one) got three distinct tokens" \
		"$(pending tokens distinct)" -eq 1
	# A peak over vCPUs and VMs is their largest, not their sum (kernel/patches/0003)
	a=$(pending peak vcpu_a tokens) b=$(pending peak vcpu_b tokens)
	check_cmp "peak: both vCPUs timed a page-in (swapin_ns_max $a, $b)" "$((a > 0 && b > 0))" -eq 1
	check_cmp "peak: KVM's per-VM pvapf_swapin_ns_max is the vCPUs' largest" \
		"$(pending peak kvm_vm tokens)" -eq "$((a > b ? a : b))"
	check_cmp "peak: KVM's global pvapf_swapin_ns_max is the VMs' largest (one VM)" \
		"$(pending peak kvm_all tokens)" -eq "$((a > b ? a : b))"
	check_cmp "peak: the VM's pvapf_counters swapin_ns_max is the vCPUs' largest" \
		"$(pending peak pvapf_vm tokens)" -eq "$((a > b ? a : b))"
	# A restore or incoming migration writes the APF MSRs host-initiated: accepted wherever
	# msr.rst allows the value (a stock source accepted it from its guest), else refused.
	/bin/msr_restore_test >/results/msrrestore.log 2>&1
	check_cmp "msrrestore: test program ran to its end (log: msrrestore.log)" "$?" -eq 0
	for c in int_vector_below_32:ok:0x5 ack_reserved_bits:ok:0 en_before_int:ok en_after_int:ok \
		int_reserved_bits:refused:0 en_reserved_bit4:refused:0; do
		name=${c%%:*} want=${c#*:}
		rb=${want#*:}
		want=${want%%:*}
		check_cmp "msrrestore: host-initiated $name $want" \
			"$(grep -c "^RESULT msrrestore case=$name rc=$want " /results/msrrestore.log)" -eq 1
		[ "$rb" = "$want" ] || check_cmp "msrrestore: $name reads back $rb" \
			"$(grep -c "^RESULT msrrestore case=$name .* readback=$rb\$" /results/msrrestore.log)" -eq 1
	done
	# Stock KVM halts such a vCPU until the page is in or an interrupt comes; a synchronous
	# page-in on the vCPU thread would take no interrupt for the whole hold. So must pvapf
	# where it sends no NOT_PRESENT: the guest cannot be told, its VM's policy is 'off', or it
	# was told already and retries (tests/kvm/halt_wait_test.c).
	for m in cannot_deliver off repeated; do
		/bin/halt_wait_test $m >"/results/halt-$m.log" 2>&1
		check_cmp "halt $m: test program ran to its end (log: halt-$m.log)" "$?" -eq 0
		check_cmp "halt $m: timer interrupts reached the guest while its page-in was held" \
			"$(result_in "/results/halt-$m.log" halt ticks_held)" -gt 0
		check_cmp "halt $m: the host halted the vCPU for the fault (halted)" \
			"$(result_in "/results/halt-$m.log" halt halted)" -gt 0
		check_cmp "halt $m: no page-in on the vCPU thread (sync_*)" \
			"$(result_in "/results/halt-$m.log" halt sync)" -eq 0
	done
	# A halt waits for its own page-in: another one's completion, whose READY cannot go yet,
	# must not wake it (the retried access would halt again at once, at full CPU). No timer:
	# one halt, woken once.
	/bin/halt_wait_test completed >/results/halt-completed.log 2>&1
	check_cmp "halt completed: test program ran to its end (log: halt-completed.log)" "$?" -eq 0
	check_cmp "halt completed: one halt while another fault's READY was owed (halted)" \
		"$(result_in /results/halt-completed.log halt halted)" -eq 1
	# A halt asked for by a fault, then a signal ends KVM_RUN before the halt begins, and the
	# VMM resets the vCPU (EN = 0, registers with IF = 0): the fresh vCPU must run, not halt
	# with interrupts off and nothing outstanding.
	/bin/halt_reset_test >/results/haltreset.log 2>&1
	check_cmp "haltreset: test program ran to its end (log: haltreset.log)" "$?" -eq 0
	check_cmp "haltreset: a signal ended KVM_RUN right after the halting fault" \
		"$(result_in /results/haltreset.log haltreset signal_exit)" -eq 1
	check_cmp "haltreset: ...which the host halted for (halted)" \
		"$(result_in /results/haltreset.log haltreset halted)" -eq 1
	check_cmp "haltreset: ...with its page-in held by userfaultfd" \
		"$(result_in /results/haltreset.log haltreset held)" -eq 1
	check_cmp "haltreset: nothing outstanding after the reset" \
		"$(result_in /results/haltreset.log haltreset reset_outstanding)" -eq 0
	check_cmp "haltreset: the reset vCPU never blocked (IF = 0, nothing to wake it)" \
		"$(result_in /results/haltreset.log haltreset blocked)" -eq 0
	check_cmp "haltreset: ...and its next KVM_RUN reached its ucall" \
		"$(result_in /results/haltreset.log haltreset stage)" -eq 3
	check_cmp "haltreset: nothing outstanding once the VM is gone" \
		"$(result_in /results/haltreset.log haltreset global_outstanding)" -eq 0
	# A restore enables APF with INT below 32 (no READY can go by it): the wake-all it owes
	# waits for a real vector, and meanwhile the idle vCPU sleeps in hlt until its 100 ms
	# timer ticks instead of returning from every hlt at once.
	/bin/restore_idle_test >/results/restoreidle.log 2>&1
	check_cmp "restoreidle: test program ran to its end (log: restoreidle.log)" "$?" -eq 0
	check_cmp "restoreidle: the guest took its timer ticks" \
		"$(result_in /results/restoreidle.log restoreidle ticks)" -ge 10
	check_cmp "restoreidle: hlt exits for 10 ticks (each hlt ends with a tick)" \
		"$(result_in /results/restoreidle.log restoreidle halt_exits)" -le 30
	check_cmp "restoreidle: the owed wake-all came once the guest wrote a usable vector" \
		"$(result_in /results/restoreidle.log restoreidle wake_all_token)" -eq 4294967295
	# VM A takes more async faults than its share of the host's page-in workers (128 of 512),
	# their page-ins held: exactly its share runs, and VM B's must not queue behind them. Then
	# 20 VMs at once keep one rescuer thread for their page-ins, not one each.
	/bin/wq_isolation_test >/results/wq.log 2>&1
	check_cmp "wq: test program ran to its end (log: wq.log)" "$?" -eq 0
	check_cmp "wq: VM A took async faults beyond its share" "$(result_in /results/wq.log wq a_async)" -ge 256
	check_cmp "wq: VM A's page-ins held by its userfaultfd: its share of the workers, no more" \
		"$(result_in /results/wq.log wq a_held)" -eq "$(result_in /results/wq.log wq a_run)"
	check_cmp "wq: one pvapf rescuer thread with $(result_in /results/wq.log wq vms) VMs" \
		"$(result_in /results/wq.log wq rescuers)" -eq 1
	check_cmp "wq: VM B's page-ins started meanwhile" \
		"$(result_in /results/wq.log wq b_started)" -eq "$(result_in /results/wq.log wq b_faults)"
	check_cmp "wq: ...and got their READYs" \
		"$(result_in /results/wq.log wq b_ready)" -eq "$(result_in /results/wq.log wq b_faults)"
	check_cmp "wq: nothing outstanding once both VMs are gone" \
		"$(result_in /results/wq.log wq global_outstanding)" -eq 0
	l1_debug && check_debug_kernel
}
