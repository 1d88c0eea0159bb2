# shellcheck shell=sh
# shellcheck disable=SC2034 # its settings are read by the harness (tests/nested/scenarios/.shellcheckrc)
# Overcommit benchmark (benchmarks/overcommit/run.sh boots L1 once per L1 kernel and swap
# type with this scenario; `make bench`, `make bench-quick`). Not a test: it reports numbers.
#
# Each L2 run (one configuration, one repetition) goes through phases: for every overcommit
# ratio, for every workload, the L2 fills its MIB of data and L1 caps the VMM's memory cgroup
# so that data gets MIB/ratio of host memory (ratio 1: no cap; see bench-phase),
# then the L2 runs the workload for SECS seconds:
#   bm   apfbm: THREADS threads read random pages of a MIB array, THREADS counters count
#        (the 2010 async-PF series' bm); work = the counters' blocks
#   fio  fio ioengine=mmap randread over a MIB tmpfs file from THREADS jobs, with one CPU
#        counter (apfbm --touchers 0) as co-runner
# Parameters come from L1's command line (run.sh's VMTEST_APPEND): pvapf.bench_l1 (which L1
# kernel this is), bench_configs, bench_reps, bench_mib, bench_secs, bench_ratios,
# bench_workloads, bench_threads (lists comma-separated).
SWAP=disk
L0_TIMEOUT=3600
# One L2 run is one configuration's every phase: on slowdisk each phase refills its data
# through delayed reads (measured ~300 s for 64 MiB, ratios 1 and 4, at 1 ms per read).
L2_TIMEOUT=1800

# The configurations, one line each:
#   NAME       L1 kernel, L2 kernel, host POLICY ("-": the one L1 booted with, for the pvapf
#              host its default, adaptive), BASE (the APF-off config its ratios are taken
#              against: same L1), L2 args
# Each pvapf host policy is a configuration: pvapf (adaptive), pvapf-always, pvapf-off (the
# guest has APF on, the host never goes async).
BENCH_CONFIG_TABLE='
apf-off      pvapf pvapf -      apf-off   no-kvmapf
pvapf        pvapf pvapf -      apf-off   -
pvapf-always pvapf pvapf always apf-off   -
pvapf-off    pvapf pvapf off    apf-off   -
stock-off    stock stock -      stock-off no-kvmapf
stock        stock stock -      stock-off -
'

bench_param() { pvapf_arg "bench_$1" | tr , ' '; }

# ---- L2 ----
# The workloads (bench_bm, bench_fio) are the post-copy benchmark's too
# (benchmarks/postcopy/scenario.sh): it sets BENCH_HOOK, the L1 hook that brackets a timed
# phase ("HOOK begin NAME PRESSURE MIB", "HOOK end NAME"), and redefines the two below.
BENCH_HOOK=bench-phase

# bench_phase_line WORKLOAD RATIO: the line that tells the report which phase the next
# results are of; bench_phase_name WORKLOAD RATIO: the phase's name in L1's files.
bench_phase_line() { echo "RESULT phase workload=$1 ratio=$2"; }
bench_phase_name() { echo "$1-x$2"; }

bench_bm() {
	bench_phase_line bm "$1"
	ph=$(bench_phase_name bm "$1")
	apfbm --mib "$MIB" --touchers "$THREADS" --counters "$THREADS" --seconds "$SECS" \
		--call "$BENCH_HOOK begin $ph $1 $MIB"
	rc=$?
	l1_call $BENCH_HOOK end "$ph" || rc=1
	return $rc
}

