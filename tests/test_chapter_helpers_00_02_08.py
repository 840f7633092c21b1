"""The helpers chapters 0, 2 and 8 used to write out, each against an independent reference."""

import itertools
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lbkit import orthogonal_network  # noqa: E402
from lbkit.distributions import nonzero_samples  # noqa: E402
from lbkit.hermite import hermite_multi_indices  # noqa: E402
from lbkit.norm_bounds import best_polynomial_loss  # noqa: E402
from lbkit.parity import gf2_solve, learn_sign_parity  # noqa: E402
from lbkit.plotting import plane_grid, plane_heatmap  # noqa: E402


# -- chapter 0: the plane picture ---------------------------------------------------------------
def test_plane_heatmap_draws_the_values_it_is_given():
    u, v, X = plane_grid(3, 0, 2, lim=2.0, num=21)
    Z = (X[:, 0] * X[:, 2]).reshape(v.size, u.size)
    levels = np.linspace(-3, 3, 7)
    fig, ax = plane_heatmap(u, v, Z, labels=("a", "b", "c"), vmax=4.0, levels=levels)
    try:
        mesh = ax.collections[0]
        assert np.array_equal(np.asarray(mesh.get_array()).reshape(Z.shape), Z)
        assert mesh.get_clim() == (-4.0, 4.0)
        assert mesh.get_cmap().name == "RdBu_r"
        contour = next(c for c in ax.collections[1:] if hasattr(c, "levels"))
        assert np.array_equal(contour.levels, levels)
        assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_aspect()) == ("a", "b", 1.0)
        colorbar_axes = [a for a in fig.axes if a is not ax]
        assert len(colorbar_axes) == 1 and colorbar_axes[0].get_ylabel() == "c"
        assert tuple(fig.get_size_inches()) == (5.2, 4.4)
    finally:
        plt.close(fig)


def test_plane_heatmap_refuses_bad_input():
    u, v = np.linspace(-1, 1, 5), np.linspace(-1, 1, 4)
    good = dict(labels=("a", "b", "c"), vmax=1.0, levels=[-0.5, 0.5])
    with pytest.raises(ValueError, match="shape"):
        plane_heatmap(u, v, np.zeros((5, 4)), **good)
    with pytest.raises(ValueError, match="vmax"):
        plane_heatmap(u, v, np.zeros((4, 5)), **{**good, "vmax": 0.0})
    with pytest.raises(ValueError, match="increasing"):
        plane_heatmap(u, v, np.zeros((4, 5)), **{**good, "levels": [0.5, -0.5]})
    with pytest.raises(TypeError, match="three strings"):
        plane_heatmap(u, v, np.zeros((4, 5)), **{**good, "labels": ("a", "b")})
    with pytest.raises(ValueError, match="finite"):
        plane_heatmap(u, v, np.full((4, 5), np.nan), **good)
    plt.close("all")


# -- chapter 8: the best polynomial approximation -------------------------------------------------
@pytest.mark.parametrize("k, S, activation", [(2, (1, 4), "relu"), (3, (0, 2, 5), "tanh"), (4, (0, 1, 3, 5), "relu")])
def test_best_polynomial_loss_is_one_minus_the_captured_hermite_mass(k, S, activation):
    # reference: the exact Hermite coefficients of f_S/||f_S|| over every multi-index of degree <= d
    f = orthogonal_network(6, S, activation, normalized=True)
    for d in range(0, 7):
        fhat = f.hermite_coefficients(hermite_multi_indices(6, d, "all"))
        assert best_polynomial_loss(k, d, activation) == pytest.approx(1 - np.sum(fhat**2), abs=1e-12)
    assert best_polynomial_loss(k, k - 1, activation) == 1.0


def test_best_polynomial_loss_refuses_bad_degrees():
    with pytest.raises(ValueError, match="degree"):
        best_polynomial_loss(2, -1)
    with pytest.raises(TypeError, match="degree"):
        best_polynomial_loss(2, 1.5)


# -- chapter 8: Gaussian elimination over GF(2) ----------------------------------------------------
def _brute_force(M, rhs):
    """Every solution of M s = rhs (mod 2), by enumeration."""
    p = M.shape[1]
    return [s for s in itertools.product((0, 1), repeat=p) if np.array_equal(M @ np.array(s) % 2, rhs)]


