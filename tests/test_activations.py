"""lbkit.activations against independent references.

References used here: scipy.integrate.quad of sigma(z) He_m(z) phi(z) / sqrt(m!)
with He_m from numpy (split at the kink), closed-form second moments and dual
kernels derived by hand, Mehler's series, and 2-D Monte Carlo with standard
errors.
"""

import math

import numpy as np
import pytest
from numpy.polynomial import hermite_e as He
from scipy import integrate, special

from lbkit import BUILTIN_ACTIVATIONS, Activation, get_activation
from tests.reference import mc_mean

LEAKY = 0.01
SMOOTH = ("sigmoid", "tanh", "softplus", "gelu")
CLOSED = ("relu", "abs", "leaky_relu", "erf")

# plain numpy/scipy versions of the built-ins, written independently of lbkit
NP_FUNCS = {
    "relu": lambda t: np.maximum(t, 0.0),
    "abs": np.abs,
    "leaky_relu": lambda t: np.where(t > 0, t, LEAKY * t),
    "erf": special.erf,
    "sigmoid": special.expit,
    "tanh": np.tanh,
    "softplus": lambda t: np.log1p(np.exp(-np.abs(t))) + np.maximum(t, 0.0),
    "gelu": lambda t: t * 0.5 * special.erfc(-t / math.sqrt(2)),
}


