"""Chapter 6's helpers (lbkit.stats, lbkit.sq, lbkit.hermite, lbkit.lower_bounds, lbkit.plotting, value_mp),
each against an independent reference and with its errors."""

import math

import mpmath as mp
import numpy as np
import pytest
import scipy.integrate
import scipy.special

from lbkit import CSQOracle, SQOracle, orthogonal_network
from lbkit.hermite import trapezoid_expectation
from lbkit.lower_bounds import log10_binom, odd_support_size, sq_bound_rows, sq_lower_bound
from lbkit.plotting import glue_values
from lbkit.sq import boolean_split, categorical_labels, multiclass_split, softmax_even_deviation, split_query
from lbkit.stats import binned_means

# ---------------------------------------------------------------------------------------------- binned_means


def test_binned_means_matches_a_loop_over_sorted_bins():
    rng = np.random.default_rng(0)
    s = rng.standard_normal(1003)
    v = s + rng.standard_normal(1003)
    score_mean, value_mean, value_se = binned_means(s, v, n_bins=7)
    edges = np.quantile(s, np.linspace(0, 1, 8))
    for b in range(7):
        upper = s <= edges[b + 1] if b == 6 else s < edges[b + 1]
        inside = (s >= edges[b]) & upper
        assert abs(inside.sum() - 1003 / 7) <= 2
        assert score_mean[b] == pytest.approx(s[inside].mean(), abs=1e-14)
        assert value_mean[b] == pytest.approx(v[inside].mean(), abs=1e-14)
        assert value_se[b] == pytest.approx(v[inside].std(ddof=1) / math.sqrt(inside.sum()), rel=1e-12)
    assert np.all(np.diff(score_mean) > 0)


def test_binned_means_errors():
    with pytest.raises(ValueError, match="one-dimensional"):
        binned_means(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match="finite"):
        binned_means(np.array([0.0, np.nan, 1.0]), np.zeros(3), n_bins=1)
    with pytest.raises(ValueError, match="fewer than 2"):
        binned_means(np.r_[np.zeros(10), 1.0], np.ones(11), n_bins=5)  # ties in score
    with pytest.raises(ValueError, match="n_bins"):
        binned_means(np.arange(4.0), np.arange(4.0), n_bins=0)
    with pytest.raises(TypeError):
        binned_means(["a", "b"], [1.0, 2.0])


# ------------------------------------------------------------------------------------------ categorical_labels


def test_categorical_labels_frequencies_match_the_probabilities():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    N = 200_000
    Y = categorical_labels(np.tile(p, (N, 1)), rng=1)
    assert Y.shape == (N, 4) and np.all(Y.sum(axis=1) == 1) and set(np.unique(Y)) == {0.0, 1.0}
    freq = Y.mean(axis=0)
    se = np.sqrt(p * (1 - p) / N)
    assert np.all(np.abs(freq - p) < 5 * se)


def test_categorical_labels_degenerate_rows_and_errors():
    P = np.eye(3)[[2, 0, 1, 2]]
    assert np.array_equal(categorical_labels(P, rng=np.random.default_rng(5)), P)
    with pytest.raises(ValueError, match="two-dimensional"):
        categorical_labels([0.5, 0.5], rng=0)
    with pytest.raises(ValueError, match="sum to 1"):
        categorical_labels([[0.5, 0.6]], rng=0)
    with pytest.raises(ValueError, match="non-negative"):
        categorical_labels([[1.5, -0.5]], rng=0)
    with pytest.raises(TypeError):
        categorical_labels([[0.5, 0.5]], rng=None)


# ------------------------------------------------------------------------------------------------ split_query


