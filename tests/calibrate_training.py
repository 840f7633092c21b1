"""Measure how much the training results quoted by chapter 1 and problem set 3 move.

Not a test (pytest only imports it for doctests): a script that re-runs the training
behind the calibrated checks across seeds and across *platform variants* on one
machine (torch's kernel choice, MKL's reproducibility mode, thread counts), which
change floating-point details the way another computer would. The tolerances of the
checks in ``chapters/01_introduction.ipynb`` and ``assignments/ps3_gd_in_practice``
are set from its output; the numbers are recorded next to each check.

    .venv/bin/python tests/calibrate_training.py [--seeds 12] [--variant-seeds 4] [--out DIR]

Each variant runs in a fresh subprocess (the settings are read at import time) and
writes ``DIR/<part>-<variant>.json``; the script then prints, per quantity, the range
over seeds (native) and the largest change of a single seed across variants.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

VARIANTS = {
    "native": {},
    "aten-default": {"ATEN_CPU_CAPABILITY": "default"},
    "aten-avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "mkl-compatible": {"MKL_CBWR": "COMPATIBLE"},
    "omp1": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
    "omp2": {"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"},
}


def ch01_runs(seeds):
    """Chapter 1's experiment: test-loss histories of the three targets (n = 32, 3000 steps)."""
    import numpy as np

    import lbkit
    from lbkit.learners import GDRegressor

    n = 32
    targets = {
        "relu": lambda X: np.sqrt(2) * np.maximum(X[:, 0], 0.0),
        "k4": lbkit.orthogonal_network(n, range(4), "relu", normalized=True),
        "k6": lbkit.orthogonal_network(n, range(6), "relu", normalized=True),
    }
    out = {}
    for name, f in targets.items():
        for seed in seeds:
            gd = GDRegressor(width=256, lr=3e-3, batch_size=256, max_steps=3000, eval_every=50, rng=seed).fit(f, n=n)
            out[f"{name}/{seed}"] = {
                "step": gd.history_["step"].tolist(),
                "test_loss": gd.history_["test_loss"].tolist(),
            }
    return out


def ps3_runs(seeds):
    """Problem set 3's runs: steps to loss < 0.5 (width 64, eval every 10, cap 3000)."""
    import lbkit
    from lbkit.learners import GDRegressor

    settings = dict(width=64, eval_every=10, target_loss=0.5, max_steps=3000)

    def target(n, k):
        return lbkit.orthogonal_network(n, range(k), "relu", normalized=True)

    out = {}
    for seed in seeds:
        for n, k in [(8, 2), (16, 2), (8, 4), (12, 4), (16, 4)]:
            gd = GDRegressor(**settings, rng=seed).fit(target(n, k))
            out[f"n{n}k{k}/{seed}"] = gd.steps_to_target_
            if (n, k) == (8, 2):
                out[f"initial/{seed}"] = float(gd.history_["test_loss"][0])
        for sigma in (0.3, 1.0):
            out[f"noise{sigma}/{seed}"] = (
                GDRegressor(**settings, noise=sigma, rng=seed).fit(target(8, 2)).steps_to_target_
            )
    return out


def _worker(part, seeds, path):
    runs = {"ch01": ch01_runs, "ps3": ps3_runs}[part](seeds)
    Path(path).write_text(json.dumps(runs))


def main(argv=None):
    import argparse

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=12, help="seeds 0..N-1 natively")
    p.add_argument("--variant-seeds", type=int, default=4, help="seeds 0..M-1 under each variant")
    p.add_argument("--parts", nargs="+", default=["ch01", "ps3"])
    p.add_argument("--out", default="/tmp/lbkit-calibration")
    p.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        part, seeds, path = args.worker
        _worker(part, [int(s) for s in seeds.split(",")], path)
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for part in args.parts:
        for variant, env in VARIANTS.items():
            path = out / f"{part}-{variant}.json"
            if path.exists():
                continue
            n = args.seeds if variant == "native" else args.variant_seeds
            seeds = ",".join(str(s) for s in range(n))
            subprocess.run(
                [sys.executable, __file__, "--worker", part, seeds, str(path)], env={**os.environ, **env}, check=True
            )
            print(f"done {part} {variant}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
