# shellcheck shell=sh
# The harness checks itself: an L2 scenario that fails, one that hangs, one that
# triple-faults and one that succeeds must be reported as FAIL, FAIL (timeout), FAIL
# (with the shutdown exit L1 saw) and PASS, or no other scenario's verdict could be
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
	# tests/harness-l0-timeout.sh: an L1 that resets mid-scenario (reboot=t: a triple fault)
	[ "$(pvapf_arg selftest_reset)" = 1 ] && reboot -f
	expect selftest-fail FAIL pvapf.mode=fail
	L2_TIMEOUT=30
	expect selftest-hang FAIL pvapf.mode=hang
	L2_TIMEOUT=600
	grep -q 'TIMEOUT after 30 s' /results/selftest-hang-l2.log &&
		pass "selftest-hang: l2ctl killed the hung L2 at its timeout" ||
		fail "selftest-hang: no timeout recorded in selftest-hang-l2.log"
	expect selftest-reset FAIL pvapf.mode=reset
	grep -q 'L2 triple-faulted: vcpu 0 reason shutdown' /results/selftest-reset-verdict.txt &&
		pass "selftest-reset: the L2's triple fault was reported from L1's shutdown exit" ||
		fail "selftest-reset: no shutdown exit reported for the L2 that reset"
	expect selftest-ok PASS pvapf.mode=ok
	check_cmp "selftest-ok: L1 hook ran and its status reached L2" \
		"$(l2_result selftest-ok selftest hook_rc)" -eq 7
}
