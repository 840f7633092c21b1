"""Bounds and tables about the norms of the orthogonal networks.

The exact :math:`\\|f_S\\|^2` is computed by :mod:`lbkit.norms`; this module bounds it
(the degree-:math:`k` term from below, the Hermite tail from above, the growth bounds of
chapter 4's thm-norm-growth), tabulates it with its bounds, and measures how much of it a
polynomial of low degree, or the monomial of the support, captures.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln

from ._checks import check_bool, check_choice, check_int
from .activation_library import get_activation
from .closed_forms import FOURIER_A
from .norms import K_LIMIT, norm_squared, norm_terms

__all__ = [
    "norm_lower_bound",
    "norm_upper_bound",
    "norm_table",
    "saturation_degree",
    "relu_norm_bounds",
    "fourier_norm_log_bound",
    "fourier_norm_constant",
    "degree_k_share",
    "monomial_correlation",
    "best_polynomial_loss",
]


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
