#!/usr/bin/env python3
"""Turn the raw results of benchmarks/overcommit/run.sh into results.json, summary.md and
plots/*.png.

  report.py --scenario SCENARIO_FILE --mode quick|full OUT

OUT/raw/<l1>-<swap>/results/ holds, per L2 run LABEL = <config>-r<rep>, the L2 console log
(LABEL-l2.log: "RESULT phase", "RESULT apfbm", "RESULT corunner" and "FIOJSON" lines) and
per phase PHASE = <workload>-x<ratio> L1's APF tracepoint counts and CPU ticks
(LABEL-PHASE-l1-trace.txt) and the VMM cgroup's memory.stat (LABEL-PHASE-memcg.txt).
OUT/params.txt has the sizes, OUT/l1-runs.txt each L1 run's exit status and seconds.
Ratios are always taken within one run: a configuration against its APF-off base (same L1).
"""
import argparse
import glob
import json
import os
import re
import statistics
import sys

TCG_NOTE = ("Nested TCG (L0 emulates the CPU, SVM and nested paging in software) distorts "
            "absolute times: guest CPU work, swap I/O and fault handling are each slowed by "
            "different, large factors. Absolute numbers here are not comparable with real "
            "hardware or across machines; only the ratios between configurations of the same "
            "run are meaningful, and even they are indicative.")

TRACE_KEYS = {"apf_injected": "apf_injected", "not_present": "kvm_async_pf_not_present",
              "ready": "kvm_async_pf_ready", "completed": "kvm_async_pf_completed",
              "repeated_fault": "kvm_async_pf_repeated_fault",
              "try_async": "kvm_try_async_get_page", "trace_overrun": "overrun",
              # the pvapf host's own events, once tests/nested/lib/l1.sh traces them
              "host_not_present": "host_not_present", "host_ready": "host_ready",
              "host_sync": "pvapf_host_sync",
              # CPU time in the phase, in ticks (benchmarks/overcommit/bench-phase): L1's over all its
              # CPUs, idle, the VMM's and its part in guest mode
              "l1_cpus": "l1_cpus", "l1_cpu_ticks": "l1_cpu_ticks",
              "l1_cpu_idle_ticks": "l1_cpu_idle_ticks", "vmm_cpu_ticks": "vmm_cpu_ticks",
              "l2_guest_ticks": "l2_guest_ticks", "phase_s": "phase_s",
              # a post-copy phase's migration (benchmarks/postcopy): QEMU's figures, ms and
              # pages, the seconds from the phase's start to the last page, and its status
              "mig_total_ms": "mig_total_time", "mig_downtime_ms": "mig_downtime",
              "mig_requests": "mig_postcopy_requests", "mig_bytes": "mig_transferred",
              "mig_pages": "mig_normal", "postcopy_s": "postcopy_s", "migrate_rc": "migrate_rc",
              # the pvapf host's halts (its VM's counter; pvapf_host_sync has the rest), and
              # the averages its adaptive decisions saw
              "halted": "halted", "adaptive_sync": "adaptive_sync",
              "adaptive_swapin_ns": "adaptive_swapin_ns",
              "adaptive_round_trip_ns": "adaptive_round_trip_ns"}
# Other load on this machine (L0) in a phase, in CPUs (benchmarks/lib/l0-load.sh), and the
# share of one CPU above which a phase counts as run on a shared machine.
L0_KEYS = ("l0_other_cpus", "l0_steal_cpus", "l0_load1")
L0_SHARED_CPUS = 0.25
MEMCG_KEYS = ("pgmajfault", "workingset_refault_anon", "pswpin", "pswpout")
# the CPU shares cpu_shares() derives from those ticks, in the tables' column order
CPU_SHARES = ("l2_guest_pct", "l2_host_pct", "l1_idle_pct")

# (metric, higher_is_better) reported per workload
METRICS = {"bm": [("work", True), ("touches", True), ("corunner_rate", True)],
           "fio": [("iops", True), ("p50_us", False), ("p99_us", False), ("p999_us", False),
                   ("corunner_rate", True)]}


