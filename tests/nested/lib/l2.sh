# shellcheck shell=sh
# Helpers for a scenario's l2_main (busybox sh inside L2).

# Sum of page-ready interrupts on a stock guest: the HYP line of /proc/interrupts.
hyp_count() {
	awk '/^ *HYP:/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' \
		/proc/interrupts
}

# Ask L1 to run one of its hooks (tests/nested/hooks/NAME) for us; returns its exit status.
l1_call() {
	echo "@@PVAPF CALL $*"
	while read -r line; do
		case "$line" in "@@PVAPF RET "*) return "${line#@@PVAPF RET }" ;; esac
	done
	return 255
}

# One "RESULT WORD name=value ..." line from the pvapf guest's counters (nothing on a
# kernel without them).
PVAPF_COUNTERS=/sys/kernel/debug/pvapf/guest_counters
pvapf_counters() {
	[ -r $PVAPF_COUNTERS ] || return 0
	echo "RESULT $1 $(awk '{ printf "%s=%s ", $1, $2 }' $PVAPF_COUNTERS)"
}

pvapf_counter() { awk -v k="$1" '$1 == k { print $2 }' $PVAPF_COUNTERS; }

# Which mode the scenario's L1 asked this L2 to run (pvapf.mode=... on its command line).
l2_mode() { pvapf_arg mode; }

# The standard guest workload: counters, memtouch re-reading swapped memory, counters.
# pvapf_workload [THREADS [MIB]] (default 4 threads over 128 MiB)
pvapf_workload() {
	pvapf_counters before
	memtouch --mib "${2:-128}" --threads "${1:-4}" --rounds 2
	rc=$?
	pvapf_counters after
	return $rc
}

# cpu_cycle N: cpu N offline and back online; fails if either step fails.
cpu_cycle() {
	echo 0 >"/sys/devices/system/cpu/cpu$1/online" && echo 1 >"/sys/devices/system/cpu/cpu$1/online"
}

# pm_cycle: a hibernation cycle that writes no image (pm_test "core": nonboot cpus down, the
# boot cpu's syscore suspend and resume); fails if the kernel refuses it.
pm_cycle() { echo core >/sys/power/pm_test && echo disk >/sys/power/state; }

# failslab_on [WAIT]: fail every allocation from the token table's node cache, pvapf_tt_node,
# and only those, quietly; WAIT=N fails sleeping ones too (Y, failslab's default: atomic ones
# only). failslab_off ends it.
FAILSLAB=/sys/kernel/debug/failslab
failslab_on() {
	echo 1 >/sys/kernel/slab/pvapf_tt_node/failslab && echo Y >$FAILSLAB/cache-filter &&
		echo "${1:-Y}" >$FAILSLAB/ignore-gfp-wait && echo 0 >$FAILSLAB/verbose &&
		echo -1 >$FAILSLAB/times && echo 100 >$FAILSLAB/probability
}
failslab_off() { echo 0 >$FAILSLAB/probability; }

# offline_while_sleeping PID: wait until some task sleeps on a token (bounded by the life of
# the workload PID: the fill and pageout before its re-reads take a while), then take cpu1
# away and bring it back. RESULT hotplug sleepers_at_offline=N toggled=0|1
offline_while_sleeping() {
	# Report the count that ended the wait: a second read races with the sleepers' wake-up.
	n=0
	while [ "$n" = 0 ] && kill -0 "$1" 2>/dev/null; do n=$(pvapf_counter sleepers_current); done
	echo "RESULT hotplug sleepers_at_offline=$n"
	toggled=1
	cpu_cycle 1 && toggled=0
	echo "RESULT hotplug toggled=$toggled"
}

# Snapshot the pvapf host counters of this VM in L1 (see hooks/host-counters).
host_snapshot() { l1_call host-counters "$1"; }

# The pvapf guest's tracepoints: guest_trace_on [EVENT] (default: all of them), then
# guest_trace_count WORD prints "RESULT WORD pvapf_not_present=N pvapf_ready=N
# pvapf_apf_off_pause=N pvapf_apf_off_pause_hardirq=N" (APF switched off for a pause, and
# of those, from an interrupt handler) and stops tracing.
GTRACE=/sys/kernel/tracing
guest_trace_on() {
	mount -t tracefs tracefs $GTRACE 2>/dev/null
	echo 16384 >$GTRACE/buffer_size_kb
	echo >$GTRACE/trace
	echo 1 >"$GTRACE/events/pvapf_guest/${1:-.}/enable"
}

guest_trace_count() {
	echo 0 >$GTRACE/events/pvapf_guest/enable
	echo "RESULT $1 $(awk '
		/ pvapf_not_present:/ { np++ }
		/ pvapf_ready:/ { r++ }
		/ pvapf_apf_off: .* why pause / { p++; if (/ hardirq 1$/) ph++ }
		END { printf "pvapf_not_present=%d pvapf_ready=%d pvapf_apf_off_pause=%d pvapf_apf_off_pause_hardirq=%d",
			np, r, p, ph }' $GTRACE/trace)"
}
