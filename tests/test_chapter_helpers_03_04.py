"""The helpers chapters 3 and 4 used to write out, each against an independent reference."""

import itertools
import math
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import erf

from lbkit import get_activation, hermite_weights, norm_lower_bound, norm_squared
from lbkit.closed_forms import FOURIER_A, fourier_odd_coefficient
from lbkit.family import OrthogonalNetwork, coordinate_flip_deviations, orthogonal_network
from lbkit.hermite import hermite_coefficients_quadrature
from lbkit.norm_bounds import (
    fourier_norm_constant,
    fourier_norm_log_bound,
    norm_table,
    norm_upper_bound,
    relu_norm_bounds,
    saturation_degree,
)
from lbkit.norms import hermite_weight_exact
from lbkit.plotting import PALETTE, draw_orthogonal_network


def _mp_hermite_coefficient(fn, m):
    """E[fn(z) He_m(z)] / sqrt(m!) by mpmath quadrature on the real line (He_m by its recursion)."""

    def integrand(x):
        h0, h1 = mp.mpf(1), x
        for j in range(1, m):
            h0, h1 = h1, x * h1 - j * h0
        he = h0 if m == 0 else h1
        return fn(x) * he * mp.exp(-x * x / 2)

    with mp.workdps(30):
        value = mp.quad(integrand, [-mp.inf, -5, 0, 5, mp.inf]) / mp.sqrt(2 * mp.pi * mp.factorial(m))
        return float(value)


@pytest.mark.parametrize("act, fn", [("tanh", mp.tanh), ("sigmoid", lambda x: 1 / (1 + mp.exp(-x)))])
def test_fourier_odd_coefficient_matches_direct_quadrature(act, fn):
    for m in (1, 3, 5, 7, 9):
        direct = _mp_hermite_coefficient(fn, m)
        assert fourier_odd_coefficient(m, act) == pytest.approx(direct, rel=1e-12)
    assert FOURIER_A == {"tanh": math.pi / 2, "sigmoid": math.pi}


def test_fourier_odd_coefficient_refuses_bad_input():
    with pytest.raises(ValueError, match="odd"):
        fourier_odd_coefficient(4, "tanh")
    with pytest.raises(ValueError, match="'tanh', 'sigmoid'"):
        fourier_odd_coefficient(3, "relu")
    with pytest.raises(TypeError, match="integer"):
        fourier_odd_coefficient(3.0, "tanh")
    with pytest.raises(ValueError, match=">= 1"):
        fourier_odd_coefficient(-1, "sigmoid")


def _relu_even_c2(m):
    """c_m^2 of the ReLU for even m, exactly up to the factor 1/pi: ((m-3)!!)^2 / (2 m!) (c_0^2 = 1/2)."""
    if m == 0:
        return Fraction(1, 2)
    return Fraction(math.prod(range(m - 3, 0, -2)) ** 2, 2 * math.factorial(m))


def test_norm_upper_bound_relu_against_exact_coefficients():
    # the even part of the ReLU is |t|/2, of second moment 1/4; c_m^2 exact in rationals (times 1/pi)
    for k in (2, 4, 6, 10, 20, 40):
        head = sum(_relu_even_c2(m) for m in range(0, k, 2))
        expected = 2.0 ** (k + 1) * (0.25 - float(head) / math.pi)
        assert norm_upper_bound(k, "relu") == pytest.approx(expected, rel=1e-10)
        assert norm_upper_bound(k, "relu") >= norm_squared(k, "relu") * (1 - 1e-12)


