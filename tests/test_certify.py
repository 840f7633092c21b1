"""lbkit.certify: the certified branch-and-bound search against brute-force enumeration.

Proof obligations (issue 16): the counts equal enumeration wherever it is
feasible (random and adversarially aligned queries, n <= 24, every activation
the certified game supports); no query eliminates 1/tau^2 candidates or more;
the pruning bound is never below the exact correlation on any support tested;
what cannot be certified is refused.
"""

import itertools
import math

import numpy as np
import pytest

import lbkit
from lbkit import certify, certify_gradient
from lbkit.certify import CertificationError

# every certified activation with the support sizes its parity rule allows
ACT_K = [
    ("relu", 2),
    ("relu", 4),
    ("relu", 6),
    ("abs", 4),
    ("leaky_relu", 4),
    ("leaky_relu", 1),
    ("erf", 3),
    ("erf", 5),
    ("sigmoid", 3),
    ("tanh", 5),
    ("softplus", 4),
    ("gelu", 4),
    ("gelu", 6),
]


def queries(n, k, rng):
    """Random, aligned, spread, near-aligned, sparse and tiny-scale weight vectors."""
    out = [rng.standard_normal(n), rng.standard_normal(n) ** 3]
    v = np.zeros(n)
    v[rng.choice(n, k, replace=False)] = rng.choice([-1, 1], k)
    out.append(v)  # aligned with one S
    v = np.zeros(n)
    v[: k + 3] = 1.0
    out.append(v)  # ties: spread evenly
    v = np.zeros(n)
    v[: k + 1] = 1.0
    v += 1e-3 * rng.standard_normal(n)
    out.append(v)  # near ties
    v = np.zeros(n)
    v[: k - 1] = 1.0
    v[-1] = 1e-9
    out.append(v)  # one tiny coordinate
    return [lbkit.NeuronQuery(x).v for x in out]


def brute_neuron(v, k, act, tau):
    game = lbkit.AdversaryGame(len(v), k, act, tau=tau)
    ranks, corr = game.correlations(lbkit.NeuronQuery(v))
    return game, {game.supports[int(r)]: c for r, c in zip(ranks, corr)}


@pytest.mark.parametrize("act, k", ACT_K)
def test_neuron_counts_equal_enumeration(act, k):
    rng = np.random.default_rng([16, k, len(act)])
    n = 13 if k <= 4 else 12
    for v in queries(n, k, rng):
        _, allc = brute_neuron(v, k, act, 0.05)
        top = max(abs(c) for c in allc.values())
        for tau in (0.05, 0.01, 1e-3, max(top * 0.999, 1e-6)):
            expect = {S for S, c in allc.items() if abs(c) > tau}
            hits = certify.certified_neuron_hits(v, k, act, tau)
            got = {tuple(S): c for S, c in zip(hits.supports.tolist(), hits.corr)}
            assert set(got) == expect, (act, k, tau)
            assert all(abs(got[S] - allc[S]) < 1e-12 for S in got)
            assert len(got) < 1 / tau**2
        value, S = certify.largest_neuron_correlation(v, k, act)
        assert abs(value - top) < 1e-12 and abs(abs(allc[S]) - top) < 1e-12


@pytest.mark.parametrize("k, n", [(2, 24), (4, 16), (6, 12), (8, 12)])
def test_gradient_counts_equal_enumeration(k, n):
    rng = np.random.default_rng([17, k, n])
    students = [(rng.standard_normal((3, n)), rng.standard_normal(3))]
    W = np.zeros((2, n))
    W[0, :k] = 1.0
    W[1, : k + 2] = 1.0
    students.append((W, np.array([1.0, -2.0])))  # aligned and spread units
    W = rng.standard_normal((2, n))
    W[:, ::2] = 0.0
    students.append((W, rng.standard_normal(2)))  # sparse units (exact zeros)
    W = np.zeros((1, n))
    W[0, : k - 1] = 1.0
    students.append((W, np.ones(1)))  # k - 1 coordinates only
    for W, a in students:
        game = lbkit.AdversaryGame(n, k, "relu", tau=0.05)
        ranks, corr = game.gradient_correlations(W, a)
        best = np.abs(corr).reshape(len(ranks), -1).max(axis=1)
        for tau in (0.05, 0.01, 1e-3):
            expect = {game.supports[int(r)] for r, c in zip(ranks, best) if c > tau}
            hits = certify_gradient.certified_gradient_hits(W, a, k, tau)
            got = {tuple(S): c for S, c in zip(hits.supports.tolist(), hits.corr)}
            assert set(got) == expect
            exact = {game.supports[int(r)]: c for r, c in zip(ranks, best)}
            assert all(abs(got[S] - exact[S]) < 1e-12 for S in got)
            assert len(got) < (n + 1) * len(a) / tau**2  # Bessel, per coordinate
        value, S, upper = certify_gradient.largest_gradient_correlation(W, a, k)
        assert value <= best.max() + 1e-12 <= upper + 2e-12
        assert abs(value - best[game.supports.index(S)]) < 1e-12


