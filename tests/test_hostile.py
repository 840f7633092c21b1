"""Issue 13's hostile inputs, one test each: a correct value, or a clear refusal that is fast and small.

"Fast and small" is measured: every refusal here must come within a few
seconds (on a loaded 2-core machine) and allocate less than 64 MiB
(tracemalloc sees numpy's allocations).
"""

import math
import time
import tracemalloc
from contextlib import contextmanager

import mpmath as mp
import numpy as np
import pytest

import lbkit
from lbkit import (
    CSQOracle,
    csq_lower_bound,
    get_activation,
    log10_binom,
    mean_se,
    norm_lower_bound,
    norm_squared,
    orthogonal_network,
    sample,
    supports,
)
from lbkit.hermite import gaussian_expectation
from lbkit.learners import hermite_feature_count
from lbkit.supports import sign_patterns

SECONDS = 5.0
BYTES = 64 * 2**20


@contextmanager
def fast_and_small(seconds=SECONDS, max_bytes=BYTES):
    """Fail if the block takes longer than ``seconds`` or allocates more than ``max_bytes`` at its peak."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert peak < max_bytes, f"allocated {peak / 2**20:.0f} MiB"


def mp_log10_binom(n, k):
    """log10 C(n, k) in enough digits (an independent reference: mpmath's binomial)."""
    with mp.workdps(len(str(n)) + 40):
        return float(mp.log10(mp.binomial(n, k)))


# ---------------------------------------------------------------------------- silent wrong numbers
@pytest.mark.parametrize(
    "n, k", [(10**30, 10**6), (10**17, 2 * 10**5), (10**6, 3 * 10**5), (10**400, 5), (10**12, 100_001)]
)
def test_log10_binom_exact_at_every_size(n, k):
    with fast_and_small():
        value = log10_binom(n, k)
    assert value == pytest.approx(mp_log10_binom(n, k), rel=1e-14)


def test_log10_binom_refuses_beyond_float64():
    with fast_and_small(), pytest.raises(ValueError, match="beyond float64"):
        log10_binom(10**3000, 10**2999)
    with fast_and_small(), pytest.raises(ValueError, match="at most 10000 bits"):
        log10_binom(2**20000, 3)


def test_csq_lower_bound_is_not_vacuous_at_huge_sizes():
    value = csq_lower_bound(10**30, 10**6, 0.1, 0.5)
    assert value == pytest.approx(mp_log10_binom(10**30, 10**6) - 2, rel=1e-14)


@pytest.mark.parametrize("df", [1e-3, 0.05, 0.0999])
def test_student_t_tiny_df_is_refused(df):
    with pytest.raises(ValueError, match=r"df \(student_t\) must be >= 0.1"):
        sample("student_t", 1000, 2, rng=0, df=df)


def test_student_t_smallest_df_is_finite():
    X = sample("student_t", 10_000, 2, rng=0, df=0.1)
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("g", [lambda z: z + 1j, lambda z: np.exp(1j * z)])
def test_complex_integrand_refused(g):
    with pytest.raises(TypeError, match="complex numbers are not allowed"):
        gaussian_expectation(g)


def test_boolean_integrand_is_an_indicator():
    assert gaussian_expectation(lambda z: z > 0) == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("flag", ["False", "True", 0, 1, None])
def test_normalized_must_be_a_bool(flag):
    with pytest.raises(TypeError, match="normalized must be True or False"):
        orthogonal_network(4, [0, 1], "relu", normalized=flag)


def test_numpy_bool_is_a_bool():
    assert orthogonal_network(4, [0, 1], "relu", normalized=np.True_).normalized is True


@pytest.mark.parametrize(
    "call",
    [
        lambda: supports(5, True),
        lambda: norm_squared(True, "relu"),
        lambda: sample("gaussian", True, 2, rng=0),
        lambda: lbkit.as_rng(True),
        lambda: lbkit.minibatch_tolerance(4, sigma=True),
    ],
)
def test_bool_is_not_a_number(call):
    with pytest.raises(TypeError):
        call()


# ---------------------------------------------------------------------------- hangs and memory
def test_huge_supports_stay_lazy():
    with fast_and_small():
        s = supports(10**9, 10**8)
        assert ((0, 1, 2) in s) is False  # wrong size
        assert repr(s).startswith("Supports(n=1000000000, k=100000000, count~10^")
        with pytest.raises(ValueError, match="log10_binom"):
            _ = s.count
        with pytest.raises(ValueError, match="iterate over the supports"):
            s[0]


def test_huge_family_repr_and_refusal():
    with fast_and_small():
        fam = lbkit.family.orthogonal_family(10**9, 10**8)
        assert "size~10^" in repr(fam)


def test_oracle_refuses_the_sample_size_a_tiny_tolerance_implies():
    f = orthogonal_network(6, [1, 4], "relu", normalized=True)
    with (
        fast_and_small(),
        pytest.raises(ValueError, match=r"tau=1e-05 implies n_samples = ceil\(1/tau\^2\) = about 10\^10"),
    ):
        CSQOracle(f, tau=1e-5, rng=0)
    with fast_and_small(), pytest.raises(ValueError, match=r"about 10\^400"):
        CSQOracle(f, tau=1e-200, rng=0)
    oracle = CSQOracle(f, tau=1e-200, rng=0, n_samples=1000)  # the way around: an explicit n_samples
    assert oracle.n_samples == 1000
    # an explicit n_samples beyond float64 (hypothesis drew 10**400 once): a ValueError, not an OverflowError
    with pytest.raises(
        ValueError, match=r"n_samples=\(an integer of 401 digits\) .* are about 10\^400 draws per query"
    ):
        CSQOracle(f, rng=0, n_samples=10**400)
    with pytest.raises(ValueError, match=r"are 6\.00e\+09 draws per query"):
        CSQOracle(f, rng=0, n_samples=10**9)


def test_sign_patterns_checked_against_the_memory_budget():
    with fast_and_small(), pytest.raises(ValueError, match=r"sign_patterns\(24\).*needs .* GiB"):
        sign_patterns(24)


def test_k22_network_caches_nothing_huge_and_evaluates_fast():
    f = orthogonal_network(22, range(22), "relu")
    X = np.random.default_rng(0).standard_normal((4, 22))
    start = time.perf_counter()
    y1 = f(X)
    y2 = f(X)
    assert time.perf_counter() - start < 30
    np.testing.assert_array_equal(y1, y2)
    with pytest.raises(ValueError, match="hidden weights W"):
        _ = f.W


def test_blocked_evaluation_matches_the_cached_one():
    """k = 21 evaluates in blocks of patterns: compare with the whole-matrix sum at float64 rounding."""
    k = 21
    f = orthogonal_network(k, range(k), "tanh")
    X = np.random.default_rng(1).standard_normal((3, k))
    P = sign_patterns(k)
    ref = np.tanh(X @ P.T / math.sqrt(k)) @ np.prod(P, axis=1)
    np.testing.assert_allclose(f(X), ref, rtol=1e-9, atol=1e-9 * np.abs(ref).max())


def test_feature_count_fast_at_high_degree():
    with fast_and_small():
        assert hermite_feature_count(10, 10**4, "odd") > 0
    with fast_and_small(), pytest.raises(ValueError, match="digits"):
        hermite_feature_count(10**9, 10**9)


def test_hermite_coefficients_huge_degree_refused():
    with fast_and_small(), pytest.raises(ValueError, match=r"m_max must be <= 1000000"):
        get_activation("relu").hermite_coefficients(10**10)


def test_norm_squared_refuses_fast_where_it_cannot_be_exact():
    budget = fast_and_small(seconds=10, max_bytes=256 * 2**20)
    with budget, pytest.raises(ValueError, match="too large for an accurate"):
        norm_squared(299, "tanh")


# ---------------------------------------------------------------------------- wrong exception or message
def test_norm_lower_bound_beyond_float64():
    with pytest.raises(ValueError, match="log10=True"):
        norm_lower_bound(2000, "relu")
    assert norm_lower_bound(2000, "relu", log10=True) > 308


def test_norm_lower_bound_past_known_coefficients_is_refused():
    with pytest.raises(ValueError, match="past the highest known Hermite coefficient"):
        norm_lower_bound(170, "gelu")


def test_kinked_custom_activation_gets_the_real_reason():
    with pytest.raises(ValueError, match=r"kink.*'abs'.*coefficients="):
        norm_squared(2, lambda t: np.abs(t))


def test_kinked_custom_activation_with_supplied_coefficients_works():
    abs_c = get_activation("abs").hermite_coefficients(400)
    act = lbkit.Activation(np.abs, "my_abs", coefficients=abs_c)
    assert act.coefficient_source.kind == "supplied"
    assert norm_squared(2, act) == pytest.approx(norm_squared(2, "abs"), rel=1e-5)


def test_repr_of_a_valid_unnormalised_network():
    f = orthogonal_network(4, [0, 1], lambda t: np.abs(t))  # valid, but its exact norm is refused
    assert repr(f).endswith("norm=unavailable)")


@pytest.mark.parametrize(
    "values, exc, match",
    [
        (["a", "b"], TypeError, "values must be an array of real numbers"),
        ("ab", TypeError, "got a string"),
        ([1 + 1j, 2], TypeError, "complex"),
        ([[1.0, 2.0], [3.0]], ValueError, "rectangular"),
    ],
)
def test_mean_se_messages(values, exc, match):
    with pytest.raises(exc, match=match):
        mean_se(values)