def test_norm_upper_bound_erf_against_quadrature():
    # E[erf(z)^2] = (2/pi) arcsin(2/3); erf is odd, so the odd tail from k is that minus c_1^2, c_3^2, ...
    moment = 2 / math.pi * math.asin(2 / 3)
    phi = lambda t: math.exp(-t * t / 2) / math.sqrt(2 * math.pi)
    c = {}
    for m, he in ((1, lambda t: t), (3, lambda t: t**3 - 3 * t)):
        integral = quad(lambda t, he=he: erf(t) * he(t) * phi(t), -np.inf, np.inf, epsabs=1e-14)[0]
        c[m] = integral / math.sqrt(math.factorial(m))
    assert norm_upper_bound(1, "erf") == pytest.approx(4 * moment, rel=1e-12)
    assert norm_upper_bound(3, "erf") == pytest.approx(16 * (moment - c[1] ** 2), rel=1e-9)
    assert norm_upper_bound(5, "erf") == pytest.approx(64 * (moment - c[1] ** 2 - c[3] ** 2), rel=1e-7)
    assert norm_upper_bound(2, "erf") == 0.0


def test_norm_upper_bound_refuses_bad_input():
    with pytest.raises(ValueError, match=">= 1"):
        norm_upper_bound(0)
    with pytest.raises(ValueError, match="<= 1000"):
        norm_upper_bound(1001)
    with pytest.raises(TypeError, match="integer"):
        norm_upper_bound(2.0)


def test_norm_table_keeps_the_nonzero_k_and_sandwiches_the_norm():
    relu = norm_table("relu", 10)
    assert relu.shape == (6, 4) and relu[:, 0].tolist() == [1, 2, 4, 6, 8, 10]
    sigmoid = norm_table("sigmoid", 9)
    assert sigmoid[:, 0].tolist() == [1, 3, 5, 7, 9]
    for T in (relu, sigmoid):
        k, value, lower, upper = T.T
        assert np.all(lower <= value * (1 + 1e-12)) and np.all(value <= upper * (1 + 1e-12))
    # k = 2 for the ReLU: 2 - 4/pi (chapter 4), the bound 4 c_2^2 W_2(2) = 4 (1/(4 pi)) 4 / 2 = 2/pi
    assert relu[1, 1] == pytest.approx(2 - 4 / math.pi, rel=1e-13)
    assert relu[1, 2] == pytest.approx(2 / math.pi, rel=1e-13)
    assert norm_table("abs", 1).shape == (0, 4)  # |t| is even: f_S = 0 at k = 1
    with pytest.raises(ValueError, match="<= 300"):
        norm_table("relu", 301)


def _sinh_power_coefficient(k, m):
    """[t^m] sinh(t)^k by multiplying truncated power series of sinh in exact rationals."""
    sinh = [Fraction(1, math.factorial(a)) if a % 2 else Fraction(0) for a in range(m + 1)]
    power = [Fraction(1)] + [Fraction(0)] * m
    for _ in range(k):
        power = [sum(power[i] * sinh[r - i] for i in range(r + 1)) for r in range(m + 1)]
    return power[m]


@pytest.mark.parametrize("method", ["closed_form", "compositions"])
def test_hermite_weight_exact_against_the_power_series(method):
    for k in range(1, 7):
        for m in range(0, 17):
            expected = Fraction(math.factorial(m), k**m) * _sinh_power_coefficient(k, m)
            assert hermite_weight_exact(k, m, method=method) == expected, (k, m)


def test_hermite_weight_exact_is_the_balls_in_bins_probability():
    for k, m in [(2, 4), (3, 5), (3, 7), (4, 6)]:
        hits = sum(all(outcome.count(b) % 2 for b in range(k)) for outcome in itertools.product(range(k), repeat=m))
        assert hermite_weight_exact(k, m) == Fraction(hits, k**m)
    m, W = hermite_weights(5, 25)
    assert [float(hermite_weight_exact(5, int(i))) for i in m] == pytest.approx(W, rel=1e-12)


def test_hermite_weight_exact_refuses_bad_input():
    with pytest.raises(ValueError, match="closed_form"):
        hermite_weight_exact(3, 5, method="series")
    with pytest.raises(ValueError, match="<= 1000"):
        hermite_weight_exact(3, 1001)
    with pytest.raises(TypeError, match="integer"):
        hermite_weight_exact(3, 5.0)


