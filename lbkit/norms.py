"""Exact norms of the orthogonal networks.

For :math:`|S| = k` and :math:`\\sigma = \\sum_m c_m h_m`,

.. math:: \\|f_S\\|^2 = 4^k\\sum_{m\\ge k,\\ m\\equiv k\\ (2)} c_m^2\\,
          m!\\,k^{-m}\\,[t^m]\\sinh(t)^k ,

a series of non-negative terms (see :func:`~lbkit.norm_squared`).  This module
computes its weights, its terms and its sum.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from scipy.special import gammaln, logsumexp

from ._checks import check_bool, check_budget, check_choice, check_int
from .activation_library import get_activation
from .closed_forms import FOURIER_A

__all__ = [
    "norm_squared",
    "norm_terms",
    "norm_lower_bound",
    "norm_upper_bound",
    "norm_table",
    "hermite_weights",
    "hermite_weight_exact",
    "saturation_degree",
    "relu_norm_bounds",
    "fourier_norm_log_bound",
    "fourier_norm_constant",
    "degree_k_share",
    "monomial_correlation",
    "best_polynomial_loss",
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


def norm_lower_bound(k: int, activation="relu", *, log10: bool = False) -> float:
    """The degree-:math:`k` term alone: :math:`\\|f_S\\|^2 \\ge 4^k c_k^2\\, k!/k^k`.

    Parameters
    ----------
    k : int
        Support size, ``k >= 1``.
    activation : str, callable or Activation, default "relu"
    log10 : bool, default False
        Return :math:`\\log_{10}` of the bound (``-inf`` when it is 0), which
        stays finite where the bound itself exceeds float64 (ReLU from about
        ``k = 1880``).

    Returns
    -------
    float
        :math:`4^k c_k^2\\, k!/k^k`, the first term of :func:`norm_terms`
        (computed in log space); ``0.0`` when :math:`c_k = 0`.

    Raises
    ------
    TypeError
        If ``k`` is not an integer, ``log10`` is not a bool, or
        ``activation`` is neither a name nor callable.
    ValueError
        If ``k < 1``; if ``k`` is past the highest known Hermite coefficient
        (200 for a custom callable, 160 to 360 for the smooth built-ins, see
        :attr:`Activation.coefficient_source`; 10**6 for closed forms); if the
        bound exceeds float64 and ``log10`` is False; or for an unknown
        activation name.

    Examples
    --------
    >>> round(norm_lower_bound(4, "relu"), 4), round(norm_squared(4, "relu"), 4)
    (0.1592, 0.303)
    >>> round(norm_lower_bound(2000, "relu", log10=True), 2)   # beyond float64
    328.43
    """
    act = get_activation(activation)
    k = check_int(k, "k", minimum=1)
    log10 = check_bool(log10, "log10")
    top = act.coefficient_source.max_degree
    if top is not None and k > top:
        raise ValueError(
            f"k={k} is past the highest known Hermite coefficient of {act.name!r} (degree {top}), "
            f"so c_k and the bound are unknown; use k <= {top}"
        )
    c = act.hermite_coefficients(k, high_precision=True)
    if c[k] == 0:
        return -math.inf if log10 else 0.0
    log_value = k * math.log(4) + 2 * math.log(abs(c[k])) + gammaln(k + 1) - k * math.log(k)
    if log10:
        return float(log_value / math.log(10))
    if log_value > _LOG_FLOAT_MAX:
        raise ValueError(
            f"norm_lower_bound({k}, {act.name!r}) is about 10^{log_value / math.log(10):.1f}, beyond "
            f"the largest float64 (about 1.8e308); pass log10=True for its base-10 logarithm"
        )
    return float(math.exp(log_value))


_LOG_FLOAT_MAX = math.log(np.finfo(float).max)


def norm_upper_bound(k: int, activation="relu") -> float:
    """The tail upper bound :math:`\\|f_S\\|^2 \\le 2^{k+1}\\sum_{m\\ge k,\\ m\\equiv k\\ (2)} c_m^2`.

    Every weight :math:`W_k(m)` is at most :math:`2^{1-k}` (see :func:`~lbkit.hermite_weights`), so the
    series of :func:`~lbkit.norm_squared` is at most :math:`4^k 2^{1-k}` times the Hermite energy of the
    activation from degree :math:`k` on (:meth:`~lbkit.Activation.hermite_tail`).

    Parameters
    ----------
    k : int
        Support size, ``1 <= k <= 1000``.
    activation : str, callable or Activation, default "relu"

    Returns
    -------
    float
        :math:`2^{k+1}\\sum_{m\\ge k,\\ m\\equiv k} c_m^2`; ``0.0`` exactly when the tail is 0.

    Raises
    ------
    TypeError
        If ``k`` is not an integer, or ``activation`` is neither a name nor callable.
    ValueError
        If ``k < 1`` or ``k > 1000`` (:math:`2^{k+1}` leaves float64 from ``k = 1023``), or
        for an unknown activation name.

    Examples
    --------
    >>> round(norm_upper_bound(2, "relu"), 4), round(norm_squared(2, "relu"), 4)
    (0.7268, 0.7268)
    >>> round(norm_upper_bound(4, "relu"), 4), round(norm_squared(4, "relu"), 4)
    (0.3606, 0.303)
    """
    act = get_activation(activation)
    k = check_int(k, "k", minimum=1, maximum=1000)
    return float(2.0 ** (k + 1) * act.hermite_tail(k, k % 2))


def norm_table(activation="relu", k_max: int = 40) -> np.ndarray:
    """The exact norm and its two bounds at every ``k <= k_max`` for which :math:`f_S \\ne 0`.

    Parameters
    ----------
    activation : str, callable or Activation, default "relu"
    k_max : int, default 40
        Largest support size, ``1 <= k_max <= 300`` (``K_LIMIT``).

    Returns
    -------
    ndarray of shape (L, 4)
        One row ``(k, norm_squared(k), norm_lower_bound(k), norm_upper_bound(k))`` per ``k``
        in ``1..k_max`` for which the parity rule leaves :math:`f_S \\ne 0`
        (:meth:`~lbkit.Activation.vanishes`), in increasing ``k``; ``L`` may be 0.

    Raises
    ------
    TypeError
        If ``k_max`` is not an integer, or ``activation`` is neither a name nor callable.
    ValueError
        If ``k_max`` is out of range, or :func:`~lbkit.norm_squared` refuses one of the ``k``
        (smooth activations and custom callables at large ``k``).

    Examples
    --------
    >>> np.round(norm_table("relu", 4), 4)
    array([[1.    , 1.    , 1.    , 1.    ],
           [2.    , 0.7268, 0.6366, 0.7268],
           [4.    , 0.303 , 0.1592, 0.3606]])
    """
    act = get_activation(activation)
    k_max = check_int(k_max, "k_max", minimum=1, maximum=K_LIMIT)
    rows = [
        (k, norm_squared(k, act), norm_lower_bound(k, act), norm_upper_bound(k, act))
        for k in range(1, k_max + 1)
        if not act.vanishes(k)
    ]
    return np.array(rows, dtype=float).reshape(-1, 4)


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


def saturation_degree(k: int, parity: int) -> int:
    """The smallest degree :math:`m \\ge M_k = \\max(k, \\frac k2\\ln(3k))` with :math:`m \\equiv` ``parity`` (mod 2).

    From :math:`M_k` on the weights of the norm formula are at least :math:`2^{-k}`:
    :math:`W_k(m) \\ge 2^{-k}` for every :math:`m \\ge M_k` with :math:`m \\equiv k` (chapter 4,
    thm-norm-growth, part 1).

    Parameters
    ----------
    k : int
        Support size, ``k >= 1``.
    parity : {0, 1}

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``k`` or ``parity`` is not an integer.
    ValueError
        If ``k < 1`` or ``k > 2**53``, or ``parity`` is not 0 or 1.

    Examples
    --------
    >>> saturation_degree(41, 1), saturation_degree(10, 0)
    (99, 18)
    """
    k = check_int(k, "k", minimum=1, maximum=2**53)  # beyond, k / 2 * ln(3k) has no exact float ceiling
    parity = check_int(parity, "parity", minimum=0, maximum=1)
    m = max(k, math.ceil(k / 2 * math.log(3 * k)))
    return m + (m - parity) % 2


def relu_norm_bounds(k: int) -> dict:
    """The bounds on :math:`\\|f_S\\|^2` for the ReLU at an even ``k`` (chapter 4, thm-norm-growth, part 2).

    Parameters
    ----------
    k : int
        An even support size, ``2 <= k <= 1000``.

    Returns
    -------
    dict
        Floats under the keys (lower bounds first, then upper bounds), with
        :math:`M` = ``saturation_degree(k, 0)`` and
        :math:`M' = \\max(k, \\frac k2\\ln\\frac{k}{3\\ln k})`:

        ``"degree_k"``
            :math:`4^k c_k^2\\,k!/k^k` (:func:`~lbkit.norm_lower_bound`);
        ``"a"``
            :math:`(4/e)^k/(2\\sqrt\\pi\\,(k-1)^2)`, below ``"degree_k"``;
        ``"tail"``
            :math:`2^k\\sum_{m\\ge M,\\ m \\text{ even}} c_m^2`;
        ``"b"``
            :math:`2^k/(6\\sqrt2\\,\\pi\\,M^{3/2})`, below ``"tail"``;
        ``"up"``
            :math:`2^{k+1}/(3\\sqrt6\\,\\pi\\,(k-3)^{3/2})` (``inf`` for ``k = 2``);
        ``"up2"``
            :math:`2^{k+1}/(c\\,(M'-3)^{3/2}) + e\\sqrt{M'}\\,2^k/(c\\,k^3(k-3)^{3/2})`,
            :math:`c = 3\\sqrt6\\,\\pi` (``inf`` for ``k = 2``).

    Raises
    ------
    TypeError
        If ``k`` is not an integer.
    ValueError
        If ``k`` is odd (the ReLU's :math:`f_S` vanishes at odd ``k >= 3``), below 2 or above 1000.

    Examples
    --------
    >>> b = relu_norm_bounds(10)
    >>> round(b["a"], 4), round(b["b"], 4), round(norm_squared(10, "relu"), 4), round(b["up2"], 4)
    (0.1658, 0.503, 2.122, 4.8106)
    """
    k = check_int(k, "k", minimum=2, maximum=1000)
    if k % 2:
        raise ValueError(f"k must be even (for odd k >= 3 the ReLU's f_S is 0), got {k}")
    relu = get_activation("relu")
    M = saturation_degree(k, 0)
    bounds = {
        "degree_k": norm_lower_bound(k, relu),
        "a": (4 / math.e) ** k / (2 * math.sqrt(math.pi) * (k - 1) ** 2),
        "tail": 2.0**k * relu.hermite_tail(M, 0),
        "b": 2.0**k / (6 * math.sqrt(2) * math.pi * M**1.5),
        "up": math.inf,
        "up2": math.inf,
    }
    if k >= 4:
        c = 3 * math.sqrt(6) * math.pi
        Mp = max(k, k / 2 * math.log(k / (3 * math.log(k))))
        bounds["up"] = 2.0 ** (k + 1) / (c * (k - 3) ** 1.5)
        bounds["up2"] = 2.0 ** (k + 1) / (c * (Mp - 3) ** 1.5) + math.e * math.sqrt(Mp) * 2.0**k / (
            c * k**3 * (k - 3) ** 1.5
        )
    return bounds


def fourier_norm_log_bound(k: int, activation: str) -> float:
    """:math:`\\ln L_k`, the lower bound :math:`\\|f_S\\|^2 \\ge L_k` for tanh and the sigmoid (odd ``k``).

    .. math:: L_k = \\frac{2^{k+2}}{\\sqrt M}\\,e^{-2a\\sqrt{M+1}},

    with :math:`M` = ``saturation_degree(k, 1)`` and :math:`a` = ``FOURIER_A[activation]``
    (``lbkit.closed_forms.FOURIER_A``: :math:`\\pi/2` for tanh, :math:`\\pi` for the
    sigmoid); chapter 4, thm-norm-growth, part 3.

    Parameters
    ----------
    k : int
        An odd support size, ``k >= 1``.
    activation : {"tanh", "sigmoid"}

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``k`` is not an integer or ``activation`` is not a string.
    ValueError
        If ``k`` is even or below 1, or ``activation`` is neither name.

    Examples
    --------
    >>> round(math.exp(fourier_norm_log_bound(9, "tanh")), 5), round(norm_squared(9, "tanh"), 5)
    (0.00184, 0.18223)
    """
    k = check_int(k, "k", minimum=1)
    if k % 2 == 0:
        raise ValueError(f"k must be odd (tanh's and the sigmoid's f_S vanish at even k >= 2), got {k}")
    check_choice(activation, "activation", FOURIER_A)
    M = saturation_degree(k, 1)
    return (k + 2) * math.log(2) - 0.5 * math.log(M) - 2 * FOURIER_A[activation] * math.sqrt(M + 1)


def fourier_norm_constant(activation: str) -> tuple[float, int, int]:
    """The constant :math:`C_\\sigma \\ge 1/\\|f_S\\|` over all odd ``k``, for tanh or the sigmoid.

    Part 3 of thm-norm-growth (chapter 4) gives :math:`1/\\|f_S\\| \\le L_k^{-1/2}` and
    :math:`L_k \\ge 1` once :math:`k/\\ln(3k) \\ge ((2a+1)/\\ln 2)^2`; below that threshold there
    are finitely many odd ``k``, and :math:`C_\\sigma` is the largest of their
    :math:`L_k^{-1/2}` and 1 (see :func:`fourier_norm_log_bound`).

    Parameters
    ----------
    activation : {"tanh", "sigmoid"}

    Returns
    -------
    C : float
        :math:`\\max(1, \\max_k L_k^{-1/2})` over odd ``k`` up to the threshold.
    worst_k : int
        The odd ``k`` where :math:`L_k` is smallest.
    k_one : int
        The smallest odd ``k >= 3`` with :math:`k/\\ln(3k) \\ge ((2a+1)/\\ln 2)^2`, from which
        on :math:`1/\\|f_S\\| \\le 1` is proved.

    Raises
    ------
    TypeError
        If ``activation`` is not a string.
    ValueError
        If ``activation`` is neither name.

    Examples
    --------
    >>> C, worst_k, k_one = fourier_norm_constant("tanh")
    >>> round(C, 2), worst_k, k_one
    (41.63, 17, 235)
    """
    check_choice(activation, "activation", FOURIER_A)
    threshold = ((2 * FOURIER_A[activation] + 1) / math.log(2)) ** 2
    k_one = next(k for k in range(3, 10**6, 2) if k / math.log(3 * k) >= threshold)
    worst_k = min(range(1, k_one + 1, 2), key=lambda k: fourier_norm_log_bound(k, activation))
    return max(1.0, math.exp(-fourier_norm_log_bound(worst_k, activation) / 2)), worst_k, k_one


def degree_k_share(k: int, activation="relu") -> float:
    """:math:`r_k = \\sqrt{4^k c_k^2\\, k!/k^k \\,/\\, \\|f_S\\|^2}`, the root of the degree-:math:`k` share.

    The ratio of :func:`~lbkit.norm_lower_bound` to :func:`~lbkit.norm_squared`, under a square
    root: :math:`r_k = |\\langle \\prod_{i\\in S} x_i,\\, f_S/\\|f_S\\|\\rangle|`, the
    largest correlation a polynomial of degree :math:`k` and norm 1 can have with
    :math:`\\hat f_S` (the absolute value of :func:`monomial_correlation`, computed
    through the logarithm of the bound).

    Parameters
    ----------
    k : int
        Support size, ``k >= 1``.
    activation : str, callable or Activation, default "relu"

    Returns
    -------
    float
        In :math:`[0, 1]`.

    Raises
    ------
    TypeError, ValueError
        As for :func:`~lbkit.norm_squared` and :func:`~lbkit.norm_lower_bound` (``k`` not an
        integer or below 1, an unknown activation, a ``k`` with :math:`f_S \\equiv 0`).

    Examples
    --------
    >>> round(degree_k_share(4, "relu") ** 2, 4)
    0.5252
    """
    return math.sqrt(norm_lower_bound(k, activation) / norm_squared(k, activation))


def monomial_correlation(k: int, activation="relu") -> float:
    """:math:`\\gamma_k = \\langle \\hat f_S, \\prod_{i\\in S} x_i\\rangle = 2^k c_k \\sqrt{k!}\\,k^{-k/2}/\\|f_S\\|`.

    The coefficient of the normalised network on the multilinear monomial of its
    own support (the same for every :math:`|S| = k`), with its sign; the
    coefficient lemma of chapter 4 with :math:`\\alpha = 1_S`.  Its absolute
    value is :func:`degree_k_share` (up to rounding).

    Parameters
    ----------
    k : int
        Support size, ``1 <= k <= 170`` (beyond, :math:`k!` exceeds float64).
    activation : str, callable or Activation, default "relu"

    Returns
    -------
    float
        In :math:`[-1, 1]`; 0 when :math:`c_k = 0`.

    Raises
    ------
    TypeError
        If ``k`` is not an integer or ``activation`` is neither a name nor callable.
    ValueError
        If ``k`` is outside ``[1, 170]``, or as for :func:`~lbkit.norm_squared`.

    Examples
    --------
    >>> round(monomial_correlation(3, "tanh"), 6)
    -0.886573
    """
    act = get_activation(activation)
    k = check_int(k, "k", minimum=1, maximum=170)
    c_k = act.hermite_coefficients(k, high_precision=True)[k]
    return float(2**k * c_k * math.sqrt(math.factorial(k)) / k ** (k / 2) / math.sqrt(norm_squared(k, act)))


def best_polynomial_loss(k: int, degree: int, activation="relu", *, features: str = "all") -> float:
    """Square loss of the best polynomial of degree at most ``degree`` approximating :math:`f_S/\\|f_S\\|`.

    Under :math:`N(0, I_n)` the best approximation is the orthogonal projection on
    the Hermite polynomials of degree :math:`\\le d`, so its loss is
    :math:`1 - \\sum_{m\\le d} T_m/\\|f_S\\|^2` with :math:`T_m` the terms of
    :func:`~lbkit.norm_terms` (the part of :math:`\\|f_S\\|^2` in degree :math:`m`).  It
    depends only on ``k``, ``degree`` and the activation.

    With ``features="multilinear"`` (polynomials in products of distinct
    coordinates) the only multilinear Hermite coefficient of :math:`f_S` is the one
    on :math:`\\prod_{i\\in S} x_i`, of square :func:`~lbkit.norm_lower_bound`, so the
    loss is :math:`1 - 4^k c_k^2\\,k!/k^k/\\|f_S\\|^2` for ``degree >= k`` (the
    multilinear ceiling) and 1 below.

    Parameters
    ----------
    k : int
        Support size.
    degree : int
        Largest degree of the approximating polynomial, ``>= 0``.
    activation : str, callable or Activation, default "relu"
    features : {"all", "multilinear"}, default "all"
        Approximate by all polynomials of degree ``<= degree``, or by the
        multilinear ones only.

    Returns
    -------
    float
        In :math:`[0, 1]`; ``1.0`` for ``degree < k``.

    Raises
    ------
    TypeError
        If ``k`` or ``degree`` is not an integer, or as :func:`~lbkit.norm_terms`.
    ValueError
        If ``degree < 0``, ``features`` is not one of the two, or as :func:`~lbkit.norm_terms`.

    Examples
    --------
    >>> round(best_polynomial_loss(2, 2), 6) == round(1 - (2 / math.pi) / (2 - 4 / math.pi), 6)
    True
    >>> round(best_polynomial_loss(4, 8, features="multilinear"), 4)
    0.4748
    """
    degree = check_int(degree, "degree", minimum=0)
    check_choice(features, "features", ("all", "multilinear"))
    if features == "multilinear":
        k = check_int(k, "k", minimum=1)
        if degree < k:
            return 1.0
        return float(1 - norm_lower_bound(k, activation) / norm_squared(k, activation))
    m, terms, _ = norm_terms(k, activation)
    return float(1 - terms[m <= degree].sum() / norm_squared(k, activation))
