#!/usr/bin/env bash
# Keeps the overcommit benchmark working: runs its smoke version (make bench-quick's
# benchmarks/overcommit/run.sh --quick) and checks the structure of what it produced, not
# its numbers: every configuration has non-zero work in every phase, the APF-on ones had
# not-present faults injected by L1 under overcommit, the one with the host policy off had
# none (the policy reached the host), the CPU shares (guest, VMM in the host, L1 idle) were
# measured in every phase, and so was L0's other load, and the Markdown summary and PNG plots
# are there. Then --resume
# on the finished run: it boots nothing and rewrites the report, with other sizes it is
# refused, naming them, and an L1 run marked failed is run again, its old logs kept.
# One PASS/FAIL line per check.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. scripts/lib.sh
. tests/bench/lib.sh
OUT=$PVAPF_ROOT/results/bench/test-quick

# A bad knob is refused before anything boots, with a message naming it.
bench_knob_refused bench-quick benchmarks/overcommit/run.sh BENCH_SWAP_READ_DELAY_MS=5ms
bench_smoke bench-quick benchmarks/overcommit/run.sh

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
    # (key, lowest, highest, what): the guest ran for some of every phase; its one vCPU
    # keeps at most one CPU busy, the VMM's other threads (the disk's I/O workers) one each
    # of L1's CPUs
    for key, lo, hi, what in (("l1_idle_pct", 0, lambda r: 100, "L1 CPU idle share"),
                              ("l2_guest_pct", 1, lambda r: 105, "the guest's share"),
                              ("l2_host_pct", 0, lambda r: 100 * r["l1_cpus"], "the VMM's host share")):
        v = [(round(r[key]), hi(r)) for r in runs if r.get(key) is not None]
        check(runs and len(v) == len(runs) and all(lo <= x <= h for x, h in v),
              f"{c}: {what} of every phase measured ({[x for x, _ in v]})")
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
check("| guest % | host % | L1 idle % |" in md, "summary.md has the guest's, the VMM's and L1's CPU shares")
l0 = [r.get("l0_other_cpus") for r in res["runs"]]
check(l0 and all(x is not None and x >= 0 for x in l0) and res["meta"]["l0"]["shared"] is not None,
      f"L0's other load measured in every phase, the run said shared or not ({res['meta']['l0']['shared']})")
runs_l1 = res["meta"]["l1_runs"]
check(runs_l1 and all(r["rc"] == 0 and r["seconds"] > 0 for r in runs_l1),
      f"every L1 run recorded with exit 0 and its time ({runs_l1})")
for p in ("work", "latency", "corunner"):
    f = os.path.join(out, "plots", p + ".png")
    check(os.path.exists(f) and open(f, "rb").read(8) == b"\x89PNG\r\n\x1a\n", f"plots/{p}.png is a PNG")
sys.exit(0 if ok else 1)
PY
checks=$?

# --resume on a finished run boots no L1 again and still writes the report.
rm -f "$OUT/summary.md"
if msg=$(benchmarks/overcommit/run.sh --quick --resume "$OUT" 2>&1) &&
	grep -q 'in an earlier run of .*, not run again' <<<"$msg" &&
	! grep -q 'vmtest bench-overcommit' <<<"$msg" && [ -f "$OUT/summary.md" ]; then
	echo "PASS: bench-quick: --resume of a finished run skips its L1 runs and rewrites the report"
else
	echo "FAIL: bench-quick: --resume of a finished run: $msg"
	checks=1
fi
# ... and refuses other sizes than the run was started with, naming them.
if msg=$(BENCH_REPS=2 benchmarks/overcommit/run.sh --quick --resume "$OUT" 2>&1); then
	echo "FAIL: bench-quick: --resume with BENCH_REPS=2 was accepted"
	checks=1
elif grep -q "started with BENCH_REPS=1" <<<"$msg"; then
	echo "PASS: bench-quick: --resume with other sizes refused, naming BENCH_REPS"
else
	echo "FAIL: bench-quick: --resume with other sizes refused without naming them: $msg"
	checks=1
fi
# --out on a directory that holds a run is refused: nothing there is overwritten.
if msg=$(benchmarks/overcommit/run.sh --quick --out "$OUT" 2>&1); then
	echo "FAIL: bench-quick: --out on a finished run was accepted"
	checks=1
elif grep -q "holds a benchmark run already; --resume it" <<<"$msg" && [ -f "$OUT/summary.md" ]; then
	echo "PASS: bench-quick: --out on a finished run refused, pointing to --resume, run kept"
else
	echo "FAIL: bench-quick: --out on a finished run: $msg"
	checks=1
fi
# --resume runs an L1 run recorded as failed again, keeping the earlier attempt's logs. The
# rerun is made to fail at once (a 0 s boot watchdog); then the finished run is put back.
l1run=$(awk 'NR == 1 { print $1 }' "$OUT/l1-runs.txt")
cp "$OUT/l1-runs.txt" "$OUT/l1-runs.txt.orig"
sed -i "s/^$l1run 0 /$l1run 1 /" "$OUT/l1-runs.txt"
if msg=$(VMTEST_BOOT_TIMEOUT=0 benchmarks/overcommit/run.sh --quick --resume "$OUT" 2>&1); then
	echo "FAIL: bench-quick: --resume over a failed L1 run whose rerun failed exited 0"
	checks=1
elif grep -q "earlier attempt's logs kept in failed/$l1run.1" <<<"$msg" &&
	[ -f "$OUT/failed/$l1run.1/results/l1-scenario.log" ] && [ -d "$OUT/raw/$l1run" ]; then
	echo "PASS: bench-quick: --resume reruns a failed L1 run and keeps the earlier attempt's logs (failed/$l1run.1)"
else
	echo "FAIL: bench-quick: --resume over a failed L1 run: $msg"
	checks=1
fi
if ! { rm -rf "${OUT:?}/raw/$l1run" && mv "$OUT/failed/$l1run.1" "$OUT/raw/$l1run" &&
	rm -rf "$OUT/failed" && mv "$OUT/l1-runs.txt.orig" "$OUT/l1-runs.txt" &&
	benchmarks/overcommit/run.sh --quick --resume "$OUT" >/dev/null 2>&1; }; then
	echo "FAIL: bench-quick: the finished run could not be put back ($OUT)"
	checks=1
elif grep -q '^Other load on this machine (L0), CPUs busy' "$OUT/summary.md"; then
	echo "PASS: bench-quick: the run put back still reports L0's load (kept with its logs)"
else
	echo "FAIL: bench-quick: the run put back lost L0's load: $(grep '^Other load' "$OUT/summary.md")"
	checks=1
fi
[ $checks = 0 ] && [ $rc = 0 ]
