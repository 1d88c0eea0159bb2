# shellcheck shell=sh
# The pvapf guest on Debian's unmodified 6.12 KVM host (L1 = stock): tasks re-read swapped
# memory, the guest's own counters show NOT_PRESENT and READY, every task finishes and no
# task is left asleep. Then with 2 vCPUs, and with a vCPU taken offline while tasks sleep.
L1_KERNEL=stock
SWAP=disk
L0_TIMEOUT=1500
L2_MEM=256

# Wait (bounded) until some task sleeps on a token, then take cpu1 away and bring it back.
offline_while_sleeping() {
	n=0
	while [ "$(pvapf_counter sleepers_current)" = 0 ] && [ $n -lt 2000 ]; do n=$((n + 1)); done
	echo "RESULT hotplug sleepers_at_offline=$(pvapf_counter sleepers_current)"
	echo 0 >/sys/devices/system/cpu/cpu1/online && echo 1 >/sys/devices/system/cpu/cpu1/online
	echo "RESULT hotplug toggled=$?"
}

l2_main() {
	pvapf_counters before
	if [ "$(l2_mode)" = offline ]; then
		memtouch --mib 128 --threads 8 --rounds 2 </dev/console &
		pid=$!
		offline_while_sleeping
		wait $pid
	else
		memtouch --mib 128 --threads 4 --rounds 2
	fi
	rc=$?
	pvapf_counters after
	return $rc
}

# counter LABEL NAME: after - before of a pvapf guest counter in that run.
counter() {
	echo $(($(l2_result "$1" after "$2") - $(l2_result "$1" before "$2")))
}

l1_main() {
	run_l2 up pvapf
	L2_SMP=2
	run_l2 smp2 pvapf
	run_l2 offline pvapf pvapf.mode=offline
	for label in up smp2 offline; do
		check_cmp "$label: memtouch finished both rounds" "$(l2_count $label memtouch)" -eq 2
		check_cmp "$label: every page read back intact" "$(l2_sum $label memtouch bad_pages)" -eq 0
		check_cmp "$label: stock L1 injected not-present" "$(trace_count $label apf_injected)" -gt 0
		check_cmp "$label: guest counted NOT_PRESENT" "$(counter $label not_present)" -gt 0
		check_cmp "$label: guest counted READY" "$(counter $label ready)" -gt 0
		check_cmp "$label: no task left asleep" "$(l2_result $label after sleepers_current)" -eq 0
		check_cmp "$label: APF enabled on every vCPU" "$(l2_result $label after cpus_enabled)" -eq \
			"$([ $label = up ] && echo 1 || echo 2)"
		check_cmp "$label: no kernel-mode NOT_PRESENT" "$(l2_result $label after kernel_mode_faults)" -eq 0
	done
	check_cmp "offline: tasks were asleep when cpu1 went offline" \
		"$(l2_result offline hotplug sleepers_at_offline)" -gt 0
	check_cmp "offline: cpu1 went offline and came back" "$(l2_result offline hotplug toggled)" -eq 0
}
