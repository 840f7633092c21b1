"""Benchmarks for lbkit's core: exact norms and network evaluation.

Run from the repository root::

    python benchmarks/bench_core.py

It prints two plain-text tables.  The whole run takes about 50 s on an idle
2-core machine and up to about 3 minutes when other jobs share the cores
(the k = 16 evaluations are the part that slows down most).

1. ``norm_squared`` accuracy and speed, k = 2..40, for relu, erf, sigmoid and
   tanh.  Each value of ``lbkit.norm_squared(k, a)`` (the default, cancellation-
   free Hermite series) is compared with an 80-digit mpmath evaluation of the
   alternating dual-kernel formula

       ||f_S||^2 = 2^k * sum_{d=0}^{k} C(k, d) (-1)^d K(1 - 2d/k).

   For relu and erf, K is the closed-form kernel, written in mpmath here, so
   that reference is independent of lbkit.  For sigmoid and tanh,
   K(rho) = sum_m c_m^2 rho^m uses lbkit's own high-precision Hermite
   coefficients: that reference checks the summation (the weights W_k(m) and
   the series), not the coefficients.
   Columns: ``value`` is lbkit's result; ``rel.err`` its relative error against
   the reference; ``ms`` the median time of several calls after a warm-up call
   (the warm-up call's time is printed separately: for sigmoid and tanh it
   includes computing the 40-digit Hermite coefficients once per process);
   ``dual_kernel f64`` the relative error of ``method="dual_kernel"``, the
   same alternating sum evaluated in float64.  That column shows the
   cancellation: it loses roughly log10(4^k / ||f_S||^2) digits, so it is
   useless well before k = 40.  Rows where the parity rule makes f_S = 0
   exactly (``get_activation(a).vanishes(k)``) are omitted; the skipped k are
   listed under the table.

2. Throughput of evaluating the normalised relu network f_S (n = 20,
   S = range(k), 2^k hidden units) on N = 100000 Gaussian points, in float64
   and float32, against the plain numpy expression
   ``np.maximum(X @ W.T, 0) @ a`` with the same ``f.W`` and ``f.a``.  The
   baseline materialises an (N, 2^k) matrix, so it runs on the first
   N_base = min(N, 1e9 / 8 / 2^k) rows only (about 1 GB of pre-activations);
   throughputs are compared in points per second, and ``ratio`` =
   lbkit points/s / baseline points/s (above 1: lbkit is faster).
   ``max|diff|`` is the largest absolute difference between lbkit and the
   baseline on the baseline's rows, in the same dtype; the network is
   normalised (E f_S^2 = 1), so it is also relative to the output's RMS.
   Times are the best of 2 runs for k <= 12 and a single run above.

Timings depend on the machine, its load and the BLAS thread count printed in
the header; the accuracy columns do not.
"""

from __future__ import annotations

import datetime
import math
import os
import platform
import statistics
import sys
import time

import mpmath as mp
import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))  # the repository root

import lbkit  # noqa: E402
from tests.reference import MP_KERNELS, mp_alternating_norm  # noqa: E402

ACTIVATIONS = ("relu", "erf", "sigmoid", "tanh")
K_RANGE = range(2, 41)
REF_DPS = 80
TIMING_CALLS = 7

N_POINTS = 100_000
DIM = 20
EVAL_KS = (8, 10, 12, 14, 16)
BASELINE_BYTES = 1e9


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------
def print_header():
    threads = os.environ.get("OMP_NUM_THREADS", "default")
    print("lbkit core benchmarks")
    print(f"  date      {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(
        f"  python    {platform.python_version()}   numpy {np.__version__}   mpmath {mp.__version__}"
        f"   lbkit {lbkit.__version__}"
    )
    print(f"  threads   OMP_NUM_THREADS={threads}   (os.cpu_count() = {os.cpu_count()})")
    print()


def time_call(fn, *, repeats):
    """Best wall time (s) of ``repeats`` calls of ``fn``, and the last result."""
    best, out = math.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def rel_err(x, ref):
    """|x - ref| / |ref| for a float x and an mpmath reference, as a float."""
    with mp.workdps(REF_DPS):
        return float(abs(mp.mpf(x) - ref) / abs(ref))


# ----------------------------------------------------------------------------
# 1. exact norms
# ----------------------------------------------------------------------------
def mp_kernel(name):
    """The dual kernel K(rho) of ``name`` as an mpmath function (at the caller's precision)."""
    if name in MP_KERNELS:  # closed forms, written in tests/reference.py independently of lbkit
        return MP_KERNELS[name]
    # smooth built-ins: Mehler's series with lbkit's own high-precision coefficients
    act = lbkit.get_activation(name)
    coeffs = act.hermite_coefficients(act.coefficient_source.max_degree, high_precision=True)
    with mp.workdps(REF_DPS):
        c2_high_first = [mp.mpf(float(c)) ** 2 for c in coeffs[::-1]]
    return lambda r: mp.polyval(c2_high_first, r)