def test_game_uses_the_certified_search_and_agrees_with_enumeration():
    rng = np.random.default_rng(3)
    n, k, tau = 14, 4, 0.01
    big = lbkit.AdversaryGame(n, k, "relu", tau=tau, max_enumerated=1)  # cannot enumerate: certified only
    small = lbkit.AdversaryGame(n, k, "relu", tau=tau)
    for _ in range(5):
        v = rng.standard_normal(n)
        big.ask(lbkit.NeuronQuery(v))
        ranks, corr = small.correlations(lbkit.NeuronQuery(v))
        small._eliminate(ranks[np.abs(corr) > tau])
        small._record(1)
        W, a = rng.standard_normal((2, n)), rng.standard_normal(2)
        big.ask_gradient(W, a)
        ranks, corr = small.gradient_correlations(W, a)
        small._eliminate(ranks[np.abs(corr).reshape(len(ranks), -1).max(axis=1) > tau])
        small._record(2 * (n + 1))
    assert big.history == small.history and big._eliminated == small._eliminated
    assert big.n_queries == big.n_queries_ == 5 * (1 + 2 * (n + 1))


def test_pruning_bound_is_never_below_the_exact_correlation():
    """The greedy-completion bound of a partial support dominates every extension (all supports, small n)."""
    rng = np.random.default_rng(4)
    n, k = 11, 4
    ev_n = certify._neuron_evaluator("relu", n, k)
    ev_g = certify_gradient._gradient_evaluator(n, k)
    for v in queries(n, k, rng):
        b = np.sort(np.abs(v))[::-1]
        exact = {pos: ev_n.phi(b[list(pos)][None, :])[0] for pos in itertools.combinations(range(n), k)}
        parts = {pos: ev_g.parts(b[list(pos)][None, :]) for pos in exact}
        for j in range(k):
            for prefix in itertools.combinations(range(n), j):
                last = prefix[-1] if prefix else -1
                if last + k - j >= n:
                    continue
                greedy = prefix + tuple(range(last + 1, last + 1 + k - j))
                ext = [pos for pos in exact if pos[:j] == prefix]
                assert exact[greedy] + ev_n.err >= max(exact[p] for p in ext)
                phi, psi, D, r = parts[greedy]
                e_phi, e_psi, e_d = ev_g.errors(r)
                bound = max(phi[0] + e_phi, D[0].max() + e_d[0], b[0] * (psi[0] + e_psi[0]))
                for p in ext:
                    f, s, d, _ = parts[p]
                    outside = [b[i] for i in range(n) if i not in p]
                    val = max(abs(f[0]), np.max(np.abs(d[0] - b[list(p)] * s[0])), max(outside) * abs(s[0]))
                    assert val <= bound


def test_theoretical_facts_behind_the_bound():
    """Phi, Psi, D_i >= 0, Euler's relation sum_i a_i D_i = Phi + Psi, monotonicity, and the sign rule."""
    rng = np.random.default_rng(5)
    k = 6
    ev = certify_gradient._gradient_evaluator(20, k)
    A = np.abs(rng.standard_normal((200, k)))
    A /= np.linalg.norm(A, axis=1, keepdims=True) * rng.uniform(1, 3, (200, 1))
    phi, psi, D, _ = ev.parts(A)
    assert np.all(phi > -1e-15) and np.all(psi > -1e-15) and np.all(D > -1e-15)
    assert np.allclose(np.sum(A * D, axis=1), phi + psi, atol=1e-13)
    phi2, psi2, D2, _ = ev.parts(A * 1.05)
    assert np.all(phi2 >= phi - 1e-15) and np.all(psi2 >= psi - 1e-15) and np.all(D2 >= D - 1e-15)
    # the neuron correlation is chi(sign v_S) Phi(|v_S|)
    game = lbkit.AdversaryGame(9, 4, "relu", tau=0.1)
    v = lbkit.NeuronQuery(rng.standard_normal(9)).v
    ranks, corr = game.correlations(lbkit.NeuronQuery(v))
    ev_n = certify._neuron_evaluator("relu", 9, 4)
    for r, c in zip(ranks[::17], corr[::17]):
        S = list(game.supports[int(r)])
        assert abs(np.prod(np.sign(v[S])) * ev_n.phi(np.abs(v[S])[None, :])[0] / ev_n.scale - c) < 1e-13


