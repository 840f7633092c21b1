"""Errors are ValueError/TypeError with messages that say what was given and what is allowed."""

import math
import re

import numpy as np
import pytest

from lbkit import (
    BUILTIN_ACTIVATIONS,
    Activation,
    as_rng,
    gauss_hermite,
    get_activation,
    hermite_functions,
    hermite_weights,
    mean_se,
    norm_squared,
    orthogonal_network,
    sample,
    supports,
)
from lbkit.family import orthogonal_family
from lbkit.hermite import gaussian_expectation
from lbkit.supports import sign_patterns


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
    match = r"activation must be one of relu, .* \(or a vectorised callable\), got 'swish'"
    with pytest.raises(ValueError, match=match) as info:
        get_activation("swish")
    for name in BUILTIN_ACTIVATIONS:
        assert name in str(info.value)
    with pytest.raises(ValueError, match=r"activation must be one of"):
        orthogonal_network(4, [0, 1], "swish")


def test_unknown_distribution():
    with pytest.raises(ValueError, match=r"distribution must be one of 'gaussian', 'sphere', .*got 'cauchy'"):
        sample("cauchy", 3, 2, rng=0)


def test_unknown_distribution_parameter_and_bad_df():
    with pytest.raises(TypeError, match=r"'gaussian' takes parameters none, got \['df'\]"):
        sample("gaussian", 3, 2, rng=0, df=3)
    with pytest.raises(ValueError, match=r"df \(student_t\) must be >= 0.1, got -1"):
        sample("student_t", 3, 2, rng=0, df=-1)


def test_unknown_norm_method():
    with pytest.raises(ValueError, match=r"method must be one of 'hermite', 'dual_kernel', got 'mc'"):
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
    with pytest.raises(ValueError, match=r"sign_patterns\(27\).*needs 54 GiB, more than lbkit's limit of 2 GiB"):
        sign_patterns(27)
    with pytest.raises(ValueError, match=r"k must be <= 62"):
        sign_patterns(63)


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
    with pytest.raises(TypeError, match=r"an activation must be a vectorised callable, got 3 of type int"):
        Activation(3)
    with pytest.raises(TypeError, match=r"an activation is a name"):
        orthogonal_network(4, [0, 1], activation=[1, 2])


def test_non_vectorised_callable():
    match = r"must map an array of shape \(\d+,\) to an array of the same shape \(it must be vectorised\)"
    with pytest.raises(ValueError, match=match):
        get_activation(lambda t: float(np.sum(t)))


def test_bad_parity_declaration():
    with pytest.raises(ValueError, match=r"parity must be one of 'odd', 'even', 'none', got 'weird'"):
        Activation(np.tanh, parity="weird")


# ---------------------------------------------------------------------------- other arguments
def test_other_argument_checks():
    with pytest.raises(ValueError, match=r"m_max must be >= 0, got -1"):
        hermite_functions(-1, [0.0])
    with pytest.raises(ValueError, match=r"n_nodes must be >= 1, got 0"):
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


# ---------------------------------------------------------------------------- found in an audit of the API
def test_norm_refuses_k_beyond_the_known_coefficients():
    # the 40-digit coefficients of sigmoid stop at degree 220: past the point where the series has
    # converged there, the norm is refused instead of being returned too small (or 0.0)
    with pytest.raises(ValueError, match=r"k=221 is too large for an accurate norm of 'sigmoid'"):
        norm_squared(221, "sigmoid")
    with pytest.raises(ValueError, match=r"too large for an accurate norm of 'tanh'.*k <= 40 is tested"):
        norm_squared(151, "tanh")
    with pytest.raises(ValueError, match=r"k=512 is too large for the exact norm: k <= 300"):
        norm_squared(512)
    assert norm_squared(39, "sigmoid") > 0  # the tested range still works
    assert math.isfinite(norm_squared(300, "relu"))


def test_activation_must_be_square_integrable_and_finite():
    with pytest.raises(ValueError, match="not finite: E\\[sigma\\(z\\)\\^2\\] must be finite"):
        with np.errstate(all="ignore"):
            norm_squared(2, lambda t: np.exp(t**2))
    with pytest.raises(ValueError, match=r"must be finite on the whole real line.*for example at t = -"):
        with np.errstate(all="ignore"):
            get_activation(np.sqrt)
    with pytest.raises(ValueError, match="not finite at every quadrature node"):
        with np.errstate(all="ignore"):
            gaussian_expectation(np.log)
    with pytest.raises(ValueError, match="g must be vectorised"):
        gaussian_expectation(lambda z: 1.0)