bench_fio() {
	# the job file (overcommit.fio), which mkinitramfs.sh puts beside this scenario
	job=/pvapf/scenarios/overcommit.fio
	export FIO_FILE=/tmp/bench-fio.dat FIO_MIB="$MIB" FIO_JOBS="$THREADS" FIO_SECS="$SECS"
	bench_phase_line fio "$1"
	ph=$(bench_phase_name fio "$1")
	fio --section=layout --output=/dev/null --eta=never $job || return 1
	l1_call $BENCH_HOOK begin "$ph" "$1" "$MIB" || return 1
	apfbm --touchers 0 --counters 1 --seconds "$SECS" >/tmp/corunner.out &
	fio --section=randread --output-format=json --output=/tmp/fio.json --eta=never $job
	rc=$?
	wait $! || rc=1
	rm -f "$FIO_FILE"
	l1_call $BENCH_HOOK end "$ph" || rc=1
	sed 's/^RESULT apfbm /RESULT corunner /' /tmp/corunner.out
	# fio's JSON, de-indented, in console-sized chunks the report puts back together
	sed 's/^ *//' /tmp/fio.json | tr -d '\n' | awk '{ for (i = 1; i <= length($0); i += 900) print "FIOJSON " substr($0, i, 900) }'
	rm -f /tmp/fio.json /tmp/corunner.out
	return $rc
}

l2_main() {
	MIB=$(bench_param mib) SECS=$(bench_param secs) THREADS=$(bench_param threads)
	l1_call bench-phase base || return 1
	rc=0
	for ratio in $(bench_param ratios); do
		for wl in $(bench_param workloads); do
			"bench_$wl" "$ratio" || { echo "RESULT phase-failed workload=$wl ratio=$ratio"; rc=1; }
		done
	done
	return $rc
}

# ---- L1 ----

# The pvapf host's policy for new VMs: a config whose POLICY is not "-" writes it before its
# L2 starts and fails if the knob is missing; "-" puts back what the L1 booted with.
PVAPF_HOST_POLICY_KNOB=/sys/kernel/pvapf/default_policy
bench_host_policy() {
	if [ "$1" = - ]; then
		[ -n "$BENCH_BOOT_POLICY" ] && echo "$BENCH_BOOT_POLICY" >"$PVAPF_HOST_POLICY_KNOB"
		return 0
	fi
	[ -w "$PVAPF_HOST_POLICY_KNOB" ] ||
		{ fail "host policy '$1': no $PVAPF_HOST_POLICY_KNOB on this L1"; return 1; }
	echo "$1" >"$PVAPF_HOST_POLICY_KNOB" && echo "host policy: $1"
}

# bench_nphases: the timed phases of one L2 run (each workload at each ratio).
bench_nphases() { echo $(($(bench_param ratios | wc -w) * $(bench_param workloads | wc -w))); }

# config_field NAME N: field N of that configuration's line (1 = NAME; 6 = all L2 args).
config_field() {
	echo "$BENCH_CONFIG_TABLE" |
		awk -v n="$1" -v f="$2" '$1 == n { s = $f; if (f == 6) for (i = 7; i <= NF; i++) s = s " " $i; print s }'
}

l1_main() {
	l1=$(bench_param l1) mib=$(bench_param mib)
	BENCH_BOOT_POLICY=$(cat "$PVAPF_HOST_POLICY_KNOB" 2>/dev/null)
	L2_MEM=$((mib + 160))
	args="pvapf.bench_mib=$mib pvapf.bench_secs=$(bench_param secs) pvapf.bench_threads=$(bench_param threads)"
	args="$args pvapf.bench_ratios=$(pvapf_arg bench_ratios) pvapf.bench_workloads=$(pvapf_arg bench_workloads)"
	nphases=$(bench_nphases)
	echo "bench: L1 $l1, configs $(bench_param configs), $(bench_param reps) repetitions, $args"
	ran=0
	for rep in $(seq 1 "$(bench_param reps)"); do
		for cfg in $(bench_param configs); do
			[ "$(config_field "$cfg" 2)" = "$l1" ] || continue
			bench_host_policy "$(config_field "$cfg" 4)" || continue
			l2args=$(config_field "$cfg" 6)
			[ "$l2args" = - ] && l2args=
			# shellcheck disable=SC2086
			run_l2 "$cfg-r$rep" "$(config_field "$cfg" 3)" $l2args $args
			check_cmp "$cfg-r$rep: every phase ran to its end" \
				"$(grep -c "^bench-phase: $cfg-r$rep .* ends:" "/results/$cfg-r$rep-l2.log")" \
				-eq "$nphases"
			ran=$((ran + 1))
		done
	done
	check_cmp "bench: L2 runs on this L1" "$ran" -gt 0
}
