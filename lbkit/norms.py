"""Exact norms of the orthogonal networks.

For :math:`|S| = k` and :math:`\\sigma = \\sum_m c_m h_m`,

.. math:: \\|f_S\\|^2 = 4^k\\sum_{m\\ge k,\\ m\\equiv k\\ (2)} c_m^2\\,
          m!\\,k^{-m}\\,[t^m]\\sinh(t)^k ,

a series of non-negative terms (see :func:`~lbkit.norm_squared`).  This module
computes its weights, its terms and its sum; :mod:`lbkit.norm_bounds` bounds and
tabulates it.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from scipy.special import gammaln, logsumexp

from ._checks import check_budget, check_choice, check_int
from .activation_library import get_activation

__all__ = [
    "norm_squared",
    "norm_terms",
    "hermite_weights",
    "hermite_weight_exact",
    "dual_kernel_cancellation",
    "dual_kernel_norm_mp",
    "K_LIMIT",
]


def _degree_cutoff(k: int) -> int:
    """Largest Hermite degree M summed explicitly for support size k.

    Past M the weight W(m) equals 2^(1-k) up to a relative error
    k (1 - 2/k)^M < 1e-18, so the rest of the series is a plain tail sum.
    """
    if k <= 2:
        return k + 200
    return int(max(k + 200, math.ceil((k / 2) * (math.log(k) + 42))))


_CUSTOM_DEGREE = 150  # degrees summed explicitly for custom callables (float64 quadrature)
# largest k for the exact norm: 4^k overflows float64 at k = 512, and the series needs O(k^2 log^2 k) memory
K_LIMIT = 300
_BAND = 40  # convergence check: the last _BAND degrees of a truncated series ...
_BAND_RTOL = 1e-10  # ... may carry at most this share of the norm (smooth built-ins, 40-digit coefficients)
_BAND_RTOL_CUSTOM = 1e-6  # custom callables: float64 quadrature coefficients, accurate to about 1e-6 relative


def _check_k_limit(k: int) -> int:
    k = check_int(k, "k", minimum=1)
    if k > K_LIMIT:
        raise ValueError(
            f"k={k} is too large for the exact norm: k <= {K_LIMIT} is allowed "
            f"(4^k overflows float64 from k = 512; the family has C(n, k) members, so k <= {K_LIMIT} "
            f"covers k = log2(n) for every n a computer can hold)"
        )
    return k


def _log_sinhc_power(k: int, length: int) -> np.ndarray:
    """log of the coefficients of (sinh(t)/t)^k in powers of t^2, first ``length`` of them.

    All coefficients are positive, so the power is taken by repeated log-space
    convolution: no cancellation, no overflow.
    """
    i = np.arange(length)
    base = -gammaln(2 * i + 2)  # sinh(t)/t = sum t^(2i) / (2i+1)!

    def logconv(a, b):
        # c_n = logsumexp_j (a_j + b_{n-j}), 0 <= j <= n < length
        j = np.arange(length)
        idx = j[None, :] - j[:, None]  # idx[j, n] = n - j
        M = np.where(idx >= 0, a[:, None] + b[np.clip(idx, 0, None)], -np.inf)
        return logsumexp(M, axis=0)

    result = None
    power = base
    e = k
    while e:
        if e & 1:
            result = power if result is None else logconv(result, power)
        e >>= 1
        if e:
            power = logconv(power, power)
    return result


def hermite_weights(k: int, m_max: int | None = None):
    """The weights :math:`W_k(m) = m!\\,k^{-m}\\,[t^m]\\sinh(t)^k` of the norm formula.

    Parameters
    ----------
    k : int
        Support size.
    m_max : int, optional
        Highest degree; defaults to the cutoff used by :func:`~lbkit.norm_squared`.

    Returns
    -------
    m : ndarray of shape (L,)
        Degrees ``k, k+2, ..., <= m_max``.
    W : ndarray of shape (L,)
        :math:`W_k(m)`, computed from positive terms only (relative error
        about 1e-12).  It increases from :math:`k!/k^k` at :math:`m=k`
        towards its limit :math:`2^{1-k}` (for :math:`k \\ge 2`); once it is
        within rounding of the limit the computed values wobble by about 1e-12.

    Raises
    ------
    TypeError
        If ``k`` or ``m_max`` is not an integer.
    ValueError
        If ``k < 1``, ``k > 300`` (``K_LIMIT``), or ``m_max < k``, or if
        ``m_max`` needs more memory than lbkit's limit (about ``m_max``
        above about 19,000).

    Examples
    --------
    >>> m, W = hermite_weights(4, 10)
    >>> m, np.round(W, 6)      # from 4!/4^4 = 0.09375 towards 2^(1-4) = 0.125
    (array([ 4,  6,  8, 10]), array([0.09375 , 0.117188, 0.123047, 0.124512]))
    """
    k = _check_k_limit(k)
    m_max = _degree_cutoff(k) if m_max is None else check_int(m_max, "m_max", minimum=k)
    length = (m_max - k) // 2 + 1
    # the log-space convolutions build length x length matrices
    check_budget(
        3 * length * length * 8, f"hermite_weights({k}, m_max={m_max}) ({length} degrees)", "use a smaller m_max"
    )
    m = k + 2 * np.arange(length)
    logW = gammaln(m + 1) - m * math.log(k) + _log_sinhc_power(k, length)
    return m, np.exp(logW)


_PRECHECK_K = 40  # above this k, a truncated series is checked for convergence before the full weights are built


def _known_degree(act, k: int):
    """Highest degree whose coefficient the norm may use (None: every degree is known)."""
    source = act.coefficient_source
    if source.kind == "quadrature":
        if k > _CUSTOM_DEGREE:
            raise ValueError(
                f"k={k}: for activations without a closed form the norm is computed from "
                f"quadrature coefficients up to degree {_CUSTOM_DEGREE}, so k <= {_CUSTOM_DEGREE}; "
                f"if you know the coefficients, pass them: Activation(fn, coefficients=...)"
            )
        return _CUSTOM_DEGREE
    return source.max_degree


def _terms(act, k, m, W, c=None):
    if c is None:
        c = act.hermite_coefficients(int(m[-1]), high_precision=True)
    if not np.all(np.isfinite(c)):
        raise ValueError(
            f"the Hermite coefficients of {act.name!r} are not finite: E[sigma(z)^2] must be finite "
            f"for z ~ N(0, 1) (sigma square-integrable under the Gaussian)"
        )
    return 4.0**k * c[m] ** 2 * W


def _check_converged(act, k, m, terms, tail, truncated_at):
    """Refuse a norm whose series has not converged where the known coefficients stop."""
    # if the last degrees before `truncated_at` still carry a visible share of the norm, the neglected
    # ones beyond it may too: refuse rather than return a wrong value
    total = math.fsum(terms) + tail
    band = math.fsum(terms[m > truncated_at - _BAND])
    quadrature = act.coefficient_source.kind == "quadrature"
    rtol = _BAND_RTOL_CUSTOM if quadrature else _BAND_RTOL
    if total > 0 and band <= rtol * total:
        return
    if act.vanishes(k):  # every term is 0: nothing to converge; say why
        raise ValueError(act.vanishing_reason(k) + "; norm_squared returns 0.0 for it")
    share = f"{band / total:.1e}" if total > 0 else "all"
    if quadrature:
        raise ValueError(
            f"the norm of the custom activation {act.name!r} cannot be computed accurately at k={k}: its Hermite "
            f"coefficients come from quadrature up to degree {truncated_at}, and the series has not converged "
            f"there (the last {_BAND} degrees carry {share} of the sum).  Coefficients that decay this slowly "
            f"come from a kink or a jump (|t|, ReLU, a step), and then no k gives an accurate value; use the "
            f"built-in with a closed form ('abs', 'relu', 'leaky_relu') or pass known coefficients: "
            f"Activation(fn, coefficients=...)"
        )
    raise ValueError(
        f"k={k} is too large for an accurate norm of {act.name!r}: its Hermite coefficients are known up "
        f"to degree {truncated_at}, and for this k the series has not converged there (the last {_BAND} "
        f"degrees carry {share} of the sum); use a smaller k "
        f"(k <= 40 is tested against 80-digit arithmetic)"
    )


def norm_terms(k: int, activation="relu"):
    """The non-negative terms of the exact norm formula.

    .. math:: \\|f_S\\|^2 = 4^k \\sum_{m\\ge k,\\ m\\equiv k\\ (2)} c_m^2\\, W_k(m)

    Parameters
    ----------
    k : int
        Support size.
    activation : str, callable or Activation, default "relu"

    Returns
    -------
    m : ndarray of shape (L,)
        Degrees ``k, k+2, ...`` up to the cutoff.
    terms : ndarray of shape (L,)
        :math:`4^k c_m^2 W_k(m)`.
    tail : float
        :math:`4^k\\,2^{1-k}\\sum_{m>\\text{cutoff},\\ m\\equiv k} c_m^2`, from
        :meth:`Activation.hermite_tail` (exact for kinked activations, below
        rounding for smooth ones).

    Raises
    ------
    TypeError
        If ``k`` is not an integer, or ``activation`` is neither a name nor
        callable.
    ValueError
        If ``k < 1`` or ``k > 300`` (``K_LIMIT``); if ``k > 150`` for a custom
        callable; if the activation's Hermite coefficients are not finite (it
        is not square-integrable under the Gaussian); if the series has not
        converged at the highest known coefficient (smooth built-ins and
        custom callables at large ``k``); or for an unknown activation name.

    Examples
    --------
    >>> m, terms, tail = norm_terms(2, "relu")
    >>> m[:3], np.round(terms[:3], 6)
    (array([2, 4, 6]), array([0.63662 , 0.053052, 0.015915]))
    >>> round(float(terms.sum() + tail), 4)        # = norm_squared(2, "relu")
    0.7268
    """
    act = get_activation(activation)
    k = _check_k_limit(k)
    source = act.coefficient_source
    truncated_at = _known_degree(act, k)  # the degree past which the coefficients are not known (None: all known)
    k_max = act.norm_k_max  # the record's measured limit (each larger k, unless f_S = 0, fails the band check)
    if k_max is not None and k > k_max and not act.vanishes(k):  # refuse before computing anything
        raise ValueError(
            f"k={k} is too large for an accurate norm of {act.name!r}: its Hermite coefficients are "
            f"known up to degree {truncated_at}, and for k > {k_max} the series has not converged there; "
            f"use k <= {k_max} (k <= 40 is tested against 80-digit arithmetic)"
        )
    if truncated_at is not None and k > _PRECHECK_K:
        # refuse before the expensive weights: the band check needs only the degrees up to `truncated_at`
        m, W = hermite_weights(k, max(k, truncated_at))
        _check_converged(act, k, m, _terms(act, k, m, W), 0.0, truncated_at)
    m, W = hermite_weights(k)
    if source.kind == "quadrature":
        keep = m <= truncated_at
        m, W = m[keep], W[keep]
    c, tail = act.hermite_series(int(m[-1]), k % 2)  # the series, in one call
    terms = _terms(act, k, m, W, c)
    # past the cutoff W_k(m) = 2^(1-k) to within 1e-18 relative (see _degree_cutoff)
    tail = 4.0**k * 2.0 ** (1 - k) * tail
    if truncated_at is not None:
        _check_converged(act, k, m, terms, tail, truncated_at)
    return m, terms, tail


def norm_squared(k: int, activation="relu", *, method: str = "hermite") -> float:
    """Exact :math:`\\|f_S\\|^2 = \\mathbb E[f_S(x)^2]` under :math:`N(0, I_n)`, for any :math:`|S| = k`.

    Parameters
    ----------
    k : int
        Support size (the value does not depend on ``n`` or on which ``S``).
    activation : str, callable or Activation, default "relu"
    method : {"hermite", "dual_kernel"}, default "hermite"
        ``"hermite"`` sums the non-negative series of :func:`norm_terms` and is
        accurate to about 1e-12 relative for every built-in and every
        ``k <= 40``; for larger ``k`` it raises ValueError where the series of
        a smooth activation or a custom callable has not converged at the
        highest known coefficient (smooth built-ins: ``k > 63`` for sigmoid and
        tanh, ``k > 64`` for softplus, ``k > 68`` for gelu, refused at once;
        custom callables: from about ``k = 50``), and for every
        activation when ``k > K_LIMIT`` (300).  ``"dual_kernel"`` evaluates the alternating sum
        :math:`2^k\\sum_d\\binom kd(-1)^d K(1-2d/k)` in float64; it is here to
        show how that formula loses its digits as ``k`` grows.

    Returns
    -------
    float
        ``0.0`` exactly when the parity rule makes :math:`f_S \\equiv 0`.

    Raises
    ------
    ValueError
        If ``k`` is out of range (see ``method``), if the activation is not
        square-integrable under the Gaussian, or if ``method`` is unknown.
    TypeError
        If ``k`` is not an integer.

    Notes
    -----
    Write :math:`\\sigma=\\sum_m c_m h_m`.  Summing over :math:`w` keeps exactly
    the multivariate Hermite components :math:`h_\\alpha(x_S)` with every
    :math:`\\alpha_i` odd, which gives

    .. math:: \\|f_S\\|^2 = 4^k\\sum_{m\\ge k,\\ m\\equiv k\\ (2)} c_m^2\\,
              m!\\,k^{-m}\\,[t^m]\\sinh(t)^k .

    Examples
    --------
    >>> round(norm_squared(2, "relu"), 4)
    0.7268
    >>> norm_squared(3, "relu")
    0.0
    """
    act = get_activation(activation)
    k = _check_k_limit(k)
    check_choice(method, "method", ("hermite", "dual_kernel"))
    if act.vanishes(k):
        return 0.0
    if method == "dual_kernel":
        return float(2.0**k * np.sum(_dual_kernel_terms(act, k)))
    _, terms, tail = norm_terms(k, act)
    return float(math.fsum(terms) + tail)


def _dual_kernel_terms(act, k: int) -> np.ndarray:
    """The terms (-1)^d C(k, d) K(1 - 2d/k), d = 0..k, of the dual-kernel sum (without the factor 2^k)."""
    d = np.arange(k + 1)
    signs = np.where(d % 2 == 0, 1.0, -1.0)
    binom = np.array([math.comb(k, int(j)) for j in d], dtype=float)
    return signs * binom * act.dual_kernel(1 - 2 * d / k)


def dual_kernel_cancellation(activation="relu", k_max: int = 40) -> np.ndarray:
    """How the float64 dual-kernel sum loses its digits: its error and its rounding scale, for each ``k``.

    The dual-kernel form :math:`\\|f_S\\|^2 = 2^k\\sum_d\\binom kd(-1)^d K(1-2d/k)` is exact, but its
    terms alternate in sign and can be far larger than their sum.  In float64 its relative error is
    of the order of :math:`\\varepsilon\\kappa_k`, with :math:`\\varepsilon` the machine epsilon and the
    condition number

    .. math:: \\kappa_k = \\frac{2^k\\sum_d\\binom kd\\,|K(1-2d/k)|}{\\|f_S\\|^2} .

    Parameters
    ----------
    activation : str, callable or Activation, default "relu"
    k_max : int, default 40
        Largest support size, ``1 <= k_max <= K_LIMIT`` (300).

    Returns
    -------
    ndarray of shape (K, 3)
        One row ``(k, error, scale)`` for every ``k <= k_max`` with :math:`f_S \\ne 0` (the
        others are left out): ``error`` is the relative error of
        ``norm_squared(k, activation, method="dual_kernel")`` against the Hermite form
        :func:`lbkit.norm_squared`, and ``scale`` is :math:`\\varepsilon\\kappa_k`.  ``K`` is 0 (an array
        of shape (0, 3)) when :math:`f_S` vanishes for every ``k <= k_max``.

    Raises
    ------
    TypeError
        If ``k_max`` is not an integer.
    ValueError
        If ``k_max`` is out of range, or for an unknown activation name.

    Examples
    --------
    >>> table = dual_kernel_cancellation("relu", 4)
    >>> table[:, 0]                       # relu: f_S vanishes for odd k >= 3
    array([1., 2., 4.])
    >>> bool(np.all(table[:, 1] <= 5 * table[:, 2]))
    True
    """
    act = get_activation(activation)
    k_max = check_int(k_max, "k_max", minimum=1, maximum=K_LIMIT)
    eps = np.finfo(float).eps
    rows = []
    for k in range(1, k_max + 1):
        if act.vanishes(k):
            continue
        exact = norm_squared(k, act)
        error = abs(norm_squared(k, act, method="dual_kernel") - exact) / exact
        abs_sum = 2.0**k * np.sum(np.abs(_dual_kernel_terms(act, k)))
        rows.append((k, error, eps * abs_sum / exact))
    return np.array(rows, dtype=float).reshape(len(rows), 3)


def dual_kernel_norm_mp(k: int, activation="relu", *, dps: int = 60):
    """The dual-kernel sum :math:`2^k\\sum_d\\binom kd(-1)^d K(1-2d/k)` in ``dps``-digit arithmetic.

    Where float64 loses every digit to cancellation (see :func:`dual_kernel_cancellation`),
    enough digits make the dual-kernel form an exact route to :math:`\\|f_S\\|^2`: for the ReLU
    family and erf, whose kernels have closed forms, a route that shares nothing with the Hermite
    series of :func:`lbkit.norm_squared`.

    Parameters
    ----------
    k : int
        Support size, ``1 <= k <= K_LIMIT`` (300).
    activation : str or Activation, default "relu"
        An activation with a high-precision kernel (``Activation.has_certified_kernel``):
        the closed forms (ReLU family, erf) or the smooth built-ins, whose kernel is Mehler's
        series of their 40-digit Hermite coefficients (degrees up to 400).
    dps : int, default 60
        Decimal digits of the arithmetic, ``15 <= dps <= 1000``.

    Returns
    -------
    mpmath.mpf
        The sum, computed with ``dps`` digits (about ``0.6 k`` of them are lost to cancellation).
        The kernel used is the part of :math:`K` of the parity of ``k`` (the other part cancels
        exactly), so the result is ``0`` when :math:`f_S \\equiv 0`.

    Raises
    ------
    TypeError
        If ``k`` or ``dps`` is not an integer.
    ValueError
        If ``k`` or ``dps`` is out of range, or the activation has no high-precision kernel.

    Examples
    --------
    >>> import mpmath
    >>> mpmath.nstr(dual_kernel_norm_mp(2, "relu", dps=30), 20)   # norm_squared(2, "relu") = 0.7268
    '0.72676045526483731385'
    """
    import mpmath as mp

    act = get_activation(activation)
    k = _check_k_limit(k)
    dps = check_int(dps, "dps", minimum=15, maximum=1000)
    if act.vanishes(k):
        return mp.mpf(0)
    if not act.has_certified_kernel:
        raise ValueError(
            f"the activation {act.name!r} has no high-precision dual kernel (a closed form or 40-digit "
            "Hermite coefficients); use norm_squared(k, activation) for its norm"
        )
    kernel = act.certified_kernel(k)
    with mp.workdps(dps):
        terms = [mp.binomial(k, d) * (-1) ** d * kernel.mp(1 - mp.mpf(2 * d) / k) for d in range(k + 1)]
        return mp.mpf(2) ** k * mp.fsum(terms)


def hermite_weight_exact(k: int, m: int, *, method: str = "closed_form") -> Fraction:
    """:math:`W_k(m) = m!\\,k^{-m}\\,[t^m]\\sinh(t)^k` as an exact rational, by one of two routes.

    Parameters
    ----------
    k : int
        Support size, ``1 <= k <= 300``.
    m : int
        Degree, ``0 <= m <= 1000``.
    method : {"closed_form", "compositions"}, default "closed_form"
        ``"closed_form"``: :math:`2^{-k}\\sum_{j=0}^k\\binom kj(-1)^j(1-2j/k)^m`, from
        :math:`\\sinh(t)^k = 2^{-k}(e^t-e^{-t})^k`.  ``"compositions"``: the definition,
        :math:`m!\\,k^{-m}\\sum_\\alpha 1/\\alpha!` over the compositions :math:`\\alpha` of
        :math:`m` into :math:`k` odd parts (summed part by part, exactly).

    Returns
    -------
    fractions.Fraction
        ``0`` unless ``m >= k`` and ``m = k (mod 2)``.

    Raises
    ------
    TypeError
        If ``k`` or ``m`` is not an integer, or ``method`` is not a string.
    ValueError
        If ``k`` or ``m`` is out of range, or ``method`` is unknown.

    Examples
    --------
    >>> hermite_weight_exact(3, 5), hermite_weight_exact(3, 5, method="compositions")
    (Fraction(20, 81), Fraction(20, 81))
    >>> float(hermite_weight_exact(4, 10)), hermite_weight_exact(4, 9)
    (0.12451171875, Fraction(0, 1))
    """
    k = check_int(k, "k", minimum=1, maximum=K_LIMIT)
    m = check_int(m, "m", minimum=0, maximum=1000)
    check_choice(method, "method", ("closed_form", "compositions"))
    if method == "closed_form":
        total = sum(Fraction(math.comb(k, j) * (-1) ** j) * Fraction(k - 2 * j, k) ** m for j in range(k + 1))
        return total / 2**k
    # ways[r] = sum over compositions of r into the parts so far (each odd) of 1/alpha!
    ways = [Fraction(int(r == 0)) for r in range(m + 1)]
    inverse_factorial = [Fraction(1, math.factorial(a)) for a in range(m + 1)]
    for _ in range(k):
        ways = [
            sum((inverse_factorial[a] * ways[r - a] for a in range(1, r + 1, 2)), Fraction(0)) for r in range(m + 1)
        ]
    return Fraction(math.factorial(m), k**m) * ways[m]
