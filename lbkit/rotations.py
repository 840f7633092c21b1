"""Random rotations of the input: a Haar-distributed orthogonal matrix and a rotated target.

Gradient descent from a rotation-invariant initialisation cannot tell
:math:`x \\mapsto f(x)` from :math:`x \\mapsto f(Qx)` for an orthogonal :math:`Q`
(chapter 7); these two helpers build the rotated targets it is tested on.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_callable, check_int
from .distributions import as_rng

__all__ = ["haar_orthogonal", "RotatedTarget"]


def haar_orthogonal(n: int, rng) -> np.ndarray:
    """A Haar-distributed (uniformly random) orthogonal ``n x n`` matrix.

    The QR decomposition of a matrix of independent standard normals, with the
    signs of :math:`R`'s diagonal moved into :math:`Q` (Mezzadri, 2007), so
    that the law is exactly Haar.

    Parameters
    ----------
    n : int
        Dimension, ``1 <= n <= 4096``.
    rng : int, Generator or SeedSequence
        Seed or generator (see :func:`lbkit.as_rng`).

    Returns
    -------
    ndarray of shape (n, n)
        An orthogonal matrix.

    Raises
    ------
    TypeError
        If ``n`` is not an integer or ``rng`` is not a seed or generator.
    ValueError
        If ``n`` is outside ``[1, 4096]`` or ``rng`` is negative.

    Examples
    --------
    >>> Q = haar_orthogonal(3, rng=0)
    >>> bool(np.allclose(Q @ Q.T, np.eye(3)))
    True
    """
    n = check_int(n, "n", minimum=1, maximum=4096)
    Q, R = np.linalg.qr(as_rng(rng).standard_normal((n, n)))
    return Q * np.sign(np.diag(R))


class RotatedTarget:
    """The target :math:`x \\mapsto f(Qx)`.

    Parameters
    ----------
    f : callable
        A target mapping inputs of shape ``(N, n)`` to outputs of shape ``(N,)``,
        with an attribute ``n`` (the input dimension, as the learners read it),
        for example an :class:`lbkit.OrthogonalNetwork`.
    Q : array_like of shape (n, n)
        The rotation (any square matrix of the right size is accepted; use
        :func:`haar_orthogonal` for a random rotation).

    Attributes
    ----------
    f, Q
        As given (``Q`` as a float array).
    n : int
        ``f.n``.

    Raises
    ------
    TypeError
        If ``f`` is not callable or has no integer attribute ``n``.
    ValueError
        If ``Q`` is not of shape ``(n, n)`` or not finite.

    Examples
    --------
    >>> from lbkit import orthogonal_network
    >>> f = orthogonal_network(4, [0, 1], "relu")
    >>> g = RotatedTarget(f, haar_orthogonal(4, rng=1))
    >>> X = np.random.default_rng(2).standard_normal((5, 4))
    >>> bool(np.allclose(g(X), f(X @ g.Q.T)))
    True
    """

    def __init__(self, f, Q):
        check_callable(f, "f", "a target (a callable with an attribute n)")
        n = check_int(getattr(f, "n", None), "f.n", minimum=1)
        Q = np.asarray(Q, dtype=float)
        if Q.shape != (n, n) or not np.all(np.isfinite(Q)):
            raise ValueError(
                f"Q must be a finite matrix of shape ({n}, {n}) for a target with n={n}, got shape {Q.shape}"
            )
        self.f, self.Q, self.n = f, Q, n

    def __call__(self, X):
        return self.f(X @ self.Q.T)

    def __repr__(self):
        return f"RotatedTarget(f={self.f!r}, n={self.n})"
