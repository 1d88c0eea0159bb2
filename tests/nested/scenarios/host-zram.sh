# shellcheck shell=sh
# The pvapf host's adaptive policy on zram swap: zram reads complete inside KVM's
# non-blocking fault (SWP_SYNCHRONOUS_IO), so every swap-in is handled inline and the
# guest gets no NOT_PRESENT at all, while the same workload on the virtio disk goes async
# (host-flow.sh).
SWAP=zram
L0_TIMEOUT=1200
L2_MEM=256

l2_main() {
	pvapf_workload 4
	rc=$?
	host_snapshot after
	return $rc
}

l1_main() {
	run_l2 zram pvapf
	check_cmp "zram: memtouch finished both rounds" "$(l2_count zram memtouch)" -eq 2
	check_cmp "zram: every page read back intact" "$(l2_sum zram memtouch bad_pages)" -eq 0
	check_cmp "zram: L1 swapped guest RAM out" "$(l2_result zram memtouch swap_kb)" -gt 65536
	check_cmp "zram: policy is adaptive" "$(grep -c '^policy adaptive' /results/zram-host-after.txt)" -eq 1
	check_cmp "zram: swap-ins handled inline" "$(host_counter zram after inline_swapin)" -gt 10000
	check_cmp "zram: no async fault started" "$(host_counter zram after async_started)" -eq 0
	check_cmp "zram: no not-present injected" "$(trace_count zram apf_injected)" -eq 0
	check_cmp "zram: guest saw no NOT_PRESENT" "$(pvapf_delta zram not_present)" -eq 0
}