def test_saturation_degree_by_brute_force_and_the_weights_past_it():
    for k in range(1, 60):
        for parity in (0, 1):
            m = 0
            while m < k or m < k / 2 * math.log(3 * k) or m % 2 != parity:
                m += 1
            assert saturation_degree(k, parity) == m
        if k <= 30:  # part 1 of thm-norm-growth: W_k(m) >= 2^-k from there on (m = k mod 2)
            M = saturation_degree(k, k % 2)
            ms, W = hermite_weights(k, M + 200)
            assert np.all(W[ms >= M] * 2.0**k >= 1 - 1e-12)
    with pytest.raises(ValueError, match="<= 1"):
        saturation_degree(5, 2)
    with pytest.raises(ValueError, match=">= 1"):
        saturation_degree(0, 0)


def test_relu_norm_bounds_against_mpmath_and_the_exact_norm():
    with mp.workdps(30):
        for k in (2, 4, 6, 10, 20, 50, 100):
            b = relu_norm_bounds(k)
            M = saturation_degree(k, 0)
            a = (4 / mp.e) ** k / (2 * mp.sqrt(mp.pi) * (k - 1) ** 2)
            assert b["a"] == pytest.approx(float(a), rel=1e-12)
            assert b["b"] == pytest.approx(
                float(mp.mpf(2) ** k / (6 * mp.sqrt(2) * mp.pi * mp.mpf(M) ** 1.5)), rel=1e-12
            )
            tail = sum(_relu_even_c2(m) for m in range(0, M, 2))
            assert b["tail"] == pytest.approx(
                float(2**k * (mp.mpf(1) / 4 - mp.mpf(tail.numerator) / tail.denominator / mp.pi)), rel=1e-8
            )
            assert b["degree_k"] == pytest.approx(norm_lower_bound(k, "relu"), rel=1e-14)
            if k >= 4:
                c = 3 * mp.sqrt(6) * mp.pi
                Mp = max(k, k / mp.mpf(2) * mp.log(k / (3 * mp.log(k))))
                up2 = 2 ** (k + 1) / (c * (Mp - 3) ** 1.5) + mp.e * mp.sqrt(Mp) * 2**k / (c * k**3 * (k - 3) ** 1.5)
                assert b["up"] == pytest.approx(float(2 ** (k + 1) / (c * (k - 3) ** 1.5)), rel=1e-12)
                assert b["up2"] == pytest.approx(float(up2), rel=1e-12)
            else:
                assert b["up"] == b["up2"] == math.inf
            norm = norm_squared(k, "relu")
            assert b["a"] <= b["degree_k"] <= norm and b["b"] <= b["tail"] <= norm <= min(b["up"], b["up2"])
    with pytest.raises(ValueError, match="even"):
        relu_norm_bounds(5)
    with pytest.raises(ValueError, match=">= 2"):
        relu_norm_bounds(0)


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_fourier_norm_log_bound_against_mpmath_and_the_exact_norm(act):
    a = {"tanh": mp.pi / 2, "sigmoid": mp.pi}[act]
    with mp.workdps(30):
        for k in range(1, 40, 2):
            M = saturation_degree(k, 1)
            L = mp.mpf(2) ** (k + 2) / mp.sqrt(M) * mp.exp(-2 * a * mp.sqrt(M + 1))
            assert fourier_norm_log_bound(k, act) == pytest.approx(float(mp.log(L)), rel=1e-12, abs=1e-12)
            assert math.exp(fourier_norm_log_bound(k, act)) <= norm_squared(k, act)
    with pytest.raises(ValueError, match="odd"):
        fourier_norm_log_bound(4, act)
    with pytest.raises(ValueError, match="'tanh', 'sigmoid'"):
        fourier_norm_log_bound(3, "erf")


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_fourier_norm_constant_by_scanning_odd_k(act):
    C, worst_k, k_one = fourier_norm_constant(act)
    threshold = ((2 * FOURIER_A[act] + 1) / math.log(2)) ** 2
    assert k_one % 2 == 1 and k_one / math.log(3 * k_one) >= threshold > (k_one - 2) / math.log(3 * (k_one - 2))
    # scan far beyond k_one: no odd k has a smaller L_k, and L_k >= 1 from k_one on
    logs = {k: fourier_norm_log_bound(k, act) for k in range(1, k_one + 4001, 2)}
    assert min(logs, key=logs.get) == worst_k
    assert C == pytest.approx(max(1.0, math.exp(-logs[worst_k] / 2)), rel=1e-15)
    assert all(logs[k] >= 0 for k in range(k_one, k_one + 4001, 2))
    # the proved constant bounds the exact output weights
    assert all(1 / math.sqrt(norm_squared(k, act)) <= C for k in range(1, 40, 2))
    with pytest.raises(TypeError, match="string"):
        fourier_norm_constant(None)


