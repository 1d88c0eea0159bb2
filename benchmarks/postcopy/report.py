#!/usr/bin/env python3
"""Turn the raw results of benchmarks/postcopy/run.sh into results.json, summary.md and
plots/postcopy.png.

  report.py --scenario SCENARIO_FILE --mode quick|full OUT

The layout of OUT is the overcommit suite's (its report.py, whose readers this one uses),
with phases <workload>-before, <workload>-postcopy and idle-postcopy per L2 run. Ratios are
taken within one run: a phase during post-copy against the same configuration's phase before
the migration, and a configuration against its APF-off base (same L1) in the same phase.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "overcommit"))
import report as oc  # noqa: E402  (the overcommit suite's report: the shared readers)

# (metric, what) per workload; all higher-is-better except latencies and times
METRICS = {"bm": ["work", "touches", "corunner_rate"],
           "fio": ["iops", "p50_us", "p99_us", "p999_us", "corunner_rate"],
           "idle": []}
# the migration's own figures, per post-copy phase
MIG = ["mig_total_ms", "mig_downtime_ms", "mig_requests", "mig_pages", "postcopy_s"]
# where the faults went: async (NOT_PRESENT injected), halted (the vCPU halted, taking
# interrupts, until the page came: pvapf's counter; stock: an async fault the guest was not
# told of) and sync (pvapf: a page-in on the vCPU thread, pvapf_host_sync; stock: not traced)
FAULTS = ["async", "halted_faults", "sync"]


def faults(ph):
    inj = ph.get("apf_injected")
    if ph["l1"] != "stock":
        return {"async": inj, "halted_faults": ph.get("halted"), "sync": ph.get("host_sync")}
    np_ = ph.get("not_present")
    return {"async": inj, "halted_faults": max(0, np_ - (inj or 0)) if np_ is not None else None,
            "sync": None}


def aggregate(runs, table):
    groups = {}
    for r in runs:
        r.update(faults(r))
        groups.setdefault((r["workload"], r["stage"], r["config"]), []).append(r)
    rows = {}
    for (wl, st, cfg), rs in groups.items():
        row = {"workload": wl, "stage": st, "config": cfg, "base": table[cfg]["base"],
               "reps": len(rs)}
        for k in METRICS[wl] + MIG + FAULTS + list(oc.CPU_SHARES) + list(oc.L0_KEYS):
            row[k] = oc.stats([r.get(k) for r in rs])
        rows[(wl, st, cfg)] = row

    def med(key, m):
        r = rows.get(key)
        return r[m]["median"] if r and r.get(m) else None
    for (wl, st, cfg), row in rows.items():
        keys = METRICS[wl] + (MIG if st == "postcopy" else [])
        row["vs_base"] = {m: oc.ratio(med((wl, st, cfg), m), med((wl, st, row["base"]), m))
                          for m in keys}
        row["vs_before"] = {m: oc.ratio(med((wl, st, cfg), m), med((wl, "before", cfg), m))
                            for m in METRICS[wl]} if st == "postcopy" else {}
    order = {c: i for i, c in enumerate(table)}
    return sorted(rows.values(), key=lambda r: (r["workload"], r["stage"] != "before",
                                                order.get(r["config"], 99)))


def pct(v):
    return oc.fmt(100 * v, 0) if v is not None else "–"


def markdown(meta, rows):
    p = meta["params"]
    L = ["# Post-copy benchmark", "",
         f"Mode **{meta['mode']}**; configurations {', '.join(meta['configs'])}; "
         f"{p.get('BENCH_REPS')} repetition(s); array/file {p.get('BENCH_MIB')} MiB; "
         f"{p.get('BENCH_SECS')} s per phase; {p.get('BENCH_THREADS')} threads; post-copy's "
         f"background transfer capped at {p.get('BENCH_BANDWIDTH_MIB')} MiB/s. L1 runs: "
         + (", ".join(f"`{r['run']}` {r['seconds'] / 60:.0f} min" + ("" if r["rc"] == 0 else f" (exit {r['rc']})")
                      for r in meta["l1_runs"]) or "none") + ".", "",
         f"> **Caveat.** {oc.TCG_NOTE}", "",
         meta["l0"]["text"], "",
         "L1 kernels booted: " + "; ".join(f"`{r}`: {v}" for r, v in meta["l1_kernels"].items()) + ".", "",
         "Each L2 run runs each workload twice: *before* (its data resident, no migration) and "
         "*postcopy* (L1 migrates the L2 to a new VMM with post-copy as the phase starts: the "
         "guest runs on the new VMM at once and every page it touches first waits for the old "
         "VMM to send it, through userfaultfd; the rest is sent in the background at the capped "
         "rate). *×before* is the same configuration's figure before the migration; *×APF-off* "
         "the configuration against its APF-off base (pvapf by apf-off, stock by stock-off) in "
         "the same phase. *async*: NOT_PRESENT injected in the phase; *halted*: faults for which the "
         "vCPU halted, taking interrupts, until the page came (pvapf: its `halted` counter; stock: "
         "its async faults of a guest that could not be told); *sync*: pvapf's page-ins on the "
         "vCPU thread (`pvapf_host_sync`: kernel code with interrupts off, mostly; stock does not "
         "trace them). *requests*: the "
         "pages the new VMM asked for (QEMU's postcopy-requests, for the whole migration); "
         "*migration s*: QEMU's total time; *last page s*: from the phase's start to the "
         "migration's end (past the phase: the workload ran in post-copy all along). "
         "Values: medians over repetitions with (min–max).", ""]
    for wl, title, main in (("bm", "bm (random touchers + CPU counters)", "work"),
                            ("fio", "fio (mmap random reads over tmpfs + CPU co-runner)", "iops")):
        rs = [r for r in rows if r["workload"] == wl]
        if not rs:
            continue
        extra = " p99 µs | ×before |" if wl == "fio" else " touches ×before |"
        L += [f"## {title}", "",
              f"| phase | config | {main} | ×before | ×APF-off |{extra} co-runner ×before "
              "| guest % | async | halted | sync | requests | migration s | last page s | L0 other CPUs |",
              "|---" * (17 if wl == "fio" else 16) + "|"]
        for r in rs:
            vb, vf = r["vs_base"], r["vs_before"]
            x = (f" {oc.cell(r['p99_us'], 0)} | {oc.fmt(vf.get('p99_us'))} |" if wl == "fio"
                 else f" {oc.fmt(vf.get('touches'))} |")
            pc = r["stage"] == "postcopy"
            L.append(f"| {r['stage']} | {r['config']} | {oc.cell(r[main], 0)} | "
                     f"{oc.fmt(vf.get(main))} | {oc.fmt(vb.get(main))} |{x} "
                     f"{oc.fmt(vf.get('corunner_rate'))} | {oc.cell(r['l2_guest_pct'], 0)} | "
                     f"{oc.cell(r['async'], 0)} | {oc.cell(r['halted_faults'], 0)} | "
                     f"{oc.cell(r['sync'], 0)} | {oc.cell(r['mig_requests'], 0) if pc else '–'} | "
                     f"{oc.cell(secs(r['mig_total_ms']), 1) if pc else '–'} | "
                     f"{oc.cell(r['postcopy_s'], 0) if pc else '–'} | {oc.cell(r['l0_other_cpus'])} |")
        L.append("")
    rs = [r for r in rows if r["workload"] == "idle"]
    if rs:
        L += ["## The idle guest", "",
              "The guest does nothing for the phase while it is migrated the same way: where async "
              "page faults have nothing to win, they must cost nothing.", "",
              "| config | migration s | ×APF-off | downtime ms | requests | async | halted | sync | L0 other CPUs |",
              "|---|---|---|---|---|---|---|---|---|"]
        for r in rs:
            L.append(f"| {r['config']} | {oc.cell(secs(r['mig_total_ms']), 1)} | "
                     f"{oc.fmt(r['vs_base'].get('mig_total_ms'))} | {oc.cell(r['mig_downtime_ms'], 0)} | "
                     f"{oc.cell(r['mig_requests'], 0)} | {oc.cell(r['async'], 0)} | "
                     f"{oc.cell(r['halted_faults'], 0)} | {oc.cell(r['sync'], 0)} | "
                     f"{oc.cell(r['l0_other_cpus'])} |")
        L.append("")
    L += ["## Incidents", ""]
    L += [f"- {i}" for i in meta["incidents"]] or ["- none: every L2 run ran every phase"]
    L += ["", "Plot: `plots/postcopy.png` (each workload's figure during post-copy against "
          "before it, per configuration). Raw logs: `raw/<l1>-none/results/`, L0's load "
          "samples: `raw/<l1>-none/l0-load.txt`.", ""]
    return "\n".join(L)


def secs(s):
    """A stats record of milliseconds, in seconds."""
    return {k: (v / 1e3 if k in ("median", "min", "max") and v is not None else v)
            for k, v in s.items()} if s else None


def plot(out, rows, configs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(os.path.join(out, "plots"), exist_ok=True)
    groups = [("bm", "work"), ("fio", "iops"), ("fio", "corunner_rate")]
    by = {(r["workload"], r["config"]): r for r in rows if r["stage"] == "postcopy"}
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(1, len(configs))
    for i, cfg in enumerate(configs):
        xs, ys = [], []
        for gx, (wl, m) in enumerate(groups):
            v = by.get((wl, cfg), {}).get("vs_before", {}).get(m)
            if v is not None:
                xs.append(gx + (i - (len(configs) - 1) / 2) * width)
                ys.append(v)
        if xs:
            ax.bar(xs, ys, width, label=cfg)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([f"{wl} {m}" for wl, m in groups], fontsize=8)
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_ylabel("during post-copy × before (same config)")
    ax.set_title("post-copy: the guest's work against before the migration")
    if configs:
        ax.legend(fontsize=7)
    fig.text(0.01, 0.01, "nested TCG: ratios only, absolute times distorted", fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "plots", "postcopy.png"), dpi=100)
    plt.close(fig)


def main():
    a, table, runs, meta = oc.inputs()
    rows = aggregate(runs, table)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "runs": runs, "summary": rows}, f, indent=1)
    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write(markdown(meta, rows))
    plot(a.out, rows, [c for c in meta["configs"] if any(r["config"] == c for r in rows)])
    return oc.missing(runs, meta)


if __name__ == "__main__":
    sys.exit(main())