def test_split_query_adds_up_and_matches_separate_oracles():
    f = orthogonal_network(4, (0, 1, 2), "tanh", normalized=True)
    phi = lambda X, y: np.tanh(X[:, 0] + y * X[:, 1] * X[:, 2])
    make = dict(link="tanh", tau=0.05, mode="exact", n_samples=50_000, rng=3)
    s = split_query(SQOracle(f, **make), CSQOracle(f, **make), phi)
    assert abs(s.whole - (s.label_free + s.correlational)) < 1e-12
    phi0, phi1 = boolean_split(phi)
    sq, csq = SQOracle(f, **make), CSQOracle(f, **make)
    assert s.whole == sq(phi) and s.whole_se == sq.last_se_
    assert s.label_free == sq(lambda X, y: phi0(X))
    assert s.correlational == csq(phi1) and s.correlational_se == csq.last_se_


def test_split_query_errors():
    f = orthogonal_network(3, (0, 1, 2), "tanh")
    g = orthogonal_network(3, (0, 1, 2), "tanh")
    sq = SQOracle(f, link="tanh", mode="exact", n_samples=100, rng=0)
    with pytest.raises(TypeError, match="SQOracle"):
        split_query(CSQOracle(f, link="tanh", mode="exact", n_samples=100, rng=0), sq, lambda X, y: y)
    with pytest.raises(TypeError, match="CSQOracle"):
        split_query(sq, sq, lambda X, y: y)
    with pytest.raises(ValueError, match="one target"):
        split_query(sq, CSQOracle(g, link="tanh", mode="exact", n_samples=100, rng=0), lambda X, y: y)


# ------------------------------------------------------------------------------------------- multiclass_split


def test_multiclass_split_matches_explicit_loops():
    rng = np.random.default_rng(7)
    N, n, c = 2000, 3, 3
    X = rng.standard_normal((N, n))
    P = scipy.special.softmax(X @ rng.standard_normal((n, c)), axis=1)
    Y = categorical_labels(P, rng=rng)
    A = rng.standard_normal((c, n))
    phi = lambda X, Y: np.tanh(np.sum((X @ A.T) * Y, axis=1))
    s = multiclass_split(phi, X, Y, P)
    at = np.array([[math.tanh(float(A[j] @ X[i])) for j in range(c)] for i in range(N)])  # phi(x_i, e_j)
    values = np.array([at[i, int(np.argmax(Y[i]))] for i in range(N)])
    assert np.allclose(s.phis, at, atol=1e-14)
    assert s.whole == pytest.approx(values.mean(), abs=1e-14)
    assert s.whole_se == pytest.approx(values.std(ddof=1) / math.sqrt(N), rel=1e-10)
    assert s.label_free == pytest.approx(at.mean(), abs=1e-14)
    # label-free + correlational = the mean of E[phi | x] = sum_j p_j(x) phi(x, e_j)
    assert s.label_free + s.correlational == pytest.approx(np.mean(np.sum(P * at, axis=1)), abs=1e-14)
    assert s.residual == pytest.approx(s.whole - (s.label_free + s.correlational), abs=1e-14)
    assert abs(s.residual) < 4 * s.residual_se


def test_multiclass_split_errors():
    X = np.zeros((2, 1))
    Y = np.eye(2)
    P = np.full((2, 2), 0.5)
    phi = lambda X, Y: Y[:, 0]
    with pytest.raises(ValueError, match="shape"):
        multiclass_split(phi, X, Y, P[:1])
    with pytest.raises(ValueError, match="one-hot"):
        multiclass_split(phi, X, P, P)
    with pytest.raises(TypeError):
        multiclass_split("phi", X, Y, P)
    with pytest.raises(ValueError):
        multiclass_split(lambda X, Y: np.zeros(3), X, Y, P)


# ------------------------------------------------------------------------------------- softmax_even_deviation


def test_softmax_even_deviation_matches_scipy_on_the_grid():
    rng = np.random.default_rng(11)
    t = np.linspace(-6, 6, 1201)
    for _ in range(5):
        a, b = rng.standard_normal(4), rng.standard_normal(4)
        p = scipy.special.softmax(a[None, :] + t[:, None] * b[None, :], axis=1)
        p0 = scipy.special.softmax(a)
        expected = np.max(np.abs(p + np.flipud(p) - 2 * p0))
        assert softmax_even_deviation(a, b) == pytest.approx(expected, abs=1e-15)
    # two slopes +-s with equal total weight on each side: p_j - p_j(0) is odd (a shifted sigmoid)
    a = [0.3, -0.5, math.log(math.exp(0.3) + math.exp(-0.5))]
    assert softmax_even_deviation(a, [1.5, 1.5, -0.5]) < 1e-14
    assert softmax_even_deviation([0.0, 0.0, 0.0], [1.0, 1.0, -1.0]) > 0.05


