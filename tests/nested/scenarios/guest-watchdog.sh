# shellcheck shell=sh
# The pvapf guest's watchdog (guest/README.md, "The watchdog") on a lost wakeup, the one every
# public async-PF hang report describes: the host drops the next READY without a wake-all
# (test aid debug_lose_ready), so one of the guest's tasks (whichever faulted first: the whole
# guest is paged out, and its other tasks may then wait on that one) sleeps on its token for
# good. With wait_warn_secs at 1 the guest reports it once, naming the task, its token and cpu,
# then the table's state. L1 reads the report from the guest's console, which needs none of the
# guest's tasks, watches for a repeat, and kills the VMM.
SWAP=disk
L0_TIMEOUT=900
L2_MEM=256
LOST=1
REPORT='pvapf: [^ ]*:[0-9]* asleep [0-9]* s on token 0x[0-9a-f]* from cpu [0-9]'

l2_main() {
	echo 1 >/sys/kernel/debug/pvapf/wait_warn_secs || return 1
	l1_call host-set debug_lose_ready $LOST || return 1
	memtouch --mib 64 --threads $LOST --rounds 1000
}

l1_main() {
	echo always >/sys/kernel/pvapf/default_policy
	log=/results/lost-l2.log
	L2_EXPECT_RC=137 run_l2 lost pvapf &
	bg=$!
	# until the guest has reported the lost READY's sleeper: 5 minutes by the clock at most
	# (paced, not synchronised: each look is a grep of the log)
	end=$(($(date +%s) + 300))
	until [ "$(grep -c "$REPORT" "$log" 2>/dev/null)" -ge $LOST ] || [ "$(date +%s)" -gt $end ]; do
		usleep 200000
	done
	# an observation window, not synchronisation: a wait reported again would show in it
	usleep 3000000
	qpid=$(pidof qemu-system-x86_64)
	QEMU_PID=$qpid PVAPF_LABEL=lost /pvapf/hooks/host-counters after
	kill -9 "$qpid"
	wait $bg
	check_cmp "lost: the host dropped the READYs it was told to" "$(host_counter lost after ready_undelivered)" -ge $LOST
	check_cmp "lost: the watchdog reported the sleeper, naming task, token and cpu" "$(grep -c "$REPORT" "$log")" -ge $LOST
	check_cmp "lost: the wait reported once, not at every look" \
		"$(grep -o 'asleep [0-9]* s on token 0x[0-9a-f]*' "$log" | sed 's/.* on //' | sort | uniq -d | wc -l)" -eq 0
	check_grep "lost: the table's state follows the reports" \
		"lost: no 'pvapf: table: N asleep ...' line in lost-l2.log" 'pvapf: table: [0-9]* asleep' "$log"
	drained_wait
	check_cmp "lost: nothing outstanding after the VM is gone" "$(global_outstanding)" -eq 0
}
