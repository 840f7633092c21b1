"""The correlational queries of the adversary game (:class:`lbkit.AdversaryGame`).

Each is a function :math:`\\phi` of norm 1 under :math:`\\mathcal N(0, I_n)` whose
inner products with the normalised targets :math:`\\hat f_S` have closed forms:

* :class:`FamilyQuery` -- :math:`\\phi = \\hat f_T`, a member of the family;
* :class:`HermiteQuery` -- a polynomial in the orthonormal multivariate Hermite basis;
* :class:`NeuronQuery` -- one unit :math:`\\sigma(v\\cdot x)/\\sqrt{K(1)}` of the target's activation.

The formulas are in the docstring of :mod:`lbkit.adversary`.  Each query
answers two questions for the game: which supports it meets
(``supports_met(n, k)``, None for all of them) and its inner products with the
normalised targets on given supports (``inner_products(S, game)``, where
``game`` has ``k``, ``activation`` and ``norm``, the norm of the unnormalised
:math:`f_S`); the game does not need to know which kind of query it is.
"""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np

from ._checks import check_int, check_n_k, check_real, check_real_array, check_support
from .distributions import as_rng
from .norm_bounds import degree_k_share
from .supports import sign_patterns

__all__ = ["FamilyQuery", "HermiteQuery", "NeuronQuery", "packed_query", "pack_size", "random_hermite_query"]


class FamilyQuery:
    """The query :math:`\\phi = \\hat f_T` (a normalised member of the family).

    Parameters
    ----------
    T : iterable of int
        The support of the query network: distinct non-negative coordinates,
        any order (stored sorted in ``.T``).  A support of another size than
        the game's ``k`` meets no candidate.

    Raises
    ------
    TypeError
        If ``T`` is not a collection, or holds a non-integer.
    ValueError
        If ``T`` is empty, repeats a coordinate or has a negative one.  (A
        coordinate ``>= n`` is refused by the game, when the query is asked.)

    Examples
    --------
    >>> FamilyQuery([3, 1])
    FamilyQuery(T=(1, 3))
    >>> from lbkit import AdversaryGame
    >>> game = AdversaryGame(8, 2, "relu", tau=0.1)
    >>> game.correlations(FamilyQuery([3, 1]))   # ranks and correlations: only f_T itself is hit
    (array([8], dtype=object), array([1.]))
    """

    def __init__(self, T):
        if isinstance(T, (str, bytes)) or not hasattr(T, "__iter__"):
            raise TypeError(f"T must be a collection of coordinate indices, got {T!r}")
        T = [check_int(i, "a coordinate of T", minimum=0) for i in T]
        if not T or len(set(T)) != len(T):
            raise ValueError(f"T must be a non-empty set of distinct coordinates, got {T!r}")
        self.T = tuple(sorted(T))

    def __repr__(self):
        return f"FamilyQuery(T={self.T})"

    def supports_met(self, n: int, k: int) -> np.ndarray:
        """``[T]`` (shape (1, k)) when ``|T| = k``, else no support; a coordinate ``>= n`` is refused."""
        T = check_support(self.T, n)
        return np.array([T] if len(T) == k else [], dtype=np.int64).reshape(-1, k)

    def inner_products(self, S, game) -> np.ndarray:
        """:math:`\\langle \\hat f_T, \\hat f_S\\rangle = 1` on the support it meets (``S = [T]``)."""
        return np.ones(len(S))


