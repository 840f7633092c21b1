"""Benchmark of the certified adversary game (lbkit.certify): exact elimination counts at real sizes.

Run from the repository root::

    python benchmarks/bench_adversary.py

1. Certified queries per second at n = 1000, k = 10 (C(1000, 10) ~ 2.6e23
   candidates), ReLU targets, for tau = 1e-2, 1e-3, 1e-4:
   * neuron queries ``relu(v . x)`` with random unit v (one query each);
   * square-loss gradients of a random width-8 bias-free ReLU student
     (W ~ N(0, I/n), a ~ N(0, 1/8)), each gradient being 8 * 1001 = 8008
     normalised coordinate queries; queries/s counts coordinates.
   Each count is exact (random queries at this size eliminate nothing: the
   search certifies it after one evaluation of the bound per hidden unit).
   Also timed: two deliberately aligned queries, which eliminate many
   candidates (a neuron spread evenly over 14 coordinates, and a student unit
   spread over 11 coordinates, at tau = 1e-4 and 1e-3).
2. Against brute-force enumeration (``AdversaryGame.correlations`` /
   ``gradient_correlations``, which evaluate every support) at the largest
   size where both run within a minute: n = 16, k = 10 (8,008 supports).  The
   same random queries are answered both ways; the counts must agree and the
   ratio is brute-force time / certified time (above 1: certified is faster).

Timings depend on the machine and its load; they are medians over repeats in
one run, and the ratios compare timings taken in the same run.  The run takes
about a minute on an idle 2-core machine.
"""

from __future__ import annotations

import math
import statistics
import sys
import time

import numpy as np

import lbkit
from lbkit import AdversaryGame, NeuronQuery


def timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main():
    rng = np.random.default_rng(2026)
    n, k, width = 1000, 10, 8
    print(f"lbkit {lbkit.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}", flush=True)
    print(
        f"\n1. certified queries at n = {n}, k = {k} (C(n, k) = {math.comb(n, k):.3e} candidates), relu targets",
        flush=True,
    )
    print(f"{'query':<34}{'tau':>8}{'eliminated':>12}{'s/call':>11}{'queries/s':>12}", flush=True)
    rates = {}
    for tau in (1e-2, 1e-3, 1e-4):
        game = AdversaryGame(n, k, "relu", tau=tau)
        vs = [NeuronQuery(rng.standard_normal(n)) for _ in range(200)]
        it = iter(vs)
        game.ask(vs[0])  # warm-up (kernel set-up is cached)
        t, _ = timed(lambda game=game, it=it: game.ask(next(it)), 150)
        rates["neuron", tau] = 1 / t
        print(
            f"{'random neuron':<34}{tau:>8.0e}{game.n_candidates - game.n_consistent:>12}{t:>11.2e}{1 / t:>12.3g}",
            flush=True,
        )
        students = [
            (rng.standard_normal((width, n)) / math.sqrt(n), rng.standard_normal(width) / math.sqrt(width))
            for _ in range(30)
        ]
        its = iter(students)
        t, _ = timed(lambda game=game, its=its: game.ask_gradient(*next(its)), 25)
        q = width * (n + 1)
        rates["gradient", tau] = q / t
        print(
            f"{'random width-8 gradient (8008 q)':<34}{tau:>8.0e}{game.n_candidates - game.n_consistent:>12}"
            f"{t:>11.2e}{q / t:>12.3g}",
            flush=True,
        )
    v = np.zeros(n)
    v[:14] = 1.0
    game = AdversaryGame(n, k, "relu", tau=1e-4)
    t, _ = timed(lambda: game.hits(NeuronQuery(v)), 3)
    print(
        f"{'aligned neuron (14 coordinates)':<34}{1e-4:>8.0e}{len(game.hits(NeuronQuery(v))[0]):>12}"
        f"{t:>11.2e}{1 / t:>12.3g}",
        flush=True,
    )
    W = np.zeros((1, n))
    W[0, :11] = 1.0
    t, hits = timed(lambda: lbkit.certified_gradient_hits(W, [1.0], k, 1e-3), 1)
    print(f"{'aligned unit (11 coordinates)':<34}{1e-3:>8.0e}{len(hits):>12}{t:>11.2e}{(n + 1) / t:>12.3g}", flush=True)

    nb, kb = 16, 10
    print(
        f"\n2. certified search vs brute-force enumeration at n = {nb}, k = {kb} ({math.comb(nb, kb)} supports)",
        flush=True,
    )
    ratios = {}
    for kind in ("neuron", "gradient"):
        tau = 1e-4
        if kind == "neuron":
            qs = [NeuronQuery(rng.standard_normal(nb)) for _ in range(2)]

            def brute(qs=qs, tau=tau):
                g = AdversaryGame(nb, kb, "relu", tau=tau)
                return [int(np.sum(np.abs(g.correlations(q)[1]) > tau)) for q in qs]

            def cert(qs=qs, tau=tau):
                g = AdversaryGame(nb, kb, "relu", tau=tau)
                return [len(g.hits(q)[0]) for q in qs]
        else:
            qs = [(rng.standard_normal((2, nb)), rng.standard_normal(2)) for _ in range(2)]

            def brute(qs=qs, tau=tau):
                g = AdversaryGame(nb, kb, "relu", tau=tau)
                out = []
                for W, a in qs:
                    r, c = g.gradient_correlations(W, a)
                    out.append(int(np.sum(np.abs(c).reshape(len(r), -1).max(axis=1) > tau)))
                return out

            def cert(qs=qs, tau=tau):
                g = AdversaryGame(nb, kb, "relu", tau=tau)
                return [len(g.gradient_hits(W, a)[0]) for W, a in qs]

        tb, cb = timed(brute, 1)
        tc, cc = timed(cert, 3)
        assert cb == cc, (kind, cb, cc)
        ratios[kind] = tb / tc
        print(
            f"  {kind:<9} queries: eliminated {cb} (both ways); brute force {tb / len(qs):.3g} s/call, "
            f"certified {tc / len(qs):.3g} s/call, ratio {tb / tc:.3g}"
        )
    print(
        f"\nRESULT n=1000 k=10 tau=1e-4: certified neuron queries/s = {rates['neuron', 1e-4]:.3g}, "
        f"certified gradient-coordinate queries/s = {rates['gradient', 1e-4]:.3g}; "
        f"speed-up over brute force at n=16 k=10: neuron {ratios['neuron']:.3g}x, gradient {ratios['gradient']:.3g}x"
    )


if __name__ == "__main__":
    main()