def quad_expectation(g, L=40.0):
    """E[g(z)], z ~ N(0,1), by adaptive quadrature split at 0 (where the kinks are)."""
    kw = dict(limit=400, epsabs=1e-13, epsrel=1e-12)
    dens = lambda t: g(t) * math.exp(-t * t / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    total = 0.0
    for a, b in ((-L, 0.0), (0.0, L)):
        val, err = integrate.quad(dens, a, b, **kw)
        assert err < 1e-11, (a, b, err)  # the reference itself must be converged
        total += val
    return total


def quad_coefficient(f, m):
    e = np.zeros(m + 1)
    e[m] = 1.0
    inv = 1.0 / math.sqrt(math.factorial(m))
    return quad_expectation(lambda t: float(f(np.array(t))) * He.hermeval(t, e) * inv)


# ----------------------------------------------------------------------------
# Hermite coefficients
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", CLOSED)
def test_closed_form_coefficients_vs_quad(name):
    act = get_activation(name)
    c = act.hermite_coefficients(30)
    ref = np.array([quad_coefficient(NP_FUNCS[name], m) for m in range(31)])
    np.testing.assert_allclose(c, ref, rtol=0, atol=1e-10)


def test_relu_coefficients_paper_values():
    paper = [0.3989, 0.5, 0.2821, 0, -0.0814, 0, 0.0446, 0, -0.0298]
    c = get_activation("relu").hermite_coefficients(8)
    np.testing.assert_allclose(c, paper, rtol=0, atol=1e-4)


def test_relu_coefficients_exact_small_m():
    # c_0 = 1/sqrt(2 pi), c_1 = 1/2, c_2 = 1/sqrt(4 pi), c_4 = -1/sqrt(48 pi), c_6 = 3/sqrt(1440 pi)
    c = get_activation("relu").hermite_coefficients(6)
    ref = [
        1 / math.sqrt(2 * math.pi),
        0.5,
        1 / math.sqrt(4 * math.pi),
        0.0,
        -1 / math.sqrt(48 * math.pi),
        0.0,
        3 / math.sqrt(1440 * math.pi),
    ]
    np.testing.assert_allclose(c, ref, rtol=1e-14, atol=1e-16)


def test_relu_parseval_from_below():
    act = get_activation("relu")
    c = act.hermite_coefficients(2000)
    partial = np.cumsum(c**2)
    assert act.second_moment() == pytest.approx(0.5, abs=1e-15)
    assert np.all(partial <= 0.5 + 1e-15)  # from below
    assert np.all(np.diff(partial) >= 0)
    assert 0.5 - partial[-1] < 1e-3
    # the tail decays like M^(-3/2): the gap at M = 2000 is small but not zero
    assert 0.5 - partial[-1] > 1e-7
    assert 0.5 - partial[200] > 0.5 - partial[-1]


@pytest.mark.parametrize("name", CLOSED)
def test_closed_form_second_moments_vs_quad(name):
    act = get_activation(name)
    ref = quad_expectation(lambda t: float(NP_FUNCS[name](np.array(t))) ** 2)
    assert act.second_moment() == pytest.approx(ref, rel=1e-12)
    # and the even/odd split
    even, odd = act._part_second_moments()
    f = NP_FUNCS[name]
    ref_even = quad_expectation(lambda t: (0.5 * float(f(np.array(t)) + f(np.array(-t)))) ** 2)
    assert even == pytest.approx(ref_even, rel=1e-12, abs=1e-15)
    assert odd == pytest.approx(ref - ref_even, rel=1e-11, abs=1e-15)


@pytest.mark.slow  # first use of the 40-digit coefficients: 1-2 s CPU each, cached afterwards
@pytest.mark.parametrize("name", SMOOTH)
def test_smooth_coefficients_float64_vs_high_precision(name):
    act = get_activation(name)
    c64 = act.hermite_coefficients(60)
    chp = act.hermite_coefficients(60, high_precision=True)
    assert np.max(np.abs(c64 - chp)) < 1e-13
    # and both agree with an independent adaptive quadrature at low degree
    for m in (0, 1, 2, 3, 7):
        assert chp[m] == pytest.approx(quad_coefficient(NP_FUNCS[name], m), abs=1e-12)


@pytest.mark.parametrize("name", SMOOTH)
def test_smooth_parseval_high_precision(name):
    act = get_activation(name)
    c = act.hermite_coefficients(act.coefficient_source.max_degree, high_precision=True)
    ref = quad_expectation(lambda t: float(NP_FUNCS[name](np.array(t))) ** 2)
    assert math.fsum(c**2) == pytest.approx(ref, abs=1e-12)
    assert act.second_moment() == pytest.approx(ref, abs=1e-12)
    # the truncation point is far enough: the last coefficients are negligible.
    # NOTE: lbkit's comment on _HIGH_M says |c_m| < 1e-18 beyond it; for tanh
    # |c_360| is about 1e-13 (harmless for the norms, see test_family.py).
    assert np.max(np.abs(c[-10:])) < 1e-12


def test_parity_of_coefficients_for_odd_and_even_builtins():
    for name in ("erf", "tanh"):
        c = get_activation(name).hermite_coefficients(80)
        assert np.max(np.abs(c[0::2])) < 1e-15
    c = get_activation("abs").hermite_coefficients(80)
    assert np.max(np.abs(c[1::2])) == 0.0
    c = get_activation("sigmoid").hermite_coefficients(80)
    assert c[0] == pytest.approx(0.5, abs=1e-15)
    assert np.max(np.abs(c[2::2])) < 1e-14  # float64 quadrature of a function with mean 1/2


# ----------------------------------------------------------------------------
# dual kernel
# ----------------------------------------------------------------------------
RHOS = np.linspace(-1.0, 1.0, 21)


def test_erf_kernel_vs_mehler_series():
    act = get_activation("erf")
    c2 = act.hermite_coefficients(200) ** 2  # c_m^2 ~ (2/3)^m: converges on all of [-1, 1]
    mehler = np.array([math.fsum(c2 * r ** np.arange(201)) for r in RHOS])
    np.testing.assert_allclose(act.dual_kernel(RHOS), mehler, rtol=0, atol=1e-13)
    # and the closed form (2/pi) asin(2 rho/3) written here
    np.testing.assert_allclose(act.dual_kernel(RHOS), 2 / np.pi * np.arcsin(2 * RHOS / 3), rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", ("relu", "abs", "leaky_relu"))
def test_kinked_kernels_vs_mehler_series(name):
    act = get_activation(name)
    c2 = act.hermite_coefficients(4000) ** 2
    m = np.arange(4001)
    for r in (-0.9, -0.5, 0.0, 0.3, 0.9):
        mehler = math.fsum(c2 * np.sign(r) ** m * abs(r) ** m) if r != 0 else c2[0]
        assert float(act.dual_kernel(r)) == pytest.approx(mehler, abs=1e-4), r
        if abs(r) <= 0.5:  # the series converges geometrically there
            assert float(act.dual_kernel(r)) == pytest.approx(mehler, abs=1e-13), r


def test_relu_kernel_special_values():
    act = get_activation("relu")
    assert float(act.dual_kernel(0.0)) == pytest.approx(1 / (2 * math.pi), rel=1e-15)
    assert float(act.dual_kernel(1.0)) == pytest.approx(0.5, rel=1e-15)
    assert float(act.dual_kernel(-1.0)) == pytest.approx(0.0, abs=1e-16)
    # K(1/2) = (sqrt(3)/2 + (pi - pi/3)/2) / (2 pi) = sqrt(3)/(4 pi) + 1/6
    assert float(act.dual_kernel(0.5)) == pytest.approx(math.sqrt(3) / (4 * math.pi) + 1 / 6, rel=1e-14)


def test_kernel_shape_is_preserved():
    act = get_activation("relu")
    r = np.array([[0.1, 0.2], [0.3, -0.4]])
    assert act.dual_kernel(r).shape == (2, 2)
    assert np.shape(get_activation("sigmoid").dual_kernel(r)) == (2, 2)


@pytest.mark.parametrize("name", BUILTIN_ACTIVATIONS)
def test_dual_kernel_at_one_is_second_moment(name):
    act = get_activation(name)
    assert float(act.dual_kernel(1.0)) == pytest.approx(act.second_moment(), rel=1e-12)


@pytest.mark.parametrize("name", BUILTIN_ACTIVATIONS)
def test_dual_kernel_vs_monte_carlo(name):
    act = get_activation(name)
    f = NP_FUNCS[name]
    rng = np.random.default_rng(12345)
    N = 400_000
    u = rng.standard_normal(N)
    xi = rng.standard_normal(N)
    for r in (-0.7, 0.0, 0.5):
        v = r * u + math.sqrt(1 - r * r) * xi
        mc, se = mc_mean(f(u) * f(v))
        exact = float(act.dual_kernel(r))
        assert se < 3e-3  # small enough to tell e.g. K(0.5) from K(0.45)
        assert abs(mc - exact) < 5 * se, (r, mc, exact, se)


def test_custom_callable_kernel_cos_closed_form():
    # E[cos u cos v] = exp(-1) cosh(rho): a 2-D quadrature path inside lbkit vs a closed form
    act = get_activation(lambda t: np.cos(t))
    r = np.array([-1.0, -0.6, 0.0, 0.25, 0.8, 1.0])
    np.testing.assert_allclose(act.dual_kernel(r), math.exp(-1) * np.cosh(r), rtol=1e-12)


def test_dual_kernel_symmetry_for_odd_activation():
    # for odd sigma, K(-rho) = -K(rho)
    for name in ("erf", "tanh"):
        act = get_activation(name)
        r = np.linspace(0, 1, 11)
        np.testing.assert_allclose(act.dual_kernel(-r), -act.dual_kernel(r), rtol=0, atol=1e-15)


# ----------------------------------------------------------------------------
# parity and the vanishing rule
# ----------------------------------------------------------------------------
CALLABLES = {
    "cube": (lambda t: t**3, "odd", (-1, 3)),
    "cos": (lambda t: np.cos(t), "even", (math.inf, -1)),
    "quartic_plus_linear": (lambda t: t**4 + t, "none", (4, 1)),
    "exp": (lambda t: np.exp(t), "none", (math.inf, math.inf)),
}


@pytest.mark.parametrize("key", list(CALLABLES))
def test_parity_detection_for_callables(key):
    fn, parity, _ = CALLABLES[key]
    assert get_activation(fn).parity == parity


CALLABLES["abs_1.5"] = (lambda t: np.abs(t) ** 1.5, "even", (math.inf, -1))


@pytest.mark.parametrize("key", ["cube", "cos", "quartic_plus_linear", "exp", "abs_1.5"])
def test_part_degrees_for_callables(key):
    # entire non-polynomials (cos, exp) have tiny high Hermite coefficients but are not polynomials
    fn, _, degrees = CALLABLES[key]
    assert get_activation(fn).part_degrees == degrees


def test_declared_parity_and_degrees_are_kept():
    act = Activation(lambda t: t**5 - t, "quintic", parity="odd", part_degrees=(-1, 5))
    assert act.parity == "odd" and act.part_degrees == (-1, 5)
    assert act.vanishes(2) and not act.vanishes(5) and act.vanishes(7)


@pytest.mark.parametrize("name", ("relu", "softplus", "gelu", "leaky_relu"))
def test_vanishes_relu_like(name):
    act = get_activation(name)
    for k in range(1, 41):
        assert act.vanishes(k) == (k % 2 == 1 and k >= 3), k


@pytest.mark.parametrize("name", ("sigmoid", "tanh", "erf"))
def test_vanishes_for_even_k(name):
    act = get_activation(name)
    for k in range(1, 41):
        assert act.vanishes(k) == (k % 2 == 0), k


def test_vanishes_abs_and_cube():
    act = get_activation("abs")
    for k in range(1, 41):
        assert act.vanishes(k) == (k % 2 == 1), k
    cube = get_activation(lambda t: t**3)
    assert [k for k in range(1, 12) if cube.vanishes(k)] == [2, 4, 5, 6, 7, 8, 9, 10, 11]


@pytest.mark.parametrize("name", BUILTIN_ACTIVATIONS)
def test_builtin_parts_match_functions(name):
    act = get_activation(name)
    t = np.linspace(-4, 4, 81)
    f = NP_FUNCS[name]
    np.testing.assert_allclose(act(t), f(t), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(act.even_part(t), (f(t) + f(-t)) / 2, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(act.odd_part(t), (f(t) - f(-t)) / 2, rtol=1e-13, atol=1e-15)
    for s in (1, -1):
        np.testing.assert_allclose(act.symmetrized(t.copy(), s), f(t) + s * f(-t), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", BUILTIN_ACTIVATIONS)
def test_derivative_vs_central_difference(name):
    act = get_activation(name)
    t = np.array([-2.3, -0.7, 0.4, 1.9])  # away from the kink at 0
    h = 1e-5
    fd = (NP_FUNCS[name](t + h) - NP_FUNCS[name](t - h)) / (2 * h)
    np.testing.assert_allclose(act.derivative(t), fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", BUILTIN_ACTIVATIONS)
def test_repr_is_readable(name):
    r = repr(get_activation(name))
    assert name in r and "parity" in r and "Activation(" in r


def test_get_activation_cache_and_passthrough():
    a = get_activation("ReLU")
    assert a is get_activation("relu")
    assert get_activation(a) is a

    def my_act(t):
        return np.tanh(t) ** 3

    b = get_activation(my_act)
    assert b.name == "my_act" and b.parity == "odd"
    assert "my_act" in repr(b)


def test_hermite_tail_against_partial_sums_and_moments():
    relu = get_activation("relu")
    c = relu.hermite_coefficients(5000)
    # exact tail (moment minus partial sum) vs a long direct sum plus its O(M^-3/2) remainder
    direct = float(np.sum(c[10::2] ** 2))
    assert 0 < relu.hermite_tail(10, 0) - direct < 1e-4
    assert relu.hermite_tail(0, 0) == pytest.approx(0.25, rel=1e-14)
    assert relu.hermite_tail(3, 1) == 0.0  # odd part t/2 has no degree >= 3
    erf = get_activation("erf")
    assert erf.hermite_tail(0, 1) == pytest.approx(erf.second_moment(), rel=1e-13)
    assert erf.hermite_tail(0, 0) == 0.0
    sig = get_activation("sigmoid")
    x = np.linspace(-40, 40, 400001)
    odd2 = np.trapezoid(sig.odd_part(x) ** 2 * np.exp(-x * x / 2), x) / np.sqrt(2 * np.pi)
    assert sig.hermite_tail(1, 1) == pytest.approx(odd2, rel=1e-12)
    with pytest.raises(ValueError, match="parity must be 0"):
        relu.hermite_tail(2, 2)


# ----------------------------------------------------------------------------
# coefficient sources, the ReLU family, the kernel derivative, supplied facts
# ----------------------------------------------------------------------------
def test_coefficient_sources_are_described():
    kinds = {name: get_activation(name).coefficient_source.kind for name in BUILTIN_ACTIVATIONS}
    assert kinds == {
        "relu": "closed_form",
        "abs": "closed_form",
        "leaky_relu": "closed_form",
        "erf": "closed_form",
        "sigmoid": "high_precision",
        "tanh": "high_precision",
        "softplus": "high_precision",
        "gelu": "high_precision",
    }
    assert get_activation("tanh").coefficient_source.max_degree == 360
    assert Activation(np.cos).coefficient_source.kind == "quadrature"


@pytest.mark.parametrize("a, b", [(0.3, 1.0), (-0.5, 2.0), (1.0, 1.0), (-2.0, 2.0)])
def test_ab_relu_closed_forms_vs_quadrature(a, b):
    from lbkit.activation_library import ab_relu

    act = ab_relu(a, b)
    f = lambda t: np.where(t > 0, b * t, a * t)
    for m in range(7):
        assert act.hermite_coefficients(6)[m] == pytest.approx(quad_coefficient(f, m), abs=1e-10)
    # the dual kernel and its derivative against Mehler's series with the closed-form coefficients
    c = act.hermite_coefficients(4000)
    m = np.arange(c.size)
    for r in (-0.9, -0.3, 0.0, 0.4, 0.8):
        assert float(act.dual_kernel(r)) == pytest.approx(math.fsum(c**2 * r**m), abs=1e-9)
        assert float(act.dual_kernel_derivative(r)) == pytest.approx(
            math.fsum(m[1:] * c[1:] ** 2 * r ** (m[1:] - 1)), abs=1e-6
        )


def test_ab_relu_members_are_the_builtins():
    from lbkit.activation_library import ab_relu

    assert ab_relu(0, 1) is get_activation("relu")
    assert ab_relu(-1, 1) is get_activation("abs")
    assert ab_relu(0.01, 1) is get_activation("leaky_relu")
    with pytest.raises(ValueError, match="must not both be 0"):
        ab_relu(0, 0)


@pytest.mark.parametrize("name", ["relu", "abs", "leaky_relu", "erf", "sigmoid", "tanh"])
def test_dual_kernel_derivative_vs_monte_carlo(name):
    """K'(rho) = E[sigma'(u) sigma'(v)] for (u, v) with correlation rho."""
    act = get_activation(name)
    rng = np.random.default_rng(3)
    u, w = rng.standard_normal((2, 400_000))
    for r in (-0.6, 0.2, 0.7):
        v = r * u + math.sqrt(1 - r * r) * w
        mc, se = mc_mean(act.derivative(u) * act.derivative(v))
        assert abs(float(act.dual_kernel_derivative(r)) - mc) < 5 * se + 1e-12, (name, r)


def test_supplied_kernel_and_coefficients_are_used():
    c = get_activation("erf").hermite_coefficients(300)
    act = Activation(
        lambda t: np.asarray(__import__("scipy").special.erf(t)),
        "my_erf",
        coefficients=c,
        kernel=lambda r: 2 / np.pi * np.arcsin(2 * r / 3),
    )
    assert act.coefficient_source.kind == "supplied" and act.coefficient_source.max_degree == 300
    assert float(act.dual_kernel(0.5)) == pytest.approx(2 / np.pi * np.arcsin(1 / 3), rel=1e-15)
    with pytest.raises(ValueError, match="past the supplied coefficients"):
        act.hermite_coefficients(301)
