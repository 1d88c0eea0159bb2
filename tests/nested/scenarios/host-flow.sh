# shellcheck shell=sh
# The pvapf host (L1 = our kernel) with our guest (Debian's unmodified guest too on the debug
# L1; on the test L1 baseline-stock-apf runs it): NOT_PRESENT/READY flow, counters and
# tracepoints agree, every task finishes and nothing is left outstanding; the per-VM sysfs policy directory works as a libvirt hook would use it
# and refuses bad values; policy "off" gives no async faults; bad guest MSR writes get #GP
# and are counted, never a host WARN (panic_on_warn is set in L1). The "reclaim" run pages
# each swapped-in page out again while its async fault is pending (an mmu-notifier
# invalidation in the window): the host must not map it, and no page may come back stale.
SWAP=disk
L0_TIMEOUT=1500
L2_MEM=256
# async faults of the "reclaim" run whose page is paged out again before READY
RECLAIM_COUNT=200

l2_main() {
	case "$(l2_mode)" in
	badmsr)
		apfmsr
		rc=$?
		host_snapshot after
		return $rc
		;;
	sysfs)
		l1_call host-sysfs-check
		echo "RESULT sysfs rc=$?"
		;;
	reclaim)
		l1_call host-set policy always &&
			l1_call host-set debug_reclaim_after_swapin "$RECLAIM_COUNT"
		echo "RESULT aid rc=$?"
		;;
	esac
	before=$(hyp_count)
	[ -r "$PVAPF_COUNTERS" ] && guest_trace_on
	pvapf_workload 4 "$(pvapf_arg mib)"
	rc=$?
	[ -r "$PVAPF_COUNTERS" ] && guest_trace_count gtrace
	echo "RESULT hyp delta=$(($(hyp_count) - before))"
	# Guest counters on both sides of the host's: L1 swapped out all of the guest, so
	# these very commands can fault too, and host and guest are compared as a sandwich.
	host_snapshot after
	pvapf_counters after2
	return $rc
}

l1_main() {
	# The guests' working set: a quarter under the debug L1, where a fault costs several
	# times more (one 128 MiB round took 274 s there on a slower machine).
	mib=128
	l1_debug && mib=32
	run_l2 pv pvapf pvapf.mode=sysfs pvapf.mib=$mib
	check_cmp "pv: nothing outstanding once the VM is gone" "$(global_outstanding)" -eq 0
	l1_debug && run_l2 stock stock pvapf.mib=$mib
	echo off >/sys/kernel/pvapf/default_policy
	run_l2 off pvapf pvapf.mib=$mib
	echo adaptive >/sys/kernel/pvapf/default_policy
	run_l2 badmsr pvapf no-kvmapf pvapf.mode=badmsr
	run_l2 reclaim pvapf pvapf.mode=reclaim pvapf.mib=$mib

	check_pvapf_guest pv 1
	l2_ok pv && check_pv
	l1_debug && l2_ok stock && check_stock
	l2_ok off && check_off
	check_default_policy
	l2_ok badmsr && check_badmsr
	check_reclaim
}

