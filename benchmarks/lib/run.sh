#!/usr/bin/env bash
# The nested benchmarks' driver: boots L1 (tests/nested/run.sh, scenario bench-SUITE) once per
# L1 kernel the chosen configurations need (and, for the overcommit suite, per swap type), then
# turns everything into results.json, summary.md and plots/*.png (SUITE/report.py) in one
# results directory. Each suite's run.sh calls it:
#   benchmarks/lib/run.sh overcommit|postcopy [--quick] [--out DIR | --resume DIR]
# --resume DIR continues a run that was cut short in DIR: the sizes must be the ones DIR was
# started with (its params.txt), and the L1 runs that finished (DIR/l1-runs.txt: name, exit
# status, seconds) are not run again; one that failed is run again, the failed attempt's
# logs moved to DIR/failed/<l1>-<swap>.<n>.
# Sizes and lists can be overridden from the environment (lists comma-separated):
#   both      BENCH_CONFIGS BENCH_REPS BENCH_MIB BENCH_SECS BENCH_WORKLOADS BENCH_THREADS
#   overcommit  BENCH_RATIOS BENCH_SWAPS BENCH_SWAP_READ_DELAY_MS (slowdisk's dm-delay per read)
#   postcopy  BENCH_BANDWIDTH_MIB (post-copy's page transfer, MiB/s)
# --quick is the smoke version `make bench-quick` / `make bench-postcopy-quick` (and the test
# suite) run. Every L1 run's console is watched from L0 (benchmarks/lib/l0-load.sh): the CPU
# other processes took from this machine in each phase is reported beside it.
# Exit 0 when every L1 run passed and the report was written.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

SUITE=${1:-}
case "$SUITE" in
overcommit | postcopy) shift ;;
*) die bench "" "usage: benchmarks/lib/run.sh overcommit|postcopy [--quick] [--out DIR | --resume DIR]" ;;
esac
SCEN=bench-$SUITE
# the configurations are the overcommit suite's, for both
SCEN_FILE=$PVAPF_ROOT/benchmarks/overcommit/scenario.sh
MODE=full OUT='' RESUME=''
USAGE="usage: benchmarks/$SUITE/run.sh [--quick] [--out DIR | --resume DIR]"
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) MODE=quick; shift ;;
	--out) OUT=${2:?$USAGE}; shift 2 ;;
	--resume) OUT=${2:?$USAGE} RESUME=1; shift 2 ;;
	*) die bench "" "unknown option '$1' ($USAGE)" ;;
	esac
done

ALL_CONFIGS=$(sed -n "/^BENCH_CONFIG_TABLE='/,/^'/p" "$SCEN_FILE" | awk 'NF > 1 { print $1 }' | paste -sd,)
: "${BENCH_WORKLOADS:=bm,fio}"
nwl=$(tr ',' '\n' <<<"$BENCH_WORKLOADS" | wc -l)
if [ "$SUITE" = postcopy ]; then
	# post-copy moves the whole guest (its data, MIB, and ~100 MiB of its own) per phase:
	# BANDWIDTH_MIB sets how long that takes, longer than a phase at the defaults
	if [ $MODE = quick ]; then
		: "${BENCH_CONFIGS:=apf-off,pvapf}" "${BENCH_REPS:=1}" "${BENCH_MIB:=32}" "${BENCH_SECS:=4}"
		: "${BENCH_THREADS:=2}" "${BENCH_BANDWIDTH_MIB:=32}"
	else
		: "${BENCH_CONFIGS:=$ALL_CONFIGS}" "${BENCH_REPS:=3}" "${BENCH_MIB:=64}" "${BENCH_SECS:=6}"
		: "${BENCH_THREADS:=4}" "${BENCH_BANDWIDTH_MIB:=16}"
	fi
	[[ $BENCH_BANDWIDTH_MIB =~ ^[1-9][0-9]*$ ]] ||
		die bench "" "BENCH_BANDWIDTH_MIB='$BENCH_BANDWIDTH_MIB' is not a whole number of MiB/s"
	BENCH_RATIOS=1 BENCH_SWAPS=none
	KNOBS="BENCH_CONFIGS BENCH_REPS BENCH_MIB BENCH_SECS BENCH_WORKLOADS BENCH_THREADS BENCH_BANDWIDTH_MIB"
	# phases per L2 run: each workload before and during post-copy, and the idle migration
	nphases=$((nwl * 2 + 1))
