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

The basis itself (:func:`hermite_multi_indices`, :func:`hermite_features`,
:func:`hermite_feature_count`) lives in :mod:`lbkit.hermite`; it is
re-exported here.  This module does not import torch.
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_choice, check_fitted, check_int, check_real, check_real_array, check_X
from ..hermite import FEATURE_SETS, hermite_feature_count, hermite_features, hermite_multi_indices
from ._base import estimator_repr

__all__ = ["HermiteRegressor", "hermite_feature_count", "hermite_features", "hermite_multi_indices"]


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

    All parameters after ``degree`` are keyword-only (as for every lbkit
    estimator), and the repr shows ``degree`` and the parameters that differ
    from their defaults.

    Attributes
    ----------
    multi_indices_ : ndarray of shape (P, n)
        The multi-indices, as from :func:`~lbkit.hermite.hermite_multi_indices`.
    coef_ : ndarray of shape (P,)
        Coefficient of each feature.
    n_features_in_ : int
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
    HermiteRegressor(degree=2, n_features_in_=3, n_coef=10)
    >>> int(np.argmax(np.abs(reg.coef_))), reg.multi_indices_[5].tolist()
    (5, [1, 1, 0])
    """

    def __init__(
        self, degree, *, features="all", ridge=0.0, solver="lstsq", max_features=20_000, max_entries=250_000_000
    ):
        self.degree = degree
        self.features = features
        self.ridge = ridge
        self.solver = solver
        self.max_features = max_features
        self.max_entries = max_entries

    def __repr__(self):
        fitted = f"n_features_in_={self.n_features_in_}, n_coef={self.coef_.size}" if hasattr(self, "coef_") else ""
        return estimator_repr(self, fitted)

    def _validate(self):
        check_int(self.degree, "degree", minimum=0)
        check_choice(self.features, "features", FEATURE_SETS)
        check_int(self.max_features, "max_features", minimum=1)
        check_int(self.max_entries, "max_entries", minimum=1)
        check_choice(self.solver, "solver", ("lstsq", "normal"))
        check_real(self.ridge, "ridge", minimum=0)

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
        X, y = _check_data(X, y)
        n = X.shape[1]
        A = hermite_multi_indices(n, self.degree, self.features, max_features=self.max_features)
        N, P = X.shape[0], A.shape[0]
        if self.solver == "lstsq":
            if N * P > self.max_entries:
                raise ValueError(
                    f"the design matrix would have N * P = {N} * {P} = {N * P} entries "
                    f"({8 * N * P / 1e9:.1f} GB), more than max_entries={self.max_entries}; "
                    "use fewer samples or features, or solver='normal' (chunked normal equations)"
                )
            Phi = hermite_features(X, A)
            if self.ridge > 0:
                Phi = np.vstack([Phi, math.sqrt(self.ridge * N) * np.eye(P)])
                y = np.concatenate([y, np.zeros(P)])
            try:
                with np.errstate(all="ignore"):
                    coef, *_ = np.linalg.lstsq(Phi, y, rcond=None)
            except np.linalg.LinAlgError as exc:  # features or labels near float64's range
                raise ValueError(
                    f"least squares failed ({exc}) on features up to {float(np.max(np.abs(Phi))):.3g} and labels up "
                    f"to {float(np.max(np.abs(y))):.3g} in absolute value; rescale X or y"
                ) from None
        else:
            if self.ridge == 0 and N < P:
                raise ValueError(
                    f"solver='normal' needs at least as many samples as features without a ridge: "
                    f"got N={N} samples for P={P} features; use more samples, ridge > 0 or "
                    f"solver='lstsq' (the minimum-norm solution)"
                )
            G = np.zeros((P, P))
            b = np.zeros(P)
            chunk = max(1, min(N, self.max_entries // (4 * P)))
            for s in range(0, N, chunk):
                Phi = hermite_features(X[s : s + chunk], A)
                G += Phi.T @ Phi
                b += Phi.T @ y[s : s + chunk]
            G /= N
            b /= N
            G[np.diag_indices(P)] += self.ridge
            cond = np.linalg.cond(G)
            if not cond < 1e12:
                raise ValueError(
                    f"the normal equations are (nearly) singular: condition number {cond:.1e} with "
                    f"{P} features and {N} samples; use more samples, ridge > 0 or solver='lstsq'"
                )
            coef = np.linalg.solve(G, b)
        if not np.all(np.isfinite(coef)):
            raise ValueError(
                "the fitted coefficients overflow float64: the features or the labels are too large "
                f"(|X| up to {float(np.max(np.abs(X))):.3g}, |y| up to {float(np.max(np.abs(y))):.3g}); rescale them"
            )
        self.multi_indices_ = A
        self.coef_ = coef
        self.n_features_in_ = n
        self.n_samples_ = N
        return self

    def largest_terms(self, degree: int) -> tuple[np.ndarray, np.ndarray]:
        """The fitted terms of total degree ``degree``, largest absolute coefficient first.

        With multilinear features the support of the first multi-index is the
        set of coordinates of the strongest degree-``degree`` monomial (how
        chapter 8 reads off :math:`S` from a regression on :math:`f_S`).

        Parameters
        ----------
        degree : int
            A total degree :math:`|\\alpha|`, ``0 <= degree <= self.degree``.

        Returns
        -------
        multi_indices : ndarray of shape (m, n)
            The rows of ``multi_indices_`` with :math:`|\\alpha| =` ``degree``,
            ordered by decreasing :math:`|c_\\alpha|` (ties keep their order).
        coefficients : ndarray of shape (m,)
            Their coefficients :math:`c_\\alpha`, in the same order.

        Raises
        ------
        ValueError
            If the regressor is not fitted, or ``degree`` is out of range.
        TypeError
            If ``degree`` is not an integer.

        Examples
        --------
        >>> X = np.random.default_rng(0).standard_normal((300, 3))
        >>> reg = HermiteRegressor(2, features="multilinear").fit(X, 2 * X[:, 0] * X[:, 2] - X[:, 1])
        >>> alphas, coefs = reg.largest_terms(2)
        >>> alphas[0].tolist(), round(float(coefs[0]), 6)
        ([1, 0, 1], 2.0)
        """
        check_fitted(self, "coef_")
        degree = check_int(degree, "degree", minimum=0, maximum=self.degree)
        rows = np.flatnonzero(self.multi_indices_.sum(axis=1) == degree)
        rows = rows[np.argsort(-np.abs(self.coef_[rows]), kind="stable")]
        return self.multi_indices_[rows], self.coef_[rows]

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
        check_fitted(self, "coef_")
        return hermite_features(X, self.multi_indices_)

    def predict(self, X) -> np.ndarray:
        """Predictions of shape (N,) for inputs ``X`` of shape (N, n) (computed in chunks).

        Raises the errors of :meth:`transform`.
        """
        check_fitted(self, "coef_")
        X = np.asarray(check_X(X, self.n_features_in_), dtype=float)
        P = self.coef_.size
        chunk = max(1, min(X.shape[0], 2**24 // P))
        out = np.empty(X.shape[0])
        for s in range(0, X.shape[0], chunk):
            with np.errstate(all="ignore"):
                out[s : s + chunk] = hermite_features(X[s : s + chunk], self.multi_indices_) @ self.coef_
        if not np.all(np.isfinite(out)):
            raise ValueError(
                f"the predictions overflow float64 for X with entries up to {float(np.max(np.abs(X))):g} in "
                "absolute value (a polynomial of that size); rescale X"
            )
        return out


def _check_data(X, y):
    """``X`` as a finite float array of shape (N, n) with N, n >= 1, and ``y`` finite of shape (N,)."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (N, n), got shape {X.shape}")
    if X.shape[1] < 1 or X.shape[0] < 1:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    X = np.asarray(check_X(X, X.shape[1]), dtype=float)
    y = check_real_array(y, "y", allow_bool=False)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X of shape {X.shape}, got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"y contains {int(np.sum(~np.isfinite(y)))} NaN or infinite entries; all must be finite")
    return X, y
