#!/usr/bin/env bash
# The soak campaign (make soak): nested runs of tests/nested/scenarios/soak.sh one after the
# other, each with its own seed, for as long as asked; then a table of what was injected,
# what flowed and what went wrong, per guest kind.
#   tests/soak/run.sh [--minutes M | --runs N] [--seed S] [--rounds R] [--first F] [--out DIR]
# Run k has seed S+k, so `--seed S+k --runs 1` (make soak SEED=S+k RUNS=1) replays it, and
# `--first F` starts at its round F (each round has its own seeds). Default:
# 120 minutes, a seed from the clock, 4 guests (rounds) per run. The suite runs the scenario
# itself, with its fixed seeds, as vmtest-soak.
# Output: DIR (default results/soak/DATE-seedS/): run-SEED/ (each run's results, as
# tests/nested/run.sh leaves them), run-SEED.txt (its output), summary.txt (the table, the
# failed seeds). Exit 1 if a run failed. `--runs 0 --out DIR` only makes DIR's table again.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

MINUTES=120 RUNS='' SEED=$(($(date +%s) % 100000)) ROUNDS=4 FIRST=0 OUT=''
while [ $# -gt 0 ]; do
	case "$1" in
	--minutes) MINUTES=$2 ;;
	--runs) RUNS=$2 ;;
	--seed) SEED=$2 ;;
	--rounds) ROUNDS=$2 ;;
	--first) FIRST=$2 ;;
	--out) OUT=$2 ;;
	*) die soak "" "unknown option '$1' (--minutes M, --runs N, --seed S, --rounds R, --first F, --out DIR)" ;;
	esac
	[ $# -ge 2 ] || die soak "" "$1 needs a value"
	shift 2
done
for v in MINUTES SEED ROUNDS FIRST ${RUNS:+RUNS}; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die soak "" "$v='${!v}' is not a whole number"
done
OUT=${OUT:-$PVAPF_ROOT/results/soak/$(date +%Y%m%d-%H%M%S)-seed$SEED}
mkdir -p "$OUT"
length="$MINUTES minutes"
[ -z "$RUNS" ] || length="$RUNS runs"
echo "soak: seed $SEED, $length, $ROUNDS guests per run, into $OUT"

end=$((SECONDS + MINUTES * 60)) k=0
while if [ -n "$RUNS" ]; then [ $k -lt "$RUNS" ]; else [ $SECONDS -lt $end ]; fi; do
	s=$((SEED + k))
	t0=$SECONDS
	VMTEST_APPEND="pvapf.seed=$s pvapf.rounds=$ROUNDS pvapf.first=$FIRST" tests/nested/run.sh soak --out "$OUT/run-$s" \
		>"$OUT/run-$s.txt" 2>&1
	echo "soak: run $s: $(grep -c '^PASS' "$OUT/run-$s.txt") passed, $(grep -c '^FAIL' "$OUT/run-$s.txt") failed, $((SECONDS - t0))s"
	grep '^FAIL' "$OUT/run-$s.txt" | head -n 3 | sed 's/^/    /'
	k=$((k + 1))
done

# A failed run: a FAIL line, or no PASS (tests/nested/run.sh's verdict).
failed=()
for r in "$OUT"/run-*.txt; do
	[ -e "$r" ] || continue
	s=${r##*/run-} s=${s%.txt}
	if grep -q '^FAIL' "$r" || ! grep -q '^PASS' "$r"; then failed+=("$s"); fi
done
# The table: SOAK lines of every run's scenario log (soak.sh), FAIL lines of its output.
for r in "$OUT"/run-*.txt; do
	s=${r##*/run-} s=${s%.txt}
	sed 's/^/S /' "$OUT/run-$s/results/l1-scenario.log" 2>/dev/null
	sed -n 's/^FAIL/F FAIL/p' "$r"
	echo "E $s"
done | awk '
	# guest kind of each round of the run being read; a FAIL names its round ("rN:") or not
	$1 == "S" && $2 == "SOAK" && $3 == "round" { split($6, g, "="); kind[$4] = g[2]; rounds[g[2]]++ }
	$1 == "S" && $2 == "SOAK" && $3 == "time" { mins[kind[$4]] += $5 / 60 }
	$1 == "S" && $2 == "SOAK" && $3 == "event" { k = kind[$4]; ev[k, $5]++; if ($6 != 0) refused[k, $5]++; evs[$5] = 1 }
	$1 == "S" && $2 == "SOAK" && $3 == "apf" { split($5, a, "="); split($6, b, "="); np[kind[$4]] += a[2]; rd[kind[$4]] += b[2] }
	$1 == "F" {
		k = "run"
		if (match($0, /: r[0-9]+:/)) k = kind[substr($0, RSTART + 2, RLENGTH - 3)]
		c = "other"
		if ($0 ~ /did not finish|watchdog|timed out|timeout|asleep [0-9]+ s on token|blocked for more than/) c = "hangs"
		# a reset is a panic whose text was lost (reboot=t triple-faults)
		else if ($0 ~ /reported|panic|WARN|BUG|Oops|triple-faulted/) c = "splats"
		else if ($0 ~ /read back intact/) c = "corrupt pages"
		else if ($0 ~ /outstanding|VM left/) c = "leaks"
		else if ($0 ~ /asleep|APF enabled/) c = "asleep or APF off"
		bad[k, c]++
	}
	$1 == "E" { runs++; delete kind }
	END {
		printf "%-34s %10s %10s\n", "", "ours", "stock"
		printf "%-34s %10d\n", "runs", runs
		printf "%-34s %10d %10d\n", "guests (rounds)", rounds["pvapf"], rounds["stock"]
		printf "%-34s %10.1f %10.1f\n", "guest-minutes", mins["pvapf"], mins["stock"]
		for (e in evs) printf "%-34s %10s %10s\n", "event " e " (refused)", ev["pvapf", e] + 0 " (" refused["pvapf", e] + 0 ")", ev["stock", e] + 0 " (" refused["stock", e] + 0 ")"
		printf "%-34s %10d %10d\n", "async faults (NOT_PRESENT)", np["pvapf"], np["stock"]
		printf "%-34s %10d %10d\n", "READYs", rd["pvapf"], rd["stock"]
		nc = split("hangs|splats|corrupt pages|asleep or APF off|leaks|other", cs, "|")
		for (i = 1; i <= nc; i++) printf "%-34s %10d %10d   (run-level: %d)\n", cs[i], bad["pvapf", cs[i]], bad["stock", cs[i]], bad["run", cs[i]]
	}' >"$OUT/summary.txt"
{
	echo
	if [ ${#failed[@]} -gt 0 ]; then
		echo "failed runs (replay: make soak SEED=S RUNS=1 ROUNDS=$ROUNDS): ${failed[*]}"
	else
		echo "no run failed"
	fi
} >>"$OUT/summary.txt"
cat "$OUT/summary.txt"
[ ${#failed[@]} = 0 ]
