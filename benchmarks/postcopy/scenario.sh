# shellcheck shell=sh
# shellcheck disable=SC2034 # its settings are read by the harness (tests/nested/scenarios/.shellcheckrc)
# Post-copy benchmark (benchmarks/postcopy/run.sh boots L1 once per L1 kernel with this
# scenario; `make bench-postcopy`, `make bench-postcopy-quick`). Not a test: it reports numbers.
#
# Memory a VMM fills on demand: each L2 run (one configuration, one repetition) runs the
# overcommit benchmark's workloads (bm, fio: benchmarks/overcommit/scenario.sh, whose
# configurations, workloads and L1 side this file takes) twice each, as phases:
#   before    the guest as it is, its data resident: the reference
#   postcopy  L1 migrates the L2 to a new VMM with post-copy (bench-phase begin ... postcopy):
#             the switch at once, then every page the guest touches first is a userfaultfd
#             fault that waits for the old VMM to send it, the rest sent in the background
#             at pvapf.bench_bandwidth MiB/s (a throttled link)
# and last an idle phase: the guest does nothing for the phase's seconds while it is
# migrated the same way (what async PF costs where it has nothing to win).
# No swap: the only pages that wait are the ones post-copy has not sent yet.
SWAP=none
L0_TIMEOUT=3600
# One L2 run takes about a minute of L1's time: a stuck one is reported (hooks/l2-stuck) long
# before the run's end, not after half an hour.
L2_TIMEOUT=600

# shellcheck source=/dev/null # the in-VM path of benchmarks/overcommit/scenario.sh
. /pvapf/scenarios/bench-overcommit.sh

# ---- L2 ----

bench_phase_line() { echo "RESULT phase workload=$1 stage=$2"; }
bench_phase_name() { echo "$1-$2"; }

# bench_settled: until the phase's migration has handed the L2 over to the new VMM. Its last
# steps need l2ctl, which a hook waiting for them would hold: each ask is answered at once.
bench_settled() {
	n=0
	until l1_call bench-phase settled; do
		n=$((n + 1))
		[ $n -lt 3000 ] || { echo "RESULT phase-failed settled"; return 1; }
		usleep 100000
	done
}

bench_idle() {
	bench_phase_line idle postcopy
	l1_call bench-phase begin idle-postcopy postcopy 0 || return 1
	# the guest idles for the phase (the migration's switch is over well before it ends)
	sleep "$SECS"
	l1_call bench-phase end idle-postcopy
}

l2_main() {
	MIB=$(bench_param mib) SECS=$(bench_param secs) THREADS=$(bench_param threads)
	rc=0
	for wl in $(bench_param workloads) idle; do
		for stage in before postcopy; do
			[ "$wl/$stage" = idle/before ] && continue
			"bench_$wl" $stage || { echo "RESULT phase-failed workload=$wl stage=$stage"; rc=1; }
			[ $stage = before ] || bench_settled || return 1
		done
	done
	return $rc
}

# ---- L1 ----

# each workload before and during post-copy, and the idle guest's migration
bench_nphases() { echo $(($(bench_param workloads | wc -w) * 2 + 1)); }
