"""Tests of lbkit.sq against independent references (closed forms, direct numpy means)."""

import math
import subprocess
import sys

import numpy as np
import pytest

import lbkit
import lbkit.sq as sq
from lbkit.sq import ORACLE_MODES, CSQOracle, SQOracle, boolean_split

N_FIX = 200_000  # size of the fixed sample in most exact/adversarial tests (the default is 10**6)

# Closed forms for the normalised ReLU network with k = 2.  With u = (x1+x4)/sqrt2 and
# v = (x1-x4)/sqrt2 independent standard Gaussians, f_S = (|u| - |v|) / sqrt(2 - 4/pi).
NORM2 = 2 - 4 / math.pi
# E[x1 x4 f_S] = (E|z|^3 - E|z|) / sqrt(NORM2) = sqrt(2/pi) / sqrt(NORM2)
CORR_X1X4 = math.sqrt(2 / math.pi) / math.sqrt(NORM2)
# E[f_S^4] = E(|u|-|v|)^4 / NORM2^2 = (12 - 32/pi) / NORM2^2
FOURTH = (12 - 32 / math.pi) / NORM2**2


@pytest.fixture(scope="module")
def f():
    return lbkit.orthogonal_network(6, [1, 4], "relu", normalized=True)


@pytest.fixture(scope="module")
def g():
    return lbkit.orthogonal_network(6, [0, 2], "relu", normalized=True)


def x1x4(X):
    return X[:, 1] * X[:, 4]  # E[(x1 x4)^2] = 1: a unit-norm query


# --------------------------------------------------------------------------- exact mode
def test_closed_forms_are_right():
    # independent check of the test's own references by plain Monte Carlo
    rng = np.random.default_rng(123)
    u, v = rng.standard_normal((2, 400_000))
    fs = (np.abs(u) - np.abs(v)) / math.sqrt(NORM2)
    assert abs(np.mean(fs**2) - 1) < 0.01
    assert abs(np.mean(fs**4) - FOURTH) < 0.05 * FOURTH
    assert abs(np.mean((u**2 - v**2) / 2 * fs) - CORR_X1X4) < 0.01


def test_exact_default_size_self_correlation(f):
    oracle = CSQOracle(f, mode="exact", rng=0)  # n_samples = 10**6 by default
    assert oracle.n_samples == 10**6
    ans = oracle(f)  # E[f_S^2] = 1 exactly
    assert abs(ans - 1.0) < 4 * oracle.last_se_
    assert 1e-4 < oracle.last_se_ < 5e-3


@pytest.mark.parametrize("k", [2, 4])
def test_exact_self_and_cross(k):
    fS = lbkit.orthogonal_network(6, range(k), "relu", normalized=True)
    fT = lbkit.orthogonal_network(6, range(1, k + 1), "relu", normalized=True)
    oracle = CSQOracle(fS, mode="exact", rng=1, n_samples=N_FIX)
    a = oracle(fS)
    assert abs(a - 1.0) < 4 * oracle.last_se_
    b = oracle(fT)  # exactly orthogonal
    assert abs(b) < 4 * oracle.last_se_


def test_exact_against_closed_form(f):
    oracle = CSQOracle(f, mode="exact", rng=2, n_samples=N_FIX)
    ans = oracle(x1x4)
    assert abs(ans - CORR_X1X4) < 4 * oracle.last_se_


def test_exact_se_matches_direct_formula(f):
    oracle = CSQOracle(f, mode="exact", rng=3, n_samples=N_FIX)
    oracle(f)
    # Var(f^2) = E f^4 - 1, so SE = sqrt((E f^4 - 1) / n_samples)
    se_theory = math.sqrt((FOURTH - 1) / N_FIX)
    assert abs(oracle.last_se_ / se_theory - 1) < 0.1


def test_exact_is_a_fixed_sample_shared_by_seed(f, g):
    a = CSQOracle(f, mode="exact", rng=4, n_samples=N_FIX)
    b = CSQOracle(f, mode="exact", rng=4, n_samples=N_FIX)
    c = CSQOracle(f, mode="exact", rng=5, n_samples=N_FIX)
    q = lambda X: np.tanh(X[:, 1] - X[:, 4])  # noqa: E731
    assert a(q) == a(q) == b(q)
    assert a(q) != c(q)


