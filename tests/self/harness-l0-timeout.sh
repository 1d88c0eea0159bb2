#!/usr/bin/env bash
# The harness's timeouts must turn an L1 that never finishes into a FAIL naming the stage
# and console log, within its timeout, not a hang: run a scenario with a timeout far too
# short for it and check the verdict; then the same for a boot that stalls, a silent reset,
# and a scenario stuck inside L1 (L1's own watchdog).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
out=$(VMTEST_TIMEOUT=4 tests/nested/run.sh harness-selftest --out results/vmtest/l0-timeout 2>&1)
rc=$?
if [ $rc != 0 ] && grep -q 'FAIL: harness-selftest: L1 did not finish within 4s (console: ' <<<"$out"; then
	echo "PASS: harness: an L1 that overruns its timeout is killed and reported"
else
	echo "FAIL: harness: L1 timeout not reported (exit $rc): $(tail -n 3 <<<"$out" | tr '\n' ' ')"
fi

# An L1 that does not reach init in time (0 s: deterministically too short) is stopped by the
# boot watchdog, booted once more, and reported as a FAIL when the second boot is no better.
out=$(VMTEST_BOOT_TIMEOUT=0 tests/nested/run.sh harness-selftest --out results/vmtest/l0-boot-timeout 2>&1)
rc=$?
if [ $rc != 0 ] && grep -q 'booting once more' <<<"$out" &&
	grep -q 'FAIL: harness-selftest: L1 did not reach init within 0s, twice' <<<"$out"; then
	echo "PASS: harness: an L1 stuck before init is retried once, then reported"
else
	echo "FAIL: harness: boot watchdog not effective (exit $rc): $(tail -n 3 <<<"$out" | tr '\n' ' ')"
fi

# An L1 that resets without a word mid-scenario is booted once more with the first console
# kept, and reported as a FAIL when it happens again (here it always does).
out=$(VMTEST_APPEND=pvapf.selftest_reset=1 tests/nested/run.sh harness-selftest --out results/vmtest/l0-silent-reset 2>&1)
rc=$?
if [ $rc != 0 ] && grep -q 'first L1 boot reset silently mid-scenario' <<<"$out" &&
	[ -f results/vmtest/l0-silent-reset/l1-console.first-boot.log ] &&
	grep -q 'FAIL: harness-selftest: L1 did not finish the scenario' <<<"$out"; then
	echo "PASS: harness: an L1 that resets silently is retried once, then reported"
else
	echo "FAIL: harness: silent L1 reset not handled (exit $rc): $(tail -n 3 <<<"$out" | tr '\n' ' ')"
fi

# A scenario stuck where no signal reaches it (direct I/O on a suspended dm device, in the
# scenario's own process) is stopped by L1's watchdog at its deadline, long before L0's
# timeout: the verdict names the watchdog, the report lists the stuck task with its kernel
# stack, and the results still come back (here by the watchdog itself, init being stuck
# waiting for that task).
out=$(VMTEST_TIMEOUT=600 VMTEST_WATCHDOG=40 VMTEST_APPEND=pvapf.selftest_stuck=1 \
	tests/nested/run.sh harness-selftest --out results/vmtest/l1-watchdog 2>&1)
rc=$?
wd=results/vmtest/l1-watchdog/results/l1-watchdog.txt
if [ $rc != 0 ] && grep -q 'FAIL: harness-selftest: L1 watchdog stopped the scenario, still running after 40s' <<<"$out" &&
	! grep -q 'did not finish within' <<<"$out" &&
	grep -q '^selftest: stuck in direct I/O on a suspended dm device' "$wd" &&
	grep -qE '^-- [0-9]+/[0-9]+ dd state=D wchan=' "$wd" && grep -qE '^\[<0>\] .*(io_schedule|blkdev)' "$wd" &&
	[ -s results/vmtest/l1-watchdog/results/l1-dmesg.txt ]; then
	echo "PASS: harness: a stuck scenario is stopped by L1's watchdog, the stuck task reported, the results kept"
else
	echo "FAIL: harness: L1 watchdog not effective (exit $rc, report: $wd): $(tail -n 3 <<<"$out" | tr '\n' ' ')"
fi
