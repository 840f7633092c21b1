"""The statistical-query lower bounds of the book, as numbers (all in log space).

For the orthonormal family :math:`\\hat f_S = f_S/\\|f_S\\|`, :math:`|S| = k`,
of :math:`m = \\binom nk` functions, chapter 5 proves: a correlational SQ
learner with tolerance :math:`\\tau` that reaches square loss below
:math:`1-\\varepsilon` on every target needs at least
:math:`\\tau^2\\,(m - 1/\\varepsilon)` queries.  Chapter 6 proves the analogue
for full SQ learners with Boolean labels, with :math:`\\tau` replaced by
:math:`\\tau/\\|g\\|` where :math:`g = \\mathbb E[y\\mid x]`.

Everything is returned as :math:`\\log_{10}` so that ``n = 10**6, k = 40``
(:math:`m \\approx 10^{192}`) poses no overflow.
"""

from __future__ import annotations

import math

from ._checks import check_choice, check_int, check_n_k, check_real
from .activation_library import get_activation
from .stats import minibatch_tolerance  # noqa: F401 - re-exported (its home is lbkit.stats)

__all__ = [
    "log10_binom",
    "largest_k",
    "student_parameter_count",
    "csq_lower_bound",
    "sq_lower_bound",
    "odd_support_size",
    "sq_bound_rows",
    "gd_query_count",
    "minibatch_tolerance",
]

_LN10 = math.log(10.0)
_FLOAT_MAX = 1.7976931348623157e308
_MAX_BITS = 10_000  # log10_binom needs about log10(n) + 30 digits for k > 100,000


def _check_unit(value, name):
    """A number in (0, 1]: a tolerance, an advantage or a label norm."""
    return check_real(value, name, minimum=0, min_open=True, maximum=1)


def log10_binom(n: int, k: int) -> float:
    """:math:`\\log_{10}\\binom nk` to about 1e-15 relative (a sum of logs; lgamma differences lose digits).

    Parameters
    ----------
    n : int
        Dimension, ``n >= 1``.
    k : int
        Support size, ``1 <= k <= n``.

    Returns
    -------
    float
        :math:`\\log_{10}\\binom nk`, finite for every size (no overflow).

    Raises
    ------
    TypeError
        If ``n`` or ``k`` is not an integer.
    ValueError
        If ``n < 1``, ``k < 1`` or ``k > n``, if ``n`` has more than 10,000
        bits, or if the result exceeds float64.

    Notes
    -----
    For ``min(k, n - k) <= 100,000`` a ``math.fsum`` of positive logarithms;
    beyond, :math:`\\ln\\Gamma` differences in ``log10(n) + 30`` digits
    (mpmath), so that they do not cancel.

    Examples
    --------
    >>> round(10 ** log10_binom(10, 3))
    120
    >>> round(log10_binom(10**6, 40), 3)           # C(10^6, 40) is about 1.2e192
    192.088
    """
    n, k = check_n_k(n, k)
    k = min(k, n - k)
    if k == 0:
        return 0.0
    if n.bit_length() > _MAX_BITS:
        raise ValueError(
            f"n must have at most {_MAX_BITS} bits (about 10^{_MAX_BITS * math.log10(2):.0f}) for an "
            f"exact log10_binom, got n of {n.bit_length()} bits"
        )
    if k <= 100_000:
        if n < 2**1000:  # (n - i) / (k - i) is correctly rounded; every term is positive
            return math.fsum(math.log((n - i) / (k - i)) for i in range(k)) / _LN10
        return math.fsum(math.log(n - i) - math.log(k - i) for i in range(k)) / _LN10
    # lgamma differences cancel catastrophically in float64: take them in enough digits (mpmath)
    import mpmath as mp

    with mp.workdps(len(str(n)) + 30):
        value = (mp.loggamma(n + 1) - mp.loggamma(k + 1) - mp.loggamma(n - k + 1)) / mp.log(10)
    if not mp.isfinite(value) or value > _FLOAT_MAX:
        raise ValueError(
            f"log10 C(n, k) for n={mp.nstr(mp.mpf(n), 4)}, k={mp.nstr(mp.mpf(k), 4)} is about "
            f"{mp.nstr(value, 5)}, beyond float64 "
            f"(about 1.8e308)"
        )
    return float(value)