def test_exact_uncached_equals_cached(f, monkeypatch):
    size = 70_001  # two chunks, the second partial
    cached = CSQOracle(f, mode="exact", rng=6, n_samples=size)
    first = cached(x1x4)  # the fixed sample is drawn (and cached) at the first query
    monkeypatch.setattr(sq, "_CACHE_BYTES", 0)
    uncached = CSQOracle(f, mode="exact", rng=6, n_samples=size)
    assert first == uncached(x1x4) == uncached(x1x4) == cached(x1x4)
    assert cached._cache_X is not None and uncached._cache_X is None


def test_exact_matches_numpy_mean_on_same_points(f):
    # rebuild the documented fixed sample by hand: chunk i from default_rng([seed, i])
    size = 70_001
    oracle = CSQOracle(f, mode="exact", rng=7, n_samples=size)
    seed = int(np.random.default_rng(7).integers(2**63))
    sizes = [2**16, size - 2**16]
    X = np.vstack([lbkit.sample("gaussian", s, 6, rng=np.random.default_rng([seed, i])) for i, s in enumerate(sizes)])
    vals = x1x4(X) * f(X)
    assert abs(oracle(x1x4) - vals.mean()) < 1e-13
    assert abs(oracle.last_se_ - vals.std(ddof=1) / math.sqrt(size)) < 1e-12


def test_sphere_distribution_orthogonality(f, g):
    oracle = CSQOracle(f, distribution="sphere", mode="exact", rng=8, n_samples=N_FIX)
    assert abs(oracle(g)) < 4 * oracle.last_se_


def test_n_from_argument_for_plain_callable():
    target = lambda X: np.sign(X[:, 0])  # noqa: E731
    oracle = CSQOracle(target, n=3, mode="exact", rng=9, n_samples=N_FIX)
    ans = oracle(lambda X: X[:, 0])  # E[|x_0|] = sqrt(2/pi)
    assert abs(ans - math.sqrt(2 / math.pi)) < 4 * oracle.last_se_


# --------------------------------------------------------------------------- sample mode
def test_sample_default_m():
    f = lbkit.orthogonal_network(4, [0, 1], "relu", normalized=True)
    assert CSQOracle(f, tau=0.03, rng=0).n_samples == math.ceil(1 / 0.03**2) == 1112
    assert SQOracle(f, tau=0.5, rng=0).n_samples == 4
    assert CSQOracle(f, tau=0.03, mode="exact", rng=0).n_samples == 10**6


def test_sample_spread_matches_theory(f):
    tau = 0.05
    oracle = CSQOracle(f, tau=tau, mode="sample", rng=10)
    assert oracle.n_samples == 400
    answers = np.array([oracle(f) for _ in range(400)])
    sd_theory = math.sqrt((FOURTH - 1) / oracle.n_samples)  # sqrt(Var(phi y) / n_samples) with phi = y = f_S
    assert abs(answers.std(ddof=1) / sd_theory - 1) < 0.2
    assert abs(answers.mean() - 1) < 4 * sd_theory / math.sqrt(answers.size)
    assert oracle.n_queries_ == 400


def test_sq_sample_spread_matches_theory(f):
    # phi = 1[y > 0] is Bernoulli(1/2) (f_S > 0 iff x1 x4 > 0): sd of the mean is 0.5 / sqrt(n_samples)
    oracle = SQOracle(f, tau=0.04, mode="sample", rng=11)
    answers = np.array([oracle(lambda X, y: (y > 0).astype(float)) for _ in range(400)])
    sd_theory = 0.5 / math.sqrt(oracle.n_samples)
    assert abs(answers.std(ddof=1) / sd_theory - 1) < 0.2
    assert abs(answers.mean() - 0.5) < 4 * sd_theory / math.sqrt(answers.size)


