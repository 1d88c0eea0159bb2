# shellcheck shell=sh
# The pvapf guest's APF pause (guest/README.md, "Pause"): READYs that find no memory. The host
# delivers every READY on the other vCPU (debug_ready_other_vcpu, which the ABI allows and
# stock hosts never do), so READYs often beat their tasks (wake-before-wait). failslab fails
# every allocation from the guest's pvapf_tt_node cache, so each READY that beats its task
# takes its cpu's emergency node and pauses APF there, and the pause work's own allocation
# (which may sleep, but must not be __GFP_NOFAIL: that could invoke the OOM killer just to end
# a pause) fails too and is retried; 32 threads on 4 vCPUs, and cpus 1-3 go offline and back
# again and again while tasks sleep and pause. Every pause must end, promptly once failslab is
# off, APF must be back on every vCPU (a cpu coming up while its pause ends elsewhere keeps
# it), APF must be switched off for a pause only outside the READY interrupt (pvapf_apf_off
# events): there the host can hold EN = 0 for a page-in in flight while the vCPU holds a
# token-table lock. A pause costs only its own cpu: no READY is left as a dummy nobody takes,
# and every READY the host handed the guest was taken and ACKed once.
# L1 on one vCPU: multi-vCPU L2s on a 2-vCPU L1 triple-fault under TCG (tests/nested/README.md).
L1_KERNEL=pvapf
SWAP=disk
L0_TIMEOUT=1500
L2_MEM=256
L2_SMP=4
L1_SMP=1

# unpaused_within SECS: 1 once no cpu is paused, 0 if one still is after SECS (by the clock).
unpaused_within() {
	end=$(($(date +%s) + $1))
	until [ "$(pvapf_counter cpus_paused)" = 0 ]; do
		[ "$(date +%s)" -gt "$end" ] && echo 0 && return
	done
	echo 1
}

l2_main() {
	l1_call host-set debug_ready_other_vcpu 1 || return 1
	armed=0
	# atomic and sleeping allocations alike (__GFP_NOFAIL ones never fail)
	failslab_on N && armed=1
	echo "RESULT failslab armed=$armed"
	guest_trace_on pvapf_apf_off
	pvapf_counters before
	memtouch --mib 128 --threads 32 --rounds 2 </dev/console &
	pid=$!
	offline_while_sleeping $pid
	# cpus 1-3 down and up while the workload lasts: bring-ups racing the pauses' ends
	cycles=0
	while kill -0 $pid 2>/dev/null && [ $cycles -lt 30 ]; do
		cpu_cycle $((cycles % 3 + 1)) && cycles=$((cycles + 1))
	done
	echo "RESULT hotplug cycles=$cycles"
	wait $pid
	rc=$?
	failslab_off
	echo "RESULT settle unpaused=$(unpaused_within 10)"
	pvapf_counters after
	guest_trace_count trace
	host_snapshot after
	return $rc
}

l1_main() {
	echo always >/sys/kernel/pvapf/default_policy
	run_l2 pause pvapf
	check_pvapf_guest pause 4
	l2_ok pause || return 0
	check_cmp "pause: failslab armed on pvapf_tt_node" "$(l2_result pause failslab armed)" -eq 1
	check_cmp "pause: the host delivered READYs on the other vCPU" \
		"$(host_counter pause after ready_forwarded)" -gt 1000
	check_cmp "pause: some READYs arrived before their task slept (wake-before-wait)" \
		"$(pvapf_delta pause woken_before_wait)" -gt 0
	check_cmp "pause: READYs found no memory and paused APF" \
		"$(pvapf_delta pause emergency_uses)" -gt 0
	check_cmp "pause: APF was switched off for pauses" \
		"$(l2_result pause trace pvapf_apf_off_pause)" -gt 0
	check_cmp "pause: ...never from the READY interrupt" \
		"$(l2_result pause trace pvapf_apf_off_pause_hardirq)" -eq 0
	check_cmp "pause: the pause work found no memory and tried again (no __GFP_NOFAIL)" \
		"$(pvapf_delta pause pause_retries)" -gt 0
	check_cmp "pause: no cpu paused within 10s of memory coming back" \
		"$(l2_result pause settle unpaused)" -eq 1
	check_cmp "pause: every pause ended" "$(pvapf_delta pause paused_periods)" -eq \
		"$(pvapf_delta pause emergency_uses)"
	check_cmp "pause: tasks were asleep when cpu1 went offline" \
		"$(l2_result pause hotplug sleepers_at_offline)" -gt 0
	check_cmp "pause: cpu1 went offline and came back" "$(l2_result pause hotplug toggled)" -eq 0
	check_cmp "pause: cpus 1-3 went down and up while tasks faulted" \
		"$(l2_result pause hotplug cycles)" -gt 2
	check_cmp "pause: no READY left as a dummy nobody takes" \
		"$(l2_result pause after dummies_current)" -eq 0
	check_cmp "pause: READYs of woken sleepers came late and were dropped" \
		"$(pvapf_delta pause late_readies)" -gt 0
	# Each READY or wake-all the host put in a slot ends in one ACK (ack_spurious: one taken
	# after APF went off, which the host had stopped waiting for); at the snapshot each vCPU's
	# slot may still hold one. A READY dropped from a slot is never ACKed.
	unacked=$(($(host_sum pause after ready wake_all) - $(host_sum pause after ack ack_spurious)))
	check_cmp "pause: every READY the host delivered was ACKed, none twice (unACKed $unacked)" \
		"$((unacked >= 0 && unacked <= 4))" -eq 1
}