def config_table(scenario):
    text = open(scenario).read()
    block = re.search(r"^BENCH_CONFIG_TABLE='\n(.*?)^'", text, re.S | re.M).group(1)
    table = {}
    for line in block.splitlines():
        f = line.split()
        if len(f) >= 6:
            table[f[0]] = {"l1": f[1], "l2": f[2], "policy": f[3], "base": f[4],
                           "l2_args": " ".join(f[5:]) if f[5] != "-" else ""}
    return table


def kv(line):
    return {k: v for k, v in (t.split("=", 1) for t in line.split() if "=" in t)}


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def read_counts(path, keys):
    out = {}
    if os.path.exists(path):
        for line in open(path):
            f = line.split()
            if len(f) == 2:
                out[f[0]] = num(f[1])
    return {k: out.get(src) for k, src in keys.items()}


def parse_l2_log(path):
    """One record per phase, in the order the L2 ran them."""
    phases, cur, fio = [], None, []

    def close():
        if cur is not None and fio:
            try:
                j = json.loads("".join(fio))
                r = j["jobs"][0]["read"]
                pct = r["lat_ns"]["percentile"]
                cur.update(iops=r["iops"], p50_us=pct["50.000000"] / 1e3,
                           p99_us=pct["99.000000"] / 1e3, p999_us=pct["99.900000"] / 1e3,
                           fio_ios=r["total_ios"])
            except (ValueError, KeyError, IndexError) as e:
                cur["error"] = f"fio JSON unreadable: {e}"
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("RESULT phase "):
            close()
            fio = []
            a = kv(line)
            # the overcommit suite's phases have a ratio, the post-copy suite's a stage
            cur = {"workload": a["workload"], "ratio": int(a.get("ratio", 1)),
                   "stage": a.get("stage")}
            phases.append(cur)
        elif cur is None:
            continue
        elif line.startswith("RESULT phase-failed "):
            cur["error"] = "phase failed in L2"
        elif line.startswith("RESULT apfbm "):
            a = kv(line)
            secs = num(a["ms"]) / 1e3
            cur.update(work=num(a["counts"]), touches=num(a["touches"]), ms=num(a["ms"]),
                       bad_pages=num(a["bad_pages"]), corunner_rate=num(a["counts"]) / secs)
        elif line.startswith("RESULT corunner "):
            a = kv(line)
            cur.update(corunner_counts=num(a["counts"]),
                       corunner_rate=num(a["counts"]) / (num(a["ms"]) / 1e3))
        elif line.startswith("FIOJSON "):
            fio.append(line[len("FIOJSON "):])
    close()
    return phases


def cpu_shares(ph):
    """Shares of the phase: L1's CPU time idle, the L2's vCPU running the guest, and the VMM
    working in the host (its CPU time outside guest mode); the last two over the phase's
    ticks per CPU. The guest's share is at most 100 (one vCPU); the VMM's host share counts
    every VMM thread (the disk's I/O workers too), up to 100 per L1 CPU."""
    all_, idle, vmm, guest, cpus = (ph.get(k) for k in (
        "l1_cpu_ticks", "l1_cpu_idle_ticks", "vmm_cpu_ticks", "l2_guest_ticks", "l1_cpus"))
    if not all_ or idle is None or guest is None or not cpus:
        return dict.fromkeys(CPU_SHARES)
    per_cpu = all_ / cpus
    return {"l1_idle_pct": 100 * idle / all_, "l2_guest_pct": 100 * guest / per_cpu,
            "l2_host_pct": 100 * max(0, vmm - guest) / per_cpu if vmm is not None else None}


def phase_name(ph):
    """The phase's name in L1's files (bench_phase_name in the scenarios)."""
    return f"{ph['workload']}-{ph['stage']}" if ph.get("stage") else f"{ph['workload']}-x{ph['ratio']}"