def test_sample_mode_reproducible_and_fresh(f):
    a = CSQOracle(f, tau=0.1, rng=12)
    b = CSQOracle(f, tau=0.1, rng=12)
    first = [a(x1x4) for _ in range(3)]
    assert first == [b(x1x4) for _ in range(3)]
    assert len(set(first)) == 3  # fresh samples every query
    gen = np.random.default_rng(13)
    c = CSQOracle(f, tau=0.1, rng=gen)
    c(x1x4)
    assert c._rng is gen  # a Generator is used as given


def test_sample_mode_large_m_is_chunked(f):
    oracle = CSQOracle(f, tau=0.1, rng=14, n_samples=150_000)
    ans = oracle(x1x4)
    assert abs(ans - CORR_X1X4) < 4 * oracle.last_se_


# --------------------------------------------------------------------------- adversarial mode
@pytest.mark.parametrize("tau", [0.01, 0.1, 0.5])
def test_adversarial_is_closest_to_zero_within_tau(f, g, tau):
    exact = CSQOracle(f, tau=tau, mode="exact", rng=15, n_samples=N_FIX)
    adv = CSQOracle(f, tau=tau, mode="adversarial", rng=15, n_samples=N_FIX)
    queries = [f, g, x1x4, lambda X: -0.3 * f(X), lambda X: X[:, 0], lambda X: 0.05 * f(X)]
    for q in queries:
        v, a = exact(q), adv(q)
        assert abs(a - v) <= tau + 1e-12
        assert abs(a) <= abs(v) + 1e-15
        if abs(v) <= tau:
            assert a == 0.0
        else:
            assert a == pytest.approx(v - tau * np.sign(v), abs=1e-15)
    assert adv.n_queries_ == len(queries)


def test_adversarial_against_closed_form(f, g):
    tau = 0.05
    adv = CSQOracle(f, tau=tau, mode="adversarial", rng=16, n_samples=N_FIX)
    assert adv(g) == 0.0  # truth 0
    assert adv(lambda X: X[:, 3]) == 0.0  # truth 0
    ans = adv(x1x4)
    assert abs(ans - (CORR_X1X4 - tau)) < 4 * adv.last_se_
    ans = adv(lambda X: -x1x4(X))
    assert abs(ans - (-CORR_X1X4 + tau)) < 4 * adv.last_se_


def test_sq_adversarial(f):
    tau = 0.1
    adv = SQOracle(f, tau=tau, mode="adversarial", rng=17, n_samples=N_FIX)
    ans = adv(lambda X, y: (y > 0).astype(float))  # truth 1/2
    assert abs(ans - 0.4) < 4 * adv.last_se_
    assert adv(lambda X, y: 0.05 * np.tanh(y)) == 0.0


# --------------------------------------------------------------------------- SQ and the Boolean split
def test_sq_exact_against_reference(f):
    oracle = SQOracle(f, mode="exact", rng=18, n_samples=N_FIX)
    assert oracle(lambda X, y: np.sign(y) * np.sign(X[:, 1] * X[:, 4])) == 1.0
    ans = oracle(lambda X, y: (y > 0).astype(float))
    assert abs(ans - 0.5) < 4 * oracle.last_se_


def test_boolean_split_identity():
    phi = lambda X, y: np.tanh(0.5 + X[:, 0] + y * X[:, 1])  # noqa: E731
    phi0, phi1 = boolean_split(phi)
    X = np.random.default_rng(19).standard_normal((1000, 3))
    y = np.random.default_rng(20).choice([-1.0, 1.0], size=1000)
    assert np.max(np.abs(phi(X, y) - (phi0(X) + y * phi1(X)))) < 1e-15
    assert np.max(np.abs(phi0(X))) <= 1 and np.max(np.abs(phi1(X))) <= 1


def test_boolean_reduction_same_sample(f):
    labels = lambda X: np.sign(f(X))  # noqa: E731
    labels.n = 6
    phi = lambda X, y: np.tanh(0.5 + X[:, 1] + y * X[:, 4])  # noqa: E731
    phi0, phi1 = boolean_split(phi)
    sq_oracle = SQOracle(labels, mode="exact", rng=21, n_samples=N_FIX)
    csq_oracle = CSQOracle(labels, mode="exact", rng=21, n_samples=N_FIX)
    total = sq_oracle(phi)
    label_free = sq_oracle(lambda X, y: phi0(X))
    assert abs(total - (label_free + csq_oracle(phi1))) < 1e-12


