#!/usr/bin/env bash
# The pvapf test suite, in three tiers (README "Tests"):
#   tests/run-all.sh check   no kernel build, no VM: unit tests under sanitizers, ABI check,
#                            checkpatch, shellcheck, Python syntax (make check)
#   tests/run-all.sh [test]  check + the pin checks, the kernels and the nested scenarios
#                            (make test, what .ci/run runs)
#   tests/run-all.sh full    test + what does not fit CI's budget (make test-full)
# Every check prints a PASS/FAIL line; a stage that breaks counts as a FAIL naming its log; a
# quarantined scenario is a SKIP line with its reason. Ends with a table of the stages' times
# and "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. scripts/lib.sh
TIER=${1:-test}
case "$TIER" in
check | test | full) ;;
*) echo "usage: tests/run-all.sh [check|test|full]" >&2; exit 2 ;;
esac
T0=$(date +%s)
SUMMARY=$BUILD/logs/test-summary.txt
TIMES=$BUILD/logs/test-times.txt
: >"$SUMMARY"
: >"$TIMES"

# stage NAME CMD...: run CMD, keep its PASS/FAIL lines; a non-zero exit with no FAIL line
# of its own becomes one. Its time and outcome go into the table printed at the end.
stage() {
	local name=$1 log=$BUILD/logs/test-$1.log t rc n0
	t=$(date +%s)
	n0=$(wc -l <"$SUMMARY")
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
	printf '%-34s %6ss  %s passed, %s failed\n' "$name" "$(($(date +%s) - t))" \
		"$(tail -n +$((n0 + 1)) "$SUMMARY" | grep -c '^PASS: ')" \
		"$(tail -n +$((n0 + 1)) "$SUMMARY" | grep -c '^FAIL: ')" >>"$TIMES"
	return "$rc"
}

finish() {
	local passed failed skipped
	passed=$(grep -c '^PASS: ' "$SUMMARY")
	failed=$(grep -c '^FAIL: ' "$SUMMARY")
	skipped=$(grep -c '^SKIP: ' "$SUMMARY")
	echo
	echo "stage                              time    checks ($TIER tier)"
	cat "$TIMES"
	echo "test suite took $(($(date +%s) - T0))s; failures:"
	grep '^FAIL: ' "$SUMMARY" || echo "  none"
	grep '^SKIP: ' "$SUMMARY"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ]
	exit
}

# --- check: no kernel build, no VM ---
stage deps scripts/deps.sh || { echo "0 passed, 1 failed"; exit 1; }
stage shellcheck tests/check/shellcheck.sh
stage python-syntax tests/check/python-syntax.sh
stage build-progress tests/check/build-progress.sh
if stage tree scripts/prepare-tree.sh; then
	stage uapi scripts/uapi-headers.sh &&
		stage unit make -s -C tests/unit check UAPI="$BUILD/uapi/include"
	stage checkpatch scripts/checkpatch.sh
fi
# the libvirt hook against its table of domain XMLs (ASan+UBSan)
stage hook tests/hook/run.sh
# apfstat against fake hosts and guests (ASan+UBSan), its refusals and its man page
stage apfstat tests/apfstat/run.sh
[ "$TIER" = check ] && finish

# --- test: the kernels and the nested scenarios ---
stage pin tests/check/pin.sh
# the README's first command on a fresh machine: deps.sh in a minimal Debian 12 root
stage deps-fresh tests/packaging/deps-fresh.sh
stage configs make -s configs
stage host-config tests/check/host-config.sh
if stage kernel scripts/build-kernel.sh test && stage vmtest-images make -s vmtest-images; then
	stage noop-rebuild tests/self/kernel-noop-rebuild.sh
	# the harness's own timeout and retry handling: a check of the lab, not of the product
	[ "$TIER" = full ] && stage harness-l0-timeout tests/self/harness-l0-timeout.sh
	for s in $(make -s -f - <<<"all: ; @echo \$(basename \$(notdir \$(wildcard tests/nested/scenarios/*.sh)))"); do
		# A quarantined scenario names why it cannot be trusted here; it is listed, not run.
		why=$(sed -n 's/^QUARANTINE="\(.*\)"$/\1/p' "tests/nested/scenarios/$s.sh")
		if [ -n "$why" ]; then
			echo "SKIP: vmtest-$s: $why" | tee -a "$SUMMARY"
			continue
		fi
		stage "vmtest-$s" tests/nested/run.sh "$s"
	done
	# the overcommit benchmark's smoke run: structure and counters, not numbers
	stage bench-quick tests/bench/overcommit-quick.sh
	# the test kernel's packages, installed into Debian roots and booted (tests/packaging)
	stage packages-errors tests/packaging/build-errors.sh
	stage packages-deb tests/packaging/deb.sh
	stage packages-rpm tests/packaging/rpm.sh
	# the packaged host under libvirtd: domains from libvirt-hooks/README.md's XML, the hook's
	# settings and refusals in virsh start, apfstat, query-stats, the fio job (tests/libvirt)
	stage libvirt-e2e tests/libvirt/e2e.sh
	# Host teardown under KASAN, lockdep and kmemleak: the debug kernel (KVM modular) as L1,
	# for what only it can find: a VMM killed with faults in flight, a memslot deleted and
	# KVM unloaded under a pending fault. The plain flow under KASAN is in the full tier.
	if stage kernel-debug scripts/build-kernel.sh debug &&
		stage vmtest-images-debug tests/nested/mkinitramfs.sh l1 "$BUILD/vmtest/initrd-l1-debug.cpio" debug; then
		stage vmtest-host-pending-debug-l1 tests/nested/run.sh host-pending --l1 debug \
			--out results/vmtest/host-pending-l1debug
		if [ "$TIER" = full ]; then
			# a VMM killed with many faults in flight, and the adaptive rule, under KASAN (CI
			# keeps the killed VMM with a pending page-in: host-pending above)
			VMTEST_TIMEOUT=1200 stage vmtest-host-slowdisk-debug-l1 tests/nested/run.sh host-slowdisk --l1 debug \
				--out results/vmtest/host-slowdisk-l1debug
			VMTEST_TIMEOUT=2400 stage vmtest-host-flow-debug-l1 tests/nested/run.sh host-flow --l1 debug \
				--out results/vmtest/host-flow-l1debug
		fi
	fi
	if [ "$TIER" = full ]; then
		# Debian's guest on Debian's host: the reference the demo compares against
		stage vmtest-baseline-stock-l1 tests/nested/run.sh baseline-stock-apf --l1 stock \
			--out results/vmtest/baseline-stock-apf-l1stock
	fi
fi
finish
