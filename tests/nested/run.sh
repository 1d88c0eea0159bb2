#!/usr/bin/env bash
# Run one nested scenario: boot L1 under QEMU TCG with emulated AMD SVM + nested paging,
# let the scenario start its L2 guests under L1's KVM, and bring every result back.
#   tests/nested/run.sh SCENARIO [--l1 pvapf|debug|guest|stock] [--swap disk|zram|slowdisk] [--out DIR]
# A scenario may set L1_KERNEL=stock|pvapf and SWAP= as defaults for the options.
# The scenario's L0_TIMEOUT bounds the whole run (VMTEST_TIMEOUT overrides it); its
# L1_SMP sets L1's vCPU count (default 2).
# VMTEST_APPEND adds L1 kernel arguments (pvapf.NAME=value, read in L1 with pvapf_arg).
# Prints the scenario's PASS/FAIL lines; exit 0 only if there is a PASS and no FAIL.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

SCEN=${1:?usage: tests/nested/run.sh SCENARIO [--l1 pvapf|debug|guest|stock] [--swap disk|zram|slowdisk] [--out DIR]}
shift
FILE=$PVAPF_ROOT/tests/nested/scenarios/$SCEN.sh
# A benchmark's scenario, bench-NAME, is where tests/nested/benchmarks registers it.
case "$SCEN" in
bench-*) FILE=$PVAPF_ROOT/$(awk -v n="${SCEN#bench-}" '$1 == n { print $2 }' "$PVAPF_ROOT/tests/nested/benchmarks") ;;
esac
[ -f "$FILE" ] || die vmtest "" "no scenario '$SCEN' (tests/nested/scenarios/$SCEN.sh or tests/nested/benchmarks)"
L1=$(sed -n 's/^L1_KERNEL=//p' "$FILE")
L1=${L1:-pvapf}
SWAP=$(sed -n 's/^SWAP=//p' "$FILE")
TMO=$(sed -n 's/^L0_TIMEOUT=//p' "$FILE")
L1_SMP=$(sed -n 's/^L1_SMP=//p' "$FILE")
OUT=
while [ $# -gt 0 ]; do
	case "$1" in
	--l1) L1=$2; shift 2 ;;
	--swap) SWAP=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) die vmtest "" "unknown option '$1'" ;;
	esac
done
SWAP=${SWAP:-disk}
TMO=${VMTEST_TIMEOUT:-${TMO:-1200}}
BOOT_TMO=${VMTEST_BOOT_TIMEOUT:-180}
# L1's watchdog (tests/nested/lib/l1-watchdog.sh) stops a stuck scenario this long before L0's
# timeout, so its results and where it was stuck still come back (VMTEST_WATCHDOG sets
# its deadline, in seconds of L1 uptime). Too short a timeout leaves it unarmed.
DEADLINE=${VMTEST_WATCHDOG:-$((TMO - 90))}
[ "$DEADLINE" -ge 30 ] || DEADLINE=
OUT=${OUT:-$PVAPF_ROOT/results/vmtest/$SCEN-l1$L1-$SWAP}
# Our test kernel boots microvm without ACPI (MP table + virtio-mmio on the command line);
# Debian's kernel has no MPPARSE, so it needs microvm's ACPI tables for its local APIC.
case "$L1" in
pvapf) KERNEL=$BUILD/obj-test/arch/x86/boot/bzImage MACHINE=microvm,acpi=off IMAGE=pvapf ;;
# the debug build of our kernel (KASAN, lockdep, kmemleak) as L1; its initramfs adds the
# KVM modules (make vmtest-images-debug)
debug) KERNEL=$BUILD/obj-debug/arch/x86/boot/bzImage MACHINE=microvm,acpi=off IMAGE=debug ;;
# our guest flavour as packaged: Debian's cloud config + kernel/config/pvapf.config, KVM and the
# disk, zram and dm-delay drivers as modules (make vmtest-images-guest; ~50 min to build here)
guest) KERNEL=$BUILD/obj-guest/arch/x86/boot/bzImage MACHINE=microvm,acpi=on IMAGE=guest ;;
stock) KERNEL=$BUILD/stock/vmlinuz MACHINE=microvm,acpi=on IMAGE=stock ;;
*) die vmtest "" "--l1 must be pvapf, debug, guest or stock" ;;
esac
INITRD=$BUILD/vmtest/initrd-l1-$IMAGE.cpio
IMAGES=vmtest-images
case "$L1" in debug | guest) IMAGES=vmtest-images-$L1 ;; esac
for f in "$KERNEL" "$INITRD"; do
	[ -f "$f" ] || die vmtest "" "$f missing: run 'make $IMAGES' first"