# --------------------------------------------------------------------------- counting, repr, attributes
def test_counting_and_refused_queries_not_counted(f):
    oracle = CSQOracle(f, tau=0.1, rng=22)
    assert oracle.n_queries_ == 0 and oracle.last_se_ is None
    oracle(f)
    oracle(x1x4)
    with pytest.raises(ValueError):
        oracle(lambda X: 3 * f(X))
    oracle(lambda X: X[:, 0])
    assert oracle.n_queries_ == 3
    assert oracle.last_se_ > 0


def test_repr(f):
    oracle = SQOracle(f, tau=0.25, mode="adversarial", rng=0, n_samples=1000)
    r = repr(oracle)
    assert r.startswith("SQOracle(target=OrthogonalNetwork(")
    for part in ["distribution='gaussian'", "n=6", "tau=0.25", "mode='adversarial'", "n_samples=1000", "n_queries_=0"]:
        assert part in r
    assert "CSQOracle(" in repr(CSQOracle(f, rng=0))


@pytest.mark.parametrize("mode", list(ORACLE_MODES))
def test_every_mode_answers_within_its_tolerance(f, mode):
    """Each mode's answer to E[x1 x4 f_S] is within tau (plus sampling error) of the closed form."""
    truth = CORR_X1X4
    oracle = CSQOracle(f, tau=0.05, mode=mode, rng=3, n_samples=200_000)
    answer = oracle(x1x4)
    assert abs(answer - truth) <= 0.05 + 5 * oracle.last_se_, (mode, answer, truth)


def test_no_torch_import():
    code = "import sys, lbkit.sq; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# --------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("tau", [0, 0.0, -0.1, 1.5, float("nan"), float("inf")])
def test_bad_tau_value(f, tau):
    with pytest.raises(ValueError, match=r"tau must (lie in \(0, 1\]|be finite), got"):
        CSQOracle(f, tau=tau, rng=0)


@pytest.mark.parametrize("tau", [True, "0.1", None])
def test_bad_tau_type(f, tau):
    with pytest.raises(TypeError, match="tau must be a real number"):
        SQOracle(f, tau=tau, rng=0)


def test_tau_one_allowed(f):
    assert CSQOracle(f, tau=1, rng=0).tau == 1.0


def test_bad_mode(f):
    with pytest.raises(ValueError, match=r"mode must be one of 'sample', 'exact', 'adversarial', got 'quadrature'"):
        CSQOracle(f, mode="quadrature", rng=0)


def test_bad_distribution(f):
    with pytest.raises(ValueError, match=r"distribution must be one of 'gaussian'.*got 'normal'"):
        CSQOracle(f, distribution="normal", rng=0)


def test_rng_required(f):
    with pytest.raises(TypeError, match="rng is required"):
        CSQOracle(f)
    with pytest.raises(TypeError, match="rng must be"):
        CSQOracle(f, rng=0.5)