def test_gf2_solve_matches_enumeration():
    rng = np.random.default_rng(0)
    for _ in range(300):
        N, p = int(rng.integers(1, 7)), int(rng.integers(1, 6))
        M = rng.integers(0, 2, size=(N, p))
        rhs = rng.integers(0, 2, size=N)
        solutions = _brute_force(M, rhs)
        s, rank = gf2_solve(M, rhs)
        # the rank: the homogeneous system has 2^(p - rank) solutions
        assert len(_brute_force(M, np.zeros(N, dtype=int))) == 2 ** (p - rank)
        if solutions:
            assert s is not None and tuple(s.astype(int)) in solutions
            assert len(solutions) == 2 ** (p - rank)
        else:
            assert s is None


def test_gf2_solve_refuses_bad_input():
    with pytest.raises(ValueError, match="0 and 1"):
        gf2_solve([[2, 0]], [1])
    with pytest.raises(ValueError, match="shape"):
        gf2_solve([[1, 0]], [1, 0])


def test_learn_sign_parity_recovers_a_planted_parity():
    rng = np.random.default_rng(1)
    n = 12
    for c in (0, 1):
        for S in [(0,), (3, 7), (1, 5, 8, 11)]:
            X = rng.standard_normal((n + 30, n))
            y = (-1) ** c * np.prod(np.sign(X[:, list(S)]), axis=1) * rng.uniform(0.5, 2, n + 30)
            assert learn_sign_parity(X, y) == S
            assert learn_sign_parity(X, y, return_sign=True) == (S, c)
            flipped = y.copy()
            flipped[0] *= -1  # one wrong sign: no parity fits every sample
            assert learn_sign_parity(X, flipped) is None
    # too few samples to determine S
    X = rng.standard_normal((3, n))
    assert learn_sign_parity(X, np.sign(X[:, 0])) is None


def test_learn_sign_parity_refuses_zero_labels():
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="no sign"):
        learn_sign_parity(X, np.array([1.0, 0.0, -1.0]))
    with pytest.raises(ValueError, match="shape"):
        learn_sign_parity(X, np.ones(2))


# -- chapter 8: samples where the target does not vanish -------------------------------------------
def test_nonzero_samples_keeps_the_first_usable_draws():
    f = orthogonal_network(5, (0, 1, 2, 3), "relu")  # vanishes on a third of the space
    X, y = nonzero_samples(f, 50, 5, rng=3)
    # reference: the same generator, by hand
    g = np.random.default_rng(3)
    kept = []
    while len(kept) < 50:
        Z = g.standard_normal((100, 5))
        kept += [z for z in Z if abs(f(z[None])[0]) > 1e-9]
    assert np.array_equal(X, np.array(kept[:50]))
    assert np.allclose(y, f(X), rtol=1e-12, atol=1e-15) and np.all(np.abs(y) > 1e-9)


def test_nonzero_samples_refuses_a_vanishing_target():
    with pytest.raises(ValueError, match="vanishes"):
        nonzero_samples(lambda X: np.zeros(len(X)), 10, 3, rng=0)
    with pytest.raises(ValueError, match="shape"):
        nonzero_samples(lambda X: np.ones(3), 10, 3, rng=0)
    with pytest.raises(TypeError):
        nonzero_samples(None, 10, 3, rng=0)
    assert math.isfinite(nonzero_samples(lambda X: X[:, 0], 4, 2, rng=0)[1].sum())


# -- chapter 2: the functional ReLU network with biases ------------------------------------------
torch = pytest.importorskip("torch")
from lbkit.learners import (  # noqa: E402
    flatten_parameters,
    relu_net,
    relu_net_batch_gradients,
    relu_net_derivative_queries,
    relu_net_gradient_spread,
    relu_net_loss,
    relu_net_params,
)


def _numpy_params(params):
    return (params[k].numpy() for k in ("W", "b", "a"))


def _numpy_gradient(params, X, y):
    """The square loss's gradient by hand: dL/da_j = 2 mean (h - y) relu(z_j), and so on."""
    W, b, a = _numpy_params(params)
    Z = X @ W.T + b
    r = 2 * (np.maximum(Z, 0) @ a - y) / len(X)
    gb = (r[:, None] * (Z > 0) * a).sum(axis=0)
    gW = ((r[:, None] * (Z > 0) * a)[:, :, None] * X[:, None, :]).sum(axis=0)
    return np.concatenate([gW.ravel(), gb, (r[:, None] * np.maximum(Z, 0)).sum(axis=0)])


