#!/usr/bin/env bash
# The pvapf test suite, in three tiers (README "Tests"):
#   tests/run-all.sh check   no kernel build, no VM: unit tests under sanitizers, ABI check,
#                            checkpatch, shellcheck, Python syntax (make check)
#   tests/run-all.sh [test]  check + the pin checks, the test kernel, the nested scenarios,
#                            the packages and libvirt end to end
#                            (make test, what .ci/run runs)
#   tests/run-all.sh full    test + the debug kernel as L1, and what does not fit CI's
#                            budget (make test-full)
# Every check prints a PASS/FAIL line; a stage that breaks counts as a FAIL naming its log; a
# quarantined scenario is a SKIP line with its reason. Ends with a table of the stages' times
# and "N passed, N failed, N skipped".
#
# The test tier runs in lanes (README "Tests"): a nested scenario keeps one of the two cores
# busy, and what fetches or unpacks Debian packages waits mostly on the network and dpkg, so
# each lane runs beside the others: its output is printed whole when it ends, its stages'
# lines and times join the table in the lanes' order.
# shellcheck disable=SC2317 # the lanes' functions are called by name (lane, stage)
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

# lane NAME FUNC: FUNC's stages in the background, with a summary, a table and a log of their
# own (build/logs/lane-NAME.*); join_lanes NAME... waits for each in turn and adds them to the
# suite's, returning the last one's status.
declare -A LANE_PID
lane() {
	local name=$1 l=$BUILD/logs/lane-$1
	shift
	echo "=== lane $name: started (log: $l.log)"
	: >"$l.summary"
	: >"$l.times"
	(SUMMARY=$l.summary TIMES=$l.times "$@") >"$l.log" 2>&1 </dev/null &
	LANE_PID[$name]=$!
}
join_lanes() {
	local name l rc=0 t
	t=$(date +%s)
	for name; do
		l=$BUILD/logs/lane-$name
		wait "${LANE_PID[$name]}"
		rc=$?
		echo "=== lane $name: ended, $(($(date +%s) - t))s into the wait for it"
		cat "$l.log"
		cat "$l.summary" >>"$SUMMARY"
		cat "$l.times" >>"$TIMES"
	done
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

# --- the lanes of the test tier
# Debian roots for the packaging and libvirt tests, the pin against the archive, and deps.sh
# on a fresh machine: mostly waiting on the network and dpkg; then the flavours' configs
mkroots() {
	local v
	for v in minbase initramfs-tools dracut libvirt guest; do
		tests/packaging/mkroot.sh "$v" || return
	done
}
lane_debian() {
	stage roots mkroots
	stage pin tests/check/pin.sh
	# the README's first command on a fresh machine: deps.sh in a minimal Debian 12 root
	stage deps-fresh tests/packaging/deps-fresh.sh
	# every flavour's config, and the host flavour's required symbols (no build)
	stage configs make -s configs
	stage host-config tests/check/host-config.sh
}
# the test kernel (both cores) and what the lanes after it boot; fails if they have none
lane_kernel() {
	stage kernel scripts/build-kernel.sh test && stage vmtest-images make -s vmtest-images || return
	stage noop-rebuild tests/self/kernel-noop-rebuild.sh
	return 0
}
# The nested runs, one queue that two lanes take from in turn (a nested run keeps about one
# core busy): every scenario in tests/nested/scenarios, the two benchmarks' smoke runs,
# the packaging's refusals (here, not in the packaging lane, the longest after the kernel: it
# waits for no VM), and in the full tier the harness's own timeout handling and Debian's stock
# L1. A quarantined
# scenario names why it cannot be trusted here; it is listed, not run.
QUEUE=$BUILD/logs/nested-queue
queue_nested() {
	local s why
	for s in $(make -s -f - <<<"all: ; @echo \$(basename \$(notdir \$(wildcard tests/nested/scenarios/*.sh)))"); do
		why=$(sed -n 's/^QUARANTINE="\(.*\)"$/\1/p' "tests/nested/scenarios/$s.sh")
		if [ -n "$why" ]; then
			echo "SKIP: vmtest-$s: $why" | tee -a "$SUMMARY" >&2
		else
			echo "vmtest-$s"
		fi
	done
	echo bench-quick
	echo bench-postcopy-quick
	echo packages-errors
	[ "$TIER" = full ] && printf '%s\n' harness-l0-timeout vmtest-baseline-stock-l1
	return 0
}
# next_queued: the queue's next entry, taken off it (fails when it is empty)
next_queued() {
	{
		flock 7
		head -n 1 "$QUEUE"
		sed -i 1d "$QUEUE"
	} 7>"$QUEUE.lock" | grep .
}
lane_nested() {
	local t
	while t=$(next_queued); do
		case "$t" in
		# the benchmark's structure and counters, not its numbers
		bench-quick) stage bench-quick tests/bench/overcommit-quick.sh ;;
		bench-postcopy-quick) stage bench-postcopy-quick tests/bench/postcopy-quick.sh ;;
		# packaging/build.sh without a tool, and with a staging step failing
		packages-errors) stage packages-errors tests/packaging/build-errors.sh ;;
		# a check of the lab, not of the product
		harness-l0-timeout) stage harness-l0-timeout tests/self/harness-l0-timeout.sh ;;
		# Debian's guest on Debian's host: the reference the demo compares against
		vmtest-baseline-stock-l1) stage "$t" tests/nested/run.sh baseline-stock-apf --l1 stock \
			--out results/vmtest/baseline-stock-apf-l1stock ;;
		vmtest-*) stage "$t" tests/nested/run.sh "${t#vmtest-}" ;;
		esac
	done
}
# the test kernel's packages, installed into Debian roots and booted (tests/packaging), then
# the packaged host under libvirtd: domains from libvirt-hooks/README.md's XML, the hook's
# settings and refusals in virsh start, apfstat, query-stats, the fio job (tests/libvirt)
lane_packages() {
	# the test flavour's packages, both formats, built once for the three tests after it
	rm -rf "$BUILD/pkgtest/dist"
	stage packages-build env DIST="$BUILD/pkgtest/dist" packaging/build.sh test &&
		export PKGTEST_DIST=$BUILD/pkgtest/dist
	stage packages-deb tests/packaging/deb.sh
	stage packages-rpm tests/packaging/rpm.sh
	stage libvirt-e2e tests/libvirt/e2e.sh
}
# Full tier: host teardown under KASAN, lockdep and kmemleak, the debug kernel (KVM modular)
# as L1, for what only it can find: a VMM killed with faults in flight, a memslot deleted and
# KVM unloaded under a pending fault, the plain flow. Not in the test tier: its instrumented
# build alone is ~36 core-minutes here, which CI's 40 minutes on two cores cannot hold beside
# the rest (README "Tests"). Its build yields the cores to the lanes that boot VMs (nice):
# those have boot watchdogs, a build has none.
lane_debug() {
	stage kernel-debug nice -n 10 scripts/build-kernel.sh debug &&
		stage vmtest-images-debug tests/nested/mkinitramfs.sh l1 "$BUILD/vmtest/initrd-l1-debug.cpio" debug || return
	stage vmtest-host-pending-debug-l1 tests/nested/run.sh host-pending --l1 debug \
		--out results/vmtest/host-pending-l1debug
	VMTEST_TIMEOUT=1200 stage vmtest-host-slowdisk-debug-l1 tests/nested/run.sh host-slowdisk --l1 debug \
		--out results/vmtest/host-slowdisk-l1debug
	VMTEST_TIMEOUT=2400 stage vmtest-host-flow-debug-l1 tests/nested/run.sh host-flow --l1 debug \
		--out results/vmtest/host-flow-l1debug
}

