# shellcheck shell=sh
# The pvapf guest with 2 vCPUs on the pvapf host, once plain and once taking cpu1 offline
# (and back) while tasks sleep on tokens: every task finishes, none is left asleep, APF is
# back on both vCPUs. A third run has the host deliver every READY on the other vCPU
# (debug_ready_other_vcpu), which the ABI allows and stock hosts never do. The host policy
# is "always" so that tasks sleep on every swap-in (adaptive keeps this fast disk mostly
# synchronous). L1 has one vCPU: on two (multi-threaded TCG) these paged-out 2-vCPU L2s
# triple-faulted in most runs, Debian's guest on Debian's host too (README, "2-vCPU L2s
# run on a 1-vCPU L1"); time-sliced on one L1 vCPU they still run as two vCPUs.
L1_KERNEL=pvapf
SWAP=disk
L0_TIMEOUT=1200
L2_MEM=256
L2_SMP=2
L1_SMP=1

# Wait until some task sleeps on a token (bounded by the life of the workload, pid $1: the
# fill and pageout before its re-reads take a while), then take cpu1 away and bring it back.
offline_while_sleeping() {
	# Report the count that ended the wait: a second read races with the sleepers' wake-up.
	n=0
	while [ "$n" = 0 ] && kill -0 "$1" 2>/dev/null; do n=$(pvapf_counter sleepers_current); done
	echo "RESULT hotplug sleepers_at_offline=$n"
	toggled=1
	echo 0 >/sys/devices/system/cpu/cpu1/online && echo 1 >/sys/devices/system/cpu/cpu1/online &&
		toggled=0
	echo "RESULT hotplug toggled=$toggled"
}

l2_main() {
	if [ "$(l2_mode)" = other ]; then
		l1_call host-set debug_ready_other_vcpu 1 || return 1
		pvapf_workload 4
		rc=$?
		host_snapshot after
		return $rc
	fi
	[ "$(l2_mode)" = offline ] || { pvapf_workload 4; return; }
	pvapf_workload 8 </dev/console &
	pid=$!
	offline_while_sleeping $pid
	wait $pid
}

l1_main() {
	echo always >/sys/kernel/pvapf/default_policy
	run_l2 smp2 pvapf
	run_l2 offline pvapf pvapf.mode=offline
	run_l2 other pvapf pvapf.mode=other
	check_pvapf_guest smp2 2
	check_pvapf_guest offline 2
	check_pvapf_guest other 2
	check_cmp "other: the host delivered READYs on the other vCPU" \
		"$(host_counter other after ready_forwarded)" -gt 1000
	check_cmp "other: some READYs arrived before their task slept (wake-before-wait)" \
		"$(pvapf_delta other woken_before_wait)" -gt 0
	check_cmp "offline: tasks were asleep when cpu1 went offline" \
		"$(l2_result offline hotplug sleepers_at_offline)" -gt 0
	check_cmp "offline: cpu1 went offline and came back" "$(l2_result offline hotplug toggled)" -eq 0
}
