"""lbkit.family against independent references.

* weights: built here with itertools.product over {-1,+1}^k;
* outputs: a direct double loop and plain numpy ``act(X @ W.T) @ a``;
* exact norms: the alternating dual-kernel sum evaluated in 80-digit mpmath
  with kernels (or Hermite coefficients) computed here, and Monte Carlo with
  its standard error;
* Hermite weights: the exact alternating formula in 100-digit mpmath.
"""

import functools
import itertools
import math

import mpmath as mp
import numpy as np
import pytest
from mpmath.calculus.quadrature import GaussLegendre
from scipy import special

from lbkit import (
    get_activation,
    hermite_weights,
    norm_lower_bound,
    norm_squared,
    norm_terms,
    orthogonal_network,
    sample,
    supports,
)
from lbkit.family import orthogonal_family
from lbkit.supports import sign_patterns
from tests.reference import MP_KERNELS, NP_FUNCS, mc_mean, mp_alternating_norm, mp_relu_kernel, patterns


def reference_weights(n, S, normalizer=1.0):
    k = len(S)
    P = patterns(k)
    W = np.zeros((2**k, n))
    for j, w in enumerate(P):
        for i, s in enumerate(S):
            W[j, s] = w[i] / math.sqrt(k)
    a = np.array([math.prod(w) for w in P]) / normalizer
    return W, a


def direct_numpy(X, S, f, chunk=20_000):
    """act(X_S @ P.T / sqrt(k)) @ chi, chunked to bound memory."""
    k = len(S)
    P = patterns(k)
    chi = P.prod(axis=1)
    out = np.empty(X.shape[0])
    for s in range(0, X.shape[0], chunk):
        out[s : s + chunk] = f(X[s : s + chunk][:, list(S)] @ P.T / math.sqrt(k)) @ chi
    return out


def direct_loop(x, S, f):
    """The defining sum for one point, term by term."""
    k = len(S)
    total = 0.0
    for w in itertools.product((1, -1), repeat=k):
        z = sum(wi * x[s] for wi, s in zip(w, S)) / math.sqrt(k)
        total += math.prod(w) * float(f(np.array(z)))
    return total


# ----------------------------------------------------------------------------
# mpmath references for the exact norm
# ----------------------------------------------------------------------------
@functools.cache
def mp_odd_coefficients(name, M, panel_nodes_degree=4, dps=45):
    """Hermite coefficients c_m (odd m <= M) of sigmoid - 1/2 or tanh, to ~40 digits.

    Independent of lbkit: Gauss-Legendre panels of width 1 on [0, L] (mpmath's
    nodes, 24 per panel) for 2 * int_0^L f(t) h_m(t) phi(t) dt, f odd, with
    h_m by its recurrence in mpmath.  (lbkit uses a trapezoidal rule on [-L, L].)
    """
    f = {"sigmoid": lambda t: 1 / (1 + mp.exp(-t)) - mp.mpf(1) / 2, "tanh": mp.tanh}[name]
    with mp.workdps(dps):
        base = GaussLegendre(mp.mp).calc_nodes(panel_nodes_degree, mp.mp.prec)
        L = int(2 * math.sqrt(M) + 16)
        sq = [mp.sqrt(m) for m in range(M + 2)]
        c = [mp.mpf(0)] * (M + 1)
        const = 2 / mp.sqrt(2 * mp.pi)
        half = mp.mpf(1) / 2
        for j in range(L):
            for x0, w0 in base:
                x = j + half + half * x0
                wf = half * w0 * f(x) * mp.exp(-x * x / 2) * const
                h0, h1 = mp.mpf(1), x
                c[1] += wf * h1
                for m in range(1, M):
                    h0, h1 = h1, (x * h1 - sq[m] * h0) / sq[m + 1]
                    if m % 2 == 0:
                        c[m + 1] += wf * h1
        return tuple(c)