def test_relu_net_params_draws_the_documented_gaussians():
    params = relu_net_params(5, 400, torch.Generator().manual_seed(3), bias_scale=0.25)
    W, b, a = _numpy_params(params)
    assert (W.shape, b.shape, a.shape) == ((400, 5), (400,), (400,))
    assert W.var() == pytest.approx(1 / 5, rel=0.1)
    assert b.std() == pytest.approx(0.25, rel=0.1)
    assert a.var() == pytest.approx(1 / 400, rel=0.15)
    again = relu_net_params(5, 400, torch.Generator().manual_seed(3), bias_scale=0.25)
    assert all(torch.equal(params[k], again[k]) for k in params)
    with pytest.raises(TypeError, match="Generator"):
        relu_net_params(5, 4, 0)
    with pytest.raises(ValueError, match="bias_scale"):
        relu_net_params(5, 4, torch.Generator(), bias_scale=-1.0)


def test_relu_net_and_its_loss_match_numpy():
    params = relu_net_params(4, 6, torch.Generator().manual_seed(0))
    X = np.random.default_rng(0).standard_normal((50, 4))
    y = np.random.default_rng(1).standard_normal(50)
    W, b, a = _numpy_params(params)
    h = np.array([sum(a[j] * max(W[j] @ x + b[j], 0.0) for j in range(6)) for x in X])
    assert np.allclose(relu_net(params, torch.from_numpy(X)).numpy(), h, rtol=1e-12, atol=1e-14)
    loss = relu_net_loss(params, torch.from_numpy(X), torch.from_numpy(y))
    assert float(loss) == pytest.approx(np.mean((h - y) ** 2), rel=1e-12)


def test_flatten_parameters_orders_the_blocks_w_b_a():
    tree = {"a": torch.tensor([7.0, 8.0]), "W": torch.arange(4.0).reshape(2, 2), "b": torch.tensor([5.0, 6.0])}
    assert flatten_parameters(tree).tolist() == [0.0, 1.0, 2.0, 3.0, 5.0, 6.0, 7.0, 8.0]
    rows = {"W": torch.zeros(3, 2, 2), "b": torch.ones(3, 2), "a": torch.full((3, 2), 2.0)}
    assert flatten_parameters(rows, rows=3).shape == (3, 8)
    with pytest.raises(ValueError, match="leading axis"):
        flatten_parameters(rows, rows=2)
    with pytest.raises(TypeError, match="keys"):
        flatten_parameters({"W": torch.zeros(1)})