class HermiteQuery:
    """A polynomial query of norm 1,
    :math:`\\phi = \\sum_\\alpha a_\\alpha h_\\alpha / \\sqrt{\\sum_\\alpha a_\\alpha^2}`.

    Parameters
    ----------
    terms : dict
        Maps a multi-index, written as a dict ``{coordinate: degree}`` or a
        tuple of ``(coordinate, degree)`` pairs, to its coefficient
        :math:`a_\\alpha`.  Degrees are positive integers.

    Raises
    ------
    TypeError
        If ``terms`` is not a non-empty dict, a multi-index is not made of
        ``(coordinate, degree)`` pairs, or a coordinate or degree is not an
        integer.
    ValueError
        If a coordinate is negative, a degree is below 1, a multi-index
        repeats a coordinate, a coefficient is not finite (or not a number),
        or the coefficients cancel to the zero polynomial.

    Attributes
    ----------
    terms : dict
        The multi-indices, as sorted tuples of ``(coordinate, degree)``
        pairs, mapped to their coefficients :math:`a_\\alpha` (as given).
    norm : float
        :math:`\\sqrt{\\sum_\\alpha a_\\alpha^2}`, the factor that normalises the query.

    Examples
    --------
    >>> q = HermiteQuery({((0, 1), (3, 1)): 1.0, ((2, 3),): 1.0})   # (x0 x3 + h_3(x2)) / sqrt 2
    >>> q.norm
    1.4142135623730951
    """

    def __init__(self, terms):
        if not isinstance(terms, dict) or not terms:
            raise TypeError("terms must be a non-empty dict mapping multi-indices to coefficients")
        clean = {}
        for alpha, coef in terms.items():
            pairs, coef = _term(alpha, coef)
            key = tuple(sorted(pairs))
            clean[key] = clean.get(key, 0.0) + coef
        self.terms = clean
        scale = max(abs(c) for c in clean.values())
        if not math.isfinite(scale):
            raise ValueError("the coefficients of a repeated multi-index add up beyond float64's range (1.8e308)")
        if 1e-150 < scale < 1e150:  # the squares stay well inside float64's range
            self.norm = math.sqrt(math.fsum(c * c for c in clean.values()))
        else:  # the largest coefficient factored out: no overflow (1e200) or underflow (1e-200) of the squares
            self.norm = scale * math.sqrt(math.fsum((c / scale) ** 2 for c in clean.values())) if scale > 0 else 0.0
        if not math.isfinite(self.norm):
            raise ValueError(
                f"the coefficients' norm exceeds float64's range (the largest is {scale:g}); divide them all by "
                "the same number: the query is normalised, so its correlations do not change"
            )
        if self.norm == 0:
            raise ValueError("the query is the zero polynomial")

    def __repr__(self):
        shown = ", ".join(f"{dict(a)}: {c:g}" for a, c in list(self.terms.items())[:3])
        more = f", ... ({len(self.terms)} terms)" if len(self.terms) > 3 else ""
        return f"HermiteQuery({{{shown}{more}}})"

    def supports_met(self, n: int, k: int) -> np.ndarray:
        """The supports of its terms with ``k`` coordinates and every degree odd (the rest is orthogonal to all f_S)."""
        outside = sorted({i for alpha in self.terms for i, _ in alpha if i >= n})
        if outside:
            raise ValueError(
                f"the query uses coordinate(s) {outside}, but the inputs have n={n} coordinates (0 to {n - 1})"
            )
        met = {}
        for alpha in self.terms:
            if len(alpha) == k and all(d % 2 == 1 for _, d in alpha):
                met.setdefault(tuple(i for i, _ in alpha))
        return np.array(list(met), dtype=np.int64).reshape(-1, k)

    def inner_products(self, S, game) -> np.ndarray:
        """Correlations with the normalised targets on the supports ``S`` (rows of :meth:`supports_met`)."""
        k = game.k
        c = game.activation.hermite_coefficients(max(sum(d for _, d in a) for a in self.terms), high_precision=True)
        per_support: dict[tuple, float] = {}
        # coefficients relative to the largest: 1e200 or 1e-200 give the same correlations as 1
        scale = max(abs(c) for c in self.terms.values())
        if 1e-150 < scale < 1e150:  # no rescaling needed (and none done: the same digits as ever)
            scale = 1.0
        unit_norm = (
            self.norm / scale if scale == 1.0 else math.sqrt(math.fsum((c / scale) ** 2 for c in self.terms.values()))
        )
        for alpha, coef in self.terms.items():
            if len(alpha) != k or any(d % 2 == 0 for _, d in alpha):
                continue  # orthogonal to every f_S
            m = sum(d for _, d in alpha)
            log_inner = (
                k * math.log(2)
                + 0.5 * (math.lgamma(m + 1) - sum(math.lgamma(d + 1) for _, d in alpha))
                - 0.5 * m * math.log(k)
            )
            S_alpha = tuple(i for i, _ in alpha)
            unit_coef = coef if scale == 1.0 else coef / scale
            per_support[S_alpha] = per_support.get(S_alpha, 0.0) + unit_coef * (math.exp(log_inner) * c[m])
        return np.array([per_support[tuple(row)] / (unit_norm * game.norm) for row in S.tolist()])