def mp_series_kernel(c0, c_odd):
    """K(r) = c0^2 + sum_{odd m} c_m^2 r^m (Mehler), by Horner in mpmath."""
    coeffs = [mp.mpf(c0) ** 2] + [c_odd[m] ** 2 if m % 2 else mp.mpf(0) for m in range(1, len(c_odd))]
    coeffs = coeffs[::-1]  # mp.polyval wants the highest degree first

    def K(r):
        return mp.polyval(coeffs, r)

    return K


# Degrees needed so that the dropped part of the series, at most
# 2^(k+1) sum_{m>M} c_m^2, is below 1e-12 ||f_S||^2 for every k <= 40:
# sigmoid |c_160| ~ 4e-17, tanh |c_400| ~ 3e-14 (tanh's norm grows to ~1e2 at k = 39).
M_REF = {"sigmoid": 160, "tanh": 400}


def test_reference_coefficients_agree_with_mpmath_quad():
    """Check the Gauss-Legendre reference against mpmath.quad on [-inf, 0] + [0, inf]."""
    c = mp_odd_coefficients("sigmoid", M_REF["sigmoid"])
    with mp.workdps(40):
        for m in (1, 21, 61):

            def g(t, m=m):
                He_m = mp.hermite(m, t / mp.sqrt(2)) * mp.mpf(2) ** (-mp.mpf(m) / 2)
                return (1 / (1 + mp.exp(-t))) * He_m * mp.exp(-t * t / 2)

            q = (mp.quad(g, [-mp.inf, 0]) + mp.quad(g, [0, mp.inf])) / mp.sqrt(2 * mp.pi * mp.factorial(m))
            assert abs(q - c[m]) <= mp.mpf(10) ** -25 * max(abs(q), mp.mpf(10) ** -15), m


def test_reference_coefficients_converged_in_panel_rule():
    """Doubling check of the reference rule: 24 vs 48 nodes per panel agree far below 1e-12."""
    M = 60
    c24 = mp_odd_coefficients("tanh", M, 4)
    c48 = mp_odd_coefficients("tanh", M, 5)
    for m in range(1, M + 1, 2):
        assert abs(c24[m] - c48[m]) <= mp.mpf(10) ** -28 * abs(c48[m]), m


# ----------------------------------------------------------------------------
# exact norms vs 80-digit references
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ("relu", "abs", "erf", "leaky_relu"))
def test_norm_squared_vs_mpmath_closed_kernels(name):
    act = get_activation(name)
    for k in range(1, 41):
        ref = mp_alternating_norm(k, MP_KERNELS[name])
        got = norm_squared(k, name)
        if act.vanishes(k):
            assert got == 0.0, k
            assert abs(ref) < mp.mpf(10) ** -50, k  # the reference agrees it is zero (terms ~4^k, 80 digits)
        else:
            assert ref > 0
            assert abs(got - ref) <= 1e-10 * ref, (k, got, float(ref))


@pytest.mark.slow
@pytest.mark.parametrize("name", ("sigmoid", "tanh"))
def test_norm_squared_vs_mpmath_series_kernel(name):
    c = mp_odd_coefficients(name, M_REF[name])
    c0 = mp.mpf(1) / 2 if name == "sigmoid" else mp.mpf(0)
    K = mp_series_kernel(c0, c)
    act = get_activation(name)
    for k in range(1, 41):
        ref = mp_alternating_norm(k, K)
        got = norm_squared(k, name)
        if act.vanishes(k):
            assert got == 0.0, k
            assert abs(ref) < mp.mpf(10) ** -50, k
        else:
            assert abs(got - ref) <= 1e-10 * ref, (k, got, float(ref))