def test_batch_gradients_match_the_gradient_by_hand():
    params = relu_net_params(3, 5, torch.Generator().manual_seed(1))
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((4, 7, 3)), rng.standard_normal((4, 7))
    G = relu_net_batch_gradients(params, X, y)
    assert G.shape == (4, 3 * 5 + 5 + 5)
    for i in range(4):
        assert np.allclose(G[i], _numpy_gradient(params, X[i], y[i]), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        relu_net_batch_gradients(params, X[:, :, :2], y)
    with pytest.raises(TypeError, match="float64"):
        relu_net_batch_gradients({k: v.float() for k, v in params.items()}, X, y)


@pytest.mark.parametrize("block", ["a", "b"])
def test_derivative_queries_are_the_normalised_derivatives(block):
    from scipy import integrate, stats

    params = relu_net_params(4, 5, torch.Generator().manual_seed(4))
    W, b, a = _numpy_params(params)
    queries, norms = relu_net_derivative_queries(params, block)
    X = np.random.default_rng(5).standard_normal((200_000, 4))
    Z = X @ W.T + b
    deriv = np.maximum(Z, 0.0) if block == "a" else a * (Z > 0)
    for j, q in enumerate(queries):
        assert np.allclose(q(X) * norms[j], deriv[:, j], rtol=1e-12, atol=1e-14)  # the derivative, rescaled
        # the norm, by quadrature over z_j ~ N(b_j, |w_j|^2) (an independent reference)
        mu, s, aj = b[j], np.linalg.norm(W[j]), a[j]

        def integrand(z, mu=mu, s=s, aj=aj):
            g = max(z, 0.0) ** 2 if block == "a" else aj**2 * (z > 0)
            return g * stats.norm.pdf(z, mu, s)

        ref = integrate.quad(integrand, 0.0, np.inf)[0]  # the integrand is 0 below 0
        assert norms[j] ** 2 == pytest.approx(ref, rel=1e-7)
    with pytest.raises(ValueError, match="block"):
        relu_net_derivative_queries(params, "W")


def test_gradient_spread_is_the_std_of_the_gradients_by_hand():
    params = relu_net_params(3, 4, torch.Generator().manual_seed(6))

    def target(X):
        return np.abs(X[:, 0]) - X[:, 1]

    spread = relu_net_gradient_spread(params, target, [1, 5], 6, rng=np.random.default_rng(7))
    rng = np.random.default_rng(7)  # the same draws, in the documented order
    for row, b in zip(spread, [1, 5]):
        X = rng.standard_normal((6 * b, 3))
        G = [_numpy_gradient(params, X[i * b : (i + 1) * b], target(X[i * b : (i + 1) * b])) for i in range(6)]
        assert np.allclose(row, np.std(G, axis=0, ddof=1), rtol=1e-10, atol=1e-13)
    with pytest.raises(ValueError, match="n_batches"):
        relu_net_gradient_spread(params, target, [4], 1, rng=0)
    with pytest.raises(ValueError, match="batch size"):
        relu_net_gradient_spread(params, target, [0], 3, rng=0)
    with pytest.raises(TypeError, match="target"):
        relu_net_gradient_spread(params, "f", [4], 3, rng=0)


# -- chapter 8: the multilinear ceiling and the largest fitted terms -----------------------------
def test_multilinear_best_loss_is_one_minus_the_squared_coefficient_on_x_S():
    for k, n, S in [(2, 5, (1, 3)), (4, 6, (0, 1, 3, 5)), (6, 7, (0, 1, 2, 4, 5, 6))]:
        f = orthogonal_network(n, S, "relu", normalized=True)
        for d in range(0, k + 2):
            fhat = f.hermite_coefficients(hermite_multi_indices(n, d, "multilinear"))  # an independent reference
            assert best_polynomial_loss(k, d, features="multilinear") == pytest.approx(1 - np.sum(fhat**2), abs=1e-12)
    assert best_polynomial_loss(4, 3, features="multilinear") == 1.0
    assert best_polynomial_loss(3, 5, "sigmoid", features="all") == best_polynomial_loss(3, 5, "sigmoid")
    with pytest.raises(ValueError, match="features"):
        best_polynomial_loss(2, 2, features="odd")


def test_largest_terms_orders_the_degree_d_coefficients():
    from lbkit.learners import HermiteRegressor

    X = np.random.default_rng(3).standard_normal((2000, 4))
    y = 3 * X[:, 0] * X[:, 3] - 2 * X[:, 1] * X[:, 2] + 0.5 * X[:, 0] * X[:, 1] + X[:, 2]
    reg = HermiteRegressor(2, features="multilinear").fit(X, y)
    alphas, coefs = reg.largest_terms(2)
    assert alphas.shape == (6, 4) and coefs.shape == (6,)
    assert [tuple(np.flatnonzero(a)) for a in alphas[:3]] == [(0, 3), (1, 2), (0, 1)]
    assert np.allclose(coefs[:3], [3.0, -2.0, 0.5], atol=1e-10) and np.all(np.abs(coefs[3:]) < 1e-10)
    assert np.all(np.diff(np.abs(coefs)) <= 0)
    by_hand = {tuple(a): c for a, c in zip(reg.multi_indices_.tolist(), reg.coef_) if sum(a) == 2}
    assert {tuple(a): c for a, c in zip(alphas.tolist(), coefs)} == by_hand
    with pytest.raises(ValueError, match="degree"):
        reg.largest_terms(3)
    with pytest.raises(ValueError, match="not fitted"):
        HermiteRegressor(2).largest_terms(1)


def test_relu_net_checks_values_outside_torch_func_transforms_only():
    """The public calls refuse NaN and overflow; grad, jacrev and vmap still trace relu_net (chapter 2's pattern)."""
    from torch.func import grad, jacrev

    params = relu_net_params(3, 4, torch.Generator().manual_seed(2))
    X = torch.from_numpy(np.random.default_rng(3).standard_normal((6, 3)))
    y = torch.sin(X[:, 0])
    W, b, a = _numpy_params(params)
    Z = X.numpy() @ W.T + b
    J = flatten_parameters(jacrev(relu_net)(params, X), rows=6).numpy()  # d h(x_i) / d theta, by hand below
    ref = np.concatenate(
        [((a * (Z > 0))[:, :, None] * X.numpy()[:, None, :]).reshape(6, -1), a * (Z > 0), np.maximum(Z, 0)], 1
    )
    assert np.allclose(J, ref, rtol=1e-12, atol=1e-15)
    g = flatten_parameters(grad(relu_net_loss)(params, X, y)).numpy()
    assert np.allclose(g, 2 * (np.maximum(Z, 0) @ a - y.numpy()) @ ref / 6, rtol=1e-12, atol=1e-15)
    bad = dict(params, W=params["W"].clone())
    bad["W"][0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"params\['W'\] must be finite"):
        relu_net(bad, X)
    with pytest.raises(ValueError, match="overflows"):
        relu_net_loss({k: v * 1e200 for k, v in params.items()}, X, y)
    with pytest.raises(TypeError, match="dtype"):
        relu_net(params, X.float())
