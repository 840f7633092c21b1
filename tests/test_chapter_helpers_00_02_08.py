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
from lbkit.norms import best_polynomial_loss  # noqa: E402
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