def test_dual_kernel_method_loses_accuracy_in_float64():
    # the alternating sum cancels ~ 2^k C(k, k/2) K against a result ~ 1e-6
    exact = norm_squared(21, "sigmoid")
    dual = norm_squared(21, "sigmoid", method="dual_kernel")
    rel = abs(dual - exact) / exact
    assert rel > 1e-3, rel  # measured: about 24 (even the sign is wrong)
    # while at small k both methods agree
    for k in (1, 3, 5):
        assert norm_squared(k, "sigmoid", method="dual_kernel") == pytest.approx(norm_squared(k, "sigmoid"), rel=1e-9)
    for k in (2, 4, 6):
        assert norm_squared(k, "relu", method="dual_kernel") == pytest.approx(norm_squared(k, "relu"), rel=1e-10)


def test_paper_values():
    # PAPER.md: ReLU k=2 0.726, sigmoid k=3 9.8e-3, k=5 1.5e-3, k=7 3.7e-4
    # ReLU k=2 exactly: 4 (K(1) - 2 K(0) + K(-1)) = 2 - 4/pi = 0.72676..., which PAPER.md
    # truncates to 0.726 (rounding would give 0.727): 3-decimal agreement, not 4
    assert norm_squared(2, "relu") == pytest.approx(2 - 4 / math.pi, rel=1e-13)
    assert abs(norm_squared(2, "relu") - 0.726) < 1e-3
    assert round(norm_squared(3, "sigmoid"), 4) == 0.0098
    assert round(norm_squared(5, "sigmoid"), 4) == 0.0015
    assert round(norm_squared(7, "sigmoid"), 5) == 0.00037


def test_relu_k4_exact_value():
    # PAPER.md lists 0.298 for ReLU k=4; that figure was a Monte Carlo estimate.  Two
    # independent exact routes (the positive Hermite series and the alternating
    # dual-kernel sum, here also in 80-digit arithmetic) give 0.303017 (MC below agrees).
    ref = float(mp_alternating_norm(4, mp_relu_kernel))
    assert ref == pytest.approx(0.30302, abs=1e-5)
    assert norm_squared(4, "relu") == pytest.approx(0.30302, abs=1e-5)
    assert norm_squared(4, "relu", method="dual_kernel") == pytest.approx(ref, rel=1e-13)
    assert norm_squared(4, "relu") == pytest.approx(ref, rel=1e-12)
    assert abs(norm_squared(4, "relu") - 0.298) > 4e-3  # the PAPER.md figure is not the exact value


MC_CASES = [
    ("relu", 2),
    ("relu", 4),
    ("relu", 6),
    ("sigmoid", 3),
    ("sigmoid", 5),
    ("sigmoid", 7),
    ("tanh", 3),
    ("tanh", 5),
    ("erf", 3),
    ("abs", 2),
    ("abs", 4),
    # beyond the required list: the other built-ins
    ("leaky_relu", 2),
    ("softplus", 2),
    ("softplus", 4),
    ("gelu", 2),
    ("gelu", 4),
]


@pytest.mark.parametrize("name,k", MC_CASES)
def test_norm_squared_vs_monte_carlo(name, k):
    rng = np.random.default_rng(1000 + 17 * k + len(name))
    X = rng.standard_normal((200_000, k))
    f = direct_numpy(X, tuple(range(k)), NP_FUNCS[name])
    mc, se = mc_mean(f**2)
    exact = norm_squared(k, name)
    assert se < 0.05 * exact  # the test can see a 25% error (sigmoid k=7: se/exact = 0.023)
    assert abs(mc - exact) < 5 * se, (mc, exact, se)


def test_exp_norm_closed_form():
    # f_S for sigma = exp is 2^k prod_i sinh(x_i / sqrt k): ||f_S||^2 = 4^k ((e^(2/k) - 1)/2)^k.
    # This exercises the custom-callable path (float64 quadrature coefficients).
    for k in range(1, 7):
        exact = 4**k * ((math.exp(2 / k) - 1) / 2) ** k
        assert norm_squared(k, lambda t: np.exp(t)) == pytest.approx(exact, rel=1e-10), k


