"""Orthonormal (probabilists') Hermite polynomials and Gaussian quadrature.

The orthonormal Hermite polynomials under the standard Gaussian measure are

.. math:: h_m(t) = \\mathrm{He}_m(t) / \\sqrt{m!},

so that :math:`\\mathbb E[h_m(z) h_{m'}(z)] = \\delta_{mm'}` for
:math:`z \\sim N(0, 1)`.  They satisfy the three-term recurrence
:math:`h_{m+1}(t) = (t\\, h_m(t) - \\sqrt{m}\\, h_{m-1}(t)) / \\sqrt{m+1}`,
which is what :func:`hermite_functions` runs (it never forms
:math:`\\mathrm{He}_m` or :math:`m!` and so never overflows).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._checks import check_int
from scipy.special import roots_hermitenorm

__all__ = ["hermite_functions", "gauss_hermite", "gaussian_expectation"]


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
        If ``m_max < 0`` or ``t`` has more than one dimension.

    Examples
    --------
    >>> import numpy as np
    >>> H = hermite_functions(2, np.array([0.0, 1.0]))
    >>> np.round(H[2], 6)        # (t^2 - 1) / sqrt(2)
    array([-0.707107,  0.      ])
    """
    m_max = check_int(m_max, "m_max", minimum=0)
    t = np.asarray(t, dtype=float)
    if t.ndim > 1:
        raise ValueError(f"t must be a scalar or one-dimensional, of shape (P,), got shape {t.shape}; "
                         f"pass t.ravel() and reshape the result")
    t = t.ravel()
    H = np.empty((m_max + 1, t.size))
    H[0] = 1.0
    if m_max >= 1:
        H[1] = t
    for m in range(1, m_max):
        H[m + 1] = (t * H[m] - np.sqrt(m) * H[m - 1]) / np.sqrt(m + 1)
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
        If ``n_nodes < 1``.

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
    n_nodes = check_int(n_nodes, "n_nodes", minimum=1)
    return _gauss_hermite_cached(int(n_nodes))


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
        If ``n_nodes`` is not an integer.

    Examples
    --------
    >>> round(gaussian_expectation(lambda z: z ** 4), 10)   # E[z^4] = 3
    3.0
    """
    x, w = gauss_hermite(n_nodes)
    with np.errstate(all="ignore"):
        gx = np.asarray(g(x), dtype=float)
    if gx.shape != x.shape:
        raise ValueError(f"g must be vectorised: it must map the {x.size} quadrature nodes (shape {x.shape}) to "
                         f"an array of the same shape, got shape {gx.shape}")
    with np.errstate(all="ignore"):
        value = w @ gx
    if not np.all(np.isfinite(gx)) or not np.isfinite(value):
        raise ValueError("g is not finite at every quadrature node (or its Gaussian expectation overflows): "
                         "E[g(z)] needs g defined on the whole real line and integrable against N(0, 1)")
    return float(value)
