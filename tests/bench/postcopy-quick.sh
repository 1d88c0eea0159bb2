#!/usr/bin/env bash
# Keeps the post-copy benchmark working: runs its smoke version (make bench-postcopy-quick's
# benchmarks/postcopy/run.sh --quick) and checks the structure of what it produced, not its
# numbers: every configuration ran every phase with non-zero work, each post-copy phase's
# migration completed and the new VMM asked the old one for pages (QEMU's postcopy-requests),
# the guest with APF on was sent NOT_PRESENT during post-copy and the one with APF off never,
# the phases before the migration had no async fault, L0's load was sampled at every phase,
# and the summary and plot are there. A bad knob is refused first, naming it.
# One PASS/FAIL line per check.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. scripts/lib.sh
. tests/bench/lib.sh
OUT=$PVAPF_ROOT/results/bench/test-postcopy-quick

bench_knob_refused bench-postcopy-quick benchmarks/postcopy/run.sh BENCH_BANDWIDTH_MIB=fast
bench_smoke bench-postcopy-quick benchmarks/postcopy/run.sh

/usr/bin/python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
res = json.load(open(os.path.join(out, "results.json")))
table = res["meta"]["config_table"]
wls = res["meta"]["params"]["BENCH_WORKLOADS"].split(",")
want = {(w, s) for w in wls for s in ("before", "postcopy")} | {("idle", "postcopy")}
ok = True

def check(cond, what):
    global ok
    print(("PASS" if cond else "FAIL") + ": bench-postcopy-quick: " + what)
    ok &= bool(cond)

for c in res["meta"]["configs"]:
    runs = [r for r in res["runs"] if r["config"] == c]
    got = {(r["workload"], r["stage"]) for r in runs}
    check(want <= got, f"{c}: every phase reported ({len(got & want)} of {len(want)})")
    work = [r for r in runs if r["workload"] != "idle"]
    zero = [f"{r['workload']}-{r['stage']}" for r in work
            if not (r.get("work") if r["workload"] == "bm" else r.get("iops")) or not r.get("corunner_rate")]
    check(work and not zero, f"{c}: non-zero work and co-runner in every phase" +
          (f" (zero in {', '.join(zero)})" if zero else ""))
    check(all(not r.get("bad_pages") for r in runs), f"{c}: every page read back intact")
    pc = [r for r in runs if r["stage"] == "postcopy"]
    check(pc and all(r.get("migrate_rc") == 0 and r.get("mig_total_ms") for r in pc),
          f"{c}: every post-copy migration completed ({[r.get('migrate_rc') for r in pc]})")
    req = [r.get("mig_requests") or 0 for r in pc]
    check(pc and all(x > 0 for x in req), f"{c}: the new VMM asked for pages in every post-copy phase ({req})")
    inj_before = sum(r.get("apf_injected") or 0 for r in runs if r["stage"] == "before")
    check(inj_before == 0, f"{c}: no async page fault before the migration ({inj_before:.0f})")
    inj = sum(r.get("apf_injected") or 0 for r in pc)
    if table[c]["base"] == c:
        check(inj == 0, f"{c}: APF off, no async page fault in post-copy ({inj:.0f})")
    else:
        check(inj > 0, f"{c}: L1 sent async page faults during post-copy ({inj:.0f})")
    l0 = [r.get("l0_other_cpus") for r in runs]
    check(runs and all(x is not None for x in l0), f"{c}: L0's other load sampled in every phase")
check("shared" in res["meta"]["l0"] and res["meta"]["l0"]["shared"] is not None,
      f"the summary says whether the run shared the machine ({res['meta']['l0'].get('shared')})")
summary = open(os.path.join(out, "summary.md")).read()
check("## The idle guest" in summary and "## bm" in summary, "summary.md has the workloads' and the idle guest's tables")
png = os.path.join(out, "plots", "postcopy.png")
check(os.path.exists(png) and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n", "plots/postcopy.png is a PNG")
sys.exit(0 if ok else 1)
PY
