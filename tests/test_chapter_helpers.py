"""The helpers the chapters used to copy, each against an independent reference."""

import math

import numpy as np
import pytest
import scipy.stats
import torch

from lbkit import orthogonal_network
from lbkit.learners import GDRegressor, TwoLayerNet, relu_second_moment, torch_threads
from lbkit.lower_bounds import student_parameter_count
from lbkit.queries import HermiteQuery, packed_query
from lbkit.rotations import RotatedTarget, haar_orthogonal
from lbkit.stats import correlation_se, first_step_below, folded_normal_mean


def test_first_step_below_matches_a_loop():
    rng = np.random.default_rng(0)
    steps = np.arange(0, 500, 10)
    losses = np.abs(rng.standard_normal(steps.size)) + np.linspace(1, 0, steps.size)
    for level in (0.2, 0.5, 1.0, 3.0, 0.0):
        expected = None
        for s, l in zip(steps, losses):
            if l < level:
                expected = int(s)
                break
        assert first_step_below({"step": steps, "test_loss": losses}, level) == expected


def test_first_step_below_refuses_bad_histories():
    with pytest.raises(TypeError, match="step"):
        first_step_below([1, 2], 0.5)
    with pytest.raises(ValueError, match="one length"):
        first_step_below({"step": [0, 1], "test_loss": [1.0]}, 0.5)
    with pytest.raises(ValueError, match="finite"):
        first_step_below({"step": [0], "test_loss": [1.0]}, math.nan)


def test_correlation_se_covers_the_known_correlation():
    # u, v jointly Gaussian with correlation rho: the uncentred correlation is rho
    rho, N, reps = 0.3, 4000, 200
    rng = np.random.default_rng(1)
    rs, ses = [], []
    for _ in range(reps):
        u = rng.standard_normal(N)
        v = rho * u + math.sqrt(1 - rho**2) * rng.standard_normal(N)
        r, se = correlation_se(u, v)
        rs.append(r)
        ses.append(se)
    # the delta-method SE agrees with the spread over repetitions (within 15%)
    assert np.std(rs, ddof=1) == pytest.approx(np.mean(ses), rel=0.15)
    assert abs(np.mean(rs) - rho) < 4 * np.std(rs, ddof=1) / math.sqrt(reps)


