"""Benchmark: sweep throughput on a 2-worker Dask LocalCluster against lbkit's worker_pool(2), same grid.

Run from the repository root::

    python benchmarks/bench_sweep_throughput.py [--points 16] [--steps 400] [--repeats 3]

The grid is ``--points`` runs of :func:`lbkit.experiments.gd_cell` (chapter 7's students: width 256, batch 256,
Adam; n = 16 and 32, k = 2 and 4 alternating, a fixed budget of ``--steps`` steps with no early stop, so every
point does the same work whoever runs it).  Both pools are started and warmed up (torch imported, one point run
in every worker) before the timing; then the same sweep runs in each, alternating, ``--repeats`` times.  Both
pools give exactly the same rows (checked).  The last line is::

    RESULT dask_vs_pool=R dask_vs_pool_median=Rm dask_points_per_s=D pool_points_per_s=P workers=2 points=N

with R the ratio of the best throughputs (goal: R >= 0.9) and Rm that of the median times (on a loaded machine the
two differ: compare several runs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lbkit.experiments import gd_cell, sweep, worker_pool  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=16)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    import distributed

    points = [
        dict(
            n=16 if i % 4 < 2 else 32,
            k=2 if i % 2 == 0 else 4,
            max_steps=args.steps,
            eval_every=args.steps,
            target_loss=None,
        )
        for i in range(args.points)
    ]
    warm = [dict(n=8, k=2, max_steps=10, eval_every=10, target_loss=None)] * 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "port 8787 in use": the health endpoint moves to another port
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        )
    client = distributed.Client(cluster)
    pool = worker_pool(2)
    try:
        executor = client.get_executor()
        sweep(gd_cell, warm, seed=0, pool=executor)
        sweep(gd_cell, warm, seed=0, pool=pool)
        times = {"dask": [], "pool": []}
        rows = {}
        for _ in range(args.repeats):
            for name, p in (("dask", executor), ("pool", pool)):
                t0 = time.perf_counter()
                rows[name] = sweep(gd_cell, points, seed=1, pool=p)
                times[name].append(time.perf_counter() - t0)
        assert rows["dask"] == rows["pool"], "the two pools give the same rows"
    finally:
        pool.shutdown()
        client.close()
        cluster.close()
    rate = {name: args.points / min(ts) for name, ts in times.items()}
    for name, ts in times.items():
        print(f"{name:<5} runs (s): {', '.join(f'{t:.2f}' for t in ts)}; best {rate[name]:.2f} points/s")
    ratio = rate["dask"] / rate["pool"]
    ratio_median = statistics.median(times["pool"]) / statistics.median(times["dask"])
    print(f"goal: dask_vs_pool >= 0.9 ({'met' if ratio >= 0.9 else 'NOT met'}); rows identical in both pools")
    print(
        f"RESULT dask_vs_pool={ratio:.2f} dask_vs_pool_median={ratio_median:.2f} "
        f"dask_points_per_s={rate['dask']:.3f} pool_points_per_s={rate['pool']:.3f} "
        f"workers=2 points={args.points}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
