#!/usr/bin/env bash
# Keeps the overcommit benchmark working: runs its smoke version (make bench-quick's
# benchmarks/overcommit/run.sh --quick) and checks the structure of what it produced, not
# its numbers: every configuration has non-zero work in every phase, the APF-on ones had
# not-present faults injected by L1 under overcommit, the one with the host policy off had
# none (the policy reached the host), and the Markdown summary and PNG
# plots are there. One PASS/FAIL line per check.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. scripts/lib.sh
OUT=$PVAPF_ROOT/results/bench/test-quick

# A bad knob is refused before anything boots, with a message naming it.
if msg=$(BENCH_SWAP_READ_DELAY_MS=5ms benchmarks/overcommit/run.sh --quick --out "$OUT-bad" 2>&1); then
	echo "FAIL: bench-quick: BENCH_SWAP_READ_DELAY_MS=5ms was accepted"
elif grep -q "BENCH_SWAP_READ_DELAY_MS='5ms' is not a whole number" <<<"$msg"; then
	echo "PASS: bench-quick: BENCH_SWAP_READ_DELAY_MS=5ms refused, naming the knob"
else
	echo "FAIL: bench-quick: BENCH_SWAP_READ_DELAY_MS=5ms refused without naming it: $msg"
fi

benchmarks/overcommit/run.sh --quick --out "$OUT"
rc=$?
if [ $rc = 0 ]; then
	echo "PASS: bench-quick: benchmark ran (results: $OUT)"
else
	echo "FAIL: bench-quick: benchmarks/overcommit/run.sh --quick exited $rc (results: $OUT)"
fi
[ -f "$OUT/results.json" ] || { echo "FAIL: bench-quick: no results.json in $OUT"; exit 1; }

/usr/bin/python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
res = json.load(open(os.path.join(out, "results.json")))
configs = res["meta"]["configs"]
table = res["meta"]["config_table"]
params = res["meta"]["params"]
want_phases = {(w, int(r)) for w in params["BENCH_WORKLOADS"].split(",")
               for r in params["BENCH_RATIOS"].split(",")}
ok = True

def check(cond, what):
    global ok
    print(("PASS" if cond else "FAIL") + ": bench-quick: " + what)
    ok &= bool(cond)

for c in configs:
    runs = [r for r in res["runs"] if r["config"] == c]
    got = {(r["workload"], r["ratio"]) for r in runs}
    check(want_phases <= got, f"{c}: every phase reported ({len(got)} of {len(want_phases)})")
    zero = [f"{r['workload']}-x{r['ratio']}" for r in runs
            if not (r.get("work") if r["workload"] == "bm" else r.get("iops"))
            or not r.get("corunner_rate")]
    check(runs and not zero, f"{c}: non-zero work, IOPS and co-runner in every phase" +
          (f" (zero in {', '.join(zero)})" if zero else ""))
    check(all(not r.get("bad_pages") for r in runs), f"{c}: every page read back intact")
    if table[c]["policy"] == "off":
        inj = sum(r.get("apf_injected") or 0 for r in runs)
        check(inj == 0, f"{c}: host policy off, no async page faults injected ({inj:.0f})")
    elif table[c]["base"] != c:
        inj = sum(r.get("apf_injected") or 0 for r in runs if r["ratio"] > 1)
        check(inj > 0, f"{c}: L1 injected async page faults under overcommit ({inj:.0f})")
    else:
        inj = sum(r.get("apf_injected") or 0 for r in runs)
        check(inj == 0, f"{c}: APF off, no async page faults injected ({inj:.0f})")
rows = res["summary"]
check(any(r["config"] != r["base"] and r["vs_base"] for r in rows),
      "summary has ratios against APF-off")
md = open(os.path.join(out, "summary.md")).read()
check("Nested TCG" in md and "| overcommit | config |" in md and "Against the goals" in md,
      "summary.md has the TCG caveat, the tables and the goals")
for p in ("work", "latency", "corunner"):
    f = os.path.join(out, "plots", p + ".png")
    check(os.path.exists(f) and open(f, "rb").read(8) == b"\x89PNG\r\n\x1a\n", f"plots/{p}.png is a PNG")
sys.exit(0 if ok else 1)
PY
checks=$?
[ $checks = 0 ] && [ $rc = 0 ]