def test_correlation_se_refuses_bad_input():
    with pytest.raises(ValueError, match="one length"):
        correlation_se([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="identically zero"):
        correlation_se([0.0, 0.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        correlation_se([1.0, np.inf], [1.0, 2.0])


@pytest.mark.parametrize("mu, sigma", [(0.0, 1.0), (1.0, math.sqrt(2)), (-2.5, 0.3), (4.0, 7.0)])
def test_folded_normal_mean_matches_scipy(mu, sigma):
    expected = scipy.stats.foldnorm(c=abs(mu) / sigma, scale=sigma).mean()
    assert folded_normal_mean(mu, sigma) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError):
        folded_normal_mean(mu, 0.0)


def test_packed_query_is_the_normalised_sum_of_monomials():
    q = packed_query([(0, 2), [3, 1], (4, 5)])
    assert q.terms == {((0, 1), (2, 1)): 1.0, ((1, 1), (3, 1)): 1.0, ((4, 1), (5, 1)): 1.0}
    assert q.norm == pytest.approx(math.sqrt(3))
    assert isinstance(q, HermiteQuery)
    with pytest.raises(ValueError):
        packed_query([])
    with pytest.raises(TypeError):
        packed_query(5)


def test_haar_orthogonal_is_orthogonal_and_haar():
    Q = haar_orthogonal(5, rng=3)
    assert np.allclose(Q @ Q.T, np.eye(5), atol=1e-12)
    # the same construction as the chapters had (QR of a Gaussian matrix, signs of diag R moved into Q)
    G = np.random.default_rng(3).standard_normal((5, 5))
    Q0, R0 = np.linalg.qr(G)
    assert np.array_equal(Q, Q0 * np.sign(np.diag(R0)))
    # Haar: the first entry has mean 0 and variance 1/n; the trace has mean 0 and variance 1
    rng = np.random.default_rng(4)
    draws = np.array([haar_orthogonal(4, rng) for _ in range(4000)])
    assert abs(draws[:, 0, 0].mean()) < 4 * 0.5 / math.sqrt(4000)
    assert draws[:, 0, 0].var() == pytest.approx(1 / 4, rel=0.1)
    traces = np.trace(draws, axis1=1, axis2=2)
    assert abs(traces.mean()) < 4 / math.sqrt(4000) and traces.var() == pytest.approx(1.0, rel=0.1)
    with pytest.raises(ValueError):
        haar_orthogonal(0, rng=0)


def test_rotated_target():
    f = orthogonal_network(4, [0, 1], "relu")
    Q = haar_orthogonal(4, rng=5)
    g = RotatedTarget(f, Q)
    X = np.random.default_rng(6).standard_normal((50, 4))
    assert g.n == 4
    assert np.array_equal(g(X), f(X @ Q.T))
    assert np.allclose(g(X @ Q), f(X))  # rotating back
    with pytest.raises(ValueError, match="shape"):
        RotatedTarget(f, np.eye(3))
    with pytest.raises(TypeError):
        RotatedTarget(np.sin, np.eye(3))


@pytest.mark.parametrize("activation, n, S", [("relu", 3, (0, 2)), ("tanh", 2, (0,)), ("tanh", 3, (0, 1, 2))])
def test_hermite_coefficients_match_monte_carlo(activation, n, S):
    f = orthogonal_network(n, S, activation, normalized=True)
    alphas = np.array([a for a in np.ndindex(*(4,) * n)])
    c = f.hermite_coefficients(alphas)
    X = np.random.default_rng(7).standard_normal((400_000, n))
    y = f(X)
    He = np.polynomial.hermite_e.hermevander(X, 3) / np.sqrt([1, 1, 2, 6])  # orthonormal h_0..h_3 per coordinate
    for coef, a in zip(c, alphas):
        h = np.prod([He[:, i, d] for i, d in enumerate(a)], axis=0)
        mc, se = (y * h).mean(), (y * h).std() / math.sqrt(len(y))
        assert abs(mc - coef) < 5 * se + 1e-12, (a, mc, coef)
    # the unnormalised network's coefficients are ||f_S|| times larger
    g = orthogonal_network(n, S, activation)
    assert np.allclose(g.hermite_coefficients(alphas), c * g.norm)
    with pytest.raises(ValueError, match="shape"):
        f.hermite_coefficients(np.zeros((2, n + 1), dtype=int))
    with pytest.raises(TypeError):
        f.hermite_coefficients(np.zeros((2, n)))


def test_relu_second_moment_matches_monte_carlo_and_autograd():
    rng = np.random.default_rng(8)
    W = torch.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    a = torch.tensor(rng.standard_normal(5), requires_grad=True)
    exact = relu_second_moment(W, a)
    X = rng.standard_normal((400_000, 3))
    h = np.maximum(X @ W.detach().numpy().T, 0) @ a.detach().numpy()
    assert abs(exact.detach().item() - np.mean(h**2)) < 5 * np.std(h**2) / math.sqrt(len(h))
    assert torch.autograd.gradcheck(relu_second_moment, (W, a))
    with pytest.raises(ValueError):
        relu_second_moment(W, a[:3])
    with pytest.raises(TypeError):
        relu_second_moment(W.detach().numpy(), a)


def test_torch_threads_restores_the_count():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with torch_threads(1):
            assert torch.get_num_threads() == 1
            raise RuntimeError("inside")
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError):
        with torch_threads(0):
            pass


@pytest.mark.parametrize("n, width", [(1, 1), (16, 64), (32, 256)])
def test_student_parameter_count_counts_the_students_parameters(n, width):
    net = TwoLayerNet(n, width, generator=torch.Generator().manual_seed(0))
    assert student_parameter_count(n, width) == sum(p.numel() for p in net.parameters())


def test_student_parameter_count_is_the_regressors():
    gd = GDRegressor(width=8, max_steps=1, rng=0).fit(orthogonal_network(5, [0, 1], "relu", normalized=True))
    assert student_parameter_count(5, 8) == sum(p.numel() for p in gd.model_.parameters())


def test_relu_second_moment_and_torch_threads_refuse_bad_input_before_any_work():
    import torch

    from lbkit.learners import relu_second_moment, torch_threads

    W = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    a = torch.tensor([1.0, 1.0], dtype=torch.float64)
    with pytest.raises(ValueError, match="finite"):
        relu_second_moment(W * float("nan"), a)
    with pytest.raises(ValueError, match="non-zero"):
        relu_second_moment(torch.zeros_like(W), a)
    with pytest.raises(TypeError, match="one dtype"):
        relu_second_moment(W, a.float())
    with pytest.raises(ValueError, match="256"):
        torch_threads(10**6)  # refused when called, not only when entered
    with pytest.raises(TypeError):
        torch_threads("2")