def l0_load(path):
    """(label, phase) -> the other load on L0 in that phase: CPUs busy with something else
    than the L1 QEMU (steal included), steal alone, and the 1-minute load average at its end."""
    marks, load = {}, {}
    if not os.path.exists(path):
        return load
    for line in open(path):
        f = line.split()
        if len(f) != 9:
            continue
        ms, label, what, phase = int(f[0]), f[1], f[2], f[3]
        busy, total, steal, own, load1 = (float(x) for x in f[4:])
        if what == "begin":
            marks[(label, phase)] = (ms, busy, total, steal, own)
        elif (label, phase) in marks:
            ms0, busy0, total0, steal0, own0 = marks.pop((label, phase))
            secs = (ms - ms0) / 1e3
            if secs <= 0 or total <= total0:
                continue
            # /proc/stat ticks are 1/100 s; a tick per second is one CPU busy
            load[(label, phase)] = {"l0_other_cpus": max(0.0, (busy - busy0) - (own - own0)) / 100 / secs,
                                    "l0_steal_cpus": (steal - steal0) / 100 / secs, "l0_load1": load1}
    return load


def collect(out, table):
    runs = []
    for rdir in sorted(glob.glob(os.path.join(out, "raw", "*", "results"))):
        run = os.path.basename(os.path.dirname(rdir))
        l1, swap = run.rsplit("-", 1)
        load = l0_load(os.path.join(out, "raw", run, "l0-load.txt"))
        for log in sorted(glob.glob(os.path.join(rdir, "*-l2.log"))):
            label = os.path.basename(log)[:-len("-l2.log")]
            m = re.fullmatch(r"(.+)-r(\d+)", label)
            if not m or m.group(1) not in table:
                continue
            for ph in parse_l2_log(log):
                name = phase_name(ph)
                ph.update(load.get((label, name), dict.fromkeys(L0_KEYS)))
                ph.update(config=m.group(1), rep=int(m.group(2)), l1=l1, swap=swap)
                ph.update(read_counts(os.path.join(rdir, f"{label}-{name}-l1-trace.txt"), TRACE_KEYS))
                ph.update(read_counts(os.path.join(rdir, f"{label}-{name}-memcg.txt"),
                                      {k: k for k in MEMCG_KEYS}))
                ph.update(cpu_shares(ph))
                runs.append(ph)
    return runs


def l1_kernels(out):
    """Which L1 kernel build each L1 run booted (its 'Linux version' line)."""
    k = {}
    for d in sorted(glob.glob(os.path.join(out, "raw", "*", "results", "l1-dmesg.txt"))):
        run = os.path.basename(os.path.dirname(os.path.dirname(d)))
        for line in open(d, errors="replace"):
            if "Linux version" in line:
                k[run] = line.split("Linux version", 1)[1].split("(")[0].strip() + \
                    " " + line.rsplit(")", 1)[-1].strip()
                break
    return k


def l1_runs(out):
    """Each L1 run's exit status and duration, as run.sh recorded them."""
    f = os.path.join(out, "l1-runs.txt")
    if not os.path.exists(f):
        return []
    return [{"run": r, "rc": int(rc), "seconds": int(s)}
            for r, rc, s in (line.split() for line in open(f) if len(line.split()) == 3)]


def incidents(out):
    """FAIL lines of the L1 runs and L1's OOM kills: runs whose phases are missing say why."""
    found = []
    for d in sorted(glob.glob(os.path.join(out, "raw", "*"))):
        run = os.path.basename(d)
        for name, pat in (("l1-scenario.log", "FAIL: "), ("l1-dmesg.txt", "Killed process")):
            f = os.path.join(d, "results", name)
            if os.path.exists(f):
                found += [f"{run}: {l.strip()}" for l in open(f, errors="replace") if pat in l]
        if not os.path.exists(os.path.join(d, "results")):
            found.append(f"{run}: no results (see {run}/l1-console.log)")
    return found