def reference_norm_squared(k, kernel):
    """2^k sum_d C(k, d) (-1)^d K(1 - 2d/k) in REF_DPS-digit arithmetic."""
    return mp_alternating_norm(k, kernel, dps=REF_DPS)


def norm_table():
    print("1. norm_squared(k, a): lbkit (Hermite series) vs 80-digit dual-kernel reference")
    print()
    head = f"{'k':>3}  {'activation':<10} {'value':>20}  {'rel.err':>8}  {'ms':>8}  {'dual_kernel f64':>15}"
    print(head)
    print("-" * len(head))
    summary = []
    for name in ACTIVATIONS:
        act = lbkit.get_activation(name)
        ks = [k for k in K_RANGE if not act.vanishes(k)]
        skipped = [k for k in K_RANGE if act.vanishes(k)]
        # the first call pays the one-time setup (40-digit coefficients for sigmoid/tanh);
        # it must come before mp_kernel, which would otherwise fill the same cache
        first_s, _ = time_call(lambda: lbkit.norm_squared(ks[0], name), repeats=1)  # noqa: B023 - called at once
        kernel = mp_kernel(name)
        worst, worst_dual = (0.0, None), (0.0, None)
        for k in ks:
            times = []
            for _ in range(TIMING_CALLS):
                t0 = time.perf_counter()
                value = lbkit.norm_squared(k, name)
                times.append(time.perf_counter() - t0)
            dual = lbkit.norm_squared(k, name, method="dual_kernel")
            ref = reference_norm_squared(k, kernel)
            err, err_dual = rel_err(value, ref), rel_err(dual, ref)
            worst = max(worst, (err, k))
            worst_dual = max(worst_dual, (err_dual, k))
            print(
                f"{k:>3}  {name:<10} {value:>20.12e}  {err:>8.1e}  {1e3 * statistics.median(times):>8.3f}"
                f"  {err_dual:>15.1e}"
            )
        summary.append((name, first_s, skipped, worst, worst_dual))
        print("-" * len(head))
    print()
    print("first call per activation (one-time setup, not in the ms column):")
    for name, first_s, *_ in summary:
        print(f"  {name:<8} {1e3 * first_s:9.1f} ms")
    print("k skipped because the parity rule gives f_S = 0 exactly:")
    for name, _, skipped, *_ in summary:
        print(f"  {name:<8} {', '.join(map(str, skipped)) or 'none'}")
    print("max relative error over k = 2..40:")
    for name, _, _, (err, k), (err_dual, k_dual) in summary:
        print(f"  {name:<8} hermite {err:.1e} (k={k})    dual_kernel float64 {err_dual:.1e} (k={k_dual})")
    print("note: for relu and erf the reference uses closed-form kernels (independent of lbkit). For sigmoid")
    print("      and tanh it shares lbkit's 40-digit Hermite coefficients (as the float64 values lbkit returns):")
    print("      it checks the summation, not the coefficients.")
    print()


# ----------------------------------------------------------------------------
# 2. network evaluation
# ----------------------------------------------------------------------------
def eval_table():
    print(f"2. f_S evaluation: relu, normalised, n = {DIM}, S = range(k), N = {N_POINTS} Gaussian points")
    print("   baseline: np.maximum(X @ W.T, 0) @ a on the first N_base = min(N, 1e9/8/2^k) rows")
    print()
    head = (
        f"{'k':>3} {'hidden':>7} {'dtype':>8} {'lbkit s':>8} {'lbkit pts/s':>12} {'N_base':>7}"
        f" {'base pts/s':>11} {'ratio':>6} {'max|diff|':>9}"
    )
    print(head)
    print("-" * len(head))
    X64 = lbkit.sample("gaussian", N_POINTS, DIM, rng=0)
    for k in EVAL_KS:
        f = lbkit.orthogonal_network(DIM, range(k), "relu", normalized=True)
        n_base = int(min(N_POINTS, BASELINE_BYTES / 8 / 2**k))
        repeats = 2 if k <= 12 else 1
        for dtype in (np.float64, np.float32):
            X = X64.astype(dtype)
            W, a = f.W.astype(dtype), f.a.astype(dtype)
            Xb = X[:n_base]
            t_lbkit, y = time_call(lambda: f(X, dtype=dtype), repeats=repeats)  # noqa: B023 - called at once
            t_base, y_base = time_call(lambda: np.maximum(Xb @ W.T, 0) @ a, repeats=repeats)  # noqa: B023
            diff = float(np.max(np.abs(y[:n_base].astype(np.float64) - y_base)))
            rate, rate_base = N_POINTS / t_lbkit, n_base / t_base
            print(
                f"{k:>3} {2**k:>7} {np.dtype(dtype).name:>8} {t_lbkit:>8.3f} {rate:>12.3e} {n_base:>7}"
                f" {rate_base:>11.3e} {rate / rate_base:>6.2f} {diff:>9.1e}"
            )
            del y_base
    print()


def main():
    t0 = time.perf_counter()
    print_header()
    norm_table()
    eval_table()
    print(f"total wall time {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
