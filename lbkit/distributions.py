"""Input distributions: spherically symmetric laws and non-symmetric controls.

Every sampler takes an explicit ``rng`` (a seed or a
:class:`numpy.random.Generator`); lbkit never touches global random state.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_budget, check_choice, check_int, check_real

__all__ = ["sample", "DISTRIBUTIONS", "as_rng", "nonzero_samples"]

DISTRIBUTIONS = {
    "gaussian": "N(0, I_n)",
    "sphere": "uniform on the sphere of radius sqrt(n)",
    "student_t": "multivariate t with df degrees of freedom (default 5): spherical, heavy-tailed",
    "rademacher": "independent uniform signs: sign-symmetric but not spherical",
    "shifted_gaussian": "N(shift * 1, I_n) (default shift 0.5): not sign-symmetric",
    "skewed_product": "independent Exp(1) - 1 coordinates (mean 0, variance 1, skewed): not sign-symmetric",
}

_PARAMS = {"student_t": {"df": 5.0}, "shifted_gaussian": {"shift": 0.5}}
#: Smallest df of "student_t": below it a draw exceeds float64 (about 1e308) with visible probability
#: (the scale factor is (chi2_df / df)^(-1/2), whose tail reaches 1e308 with probability about 1e308^(-df)).
DF_MIN = 0.1


def as_rng(rng) -> np.random.Generator:
    """``np.random.default_rng(rng)`` with a clear error for anything else.

    Parameters
    ----------
    rng : int, numpy.random.Generator or numpy.random.SeedSequence
        A non-negative integer seed, a generator (returned as is, so its state
        is shared with the caller) or a seed sequence.  Required: ``None`` is
        refused rather than seeded from the operating system, so that every
        result of lbkit is reproducible.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        If ``rng`` is ``None``, a bool, a float or any other type.
    ValueError
        If ``rng`` is a negative integer.

    Examples
    --------
    >>> round(float(as_rng(0).random()), 6)
    0.636962
    >>> g = np.random.default_rng(1)
    >>> as_rng(g) is g
    True
    """
    if rng is None:
        raise TypeError("rng is required (a seed or a numpy.random.Generator): lbkit keeps randomness explicit")
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, (int, np.integer, np.random.SeedSequence)):
        raise TypeError(
            f"rng must be an integer seed or a numpy.random.Generator, got {rng!r} of type {type(rng).__name__}"
        )
    if not isinstance(rng, np.random.SeedSequence) and rng < 0:
        raise ValueError(f"rng must be a non-negative integer seed (or a numpy.random.Generator), got {rng}")
    return np.random.default_rng(rng)


def sample(distribution: str, N: int, n: int, rng, **params) -> np.ndarray:
    """Draw ``N`` points in dimension ``n``.

    Parameters
    ----------
    distribution : str
        One of ``"gaussian"``, ``"sphere"``, ``"student_t"`` (parameter
        ``df >= 0.1``, ``DF_MIN``: heavier tails overflow float64),
        ``"rademacher"``, ``"shifted_gaussian"`` (parameter
        ``shift``), ``"skewed_product"``.
    N : int
        Number of points.
    n : int
        Dimension.
    rng : int or numpy.random.Generator
        Source of randomness.
    **params
        Distribution parameters (see :data:`DISTRIBUTIONS`).

    Returns
    -------
    X : ndarray of shape (N, n)

    Raises
    ------
    ValueError
        For an unknown distribution, ``N < 1``, ``n < 1``, a negative
        integer ``rng``, ``df < 0.1`` or a non-finite parameter; if the array
        would exceed lbkit's memory limit (2 GiB).
    TypeError
        If ``N`` or ``n`` is not an integer, a parameter is not a real number
        or is not one the distribution takes, or ``rng`` is ``None`` or not a
        seed or generator (see :func:`as_rng`).

    Notes
    -----
    ``gaussian``, ``sphere`` and ``student_t`` are spherically symmetric, so
    invariant under every sign flip :math:`x_i\\to -x_i`; ``rademacher`` is
    invariant under sign flips but not under rotations; the last two are
    controls that are invariant under neither.

    Examples
    --------
    >>> sample("sphere", 3, 4, rng=0).shape
    (3, 4)
    """
    check_choice(distribution, "distribution", DISTRIBUTIONS)
    N = check_int(N, "N", minimum=1)
    n = check_int(n, "n", minimum=1)
    check_budget(
        N * n * 8 * 2,
        f"sample({distribution!r}, N={N}, n={n}) (an array of shape ({N}, {n}))",
        "draw fewer points at a time (in chunks, with one generator)",
    )
    allowed = _PARAMS.get(distribution, {})
    unknown = set(params) - set(allowed)
    if unknown:
        raise TypeError(f"{distribution!r} takes parameters {sorted(allowed) or 'none'}, got {sorted(unknown)}")
    return _draw(distribution, N, n, as_rng(rng), **params)


def nonzero_samples(f, N: int, n: int, rng, *, threshold: float = 1e-9, distribution: str = "gaussian"):
    """``N`` labelled samples ``(x, f(x))`` with :math:`|f(x)| > \\text{threshold}`, drawn in batches.

    Points are drawn from ``distribution`` in batches of ``2 N`` (with the one
    generator ``rng``), those where ``|f|`` is at most ``threshold`` are dropped,
    and the first ``N`` kept points are returned: a sample of the law
    conditioned on :math:`|f(x)| > \\text{threshold}` (for a sign-learner,
    which needs labels with a sign).

    Parameters
    ----------
    f : callable
        Maps ``X`` of shape (M, n) to values of shape (M,).
    N : int
        Number of samples, ``>= 1``.
    n : int
        Dimension, ``>= 1``.
    rng : int or numpy.random.Generator
        Source of randomness.
    threshold : float, default 1e-9
        Points with ``|f(x)| <= threshold`` are dropped; ``>= 0``.
    distribution : str, default "gaussian"
        The input law (see :func:`~lbkit.sample`).

    Returns
    -------
    X : ndarray of shape (N, n)
    y : ndarray of shape (N,)
        ``f(X)``, every entry of absolute value above ``threshold``.

    Raises
    ------
    TypeError
        If ``f`` is not callable, or as :func:`~lbkit.sample`.
    ValueError
        As :func:`~lbkit.sample`; if ``f`` returns the wrong shape; or if fewer than
        ``N`` usable points turn up in 100 batches (``f`` vanishes almost
        everywhere).

    Examples
    --------
    >>> X, y = nonzero_samples(lambda X: np.maximum(X[:, 0], 0.0), 5, 3, rng=0)
    >>> X.shape, bool(np.all(y > 1e-9))
    ((5, 3), True)
    """
    from ._checks import check_callable

    check_callable(f, "f", "a callable mapping X of shape (M, n) to values of shape (M,)")
    N = check_int(N, "N", minimum=1)
    threshold = check_real(threshold, "threshold", minimum=0)
    g = as_rng(rng)
    Xs, ys = [], []
    for _ in range(100):
        X = sample(distribution, 2 * N, n, rng=g)
        y = np.asarray(f(X))
        if y.shape != (2 * N,):
            raise ValueError(f"f must map X of shape {X.shape} to values of shape ({2 * N},), got shape {y.shape}")
        keep = np.abs(y) > threshold
        Xs.append(X[keep])
        ys.append(y[keep])
        if sum(len(v) for v in ys) >= N:
            return np.concatenate(Xs)[:N], np.concatenate(ys)[:N]
    raise ValueError(
        f"f exceeds |f| > {threshold:g} at only {sum(len(v) for v in ys)} of {200 * N} points drawn, fewer than "
        f"N={N}: it vanishes (almost) everywhere"
    )


def _draw(distribution: str, N: int, n: int, g: np.random.Generator, **params) -> np.ndarray:
    """:func:`sample` once its arguments are checked (the trainers draw every minibatch through it)."""
    p = {**_PARAMS.get(distribution, {}), **params}
    if distribution == "gaussian":
        return g.standard_normal((N, n))
    if distribution == "sphere":
        Z = g.standard_normal((N, n))
        return Z * (np.sqrt(n) / np.linalg.norm(Z, axis=1, keepdims=True))
    if distribution == "student_t":
        df = check_real(p["df"], "df (student_t)", minimum=DF_MIN)
        Z = g.standard_normal((N, n))
        X = Z / np.sqrt(g.chisquare(df, size=(N, 1)) / df)
        if not np.all(np.isfinite(X)):  # probability below 1e-30 per point for df >= DF_MIN
            raise ValueError(f"student_t with df={df:g} drew a point beyond float64; use a larger df")
        return X
    if distribution == "rademacher":
        return g.choice(np.array([-1.0, 1.0]), size=(N, n))
    if distribution == "shifted_gaussian":
        shift = check_real(p["shift"], "shift (shifted_gaussian)")
        return g.standard_normal((N, n)) + shift
    # skewed_product
    return g.exponential(1.0, size=(N, n)) - 1.0
