"""Tests for lbkit.learners.polyreg (numpy only) against independent references:
numpy.polynomial.hermite_e for the features, brute-force enumeration for the
counts, exact recovery of polynomial targets, and the exact best-approximation
losses of f_S from lbkit.norm_terms."""

import itertools
import math
import subprocess
import sys

import numpy as np
import pytest
from numpy.polynomial import hermite_e

import lbkit
from lbkit.learners.polyreg import (
    HermiteRegressor,
    hermite_feature_count,
    hermite_features,
    hermite_multi_indices,
)


def brute_force_indices(n, degree, features):
    allowed = {
        "all": range(degree + 1),
        "odd": [0] + list(range(1, degree + 1, 2)),
        "multilinear": [0, 1] if degree >= 1 else [0],
    }[features]
    return {a for a in itertools.product(allowed, repeat=n) if sum(a) <= degree}


@pytest.mark.parametrize("features", ["all", "odd", "multilinear"])
@pytest.mark.parametrize("n, degree", [(1, 0), (1, 5), (3, 4), (5, 3), (4, 7), (6, 2)])
def test_counts_and_indices_match_brute_force(n, degree, features):
    ref = brute_force_indices(n, degree, features)
    A = hermite_multi_indices(n, degree, features)
    assert hermite_feature_count(n, degree, features) == len(ref) == A.shape[0]
    assert {tuple(r) for r in A.tolist()} == ref
    deg = A.sum(axis=1)
    assert np.all(np.diff(deg) >= 0) and deg[0] == 0  # graded, constant first


def test_closed_form_counts_exact_for_large_n():
    assert hermite_feature_count(100, 3, "all") == math.comb(103, 3)
    assert hermite_feature_count(10**6, 40, "multilinear") == sum(math.comb(10**6, j) for j in range(41))
    # "odd", degree 3: 1 + n + C(n,2) + [C(n,3) + n]  (a triple of distinct coordinates, or h_3 of one)
    n = 50
    assert hermite_feature_count(n, 3, "odd") == 1 + n + math.comb(n, 2) + math.comb(n, 3) + n


def test_features_match_numpy_hermite_e(rng):
    n, degree = 3, 5
    X = rng.standard_normal((40, n))
    A = hermite_multi_indices(n, degree, "all")
    Phi = hermite_features(X, A)
    ref = np.ones((X.shape[0], A.shape[0]))
    for p, alpha in enumerate(A):
        for i, a in enumerate(alpha):
            c = np.zeros(a + 1)
            c[a] = 1.0
            ref[:, p] *= hermite_e.hermeval(X[:, i], c) / math.sqrt(math.factorial(a))
    np.testing.assert_allclose(Phi, ref, rtol=1e-12, atol=1e-12)


def test_features_orthonormal_under_gauss_hermite_quadrature():
    # tensor Gauss-Hermite rule with 8 nodes per axis is exact for degree <= 15 per coordinate
    x, w = lbkit.gauss_hermite(8)
    grid = np.stack(np.meshgrid(x, x, indexing="ij"), -1).reshape(-1, 2)
    weights = np.outer(w, w).ravel()
    Phi = hermite_features(grid, hermite_multi_indices(2, 6, "all"))
    gram = Phi.T @ (weights[:, None] * Phi)
    np.testing.assert_allclose(gram, np.eye(Phi.shape[1]), atol=1e-12)


def test_exact_recovery_of_a_polynomial_target(rng):
    X = rng.standard_normal((300, 4))
    # x0^2 x1 - 3 x2 + 0.5 x1 x3 + 2: degree 3, recovered exactly by least squares of degree 3
    y = X[:, 0] ** 2 * X[:, 1] - 3 * X[:, 2] + 0.5 * X[:, 1] * X[:, 3] + 2
    for solver in ("lstsq", "normal"):
        reg = HermiteRegressor(degree=3, solver=solver).fit(X, y)
        Xt = rng.standard_normal((100, 4))
        yt = Xt[:, 0] ** 2 * Xt[:, 1] - 3 * Xt[:, 2] + 0.5 * Xt[:, 1] * Xt[:, 3] + 2
        np.testing.assert_allclose(reg.predict(Xt), yt, atol=1e-8)
        # in the orthonormal basis: x0^2 x1 = sqrt2 h_(2,1,0,0) + h_(0,1,0,0)
        coef = dict(zip(map(tuple, reg.multi_indices_.tolist()), reg.coef_))
        assert coef[(2, 1, 0, 0)] == pytest.approx(math.sqrt(2), abs=1e-8)
        assert coef[(0, 1, 0, 0)] == pytest.approx(1.0, abs=1e-8)
        assert coef[(0, 0, 0, 0)] == pytest.approx(2.0, abs=1e-8)
        assert coef[(0, 0, 1, 0)] == pytest.approx(-3.0, abs=1e-8)


def test_multilinear_features_recover_a_product_of_coordinates(rng):
    X = rng.standard_normal((500, 6))
    y = X[:, 1] * X[:, 4]
    reg = HermiteRegressor(degree=2, features="multilinear").fit(X, y)
    top = reg.multi_indices_[np.argmax(np.abs(reg.coef_))]
    assert top.tolist() == [0, 1, 0, 0, 1, 0]
    assert np.max(np.abs(np.delete(reg.coef_, np.argmax(np.abs(reg.coef_))))) < 1e-10


def exact_best_loss(k, degree):
    """1 - (sum of norm_terms of degree <= d) / ||f_S||^2 for the normalised ReLU f_S."""
    m, terms, _ = lbkit.norm_terms(k, "relu")
    return 1 - terms[m <= degree].sum() / lbkit.norm_squared(k, "relu")