def test_bad_n(f):
    with pytest.raises(ValueError, match=r"n=5 disagrees with the target's input dimension target.n=6"):
        CSQOracle(f, n=5, rng=0)
    with pytest.raises(ValueError, match="input dimension is unknown"):
        CSQOracle(lambda X: X[:, 0], rng=0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        CSQOracle(lambda X: X[:, 0], n=0, rng=0)


def test_bad_m(f):
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        CSQOracle(f, n_samples=0, rng=0)
    with pytest.raises(TypeError, match="n_samples must be an integer"):
        CSQOracle(f, n_samples=100.0, rng=0)


def test_bad_target():
    with pytest.raises(TypeError, match="target must be a callable"):
        CSQOracle(np.zeros(3), n=3, rng=0)
    bad_shape = CSQOracle(lambda X: X[:, :1], n=3, tau=0.5, rng=0)
    with pytest.raises(ValueError, match=r"target must return an array of shape \(N,\) = \(4,\).*got shape \(4, 1\)"):
        bad_shape(lambda X: X[:, 0])
    nan_target = CSQOracle(lambda X: X[:, 0] / 0.0, n=3, tau=0.5, rng=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        with pytest.raises(ValueError, match="target returned .* NaN or infinite"):
            nan_target(lambda X: X[:, 0])


def test_query_wrong_shape_nan_type(f):
    oracle = CSQOracle(f, tau=0.1, rng=0)
    with pytest.raises(ValueError, match=r"CSQ query phi\(X\) must return an array of shape \(N,\) = \(100,\)"):
        oracle(lambda X: X[:, :1])
    with pytest.raises(ValueError, match=r"got shape \(\)"):
        oracle(lambda X: 0.5)
    with pytest.raises(ValueError, match="returned 100 NaN or infinite values out of 100"):
        oracle(lambda X: np.full(X.shape[0], np.nan))
    with pytest.raises(TypeError, match="must return real numbers"):
        oracle(lambda X: X[:, 0] + 1j)
    with pytest.raises(TypeError, match="a query phi must be a callable, got 'x0'"):
        oracle("x0")
    sq_oracle = SQOracle(f, tau=0.1, rng=0)
    with pytest.raises(ValueError, match=r"SQ query phi\(X, y\) must return an array of shape"):
        sq_oracle(lambda X, y: np.stack([y, y], axis=1))
    with np.errstate(divide="ignore", invalid="ignore"), pytest.raises(ValueError, match="NaN or infinite"):
        sq_oracle(lambda X, y: y / 0.0 * 0.0)
    assert oracle.n_queries_ == 0 and sq_oracle.n_queries_ == 0


def test_csq_norm_check(f):
    for mode in ORACLE_MODES:
        oracle = CSQOracle(f, tau=0.05, mode=mode, rng=23, n_samples=N_FIX if mode != "sample" else None)
        with pytest.raises(ValueError, match=r"needs E\[phi\(x\)\^2\] <= 1, but this one has E\[phi\^2\] = 2\."):
            oracle(lambda X: 1.5 * f(X))  # E[phi^2] = 2.25
        oracle(f)  # norm exactly 1: accepted
        oracle(lambda X: np.ones(X.shape[0]))  # the constant 1: accepted
    exact = CSQOracle(f, mode="exact", rng=24, n_samples=N_FIX)
    with pytest.raises(ValueError, match=r"E\[phi\^2\] = 1\.2\d* \(standard error 0\.00"):
        exact(lambda X: 1.1 * f(X))  # E[phi^2] = 1.21, well resolved by the large fixed sample
    with pytest.raises(ValueError, match="divide phi by its norm"):
        exact(lambda X: np.full(X.shape[0], 1.001))  # no spread, so no slack beyond rounding


def test_sq_bound_check(f):
    oracle = SQOracle(f, tau=0.05, mode="exact", rng=25, n_samples=N_FIX)
    with pytest.raises(ValueError, match=r"values in \[-1, 1\], but this one reaches \|phi\| = "):
        oracle(lambda X, y: y)  # f_S is unbounded
    assert oracle(lambda X, y: np.tanh(y)) == pytest.approx(0.0, abs=4 * oracle.last_se_ + 1e-3)
    assert oracle(lambda X, y: np.ones_like(y)) == 1.0  # |phi| = 1 is allowed


def test_cached_sample_is_read_only(f):
    oracle = SQOracle(f, mode="exact", rng=26, n_samples=1000)

    def mutating(X, y):
        y *= 0
        return y

    with pytest.raises(ValueError, match="read-only"):
        oracle(mutating)


def test_boolean_split_rejects_non_callable():
    with pytest.raises(TypeError, match="phi must be a callable"):
        boolean_split(3)


# --------------------------------------------------------------------------- Boolean labels (link=...)
@pytest.mark.parametrize("p", [-0.8, 0.0, 0.3, 0.95])
def test_boolean_labels_have_the_given_mean(p):
    y = lbkit.boolean_labels(np.full(200_000, p), rng=1)
    assert set(np.unique(y)) <= {-1.0, 1.0}
    mean, se = lbkit.mean_se(y)
    assert abs(mean - p) < 4 * se


def test_boolean_labels_extremes_and_coupling():
    assert np.array_equal(lbkit.boolean_labels(np.ones(50), rng=0), np.ones(50))
    assert np.array_equal(lbkit.boolean_labels(-np.ones(50), rng=0), -np.ones(50))
    low = lbkit.boolean_labels(np.full(10_000, -0.2), rng=5)
    high = lbkit.boolean_labels(np.full(10_000, 0.4), rng=5)  # same coins: the labels are monotone in the mean
    assert np.all(high >= low) and np.any(high > low)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros((3, 2)), "one-dimensional"),
        (np.array([0.1, np.nan]), "finite"),
        (np.array([0.5, 1.2]), r"lies in \[-1, 1\]"),
    ],
)
def test_boolean_labels_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        lbkit.boolean_labels(bad, rng=0)
    with pytest.raises(TypeError):
        lbkit.boolean_labels(np.zeros(3), rng=None)


