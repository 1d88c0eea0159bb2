#!/usr/bin/env bash
# The whole pvapf test suite: dependencies, unit tests, kernel style, config fragments,
# the kernel build and the nested KVM scenarios. Every check prints a PASS/FAIL line;
# a stage that breaks counts as a FAIL naming its log; a quarantined scenario is a SKIP
# line with its reason. Ends with "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
T0=$(date +%s)
SUMMARY=$BUILD/logs/test-summary.txt
: >"$SUMMARY"

# stage NAME CMD...: run CMD, keep its PASS/FAIL lines; a non-zero exit with no FAIL line
# of its own becomes one.
stage() {
	local name=$1 log=$BUILD/logs/test-$1.log t=$(date +%s) rc
	shift
	echo "=== $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	grep -E '^(PASS|FAIL): ' "$log" >>"$SUMMARY"
	if [ "$rc" != 0 ] && ! grep -q '^FAIL: ' "$log"; then
		echo "FAIL: $name: exited $rc (log: $log)" | tee -a "$SUMMARY"
	elif [ "$rc" = 0 ] && ! grep -qE '^(PASS|FAIL): ' "$log"; then
		echo "PASS: $name" | tee -a "$SUMMARY"
	fi
	echo "=== $name: $(($(date +%s) - t))s"
	return "$rc"
}

stage deps scripts/deps.sh || { echo "0 passed, 1 failed"; exit 1; }
if stage tree scripts/prepare-tree.sh; then
	stage uapi scripts/uapi-headers.sh &&
		stage unit make -s -C tests/unit check UAPI="$BUILD/uapi/include"
	stage checkpatch scripts/checkpatch.sh
fi
stage configs make -s configs
if stage kernel scripts/build-kernel.sh test && stage vmtest-images make -s vmtest-images; then
	stage noop-rebuild tests/kernel-noop-rebuild.sh
	stage harness-l0-timeout tests/harness-l0-timeout.sh
	for s in $(make -s -f - <<<'all: ; @echo $(basename $(notdir $(wildcard vmtest/scenarios/*.sh)))'); do
		# A quarantined scenario names why it cannot be trusted here; it is listed, not run.
		why=$(sed -n 's/^QUARANTINE="\(.*\)"$/\1/p' "vmtest/scenarios/$s.sh")
		if [ -n "$why" ]; then
			echo "SKIP: vmtest-$s: $why" | tee -a "$SUMMARY"
			continue
		fi
		stage "vmtest-$s" vmtest/run.sh "$s"
	done
	stage vmtest-baseline-stock-l1 vmtest/run.sh baseline-stock-apf --l1 stock \
		--out results/vmtest/baseline-stock-apf-l1stock
	# the overcommit benchmark's smoke run: structure and counters, not numbers
	stage bench-quick tests/bench-quick.sh
	# Host teardown under KASAN, lockdep and kmemleak: the debug kernel (KVM modular) as L1.
	if stage kernel-debug scripts/build-kernel.sh debug &&
		stage vmtest-images-debug vmtest/mkinitramfs.sh l1 "$BUILD/vmtest/initrd-l1-debug.cpio" debug; then
		VMTEST_TIMEOUT=1200 stage vmtest-host-slowdisk-debug-l1 vmtest/run.sh host-slowdisk --l1 debug \
			--out results/vmtest/host-slowdisk-l1debug
		stage vmtest-host-pending-debug-l1 vmtest/run.sh host-pending --l1 debug \
			--out results/vmtest/host-pending-l1debug
		# ...and the whole host flow under KASAN, on modular KVM (the reclaim aid refused)
		VMTEST_TIMEOUT=2400 stage vmtest-host-flow-debug-l1 vmtest/run.sh host-flow --l1 debug \
			--out results/vmtest/host-flow-l1debug
	fi
fi

passed=$(grep -c '^PASS: ' "$SUMMARY")
failed=$(grep -c '^FAIL: ' "$SUMMARY")
skipped=$(grep -c '^SKIP: ' "$SUMMARY")
echo
echo "test suite took $(($(date +%s) - T0))s; failures:"
grep '^FAIL: ' "$SUMMARY" || echo "  none"
grep '^SKIP: ' "$SUMMARY"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