def test_fourier_odd_coefficient_matches_the_activation_record():
    for act in ("tanh", "sigmoid"):
        c = get_activation(act).hermite_coefficients(41, high_precision=True)
        for m in (11, 25, 41):
            assert fourier_odd_coefficient(m, act) == pytest.approx(c[m], rel=1e-12)


class _Perturbed(OrthogonalNetwork):
    """f_S + x_0 + x_1 x_2: no longer odd in x_0 or x_2, nor even in x_1 (S = {0, 2}, n = 4)."""

    def __call__(self, X, **kwargs):
        X = np.asarray(X, dtype=float)
        return super().__call__(X, **kwargs) + X[:, 0] + X[:, 1] * X[:, 2]


def test_coordinate_flip_deviations_against_the_perturbation_by_hand():
    X = np.random.default_rng(7).standard_normal((500, 4))
    for act in ("relu", "tanh", "erf"):
        assert np.all(coordinate_flip_deviations(orthogonal_network(4, [0, 2], act), X) < 1e-12)
    dev = coordinate_flip_deviations(_Perturbed(4, [0, 2], "relu"), X)
    # f_S cancels: in S the sum f(x') + f(x) is p(x') + p(x), outside S the difference is p(x') - p(x)
    x1x2 = np.max(np.abs(2 * X[:, 1] * X[:, 2]))
    expected = [x1x2, x1x2, np.max(np.abs(2 * X[:, 0])), 0.0]
    assert dev == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_coordinate_flip_deviations_refuses_bad_input():
    f = orthogonal_network(4, [0, 2], "relu")
    with pytest.raises(TypeError, match="OrthogonalNetwork"):
        coordinate_flip_deviations(np.tanh, np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"shape \(N, 4\)"):
        coordinate_flip_deviations(f, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="at least one row"):
        coordinate_flip_deviations(f, np.zeros((0, 4)))


def test_draw_orthogonal_network_draws_every_weight_in_its_colour():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    f = orthogonal_network(6, [1, 2, 4], "tanh")
    fig, ax = plt.subplots()
    n_edges = draw_orthogonal_network(f, ax)
    colour = {1: PALETTE[1], -1: PALETTE[0]}
    hidden = [line for line in ax.lines if list(line.get_xdata()) == [0, 1]]
    output = [line for line in ax.lines if list(line.get_xdata()) == [1, 2]]
    y_in, y_hid = np.linspace(3.5, -3.5, 6), np.linspace(4.2, -4.2, 8)
    drawn = {
        (int(np.argmin(abs(y_in - line.get_ydata()[0]))), int(np.argmin(abs(y_hid - line.get_ydata()[1])))): to_hex(
            line.get_color()
        )
        for line in hidden
    }
    expected = {(i, j): colour[int(np.sign(f.W[j, i]))] for j in range(8) for i in range(6) if f.W[j, i] != 0}
    assert n_edges == len(hidden) == 3 * 8 and drawn == expected
    assert [to_hex(line.get_color()) for line in output] == [colour[int(s)] for s in f.a]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [r"$+1/\sqrt{3}$ or $\chi(w)=+1$", r"$-1/\sqrt{3}$ or $\chi(w)=-1$"]
    texts = [t.get_text() for t in ax.texts]
    assert sum("not in $S$" in t for t in texts) == 3 and sum(t.startswith(r"$\sigma$") for t in texts) == 8
    plt.close(fig)
    with pytest.raises(ValueError, match="k <= 4"):
        draw_orthogonal_network(orthogonal_network(6, range(5), "tanh"), ax)
    with pytest.raises(TypeError, match="OrthogonalNetwork"):
        draw_orthogonal_network("relu", ax)


