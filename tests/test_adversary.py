"""lbkit.adversary: exact correlations against Monte Carlo, Bessel's inequality, bookkeeping, errors."""

import math

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermeval

import lbkit
from lbkit import AdversaryGame, FamilyQuery, HermiteQuery, NeuronQuery
from lbkit.supports import sign_patterns


def h(m, x):
    return hermeval(x, [0] * m + [1]) / math.sqrt(math.factorial(m))


@pytest.fixture(scope="module")
def X():
    return lbkit.sample("gaussian", 1_000_000, 6, rng=11)


def mc_corr(X, phi_values, S, act="relu"):
    f = lbkit.orthogonal_network(X.shape[1], S, act, normalized=True)
    return lbkit.mean_se(phi_values * f(X))


@pytest.mark.parametrize("act, k", [("relu", 2), ("erf", 3)])
def test_neuron_correlations_match_monte_carlo(X, act, k):
    game = AdversaryGame(6, k, act, tau=0.05)
    q = NeuronQuery(np.random.default_rng(1).standard_normal(6))
    ranks, corr = game.correlations(q)
    assert len(ranks) == game.n_candidates
    sigma = lbkit.get_activation(act)
    phi = sigma(X @ q.v) / math.sqrt(float(sigma.dual_kernel(1.0)))
    for r in ranks[:: max(1, len(ranks) // 4)]:
        mean, se = mc_corr(X, phi, game.supports[r], act)
        assert abs(mean - corr[list(ranks).index(r)]) < 5 * se


def test_hermite_correlations_match_monte_carlo_and_touch_only_named_supports(X):
    game = AdversaryGame(6, 2, "relu", tau=0.05)
    q = HermiteQuery({((0, 1), (1, 3)): 1.0, ((2, 1), (3, 1)): 0.5, ((4, 2), (5, 1)): 2.0, ((0, 1),): 1.0})
    ranks, corr = game.correlations(q)
    assert sorted(game.supports[r] for r in ranks) == [(0, 1), (2, 3)]  # even degree / wrong size: orthogonal
    phi = (
        h(1, X[:, 0]) * h(3, X[:, 1])
        + 0.5 * h(1, X[:, 2]) * h(1, X[:, 3])
        + 2.0 * h(2, X[:, 4]) * h(1, X[:, 5])
        + h(1, X[:, 0])
    ) / q.norm
    for r, c in zip(ranks, corr):
        mean, se = mc_corr(X, phi, game.supports[r])
        assert abs(mean - c) < 5 * se
    # the degree-k term has the closed form 2^k c_k k^(-k/2) sqrt(k!) / ||f_S||
    c2 = lbkit.get_activation("relu").hermite_coefficients(2)[2]
    expected = 0.5 / q.norm * 4 * c2 / 2 * math.sqrt(2) / math.sqrt(lbkit.norm_squared(2, "relu"))
    assert corr[[game.supports[r] for r in ranks].index((2, 3))] == pytest.approx(expected, rel=1e-13)


def test_gradient_correlations_match_monte_carlo(X):
    game = AdversaryGame(6, 2, "relu", tau=0.05)
    rng = np.random.default_rng(2)
    W, a = rng.standard_normal((2, 6)), rng.standard_normal(2)
    ranks, corr = game.gradient_correlations(W, a)
    assert corr.shape == (game.n_candidates, 2, 7)
    for r in (0, 7):
        y = lbkit.orthogonal_network(6, game.supports[r], "relu", normalized=True)(X)
        for j in range(2):
            on = X @ W[j] > 0
            for i in range(6):
                mean, se = lbkit.mean_se(a[j] * on * X[:, i] * y)
                scale = abs(a[j]) / math.sqrt(2)
                assert abs(mean / scale - corr[r, j, i]) < 5 * se / scale
            mean, se = lbkit.mean_se(np.maximum(X @ W[j], 0) * y)
            scale = np.linalg.norm(W[j]) / math.sqrt(2)
            assert abs(mean / scale - corr[r, j, 6]) < 5 * se / scale


def test_relu_gradient_correlations_equal_the_hand_written_relu_kernel_derivative():
    # the former implementation, written out: K'(rho) = (pi - arccos rho) / (2 pi), coordinate norms |.|/sqrt 2
    game = AdversaryGame(7, 2, "relu", tau=0.05)
    rng = np.random.default_rng(5)
    W, a = rng.standard_normal((3, 7)), rng.standard_normal(3)
    ranks, corr = game.gradient_correlations(W, a)
    relu = lbkit.get_activation("relu")
    P = sign_patterns(2)
    chi, E = np.prod(P, axis=1), P / math.sqrt(2)
    norm = math.sqrt(lbkit.norm_squared(2, "relu"))
    for s, r in enumerate(ranks):
        S = list(game.supports[r])
        for j in range(3):
            w = W[j] / np.linalg.norm(W[j])
            rho = np.clip(E @ w[S], -1.0, 1.0)
            K, Kp = relu.dual_kernel(rho), (np.pi - np.arccos(rho)) / (2 * np.pi)
            grad = (chi @ K - chi @ (rho * Kp)) * w
            grad[S] += (chi * Kp) @ E
            np.testing.assert_allclose(corr[s, j, :7], np.sign(a[j]) * math.sqrt(2) * grad / norm, rtol=0, atol=1e-15)
            assert corr[s, j, 7] == pytest.approx(math.sqrt(2) * (chi @ K) / norm, rel=1e-14)


def test_gradient_correlations_of_another_activation_match_monte_carlo(X):
    # abs is in the ReLU family (positively homogeneous): K'(rho) = (2/pi) arcsin(rho) comes from the
    # activation; the coordinates' norms are |a_j| sqrt(K'(1)) = |a_j| and |w_j| sqrt(K(1)) = |w_j|
    game = AdversaryGame(6, 2, "abs", tau=0.05)
    rng = np.random.default_rng(3)
    W, a = rng.standard_normal((2, 6)), rng.standard_normal(2)
    ranks, corr = game.gradient_correlations(W, a)
    for r in (0, 9):
        y = lbkit.orthogonal_network(6, game.supports[r], "abs", normalized=True)(X)
        for j in range(2):
            z = X @ W[j]
            for i in range(6):
                mean, se = lbkit.mean_se(a[j] * np.sign(z) * X[:, i] * y)
                assert abs(mean / abs(a[j]) - corr[r, j, i]) < 5 * se / abs(a[j])
            mean, se = lbkit.mean_se(np.abs(z) * y)
            scale = np.linalg.norm(W[j])
            assert abs(mean / scale - corr[r, j, 6]) < 5 * se / scale
    assert np.max(np.abs(corr)) > 0.05  # the test is not comparing zeros


@pytest.mark.parametrize("seed", range(5))
def test_bessel_holds_exactly_for_every_query(seed):
    game = AdversaryGame(9, 2, "relu", tau=0.1)
    rng = np.random.default_rng(seed)
    _, corr = game.correlations(NeuronQuery(rng.standard_normal(9)))
    assert np.sum(corr**2) <= 1 + 1e-12
    _, g = game.gradient_correlations(rng.standard_normal((3, 9)), rng.standard_normal(3))
    assert np.all(np.sum(g**2, axis=0) <= 1 + 1e-12)  # each gradient coordinate is one norm-1 query
    before = game.n_consistent
    game.ask(NeuronQuery(rng.standard_normal(9)))
    assert before - game.n_consistent < 1 / game.tau**2


def test_family_queries_remove_exactly_one_and_bookkeeping():
    game = AdversaryGame(8, 2, "relu", tau=0.1)
    assert game.n_candidates == 28 and game.n_consistent == 28
    assert game.ask(FamilyQuery([0, 1])) == 0.0
    assert game.ask(FamilyQuery([0, 1])) == 0.0  # already eliminated: nothing changes
    game.ask(FamilyQuery([0, 1, 2]))  # wrong size: orthogonal to all
    assert game.n_consistent == 27 and game.n_queries == 3
    assert game.history == [(0, 28), (1, 27), (2, 27), (3, 27)]
    assert game.guaranteed() == pytest.approx(28 - 3 / 0.1**2, rel=1e-14)
    assert (0, 1) not in game.consistent(limit=30) and len(game.consistent(limit=30)) == 27
    answers = game.ask_gradient(np.ones((2, 8)), np.ones(2))
    assert answers.shape == (2, 9) and game.n_queries == 3 + 18
    assert "consistent=" in repr(game)


def test_huge_game_with_queries_that_name_their_supports():
    """Explicit counts: each query is known, before it is played, to eliminate exactly one candidate."""
    import mpmath as mp

    game = AdversaryGame(10**6, 40, "relu", tau=1e-3)
    count = math.comb(10**6, 40)
    assert game.n_candidates == count and game.n_consistent == count
    game.ask(FamilyQuery(range(0, 80, 2)))  # f_T itself: correlation 1, one candidate out
    assert game.n_consistent == count - 1
    # h_alpha, alpha = 1 on T' = {1, 3, ..., 79}, meets only f_T'; with w = u/sqrt(k) over the 2^k sign
    # patterns u, <h_alpha, f_T'> = 2^40 sqrt(40!) 40^-20 c_40, c_40 = E[relu(z) h_40(z)] by mpmath quadrature
    T2 = tuple(range(1, 81, 2))
    with mp.workdps(40):
        he40 = lambda z: mp.hermite(40, z / mp.sqrt(2)) * mp.mpf(2) ** -20  # noqa: E731 - He_40
        c40 = mp.quad(lambda z: z * he40(z) * mp.npdf(z), [0, 5, 10, 20, mp.inf]) / mp.sqrt(mp.factorial(40))
        inner = 2**40 * mp.sqrt(mp.factorial(40)) * mp.mpf(40) ** -20 * c40
        expected = float(inner / mp.sqrt(lbkit.norm_squared(40, "relu")))
    assert expected == pytest.approx(-2.8026e-3, rel=1e-4)  # beyond tau = 1e-3: f_T' is eliminated
    query = HermiteQuery({tuple((i, 1) for i in T2): 1.0})
    ranks, corr = game.correlations(query)
    assert list(ranks) == [game.supports.index(T2)]
    assert corr[0] == pytest.approx(expected, rel=1e-9)
    game.ask(query)
    assert game.n_consistent == count - 2 and game.n_queries == 2
    assert game.history == [(0, count), (1, count - 1), (2, count - 2)]
    game.ask(HermiteQuery({tuple((i, 1) for i in T2): 5.0}))  # the same candidate again: nothing left
    assert game.n_consistent == count - 2
    with pytest.raises(ValueError, match="meets every support"):
        game.ask(NeuronQuery(np.ones(10**6)))


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: AdversaryGame(6, 3, "relu"), ValueError, "odd part is linear"),
        (lambda: AdversaryGame(6, 2, "relu", tau=0), ValueError, r"tau must lie in \(0, 1\]"),
        (lambda: AdversaryGame(3, 4), ValueError, "k=4 is larger than n=3"),
        (lambda: AdversaryGame(6, 2).ask("x0"), TypeError, "unsupported query"),
        (lambda: AdversaryGame(6, 2).ask(NeuronQuery(np.ones(5))), ValueError, "length 5"),
        (lambda: AdversaryGame(6, 3, "erf").ask_gradient(np.ones((1, 6)), np.ones(1)), ValueError, "homogeneous"),
        (
            lambda: AdversaryGame(6, 2, "softplus").gradient_correlations(np.ones((1, 6)), np.ones(1)),
            ValueError,
            "homogeneous activation.*softplus",
        ),
        (lambda: AdversaryGame(6, 2).ask_gradient(np.ones((2, 5)), np.ones(2)), ValueError, r"shape \(p, 6\)"),
        (lambda: AdversaryGame(6, 2).ask_gradient(np.zeros((1, 6)), np.ones(1)), ValueError, "non-zero rows"),
        (lambda: NeuronQuery(np.zeros(3)), ValueError, "non-zero vector"),
        (lambda: HermiteQuery({((0, 1), (0, 3)): 1.0}), ValueError, "repeats a coordinate"),
        (lambda: HermiteQuery({((0, 0),): 1.0}), ValueError, "degree must be >= 1"),
        (lambda: HermiteQuery({}), TypeError, "non-empty dict"),
    ],
)
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