class NeuronQuery:
    """One unit of the target's activation, :math:`\\phi = \\sigma(v\\cdot x)/\\sqrt{K(1)}`,
    with :math:`v` scaled to unit length.

    Parameters
    ----------
    v : array_like of shape (n,)
        Weight vector (non-zero; it is normalised).

    Raises
    ------
    TypeError
        If ``v`` is not a vector of real numbers (a string, a scalar, ...).
    ValueError
        If ``v`` is not one-dimensional, empty, not finite, or zero.  (A
        length other than the game's ``n`` is refused by the game, when the
        query is asked.)  The scale of ``v`` does not matter:
        ``NeuronQuery([1e200, 1e200])`` and ``NeuronQuery([1e-200, 1e-200])``
        are both :math:`(1, 1)/\\sqrt2`.

    Examples
    --------
    >>> NeuronQuery([3.0, 0.0, 4.0])
    NeuronQuery(v=[0.6, 0. , 0.8])
    >>> from lbkit import AdversaryGame
    >>> game = AdversaryGame(8, 2, "relu", tau=0.1)
    >>> game.ask(NeuronQuery([1, 1, 0, 0, 0, 0, 0, 0])), game.n_consistent   # only S = (0, 1) correlates > tau
    (0.0, 27)
    """

    def __init__(self, v):
        if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") and not isinstance(v, np.ndarray):
            raise TypeError(f"v must be a vector of numbers (array_like of shape (n,)), got {v!r}")
        try:
            v = check_real_array(v, "v", allow_bool=False)  # complex, object and string entries: TypeError
        except ValueError as exc:  # ragged
            raise TypeError(f"v must be a vector of real numbers, got {v!r}") from exc
        if v.ndim != 1 or v.size == 0:
            raise ValueError(f"v must be a finite, non-zero vector of shape (n,), got shape {v.shape}")
        if not np.all(np.isfinite(v)):
            raise ValueError("v must be a finite, non-zero vector of shape (n,): it has NaN or infinite entries")
        scale = np.max(np.abs(v))
        if scale == 0:
            raise ValueError(
                f"v must be a finite, non-zero vector of shape (n,), got the zero vector of length {v.size}"
            )
        u = v / scale  # largest entry +-1 first: the norm neither overflows (1e200) nor underflows (1e-200)
        self.v = u / np.linalg.norm(u)

    def __repr__(self):
        v = np.array2string(self.v, precision=3, threshold=6, separator=", ")
        return f"NeuronQuery(v={v})"

    def supports_met(self, n: int, k: int):
        """None: a neuron meets every support (its weight vector must have length ``n``)."""
        if self.v.size != n:
            raise ValueError(f"the neuron's weight vector has length {self.v.size}, the game has n={n}")
        return None

    def inner_products(self, S, game) -> np.ndarray:
        """:math:`\\sum_w \\chi(w) K(v_S\\cdot w/\\sqrt k)`, normalised, on the supports ``S`` (shape (r, k))."""
        k, act = game.k, game.activation
        P = sign_patterns(k)
        chi = np.prod(P, axis=1)
        K = act.dual_kernel(self.v[S] @ P.T / math.sqrt(k))  # (r, 2^k)
        return (K @ chi) / (math.sqrt(float(act.dual_kernel(1.0))) * game.norm)


def _term(alpha, coef):
    """One term of a :class:`HermiteQuery`, checked: its ``(coordinate, degree)`` pairs and its coefficient."""
    items = alpha.items() if isinstance(alpha, dict) else alpha
    pairs = []
    for pair in items:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(
                f"a multi-index is a tuple of (coordinate, degree) pairs or a dict "
                f"{{coordinate: degree}}, got {alpha!r} (write one pair as ((0, 1),))"
            )
        i, d = pair
        i, d = check_int(i, "coordinate", minimum=0), check_int(d, "degree", minimum=1)
        pairs.append((i, d))
    coords = [i for i, _ in pairs]
    if len(set(coords)) != len(coords):
        raise ValueError(f"multi-index {alpha!r} repeats a coordinate")
    if isinstance(coef, (bool, np.bool_)) or not isinstance(coef, numbers.Real):
        raise TypeError(f"the coefficient of {alpha!r} must be a real number, got {coef!r}")
    try:
        coef = float(coef)
    except OverflowError:  # an int beyond float64
        raise ValueError(f"coefficient of {alpha!r} is beyond float64's range ({len(str(coef))} digits)") from None
    if not math.isfinite(coef):
        raise ValueError(f"coefficient of {alpha!r} is not finite: {coef}")
    return pairs, coef


