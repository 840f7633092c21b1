"""Property-based tests (hypothesis, derandomised in conftest.py): exactness and hostile input.

Exactness: the network equals its defining sum over sign patterns; supports
round-trip through their ranks; exact norms agree with 80-digit references;
log-binomials agree with exact integers; the oracles answer within their
tolerance.

Hostile input: for each public callable of lbkit's core, arguments drawn from
a pool of wrong types, wrong values and extreme sizes must give a correct
value or lbkit's own ValueError/TypeError (IndexError/OverflowError where
documented) within a time limit, never a raw internal error, a hang or a
non-finite number.
"""

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lbkit
from lbkit.learners import hermite_feature_count, hermite_multi_indices
from lbkit.supports import sign_patterns
from tests.reference import MP_KERNELS, NP_FUNCS, comb_log10, mp_alternating_norm, network_direct

SMALL = settings(max_examples=25)
HOSTILE = settings(max_examples=60)
SECONDS = 10.0  # per call, on a loaded 2-core machine; the refusals themselves take milliseconds


# ---------------------------------------------------------------------------- exactness
@st.composite
def network_cases(draw):
    k = draw(st.integers(1, 6))
    n = draw(st.integers(k, 8))
    S = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k, unique=True))
    name = draw(st.sampled_from(sorted(NP_FUNCS)))
    seed = draw(st.integers(0, 2**32 - 1))
    return n, S, name, seed


@SMALL
@given(network_cases())
def test_network_is_the_sum_over_sign_patterns(case):
    n, S, name, seed = case
    X = np.random.default_rng(seed).standard_normal((17, n)) * 3
    f = lbkit.orthogonal_network(n, S, name)
    ref = network_direct(X, sorted(S), NP_FUNCS[name])
    scale = 2 ** len(S) * (1 + np.abs(X).max())
    np.testing.assert_allclose(f(X), ref, rtol=0, atol=1e-12 * scale)


@SMALL
@given(st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))), st.data())
def test_supports_round_trip(nk, data):
    n, k = nk
    s = lbkit.supports(n, k)
    assert s.count == math.comb(n, k)
    i = data.draw(st.integers(0, s.count - 1))
    S = s[i]
    assert len(S) == k and list(S) == sorted(set(S)) and S in s
    assert s.index(S) == i and s[i - s.count] == S
    if i + 1 < s.count:
        assert S < s[i + 1]  # lexicographic order


@SMALL
@given(st.integers(1, 24), st.sampled_from(sorted(MP_KERNELS)))
def test_norms_against_the_80_digit_alternating_sum(k, name):
    value = lbkit.norm_squared(k, name)
    ref = float(mp_alternating_norm(k, MP_KERNELS[name]))
    if lbkit.get_activation(name).vanishes(k):
        assert value == 0.0 and abs(ref) < 1e-30 * 4**k
    else:
        assert value == pytest.approx(ref, rel=1e-10)


@SMALL
@given(st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, min(n, 400)))))
def test_log10_binom_against_exact_integers(nk):
    n, k = nk
    assert lbkit.log10_binom(n, k) == pytest.approx(comb_log10(n, k), rel=1e-13, abs=1e-13)


@SMALL
@given(st.integers(0, 2**32 - 1), st.floats(0.01, 0.5), st.sampled_from(["csq", "sq"]))
def test_adversarial_answer_is_within_tau_of_the_fixed_sample_mean(seed, tau, kind):
    f = lbkit.orthogonal_network(5, [0, 3], "relu", normalized=True)
    Oracle = lbkit.CSQOracle if kind == "csq" else lbkit.SQOracle
    phi = (lambda X: X[:, 0] * X[:, 3]) if kind == "csq" else (lambda X, y: np.tanh(y * X[:, 0] * X[:, 3]))
    exact = Oracle(f, tau=tau, mode="exact", rng=seed, n_samples=4000)(phi)
    adv = Oracle(f, tau=tau, mode="adversarial", rng=seed, n_samples=4000)(phi)  # the same fixed sample
    assert abs(adv - exact) <= tau + 1e-12 and abs(adv) <= abs(exact) + 1e-12
    assert adv == 0.0 or abs(abs(exact) - abs(adv) - tau) < 1e-12


# ---------------------------------------------------------------------------- hostile input
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=5),
    st.complex_numbers(allow_nan=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10, 40),
    st.sampled_from([10**6, 10**9, 10**30, 10**400, -(10**30), 2**63, np.int64(7), np.float32(0.5), np.nan]),
    st.lists(st.integers(-3, 12), max_size=4),
    st.just(object()),
    st.just(np.array([[1.0, 2.0]])),
)
ACTIVATIONS = st.one_of(
    JUNK,
    st.sampled_from(["relu", "tanh", "erf", "abs", "gelu", "nope", ""]),
    st.just(lambda t: np.abs(t)),
    st.just(lambda t: t + 1j),
    st.just(lambda t: 1.0),
)

DOCUMENTED = (ValueError, TypeError)


def call_is_clean(fn, *args, allowed=DOCUMENTED, **kwargs):
    """Run fn: a finite result, or a documented exception with an lbkit message; within SECONDS."""
    start = time.perf_counter()
    try:
        out = fn(*args, **kwargs)
    except allowed as exc:
        message = str(exc)
        assert message and not message.startswith(
            ("could not convert", "int() argument", "float() argument", "unsupported operand", "'", "math range error")
        ), message
        out = None
    assert time.perf_counter() - start < SECONDS, (fn.__name__, args, kwargs)
    if isinstance(out, float):
        assert math.isfinite(out) or out == -math.inf, (fn.__name__, args, out)  # -inf: documented "vacuous"
    return out


@HOSTILE
@given(JUNK, JUNK)
def test_hostile_integers(a, b):
    for fn in (lbkit.supports, lbkit.log10_binom, lbkit.gd_query_count):
        call_is_clean(fn, a, b)
    for fn in (sign_patterns, lbkit.gauss_hermite, lbkit.as_rng):
        call_is_clean(fn, a)
    call_is_clean(lbkit.hermite_weights, a, b)
    call_is_clean(hermite_feature_count, a, b, "odd")
    call_is_clean(hermite_multi_indices, a, b)
    call_is_clean(lbkit.minibatch_tolerance, a, b)
    call_is_clean(lbkit.hermite_functions, a, [0.0, 1.0])


@HOSTILE
@given(st.integers(1, 50), st.integers(1, 50), JUNK, JUNK)
def test_hostile_bounds(n, k, tau, eps):
    for fn in (lbkit.csq_lower_bound, lbkit.sq_lower_bound):
        call_is_clean(fn, n, k, tau, eps)
        call_is_clean(fn, n, k, 0.1, 0.5) if k <= n else None
    call_is_clean(lbkit.sq_lower_bound, max(n, k), k, 0.1, 0.5, label_norm=tau)


@HOSTILE
@given(JUNK, ACTIVATIONS)
def test_hostile_norms(k, act):
    for fn in (lbkit.norm_squared, lbkit.norm_lower_bound):
        value = call_is_clean(fn, k, act)
        if value is not None:
            assert value >= 0
    call_is_clean(lbkit.norm_terms, k, act)


@HOSTILE
@given(JUNK, JUNK, ACTIVATIONS, JUNK)
def test_hostile_networks(n, S, act, normalized):
    f = call_is_clean(lbkit.orthogonal_network, n, S, act, normalized)
    if f is not None:
        repr(f)
        call_is_clean(f, np.ones((3, f.n)))
        call_is_clean(f, S)
    call_is_clean(lbkit.family.orthogonal_family, n, S, act)


@HOSTILE
@given(JUNK, JUNK, JUNK, JUNK)
def test_hostile_sampling_and_statistics(dist, N, n, param):
    call_is_clean(lbkit.sample, dist, N, n, 0)
    call_is_clean(lbkit.sample, "student_t", 5, 2, 0, df=param)
    call_is_clean(lbkit.sample, "shifted_gaussian", 5, 2, 0, shift=param)
    call_is_clean(lbkit.sample, "gaussian", 5, 2, param)
    call_is_clean(lbkit.mean_se, N)
    call_is_clean(lbkit.mean_se, [1.0, 2.0, 3.0], axis=n)
    call_is_clean(lbkit.boolean_labels, N, 0)


@HOSTILE
@given(ACTIVATIONS, JUNK, JUNK)
def test_hostile_activations_and_quadrature(act, m, rho):
    a = call_is_clean(lbkit.get_activation, act)
    call_is_clean(lbkit.hermite.gaussian_expectation, act if callable(act) else np.cos, m)
    if a is not None:
        call_is_clean(a.hermite_coefficients, m)
        call_is_clean(a.dual_kernel, rho)
        call_is_clean(a.dual_kernel_derivative, rho)
        call_is_clean(a.vanishes, m)
        call_is_clean(a.hermite_tail, m, 0)


@HOSTILE
@given(JUNK, JUNK, JUNK, JUNK)
def test_hostile_oracles(tau, mode, n_samples, dist):
    f = lbkit.orthogonal_network(4, [0, 1], "relu", normalized=True)
    for Oracle in (lbkit.CSQOracle, lbkit.SQOracle):
        call_is_clean(Oracle, f, tau=tau, rng=0, n_samples=200)
        call_is_clean(Oracle, f, tau=0.1, mode=mode, rng=0, n_samples=200)
        call_is_clean(Oracle, f, tau=0.1, rng=0, n_samples=n_samples)
        call_is_clean(Oracle, f, distribution=dist, tau=0.1, rng=0, n_samples=200)
    oracle = lbkit.CSQOracle(f, tau=0.1, rng=0, n_samples=200)
    call_is_clean(oracle, lambda X: np.full(X.shape[0], tau) if not isinstance(tau, (list, str)) else tau)


# ---------------------------------------------------------------------------- the methods of Activation
BUILTIN = sorted(lbkit.BUILTIN_ACTIVATIONS)
POINTS = st.lists(st.floats(-50, 50, allow_nan=False), min_size=0, max_size=12).map(np.array)


def _finite_or_documented(fn, *args, **kwargs):
    """call_is_clean, and an array result must be finite too."""
    out = call_is_clean(fn, *args, **kwargs)
    if isinstance(out, np.ndarray) and out.dtype.kind in "fc":
        assert np.all(np.isfinite(out)), (getattr(fn, "__name__", fn), args, out)
    return out


@SMALL
@given(st.sampled_from(BUILTIN), POINTS)
def test_activation_parts_add_up_and_have_their_parity(name, t):
    act = lbkit.get_activation(name)
    even, odd, value = act.even_part(t), act.odd_part(t), act(t)
    scale = 1.0 + np.abs(value)
    np.testing.assert_allclose(even + odd, value, rtol=0, atol=1e-12 * scale.max(initial=1.0))
    np.testing.assert_allclose(act.even_part(-t), even, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(act.odd_part(-t), -odd, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(act.symmetrized(t, 1), 2 * even, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(act.symmetrized(t, -1), 2 * odd, rtol=1e-9, atol=1e-12)
    z = t.copy()
    assert act.symmetrized(z, -1, out=z) is z  # in place, as the network evaluation uses it
    np.testing.assert_allclose(z, 2 * odd, rtol=1e-9, atol=1e-12)


@SMALL
@given(st.sampled_from(BUILTIN), st.lists(st.floats(-6, 6), min_size=1, max_size=8).map(np.array))
def test_activation_derivative_is_the_slope(name, t):
    act = lbkit.get_activation(name)
    t = t[np.abs(t) > 1e-3]  # away from the kink of the ReLU family
    h = 1e-6
    slope = (act(t + h) - act(t - h)) / (2 * h)
    np.testing.assert_allclose(act.derivative(t), slope, rtol=1e-5, atol=1e-6)


@SMALL
@given(st.sampled_from(BUILTIN), st.floats(-1, 1))
def test_dual_kernel_is_mehlers_series(name, rho):
    """K(rho) = sum c_m^2 rho^m, K'(rho) = sum m c_m^2 rho^(m-1), K(1) = E[sigma^2] (|rho| <= 0.9: fast series)."""
    act = lbkit.get_activation(name)
    rho = 0.9 * rho
    c2 = act.hermite_coefficients(400, high_precision=True) ** 2
    m = np.arange(c2.size)
    assert float(act.dual_kernel(rho)) == pytest.approx(float(np.sum(c2 * rho**m)), rel=1e-9, abs=1e-12)
    assert float(act.dual_kernel_derivative(rho)) == pytest.approx(
        float(np.sum(m[1:] * c2[1:] * rho ** (m[1:] - 1))), rel=1e-8, abs=1e-10
    )
    assert float(act.dual_kernel(1.0)) == pytest.approx(act.second_moment(), rel=1e-9)


@HOSTILE
@given(st.sampled_from(BUILTIN + ["custom"]), JUNK, JUNK)
def test_hostile_activation_methods(name, t, sign):
    act = lbkit.Activation(np.tanh, "custom", parity="odd") if name == "custom" else lbkit.get_activation(name)
    for method in (act.__call__, act.derivative, act.even_part, act.odd_part):
        _finite_or_documented(method, t)
    out = _finite_or_documented(act.symmetrized, [0.5, -1.0], sign)
    if out is not None:  # only +1 and -1 are signs
        assert sign in (1, -1) and not isinstance(sign, bool)
    _finite_or_documented(act.symmetrized, t, 1)
    _finite_or_documented(act.hermite_coefficients, 3, high_precision=t)
    _finite_or_documented(act.hermite_tail, 3, sign)
    _finite_or_documented(act.vanishing_reason, t)


# ---------------------------------------------------------------------------- the queries and the game
GAME = lbkit.AdversaryGame(7, 3, "tanh", tau=0.02)  # read-only below: correlations do not change the game
GRADIENT_GAME = lbkit.AdversaryGame(6, 2, "relu", tau=0.05)
EXPONENTS = st.integers(-300, 300)


@SMALL
@given(
    st.dictionaries(
        st.lists(
            st.tuples(st.integers(0, 6), st.sampled_from([1, 3])), min_size=3, max_size=3, unique_by=lambda p: p[0]
        ).map(lambda pairs: tuple(sorted(pairs))),
        st.floats(0.1, 1.0) | st.floats(-1.0, -0.1),
        min_size=1,
        max_size=4,
    ),
    EXPONENTS,
)
def test_hermite_query_correlations_are_scale_invariant(terms, e):
    ranks, corr = GAME.correlations(lbkit.HermiteQuery(terms))
    ranks2, corr2 = GAME.correlations(lbkit.HermiteQuery({a: c * 10.0**e for a, c in terms.items()}))
    assert list(ranks) == list(ranks2)
    np.testing.assert_allclose(corr2, corr, rtol=1e-12, atol=1e-300)
    assert np.sum(corr**2) <= 1 + 1e-12  # Bessel: a norm-1 query against orthonormal targets


@SMALL
@given(st.lists(st.floats(-1, 1), min_size=7, max_size=7).filter(lambda v: max(map(abs, v)) > 1e-3), EXPONENTS)
def test_neuron_query_correlations_are_scale_invariant(v, e):
    v = np.array(v)
    _, corr = GAME.correlations(lbkit.NeuronQuery(v))
    _, corr2 = GAME.correlations(lbkit.NeuronQuery(v * 10.0**e))
    np.testing.assert_allclose(corr2, corr, rtol=1e-9, atol=1e-14)
    assert np.sum(corr**2) <= 1 + 1e-9


@SMALL
@given(st.integers(0, 2**32 - 1), st.lists(EXPONENTS, min_size=2, max_size=2), EXPONENTS)
def test_gradient_correlations_are_invariant_to_positive_scalings(seed, row_exp, a_exp):
    rng = np.random.default_rng(seed)
    W, a = rng.standard_normal((2, 6)), rng.standard_normal(2)
    _, corr = GRADIENT_GAME.gradient_correlations(W, a)
    W2 = W * (10.0 ** np.array(row_exp, dtype=float))[:, None]
    _, corr2 = GRADIENT_GAME.gradient_correlations(W2, a * 10.0**a_exp)
    np.testing.assert_allclose(corr2, corr, rtol=1e-9, atol=1e-12)
    assert np.all(np.abs(corr) <= 1 + 1e-9)  # Cauchy-Schwarz


@SMALL
@given(st.lists(st.lists(st.integers(0, 6), min_size=3, max_size=3, unique=True), max_size=6), st.integers(0, 50))
def test_game_counts_family_queries_exactly(asked, q):
    game = lbkit.AdversaryGame(7, 3, "tanh", tau=0.02)
    distinct = {tuple(sorted(T)) for T in asked}
    for T in asked:
        assert game.ask(lbkit.FamilyQuery(T)) == 0.0
    assert game.n_consistent == math.comb(7, 3) - len(distinct)
    assert game.n_queries == len(asked)
    assert [h[1] for h in game.history] == sorted((h[1] for h in game.history), reverse=True)
    assert game.guaranteed(q) == pytest.approx(math.comb(7, 3) - q / 0.02**2, rel=1e-14)
    assert not distinct & set(game.consistent(limit=35))


@HOSTILE
@given(JUNK, JUNK)
def test_hostile_game_methods(a, b):
    game = lbkit.AdversaryGame(6, 2, "relu", tau=0.05)
    value = _finite_or_documented(game.guaranteed, a)
    if value is not None:
        assert a is None or (isinstance(a, (int, np.integer)) and not isinstance(a, bool) and a >= 0)
    _finite_or_documented(game.consistent, a)
    for method in (game.correlations, game.hits, game.ask, game.largest_correlation):
        _finite_or_documented(method, a)
    for method in (game.gradient_correlations, game.gradient_hits, game.ask_gradient):
        _finite_or_documented(method, a, b)
    for Query in (lbkit.FamilyQuery, lbkit.NeuronQuery, lbkit.HermiteQuery):
        _finite_or_documented(Query, a)
    _finite_or_documented(lbkit.HermiteQuery, {((0, 1),): a})