def test_exp_network_does_not_vanish_at_k20():
    # f_S = 2^k prod_i sinh(x_i / sqrt k) for sigma = exp, so ||f_S||^2 = 4^k ((e^(2/k) - 1) / 2)^k
    act = get_activation(lambda t: np.exp(t))
    assert not act.vanishes(20)
    exact = 4**20 * ((math.exp(2 / 20) - 1) / 2) ** 20  # 2.874e-14
    assert norm_squared(20, act) == pytest.approx(exact, rel=1e-4)
    # custom callables: float64 quadrature coefficients, no noise amplified by 2^(k+1) in the tail
    exact19 = 4**19 * ((math.exp(2 / 19) - 1) / 2) ** 19
    assert norm_squared(19, act) == pytest.approx(exact19, rel=1e-4)


@pytest.mark.parametrize("name, k", [("relu", 6), ("relu", 12), ("erf", 11), ("abs", 8)])
def test_norm_terms_are_nonnegative_and_sum_to_the_mpmath_norm(name, k):
    m, terms, tail = norm_terms(k, name)
    assert m[0] == k and np.all(np.diff(m) == 2)
    assert np.all(terms >= 0) and tail >= 0
    # the series against the alternating dual-kernel sum in 80 digits (closed-form kernels written here)
    assert math.fsum(terms) + tail == pytest.approx(float(mp_alternating_norm(k, MP_KERNELS[name])), rel=1e-11)


@pytest.mark.parametrize("k", [2, 4, 6, 10, 20])
def test_first_term_is_the_relu_lower_bound_in_closed_form(k):
    # relu: c_k = He_{k-2}(0) / sqrt(2 pi k!) for even k, He_{k-2}(0) = +-(k-3)!!, and W_k(k) = k!/k^k, so
    # 4^k c_k^2 k!/k^k = 4^k ((k-3)!!)^2 / (2 pi k^k)
    double_fact = math.prod(range(k - 3, 0, -2)) if k > 2 else 1
    exact = 4**k * double_fact**2 / (2 * math.pi * k**k)
    assert norm_terms(k, "relu")[1][0] == pytest.approx(exact, rel=1e-12)
    assert norm_lower_bound(k, "relu") == pytest.approx(exact, rel=1e-12)


# ----------------------------------------------------------------------------
# Hermite weights and the lower bound
# ----------------------------------------------------------------------------
def mp_W(k, m):
    """m! k^-m [t^m] sinh(t)^k = 2^-k sum_j C(k,j) (-1)^j ((k-2j)/k)^m, in 100 digits."""
    with mp.workdps(100):
        s = mp.fsum(mp.binomial(k, j) * (-1) ** j * (mp.mpf(k - 2 * j) / k) ** m for j in range(k + 1))
        return s / mp.mpf(2) ** k


@pytest.mark.parametrize("k", (2, 3, 7, 20, 40))
def test_hermite_weights_vs_alternating_formula(k):
    m, W = hermite_weights(k, k + 600)
    assert m[0] == k and np.all(np.diff(m) == 2) and m[-1] <= k + 600
    # every degree k, k+2, ..., k+600; the log-space evaluation loses ~eps*log(m!) digits,
    # measured max relative error 8e-13 (at m ~ 550), so 1e-12 holds with a small margin here
    for idx in range(len(m)):
        ref = mp_W(k, int(m[idx]))
        assert abs(W[idx] - ref) <= 1e-12 * ref, (k, int(m[idx]), W[idx], float(ref))


