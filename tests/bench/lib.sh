# shellcheck shell=bash
# What the benchmarks' smoke tests share (sourced): one PASS/FAIL line per check.

# bench_knob_refused TEST RUN VAR=VALUE: RUN --quick with that knob must be refused before
# anything boots, with a message naming the knob and its value.
bench_knob_refused() {
	local t=$1 run=$2 var=${3%%=*} val=${3#*=} msg
	if msg=$(env "$3" "$run" --quick --out "$OUT-bad" 2>&1); then
		echo "FAIL: $t: $3 was accepted"
	elif grep -q "$var='$val' is not a whole number" <<<"$msg"; then
		echo "PASS: $t: $3 refused, naming the knob"
	else
		echo "FAIL: $t: $3 refused without naming it: $msg"
	fi
}

# bench_smoke TEST RUN: RUN --quick into a fresh $OUT; its status in rc; stops the test if
# it left no results.json.
bench_smoke() {
	rm -rf "$OUT"
	"$2" --quick --out "$OUT"
	rc=$?
	if [ $rc = 0 ]; then
		echo "PASS: $1: benchmark ran (results: $OUT)"
	else
		echo "FAIL: $1: $2 --quick exited $rc (results: $OUT)"
	fi
	[ -f "$OUT/results.json" ] || { echo "FAIL: $1: no results.json in $OUT"; exit 1; }
}