def _log10_positive_part(log10_count: float, eps: float) -> float:
    """log10(count - 1/eps) given log10 count (the family size C(n, k)); -inf when count <= 1/eps."""
    # count - 1/eps = count (1 - 1/(eps count))
    x = -math.log10(eps) - log10_count  # log10(1 / (eps count))
    if x >= 0:
        return -math.inf
    return log10_count + math.log10(-math.expm1(x * _LN10))


def csq_lower_bound(n: int, k: int, tau: float, eps: float) -> float:
    """:math:`\\log_{10}` of the CSQ query lower bound :math:`\\tau^2\\big(\\binom nk - 1/\\varepsilon\\big)`.

    Parameters
    ----------
    n, k : int
        Dimension and support size.
    tau : float in (0, 1]
        Tolerance of the oracle (queries have :math:`\\|\\phi\\|\\le 1`).
    eps : float in (0, 1]
        Required advantage: the learner must reach square loss below
        :math:`1 - \\varepsilon` on every normalised target.

    Returns
    -------
    float
        ``log10`` of the bound; ``-inf`` when the bound is vacuous
        (:math:`\\binom nk \\le 1/\\varepsilon`).

    Raises
    ------
    TypeError
        If ``n`` or ``k`` is not an integer, or ``tau`` or ``eps`` is not a
        real number.
    ValueError
        If ``n < 1``, ``k < 1`` or ``k > n``, or ``tau`` or ``eps`` is not a
        finite number in (0, 1].

    Examples
    --------
    >>> round(10 ** csq_lower_bound(64, 4, 1 / 16, 0.5), 1)   # (635376 - 2) / 256
    2481.9
    """
    n, k = check_n_k(n, k)
    tau = _check_unit(tau, "tau")
    eps = _check_unit(eps, "eps")
    return 2 * math.log10(tau) + _log10_positive_part(log10_binom(n, k), eps)


def sq_lower_bound(n: int, k: int, tau: float, eps: float, label_norm: float = 1.0) -> float:
    """:math:`\\log_{10}` of the SQ bound for Boolean labels, :math:`(\\tau/\\|g\\|)^2(\\binom nk - 1/\\varepsilon)`.

    Parameters
    ----------
    n, k, tau, eps
        As in :func:`csq_lower_bound`.
    label_norm : float in (0, 1], default 1
        :math:`\\|g\\|` for the conditional mean :math:`g = \\mathbb E[y\\mid x]`
        (at most 1 for labels in :math:`\\{-1, +1\\}`); a smaller norm makes
        every target harder to see and the bound larger.

    Returns
    -------
    float
        ``log10`` of the bound, that is :func:`csq_lower_bound` minus
        ``2 * log10(label_norm)``; ``-inf`` when the bound is vacuous
        (:math:`\\binom nk \\le 1/\\varepsilon`).

    Raises
    ------
    TypeError
        If ``n`` or ``k`` is not an integer, or ``tau``, ``eps`` or
        ``label_norm`` is not a real number.
    ValueError
        If ``n < 1``, ``k < 1`` or ``k > n``, or ``tau``, ``eps`` or
        ``label_norm`` is not a finite number in (0, 1].

    Examples
    --------
    >>> round(10 ** sq_lower_bound(64, 4, 1 / 16, 0.5), 1)   # label_norm = 1: the CSQ bound
    2481.9
    >>> round(10 ** sq_lower_bound(64, 4, 1 / 16, 0.5, label_norm=0.5), 1)   # four times larger
    9927.7
    """
    label_norm = _check_unit(label_norm, "label_norm")
    return csq_lower_bound(n, k, tau, eps) - 2 * math.log10(label_norm)


