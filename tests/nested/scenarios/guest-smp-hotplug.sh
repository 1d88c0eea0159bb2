# shellcheck shell=sh
# The pvapf guest with 2 vCPUs on the pvapf host, once plain and once taking cpu1 offline
# (and back) while tasks sleep on tokens, after a hibernation cycle (pm_test "core": the
# syscore suspend and resume of the boot cpu, no image written; suspend-to-RAM takes the same
# syscore path, but microvm has no S3: its "mem" is s2idle, which has no syscore step): every
# task finishes, none is left asleep, APF is back on both vCPUs. (READYs delivered on the
# other vCPU, which the ABI allows and stock hosts never do: guest-pause.) The host policy is "always" so that tasks sleep on every swap-in
# (adaptive keeps this fast disk mostly synchronous). L1 has one vCPU: on two (multi-threaded
# TCG) these paged-out 2-vCPU L2s triple-faulted in most runs, Debian's guest on Debian's host
# too (README, "2-vCPU L2s run on a 1-vCPU L1"); time-sliced on one L1 vCPU they still run as
# two vCPUs.
L1_KERNEL=pvapf
SWAP=disk
L0_TIMEOUT=1200
L2_MEM=256
L2_SMP=2
L1_SMP=1

l2_main() {
	[ "$(l2_mode)" = offline ] || { pvapf_workload 4; return; }
	echo "RESULT pm states=$(tr ' ' , </sys/power/state)"
	hibernated=1
	pm_cycle && hibernated=0
	echo "RESULT pm hibernate=$hibernated"
	pvapf_workload 8 </dev/console &
	pid=$!
	offline_while_sleeping $pid
	wait $pid
}

l1_main() {
	echo always >/sys/kernel/pvapf/default_policy
	run_l2 smp2 pvapf
	run_l2 offline pvapf pvapf.mode=offline
	check_pvapf_guest smp2 2
	check_pvapf_guest offline 2
	check_cmp "offline: tasks were asleep when cpu1 went offline" \
		"$(l2_result offline hotplug sleepers_at_offline)" -gt 0
	check_cmp "offline: cpu1 went offline and came back" "$(l2_result offline hotplug toggled)" -eq 0
	check_cmp "offline: a hibernation cycle ran first (APF back on both vCPUs: above)" \
		"$(l2_result offline pm hibernate)" -eq 0
}
