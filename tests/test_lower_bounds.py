"""lbkit.lower_bounds: log-space bounds against exact integer arithmetic."""

import math
from fractions import Fraction

import pytest

import lbkit
from lbkit import csq_lower_bound, gd_query_count, log10_binom, minibatch_tolerance, sq_lower_bound
from tests.reference import comb_log10, mp_log10_binom


@pytest.mark.parametrize("n, k", [(5, 2), (64, 4), (128, 8), (1000, 10), (10**6, 40)])
def test_log10_binom_matches_exact_integers(n, k):
    ref = comb_log10(n, k)  # exact integer -> log10 without overflow
    assert log10_binom(n, k) == pytest.approx(ref, rel=1e-13)
    assert lbkit.log10_binom(n, k) == pytest.approx(ref, rel=1e-13)


@pytest.mark.parametrize("n, k", [(10**30, 10**6), (10**17, 2 * 10**5), (3 * 10**5, 123_456), (10**9, 10**8)])
def test_log10_binom_large_k_matches_mpmath(n, k):
    assert log10_binom(n, k) == pytest.approx(mp_log10_binom(n, k), rel=1e-14)


@pytest.mark.parametrize("n, k, tau, eps", [(64, 4, 1 / 16, 0.5), (20, 3, 0.1, 0.01), (12, 2, 0.3, 0.2)])
def test_csq_bound_matches_exact_rational_formula(n, k, tau, eps):
    exact = Fraction(tau) ** 2 * (math.comb(n, k) - 1 / Fraction(eps))
    assert 10 ** csq_lower_bound(n, k, tau, eps) == pytest.approx(float(exact), rel=1e-12)
    assert 10 ** sq_lower_bound(n, k, tau, eps, label_norm=0.5) == pytest.approx(4 * float(exact), rel=1e-12)


def test_bound_values_quoted_in_the_design_notes_and_huge_sizes():
    assert 10 ** csq_lower_bound(64, 4, 1 / 16, 0.5) == pytest.approx(2481.9297, rel=1e-7)
    big = csq_lower_bound(10**6, 40, 1e-3, 0.1)
    assert math.isfinite(big) and big == pytest.approx(log10_binom(10**6, 40) - 6, abs=1e-12)


def test_vacuous_bound_is_minus_infinity():
    assert csq_lower_bound(5, 2, 0.1, 0.1) == -math.inf  # C(5,2) = 10 = 1/eps
    assert csq_lower_bound(5, 2, 0.1, 0.2) > -math.inf


def test_gd_queries_and_tolerance():
    assert 10 ** gd_query_count(257 * 64, 20000) == pytest.approx(257 * 64 * 20000, rel=1e-12)
    assert minibatch_tolerance(256) == 1 / 16
    assert minibatch_tolerance(100, sigma=2.0) == 0.2


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: csq_lower_bound(4, 5, 0.1, 0.1), ValueError, "k=5 is larger than n=4"),
        (lambda: csq_lower_bound(10, 2, 0.0, 0.1), ValueError, r"tau must lie in \(0, 1\]"),
        (lambda: csq_lower_bound(10, 2, 0.1, 1.5), ValueError, r"eps must lie in \(0, 1\]"),
        (lambda: csq_lower_bound(10, 2, float("nan"), 0.1), ValueError, "tau must be finite, got nan"),
        (lambda: csq_lower_bound(10, 2, "0.1", 0.1), TypeError, "tau must be a real number"),
        (lambda: sq_lower_bound(10, 2, 0.1, 0.1, label_norm=0), ValueError, "label_norm must lie"),
        (lambda: gd_query_count(0, 10), ValueError, "p must be >= 1"),
        (lambda: minibatch_tolerance(16, sigma=-1), ValueError, "sigma must be > 0, got -1"),
    ],
)
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