elif [ $MODE = quick ]; then
	: "${BENCH_CONFIGS:=apf-off,pvapf,pvapf-off}" "${BENCH_REPS:=1}" "${BENCH_MIB:=64}" "${BENCH_SECS:=4}"
	# 2x, not 4x: a 4x cap this small now and then gets the VMM OOM-killed while it thrashes
	: "${BENCH_RATIOS:=2}" "${BENCH_THREADS:=2}" "${BENCH_SWAPS:=disk}"
else
	# Sized for nested TCG on 2 cores; larger sizes only stretch the run. Two swap types:
	# zram (synchronous) and slowdisk, the virtio disk behind dm-delay: a swap-in that waits
	# 1 ms without using a CPU, the case APF is for. (At 5 ms, every phase refills its data
	# through 5 ms reads: too slow here.) The plain virtio disk ("disk": a swap-in is ~120 us
	# of emulated work, CPU-bound like zram) is there for BENCH_SWAPS, not run by default.
	: "${BENCH_CONFIGS:=$ALL_CONFIGS}" "${BENCH_REPS:=3}" "${BENCH_MIB:=32}" "${BENCH_SECS:=6}"
	: "${BENCH_RATIOS:=1,2,4}" "${BENCH_THREADS:=4}" "${BENCH_SWAPS:=zram,slowdisk}"
fi
if [ "$SUITE" = overcommit ]; then
	: "${BENCH_SWAP_READ_DELAY_MS:=1}"
	[[ $BENCH_SWAP_READ_DELAY_MS =~ ^[0-9]+$ ]] ||
		die bench "" "BENCH_SWAP_READ_DELAY_MS='$BENCH_SWAP_READ_DELAY_MS' is not a whole number of milliseconds"
	KNOBS="BENCH_CONFIGS BENCH_REPS BENCH_MIB BENCH_SECS BENCH_RATIOS BENCH_WORKLOADS BENCH_THREADS BENCH_SWAPS BENCH_SWAP_READ_DELAY_MS"
	nphases=$(($(tr ',' '\n' <<<"$BENCH_RATIOS" | wc -l) * nwl))
fi
OUT=${OUT:-$PVAPF_ROOT/results/bench/$SUITE-$MODE-$(date -u +%Y%m%dT%H%M%SZ)}

# Debian's python3, which python3-matplotlib installs into (not whatever python3 is first on PATH)
PY=/usr/bin/python3
need_file bench "$PY" python3
"$PY" -c 'import matplotlib' 2>/dev/null ||
	die bench "" "python3 module 'matplotlib' not found: install the Debian package 'python3-matplotlib' (or run: make deps)"
[ -f "$BUILD/vmtest/initrd-l2.cpio" ] ||
	die bench "" "$BUILD/vmtest/initrd-l2.cpio missing: run 'make vmtest-images' first"

