"""Orthonormal (probabilists') Hermite polynomials and Gaussian quadrature.

The orthonormal Hermite polynomials under the standard Gaussian measure are

.. math:: h_m(t) = \\mathrm{He}_m(t) / \\sqrt{m!},

so that :math:`\\mathbb E[h_m(z) h_{m'}(z)] = \\delta_{mm'}` for
:math:`z \\sim N(0, 1)`.  They satisfy the three-term recurrence
:math:`h_{m+1}(t) = (t\\, h_m(t) - \\sqrt{m}\\, h_{m-1}(t)) / \\sqrt{m+1}`,
which is what :func:`hermite_functions` runs (it never forms
:math:`\\mathrm{He}_m` or :math:`m!` and so never overflows).

Notation: in lbkit's code ``m`` (``m_max``, ``m_min``) is always a Hermite
degree.  The book's notation page also uses the letter for the family size
:math:`\\binom nk` (in code :attr:`lbkit.AdversaryGame.n_candidates`) and for
the samples per query of an oracle (``CSQOracle(..., n_samples=...)``).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.special import roots_hermitenorm

from ._checks import (
    MAX_COUNT_DIGITS,
    check_budget,
    check_callable,
    check_choice,
    check_finite,
    check_int,
    check_real,
    check_real_array,
    check_X,
    log10_comb_estimate,
)

#: Largest number of Gauss-Hermite nodes (scipy's rule is accurate there; memory is 1.6 MB).
MAX_NODES = 100_000
#: Highest degree hermite_functions evaluates (its recurrence is one numpy step per degree).
MAX_DEGREE = 20_000

__all__ = [
    "hermite_functions",
    "gauss_hermite",
    "gauss_hermite_grid",
    "gaussian_expectation",
    "trapezoid_expectation",
    "hermite_feature_count",
    "hermite_multi_indices",
    "hermite_features",
    "FEATURE_SETS",
    "hermite_coefficients_quadrature",
    "gauss_hermite_pair",
    "quadrature_coefficients",
]


def hermite_functions(m_max: int, t) -> np.ndarray:
    """Evaluate :math:`h_0, \\dots, h_{m_{\\max}}` at the points ``t``.

    Parameters
    ----------
    m_max : int
        Highest degree, ``m_max >= 0``.
    t : array_like of shape (P,)
        Evaluation points.

    Returns
    -------
    H : ndarray of shape (m_max + 1, P)
        ``H[m, p] = h_m(t[p])``, orthonormal probabilists' Hermite polynomials.

    Raises
    ------
    TypeError
        If ``m_max`` is not an integer.
    ValueError
        If ``m_max < 0`` or ``m_max > 20000`` (``MAX_DEGREE``), ``t`` has
        more than one dimension or NaN or infinite entries, an entry of ``t``
        is so large that :math:`h_{m_{\\max}}(t)` overflows float64, or the
        result would exceed lbkit's memory limit (2 GiB).

    Examples
    --------
    >>> import numpy as np
    >>> H = hermite_functions(2, np.array([0.0, 1.0]))
    >>> np.round(H[2], 6)        # (t^2 - 1) / sqrt(2)
    array([-0.707107,  0.      ])
    """
    m_max = check_int(m_max, "m_max", minimum=0, maximum=MAX_DEGREE)
    t = check_finite(check_real_array(t, "t"), "t")
    if t.ndim > 1:
        raise ValueError(
            f"t must be a scalar or one-dimensional, of shape (P,), got shape {t.shape}; "
            f"pass t.ravel() and reshape the result"
        )
    t = t.ravel()
    check_budget(
        (m_max + 1) * t.size * 8,
        f"hermite_functions({m_max}, t) for {t.size} points",
        "use fewer points or a lower degree (or evaluate in chunks)",
    )
    H = np.empty((m_max + 1, t.size))
    H[0] = 1.0
    if m_max >= 1:
        H[1] = t
    with np.errstate(over="ignore", invalid="ignore"):
        for m in range(1, m_max):
            H[m + 1] = (t * H[m] - np.sqrt(m) * H[m - 1]) / np.sqrt(m + 1)
    if not np.all(np.isfinite(H)):  # h_m(t) ~ t^m / sqrt(m!): beyond float64's range for large |t|
        bad = ~np.all(np.isfinite(H), axis=0)
        raise ValueError(
            f"t has entries up to {float(np.max(np.abs(t[bad]))):g} in absolute value, where h_{m_max}(t) "
            f"overflows float64 (1.8e308); {int(bad.sum())} of {t.size} points are too large for degree {m_max}"
        )
    return H


@lru_cache(maxsize=16)
def _gauss_hermite_cached(n_nodes: int):
    x, w = roots_hermitenorm(n_nodes)
    w = w / w.sum()
    x.setflags(write=False)
    w.setflags(write=False)
    return x, w


def gauss_hermite(n_nodes: int):
    """Gauss quadrature nodes and weights for the standard Gaussian.

    Parameters
    ----------
    n_nodes : int
        Number of nodes ``N >= 1``.  The rule integrates polynomials of degree
        ``2N - 1`` exactly against :math:`N(0, 1)`.

    Returns
    -------
    x : ndarray of shape (N,)
        Nodes (read-only, cached).
    w : ndarray of shape (N,)
        Weights, normalised to sum to one, so ``w @ g(x)`` approximates
        :math:`\\mathbb E[g(z)]`.

    Raises
    ------
    TypeError
        If ``n_nodes`` is not an integer.
    ValueError
        If ``n_nodes < 1`` or ``n_nodes > 100000`` (``MAX_NODES``).

    Notes
    -----
    Uses :func:`scipy.special.roots_hermitenorm`, which is stable for large
    ``N`` (numpy's ``hermegauss`` overflows from about 400 nodes).

    Examples
    --------
    >>> x, w = gauss_hermite(3)
    >>> np.round(x, 6), np.round(w, 6)
    (array([-1.732051,  0.      ,  1.732051]), array([0.166667, 0.666667, 0.166667]))
    >>> round(float(w @ x ** 2), 12)          # E[z^2] = 1, exact for degree <= 5
    1.0
    """
    n_nodes = check_int(n_nodes, "n_nodes", minimum=1, maximum=MAX_NODES)
    return _gauss_hermite_cached(int(n_nodes))


def _tensor_grid(x, w, d: int):
    """The d-fold tensor product of a 1-d rule (x, w): nodes of shape (len(x)**d, d), weights of shape (len(x)**d,)."""
    grid = np.stack(np.meshgrid(*[x] * d, indexing="ij"), axis=-1).reshape(-1, d)
    weights = w
    for _ in range(d - 1):
        weights = np.multiply.outer(weights, w)
    return grid, weights.ravel()


def gauss_hermite_grid(n_nodes: int, d: int):
    """The tensor-product Gauss quadrature rule for the standard Gaussian on :math:`\\mathbb R^d`.

    The product of :func:`~lbkit.gauss_hermite` in every coordinate: ``w @ g(x)`` approximates
    :math:`\\mathbb E[g(z)]`, :math:`z\\sim N(0, I_d)`, exactly for polynomials of degree at most
    ``2 n_nodes - 1`` in each coordinate.

    Parameters
    ----------
    n_nodes : int
        Nodes per coordinate, ``N >= 1``.
    d : int
        Dimension, ``d >= 1``, with ``N**d <= 10**7`` points.

    Returns
    -------
    x : ndarray of shape (N**d, d)
        The nodes, the last coordinate varying fastest.
    w : ndarray of shape (N**d,)
        Their weights, the products of the one-dimensional weights (summing to one).

    Raises
    ------
    TypeError
        If ``n_nodes`` or ``d`` is not an integer.
    ValueError
        If ``n_nodes < 1``, ``d < 1`` or ``N**d > 10**7``.

    Examples
    --------
    >>> x, w = gauss_hermite_grid(3, 2)
    >>> x.shape, round(float(w @ (x[:, 0] ** 2 * x[:, 1] ** 2)), 12)    # E[z_1^2 z_2^2] = 1
    ((9, 2), 1.0)
    """
    n_nodes = check_int(n_nodes, "n_nodes", minimum=1, maximum=MAX_NODES)
    d = check_int(d, "d", minimum=1)
    if (n_nodes > 1 and d > 24) or n_nodes**d > 10**7:  # 2**25 > 10**7: no power of a huge d is computed
        size = f" = {n_nodes**d:.3g}" if d <= 24 else ""
        raise ValueError(f"n_nodes**d must be at most 10**7 points, got {n_nodes}**{d}{size}")
    check_budget(d * 8, f"a grid of one node in d={d} dimensions", "use fewer dimensions")
    return _tensor_grid(*gauss_hermite(n_nodes), d)


_GRID = np.linspace(-12.0, 12.0, 481)  # includes 0 and the multiples of 0.05


def _values_on_nodes(g, n_nodes):
    """The Gauss--Hermite nodes and weights of ``n_nodes`` and ``g`` at the nodes, checked (real, one per node)."""
    check_callable(g, "g", "a vectorised callable")
    x, w = gauss_hermite(n_nodes)
    with np.errstate(all="ignore"):
        gx = check_real_array(g(x), "the values of g")
    if gx.shape != x.shape:
        raise ValueError(
            f"g must be vectorised: it must map the {x.size} quadrature nodes (shape {x.shape}) to "
            f"an array of the same shape, got shape {gx.shape}"
        )
    return x, w, gx


def gaussian_expectation(g, n_nodes: int = 400) -> float:
    """:math:`\\mathbb E[g(z)]` for :math:`z \\sim N(0,1)` by Gauss--Hermite quadrature.

    Parameters
    ----------
    g : callable
        A vectorised function of one real variable: it is called once, on the
        ndarray of all ``n_nodes`` nodes (shape ``(n_nodes,)``), and must
        return an array of the same shape, elementwise.  A function written
        for scalars only (``math.exp``, an ``if`` on its argument) does not
        qualify; use numpy ufuncs or ``numpy.vectorize``.
    n_nodes : int, default 400
        Number of quadrature nodes.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``g`` does not return one finite value per node (shape ``(n_nodes,)``):
        for example a function that returns a single number (not vectorised),
        is not integrable against the Gaussian, or is not defined on the whole
        real line; or if ``n_nodes < 1``.  An exception raised by ``g`` itself
        propagates unchanged.
    TypeError
        If ``g`` is not callable or returns complex or non-numeric values, or
        ``n_nodes`` is not an integer.

    Examples
    --------
    >>> round(gaussian_expectation(lambda z: z ** 4), 10)   # E[z^4] = 3
    3.0
    """
    x, w, gx = _values_on_nodes(g, n_nodes)
    with np.errstate(all="ignore"):
        value = w @ gx
    if not np.all(np.isfinite(gx)) or not np.isfinite(value):
        raise ValueError(
            "g is not finite at every quadrature node (or its Gaussian expectation overflows): "
            "E[g(z)] needs g defined on the whole real line and integrable against N(0, 1)"
        )
    _check_finite_between_nodes(g, "E[g(z)] by quadrature")
    return float(value)


def quadrature_coefficients(g, m_max: int, n_nodes: int = 400) -> np.ndarray:
    """The Hermite coefficients :math:`c_m = \\mathbb E[g(z)\\, h_m(z)]`, ``m <= m_max``, by Gauss quadrature.

    ``hermite_functions(m_max, x) @ (w * g(x))`` with the nodes and weights of
    :func:`lbkit.gauss_hermite`: exact when :math:`g\\, h_m` is a polynomial of degree at most
    ``2 n_nodes - 1``, and accurate for smooth ``g`` well inside that range.

    Parameters
    ----------
    g : callable
        A vectorised function of one real variable: called once on the ndarray of
        the nodes (shape ``(n_nodes,)``), it must return an array of that shape.
    m_max : int
        Highest degree, ``0 <= m_max <= 20000`` (``MAX_DEGREE``).
    n_nodes : int, default 400
        Number of quadrature nodes, ``1 <= n_nodes <= 100000``.

    Returns
    -------
    c : ndarray of shape (m_max + 1,)

    Raises
    ------
    TypeError
        If ``g`` is not callable or returns non-real values, or ``m_max`` or ``n_nodes``
        is not an integer.
    ValueError
        If ``g`` does not return one value per node, is NaN or infinite at a node or on a
        fine grid (a singularity), ``m_max`` or ``n_nodes`` is out of range, or ``m_max``
        is so high that :math:`h_m` overflows at the outer nodes.

    Examples
    --------
    >>> c = quadrature_coefficients(lambda z: z**3, 4, n_nodes=10)   # z^3 = 3 h_1 + sqrt(6) h_3
    >>> bool(np.allclose(c, [0, 3, 0, np.sqrt(6), 0], rtol=0, atol=1e-12))
    True
    """
    x, w, gx = _values_on_nodes(g, n_nodes)
    if not np.all(np.isfinite(gx)):
        raise ValueError("g is NaN or infinite at a quadrature node: its Hermite coefficients need g finite everywhere")
    _check_finite_between_nodes(g)
    return hermite_functions(m_max, x) @ (w * gx)


def _quadrature_coefficients(g, m_max: int, n_nodes: int) -> np.ndarray:
    """:func:`quadrature_coefficients` without the finiteness checks: an Activation judges its own coefficients."""
    x, w = gauss_hermite(n_nodes)
    gx = check_real_array(g(x), "the values of g")
    if gx.shape != x.shape:
        raise ValueError(
            f"g returned shape {gx.shape} for the {x.size} quadrature nodes (shape {x.shape}); "
            "it must be vectorised (elementwise)"
        )
    return hermite_functions(m_max, x) @ (w * gx)


def _check_finite_between_nodes(g, what: str = "quadrature") -> None:
    """Refuse a g that is NaN or infinite on a fine grid (a singularity at 0, log|z|, is no node of an even rule)."""
    with np.errstate(all="ignore"):
        try:
            grid = np.asarray(g(_GRID))
        except Exception:  # noqa: BLE001 - g answered on the nodes; the grid is an extra check only
            grid = np.zeros_like(_GRID)
    if grid.shape == _GRID.shape and grid.dtype.kind in "fiub" and not np.all(np.isfinite(grid)):
        t0 = float(_GRID[~np.isfinite(grid)][0])
        raise ValueError(
            f"g is NaN or infinite at t = {t0:g}: {what} needs g finite on the whole real line "
            "(a singular g has no reliable quadrature)"
        )


#: Largest number of nodes per axis of gauss_hermite_pair's product rule (its arrays have n_nodes**2 entries).
MAX_PAIR_NODES = 2_000


def gauss_hermite_pair(rho, n_nodes: int):
    """The product Gauss quadrature rule for a pair of standard Gaussians with correlation ``rho``.

    With :math:`x_i, w_i` the rule of :func:`lbkit.gauss_hermite`, the nodes are
    :math:`u = x_i` and :math:`v = \\rho\\, x_i + \\sqrt{1-\\rho^2}\\, x_j` with weight
    :math:`w_i w_j`, so that ``w @ g(u, v)`` approximates :math:`\\mathbb E[g(u, v)]`.

    Parameters
    ----------
    rho : float
        The correlation, ``-1 <= rho <= 1``.
    n_nodes : int
        Nodes per axis ``N``, ``1 <= N <= 2000`` (``MAX_PAIR_NODES``).  The rule is exact for
        :math:`g(u, v)` a polynomial of degree at most ``2N - 1`` in each of :math:`x_i, x_j`,
        in particular for every :math:`u^a v^b` with :math:`a + b \\le 2N - 1`.

    Returns
    -------
    u, v, w : ndarray of shape (N * N,)
        Nodes and weights (the index ``i * N + j`` holds the pair :math:`(i, j)`); the
        weights are positive and sum to one.

    Raises
    ------
    TypeError
        If ``rho`` is not a real number or ``n_nodes`` not an integer.
    ValueError
        If ``rho`` is outside ``[-1, 1]`` or ``n_nodes`` outside ``1..2000``.

    Examples
    --------
    >>> u, v, w = gauss_hermite_pair(0.3, 10)
    >>> round(float(w @ (u * v)), 12), round(float(w @ (u**2 * v**2)), 12)   # rho, 1 + 2 rho^2
    (0.3, 1.18)
    """
    rho = check_real(rho, "rho", minimum=-1, maximum=1)
    n_nodes = check_int(n_nodes, "n_nodes", minimum=1, maximum=MAX_PAIR_NODES)
    x, w = gauss_hermite(n_nodes)
    u = np.repeat(x, n_nodes)
    v = rho * u + math.sqrt(1 - rho**2) * np.tile(x, n_nodes)
    return u, v, np.outer(w, w).ravel()


def trapezoid_expectation(F, d: int, h: float, L: float = 8.4) -> float:
    """:math:`\\mathbb E[F(x)]` for :math:`x \\sim N(0, I_d)` by the tensor trapezoidal rule on :math:`[-L, L]^d`.

    The nodes are :math:`-L, -L + h, \\dots` up to :math:`L` in each coordinate, each weighted by
    :math:`h\\,\\varphi(z)`; for a smooth ``F`` of moderate growth the rule converges faster than
    any power of ``h`` (compare two step sizes to see it). Suited to small ``d`` (it evaluates
    ``F`` on all :math:`(2L/h + 1)^d` nodes at once) and to functions that are smooth but not
    polynomial-like, where a Gauss--Hermite rule in each coordinate converges slowly.

    Parameters
    ----------
    F : callable
        Vectorised: maps nodes of shape (M, d) to values of shape (M,).
    d : int
        Dimension, ``1 <= d``.
    h : float
        Step, ``h > 0``.
    L : float, default 8.4
        Half-width of the box (the Gaussian mass outside :math:`[-8.4, 8.4]` is about ``5e-17``
        per coordinate).

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``F`` is not callable or returns non-real values, or ``d`` is not an integer.
    ValueError
        If ``d < 1``, ``h`` or ``L`` is not positive, ``h > L``, the grid exceeds lbkit's memory
        limit, or ``F`` returns the wrong shape or non-finite values.

    Examples
    --------
    >>> round(trapezoid_expectation(lambda G: G[:, 0] ** 2 * G[:, 1] ** 2, 2, 0.25), 12)   # E[x^2] E[y^2]
    1.0
    """
    check_callable(F, "F", "a vectorised callable F(nodes of shape (M, d)) -> (M,)")
    d = check_int(d, "d", minimum=1)
    h = check_real(h, "h", minimum=0, min_open=True)
    L = check_real(L, "L", minimum=0, min_open=True)
    if h > L:
        raise ValueError(f"h must be at most L (the grid on [-L, L] needs two nodes or more), got h={h:g} and L={L:g}")
    check_budget(
        int(min(2 * L / h + 2, 2.0**80)) * 8,
        f"a grid of spacing h={h:g} on [-L, L] = [-{L:g}, {L:g}]",
        "use a larger h or a smaller L",
    )
    z = np.arange(-L, L + h / 2, h)
    e = min(d, 64)  # z.size >= 2: 2**64 nodes are over any budget, and no power of a huge d is computed
    check_budget(z.size**e * (e + 2) * 8, f"a trapezoidal grid of {z.size}^{d} nodes", "use a larger h or a smaller d")
    w = h * np.exp(-(z**2) / 2) / np.sqrt(2 * np.pi)
    grid, weights = _tensor_grid(z, w, d)
    values = check_real_array(F(grid), "the values of F")
    if values.shape != (grid.shape[0],) or not np.all(np.isfinite(values)):
        raise ValueError(
            f"F must map the {grid.shape[0]} nodes (shape {grid.shape}) to as many finite values, "
            f"got shape {values.shape}" + ("" if values.shape != (grid.shape[0],) else " with NaN or infinite entries")
        )
    return float(weights @ values)


def hermite_coefficients_quadrature(fn, dim: int, m_max: int, n_nodes: int = 60) -> np.ndarray:
    """The Hermite coefficients :math:`\\mathbb E[f\\,h_\\alpha]` of ``fn`` on :math:`N(0, I_{dim})`, every
    :math:`\\alpha_i \\le` ``m_max``, by quadrature.

    By the tensor-product Gauss--Hermite rule of :func:`~lbkit.gauss_hermite` in each coordinate:
    ``fn`` is evaluated once on the ``n_nodes ** dim`` grid points, then each axis is contracted
    with the weighted :func:`~lbkit.hermite_functions`.  Exact for a polynomial ``fn`` of degree
    below ``2 * n_nodes - m_max`` in each coordinate; an independent check of closed-form coefficients.

    Parameters
    ----------
    fn : callable
        Maps an array of points of shape (P, dim) to their values, shape (P,).
    dim : int
        Number of variables, ``1 <= dim <= 6``.
    m_max : int
        Largest degree in each coordinate, ``0 <= m_max < n_nodes``.
    n_nodes : int, default 60
        Nodes per coordinate; the grid (``n_nodes ** dim`` points of ``dim`` floats) must fit in
        lbkit's memory limit.

    Returns
    -------
    ndarray of shape (m_max + 1,) * dim
        Entry ``alpha``: :math:`\\mathbb E[f\\,h_\\alpha]`, :math:`h_\\alpha(x) = \\prod_i h_{\\alpha_i}(x_i)`.

    Raises
    ------
    TypeError
        If ``fn`` is not callable, or ``dim``, ``m_max`` or ``n_nodes`` is not an integer.
    ValueError
        If an integer is out of range, the grid exceeds the memory limit, or ``fn`` does not return
        one finite value per point.

    Examples
    --------
    >>> c = hermite_coefficients_quadrature(lambda X: X[:, 0] ** 2 * X[:, 1], 2, 3, n_nodes=8)
    >>> np.round(c[:, 1], 12) + 0.0      # x_0^2 = h_0 + sqrt(2) h_2
    array([1.        , 0.        , 1.41421356, 0.        ])
    """
    check_callable(fn, "fn", "a callable mapping points of shape (P, dim) to values of shape (P,)")
    dim = check_int(dim, "dim", minimum=1, maximum=6)
    n_nodes = check_int(n_nodes, "n_nodes", minimum=1, maximum=MAX_NODES)
    m_max = check_int(m_max, "m_max", minimum=0, maximum=n_nodes - 1)
    check_budget(
        n_nodes**dim * dim * 8,
        f"a {dim}-dimensional grid of {n_nodes} nodes per coordinate",
        "use fewer nodes or fewer dimensions",
    )
    x, w = gauss_hermite(n_nodes)
    grid, _ = _tensor_grid(x, w, dim)
    F = check_real_array(fn(grid), "the values of fn")
    if F.shape != (len(grid),) or not np.all(np.isfinite(F)):
        raise ValueError(
            f"fn must return one finite value per point: shape ({len(grid)},) for the grid, got shape {F.shape}"
            + ("" if F.shape != (len(grid),) else " with NaN or infinite values")
        )
    Hw = hermite_functions(m_max, x) * w  # (m_max + 1, n_nodes)
    T = F.reshape((n_nodes,) * dim)
    for _ in range(dim):  # contract the leading node axis; the new degree axis goes last
        T = np.tensordot(T, Hw, axes=([0], [1]))
    return T


# ----------------------------------------------------------------------------
# the multivariate basis h_alpha(x) = prod_i h_{alpha_i}(x_i)
# ----------------------------------------------------------------------------

FEATURE_SETS = {
    "all": "every multi-index alpha with |alpha| <= degree",
    "odd": "every alpha_i is 0 or odd (products of odd-degree univariate Hermite polynomials)",
    "multilinear": "every alpha_i is 0 or 1 (products of distinct coordinates)",
}


def _check_features(features) -> str:
    return check_choice(features, "features", FEATURE_SETS)


def _check_degree(degree) -> int:
    return check_int(degree, "degree", minimum=0)


def hermite_feature_count(n: int, degree: int, features: str = "all") -> int:
    """Exact number of multi-indices in a feature set (a Python int of any size).

    Parameters
    ----------
    n : int
        Input dimension, ``n >= 1``.
    degree : int
        Largest total degree :math:`|\\alpha|`, ``degree >= 0``.
    features : {"all", "odd", "multilinear"}, default "all"

    Returns
    -------
    int
        ``"all"``: :math:`\\binom{n+d}{d}`; ``"multilinear"``:
        :math:`\\sum_{j\\le d}\\binom nj`; ``"odd"``: the coefficients of
        :math:`(1 + t/(1-t^2))^n` up to :math:`t^d`, summed (exact integer
        arithmetic).

    Raises
    ------
    TypeError
        If ``n`` or ``degree`` is not an integer.
    ValueError
        If ``n < 1``, ``degree < 0``, or ``features`` is not one of the three
        names.

    Examples
    --------
    >>> hermite_feature_count(8, 2), hermite_feature_count(8, 2, "multilinear")
    (45, 37)
    """
    n = check_int(n, "n", minimum=1)
    d = _check_degree(degree)
    features = _check_features(features)
    digits = log10_comb_estimate(n + d, d)  # of "all", the largest count
    if digits > MAX_COUNT_DIGITS:
        raise ValueError(
            f"hermite_feature_count(n={n}, degree={d}) has about {digits:.4g} digits, more than the "
            f"{MAX_COUNT_DIGITS} lbkit computes exactly; use a smaller n or degree"
        )
    if features == "all":
        return math.comb(n + d, d)
    # j coordinates in use, chosen in C(n, j) ways; "multilinear": each with power 1;
    # "odd": powers 2 b_i + 1 with b_1 + ... + b_j <= (d - j) / 2, in C((d - j) // 2 + j, j) ways
    total, choose = 0, 1  # choose = C(n, j)
    for j in range(min(n, d) + 1):
        total += choose if features == "multilinear" else choose * math.comb((d - j) // 2 + j, j)
        choose = choose * (n - j) // (j + 1)
    return total


def _allowed_powers(features: str, degree: int) -> list[int]:
    if features == "all":
        return list(range(1, degree + 1))
    if features == "odd":
        return list(range(1, degree + 1, 2))
    return [1] if degree >= 1 else []


def hermite_multi_indices(n: int, degree: int, features: str = "all", *, max_features: int = 20_000) -> np.ndarray:
    """The multi-indices of a feature set, graded by total degree.

    Parameters
    ----------
    n, degree, features
        As in :func:`hermite_feature_count`.
    max_features : int, default 20000
        Refuse (ValueError) to build more multi-indices than this.

    Returns
    -------
    ndarray of shape (P, n), dtype int64
        Row ``p`` is :math:`\\alpha^{(p)}`.  Rows are sorted by total degree;
        within one degree, in decreasing lexicographic order of :math:`\\alpha`.
        Row 0 is the constant :math:`\\alpha = 0`.

    Raises
    ------
    TypeError
        If ``n``, ``degree`` or ``max_features`` is not an integer.
    ValueError
        If ``n < 1``, ``degree < 0``, ``max_features < 1``, ``features`` is
        not one of the three names, or the feature set has more than
        ``max_features`` members.

    Examples
    --------
    >>> hermite_multi_indices(2, 2)
    array([[0, 0],
           [1, 0],
           [0, 1],
           [2, 0],
           [1, 1],
           [0, 2]])
    """
    n = check_int(n, "n", minimum=1)
    d = _check_degree(degree)
    features = _check_features(features)
    max_features = check_int(max_features, "max_features", minimum=1)
    P = hermite_feature_count(n, d, features)
    if P > max_features:
        raise ValueError(
            f"features={features!r} with n={n}, degree={d} gives {P} features, more than "
            f"max_features={max_features}; lower the degree, use a smaller feature set "
            f"('multilinear' < 'odd' < 'all') or raise max_features if memory allows"
        )
    check_budget(  # the rows as they are built, then the array: P * n entries twice
        2 * P * n * 8,
        f"hermite_multi_indices(n={n}, degree={d}) ({P} multi-indices of length {n})",
        "use a smaller n (the multi-indices are dense rows of length n)",
    )
    powers = _allowed_powers(features, d)
    rows = []

    def extend(start, remaining, alpha):
        # all ways to spend exactly `remaining` degree on coordinates >= start, in lexicographic order
        if remaining == 0:
            rows.append(alpha.copy())
            return
        for i in range(start, n):
            for p in powers:
                if p > remaining:
                    break
                alpha[i] = p
                extend(i + 1, remaining - p, alpha)
                alpha[i] = 0

    for m in range(d + 1):
        extend(0, m, np.zeros(n, dtype=np.int64))
    out = np.array(rows, dtype=np.int64).reshape(len(rows), n)
    # graded: by total degree, then decreasing lexicographic order of alpha
    keys = [-out[:, i] for i in range(n - 1, -1, -1)] + [out.sum(axis=1)]
    out = out[np.lexsort(keys)]
    if out.shape[0] != P:  # pragma: no cover - guards the enumeration against the closed-form count
        raise RuntimeError(f"enumerated {out.shape[0]} multi-indices, expected {P}")
    return out


def _sparse(multi_indices: np.ndarray):
    """(coords, powers) of shape (P, r): the non-zero entries of each row, padded with power 0."""
    nz = multi_indices > 0
    r = max(1, int(nz.sum(axis=1).max()))
    P = multi_indices.shape[0]
    coords = np.zeros((P, r), dtype=np.int64)
    powers = np.zeros((P, r), dtype=np.int64)
    for p in range(P):
        idx = np.flatnonzero(nz[p])
        coords[p, : idx.size] = idx
        powers[p, : idx.size] = multi_indices[p, idx]
    return coords, powers


def hermite_features(X, multi_indices) -> np.ndarray:
    """Evaluate :math:`h_\\alpha(x)` for every row ``x`` of ``X`` and every multi-index ``alpha``.

    Parameters
    ----------
    X : array_like of shape (N, n)
        Inputs, finite.
    multi_indices : array_like of shape (P, n)
        Non-negative integer multi-indices (e.g. from :func:`hermite_multi_indices`).

    Returns
    -------
    Phi : ndarray of shape (N, P)
        ``Phi[j, p] = prod_i h_{alpha_i}(X[j, i])`` with ``alpha = multi_indices[p]``
        and :math:`h_m = \\mathrm{He}_m/\\sqrt{m!}` the orthonormal
        probabilists' Hermite polynomials (:func:`lbkit.hermite_functions`).

    Raises
    ------
    ValueError
        If ``multi_indices`` is not a 2-d integer array with at least one row
        and no negative entry, or ``X`` does not have shape (N, n) with
        ``n = multi_indices.shape[1]`` or has NaN or infinite entries.
    TypeError
        If ``X`` is a string or does not have a real numeric dtype.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [3.0, -0.5]])
    >>> np.round(hermite_features(X, [[0, 0], [1, 1], [0, 2]]), 6)   # 1, x0 x1, (x1^2 - 1)/sqrt 2
    array([[ 1.     ,  2.     ,  2.12132],
           [ 1.     , -1.5    , -0.53033]])
    """
    A = np.asarray(multi_indices) if not isinstance(multi_indices, (str, bytes)) else np.asarray([])
    if A.ndim != 2 or not np.issubdtype(A.dtype, np.integer) or np.any(A < 0) or A.shape[0] == 0:
        raise ValueError(
            f"multi_indices must be a 2-d array of non-negative integers with at least one row, "
            f"got shape {A.shape}, dtype {A.dtype}"
        )
    n = A.shape[1]
    X = np.asarray(check_X(X, n), dtype=float)
    N, P = X.shape[0], A.shape[0]
    top = int(A.max()) if A.size else 0
    try:
        H = hermite_functions(top, X.T.ravel()).reshape(top + 1, n, N)  # H[m, i, j] = h_m(X[j, i])
    except ValueError as exc:
        raise ValueError(f"X is too large for these features: {exc}") from None
    coords, powers = _sparse(A)
    Phi = np.ones((P, N))
    with np.errstate(over="ignore", invalid="ignore"):
        for c in range(coords.shape[1]):
            Phi *= H[powers[:, c], coords[:, c]]
    if not np.all(np.isfinite(Phi)):
        raise ValueError(
            f"X has entries up to {float(np.max(np.abs(X))):g} in absolute value, where the products "
            f"h_alpha(x) overflow float64 (1.8e308)"
        )
    return np.ascontiguousarray(Phi.T)
