"""Polynomial regression on multivariate Hermite features (numpy only).

The features are the orthonormal multivariate Hermite polynomials

.. math:: h_\\alpha(x) = \\prod_{i=1}^{n} h_{\\alpha_i}(x_i), \\qquad
          |\\alpha| = \\alpha_1 + \\dots + \\alpha_n \\le d,

an orthonormal basis of the polynomials of degree at most ``d`` in
:math:`L^2(\\mathcal N(0, I_n))`.  Least squares on them is the classical
"low-degree algorithm": with enough samples it finds the best approximation of
the target by a polynomial of degree ``d``.  For the family :math:`f_S` of
Goel et al. (2020), which lives in Hermite degrees :math:`\\ge k`, it needs
degree :math:`\\ge k` and therefore about :math:`n^k` features.

This module does not import torch.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._checks import check_int, check_X
from ..hermite import hermite_functions

__all__ = ["HermiteRegressor", "hermite_feature_count", "hermite_features", "hermite_multi_indices"]

FEATURE_SETS = {
    "all": "every multi-index alpha with |alpha| <= degree",
    "odd": "every alpha_i is 0 or odd (products of odd-degree univariate Hermite polynomials)",
    "multilinear": "every alpha_i is 0 or 1 (products of distinct coordinates)",
}


def _check_features(features) -> str:
    if not isinstance(features, str) or features not in FEATURE_SETS:
        raise ValueError(f"features must be one of {', '.join(repr(f) for f in FEATURE_SETS)}, got {features!r}")
    return features


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
    if features == "all":
        return math.comb(n + d, d)
    if features == "multilinear":
        return sum(math.comb(n, j) for j in range(min(n, d) + 1))
    # "odd": one coordinate contributes 1 + t + t^3 + t^5 + ...; raise to the n-th power, truncated at t^d
    one = [1] + [1 if m % 2 == 1 else 0 for m in range(1, d + 1)]
    out = [1] + [0] * d
    for _ in range(n):
        out = [sum(out[j] * one[m - j] for j in range(m + 1)) for m in range(d + 1)]
    return sum(out)


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
        raise ValueError(f"features={features!r} with n={n}, degree={d} gives {P} features, more than "
                         f"max_features={max_features}; lower the degree, use a smaller feature set "
                         f"('multilinear' < 'odd' < 'all') or raise max_features if memory allows")
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
        coords[p, :idx.size] = idx
        powers[p, :idx.size] = multi_indices[p, idx]
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
    A = np.asarray(multi_indices)
    if A.ndim != 2 or not np.issubdtype(A.dtype, np.integer) or np.any(A < 0) or A.shape[0] == 0:
        raise ValueError(f"multi_indices must be a 2-d array of non-negative integers with at least one row, "
                         f"got shape {A.shape}, dtype {A.dtype}")
    n = A.shape[1]
    X = np.asarray(check_X(X, n), dtype=float)
    N, P = X.shape[0], A.shape[0]
    top = int(A.max()) if A.size else 0
    H = hermite_functions(top, X.T.ravel()).reshape(top + 1, n, N)  # H[m, i, j] = h_m(X[j, i])
    coords, powers = _sparse(A)
    Phi = np.ones((P, N))
    for c in range(coords.shape[1]):
        Phi *= H[powers[:, c], coords[:, c]]
    return np.ascontiguousarray(Phi.T)


class HermiteRegressor:
    """Least squares on orthonormal multivariate Hermite features of bounded degree.

    Parameters
    ----------
    degree : int
        Largest total degree :math:`|\\alpha|` of a feature, ``degree >= 0``.
    features : {"all", "odd", "multilinear"}, default "all"
        Which multi-indices :math:`\\alpha` with :math:`|\\alpha|\\le` ``degree``
        to use: all of them; those whose entries are all 0 or odd; or the
        multilinear ones (entries 0 or 1, i.e. products of distinct coordinates).
    ridge : float, default 0.0
        Minimise :math:`\\frac1N\\|\\Phi c - y\\|^2 + \\text{ridge}\\,\\|c\\|^2`
        (``0``: plain least squares).
    solver : {"lstsq", "normal"}, default "lstsq"
        ``"lstsq"``: ``numpy.linalg.lstsq`` on the design matrix (stacked with
        :math:`\\sqrt{\\text{ridge}\\,N}\\,I` when ridge > 0); robust, gives the
        minimum-norm solution when the features are not independent on the
        sample.  ``"normal"``: the normal equations
        :math:`(\\Phi^\\top\\Phi/N + \\text{ridge}\\,I)c = \\Phi^\\top y/N`, accumulated
        in chunks (the design matrix is never stored whole) and solved by
        ``numpy.linalg.solve``; several times faster for large problems.
    max_features : int, default 20000
        Refuse feature sets larger than this.
    max_entries : int, default 250_000_000
        With ``solver="lstsq"`` the design matrix (``N * P`` float64 entries,
        2 GB at the default) must fit in memory; larger problems are refused.

    Attributes
    ----------
    multi_indices_ : ndarray of shape (P, n)
        The multi-indices, as from :func:`hermite_multi_indices`.
    coef_ : ndarray of shape (P,)
        Coefficient of each feature.
    n_features_ : int
        Input dimension seen in ``fit``.
    n_samples_ : int
        Number of training samples.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((200, 3))
    >>> y = X[:, 0] * X[:, 1]                        # = h_(1,1,0)
    >>> reg = HermiteRegressor(degree=2).fit(X, y)
    >>> reg
    HermiteRegressor(degree=2, features='all', ridge=0.0, solver='lstsq', n_features_=3, n_coef=10)
    >>> int(np.argmax(np.abs(reg.coef_))), reg.multi_indices_[5].tolist()
    (5, [1, 1, 0])
    """

    def __init__(self, degree, features="all", ridge=0.0, solver="lstsq", max_features=20_000,
                 max_entries=250_000_000):
        self.degree = degree
        self.features = features
        self.ridge = ridge
        self.solver = solver
        self.max_features = max_features
        self.max_entries = max_entries

    def __repr__(self):
        s = (f"HermiteRegressor(degree={self.degree!r}, features={self.features!r}, ridge={self.ridge!r}, "
             f"solver={self.solver!r}")
        if hasattr(self, "coef_"):
            s += f", n_features_={self.n_features_}, n_coef={self.coef_.size}"
        return s + ")"

    def _validate(self):
        _check_degree(self.degree)
        _check_features(self.features)
        check_int(self.max_features, "max_features", minimum=1)
        check_int(self.max_entries, "max_entries", minimum=1)
        if self.solver not in ("lstsq", "normal"):
            raise ValueError(f"solver must be 'lstsq' or 'normal', got {self.solver!r}")
        r = self.ridge
        if isinstance(r, bool) or not isinstance(r, numbers.Real) or not math.isfinite(r) or r < 0:
            raise ValueError(f"ridge must be a finite number >= 0, got {r!r}")

    def fit(self, X, y):
        """Fit the coefficients by least squares.

        Parameters
        ----------
        X : array_like of shape (N, n)
            Training inputs, finite.
        y : array_like of shape (N,)
            Training labels, finite.

        Returns
        -------
        self

        Raises
        ------
        TypeError
            If ``degree``, ``max_features`` or ``max_entries`` is not an
            integer, ``X`` does not have a real numeric dtype, or ``y`` is not
            real numbers.
        ValueError
            For an invalid parameter (``degree < 0``, an unknown ``features``
            or ``solver``, a ``ridge`` that is not a finite number >= 0,
            ``max_features < 1`` or ``max_entries < 1``); if ``X`` is not a
            non-empty 2-d array of finite values or ``y`` does not have shape
            (N,) with finite values; if the feature set has more than
            ``max_features`` members; with ``solver="lstsq"``, if the design
            matrix would have more than ``max_entries`` entries; with
            ``solver="normal"``, if ``ridge == 0`` and ``N < P``, or if the
            normal equations have a condition number of ``1e12`` or more.
        """
        self._validate()
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must have shape (N, n), got shape {X.shape}")
        n = X.shape[1]
        if n < 1 or X.shape[0] < 1:
            raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
        X = np.asarray(check_X(X, n), dtype=float)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},) to match X of shape {X.shape}, got shape {y.shape}")
        if not np.issubdtype(y.dtype, np.number) or np.iscomplexobj(y):
            raise TypeError(f"y must be real numbers, got dtype {y.dtype}")
        y = y.astype(float)
        if not np.all(np.isfinite(y)):
            raise ValueError(f"y contains {int(np.sum(~np.isfinite(y)))} NaN or infinite entries; all must be finite")
        A = hermite_multi_indices(n, self.degree, self.features, max_features=self.max_features)
        N, P = X.shape[0], A.shape[0]
        if self.solver == "lstsq":
            if N * P > self.max_entries:
                raise ValueError(f"the design matrix would have N * P = {N} * {P} = {N * P} entries "
                                 f"({8 * N * P / 1e9:.1f} GB), more than max_entries={self.max_entries}; "
                                 "use fewer samples or features, or solver='normal' (chunked normal equations)")
            Phi = hermite_features(X, A)
            if self.ridge > 0:
                Phi = np.vstack([Phi, math.sqrt(self.ridge * N) * np.eye(P)])
                y = np.concatenate([y, np.zeros(P)])
            coef, *_ = np.linalg.lstsq(Phi, y, rcond=None)
        else:
            if self.ridge == 0 and N < P:
                raise ValueError(f"solver='normal' needs at least as many samples as features without a ridge: "
                                 f"got N={N} samples for P={P} features; use more samples, ridge > 0 or "
                                 f"solver='lstsq' (the minimum-norm solution)")
            G = np.zeros((P, P))
            b = np.zeros(P)
            chunk = max(1, min(N, self.max_entries // (4 * P)))
            for s in range(0, N, chunk):
                Phi = hermite_features(X[s:s + chunk], A)
                G += Phi.T @ Phi
                b += Phi.T @ y[s:s + chunk]
            G /= N
            b /= N
            G[np.diag_indices(P)] += self.ridge
            cond = np.linalg.cond(G)
            if not cond < 1e12:
                raise ValueError(f"the normal equations are (nearly) singular: condition number {cond:.1e} with "
                                 f"{P} features and {N} samples; use more samples, ridge > 0 or solver='lstsq'")
            coef = np.linalg.solve(G, b)
        self.multi_indices_ = A
        self.coef_ = coef
        self.n_features_ = n
        self.n_samples_ = N
        return self

    def transform(self, X) -> np.ndarray:
        """Feature matrix of shape (N, P) for inputs ``X`` of shape (N, n).

        Raises
        ------
        ValueError
            If the regressor is not fitted, or ``X`` does not have shape
            (N, n) with the ``n`` seen in ``fit`` or has NaN or infinite
            entries.
        TypeError
            If ``X`` does not have a real numeric dtype.
        """
        self._check_fitted()
        return hermite_features(X, self.multi_indices_)

    def predict(self, X) -> np.ndarray:
        """Predictions of shape (N,) for inputs ``X`` of shape (N, n) (computed in chunks).

        Raises
        ------
        ValueError
            If the regressor is not fitted, or ``X`` does not have shape
            (N, n) with the ``n`` seen in ``fit`` or has NaN or infinite
            entries.
        TypeError
            If ``X`` does not have a real numeric dtype.
        """
        self._check_fitted()
        X = np.asarray(check_X(X, self.n_features_), dtype=float)
        P = self.coef_.size
        chunk = max(1, min(X.shape[0], 2 ** 24 // P))
        out = np.empty(X.shape[0])
        for s in range(0, X.shape[0], chunk):
            out[s:s + chunk] = hermite_features(X[s:s + chunk], self.multi_indices_) @ self.coef_
        return out

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise ValueError("this HermiteRegressor is not fitted yet; call fit(X, y) first")
