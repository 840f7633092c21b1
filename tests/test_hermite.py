"""lbkit.hermite against numpy's independent Hermite routines and Gaussian moments."""

import math

import numpy as np
import pytest
from numpy.polynomial import hermite_e as He

from lbkit.hermite import gauss_hermite, gaussian_expectation, hermite_functions


def reference_h(m, t):
    """h_m = He_m / sqrt(m!) through numpy's Clenshaw evaluation (not a recurrence on h)."""
    e = np.zeros(m + 1)
    e[m] = 1.0
    return He.hermeval(t, e) / math.sqrt(math.factorial(m))


def test_hermite_functions_match_hermeval():
    t = np.linspace(-6.0, 6.0, 241)
    H = hermite_functions(20, t)
    assert H.shape == (21, t.size)
    for m in range(21):
        ref = reference_h(m, t)
        scale = np.max(np.abs(ref))
        # relative to each degree's scale: h_20(6) is about 2e6
        np.testing.assert_allclose(H[m], ref, rtol=1e-12, atol=1e-13 * scale, err_msg=f"m={m}")


def test_hermite_functions_low_degrees_closed_form():
    t = np.array([-2.5, -1.0, 0.0, 0.3, 1.7])
    H = hermite_functions(3, t)
    np.testing.assert_allclose(H[0], 1.0, rtol=0, atol=0)
    np.testing.assert_allclose(H[1], t, rtol=1e-15)
    np.testing.assert_allclose(H[2], (t**2 - 1) / math.sqrt(2), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(H[3], (t**3 - 3 * t) / math.sqrt(6), rtol=1e-14, atol=1e-15)


def test_hermite_functions_no_overflow_at_high_degree():
    # the recurrence on h_m never forms He_m or m!; at t = 0, h_{2j}(0) = (-1)^j sqrt((2j)!)/(2^j j!)
    H = hermite_functions(400, np.array([0.0]))[:, 0]
    assert np.all(np.isfinite(H))
    j = np.arange(0, 201)
    log_ref = (
        0.5 * np.array([math.lgamma(2 * i + 1) for i in j])
        - j * math.log(2)
        - np.array([math.lgamma(i + 1) for i in j])
    )
    np.testing.assert_allclose(H[0::2], (-1.0) ** j * np.exp(log_ref), rtol=1e-11)
    np.testing.assert_allclose(H[1::2], 0.0, atol=0)


def test_orthonormality_under_gauss_hermite_200():
    x, w = gauss_hermite(200)
    H = hermite_functions(150, x)
    G = (H * w) @ H.T
    err = np.max(np.abs(G - np.eye(151)))
    assert err < 1e-12, err


def test_gauss_hermite_weights_and_moments():
    for n_nodes in (10, 50, 200, 1000):
        x, w = gauss_hermite(n_nodes)
        assert x.shape == w.shape == (n_nodes,)
        # the outermost weights of large rules underflow to 0 (exp(-x^2/2) with x ~ 44): never negative
        assert np.all(w >= 0) and np.all(w[np.abs(x) < 20] > 0)
        assert abs(w.sum() - 1.0) < 1e-14
        assert abs(w @ x) < 1e-13
        assert abs(w @ x**2 - 1.0) < 1e-13
        assert abs(w @ x**4 - 3.0) < 1e-12
        assert abs(w @ x**6 - 15.0) < 1e-11
        # E[z^8] = 105, exact from 5 nodes on
        assert abs(w @ x**8 - 105.0) < 1e-10


def test_gauss_hermite_matches_numpy_hermegauss():
    # independent implementation (numpy's Golub-Welsch); works up to ~ 150 nodes
    for n_nodes in (5, 40, 120):
        x, w = gauss_hermite(n_nodes)
        xr, wr = He.hermegauss(n_nodes)
        wr = wr / wr.sum()
        order = np.argsort(x)
        np.testing.assert_allclose(x[order], xr, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(w[order], wr, rtol=1e-9, atol=1e-300)


def test_gauss_hermite_is_cached_and_read_only():
    x1, w1 = gauss_hermite(64)
    x2, w2 = gauss_hermite(64)
    assert x1 is x2 and w1 is w2
    with pytest.raises(ValueError):
        x1[0] = 0.0


def test_gaussian_expectation_known_values():
    # E[cos z] = exp(-1/2), E[exp(z)] = exp(1/2), E[z^10] = 9!! = 945
    assert abs(gaussian_expectation(np.cos) - math.exp(-0.5)) < 1e-14
    assert abs(gaussian_expectation(np.exp) - math.exp(0.5)) < 1e-13
    assert abs(gaussian_expectation(lambda t: t**10) - 945.0) < 1e-9
    # a kink converges only algebraically: about 1.6e-4 off with 2000 nodes, so the tolerance is loose
    assert abs(gaussian_expectation(np.abs, n_nodes=2000) - math.sqrt(2 / math.pi)) < 5e-4
