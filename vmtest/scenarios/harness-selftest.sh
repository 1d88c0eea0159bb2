# shellcheck shell=sh
# The harness checks itself: an L2 scenario that fails, one that hangs and one that
# succeeds must be reported as FAIL, FAIL (timeout) and PASS, or no other scenario's
# verdict could be trusted. No swap is needed.
SWAP=none
L0_TIMEOUT=600
L2_MEM=128

l2_main() {
	case "$(l2_mode)" in
	fail) echo "RESULT selftest mode=fail"; return 3 ;;
	hang) echo "RESULT selftest mode=hang"; while :; do read -r _ </dev/null; done ;;
	*) l1_call selftest-echo hello; echo "RESULT selftest mode=ok hook_rc=$?" ;;
	esac
}

# expect LABEL VERDICT [args]: run an L2 and check the harness reached VERDICT (PASS/FAIL)
# for it; its own verdict line is renamed so it does not count in the totals.
expect() {
	label=$1 want=$2
	shift 2
	got=$(run_l2 "$label" pvapf "$@" | sed -n 's/^\(PASS\|FAIL\): .*/\1/p' | tail -n 1)
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
	expect selftest-ok PASS pvapf.mode=ok
	check_cmp "selftest-ok: L1 hook ran and its status reached L2" \
		"$(l2_result selftest-ok selftest hook_rc)" -eq 7
}