def test_learns_relu_f_S_k2_to_the_exact_best_approximation_loss():
    n, k = 8, 2
    f = lbkit.orthogonal_network(n, [2, 5], "relu", normalized=True)
    Xt = lbkit.sample("gaussian", 40_000, n, rng=1)
    yt = f(Xt)
    losses = {}
    for degree in (1, 2, 3, 4):
        P = hermite_feature_count(n, degree)
        X = lbkit.sample("gaussian", 40 * P, n, rng=10 + degree)
        reg = HermiteRegressor(degree, solver="normal").fit(X, f(X))
        losses[degree] = lbkit.mean_se((reg.predict(Xt) - yt) ** 2)
    # degree < k: no better than predicting 0 (f_S has no Hermite mass below degree k)
    assert abs(losses[1][0] - 1) < 0.05
    # degree >= k: the exact best-approximation loss, plus a small estimation error
    for degree in (2, 3, 4):
        best = exact_best_loss(k, degree)
        mean, se = losses[degree]
        assert best - 4 * se < mean < best + 0.02, (degree, mean, best)
    assert exact_best_loss(2, 2) == pytest.approx(1 - lbkit.norm_lower_bound(2, "relu") / lbkit.norm_squared(2, "relu"))
    # degree 6 (n = 4 keeps it small) gets below 0.05; the exact best is 0.029
    f4 = lbkit.orthogonal_network(4, [0, 3], "relu", normalized=True)
    X = lbkit.sample("gaussian", 20_000, 4, rng=3)
    reg = HermiteRegressor(6).fit(X, f4(X))
    Xt = lbkit.sample("gaussian", 40_000, 4, rng=4)
    mean, se = lbkit.mean_se((reg.predict(Xt) - f4(Xt)) ** 2)
    assert mean < 0.05 and mean > exact_best_loss(2, 6) - 4 * se


def test_ridge_shrinks_and_solvers_agree(rng):
    X = rng.standard_normal((400, 3))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    a = HermiteRegressor(3, ridge=0.1).fit(X, y)
    b = HermiteRegressor(3, ridge=0.1, solver="normal").fit(X, y)
    c = HermiteRegressor(3).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-10)
    assert np.linalg.norm(a.coef_) < np.linalg.norm(c.coef_)


def test_repr_and_fitted_attributes(rng):
    reg = HermiteRegressor(2, features="multilinear")
    # the repr rule of every lbkit estimator: the parameters without a default and those that differ from it
    assert repr(reg) == "HermiteRegressor(degree=2, features='multilinear')"
    assert repr(HermiteRegressor(3, ridge=0.5)) == "HermiteRegressor(degree=3, ridge=0.5)"
    reg.fit(rng.standard_normal((50, 4)), rng.standard_normal(50))
    assert repr(reg) == "HermiteRegressor(degree=2, features='multilinear', n_features_in_=4, n_coef=11)"
    assert reg.n_features_in_ == 4 and reg.n_samples_ == 50 and reg.coef_.shape == (11,)
    assert reg.multi_indices_.shape == (11, 4)
    assert "n_coef=11" in repr(reg)
    assert reg.transform(rng.standard_normal((7, 4))).shape == (7, 11)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"degree": -1}, "degree must be >= 0"),
        ({"degree": 2, "features": "cubic"}, "features must be one of"),
        ({"degree": 2, "ridge": -1.0}, "ridge must be"),
        ({"degree": 2, "ridge": float("nan")}, "ridge must be"),
        ({"degree": 2, "solver": "qr"}, "solver must be"),
    ],
)
def test_bad_hyperparameters(kwargs, match, rng):
    with pytest.raises(ValueError, match=match):
        HermiteRegressor(**kwargs).fit(rng.standard_normal((10, 2)), rng.standard_normal(10))


def test_bad_data(rng):
    X = rng.standard_normal((10, 3))
    with pytest.raises(TypeError, match="degree must be an integer"):
        HermiteRegressor(2.5).fit(X, X[:, 0])
    with pytest.raises(ValueError, match=r"y must have shape \(10,\)"):
        HermiteRegressor(1).fit(X, X[:5, 0])
    with pytest.raises(ValueError, match="shape"):
        HermiteRegressor(1).fit(X[:, 0], X[:, 0])
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        HermiteRegressor(1).fit(bad, X[:, 0])
    y = X[:, 0].copy()
    y[0] = np.inf
    with pytest.raises(ValueError, match="y contains 1 NaN"):
        HermiteRegressor(1).fit(X, y)
    reg = HermiteRegressor(1).fit(X, X[:, 0])
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        reg.predict(rng.standard_normal((4, 2)))
    with pytest.raises(ValueError, match="not fitted"):
        HermiteRegressor(1).predict(X)


def test_refuses_too_many_features_and_too_large_design():
    with pytest.raises(ValueError, match="more than max_features=20000"):
        hermite_multi_indices(32, 4, "multilinear")  # 41449 features
    X = np.zeros((1000, 10))
    with pytest.raises(ValueError, match="max_entries"):
        HermiteRegressor(3, max_entries=10_000).fit(X, np.zeros(1000))  # 286 features x 1000 samples
    with pytest.raises(ValueError, match="at least as many samples as features"):
        HermiteRegressor(2, solver="normal").fit(np.zeros((5, 2)), np.zeros(5))  # 6 features
    with pytest.raises(ValueError, match="nearly\\) singular: condition number"):
        HermiteRegressor(2, solver="normal").fit(np.zeros((50, 2)), np.zeros(50))  # constant features


def test_polyreg_does_not_import_torch():
    code = (
        "import sys, numpy as np\n"
        "from lbkit.learners import HermiteRegressor\n"
        "X = np.random.default_rng(0).standard_normal((50, 2))\n"
        "HermiteRegressor(2).fit(X, X[:, 0] * X[:, 1]).predict(X)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr
