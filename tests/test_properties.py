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
    exact = Oracle(f, tau=tau, mode="exact", rng=seed, m=4000)(phi)
    adv = Oracle(f, tau=tau, mode="adversarial", rng=seed, m=4000)(phi)  # the same fixed sample
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
    for fn in (lbkit.family.sign_patterns, lbkit.gauss_hermite, lbkit.as_rng):
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
def test_hostile_oracles(tau, mode, m, dist):
    f = lbkit.orthogonal_network(4, [0, 1], "relu", normalized=True)
    for Oracle in (lbkit.CSQOracle, lbkit.SQOracle):
        call_is_clean(Oracle, f, tau=tau, rng=0, m=200)
        call_is_clean(Oracle, f, tau=0.1, mode=mode, rng=0, m=200)
        call_is_clean(Oracle, f, tau=0.1, rng=0, m=m)
        call_is_clean(Oracle, f, distribution=dist, tau=0.1, rng=0, m=200)
    oracle = lbkit.CSQOracle(f, tau=0.1, rng=0, m=200)
    call_is_clean(oracle, lambda X: np.full(X.shape[0], tau) if not isinstance(tau, (list, str)) else tau)