_K_RULES = {
    "nearest": "the odd k nearest log2(n); when log2(n) is an even integer, the one that is 1 mod 4",
    "floor": "the largest odd k with 2^k <= 2n",
}


def odd_support_size(n: int, rule: str = "nearest") -> int:
    """The odd support size :math:`k \\approx \\log_2 n` of the lower bounds' families.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 2``.
    rule : {"nearest", "floor"}, default "nearest"
        ``"nearest"``: the odd integer nearest :math:`\\log_2 n` (when :math:`\\log_2 n` is an
        even integer both neighbours are as near; the one that is 1 mod 4 is taken).
        ``"floor"``: the largest odd ``k`` with :math:`2^k \\le 2n` (so :math:`2^k` hidden units
        are at most :math:`2n`).

    Returns
    -------
    int
        An odd ``k >= 1``.

    Raises
    ------
    TypeError
        If ``n`` is not an integer.
    ValueError
        If ``n < 2`` or ``rule`` is not one of the two.

    Examples
    --------
    >>> [odd_support_size(n) for n in (100, 1000, 10**6)], odd_support_size(10**6, "floor")
    ([7, 9, 19], 19)
    """
    n = check_int(n, "n", minimum=2)
    rule = check_choice(rule, "rule", _K_RULES)
    if rule == "floor":
        k = (2 * n).bit_length() - 1  # floor(log2(2n)), exactly
        return k if k % 2 == 1 else k - 1
    return 2 * round((math.log2(n) - 1) / 2) + 1


def sq_bound_rows(ns, taus, eps: float, label_norm: float = 1.0, rule: str = "nearest", decimals: int = 2):
    """Rows of a table of :func:`~lbkit.sq_lower_bound` at real sizes, ``k`` from :func:`odd_support_size`.

    Parameters
    ----------
    ns : iterable of int
        Dimensions, each ``>= 2``.
    taus : iterable of float
        Tolerances in (0, 1], one column each.
    eps, label_norm
        As in :func:`~lbkit.sq_lower_bound`.
    rule : {"nearest", "floor"}, default "nearest"
        How ``k`` follows from ``n`` (:func:`odd_support_size`).
    decimals : int, default 2
        The logarithms are rounded (Python's ``round``) to this many decimals.

    Returns
    -------
    list of dict
        One per ``n``, with keys ``"n"``, ``"k"``, ``"hidden units"`` (:math:`2^k`),
        ``"log10 C(n,k)"`` and, per tolerance, ``f"log10 q, tau={tau:g}"``.

    Raises
    ------
    TypeError, ValueError
        As :func:`odd_support_size` and :func:`~lbkit.sq_lower_bound` for bad entries (named
        ``ns[i]`` and ``taus[j]``); ValueError if ``ns`` or ``taus`` is empty or ``decimals < 0``.

    Examples
    --------
    >>> sq_bound_rows([1000], [1e-2], 0.5)
    [{'n': 1000, 'k': 9, 'hidden units': 512, 'log10 C(n,k)': 21.42, 'log10 q, tau=0.01': 17.42}]
    """
    decimals = check_int(decimals, "decimals", minimum=0)
    for name, values in (("ns", ns), ("taus", taus)):
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"{name} must be a non-empty sequence, got {values!r:.60}")
    ns, taus = list(ns), list(taus)
    if not ns or not taus:
        raise ValueError(f"ns and taus must be non-empty, got {len(ns)} sizes and {len(taus)} tolerances")
    for i, n in enumerate(ns):
        check_int(n, f"ns[{i}]", minimum=1)
    for j, tau in enumerate(taus):
        check_real(tau, f"taus[{j}]", minimum=0, min_open=True, maximum=1)
    rows = []
    for n in ns:
        k = odd_support_size(n, rule)
        row = {"n": n, "k": k, "hidden units": 2**k, "log10 C(n,k)": round(log10_binom(n, k), decimals)}
        for tau in taus:
            row[f"log10 q, tau={tau:g}"] = round(sq_lower_bound(n, k, tau, eps, label_norm=label_norm), decimals)
        rows.append(row)
    return rows