done
need_cmd vmtest qemu-system-x86_64 qemu-system-x86

rm -rf "$OUT" && mkdir -p "$OUT"
CONSOLE=$OUT/l1-console.log
TSC_ARG=$(tsc_khz_arg)
# boot_l1: run L1 to the end; 125 if it did not reach init within $BOOT_TMO seconds.
boot_l1() {
	local qpid w
	rm -f "$OUT/swap.img" "$OUT/results.img"
	truncate -s 2G "$OUT/swap.img"
	truncate -s 32M "$OUT/results.img"
	timeout -k 10 "$TMO" qemu-system-x86_64 -accel tcg -cpu EPYC -M "$MACHINE" -m 3G -smp "${L1_SMP:-2}" \
		-nodefaults -no-reboot -display none -no-user-config \
		-chardev file,id=con,path="$CONSOLE" -serial chardev:con \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 loglevel=5 nokaslr reboot=t panic=-1 panic_on_warn=1 oops=panic no_timer_check tsc=reliable $TSC_ARG pvapf.scenario=$SCEN pvapf.swap=$SWAP${DEADLINE:+ pvapf.deadline=$DEADLINE}${VMTEST_APPEND:+ $VMTEST_APPEND}" \
		-drive file="$OUT/swap.img",if=none,format=raw,id=swap -device virtio-blk-device,drive=swap \
		-drive file="$OUT/results.img",if=none,format=raw,id=res -device virtio-blk-device,drive=res \
		2>"$OUT/l0-qemu.err" &
	qpid=$!
	# Boot watchdog: L1 reaches init in seconds; one stuck in early boot is stopped here
	# instead of holding the whole scenario timeout.
	for ((w = 0; w < BOOT_TMO; w++)); do
		grep -q '^@@PVAPF L1 INIT' "$CONSOLE" 2>/dev/null && break
		kill -0 "$qpid" 2>/dev/null || break
		sleep 1
	done
	if ! grep -q '^@@PVAPF L1 INIT' "$CONSOLE" 2>/dev/null && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid"
		wait "$qpid"
		return 125
	fi
	wait "$qpid"
}

stage_begin "vmtest $SCEN" "L1=$L1 swap=$SWAP timeout=${TMO}s (console: $CONSOLE)"
set +e
boot_l1
rc=$?
# Emulator artifacts get one more boot, with the evidence kept: multi-threaded TCG now
# and then runs a stale copy of kernel text L1 is patching (a static key flipped when KVM
# starts a VM) and L1 oopses on the patch's int3; and Debian's kernel now and then hangs
# in early boot right after "tsc: Unable to calibrate against PIT". A third, cause not yet
# known: L1 resets silently in the middle of a scenario (QEMU exits 0 under -no-reboot as on
# a triple fault; no panic, oops or BUG on the console), seen while an L2 booted beside a
# fork-heavy L1 shell (tests/nested/README.md, Known emulator artifacts).
# A real failure fails twice.
# What an L1 kernel prints when it fails: never part of a silent reset, always a FAIL.
L1_BAD='Kernel panic|WARNING: CPU|BUG:|Oops:|cut here'
silent_reset() {
	[ "$1" = 0 ] && grep -q '^@@PVAPF L1 INIT' "$CONSOLE" && ! grep -q '^@@PVAPF L1 DONE' "$CONSOLE" &&
		! grep -qE "$L1_BAD" "$CONSOLE"
}
why=
if [ $rc = 125 ]; then why="did not reach init within ${BOOT_TMO}s"
elif grep -q 'Oops: int3' "$CONSOLE" 2>/dev/null; then why="hit the TCG text-patching int3 oops"
elif silent_reset $rc; then why="reset silently mid-scenario"
fi
if [ -n "$why" ]; then
	mv "$CONSOLE" "$OUT/l1-console.first-boot.log"
	echo "vmtest $SCEN: first L1 boot $why (see l1-console.first-boot.log); booting once more"
	boot_l1
	rc=$?