check_pv() {
	check_cmp "pv: sysfs policy directory checks (hooks/host-sysfs-check)" "$(l2_result pv sysfs rc)" -eq 0
	check_cmp "pv: host started async faults" "$(host_counter pv after async_started)" -gt 0
	for c in not_present ready; do
		check_cmp "pv: guest $c before the host's snapshot <= host $c" \
			"$(l2_result pv after $c)" -le "$(host_counter pv after $c)"
		check_cmp "pv: host $c <= guest $c after the host's snapshot" \
			"$(host_counter pv after $c)" -le "$(l2_result pv after2 $c)"
	done
	check_cmp "pv: a guest tracepoint for every guest NOT_PRESENT" \
		"$(l2_result pv gtrace pvapf_not_present)" -ge "$(pvapf_delta pv not_present)"
	check_cmp "pv: a guest tracepoint for every guest READY" \
		"$(l2_result pv gtrace pvapf_ready)" -ge "$(pvapf_delta pv ready)"
	check_cmp "pv: tracepoint count covers the counter" \
		"$(trace_count pv pvapf_host_not_present)" -ge "$(host_counter pv after not_present)"
	check_cmp "pv: every READY acknowledged" \
		"$(host_counter pv after ack)" -ge "$(host_counter pv after ready)"
	check_cmp "pv: no spurious ACK" "$(host_counter pv after ack_spurious)" -eq 0
	check_cmp "pv: nothing outstanding after the workload" "$(host_counter pv after outstanding)" -eq 0
	check_cmp "pv: swap-in latency measured" "$(host_counter pv after swapin_ns_mean)" -gt 0
	check_cmp "pv: the guest's enable got a wake-all from the host" "$(host_counter pv after wake_all)" -ge 1
	check_cmp "pv: ...and the guest counted it" "$(l2_result pv before wake_all)" -ge 1
	check_cmp "pv: per-vCPU counters (1 vCPU) = VM counters" \
		"$(host_counter pv after-vcpu0 async_started)" -eq "$(host_counter pv after async_started)"
	# apfstat right after that snapshot: the one VM (no libvirt domain: "-"), its policy, at
	# least the snapshot's async faults, and its one vCPU
	a=/results/pv-apfstat-after.txt
	check_cmp "pv: apfstat lists the VM, no domain ($(sed -n 2p $a))" "$(awk 'NR == 2 && $1 == "-"' $a | wc -l)" -eq 1
	check_cmp "pv: apfstat shows the VM's policy ($(host_counter pv after policy))" \
		"$(awk -v p="$(host_counter pv after policy)" 'NR == 2 && $3 == p' $a | wc -l)" -eq 1
	check_cmp "pv: apfstat's ASYNC >= the snapshot's async_started" \
		"$(awk 'NR == 2 { print $4 }' $a)" -ge "$(host_counter pv after async_started)"
	check_cmp "pv: apfstat -v shows its one vCPU" "$(grep -c '^  vcpu0 ' $a)" -eq 1
	# QEMU's query-stats right after that snapshot reads the counters as KVM binary stats
	q=/results/pv-qmp-stats-after.json
	v=/results/pv-host-after-vcpu0.txt
	check_cmp "pv: QEMU's query-stats lists every pvapf counter (debugfs lines but 2 derived)" \
		"$(grep -o '"name": "pvapf_[a-z_]*"' $q | sort -u | wc -l)" -eq "$(($(wc -l <$v) - 2))"
	for c in async_started not_present ready ack; do
		check_cmp "pv: query-stats pvapf_$c >= the debugfs snapshot's" \
			"$(qmp_stat $q pvapf_$c)" -ge "$(host_counter pv after-vcpu0 $c)"
	done
	check_cmp "pv: query-stats pvapf_async_started is counting" "$(qmp_stat $q pvapf_async_started)" -gt 0
	s=$(grep -o '{"name": "pvapf_swapin_ns_max"[^}]*}' /results/pv-qmp-schemas-after.json)
	check_cmp "pv: query-stats-schemas: pvapf_swapin_ns_max is a peak in 10^-9 s ($s)" \
		"$(echo "$s" | grep '"type": "peak"' | grep '"unit": "seconds"' | grep -c '"exponent": -9')" -eq 1
}

check_stock() {
	check_cmp "stock: memtouch finished both rounds" "$(l2_count stock memtouch)" -eq 2
	check_cmp "stock: every page read back intact" "$(l2_sum stock memtouch bad_pages)" -eq 0
	check_cmp "stock: host started async faults (adaptive probes included)" "$(host_counter stock after async_started)" -gt 0
	check_cmp "stock: L1 injected not-present" "$(trace_count stock apf_injected)" -gt 0
	check_cmp "stock: L2 took page-ready interrupts" "$(l2_result stock hyp delta)" -gt 0
	check_cmp "stock: nothing outstanding after the workload" "$(host_counter stock after outstanding)" -eq 0
}