def packed_query(supports) -> HermiteQuery:
    """The packed query :math:`\\phi = |\\mathcal T|^{-1/2} \\sum_{T \\in \\mathcal T} \\prod_{i \\in T} x_i`.

    One multilinear monomial per support, with equal weights: a norm-1
    :class:`HermiteQuery` that correlates with every :math:`f_S`,
    :math:`S \\in \\mathcal T`, at once.

    Parameters
    ----------
    supports : iterable of iterables of int
        The supports :math:`T` (non-empty, distinct coordinates each); at least one.

    Returns
    -------
    HermiteQuery

    Raises
    ------
    TypeError
        If ``supports`` is not an iterable of iterables of integers.
    ValueError
        If it is empty, a support is empty or repeats a coordinate, or a
        coordinate is negative.

    Examples
    --------
    >>> q = packed_query([(0, 1), (2, 3)])
    >>> sorted(q.terms), q.norm
    ([((0, 1), (1, 1)), ((2, 1), (3, 1))], 1.4142135623730951)
    """
    try:
        support_list = [tuple(T) for T in supports]
    except TypeError:
        raise TypeError(f"supports must be an iterable of supports (iterables of int), got {supports!r}") from None
    if not support_list or not all(support_list):
        raise ValueError(f"supports must be a non-empty list of non-empty supports, got {support_list!r}")
    try:
        return HermiteQuery({tuple((i, 1) for i in T): 1.0 for T in support_list})
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"supports must hold sets of distinct coordinates, got {support_list!r:.80}: {exc}") from None


def pack_size(k: int, tau: float, activation="relu") -> int:
    """The largest :math:`g` with :math:`r_k/\\sqrt g > \\tau`: how many supports one packed query removes.

    A :func:`packed_query` over :math:`g` supports correlates with each of their
    normalised networks by :math:`r_k/\\sqrt g` (:func:`lbkit.norm_bounds.degree_k_share`),
    so against the adversary at tolerance :math:`\\tau` it removes all :math:`g`
    exactly when :math:`g < (r_k/\\tau)^2`.

    Parameters
    ----------
    k : int
        Support size, ``k >= 1``.
    tau : float
        Tolerance in (0, 1].
    activation : str, callable or Activation, default "relu"

    Returns
    -------
    int
        :math:`\\lceil (r_k/\\tau)^2\\rceil - 1` (0 when even one support is too many).

    Raises
    ------
    TypeError
        If ``k`` is not an integer or ``tau`` not a real number.
    ValueError
        If ``k < 1``, ``tau`` is outside (0, 1] or so small that the size leaves float64's
        range, or as for :func:`lbkit.norm_bounds.degree_k_share`.

    Examples
    --------
    >>> pack_size(2, 0.1), pack_size(4, 0.05)
    (87, 210)
    """
    k = check_int(k, "k", minimum=1)
    tau = check_real(tau, "tau", minimum=0, min_open=True, maximum=1)
    try:
        return math.ceil((degree_k_share(k, activation) / tau) ** 2) - 1
    except OverflowError:
        raise ValueError(f"tau={tau:g} is too small: (r_k / tau)^2 is beyond float64's range") from None


def random_hermite_query(n: int, k: int, rng) -> HermiteQuery:
    """A random polynomial of degree :math:`k` on :math:`2k` random coordinates.

    Draws :math:`2k` distinct coordinates (sorted), then one :math:`\\mathcal N(0, 1)`
    coefficient for every Hermite multi-index of total degree :math:`k` over them
    (in the order of ``itertools.combinations_with_replacement``); the
    :class:`HermiteQuery` normalises the result.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 2k``.
    k : int
        Degree, ``k >= 1``.
    rng : int or numpy.random.Generator
        Seed or generator (a generator's state advances).

    Returns
    -------
    HermiteQuery
        With :math:`\\binom{3k-1}{k}` terms.

    Raises
    ------
    TypeError
        If ``n`` or ``k`` is not an integer, or ``rng`` is not a seed or generator.
    ValueError
        If ``k < 1``, ``n < 2k`` or ``n >= 2**63``.

    Examples
    --------
    >>> len(random_hermite_query(10, 2, rng=0).terms)
    10
    """
    n, k = check_n_k(n, k)
    if n < 2 * k:
        raise ValueError(f"a random degree-k query needs n >= 2k coordinates, got n={n}, k={k}")
    if n >= 2**63:
        raise ValueError(f"n must be below 2**63 (the coordinates are drawn as int64), got n={n}")
    rng = as_rng(rng)
    coords = sorted(int(i) for i in rng.choice(n, 2 * k, replace=False))
    terms = {}
    for combo in itertools.combinations_with_replacement(coords, k):
        alpha = tuple((i, combo.count(i)) for i in sorted(set(combo)))
        terms[alpha] = rng.standard_normal()
    return HermiteQuery(terms)