# --- check: no kernel build, no VM ---
stage deps scripts/deps.sh || { echo "0 passed, 1 failed"; exit 1; }
stage tree scripts/prepare-tree.sh
TREE_OK=$?
UAPI_OK=1
[ "$TREE_OK" = 0 ] && stage uapi scripts/uapi-headers.sh && UAPI_OK=0
# The unit tests before anything runs beside them: their multi-threaded stress runs under the
# sanitizers slow down eightfold on an oversubscribed machine (1,044 s beside the kernel build
# and the Debian lane, 133 s alone).
[ "$UAPI_OK" = 0 ] && stage unit make -s -C tests/unit check UAPI="$BUILD/uapi/include"
# the test tier's first lanes run beside the rest of the check tier
if [ "$TIER" != check ]; then
	lane debian lane_debian
	[ "$TREE_OK" = 0 ] && lane kernel lane_kernel
fi
# The rest of the check tier runs beside the test kernel's build, the test tier's critical
# path, and yields the cores to it (nice; alone, as in make check, it makes no difference).
stage shellcheck nice tests/check/shellcheck.sh
stage python-syntax nice tests/check/python-syntax.sh
stage build-progress nice tests/check/build-progress.sh
stage soak-table nice tests/self/soak-table.sh
# the nested harness's l2ctl handing an L2 over to a second VMM (a migration), on fake VMMs
stage l2ctl-handover nice tests/self/l2ctl-handover.sh
# the kernel tree's lock: a re-prepare waits for running builds, a build for a re-prepare
stage tree-lock nice tests/self/tree-lock.sh
[ "$TREE_OK" = 0 ] && stage checkpatch nice scripts/checkpatch.sh
# the libvirt hook against its table of domain XMLs (ASan+UBSan)
stage hook nice tests/hook/run.sh
# apfstat against fake hosts and guests (ASan+UBSan), its refusals and its man page
stage apfstat nice tests/apfstat/run.sh
[ "$TIER" = check ] && finish

# --- test: the kernels and the nested scenarios ---
if [ "$TREE_OK" = 0 ] && join_lanes kernel; then
	queue_nested >"$QUEUE"
	lane nested1 lane_nested
	lane nested2 lane_nested
	lane packages lane_packages
	if [ "$TIER" = full ]; then
		lane debug lane_debug
		join_lanes debian nested1 nested2 packages debug
	else
		join_lanes debian nested1 nested2 packages
	fi
else
	join_lanes debian
fi
finish
