"""Errors are ValueError/TypeError with messages that say what was given and what is allowed."""

import re

import numpy as np
import pytest

from lbkit import (BUILTIN_ACTIVATIONS, Activation, gauss_hermite, get_activation, hermite_functions,
                   hermite_weights, norm_squared, orthogonal_family, orthogonal_network, sample,
                   sign_patterns, supports)


# ---------------------------------------------------------------------------- n, k, S
def test_k_larger_than_n():
    with pytest.raises(ValueError, match=r"k=5 is larger than n=3.*1 <= k <= n"):
        supports(3, 5)
    with pytest.raises(ValueError, match=r"k=5 is larger than n=3"):
        orthogonal_family(3, 5, "relu")


def test_k_smaller_than_one():
    with pytest.raises(ValueError, match=r"k must be >= 1, got 0"):
        supports(5, 0)
    with pytest.raises(ValueError, match=r"k must be >= 1, got -2"):
        norm_squared(-2, "relu")
    with pytest.raises(ValueError, match=r"S is empty"):
        orthogonal_network(5, [])


@pytest.mark.parametrize("bad", [2.5, 2.0, "2", True, None])
def test_non_integer_k(bad):
    with pytest.raises(TypeError, match=r"k must be an integer, got"):
        supports(5, bad)
    with pytest.raises(TypeError, match=r"k must be an integer"):
        norm_squared(bad, "relu")


def test_non_integer_n():
    with pytest.raises(TypeError, match=r"n must be an integer, got 5.0"):
        orthogonal_network(5.0, [0, 1])


def test_support_with_repeated_indices():
    with pytest.raises(ValueError, match=re.escape("S=[1, 3, 1] repeats the indices [1]")):
        orthogonal_network(5, [1, 3, 1])


def test_support_out_of_range():
    with pytest.raises(ValueError, match=re.escape("has index 5 outside range(n) = 0..4")):
        orthogonal_network(5, [0, 5])
    with pytest.raises(ValueError, match=re.escape("has index -1 outside range(n)")):
        orthogonal_network(5, [-1, 2])


def test_support_wrong_type():
    with pytest.raises(TypeError, match=r"S must be a collection of coordinate indices"):
        orthogonal_network(5, "01")
    with pytest.raises(TypeError, match=r"S must hold integer coordinate indices, got 0.0"):
        orthogonal_network(5, [0.0, 1.0])
    with pytest.raises(ValueError, match=r"has 3 coordinates, but these supports have size k=2"):
        supports(5, 2).index((0, 1, 2))


# ---------------------------------------------------------------------------- names
def test_unknown_activation_lists_builtins():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'") as info:
        get_activation("swish")
    for name in BUILTIN_ACTIVATIONS:
        assert name in str(info.value)
    with pytest.raises(ValueError, match=r"unknown activation"):
        orthogonal_network(4, [0, 1], "swish")


def test_unknown_distribution():
    with pytest.raises(ValueError, match=r"unknown distribution 'cauchy'; choose one of gaussian, sphere"):
        sample("cauchy", 3, 2, rng=0)


def test_unknown_distribution_parameter_and_bad_df():
    with pytest.raises(TypeError, match=r"'gaussian' takes parameters none, got \['df'\]"):
        sample("gaussian", 3, 2, rng=0, df=3)
    with pytest.raises(ValueError, match=r"student_t needs df > 0, got df=-1"):
        sample("student_t", 3, 2, rng=0, df=-1)


def test_unknown_norm_method():
    with pytest.raises(ValueError, match=r"method must be 'hermite' or 'dual_kernel', got 'mc'"):
        norm_squared(2, "relu", method="mc")


# ---------------------------------------------------------------------------- X
@pytest.fixture
def net():
    return orthogonal_network(4, [0, 2], "relu")


@pytest.mark.parametrize("shape", [(3, 5), (4,), (2, 4, 1), (4, 3)])
def test_X_of_wrong_shape(net, shape):
    with pytest.raises(ValueError, match=re.escape(f"X must have shape (N, 4), got shape {shape}")):
        net(np.zeros(shape))


def test_X_with_nan(net):
    X = np.zeros((3, 4))
    X[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"X contains 1 NaN or infinite entries"):
        net(X)


def test_X_with_inf(net):
    X = np.zeros((3, 4))
    X[0, 0] = np.inf
    X[2, 3] = -np.inf
    with pytest.raises(ValueError, match=r"X contains 2 NaN or infinite entries; all entries must be finite"):
        net(X)


def test_string_X(net):
    with pytest.raises(TypeError, match=r"X must be a numeric array of shape \(N, 4\), got a string"):
        net("1 2 3 4")
    with pytest.raises(TypeError, match=r"X must have a real numeric dtype"):
        net(np.array([["a", "b", "c", "d"]]))
    with pytest.raises(TypeError, match=r"X must have a real numeric dtype, got dtype complex128"):
        net(np.zeros((2, 4), dtype=complex))


