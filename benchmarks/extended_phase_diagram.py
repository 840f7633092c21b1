"""The extended phase diagram: steps to test loss 0.5 over n up to 512 and k up to 8, on a Dask cluster.

Chapter 7 draws the phase diagram of gradient descent on the normalised f_S for n <= 128, k in {2, 4, 6} and four
seeds, which is what two cores allow in ninety seconds.  This script computes the bigger diagram with the same
students and the same stopping rules (batch 256, width 256, Adam lr 3e-3, fresh Gaussian minibatches, stop at test
loss 0.5 or at the step budget of k; see `budget` and `eval_every` below), on whatever Dask cluster it is given:

    # a cluster that is already running (e.g. started with dask-jobqueue on SLURM, or `dask scheduler` + workers)
    python benchmarks/extended_phase_diagram.py --scheduler tcp://10.0.0.5:8786 --seeds 20
    # a LocalCluster on this machine (processes, one thread each, loopback only, no dashboard)
    python benchmarks/extended_phase_diagram.py --workers 2 --seeds 6 --max-n-for-k 4:128

Every program (one batched `gd_students` call: one n, one k, a few seeds) is recorded in the store (JSON lines) as
soon as it finishes; running the script again with the same store and arguments computes only what is missing, so a
killed run resumes.  At the end it writes a per-student table (CSV), a per-cell summary (CSV), a provenance record
(JSON: the command, the machine, the cluster, the wall time, the versions) and the figure (PNG), all in --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout: this checkout's lbkit
    sys.path.insert(0, str(ROOT))

from lbkit.experiments import SweepError, gd_students, read_store, start_sweep  # noqa: E402

BATCH = 256


def budget(n: int, k: int) -> int:
    """Step budget of a run: chapter 7's rule (k = 2: 1,000; k = 4: 40,000; k >= 6: 6,000 up to n = 32, then 1,500).

    k = 8 gets the budget of k = 6: both sit on the plateau (test loss 1) where the diagram is drawn.
    """
    if k <= 2:
        return 1_000
    if k <= 4:
        return 40_000
    return 6_000 if n <= 32 else 1_500


def eval_every(n: int, k: int) -> int:
    """Steps between test-loss evaluations, as in chapter 7 (k = 4 is evaluated less often at large n)."""
    if k <= 2:
        return 5
    if k <= 4:
        return 25 if n <= 32 else 50 if n == 64 else 100
    return 50


def expected_cost(n: int, k: int, n_seeds: int) -> float:
    """A rough cost (student-steps x (n + 64)), only to queue the longest programs first."""
    steps = min(budget(n, k), 150 * (n / 8) ** 1.7) if k == 4 else budget(n, k) / (3 if k == 2 else 1)
    return steps * (n + 64) * n_seeds


def programs(ns, ks, n_seeds, per_program, max_n_for_k):
    """One gd_students point per (n, k, group of seeds), longest first."""
    out = []
    for n in ns:
        for k in ks:
            if k > n or n > max_n_for_k.get(k, max(ns)):
                continue
            for start in range(0, n_seeds, per_program):
                seeds = list(range(start, min(start + per_program, n_seeds)))
                out.append(
                    dict(
                        n=n,
                        k=[k],
                        seeds=seeds,
                        max_steps={k: budget(n, k)},
                        eval_every={k: eval_every(n, k)},
                        batch_size=BATCH,
                    )
                )
    out.sort(key=lambda p: -expected_cost(p["n"], p["k"][0], len(p["seeds"])))
    return out


def per_student(rows):
    import pandas as pd

    cols = ["k", "seed", "steps", "final_loss", "min_loss", "cap"]
    df = pd.DataFrame([r for r in rows if r is not None])[["n"] + cols].explode(cols)
    return (
        df.astype({"n": int, "k": int, "seed": int, "steps": float, "final_loss": float, "min_loss": float, "cap": int})
        .sort_values(["k", "n", "seed"])
        .reset_index(drop=True)
    )


def summary(df):
    """Per (k, n): seeds, how many reached the target, median steps (NaN unless every seed reached), quartiles."""
    import pandas as pd

    out = []
    for (k, n), g in df.groupby(["k", "n"]):
        s = g["steps"].to_numpy(float)
        ok = np.isfinite(s)
        q = np.percentile(s, [25, 50, 75]) if ok.all() else [np.nan] * 3
        out.append(
            dict(
                k=k,
                n=n,
                seeds=len(s),
                reached=int(ok.sum()),
                median_steps=q[1],
                q25_steps=q[0],
                q75_steps=q[2],
                cap=int(g["cap"].max()),
                min_loss_min=float(g["min_loss"].min()),
            )
        )
    return pd.DataFrame(out)


def load_results(out):
    """What a run left in ``out``: (provenance dict, per-student table, per-cell table, the store's records)."""
    import pandas as pd

    out = Path(out)
    provenance = json.loads((out / "provenance.json").read_text())
    students = pd.read_csv(out / "students.csv")
    cells = pd.read_csv(out / "cells.csv")
    return provenance, students, cells, read_store(out / "store.jsonl")


def describe_provenance(provenance) -> str:
    """The provenance record as text: every run (command, time, cluster, machine), the versions, the sweep."""
    lines = []
    for i, run in enumerate(provenance["runs"]):
        m = run["machine"]
        lines += [
            f"run {i + 1}: {run['command']}",
            f"  started {run['started_utc']}, wall time {run['wall_seconds']:.0f} s, on {run['cluster']}",
            f"  machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, Python {m['python']}",
            f"  programs computed: {run['programs_computed']}, "
            f"read from the store: {run.get('programs_read_from_store', 0)}",
        ]
        if "note" in run:
            lines.append(f"  note: {run['note']}")
    lines.append("versions: " + ", ".join(f"{k} {v}" for k, v in provenance["versions"].items()))
    lines.append(
        f"{provenance['programs']} batched programs, {provenance['students']} students, sweep seed "
        f"{provenance['sweep_seed']}, {provenance['seeds_per_cell']} seeds per cell"
    )
    return "\n".join(lines)


def readable_summary(table):
    """The per-cell table for reading: k, n, reached (of seeds), median and quartiles of the steps, the cap.

    A cell where some seed stopped at its cap has no median: it reads ``> cap`` and no quartiles.
    """
    shown = table.copy()
    shown["median"] = [
        f"{m:,.0f}" if np.isfinite(m) else f"> {c:,}" for m, c in zip(shown["median_steps"], shown["cap"])
    ]
    shown["quartiles"] = [
        f"{a:,.0f} to {b:,.0f}" if np.isfinite(a) else "" for a, b in zip(shown["q25_steps"], shown["q75_steps"])
    ]
    shown["reached"] = [f"{r}/{s}" for r, s in zip(shown["reached"], shown["seeds"])]
    return shown[["k", "n", "reached", "median", "quartiles", "cap"]]


def draw(table, ns, ks, path=None):
    """The figure: a heatmap of the medians (k x n) and the medians against n; saved to ``path`` if given."""
    import matplotlib.pyplot as plt

    from lbkit.plotting import PALETTE, set_theme

    set_theme()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1.15, 1]})
    grid_vals = np.full((len(ks), len(ns)), np.nan)
    for r in table.itertuples():
        grid_vals[ks.index(r.k), ns.index(r.n)] = r.median_steps
    finite = grid_vals[np.isfinite(grid_vals)]
    from matplotlib.colors import LogNorm

    im = ax0.imshow(grid_vals, cmap="viridis", norm=LogNorm(finite.min(), finite.max()), aspect="auto", origin="lower")
    for r in table.itertuples():
        i, j = ks.index(r.k), ns.index(r.n)
        if np.isfinite(r.median_steps):
            text, colour = (
                f"{r.median_steps:,.0f}",
                "white" if r.median_steps < np.sqrt(finite.min() * finite.max()) else "black",
            )
        else:
            text, colour = f"> {r.cap:,}\n({r.reached}/{r.seeds})", "black"
            ax0.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, color="0.85"))
        ax0.text(j, i, text, ha="center", va="center", fontsize=7.5, color=colour)
    done = {(r.k, r.n) for r in table.itertuples()}
    for i, k in enumerate(ks):
        for j, n in enumerate(ns):
            if (k, n) not in done:
                ax0.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, color="white", hatch="//", ec="0.7"))
                ax0.text(j, i, "not run" if k <= n else "k > n", ha="center", va="center", fontsize=7, color="0.4")
    ax0.set_xticks(range(len(ns)), [str(n) for n in ns])
    ax0.set_yticks(range(len(ks)), [str(k) for k in ks])
    ax0.set_xlabel("dimension n")
    ax0.set_ylabel("support size k")
    ax0.set_title("median steps to test loss 0.5 (grey: stopped)")
    ax0.grid(False)
    fig.colorbar(im, ax=ax0, label="median steps")
    for idx, k in enumerate(ks):
        d = table[(table["k"] == k) & np.isfinite(table["median_steps"])]
        if d.empty:
            continue
        err = [d["median_steps"] - d["q25_steps"], d["q75_steps"] - d["median_steps"]]
        ax1.errorbar(
            d["n"],
            d["median_steps"],
            yerr=err,
            marker="o",
            capsize=3,
            color=PALETTE[idx % len(PALETTE)],
            label=f"k = {k}",
        )
    ax1.set_xscale("log", base=2)
    ax1.set_yscale("log")
    ax1.set_xlabel("dimension n")
    ax1.set_ylabel("steps to test loss 0.5")
    ax1.set_title("medians over seeds, bars: quartiles")
    ax1.legend()
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=130)
    return fig


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": None if mem is None else round(mem, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scheduler", help="address of a running Dask scheduler (default: start a LocalCluster)")
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (one thread each)")
    ap.add_argument("--n", type=int, nargs="+", default=[8, 16, 32, 64, 128, 256, 512])
    ap.add_argument("--k", type=int, nargs="+", default=[2, 4, 6, 8])
    ap.add_argument("--seeds", type=int, default=20, help="seeds per cell")
    ap.add_argument("--seeds-per-program", type=int, default=3, help="students of one batched program")
    ap.add_argument(
        "--max-n-for-k",
        action="append",
        default=[],
        metavar="K:N",
        help="run k only up to n = N (repeatable), e.g. 4:128 where the k = 4 budget would cost hours",
    )
    ap.add_argument("--seed", type=int, default=25, help="the sweep's root seed")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "extended_phase"))
    args = ap.parse_args(argv)
    max_n_for_k = {int(a): int(b) for a, b in (s.split(":") for s in args.max_n_for_k)}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    points = programs(sorted(args.n), sorted(args.k), args.seeds, args.seeds_per_program, max_n_for_k)

    import dask
    import distributed
    import torch

    t0, start = time.perf_counter(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if args.scheduler:
        client, cluster_desc, cluster = distributed.Client(args.scheduler), f"scheduler at {args.scheduler}", None
    else:
        cluster = distributed.LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        )
        client = distributed.Client(cluster)
        cluster_desc = f"distributed.LocalCluster(n_workers={args.workers}, threads_per_worker=1, processes=True)"
    n_workers = len(client.scheduler_info()["workers"])
    store = out / "store.jsonl"
    print(f"{len(points)} programs on {cluster_desc} ({n_workers} workers); store {store}", flush=True)
    failed, recorded = [], 0
    try:
        job = start_sweep(gd_students, points, seed=args.seed, pool=client.get_executor(), store=store)
        recorded = job.n_recorded
        print(f"{recorded} programs read from the store, {len(points) - recorded} to compute", flush=True)
        rows = job.result(progress=True)
    except SweepError as err:  # keep what finished; the failures are listed in the provenance
        rows, failed = err.rows, [f"point {i} {p}: {type(e).__name__}: {e}" for i, p, e in err.failed]
        print(err, file=sys.stderr)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    wall = time.perf_counter() - t0

    df = per_student(rows)
    table = summary(df)
    df.to_csv(out / "students.csv", index=False)
    table.to_csv(out / "cells.csv", index=False, float_format="%.6g")
    import matplotlib

    matplotlib.use("Agg")
    draw(table, sorted(args.n), sorted(args.k), out / "figure.png")
    run = {
        "command": "python benchmarks/extended_phase_diagram.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "started_utc": start,
        "wall_seconds": round(wall, 1),
        "cluster": cluster_desc,
        "n_workers": n_workers,
        "machine": machine(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "programs_computed": len(points) - recorded,
        "programs_read_from_store": recorded,
        "failed": failed,
    }
    previous = []
    if (out / "provenance.json").exists():  # a resumed run: keep the record of the runs before it
        old = json.loads((out / "provenance.json").read_text())
        previous = old.get("runs", [])
        if not previous and "command" in old:  # the first layout: one run at the top level
            keep = ("command", "started_utc", "wall_seconds", "cluster", "n_workers", "machine", "failed")
            previous = [{**{key: old[key] for key in keep if key in old}, "programs_computed": old.get("programs")}]
    provenance = {
        "runs": previous + [run],
        "versions": {
            "lbkit": __import__("lbkit").__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "dask": dask.__version__,
            "distributed": distributed.__version__,
        },
        "programs": len(points),
        "students": int(len(df)),
        "sweep_seed": args.seed,
        "seeds_per_cell": args.seeds,
        "n": sorted(args.n),
        "k": sorted(args.k),
        "max_n_for_k": max_n_for_k,
        "note": "wall time includes starting the cluster; programs already in the store are read, not recomputed",
    }
    (out / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")
    print(table.to_string(index=False))
    print(f"wall time {wall:.0f} s; wrote {out}/(store.jsonl, students.csv, cells.csv, figure.png, provenance.json)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