def test_activation_part_degrees_and_vanishing_reason_are_checked():
    with pytest.raises(ValueError, match=r"part_degrees must be a pair \(even, odd\)"):
        Activation(np.tanh, part_degrees=(1,))
    with pytest.raises(ValueError, match=r"part_degrees must be a pair"):
        Activation(np.tanh, part_degrees=("x", "y"))
    with pytest.raises(ValueError, match="k=4 does not make f_S vanish for relu"):
        get_activation("relu").vanishing_reason(4)


def test_number_arguments_accept_numpy_scalars_and_reject_other_types():
    from lbkit import AdversaryGame, csq_lower_bound, minibatch_tolerance

    assert csq_lower_bound(64, 4, np.float32(0.25), 0.5) == pytest.approx(csq_lower_bound(64, 4, 0.25, 0.5))
    assert AdversaryGame(8, 2, tau=np.float64(0.1)).tau == 0.1
    assert minibatch_tolerance(4, np.float32(2)) == 1.0
    with pytest.raises(TypeError, match="tau must be a real number, got 'x'"):
        AdversaryGame(8, 2, tau="x")
    with pytest.raises(ValueError, match=r"tau must lie in \(0, 1\], got 1.5"):
        AdversaryGame(8, 2, tau=1.5)
    with pytest.raises(TypeError, match=r"df \(student_t\) must be a real number"):
        sample("student_t", 2, 3, rng=0, df="a")
    with pytest.raises(ValueError, match="rng must be a non-negative integer seed"):
        as_rng(-1)
    with pytest.raises(ValueError, match=r"axis=1 is out of range for values of shape \(3,\)"):
        mean_se([1.0, 2.0, 3.0], axis=1)
    with pytest.raises(TypeError, match="m_max must be an integer, got 2.0"):
        hermite_functions(2.0, [1.0])
    with pytest.raises(ValueError, match=r"t must be a scalar or one-dimensional"):
        hermite_functions(2, np.zeros((2, 2)))


def test_adversary_queries_are_validated():
    from lbkit import AdversaryGame, FamilyQuery, HermiteQuery, NeuronQuery

    with pytest.raises(TypeError, match="a coordinate of T must be an integer, got 0.7"):
        FamilyQuery([0.7, 1.2])
    with pytest.raises(TypeError, match="T must be a collection of coordinate indices"):
        FamilyQuery("ab")
    with pytest.raises(ValueError, match="distinct coordinates"):
        FamilyQuery([1, 1])
    game = AdversaryGame(8, 2, tau=0.01)
    with pytest.raises(ValueError, match=r"uses coordinate\(s\) \[20\], but the inputs have n=8"):
        game.ask(HermiteQuery({((0, 1), (20, 1)): 1.0}))
    assert game.n_queries == 0  # a refused query is not counted
    with pytest.raises(TypeError, match=r"write one pair as \(\(0, 1\),\)"):
        HermiteQuery({(0, 1): 1.0})
    assert repr(HermiteQuery({((0, 1), (3, 1)): 1.0})) == "HermiteQuery({{0: 1, 3: 1}: 1})"
    assert repr(NeuronQuery([3.0, 4.0])) == "NeuronQuery(v=[0.6, 0.8])"


def test_learners_check_targets_generators_and_sample_counts():
    torch = pytest.importorskip("torch")
    from lbkit.learners import GDRegressor, HermiteRegressor, TwoLayerNet, hermite_features

    with pytest.raises(ValueError, match="NaN or infinite value"):
        GDRegressor(max_steps=2, rng=0).fit(lambda X: np.full(len(X), np.nan), n=4)
    zero = orthogonal_network(6, [1, 2, 4], "relu")  # odd k for the ReLU: zero up to rounding
    for loss in ("square", "logistic"):
        with pytest.raises(ValueError, match="the target is zero up to rounding.*k=3 gives f_S = 0 for relu"):
            GDRegressor(max_steps=2, loss=loss, rng=0).fit(zero)
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        TwoLayerNet(4, 3, generator=None)
    with pytest.raises(ValueError, match="width must be >= 1, got 0"):
        TwoLayerNet(4, 0, generator=torch.Generator())
    with pytest.raises(TypeError, match="distribution must be a string"):
        GDRegressor(distribution=["gaussian"], rng=0).fit(orthogonal_network(6, [1, 2], "relu"))
    X = np.random.default_rng(0).standard_normal((5, 3))
    with pytest.raises(ValueError, match="at least as many samples as features"):
        HermiteRegressor(2, solver="normal").fit(X, X[:, 0])
    with pytest.raises(ValueError, match="with at least one row"):
        hermite_features(X, np.zeros((0, 3), dtype=int))