def gd_query_count(p: int, T: int) -> float:
    """:math:`\\log_{10}(pT)`: correlational queries spent by ``T`` gradient steps on ``p`` parameters.

    Each step needs the label-dependent part :math:`\\mathbb E[y\\,\\partial_j h]`
    of every coordinate :math:`j`: one correlational query per parameter
    (chapter 2).

    Parameters
    ----------
    p : int
        Number of trained parameters, ``p >= 1``.
    T : int
        Number of gradient steps, ``T >= 1``.

    Returns
    -------
    float
        :math:`\\log_{10}(pT)`, to compare with :func:`csq_lower_bound`.

    Raises
    ------
    TypeError
        If ``p`` or ``T`` is not an integer.
    ValueError
        If ``p < 1`` or ``T < 1``.

    Examples
    --------
    >>> gd_query_count(1000, 100)       # 10^5 queries
    5.0
    """
    p = check_int(p, "p", minimum=1)
    T = check_int(T, "T", minimum=1)
    return math.log10(p) + math.log10(T)


def largest_k(n: int, activation="relu") -> int:
    """The largest support size :math:`k` with :math:`2^k \\le 2n` and :math:`f_S \\not\\equiv 0`.

    The :math:`k` of the asymptotic CSQ lower bound (chapter 5): a network of
    :math:`2^k \\le 2n` hidden units, as large as the parity rule allows (even
    :math:`k` for the ReLU, odd for the sigmoid and tanh, from :math:`k = 3` on).

    Parameters
    ----------
    n : int
        Dimension, ``n >= 1``.
    activation : str, callable or Activation, default "relu"

    Returns
    -------
    int
        :math:`\\lfloor\\log_2 2n\\rfloor`, or one less when the activation's
        family vanishes there (:meth:`lbkit.Activation.vanishes`).

    Raises
    ------
    TypeError
        If ``n`` is not an integer or ``activation`` is neither a name nor callable.
    ValueError
        If ``n < 1``, no ``k`` works, or for an unknown activation name.

    Examples
    --------
    >>> largest_k(1000, "relu"), largest_k(1000, "sigmoid")
    (10, 9)
    """
    n = check_int(n, "n", minimum=1)
    act = get_activation(activation)
    k = int(math.floor(math.log2(2 * n)))
    while k >= 1 and act.vanishes(k):
        k -= 1
    if k < 1:
        raise ValueError(f"no support size k with 2^k <= 2n = {2 * n} gives a non-zero {act.name!r} family")
    return k


def student_parameter_count(n: int, width: int) -> int:
    """Trained parameters of the two-layer student :math:`x \\mapsto a\\cdot\\mathrm{relu}(Wx + b) + c`.

    :math:`nw` hidden weights, :math:`w` hidden biases, :math:`w` output
    weights and one output bias: :math:`p = nw + 2w + 1`, the student of
    :class:`lbkit.learners.GDRegressor` of width :math:`w` in dimension
    :math:`n`; the ``p`` of :func:`~lbkit.gd_query_count`.

    Parameters
    ----------
    n : int
        Input dimension, ``n >= 1``.
    width : int
        Hidden units, ``width >= 1``.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``n`` or ``width`` is not an integer.
    ValueError
        If either is below 1.

    Examples
    --------
    >>> student_parameter_count(16, 64)
    1153
    """
    n = check_int(n, "n", minimum=1)
    width = check_int(width, "width", minimum=1)
    return n * width + 2 * width + 1