# Which L1 kernels the chosen configurations run on, pvapf first.
l1s=()
for k in pvapf stock; do
	for c in ${BENCH_CONFIGS//,/ }; do
		l1=$(sed -n "/^BENCH_CONFIG_TABLE='/,/^'/p" "$SCEN_FILE" | awk -v c="$c" '$1 == c { print $2 }')
		[ -n "$l1" ] || die bench "" "unknown configuration '$c' (known: $ALL_CONFIGS)"
		[ "$l1" = "$k" ] && { l1s+=("$k"); break; }
	done
done

# A generous bound per L1 boot: boots, fills and layouts are slow under nested TCG.
nruns=$(($(tr ',' '\n' <<<"$BENCH_CONFIGS" | wc -l) * BENCH_REPS))
TMO=$((600 + nruns * (120 + nphases * (BENCH_SECS + 60 + BENCH_MIB))))

params=$(for v in $KNOBS; do echo "$v=${!v}"; done)
if [ -n "$RESUME" ]; then
	[ -f "$OUT/params.txt" ] || die bench "" "--resume $OUT: no params.txt there, not a benchmark run"
	differ=$(diff <(echo "$params") "$OUT/params.txt" | sed -n 's/^> //p' | paste -sd' ' || :)
	[ -z "$differ" ] ||
		die bench "" "--resume $OUT: that run was started with $differ; set the same (environment) to continue it"
else
	# a finished or cut-short run is not overwritten
	[ ! -e "$OUT/params.txt" ] ||
		die bench "" "--out $OUT: holds a benchmark run already; --resume it, or choose another directory"
	mkdir -p "$OUT"
	echo "$params" >"$OUT/params.txt"
	: >"$OUT/l1-runs.txt"
fi
mkdir -p "$OUT/raw"
stage_begin bench "$SUITE $MODE: configs $BENCH_CONFIGS, L1 ${l1s[*]}, $(tr '\n' ' ' <"$OUT/params.txt")(out: $OUT)"
rc=0
for swap in ${BENCH_SWAPS//,/ }; do
	for l1 in "${l1s[@]}"; do
		if grep -q "^$l1-$swap 0 " "$OUT/l1-runs.txt" 2>/dev/null; then
			echo "bench: $l1-$swap finished in an earlier run of $OUT, not run again"
			continue
		fi
		sed -i "/^$l1-$swap /d" "$OUT/l1-runs.txt"
		# an earlier attempt that failed keeps its logs, out of the report's way
		if [ -e "$OUT/raw/$l1-$swap" ]; then
			n=1
			while [ -e "$OUT/failed/$l1-$swap.$n" ]; do n=$((n + 1)); done
			mkdir -p "$OUT/failed"
			mv "$OUT/raw/$l1-$swap" "$OUT/failed/$l1-$swap.$n"
			echo "bench: $l1-$swap: the earlier attempt's logs kept in failed/$l1-$swap.$n"
		fi
		args="pvapf.bench_l1=$l1 pvapf.bench_configs=$BENCH_CONFIGS pvapf.bench_reps=$BENCH_REPS"
		args="$args pvapf.bench_mib=$BENCH_MIB pvapf.bench_secs=$BENCH_SECS pvapf.bench_ratios=$BENCH_RATIOS"
		args="$args pvapf.bench_workloads=$BENCH_WORKLOADS pvapf.bench_threads=$BENCH_THREADS"
		if [ "$SUITE" = overcommit ]; then
			args="$args pvapf.swap_read_delay_ms=$BENCH_SWAP_READ_DELAY_MS"
		else
			args="$args pvapf.bench_bandwidth=$BENCH_BANDWIDTH_MIB"
		fi
		t0=$SECONDS l1rc=0
		# L0's load beside it, into the run's logs once tests/nested/run.sh (which recreates
		# that directory) is done with them
		load=$OUT/l0-load-$l1-$swap.txt
		"$PVAPF_ROOT/benchmarks/lib/l0-load.sh" "$OUT/raw/$l1-$swap" "$load" &
		watch=$!
		VMTEST_APPEND=$args VMTEST_TIMEOUT=$TMO nice -n 5 \
			"$PVAPF_ROOT/tests/nested/run.sh" "$SCEN" --l1 "$l1" --swap "$swap" --out "$OUT/raw/$l1-$swap" || l1rc=$?
		kill "$watch" 2>/dev/null
		wait "$watch" 2>/dev/null || :
		mkdir -p "$OUT/raw/$l1-$swap" && mv "$load" "$OUT/raw/$l1-$swap/l0-load.txt"
		echo "$l1-$swap $l1rc $((SECONDS - t0))" >>"$OUT/l1-runs.txt"
		[ $l1rc = 0 ] || rc=1
	done
done
"$PY" "$PVAPF_ROOT/benchmarks/$SUITE/report.py" --scenario "$SCEN_FILE" --mode "$MODE" "$OUT" || rc=1
ln -sfn "$OUT" "$(dirname "$OUT")/latest-$MODE"
echo "bench results: $OUT (summary.md, results.json, plots/)"
stage_end
exit $rc