check_off() {
	check_cmp "off: memtouch finished both rounds" "$(l2_count off memtouch)" -eq 2
	check_cmp "off: every page read back intact" "$(l2_sum off memtouch bad_pages)" -eq 0
	check_cmp "off: policy off started no async fault" "$(host_counter off after async_started)" -eq 0
	# as stock KVM does where it sends no NOT_PRESENT: the vCPU halts, taking interrupts, while
	# the page comes in (a page-in this slow is never worth a synchronous read)
	check_cmp "off: faults waited for halted, not on the vCPU thread (halted)" \
		"$(host_counter off after halted)" -gt 0
	check_cmp "off: no not-present injected" "$(trace_count off apf_injected)" -eq 0
}

check_default_policy() {
	if echo bogus >/sys/kernel/pvapf/default_policy 2>/dev/null; then
		fail "default_policy accepted 'bogus'"
	elif ! dmesg | grep -q "pvapf: pvapf/default_policy .*invalid value 'bogus'"; then
		fail "default_policy: no log line naming 'bogus'"
	else
		pass "default_policy refuses 'bogus' with a log line naming it"
	fi
}

check_badmsr() {
	for c in en_reserved_bit4 en_reserved_bit5 en_before_vector int_vector_below_32 \
		int_reserved_bits en_unbacked_gpa ack_reserved_bits; do
		check_cmp "badmsr: $c is #GP" "$(grep -c "^RESULT apfmsr case=$c rc=EIO" /results/badmsr-l2.log)" -eq 1
	done
	for c in int_valid_vector ack_nothing_pending en_disable; do
		check_cmp "badmsr: $c accepted" "$(grep -c "^RESULT apfmsr case=$c rc=0" /results/badmsr-l2.log)" -eq 1
	done
	check_cmp "badmsr: every rejected write counted" "$(host_counter badmsr after bad_msr_write)" -eq 7
	check_cmp "badmsr: ACK with nothing pending counted" "$(host_counter badmsr after ack_spurious)" -eq 1
	check_cmp "badmsr: rejected writes traced" "$(trace_count badmsr pvapf_host_bad_msr)" -eq 7
}

check_reclaim() {
	check_pvapf_guest reclaim 1
	l2_ok reclaim || return 0
	if kvm_modular; then
		# The aid pages out with do_madvise(), which modules cannot call: it must refuse,
		# saying why, and the run is then a plain policy-always run.
		check_cmp "reclaim: test aid refused, KVM is modular" "$(l2_result reclaim aid rc)" -ne 0
		check_cmp "reclaim: the refusal says KVM must be built in" \
			"$(dmesg | grep -c 'debug_reclaim_after_swapin: needs KVM built in')" -ge 1
		echo "NOTE: host-flow: reclaim: no page-outs in the async window with KVM modular" \
			"(the test kernel, KVM built in, runs them)"
	else
		check_cmp "reclaim: test aid set (policy always, $RECLAIM_COUNT page-outs)" "$(l2_result reclaim aid rc)" -eq 0
		check_cmp "reclaim: every page-out of the aid used" "$(host_counter reclaim after debug_reclaim_left)" -eq 0
		# At least half: a page-out can miss a page not yet on the LRU.
		check_cmp "reclaim: completions found their page reclaimed and did not map it" \
			"$(host_counter reclaim after reclaimed_before_map)" -ge $((RECLAIM_COUNT / 2))
		check_cmp "reclaim: the guest's retries of those pages were counted as re-faults" \
			"$(host_counter reclaim after refault)" -gt 0
	fi
	check_cmp "reclaim: nothing outstanding after the workload" "$(host_counter reclaim after outstanding)" -eq 0
	check_cmp "reclaim: nothing outstanding once the VM is gone" "$(global_outstanding)" -eq 0
}