def test_real_size_counts():
    """n = 1000, k = 10: random queries hit nothing; spread queries hit exactly the supports their
    structure predicts."""
    n, k = 1000, 10
    rng = np.random.default_rng(6)
    game = lbkit.AdversaryGame(n, k, "relu", tau=1e-4)
    assert game.n_candidates == math.comb(1000, 10)
    for _ in range(20):
        game.ask(lbkit.NeuronQuery(rng.standard_normal(n)))
    game.ask_gradient(rng.standard_normal((8, n)) / math.sqrt(n), rng.standard_normal(8))
    assert game.n_consistent == game.n_candidates and game.n_queries_ == 20 + 8 * (n + 1)
    v = np.zeros(n)
    v[:14] = 1.0
    perm = rng.permutation(n)
    ranks, corr = game.hits(lbkit.NeuronQuery(v[perm]))
    assert len(ranks) == math.comb(14, 10) and np.all(np.abs(corr) > 1e-4)
    inside = set(np.nonzero(v[perm])[0].tolist())
    assert all(set(game.supports[int(r)]) <= inside for r in ranks[:50])
    value, S = game.largest_correlation(lbkit.NeuronQuery(v[perm]))
    assert set(S) <= inside and abs(value - np.max(np.abs(corr))) < 1e-15
    v = np.zeros(n)
    v[:15] = 1.0  # one more coordinate: every correlation falls below 1e-4
    assert len(game.hits(lbkit.NeuronQuery(v))[0]) == 0
    value, S, upper = game.largest_gradient_correlation(rng.standard_normal((4, n)), np.ones(4))
    assert 0 < value <= upper < 1e-6


def test_refusals():
    v = lbkit.NeuronQuery(np.ones(30)).v
    with pytest.raises(CertificationError, match="max_evaluations"):
        certify.certified_neuron_hits(v, 4, "relu", 1e-4, max_evaluations=10)
    with pytest.raises(CertificationError, match="built-in activations"):
        certify.certified_neuron_hits(v, 3, lbkit.get_activation(lambda t: t**3 + np.sin(t)), 0.01)
    with pytest.raises(CertificationError, match="k=18"):
        certify.certified_neuron_hits(lbkit.NeuronQuery(np.ones(40)).v, 18, "relu", 0.01)
    with pytest.raises(CertificationError, match="even k"):
        certify_gradient.certified_gradient_hits(np.ones((1, 9)), [1.0], 3, 0.01)
    with pytest.raises(ValueError, match="unit vector"):
        certify.certified_neuron_hits(np.ones(9), 4, "relu", 0.01)
    with pytest.raises(ValueError, match="odd part is linear"):
        certify.certified_neuron_hits(lbkit.NeuronQuery(np.ones(9)).v, 3, "relu", 0.01)
    with pytest.raises(ValueError, match="non-zero rows"):
        certify_gradient.certified_gradient_hits(np.zeros((1, 9)), [1.0], 4, 0.01)
    game = lbkit.AdversaryGame(40, 4, "relu", tau=1e-4, max_evaluations=5)
    with pytest.raises(CertificationError):
        game.ask(lbkit.NeuronQuery(np.ones(40)))
    assert game.n_queries_ == 0 and game.history == [(0, game.n_candidates)]  # a refused query is not counted
    custom = lbkit.AdversaryGame(
        200, 3, lbkit.get_activation(lambda t: np.tanh(t) + 0.1 * t**3), max_enumerated=1000
    )  # a custom activation: enumeration only
    with pytest.raises(ValueError, match="max_enumerated"):
        custom.ask(lbkit.NeuronQuery(np.ones(200)))


@pytest.mark.parametrize("scale", [1e-200, 1e-30, 1.0, 1e30, 1e200])
def test_neuron_queries_are_scale_invariant(scale):
    v = np.array([3.0, -4.0, 0.0, 12.0])
    q = lbkit.NeuronQuery(v * scale)
    assert np.allclose(q.v, v / 13, rtol=1e-15, atol=0)
    game = lbkit.AdversaryGame(4, 2, "relu", tau=0.01)
    assert np.array_equal(game.correlations(q)[1], game.correlations(lbkit.NeuronQuery(v))[1])