def stats(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    med = statistics.median(v)
    return {"median": med, "min": min(v), "max": max(v), "n": len(v),
            "spread_pct": (max(v) - min(v)) / med * 100 if med else None}


def ratio(a, b):
    return a / b if a is not None and b else None


def aggregate(runs, table):
    groups = {}
    for r in runs:
        groups.setdefault((r["swap"], r["workload"], r["ratio"], r["config"]), []).append(r)
    rows = []
    for (swap, wl, rt, cfg), rs in sorted(groups.items()):
        row = {"swap": swap, "workload": wl, "ratio": rt, "config": cfg,
               "base": table[cfg]["base"], "reps": len(rs)}
        for m, _ in METRICS[wl]:
            row[m] = stats([r.get(m) for r in rs])
        for k in list(TRACE_KEYS) + list(MEMCG_KEYS) + list(CPU_SHARES) + list(L0_KEYS):
            row[k] = stats([r.get(k) for r in rs])
        rows.append(row)
    med = {(r["swap"], r["workload"], r["ratio"], r["config"]): r for r in rows}

    def m(key, metric):
        r = med.get(key)
        return r[metric]["median"] if r and r.get(metric) else None
    for r in rows:
        k = (r["swap"], r["workload"], r["ratio"])
        r["vs_base"] = {mt: ratio(m(k + (r["config"],), mt), m(k + (r["base"],), mt))
                        for mt, _ in METRICS[r["workload"]]}
        # co-runner (bm: the counters) against the same config without overcommit
        r["corunner_vs_unpressured"] = ratio(m(k + (r["config"],), "corunner_rate"),
                                             m((r["swap"], r["workload"], 1, r["config"]),
                                               "corunner_rate"))
    for r in rows:
        if r["config"] == "pvapf":
            k = (r["swap"], r["workload"], r["ratio"])
            st = med.get(k + ("stock",))
            # direct, and each against its own APF-off: the L1 kernels differ (our test
            # config vs Debian's cloud config), which the direct ratio includes
            r["vs_stock"] = {mt: ratio(m(k + ("pvapf",), mt), m(k + ("stock",), mt))
                             for mt, _ in METRICS[r["workload"]]}
            r["vs_stock_norm"] = {mt: ratio(r["vs_base"][mt], st["vs_base"][mt] if st else None)
                                  for mt, _ in METRICS[r["workload"]]}
    return rows


def primary(wl):
    return "work" if wl == "bm" else "iops"


def goals(rows, table):
    apf_on = [c for c in table if table[c]["base"] != c]
    g = []

    def verdict(checks):
        if not checks:
            return "no data"
        return "met" if all(c["ok"] for c in checks) else "not met"

    checks = [{"where": f"{r['swap']} {r['workload']} x{r['ratio']}",
               "value": r["vs_base"][primary(r["workload"])], "ok": None}
              for r in rows if r["config"] == "pvapf" and r["ratio"] == 4]
    for c in checks:
        c["ok"] = c["value"] is not None and c["value"] >= 2.0
    g.append({"goal": "pvapf >= 2.0x APF-off work at 4x overcommit", "checks": checks,
              "verdict": verdict(checks)})

    checks = []
    for r in rows:
        if r["config"] != "pvapf" or r["ratio"] == 1:
            continue
        st = next((s for s in rows if s["config"] == "stock" and s["swap"] == r["swap"] and
                   s["workload"] == r["workload"] and s["ratio"] == r["ratio"]), None)
        if not st or not st["repeated_fault"] or not st["repeated_fault"]["median"]:
            continue
        v = r["vs_stock_norm"][primary(r["workload"])]
        d = r["vs_stock"][primary(r["workload"])]
        checks.append({"where": f"{r['swap']} {r['workload']} x{r['ratio']} "
                                f"(stock re-faulted {st['repeated_fault']['median']:.0f}x; "
                                f"direct ratio {fmt(d)})",
                       "value": v, "ok": v is not None and v >= 1.1})
    g.append({"goal": "pvapf >= 1.1x stock where stock re-faults or its queue fills "
                      "(judged on each one's ratio to its own APF-off, since the two L1 kernels "
                      "differ; re-faults: kvm_async_pf_repeated_fault; a full queue has no "
                      "tracepoint upstream and is not detected)", "checks": checks,
              "verdict": verdict(checks)})

    checks = []
    for r in rows:
        if r["config"] in apf_on and r["ratio"] > 1:
            v = r["corunner_vs_unpressured"]
            checks.append({"where": f"{r['config']} {r['swap']} {r['workload']} x{r['ratio']}",
                           "value": v, "ok": v is not None and v >= 0.9})
    g.append({"goal": "co-runner >= 90% of its unpressured throughput (APF-on configs)",
              "checks": checks, "verdict": verdict(checks)})

    checks = []
    for r in rows:
        if r["config"] in apf_on and r["ratio"] == 1:
            v = r["vs_base"][primary(r["workload"])]
            checks.append({"where": f"{r['config']} {r['swap']} {r['workload']} x1",
                           "value": v, "ok": v is not None and v >= 0.98})
    g.append({"goal": "<= 2% cost without overcommit (APF-on >= 0.98x APF-off)",
              "checks": checks, "verdict": verdict(checks)})
    return g


def fmt(v, nd=2):
    if v is None:
        return "–"
    if abs(v) >= 1e5:
        return f"{v:.3g}"
    return f"{v:.{nd}f}" if abs(v) < 100 else f"{v:.0f}"


def cell(s, nd=2):
    if not s:
        return "–"
    if s["n"] == 1:
        return fmt(s["median"], nd)
    return f"{fmt(s['median'], nd)} ({fmt(s['min'], nd)}–{fmt(s['max'], nd)})"


def l0_summary(runs):
    """How much of this machine other processes took in the run's phases: the verdict line
    for the summary, and whether the run shared the machine."""
    v = sorted(r["l0_other_cpus"] for r in runs if r.get("l0_other_cpus") is not None)
    if not v:
        return {"shared": None, "text": "Other load on this machine (L0): not measured."}
    busy = [x for x in v if x > L0_SHARED_CPUS]
    text = (f"Other load on this machine (L0), CPUs busy with anything but the L1 VM (steal "
            f"included), per phase: median {statistics.median(v):.2f}, at most {v[-1]:.2f}; "
            f"{len(busy)} of {len(v)} phases above {L0_SHARED_CPUS}. ")
    text += ("**This run shared the machine**: compare its ratios with care." if busy else
             "The machine was otherwise idle.")
    return {"shared": bool(busy), "text": text, "phases_shared": len(busy), "phases": len(v),
            "median": statistics.median(v), "max": v[-1]}


def share_cells(r):
    return " | ".join(cell(r[k], 0) for k in CPU_SHARES)


def ratio_label(r):
    return "none" if r == 1 else f"{r}x"


def markdown(meta, rows, gl):
    L = ["# Overcommit benchmark", "",
         f"Mode **{meta['mode']}**; configurations {', '.join(meta['configs'])}; "
         f"{meta['params'].get('BENCH_REPS')} repetition(s); array/file "
         f"{meta['params'].get('BENCH_MIB')} MiB; {meta['params'].get('BENCH_SECS')} s per "
         f"phase; {meta['params'].get('BENCH_THREADS')} threads; overcommit "
         f"{meta['params'].get('BENCH_RATIOS')}; swap `slowdisk` (if run) delays each read "
         f"{meta['params'].get('BENCH_SWAP_READ_DELAY_MS', 5)} ms; L1 runs with results: "
         f"{', '.join(meta['l1_kernels']) or 'none'}.", "",
         f"> **Caveat.** {TCG_NOTE}", "",
         "Run time: " + (", ".join(f"`{r['run']}` {r['seconds'] / 60:.0f} min"
                                   + ("" if r["rc"] == 0 else f" (exit {r['rc']})")
                                   for r in meta["l1_runs"]) +
                         f"; {sum(r['seconds'] for r in meta['l1_runs']) / 60:.0f} min of L1 runs "
                         "in all (a resumed run: the sum of its parts)."
                         if meta["l1_runs"] else "not recorded."), "",
         meta["l0"]["text"] + " *L0 other CPUs* in the tables is that load per phase.", "",
         "L1 kernels booted: " + "; ".join(f"`{r}`: {v}" for r, v in meta["l1_kernels"].items()) +
         ". `pvapf` configurations run whatever host side that L1 build has.", "",
         "Values are medians over repetitions with (min–max); ratios divide medians of the same "
         "run: each configuration by its APF-off base on the same L1 kernel "
         "(pvapf by apf-off, stock by stock-off). `overcommit Nx`: once the phase's data "
         "(array or file, MiB) is resident, L1 caps the L2's VMM cgroup at its memory.current "
         "minus (1 - 1/N) x MiB, so the data gets MiB/N and the rest of the guest keeps what it "
         "had (none: no cap); the cap is memory.high, with memory.max a quarter of MiB/N above "
         "it as the hard limit (memory.max alone got the thrashing VMM OOM-killed now and then). bm *work* is the counter threads' "
         "blocks of CPU work done while the toucher threads fault; *touches* are the touchers' "
         "page reads. *co-runner* is CPU work per second (bm: its counters; fio: one counting "
         "thread), *% unpr.* against the same configuration without overcommit. *APF inj.* is "
         "L1's injected not-present #PFs in that phase, *re-faults* "
         "`kvm_async_pf_repeated_fault`. *guest %* is the share of the phase the L2's one vCPU "
         "spent running the guest (the VMM's guest-mode CPU time in L1); *host %* the CPU "
         "time the VMM's threads spent in the host, as a share of one CPU (exits, a synchronous "
         "swap-in's CPU part, reclaim in its own context, the disk's I/O workers: over 100 when "
         "they ran on several of L1's CPUs at once). Whatever of 100 the guest's share leaves "
         "is time the vCPU did not run the guest (waiting for a swap-in's I/O, throttled, or "
         "runnable but not running). Async page faults exist to "
         "turn waiting into guest time; the guest's scheduler decides which of its threads "
         "gets it. *L1 idle* is the idle share of L1's CPU time over all its vCPUs "
         f"({meta['l1_cpus']}; the L2's vCPU can keep at most one busy). All three are L1's "
         "timer-tick samples (/proc/stat, /proc/PID/stat), not timed: diagnostics to read "
         "beside the workloads' own numbers, not measures to judge by.", ""]
    for swap in sorted({r["swap"] for r in rows}):
        L += [f"## Swap on {swap}", "", "### bm (random touchers + CPU counters)", "",
              "| overcommit | config | work | ×APF-off | touches ×APF-off | co-runner/s | % unpr. "
              "| guest % | host % | L1 idle % | APF inj. | re-faults | L0 other CPUs |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            if r["swap"] != swap or r["workload"] != "bm":
                continue
            vb = r["vs_base"]
            L.append(f"| {ratio_label(r['ratio'])} | {r['config']} | {cell(r['work'])} | "
                     f"{fmt(vb['work'])} | {fmt(vb['touches'])} | {cell(r['corunner_rate'])} | "
                     f"{fmt(100 * r['corunner_vs_unpressured'] if r['corunner_vs_unpressured'] else None, 0)} | "
                     f"{share_cells(r)} | "
                     f"{cell(r['apf_injected'], 0)} | {cell(r['repeated_fault'], 0)} | "
                     f"{cell(r['l0_other_cpus'])} |")
        L += ["", "### fio (mmap random reads over tmpfs + CPU co-runner)", "",
              "| overcommit | config | IOPS | ×APF-off | p50 µs | p99 µs | p99.9 µs | "
              "co-runner/s | % unpr. | guest % | host % | L1 idle % | APF inj. | re-faults | L0 other CPUs |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            if r["swap"] != swap or r["workload"] != "fio":
                continue
            L.append(f"| {ratio_label(r['ratio'])} | {r['config']} | {cell(r['iops'], 0)} | "
                     f"{fmt(r['vs_base']['iops'])} | {cell(r['p50_us'], 1)} | "
                     f"{cell(r['p99_us'], 1)} | {cell(r['p999_us'], 1)} | "
                     f"{cell(r['corunner_rate'])} | "
                     f"{fmt(100 * r['corunner_vs_unpressured'] if r['corunner_vs_unpressured'] else None, 0)} | "
                     f"{share_cells(r)} | "
                     f"{cell(r['apf_injected'], 0)} | {cell(r['repeated_fault'], 0)} | "
                     f"{cell(r['l0_other_cpus'])} |")
        L.append("")
    spreads = sorted(r[primary(r["workload"])]["spread_pct"] for r in rows
                     if r.get(primary(r["workload"])) and r[primary(r["workload"])]["n"] > 1
                     and r[primary(r["workload"])]["spread_pct"] is not None)
    L += ["## Against the goals", "",
          "Run-to-run resolution: the (max − min) / median of bm work and fio IOPS over the "
          "repetitions is " + (f"{statistics.median(spreads):.0f}% at the median and "
                               f"{spreads[-1]:.0f}% at most" if spreads else "unknown (1 repetition)") +
          " across the rows above; a goal margin smaller than that (the 2% cost goal) cannot be "
          "told from noise in this run.", "",
          "Checked as measured; the workloads were not tuned to them. bm is judged on work, "
          "fio on IOPS. `pvapf` is the pvapf host's default policy (adaptive), the one the "
          "goals are judged on; `pvapf-always` and `pvapf-off` are its other two policies.", ""]
    for g in gl:
        L.append(f"- **{g['goal']}**: {g['verdict']}")
        for c in g["checks"]:
            L.append(f"  - {c['where']}: {fmt(c['value'])} — {'ok' if c['ok'] else 'no'}")
    L += ["", "## Incidents", ""]
    L += [f"- {i}" for i in meta["incidents"]] or ["- none: every L2 run ran every phase"]
    L += ["", "Plots: `plots/work.png` (work and IOPS against APF-off), `plots/latency.png` "
          "(fio latency percentiles), `plots/corunner.png` (co-runner throughput against "
          "unpressured). Raw logs: `raw/<l1>-<swap>/results/`.", ""]
    return "\n".join(L)


def plots(out, rows, configs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    pdir = os.path.join(out, "plots")
    os.makedirs(pdir, exist_ok=True)
    swaps = sorted({r["swap"] for r in rows}) or ["none"]
    by = {(r["swap"], r["workload"], r["ratio"], r["config"]): r for r in rows}
    width = 0.8 / max(1, len(configs))

    def bars(ax, groups, value, err=None):
        for i, cfg in enumerate(configs):
            xs, ys, lo, hi = [], [], [], []
            for gx, key in enumerate(groups):
                r = by.get(key + (cfg,))
                v = value(r) if r else None
                if v is None:
                    continue
                xs.append(gx + (i - (len(configs) - 1) / 2) * width)
                ys.append(v)
                e = err(r) if err else None
                lo.append(v - e[0] if e else 0)
                hi.append(e[1] - v if e else 0)
            if xs:
                ax.bar(xs, ys, width, label=cfg, yerr=[lo, hi] if err else None, capsize=2)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([f"{k[1]}\n{ratio_label(k[2])}" for k in groups], fontsize=8)

    def groups_of(swap, wls):
        return sorted({(r["swap"], r["workload"], r["ratio"]) for r in rows
                       if r["swap"] == swap and r["workload"] in wls})

    # work per config, normalized to its APF-off base (error bars: min/max of repetitions)
    fig, axes = plt.subplots(1, len(swaps), figsize=(6 * len(swaps), 4), squeeze=False)
    for ax, swap in zip(axes[0], swaps):
        def norm(r, which="median"):
            mt = primary(r["workload"])
            b = by.get((r["swap"], r["workload"], r["ratio"], r["base"]))
            if not r.get(mt) or not b or not b.get(mt) or not b[mt]["median"]:
                return None
            return r[mt][which] / b[mt]["median"]
        bars(ax, groups_of(swap, ("bm", "fio")), norm,
             lambda r: (norm(r, "min"), norm(r, "max")) if norm(r) is not None else None)
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set_title(f"swap on {swap}: bm work / fio IOPS vs APF-off")
        ax.set_ylabel("× APF-off (same L1)")
        ax.legend(fontsize=7)
    fig.text(0.01, 0.01, "nested TCG: ratios only, absolute times distorted", fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(pdir, "work.png"), dpi=100)
    plt.close(fig)

    # fio latency percentiles
    pcts = [("p50_us", "p50"), ("p99_us", "p99"), ("p999_us", "p99.9")]
    fig, axes = plt.subplots(len(swaps), 3, figsize=(15, 3.8 * len(swaps)), squeeze=False)
    for si, swap in enumerate(swaps):
        for pi, (mt, name) in enumerate(pcts):
            ax = axes[si][pi]
            bars(ax, groups_of(swap, ("fio",)),
                 lambda r, mt=mt: r[mt]["median"] if r.get(mt) else None,
                 lambda r, mt=mt: (r[mt]["min"], r[mt]["max"]) if r.get(mt) else None)
            ax.set_yscale("log")
            ax.set_title(f"swap on {swap}: fio {name} latency")
            ax.set_ylabel("µs (log)")
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(pdir, "latency.png"), dpi=100)
    plt.close(fig)

    # co-runner throughput against the same config without overcommit
    fig, axes = plt.subplots(1, len(swaps), figsize=(6 * len(swaps), 4), squeeze=False)
    for ax, swap in zip(axes[0], swaps):
        bars(ax, groups_of(swap, ("bm", "fio")),
             lambda r: 100 * r["corunner_vs_unpressured"] if r["corunner_vs_unpressured"] else None)
        ax.axhline(90, color="red", lw=0.8, ls="--")
        ax.set_title(f"swap on {swap}: co-runner throughput")
        ax.set_ylabel("% of unpressured (same config)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(pdir, "corunner.png"), dpi=100)
    plt.close(fig)


def inputs():
    """The command line, the configuration table, the run's sizes (params.txt), the
    configurations asked for and every phase's record: what each suite's report starts from."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--mode", default="full")
    ap.add_argument("out")
    a = ap.parse_args()
    table = config_table(a.scenario)
    params = {}
    pfile = os.path.join(a.out, "params.txt")
    if os.path.exists(pfile):
        params = dict(l.rstrip("\n").split("=", 1) for l in open(pfile) if "=" in l)
    wanted = [c for c in params.get("BENCH_CONFIGS", ",".join(table)).split(",") if c]
    runs = collect(a.out, table)
    meta = {"mode": a.mode, "configs": wanted, "params": params, "note": TCG_NOTE,
            "l1_kernels": l1_kernels(a.out), "l1_runs": l1_runs(a.out),
            "incidents": incidents(a.out), "l0": l0_summary(runs),
            "config_table": {c: table[c] for c in wanted if c in table}}
    return a, table, runs, meta


def missing(runs, meta):
    """1, saying so, if a configuration asked for has no results; else 0."""
    gone = [c for c in meta["configs"] if not any(r["config"] == c for r in runs)]
    if gone:
        print(f"report: no results for configuration(s) {', '.join(gone)}", file=sys.stderr)
    return 1 if gone else 0


def main():
    a, table, runs, meta = inputs()
    rows = aggregate(runs, table)
    gl = goals(rows, table)
    meta["l1_cpus"] = "/".join(sorted({f"{r['l1_cpus']:.0f}" for r in runs if r.get("l1_cpus")})) \
        or "unknown"
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "runs": runs, "summary": rows, "goals": gl}, f, indent=1)
    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write(markdown(meta, rows, gl))
    plots(a.out, rows, meta["configs"])
    return missing(runs, meta)


if __name__ == "__main__":
    sys.exit(main())
