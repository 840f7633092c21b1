"""Adding an activation is one record: a scaled ReLU, declared once, gets norms, certified counts and training.

The record below is written with the public arguments of :class:`lbkit.activations.Activation` only, in
one place; nothing else in lbkit is edited, and every consumer (norms, certification, the game, the
trainers) reads it.  The references are independent: the scaled ReLU's facts are ``S**2`` times the
ReLU's (norms and kernels), the same supports (correlations are scale-free), and lbkit's float64
evaluation of the network (training labels).
"""

import math

import numpy as np
import pytest

import lbkit
from lbkit import activation_library
from lbkit.activation_library import ab_relu
from lbkit.activations import Activation, CoefficientSource, KernelPart, TorchTwin
from lbkit.certify import certified_neuron_hits, largest_neuron_correlation

SCALE = 3.0
NAME = "scaled_relu_test"


def _scaled_relu() -> Activation:
    relu = lbkit.get_activation("relu")
    s2 = SCALE * SCALE

    def certified(k):
        part = relu.certified_kernel(k)
        return KernelPart(
            lambda r: s2 * part.value(r),
            lambda r: s2 * part.value_mp(r),
            s2 * part.lipschitz,
            s2 * part.bound,
            s2 * part.eps,
        )

    def torch_fn(z):
        import torch

        return SCALE * torch.relu(z)

    return Activation(
        lambda t: SCALE * np.maximum(t, 0.0),
        NAME,
        parity="none",
        part_degrees=(math.inf, 1),
        derivative=lambda t: SCALE * (t > 0),
        coefficients=lambda m_max: SCALE * relu.hermite_coefficients(m_max),
        coefficient_source=CoefficientSource("closed_form", None, 1e-16, "three times the ReLU's"),
        kernel=lambda r: s2 * relu.dual_kernel(r),
        kernel_derivative=lambda r: s2 * relu.dual_kernel_derivative(r),
        second_moments=(s2 / 4, s2 / 4),
        certified_kernel=certified,
        torch_twin=TorchTwin(torch_fn),
    )


@pytest.fixture
def scaled():
    act = activation_library.register_activation(_scaled_relu())
    yield act
    activation_library._REGISTRY.pop(NAME.lower())


def test_the_name_finds_the_record(scaled):
    assert lbkit.get_activation(NAME) is scaled
    with pytest.raises(ValueError, match="already known"):
        activation_library.register_activation(_scaled_relu())
    with pytest.raises(ValueError, match="already known"):
        activation_library.register_activation(Activation(np.tanh, "relu", parity="odd", part_degrees=(-1, math.inf)))


@pytest.mark.parametrize("k", [2, 4, 6, 12])
def test_norms_are_scale_squared_times_relu(scaled, k):
    assert lbkit.norm_squared(k, NAME) == pytest.approx(SCALE**2 * lbkit.norm_squared(k, "relu"), rel=1e-12)
    assert lbkit.norm_squared(k, NAME, method="dual_kernel") == pytest.approx(
        SCALE**2 * lbkit.norm_squared(k, "relu", method="dual_kernel"), rel=1e-9
    )
    # the ReLU family's own record for the same function agrees
    assert lbkit.norm_squared(k, ab_relu(0, SCALE)) == pytest.approx(lbkit.norm_squared(k, NAME), rel=1e-12)
    assert lbkit.norm_squared(k + 1, NAME) == 0.0  # odd k >= 3 (and k = 13): the odd part is linear


def test_certified_counts_match_relu(scaled):
    rng = np.random.default_rng(3)
    for k in (2, 4):
        v = rng.standard_normal(14) * np.r_[np.full(6, 3.0), np.full(8, 0.3)]  # weight on 6 coordinates
        v /= np.linalg.norm(v)
        mine = certified_neuron_hits(v, k, NAME, tau=0.01)
        ref = certified_neuron_hits(v, k, "relu", tau=0.01)
        assert len(ref) > 0
        order_m, order_r = np.lexsort(mine.supports.T), np.lexsort(ref.supports.T)
        np.testing.assert_array_equal(mine.supports[order_m], ref.supports[order_r])
        np.testing.assert_allclose(mine.corr[order_m], ref.corr[order_r], rtol=1e-12)
        v_mine, S_mine = largest_neuron_correlation(v, k, NAME)
        v_ref, S_ref = largest_neuron_correlation(v, k, "relu")
        assert S_mine == S_ref and v_mine == pytest.approx(v_ref, rel=1e-12)


def test_the_game_certifies_it(scaled):
    game = lbkit.AdversaryGame(10, 2, NAME, tau=0.1)
    ref = lbkit.AdversaryGame(10, 2, "relu", tau=0.1)
    v = np.zeros(10)
    v[:3] = [0.8, 0.5, 0.33]
    q = lbkit.NeuronQuery(v / np.linalg.norm(v))
    assert game.largest_correlation(q)[1] == ref.largest_correlation(q)[1]


def test_training_uses_its_torch_twin(scaled):
    torch = pytest.importorskip("torch")
    from lbkit.learners import GDRegressor
    from lbkit.learners._engine import torch_network, torch_target_values

    f = lbkit.orthogonal_network(6, [0, 1], NAME, normalized=True)
    assert torch_network(f) is not None  # labels drawn in torch, from the record's twin
    X = torch.randn(500, 6, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(torch_target_values(f, X).numpy(), f(X.double().numpy()), atol=2e-5)
    est = GDRegressor(width=16, max_steps=60, batch_size=64, eval_every=20, n_test=256, rng=0).fit(f)
    assert np.all(np.isfinite(est.history_["test_loss"]))
    assert est.history_["test_loss"][-1] < est.history_["test_loss"][0]


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"torch_twin": "relu"}, TypeError, "torch_twin must be a TorchTwin"),
        (
            {"coefficient_source": "closed_form", "coefficients": lambda m: np.zeros(m + 1)},
            TypeError,
            "CoefficientSource",
        ),
        (
            {"coefficient_source": CoefficientSource("closed_form", None, 0.0, ""), "coefficients": [0.0, 1.0]},
            ValueError,
            "callable coefficients",
        ),
        ({"coefficient_decay": "medium"}, ValueError, "coefficient_decay"),
        ({"second_moments": (1.0,)}, TypeError, "second_moments must be a pair"),
        ({"second_moments": (1.0, -2.0)}, ValueError, "second moment must be >= 0"),
        ({"kernel_derivative": 3}, TypeError, "kernel_derivative"),
        ({"certified_kernel": 3}, TypeError, "certified_kernel"),
        ({"norm_k_max": 0}, ValueError, "norm_k_max"),
    ],
)
def test_record_arguments_are_checked(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Activation(np.tanh, "t", parity="odd", part_degrees=(-1, math.inf), **kwargs)
