# shellcheck shell=sh
# The pvapf host on a slow swap device (the virtio disk behind dm-delay, 5 ms per read):
# the adaptive policy goes async when its measured swap-in time is at least twice the APF round
# trip, each decision checked against the inputs it was traced with (on zram it stays inline,
# host-zram.sh). Then a VMM is SIGKILLed while faults are in flight: the host must
# cancel or flush every work item, leak nothing (global outstanding back to 0) and not
# WARN or oops (panic_on_warn is set in L1). The suite also runs it with L1 = the debug
# kernel (--l1 debug: KASAN, lockdep, kmemleak), where it checks for their reports.
SWAP=slowdisk
L0_TIMEOUT=1500
L2_MEM=256

l2_main() {
	case "$(l2_mode)" in
	kill) memtouch --mib 32 --threads 4 --rounds 50 ;;
	*)
		# 32 MiB: every read takes 5 ms here
		pvapf_workload 4 32
		rc=$?
		host_snapshot after
		return $rc
		;;
	esac
}

l1_main() {
	run_l2 slow pvapf
	check_pvapf_guest slow 1
	check_cmp "slow: L1 swapped guest RAM out" "$(l2_result slow memtouch swap_kb)" -gt 16384
	check_cmp "slow: policy is adaptive" "$(grep -c '^policy adaptive' /results/slow-host-after.txt)" -eq 1
	# The rule, not a machine speed: how often async wins depends on the round trip this
	# L1 measured (slower under KASAN), so each decision is checked against its own inputs.
	check_cmp "slow: every adaptive decision followed the rule for the latencies the host measured" \
		"$(trace_count slow adaptive_disagree)" -eq 0
	check_cmp "slow: every adaptive decision traced" \
		"$(trace_sum slow adaptive_first adaptive_measured adaptive_probe adaptive_sync)" \
		-ge "$(host_sum slow after async_started sync_adaptive)"
	check_cmp "slow: swap-ins measured at 2x the round trip or more went async" \
		"$(trace_count slow adaptive_measured)" -gt 0
	check_cmp "slow: nothing outstanding after the workload" "$(host_counter slow after outstanding)" -eq 0

	L2_EXPECT_RC=137 run_l2 kill pvapf pvapf.mode=kill &
	bg=$!
	# Killed once its workload has had NOT_PRESENT and page-ins are in flight (earlier, the
	# guest's own kernel-mode faults may be in flight as halts), waiting while the L2 runs
	# for at most 5 minutes by the clock (the guest re-reads far longer). vm_wait polls in one
	# process: a shell loop forking at every poll beside this booting, paging L2 crashed L1
	# under TCG (tests/nested/README.md, Known emulator artifacts).
	n=$(vm_wait 300 $bg outstanding not_present | sed -n 's/^outstanding=\([0-9]*\) .*/\1/p')
	# shellcheck disable=SC2046 # one pid per QEMU
	kill -9 $(pidof qemu-system-x86_64)
	wait $bg
	check_cmp "kill: async faults were in flight at the kill" "$n" -gt 0
	drained_wait
	check_cmp "kill: nothing outstanding after teardown" "$(global_outstanding)" -eq 0
	check_cmp "kill: the VM's sysfs directory is gone" "$(count_paths /sys/kernel/pvapf/vms/*)" -eq 0
	l1_debug && check_debug_kernel
}