def test_bad_dtype_and_chunk(net):
    with pytest.raises(TypeError, match=r"dtype must be float64 or float32, got float16"):
        net(np.zeros((2, 4)), dtype=np.float16)
    with pytest.raises(ValueError, match=r"chunk_size must be >= 1, got 0"):
        net(np.zeros((2, 4)), chunk_size=0)


# ---------------------------------------------------------------------------- vanishing networks
def test_normalized_relu_odd_k():
    with pytest.raises(ValueError, match=r"k=3 gives f_S = 0 for relu") as info:
        orthogonal_network(4, [0, 1, 2], "relu", normalized=True)
    msg = str(info.value)
    assert "odd part is linear" in msg and "even k" in msg and "cannot be normalised" in msg


def test_normalized_sigmoid_even_k():
    with pytest.raises(ValueError, match=r"k=2 gives f_S = 0 for sigmoid.*even part is a constant.*odd k"):
        orthogonal_network(4, [0, 1], "sigmoid", normalized=True)


def test_orthogonal_family_vanishing():
    with pytest.raises(ValueError, match=r"k=3 gives f_S = 0 for relu.*odd part is linear.*family would be all zeros"):
        orthogonal_family(6, 3, "relu")
    with pytest.raises(ValueError, match=r"k=2 gives f_S = 0 for tanh.*even part is zero"):
        orthogonal_family(6, 2, "tanh")


def test_too_many_units():
    with pytest.raises(ValueError, match=r"k=27 gives 2\^k = 134217728 hidden units"):
        orthogonal_network(30, range(27))
    with pytest.raises(ValueError, match=r"k <= 26 is allowed"):
        sign_patterns(27)


# ---------------------------------------------------------------------------- kernels, rng, callables
@pytest.mark.parametrize("rho", [1.5, -1.01, [0.0, 2.0]])
def test_rho_outside_unit_interval(rho):
    with pytest.raises(ValueError, match=r"rho must lie in \[-1, 1\], got values up to"):
        get_activation("relu").dual_kernel(rho)
    with pytest.raises(ValueError, match=r"rho must lie in \[-1, 1\]"):
        get_activation("sigmoid").dual_kernel(rho)


def test_rho_nan():
    with pytest.raises(ValueError, match=r"rho contains NaN or infinite values"):
        get_activation("erf").dual_kernel(np.nan)


def test_rng_none():
    with pytest.raises(TypeError, match=r"rng is required \(a seed or a numpy.random.Generator\)"):
        sample("gaussian", 3, 2, rng=None)


@pytest.mark.parametrize("bad", [1.5, "seed", True])
def test_rng_wrong_type(bad):
    with pytest.raises(TypeError, match=r"rng must be an integer seed or a numpy.random.Generator"):
        sample("gaussian", 3, 2, rng=bad)


def test_non_callable_activation():
    with pytest.raises(TypeError, match=r"an activation is a name \(relu, .*\) or a vectorised callable, got 3"):
        get_activation(3)
    with pytest.raises(TypeError, match=r"an activation must be callable, got 3"):
        Activation(3)
    with pytest.raises(TypeError, match=r"an activation is a name"):
        orthogonal_network(4, [0, 1], activation=[1, 2])


def test_non_vectorised_callable():
    with pytest.raises(ValueError, match=r"must map an array of shape \(120,\) to finite values of the same shape"):
        get_activation(lambda t: float(np.sum(t)))


def test_bad_parity_declaration():
    with pytest.raises(ValueError, match=r"parity must be 'odd', 'even' or 'none', got 'weird'"):
        Activation(np.tanh, parity="weird")


# ---------------------------------------------------------------------------- other arguments
def test_other_argument_checks():
    with pytest.raises(ValueError, match=r"m_max must be a non-negative integer, got -1"):
        hermite_functions(-1, [0.0])
    with pytest.raises(ValueError, match=r"n_nodes must be a positive integer, got 0"):
        gauss_hermite(0)
    with pytest.raises(ValueError, match=r"m_max must be >= 0, got -1"):
        get_activation("relu").hermite_coefficients(-1)
    with pytest.raises(ValueError, match=r"m_max must be >= 5, got 3"):
        hermite_weights(5, 3)
    with pytest.raises(ValueError, match=r"N must be >= 1, got 0"):
        sample("gaussian", 0, 2, rng=0)
    with pytest.raises(TypeError, match=r"does not support slicing"):
        supports(5, 2)[1:3]
    with pytest.raises(IndexError, match=r"index out of range for the 10 supports"):
        supports(5, 2)[10]