fi
rm -f "$OUT/swap.img"

fails=()
if [ $rc = 125 ]; then
	fails+=("L1 did not reach init within ${BOOT_TMO}s, twice (console: $CONSOLE)")
elif [ $rc = 124 ] || [ $rc = 137 ]; then
	fails+=("L1 did not finish within ${TMO}s (console: $CONSOLE)")
elif [ $rc != 0 ]; then
	fails+=("L0 QEMU exited with $rc (see $OUT/l0-qemu.err)")
fi
grep -q '^@@PVAPF L1 INIT' "$CONSOLE" 2>/dev/null ||
	fails+=("L1 never reached init (console: $CONSOLE)")
if grep -q '^@@PVAPF L1 DONE' "$CONSOLE"; then
	mkdir -p "$OUT/results"
	tar -xf "$OUT/results.img" -C "$OUT/results" 2>/dev/null ||
		fails+=("results disk unreadable ($OUT/results.img)")
else
	fails+=("L1 did not finish the scenario (console: $CONSOLE)")
fi
rm -f "$OUT/results.img"
WDF=$OUT/results/l1-watchdog.txt
[ -f "$WDF" ] &&
	fails+=("L1 watchdog stopped the scenario, still running after ${DEADLINE}s of L1 uptime (where it was: $WDF)")
bad=$(grep -hE "^\[ *[0-9]+\.[0-9]+\] .*($L1_BAD)" "$CONSOLE" "$OUT/results/l1-dmesg.txt" 2>/dev/null | head -n1)
[ -z "$bad" ] || fails+=("L1 kernel reported: $bad")

LOGF=$OUT/results/l1-scenario.log
# an L2 booted twice (run_l2: it reset with no async fault injected) is said, not hidden
[ -f "$LOGF" ] && grep -E '^(PASS|FAIL): |^run_l2 .*booting it once more' "$LOGF"
for f in "${fails[@]}"; do echo "FAIL: $SCEN: $f"; done
# Evidence in the log itself (CI keeps only the output): where a stuck scenario was, or
# how the console of an L1 that did not finish ends.
if [ -f "$WDF" ]; then
	echo "--- $WDF (head):"
	head -n 60 "$WDF" | sed 's/^/  | /'
elif [ ${#fails[@]} -gt 0 ] && [ -f "$CONSOLE" ]; then
	echo "--- $CONSOLE (tail):"
	tail -n 30 "$CONSOLE" | sed 's/^/  | /'
fi
npass=$(grep -c '^PASS: ' "$LOGF" 2>/dev/null || true)
nfail=$(( $(grep -c '^FAIL: ' "$LOGF" 2>/dev/null || true) + ${#fails[@]} ))
[ "${npass:-0}" -gt 0 ] || { echo "FAIL: $SCEN: scenario reported no PASS line"; nfail=$((nfail + 1)); }
echo "vmtest $SCEN: ${npass:-0} passed, $nfail failed (results: $OUT)"
stage_end
[ "$nfail" = 0 ]
