# shellcheck shell=sh
# The harness checks itself: an L2 scenario that fails, one that hangs, one that
# triple-faults, one that triple-faults before it starts (booted twice) and one that
# succeeds must be reported as FAIL, FAIL (timeout, with where the VM was stuck), FAIL (with
# the shutdown exit L1 saw), FAIL and PASS, or no other scenario's verdict could be
# trusted. No swap is needed.
SWAP=none
L0_TIMEOUT=600
L2_MEM=128

l2_main() {
	case "$(l2_mode)" in
	fail) echo "RESULT selftest mode=fail"; return 3 ;;
	hang) echo "RESULT selftest mode=hang"; while :; do read -r _ </dev/null; done ;;
	# reboot=t on the L2 command line: the reset is a triple fault
	reset) echo "RESULT selftest mode=reset"; reboot -f ;;
	*) l1_call selftest-echo hello; echo "RESULT selftest mode=ok hook_rc=$?" ;;
	esac
}

# expect LABEL VERDICT [args]: run an L2 and check the harness reached VERDICT (PASS/FAIL)
# for it; its own verdict lines go to /results/LABEL-verdict.txt, out of the totals.
expect() {
	label=$1 want=$2
	shift 2
	run_l2 "$label" pvapf "$@" | grep -E '^(PASS|FAIL): ' >"/results/$label-verdict.txt"
	got=$(sed -n 's/^\(PASS\|FAIL\): .*/\1/p' "/results/$label-verdict.txt" | tail -n 1)
	if [ "$got" = "$want" ]; then
		pass "$label: harness reported $want"
	else
		fail "$label: harness reported '${got:-nothing}', want $want"
	fi
}

l1_main() {
	# tests/self/harness-l0-timeout.sh: an L1 that resets mid-scenario (reboot=t: a triple fault)
	[ "$(pvapf_arg selftest_reset)" = 1 ] && reboot -f
	# ...and one whose scenario is stuck where no signal reaches it: direct I/O on a
	# suspended dm device, in the scenario's own process; the L1 watchdog must report it
	# and still hand the results back
	if [ "$(pvapf_arg selftest_stuck)" = 1 ]; then
		if ! { dmsetup create --noudevsync stuck --table "0 8 linear $(swap_disk) 0" &&
			dmsetup mknodes stuck && dmsetup suspend --noudevsync stuck; }; then
			fail "stuck: no suspended dm device"
			return 1
		fi
		echo "selftest: stuck in direct I/O on a suspended dm device"
		exec dd if=/dev/mapper/stuck of=/dev/null bs=4096 count=1 iflag=direct
	fi
	expect selftest-fail FAIL pvapf.mode=fail
	L2_TIMEOUT=30
	expect selftest-hang FAIL pvapf.mode=hang
	L2_TIMEOUT=600
	check_grep "selftest-hang: l2ctl killed the hung L2 at its timeout" \
		"selftest-hang: no timeout recorded in selftest-hang-l2.log" \
		'TIMEOUT after 30 s' /results/selftest-hang-l2.log
	# ...having first recorded where the VM was (hooks/l2-stuck), named in the verdict
	check_grep "selftest-hang: l2ctl recorded the vCPU thread's state and kernel stack" \
		"selftest-hang: no [stuck] line for the vCPU thread in selftest-hang-l2.log" \
		"^\[stuck\] thread [0-9]* 'CPU 0/KVM' state [A-Z] wchan " /results/selftest-hang-l2.log
	check_grep "selftest-hang: ...and what its vCPU did over 2 s (KVM exits: it was running)" \
		"selftest-hang: no KVM exits recorded for the spinning L2 in selftest-hang-l2.log" \
		'^\[stuck\] 2 s of KVM events: kvm_exit: ' /results/selftest-hang-l2.log
	check_grep "selftest-hang: ...and the guest's registers from its VMM's monitor (QMP)" \
		"selftest-hang: no [stuck] info registers line in selftest-hang-l2.log" \
		'^\[stuck\] info registers: RIP=' /results/selftest-hang-l2.log
	check_grep "selftest-hang: the FAIL names the vCPU thread's state" \
		"selftest-hang: the FAIL does not name the vCPU thread's state" \
		"its vCPU 0: state [A-Z] wchan" /results/selftest-hang-verdict.txt
	expect selftest-reset FAIL pvapf.mode=reset
	check_grep "selftest-reset: the L2's triple fault was reported from L1's shutdown exit" \
		"selftest-reset: no shutdown exit reported for the L2 that reset" \
		'L2 triple-faulted: vcpu 0 reason shutdown' /results/selftest-reset-verdict.txt
	check_cmp "selftest-reset: an L2 that reset after its start is not booted again" \
		"$(count_paths /results/selftest-reset-*first-boot*)" -eq 0
	# one that resets before its scenario starts gets a second boot, then fails as well
	expect selftest-early-reset FAIL pvapf.mode=early_reset
	check_cmp "selftest-early-reset: booted once more, the first boot's log and trace kept" \
		"$(count_paths /results/selftest-early-reset-l2.first-boot.log /results/selftest-early-reset-l1-trace-tail.first-boot.txt)" -eq 2
	check_grep "selftest-early-reset: the second boot's triple fault was reported" \
		"selftest-early-reset: no shutdown exit reported for the second boot" \
		'L2 triple-faulted: vcpu 0 reason shutdown' /results/selftest-early-reset-verdict.txt
	expect selftest-ok PASS pvapf.mode=ok
	check_cmp "selftest-ok: L1 hook ran and its status reached L2" \
		"$(l2_result selftest-ok selftest hook_rc)" -eq 7
}