def _probabilists_hermite(m):
    """He_m as numpy polynomial coefficients (lowest degree first), by its recursion, over sqrt(m!)."""
    he = [np.array([1.0]), np.array([0.0, 1.0])]
    for j in range(1, m):
        he.append(np.polynomial.polynomial.polysub(np.polynomial.polynomial.polymulx(he[j]), j * he[j - 1]))
    return he[m] / math.sqrt(math.factorial(m))


def test_hermite_coefficients_quadrature_on_polynomials():
    # x0^3 x1^2 x2 (dim 3): coefficients by projecting each monomial exactly onto the basis
    P = np.polynomial.polynomial
    h = [_probabilists_hermite(m) for m in range(6)]
    # E[z^p h_m(z)] = sum_j h_m[j] E[z^(p+j)], Gaussian moments (p+j-1)!! for even p+j
    moment = lambda r: 0.0 if r % 2 else float(math.prod(range(r - 1, 0, -2)))
    proj = [[sum(h[m][j] * moment(p + j) for j in range(m + 1)) for m in range(6)] for p in range(4)]
    expected = np.einsum("a,b,c->abc", proj[3], proj[2], proj[1])
    fn = lambda X: X[:, 0] ** 3 * X[:, 1] ** 2 * X[:, 2]
    got = hermite_coefficients_quadrature(fn, 3, 5, n_nodes=12)
    assert got.shape == (6, 6, 6) and np.allclose(got, expected, atol=1e-12)
    assert got[3, 2, 1] == pytest.approx(math.sqrt(6) * math.sqrt(2), rel=1e-12)  # He_3 He_2 He_1 / sqrt(3! 2! 1!)
    assert P.polyval(0.5, h[2]) == pytest.approx((0.25 - 1) / math.sqrt(2))


def test_hermite_coefficients_quadrature_against_the_network_formula():
    f = orthogonal_network(3, range(3), "tanh")
    got = hermite_coefficients_quadrature(f, 3, 7, n_nodes=60)
    alphas = np.indices(got.shape).reshape(3, -1).T
    assert np.max(np.abs(got - f.hermite_coefficients(alphas).reshape(got.shape))) < 1e-11
    one_d = hermite_coefficients_quadrature(lambda X: np.tanh(X[:, 0]), 1, 9, n_nodes=200)
    assert one_d == pytest.approx(get_activation("tanh").hermite_coefficients(9), abs=1e-13)


def test_hermite_coefficients_quadrature_refuses_bad_input():
    with pytest.raises(TypeError, match="callable"):
        hermite_coefficients_quadrature(3.0, 2, 3)
    with pytest.raises(ValueError, match="<= 6"):
        hermite_coefficients_quadrature(np.sum, 7, 3)
    with pytest.raises(ValueError, match="<= 9"):
        hermite_coefficients_quadrature(np.sum, 2, 10, n_nodes=10)
    with pytest.raises(ValueError, match="one finite value per point"):
        hermite_coefficients_quadrature(lambda X: X, 2, 3, n_nodes=5)
    with pytest.raises(ValueError, match="limit"):
        hermite_coefficients_quadrature(np.sum, 6, 3, n_nodes=100)
