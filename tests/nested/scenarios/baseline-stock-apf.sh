# shellcheck shell=sh
# Baseline: L2 fills 128 MiB, L1 swaps the guest out to its virtio swap disk, L2 re-reads it
# from 4 threads. Async page faults must show up on both levels; with no-kvmapf on L2's
# command line there must be none. L1 is the pvapf host (or, with --l1 stock, Debian's
# unmodified 6.12 host); the "pvapf" L2 runs our guest, and Debian's unmodified 6.12 kernel as
# L2 is the side-by-side reference. (no-kvmapf is run with our guest only: to the host a guest
# that did not enable APF is the same whichever kernel it runs.) On the pvapf host nothing may
# be left outstanding once each VM is gone.
SWAP=disk
L0_TIMEOUT=1500
L2_MEM=256

l2_main() {
	before=$(hyp_count)
	memtouch --mib 128 --threads 4 --rounds 2
	rc=$?
	echo "RESULT hyp delta=$(($(hyp_count) - before))"
	return $rc
}

l1_main() {
	for run in "apf pvapf" "noapf pvapf no-kvmapf" "stock stock"; do
		# shellcheck disable=SC2086
		run_l2 $run
		[ -d /sys/kernel/pvapf ] && check_cmp "${run%% *}: nothing outstanding once the VM is gone" \
			"$(global_outstanding)" -eq 0
	done
	for label in apf noapf stock; do
		check_cmp "$label: memtouch finished both rounds" "$(l2_count $label memtouch)" -eq 2
		check_cmp "$label: every page read back intact" "$(l2_sum $label memtouch bad_pages)" -eq 0
		check_cmp "$label: L1 swapped guest RAM out" "$(l2_result $label memtouch swap_kb)" -gt 65536
		check_cmp "$label: no trace events lost" "$(trace_count $label overrun)" -eq 0
	done
	for label in apf stock; do
		check_cmp "$label: L1 started async faults" "$(trace_count $label host_not_present)" -gt 0
		check_cmp "$label: L1 injected not-present" "$(trace_count $label apf_injected)" -gt 0
		check_cmp "$label: L1 delivered page-ready for every injected fault" \
			"$(trace_count $label host_ready)" -ge "$(trace_count $label apf_injected)"
		check_cmp "$label: L2 took page-ready interrupts" "$(l2_result $label hyp delta)" -gt 0
	done
	check_cmp "noapf: no not-present injected" "$(trace_count noapf apf_injected)" -eq 0
	check_cmp "noapf: no page-ready interrupts" "$(l2_result noapf hyp delta)" -eq 0
}
