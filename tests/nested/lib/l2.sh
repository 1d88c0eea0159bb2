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

# Snapshot the pvapf host counters of this VM in L1 (see hooks/host-counters).
host_snapshot() { l1_call host-counters "$1"; }

# The pvapf guest's tracepoints: guest_trace_on, then guest_trace_count WORD prints
# "RESULT WORD pvapf_not_present=N pvapf_ready=N" and stops tracing.
GTRACE=/sys/kernel/tracing
guest_trace_on() {
	mount -t tracefs tracefs $GTRACE 2>/dev/null
	echo 16384 >$GTRACE/buffer_size_kb
	echo >$GTRACE/trace
	echo 1 >$GTRACE/events/pvapf_guest/enable
}

guest_trace_count() {
	echo 0 >$GTRACE/events/pvapf_guest/enable
	echo "RESULT $1 $(awk '
		/ pvapf_not_present:/ { np++ }
		/ pvapf_ready:/ { r++ }
		END { printf "pvapf_not_present=%d pvapf_ready=%d", np, r }' $GTRACE/trace)"
}