@pytest.mark.parametrize("k", (3, 7, 20, 40))
def test_hermite_weights_increase_to_limit(k):
    m, W = hermite_weights(k)  # default cutoff
    assert W[0] == pytest.approx(math.factorial(k) / k**k, rel=1e-12)
    limit = 2.0 ** (1 - k)
    d = np.diff(W)
    # non-decreasing up to rounding: once converged W wobbles by ~1e-12 relative
    # around the limit (log-space rounding of gammaln(m+1) ~ 4e3 at m ~ 700)
    assert np.all(d >= -2e-12 * limit)
    assert np.all(d[: len(d) // 8] > 0)  # strictly increasing while visibly below the limit
    assert np.all(W <= limit * (1 + 2e-12))
    assert W[-1] == pytest.approx(limit, rel=2e-12)
    assert W[len(W) // 8] < limit * (1 - 1e-6) or k <= 3


def test_hermite_weights_small_k():
    _, W1 = hermite_weights(1, 41)  # sinh(t): W_1(m) = 1 for odd m
    np.testing.assert_allclose(W1, 1.0, rtol=1e-13)  # log-space convolution: ~1e-14 rounding
    _, W2 = hermite_weights(2, 42)  # sinh(t)^2 = (cosh 2t - 1)/2: W_2(m) = 1/2 for even m >= 2
    np.testing.assert_allclose(W2, 0.5, rtol=1e-13)


def test_norm_lower_bound_below_norm():
    for k in range(2, 41, 2):
        lb, ns = norm_lower_bound(k, "relu"), norm_squared(k, "relu")
        assert 0 < lb <= ns, k
        # and the bound itself against 4^k c_k^2 k!/k^k with c_k = He_{k-2}(0)/sqrt(2 pi k!) in mpmath
        with mp.workdps(40):
            ck = mp.fac2(k - 3) * (-1) ** ((k - 2) // 2) / mp.sqrt(2 * mp.pi * mp.factorial(k))
            ref = mp.mpf(4) ** k * ck**2 * mp.factorial(k) / mp.mpf(k) ** k
        assert lb == pytest.approx(float(ref), rel=1e-12), k
    for k in range(1, 40, 2):
        lb, ns = norm_lower_bound(k, "sigmoid"), norm_squared(k, "sigmoid")
        assert 0 < lb <= ns, k
    assert norm_lower_bound(3, "relu") == 0.0


# ----------------------------------------------------------------------------
# supports
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("n,k", [(1, 1), (5, 2), (7, 3), (9, 9), (12, 5)])
def test_supports_len_and_iteration(n, k):
    s = supports(n, k)
    assert len(s) == math.comb(n, k) == s.count
    assert list(s) == list(itertools.combinations(range(n), k))
    assert [s[i] for i in range(len(s))] == list(s)
    assert [s.index(S) for S in s] == list(range(len(s)))
    assert s[-1] == tuple(range(n - k, n)) and s[-len(s)] == tuple(range(k))
    assert f"n={n}" in repr(s) and f"k={k}" in repr(s)


def test_supports_random_round_trip(rng):
    s = supports(60, 7)
    for i in rng.integers(0, len(s), size=50):
        S = s[int(i)]
        assert len(S) == 7 and list(S) == sorted(set(S)) and S[-1] < 60
        assert s.index(S) == i
        assert s[int(i) - len(s)] == S  # negative index
    with pytest.raises(IndexError):
        s[len(s)]
    with pytest.raises(IndexError):
        s[-len(s) - 1]


def test_supports_contains():
    s = supports(5, 2)
    assert (0, 1) in s and (3, 4) in s and [1, 3] in s
    assert (1, 0) in s  # a support is a set: order does not matter
    assert (0, 5) not in s and (0, 0) not in s and (0, 1, 2) not in s and "ab" not in s and 3 not in s


@pytest.mark.slow  # s[-1] scans ~1e6 binomials (about 2 s), as does index()
def test_supports_huge():
    n, k = 10**6, 40
    s = supports(n, k)
    assert s.count == math.comb(n, k)
    assert s[-1] == tuple(range(n - k, n))
    assert s[0] == tuple(range(k))
    assert s.index(tuple(range(n - k, n))) == s.count - 1
    i = s.count // 3 + 12345
    assert s.index(s[i]) == i
    assert tuple(range(k)) in s


def test_supports_huge_len_points_to_count():
    # Python's len() must return an index-sized int; C(10**6, 40) ~ 1e182 is not, so lbkit says to use .count
    s = supports(10**6, 40)
    assert s.count == math.comb(10**6, 40)
    with pytest.raises(OverflowError, match=r"use the exact integer \.count"):
        len(s)


def test_sign_patterns_order():
    for k in (1, 2, 5):
        np.testing.assert_array_equal(sign_patterns(k), patterns(k))


# ----------------------------------------------------------------------------
# the network: weights and outputs
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("n,S", [(3, (1,)), (5, (0, 3)), (6, (5, 1, 2)), (8, (0, 2, 4, 7)), (7, (0, 1, 2, 3, 6))])
def test_weights_vs_definition(n, S):
    net = orthogonal_network(n, S, "relu")
    W_ref, a_ref = reference_weights(n, sorted(S))
    assert net.S == tuple(sorted(S)) and net.k == len(S) and net.n_hidden == 2 ** len(S)
    np.testing.assert_allclose(net.W, W_ref, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(net.a, a_ref)
    # each row has norm 1; a is +-1
    np.testing.assert_allclose(np.linalg.norm(net.W, axis=1), 1.0, rtol=1e-15)


NONVANISHING = [
    (name, k)
    for name in ("relu", "sigmoid", "tanh", "erf")
    for k in (2, 3, 4, 5)
    if not get_activation(name).vanishes(k)
]


@pytest.mark.parametrize("name,k", NONVANISHING)
def test_network_output_vs_direct(name, k, rng):
    n = k + 3
    S = tuple(sorted(rng.choice(n, size=k, replace=False).tolist()))
    net = orthogonal_network(n, S, name)
    f = NP_FUNCS[name]
    X = rng.standard_normal((3000, n))
    W_ref, a_ref = reference_weights(n, S)
    ref = f(X @ W_ref.T) @ a_ref  # plain numpy, full 2^k units, no pairing
    scale = math.sqrt(np.mean(ref**2))
    assert scale > 0.01 * net.norm  # a non-trivial output
    out = net(X)
    assert out.dtype == np.float64 and out.shape == (3000,)
    assert np.max(np.abs(out - ref)) <= 1e-10 * scale
    for i in range(5):  # the definition, term by term
        assert out[i] == pytest.approx(direct_loop(X[i], S, f), rel=1e-10, abs=1e-12 * scale)
    out32 = net(X, dtype=np.float32)
    assert out32.dtype == np.float32
    assert np.max(np.abs(out32.astype(float) - ref)) <= 1e-4 * scale


def test_network_vanishing_cases_are_zero(rng):
    # relu k=3 and sigmoid k=2: f_S == 0 up to rounding (PAPER.md: ~1e-15)
    X = rng.standard_normal((500, 5))
    for name, S in (("relu", (0, 1, 2)), ("sigmoid", (1, 3)), ("tanh", (0, 1)), ("abs", (0, 2, 4))):
        net = orthogonal_network(5, S, name)
        assert net.vanishes() and net.norm == 0.0
        ref = NP_FUNCS[name](X @ net.W.T) @ net.a
        assert np.max(np.abs(ref)) < 1e-13
        assert np.max(np.abs(net(X))) < 1e-13


def test_integer_input_equals_float_input(rng):
    net = orthogonal_network(4, (0, 3), "relu")
    Xi = rng.integers(-3, 4, size=(50, 4))
    np.testing.assert_array_equal(net(Xi), net(Xi.astype(float)))


def test_chunk_size_does_not_change_result(rng):
    X = rng.standard_normal((1001, 7))
    for name, S in (("relu", (0, 2, 3, 6)), ("sigmoid", (1, 2, 5))):
        net = orthogonal_network(7, S, name)
        base = net(X)
        scale = math.sqrt(np.mean(base**2))
        for cs in (1, 2, 7, 128, 1000, 1001, 5000):
            # Not bit-identical: OpenBLAS blocks rows differently for different chunk
            # shapes, so results move by a few ulp (measured <= 2e-15).  Allow 1e-14.
            np.testing.assert_allclose(net(X, chunk_size=cs), base, rtol=0, atol=1e-14 * scale)
        np.testing.assert_array_equal(net(X, chunk_size=len(X)), base)  # one chunk == the default here


@pytest.mark.parametrize(
    "name,S",
    [
        ("relu", (0, 2)),
        ("relu", (1, 2, 4, 5)),
        ("sigmoid", (0, 3, 4)),
        ("tanh", (1, 2, 3, 4, 5)),
        ("erf", (2,)),
        ("abs", (0, 1, 3, 5)),
    ],
)
def test_coordinate_oddness_and_global_parity(name, S, rng):
    n = 6
    net = orthogonal_network(n, S, name)
    X = rng.standard_normal((2000, n))
    f = net(X)
    for i in range(n):
        Xf = X.copy()
        Xf[:, i] *= -1
        expected = -f if i in S else f
        # rtol alone cannot hold where f_S ~ 1e-4 is a cancellation of 2^k terms of size 1
        # (rounding ~1e-15 absolute), hence the tiny atol relative to ||f_S||
        np.testing.assert_allclose(net(Xf), expected, rtol=1e-12, atol=1e-14 * net.norm)
    np.testing.assert_allclose(net(-X), (-1) ** len(S) * f, rtol=1e-12, atol=1e-14 * net.norm)


@pytest.mark.parametrize("name,k", [("relu", 2), ("relu", 4), ("sigmoid", 3), ("erf", 5)])
def test_normalized_network(name, k, rng):
    n = k + 1
    S = tuple(range(1, k + 1))
    raw = orthogonal_network(n, S, name)
    nn = orthogonal_network(n, S, name, normalized=True)
    norm = math.sqrt(norm_squared(k, name))
    assert raw.norm == pytest.approx(norm, rel=1e-15) and nn.norm == pytest.approx(norm, rel=1e-15)
    np.testing.assert_allclose(nn.a, raw.a / norm, rtol=1e-15)
    np.testing.assert_array_equal(nn.W, raw.W)
    X = rng.standard_normal((20_000, n))
    np.testing.assert_allclose(nn(X), raw(X) / norm, rtol=1e-12, atol=1e-14)
    mc, se = mc_mean(nn(X) ** 2)
    assert se < 0.05 and abs(mc - 1.0) < 5 * se
    assert "normalized=True" in repr(nn) and name in repr(nn)


# ----------------------------------------------------------------------------
# the family
# ----------------------------------------------------------------------------
def test_orthogonal_family_members_have_unit_norm():
    # ||f||^2 = a^T G a with G_ij = K(<W_i, W_j>) (rows have unit norm), K the ReLU kernel written here
    def K(r):
        r = np.clip(r, -1, 1)
        return (np.sqrt(1 - r**2) + (np.pi - np.arccos(r)) * r) / (2 * np.pi)

    for n, k in ((6, 2), (7, 4)):
        fam = orthogonal_family(n, k, "relu")
        assert len(fam) == math.comb(n, k)
        assert "size=" in repr(fam) and "relu" in repr(fam)
        for i in (0, 3, len(fam) - 1):
            net = fam[i]
            assert net.S == supports(n, k)[i] and net.normalized
            G = K(net.W @ net.W.T)
            assert net.a @ G @ net.a == pytest.approx(1.0, rel=1e-12)
        assert [net.S for net in fam] == list(supports(n, k))
    with pytest.raises(ValueError, match="odd part is linear"):
        orthogonal_family(6, 3, "relu")


def test_orthogonal_family_gram_is_identity_for_gaussian():
    # exact orthogonality under N(0, I): G between units of f_S and f_T is K(<w, v>)
    def K(r):
        r = np.clip(r, -1, 1)
        return (np.sqrt(1 - r**2) + (np.pi - np.arccos(r)) * r) / (2 * np.pi)

    fam = orthogonal_family(5, 2, "relu")
    nets = list(fam)
    G = np.array([[f.a @ K(f.W @ g.W.T) @ g.a for g in nets] for f in nets])
    np.testing.assert_allclose(G, np.eye(len(nets)), atol=1e-13)


# ----------------------------------------------------------------------------
# orthogonality under input distributions
# ----------------------------------------------------------------------------
PAIRS = {"overlapping": ((0, 1), (1, 2)), "disjoint": ((0, 1), (2, 3))}


@pytest.mark.parametrize("dist", ("gaussian", "sphere", "student_t", "rademacher"))
@pytest.mark.parametrize("pair", list(PAIRS))
def test_orthogonal_under_sign_symmetric_laws(dist, pair):
    S, T = PAIRS[pair]
    X = sample(dist, 400_000, 6, rng=np.random.default_rng(7 + len(dist) + len(pair)))
    fS = orthogonal_network(6, S, "relu", normalized=True)(X)
    fT = orthogonal_network(6, T, "relu", normalized=True)(X)
    mc, se = mc_mean(fS * fT)
    assert se < 1e-2  # can see a correlation of 0.05 (student_t, df=5, is heavy-tailed: se ~ 6e-3)
    assert abs(mc) < 5 * se, (mc, se)
    # and each is (close to) unit norm / has mean zero only where expected
    m2, se2 = mc_mean(fS**2)
    if dist == "gaussian":  # normalised under N(0, I): unit norm
        assert abs(m2 - 1) < 5 * se2, (m2, se2)
    else:  # not unit norm under the other laws, but clearly non-zero
        assert m2 > 0.1 and m2 > 20 * se2, (m2, se2)


def _E_abs_normal(mu, s):
    """E|N(mu, s^2)|."""
    return s * math.sqrt(2 / math.pi) * math.exp(-(mu**2) / (2 * s * s)) + mu * (1 - 2 * special.ndtr(-mu / s))


@pytest.mark.parametrize("pair", list(PAIRS))
def test_not_orthogonal_under_shifted_gaussian(pair):
    S, T = PAIRS[pair]
    X = sample("shifted_gaussian", 400_000, 6, rng=np.random.default_rng(99))
    fS = orthogonal_network(6, S, "relu", normalized=True)(X)
    fT = orthogonal_network(6, T, "relu", normalized=True)(X)
    mc, se = mc_mean(fS * fT)
    assert abs(mc) > 8 * se, (mc, se)  # measured ~ 25 SE (disjoint) and ~ 100 SE (overlapping)
    if pair == "disjoint":
        # product law: E[f_S f_T] = E[f_S]^2, and for k=2 relu f_S = (|x0+x1| - |x0-x1|) / sqrt(2) / ||f||
        # with x0+x1 ~ N(1, 2), x0-x1 ~ N(0, 2) under shift 0.5
        mean = (_E_abs_normal(1.0, math.sqrt(2)) - _E_abs_normal(0.0, math.sqrt(2))) / math.sqrt(2)
        mean /= math.sqrt(2 - 4 / math.pi)
        assert abs(mc - mean**2) < 5 * se, (mc, mean**2, se)


def test_not_orthogonal_under_skewed_product():
    X = sample("skewed_product", 400_000, 6, rng=np.random.default_rng(123))
    nets = {S: orthogonal_network(6, S, "relu", normalized=True)(X) for S in ((0, 1), (1, 2), (2, 3))}
    mc, se = mc_mean(nets[(0, 1)] * nets[(1, 2)])
    assert abs(mc) > 8 * se, (mc, se)  # overlapping pair: measured ~ 20 SE
    # disjoint pair: E[f_S]^2 with x = e - 1, e ~ Exp(1): E|e0 + e1 - 2| = 8/e^2, E|e0 - e1| = 1
    mc_d, se_d = mc_mean(nets[(0, 1)] * nets[(2, 3)])
    mean = (8 / math.e**2 - 1) / math.sqrt(2) / math.sqrt(2 - 4 / math.pi)
    assert abs(mc_d - mean**2) < 5 * se_d, (mc_d, mean**2, se_d)