def test_softmax_even_deviation_errors():
    with pytest.raises(ValueError, match="one length"):
        softmax_even_deviation([0.0, 0.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="one length"):
        softmax_even_deviation([0.0], [1.0])
    with pytest.raises(ValueError, match="finite"):
        softmax_even_deviation([0.0, np.inf], [1.0, 1.0])
    with pytest.raises(ValueError, match="odd"):
        softmax_even_deviation([0.0, 0.0], [1.0, -1.0], num=100)
    with pytest.raises(ValueError):
        softmax_even_deviation([0.0, 0.0], [1.0, -1.0], t_max=0.0)


# -------------------------------------------------------------------------------------- trapezoid_expectation


def test_trapezoid_expectation_against_moments_and_quad():
    assert trapezoid_expectation(lambda G: G[:, 0] ** 4, 1, 0.2) == pytest.approx(3.0, abs=1e-12)
    assert trapezoid_expectation(lambda G: np.cos(G[:, 0]) * np.cos(G[:, 1]), 2, 0.25) == pytest.approx(
        math.exp(-1.0), abs=1e-12
    )
    # a smooth, non-polynomial integrand: scipy's adaptive quadrature as the reference
    f = lambda z: 1 / (1 + z**2)
    ref, _ = scipy.integrate.quad(lambda z: f(z) * math.exp(-(z**2) / 2) / math.sqrt(2 * math.pi), -np.inf, np.inf)
    assert trapezoid_expectation(lambda G: f(G[:, 0]), 1, 0.1) == pytest.approx(ref, abs=1e-10)
    assert trapezoid_expectation(lambda G: np.ones(len(G)), 3, 0.3) == pytest.approx(1.0, abs=1e-14)


def test_trapezoid_expectation_errors():
    with pytest.raises(TypeError):
        trapezoid_expectation(1.0, 1, 0.1)
    with pytest.raises(ValueError):
        trapezoid_expectation(lambda G: G[:, 0], 0, 0.1)
    with pytest.raises(ValueError):
        trapezoid_expectation(lambda G: G[:, 0], 1, 0.0)
    with pytest.raises(ValueError, match="shape"):
        trapezoid_expectation(lambda G: G, 2, 0.5)
    with pytest.raises(ValueError, match="NaN"):
        trapezoid_expectation(lambda G: np.where(G[:, 0] > 0, np.inf, 0.0), 1, 0.5)
    with pytest.raises(ValueError):
        trapezoid_expectation(lambda G: G[:, 0], 8, 0.01)  # far beyond the memory limit


# ---------------------------------------------------------------------------------------------------- value_mp


def _mp_network(f, x, act):
    """f_S(x) as an independent 50-digit sum over the 2^k sign patterns."""
    mp_act = {"tanh": mp.tanh, "sigmoid": lambda t: 1 / (1 + mp.exp(-t))}[act]
    k = len(f.S)
    with mp.workdps(50):
        total = mp.mpf(0)
        for bits in range(2**k):
            w = [-1 if (bits >> i) & 1 else 1 for i in range(k)]
            total += math.prod(w) * mp_act(sum(mp.mpf(float(x[s])) * wi for s, wi in zip(f.S, w)) / mp.sqrt(k))
        return total


@pytest.mark.parametrize("act, normalized", [("tanh", True), ("sigmoid", False), ("sigmoid", True)])
def test_value_mp_matches_an_independent_sum_and_float64(act, normalized):
    f = orthogonal_network(6, (0, 2, 5), act, normalized=normalized)
    rng = np.random.default_rng(2)
    for x in rng.standard_normal((3, 6)):
        ref = _mp_network(f, x, act) / (mp.mpf(f.norm) if normalized else 1)
        assert abs(float(f.value_mp(x, dps=40)) - float(ref)) < 1e-30 + 1e-25 * abs(float(ref))
        assert float(f.value_mp(x)) == pytest.approx(f(x[None, :])[0], rel=1e-9, abs=1e-15)


def test_value_mp_errors():
    f = orthogonal_network(4, (0, 1, 2), "tanh")
    with pytest.raises(ValueError, match="built-in"):
        orthogonal_network(4, (0, 1, 2), "relu").value_mp(np.zeros(4))
    with pytest.raises(ValueError, match="one point"):
        f.value_mp(np.zeros((2, 4)))
    with pytest.raises(ValueError):
        f.value_mp(np.zeros(3))
    with pytest.raises(ValueError, match="dps"):
        f.value_mp(np.zeros(4), dps=10)
    with pytest.raises(ValueError, match="k <= 16"):
        orthogonal_network(20, range(17), "tanh").value_mp(np.zeros(20))


# ----------------------------------------------------------------------------- odd_support_size, sq_bound_rows


def test_odd_support_size_matches_brute_force():
    for n in list(range(2, 3000)) + [10**4, 10**5, 10**6, 2**20, 2**20 + 1, 2**21 - 1]:
        # floor: the largest odd k with 2^k <= 2n, by counting up
        k = 1
        while 2 ** (k + 2) <= 2 * n:
            k += 2
        assert odd_support_size(n, "floor") == k
        # nearest: the odd k minimising |k - log2 n|, ties to the k that is 1 mod 4
        L = math.log2(n)
        best = min(range(1, 64, 2), key=lambda j: (abs(j - L), j % 4 != 1))
        assert odd_support_size(n) == best, n


def test_odd_support_size_errors():
    with pytest.raises(ValueError):
        odd_support_size(1)
    with pytest.raises(ValueError, match="rule"):
        odd_support_size(100, "ceil")
    with pytest.raises(TypeError):
        odd_support_size(100.5)


def test_sq_bound_rows_against_sq_lower_bound():
    rows = sq_bound_rows([100, 10**6], (1e-2, 1e-3), 0.25, label_norm=0.5, rule="floor", decimals=3)
    assert [r["k"] for r in rows] == [7, 19]
    for r in rows:
        n, k = r["n"], r["k"]
        assert r["hidden units"] == 2**k
        assert r["log10 C(n,k)"] == round(math.log10(math.comb(n, k)), 3)
        for tau in (1e-2, 1e-3):
            exact = 2 * math.log10(tau / 0.5) + math.log10(math.comb(n, k) - 4)
            assert abs(r[f"log10 q, tau={tau:g}"] - exact) <= 0.0005 + 1e-12
            assert r[f"log10 q, tau={tau:g}"] == round(sq_lower_bound(n, k, tau, 0.25, label_norm=0.5), 3)
    assert rows[0]["log10 C(n,k)"] == round(log10_binom(100, 7), 3)
    with pytest.raises(ValueError):
        sq_bound_rows([100], [1e-2], 0.5, decimals=-1)
    with pytest.raises(ValueError):
        sq_bound_rows([1], [1e-2], 0.5)


# ------------------------------------------------------------------------------------------------ glue_values


def test_glue_values_glues_plain_numbers_in_order(monkeypatch):
    import myst_nb

    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: calls.append((name, value, display)))
    glue_values(a=np.float64(0.5), b=np.int64(3), c="text", d=2)
    assert calls == [("a", 0.5, False), ("b", 3, False), ("c", "text", False), ("d", 2, False)]
    assert type(calls[0][1]) is float and type(calls[1][1]) is int
    calls.clear()
    for bad in (True, np.arange(2), None):
        with pytest.raises(TypeError, match="numbers and strings"):
            glue_values(ok=1.0, bad=bad)
    assert calls == []  # nothing glued when a value is refused