def test_sign_link_gives_the_parity_of_the_support(f):
    # f_S = sqrt2 sign(x1 x4) min(|x1|, |x4|) / norm, so sign(f_S) = sign(x1 x4) and
    # E[x1 x4 y] = E|x1| E|x4| = 2/pi exactly
    oracle = CSQOracle(f, mode="exact", rng=3, n_samples=N_FIX, link="sign")
    answer = oracle(x1x4)
    assert abs(answer - 2 / math.pi) < 4 * oracle.last_se_
    # and the labels are in {-1, +1}: E[y^2] = 1 on the whole sample
    sq_oracle = SQOracle(f, mode="exact", rng=3, n_samples=N_FIX, link="sign")
    assert sq_oracle(lambda X, y: y**2) == 1.0


def test_tanh_link_against_an_independent_sample(f):
    oracle = CSQOracle(f, mode="exact", rng=4, n_samples=N_FIX, link="tanh")
    answer, se = oracle(x1x4), oracle.last_se_
    X = lbkit.sample("gaussian", N_FIX, 6, rng=99)
    ref, ref_se = lbkit.mean_se(np.tanh(f(X)) * x1x4(X))  # E[y x1 x4] = E[tanh(f) x1 x4]
    assert abs(answer - ref) < 4 * math.hypot(se, ref_se)
    assert ref > 0.3  # not a vacuous comparison


def test_odd_link_keeps_orthogonality(f, g):
    phi = lambda X: np.tanh(g(X)) / 0.8  # noqa: E731  a query built from another member; E[phi^2] < 1
    oracle = CSQOracle(f, mode="exact", rng=6, n_samples=N_FIX, link=np.tanh)
    assert abs(oracle(phi)) < 4 * oracle.last_se_


def test_link_labels_fixed_in_exact_mode_fresh_in_sample_mode(f):
    a = SQOracle(f, mode="exact", rng=8, n_samples=5000, link="tanh")
    b = SQOracle(f, mode="exact", rng=8, n_samples=5000, link="tanh")
    q = lambda X, y: y * np.sign(X[:, 1] * X[:, 4])  # noqa: E731
    first, second = a(q), a(q)  # two queries to one oracle: the exact mode reuses its fixed labelled sample
    assert first == second == b(q)
    s = SQOracle(f, mode="sample", rng=8, n_samples=5000, link="tanh")
    first, second = s(q), s(q)  # the sample mode draws fresh labels for every query
    assert first != second


def test_bad_link(f):
    with pytest.raises(ValueError, match="link must be None .* got 'relu'"):
        CSQOracle(f, rng=0, link="relu")
    oracle = CSQOracle(f, mode="exact", rng=0, n_samples=1000, link=lambda t: 2 * t)
    with pytest.raises(ValueError, match=r"into \[-1, 1\]"):
        oracle(x1x4)
    assert "link='tanh'" in repr(CSQOracle(f, rng=0, link="tanh"))
    assert "link=" not in repr(CSQOracle(f, rng=0))
