"""lbkit.distributions: shapes, exact constraints and moments (with Monte Carlo standard errors)."""

import math

import numpy as np
import pytest

from lbkit import as_rng, sample
from lbkit.distributions import DISTRIBUTIONS
from tests import reference

N, n = 100_000, 5


def mc_mean(values, axis=0):
    """Per-coordinate mean and standard error (draws along axis 0)."""
    return reference.mc_mean(values, axis=axis)


@pytest.mark.parametrize("dist", list(DISTRIBUTIONS))
def test_shapes_dtype_and_reproducibility(dist):
    X = sample(dist, 17, 4, rng=3)
    assert X.shape == (17, 4) and X.dtype == np.float64 and np.all(np.isfinite(X))
    np.testing.assert_array_equal(sample(dist, 17, 4, rng=3), X)  # same seed -> identical
    assert not np.array_equal(sample(dist, 17, 4, rng=4), X)  # another seed -> different
    g = np.random.default_rng(3)
    np.testing.assert_array_equal(sample(dist, 17, 4, rng=g), X)  # a Generator with the same seed
    # the generator is consumed, not copied: the next draw differs
    assert not np.array_equal(sample(dist, 17, 4, rng=g), X)
    assert sample(dist, 1, 1, rng=0).shape == (1, 1)


def test_as_rng():
    g = np.random.default_rng(0)
    assert as_rng(g) is g
    assert isinstance(as_rng(5), np.random.Generator)
    assert isinstance(as_rng(np.random.SeedSequence(5)), np.random.Generator)
    np.testing.assert_array_equal(as_rng(7).standard_normal(3), np.random.default_rng(7).standard_normal(3))


def test_sphere_rows_have_norm_sqrt_n():
    for dim in (1, 2, 6, 50):
        X = sample("sphere", 5000, dim, rng=11)
        np.testing.assert_allclose(np.linalg.norm(X, axis=1), math.sqrt(dim), rtol=1e-12)


def test_sphere_second_moments():
    # uniform on the sphere of radius sqrt(n): E[x] = 0, E[x x^T] = I
    X = sample("sphere", N, n, rng=12)
    m, se = mc_mean(X)
    assert np.all(se < 0.01) and np.all(np.abs(m) < 5 * se)
    P = X[:, 0] * X[:, 1]
    m01, se01 = mc_mean(P)
    assert abs(m01) < 5 * se01
    # E[x_1^4] on the sphere of radius sqrt(n) is 3n/(n+2) (not 3 as for the Gaussian)
    m4, se4 = mc_mean(X[:, 0] ** 4)
    assert abs(m4 - 3 * n / (n + 2)) < 5 * se4 and se4 < 0.02


def test_gaussian_moments():
    X = sample("gaussian", N, n, rng=13)
    m, se = mc_mean(X)
    assert np.all(se < 0.01) and np.all(np.abs(m) < 5 * se)
    m2, se2 = mc_mean(X**2)
    assert np.all(np.abs(m2 - 1) < 5 * se2)
    m4, se4 = mc_mean(X[:, 2] ** 4)
    assert abs(m4 - 3) < 5 * se4


def test_student_t_moments_and_radial_structure():
    df = 5.0
    X = sample("student_t", N, n, rng=14)
    m, se = mc_mean(X)
    assert np.all(se < 0.01) and np.all(np.abs(m) < 5 * se)
    # marginal variance df/(df-2) = 5/3; E[x^2] has a finite variance for df > 4
    m2, se2 = mc_mean(X**2)
    assert np.all(np.abs(m2 - df / (df - 2)) < 5 * se2)
    # the law is a Gaussian scale mixture with ONE scale per row: E[x_i^2 x_j^2] = df^2/((df-2)(df-4)),
    # not (df/(df-2))^2 as for independent t coordinates.  (df = 12 so that the estimate has a
    # finite variance: that needs df > 8.)
    df = 12.0
    Y = sample("student_t", N, 2, rng=15, df=df)
    m2y, se2y = mc_mean(Y**2)
    assert np.all(np.abs(m2y - df / (df - 2)) < 5 * se2y)
    mc, sec = mc_mean(Y[:, 0] ** 2 * Y[:, 1] ** 2)
    assert abs(mc - df**2 / ((df - 2) * (df - 4))) < 5 * sec
    assert abs(df**2 / ((df - 2) * (df - 4)) - (df / (df - 2)) ** 2) > 10 * sec  # distinguishable


def test_rademacher_values_and_moments():
    X = sample("rademacher", N, n, rng=16)
    assert set(np.unique(X).tolist()) == {-1.0, 1.0}
    m, se = mc_mean(X)
    assert np.all(np.abs(m) < 5 * se)
    m01, se01 = mc_mean(X[:, 0] * X[:, 1])
    assert abs(m01) < 5 * se01


def test_shifted_gaussian():
    X = sample("shifted_gaussian", N, n, rng=17)
    m, se = mc_mean(X)
    assert np.all(np.abs(m - 0.5) < 5 * se)
    Y = sample("shifted_gaussian", N, n, rng=17, shift=-2.0)
    np.testing.assert_allclose(Y - X, -2.5, atol=1e-14)  # same draws, other shift
    v, sev = mc_mean((X - 0.5) ** 2)
    assert np.all(np.abs(v - 1) < 5 * sev)


def test_skewed_product():
    X = sample("skewed_product", N, n, rng=18)
    assert np.all(X >= -1.0)
    m, se = mc_mean(X)
    assert np.all(np.abs(m) < 5 * se)
    v, sev = mc_mean(X**2)
    assert np.all(np.abs(v - 1) < 5 * sev)
    # Exp(1) - 1 has third central moment 2: clearly not sign-symmetric
    m3, se3 = mc_mean(X[:, 0] ** 3)
    assert abs(m3 - 2) < 5 * se3 and m3 > 1


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_every_described_law_samples_and_its_symmetry_claim_holds(name):
    """Each name in DISTRIBUTIONS samples; the description's symmetry claim is checked on E[x_0^3]."""
    X = sample(name, 50_000, 3, rng=11)
    assert X.shape == (50_000, 3) and np.all(np.isfinite(X))
    m3, se3 = mc_mean(X[:, 0] ** 3)
    symmetric = "not sign-symmetric" not in DISTRIBUTIONS[name]
    assert (abs(m3) < 5 * se3) == symmetric, (name, m3, se3)


def test_mean_se_matches_definition_and_rejects_bad_input():
    import lbkit

    v = np.random.default_rng(0).standard_normal((4, 1000))
    m, se = lbkit.mean_se(v, axis=1)
    np.testing.assert_allclose(m, v.mean(axis=1), rtol=0, atol=0)
    np.testing.assert_allclose(se, v.std(axis=1, ddof=1) / np.sqrt(1000), rtol=1e-15)
    assert lbkit.mean_se([1.0, 2.0, 3.0, 4.0]) == (2.5, pytest.approx(np.sqrt(5 / 3) / 2))
    with pytest.raises(ValueError, match="at least 2 draws"):
        lbkit.mean_se([1.0])
    with pytest.raises(ValueError, match="NaN"):
        lbkit.mean_se([1.0, np.nan])
