"""The orthogonal family of one-hidden-layer networks.

For a support :math:`S\\subseteq[n]` with :math:`|S|=k` and an activation
:math:`\\sigma`,

.. math:: f_S(x) = \\sum_{w\\in\\{-1,+1\\}^k} \\chi(w)\\,
          \\sigma\\!\\Big(\\frac{w\\cdot x_S}{\\sqrt k}\\Big),
          \\qquad \\chi(w) = \\prod_{i=1}^k w_i ,

a network with :math:`2^k` hidden units (Goel et al., 2020).  This module
builds its weights, evaluates it fast, and computes
:math:`\\|f_S\\|^2 = \\mathbb E_{x\\sim N(0,I_n)}[f_S(x)^2]` exactly.
"""

from __future__ import annotations

import itertools
import math
import sys

import numpy as np
from scipy.special import gammaln, logsumexp

from ._checks import check_int, check_n_k, check_support, check_X
from .activations import get_activation

__all__ = [
    "OrthogonalNetwork",
    "orthogonal_network",
    "orthogonal_family",
    "norm_squared",
    "norm_terms",
    "norm_lower_bound",
    "hermite_weights",
    "supports",
    "Supports",
    "sign_patterns",
]


# ----------------------------------------------------------------------------
# supports
# ----------------------------------------------------------------------------
class Supports:
    """The :math:`\\binom{n}{k}` supports of size ``k`` in ``range(n)``, lazily.

    Supports are sorted tuples in lexicographic order.  The exact number is
    ``.count`` (a Python int of any size); ``len`` works while the count fits
    in ``sys.maxsize`` and raises OverflowError (pointing to ``.count``)
    beyond.  Iteration, indexing (also negative), ``index`` and ``in`` work
    without materialising the collection, so ``supports(10**6, 40)`` is cheap.

    Parameters
    ----------
    n, k : int
        Dimension and support size, ``1 <= k <= n``.

    Raises
    ------
    TypeError
        If ``n`` or ``k`` is not an integer (also: indexing with a slice or a
        non-integer).
    ValueError
        If ``n < 1``, ``k < 1`` or ``k > n``.
    IndexError
        (when indexed) for an index outside ``-count <= i < count``.
    OverflowError
        (from ``len``) when ``count`` exceeds ``sys.maxsize``.

    Examples
    --------
    >>> s = supports(5, 2)
    >>> len(s), s[0], s[-1], s.index((1, 3))
    (10, (0, 1), (3, 4), 5)
    """

    def __init__(self, n: int, k: int):
        self.n, self.k = check_n_k(n, k)
        self.count = math.comb(self.n, self.k)

    def __len__(self):
        if self.count > sys.maxsize:
            raise OverflowError(f"there are {self.count} supports (about 10^{len(str(self.count)) - 1}), more than "
                                "len() can return; use the exact integer .count instead")
        return self.count

    def __iter__(self):
        return itertools.combinations(range(self.n), self.k)

    def __getitem__(self, i):
        if isinstance(i, slice):
            raise TypeError("supports(n, k) does not support slicing; use itertools.islice(iter(...), ...)")
        i = check_int(i, "index")
        if i < 0:
            i += self.count
        if not 0 <= i < self.count:
            raise IndexError(f"index out of range for the {self.count} supports of size {self.k} in range({self.n})")
        out, start, k = [], 0, self.k
        for _ in range(self.k):  # unrank in lexicographic order
            # supports whose next element is < c: C(n - start, k) - C(n - c, k) (hockey stick);
            # the next element is the largest c with that count <= i (binary search)
            total = math.comb(self.n - start, k)
            lo, hi = start, self.n - k
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if total - math.comb(self.n - mid, k) <= i:
                    lo = mid
                else:
                    hi = mid - 1
            i -= total - math.comb(self.n - lo, k)
            out.append(lo)
            start, k = lo + 1, k - 1
        return tuple(out)

    def index(self, S) -> int:
        """Lexicographic rank of the support ``S``, so that ``self[self.index(S)] == tuple(sorted(S))``.

        Parameters
        ----------
        S : iterable of int
            ``k`` distinct coordinates in ``range(n)``, in any order.

        Returns
        -------
        int

        Raises
        ------
        TypeError
            If ``S`` is not a collection of integers.
        ValueError
            If ``S`` is empty, repeats an index, has an index outside
            ``range(n)``, or does not have exactly ``k`` coordinates.
        """
        S = check_support(S, self.n)
        if len(S) != self.k:
            raise ValueError(f"S={S} has {len(S)} coordinates, but these supports have size k={self.k}")
        r, prev, k = 0, -1, self.k
        for c in S:  # supports that agree so far and continue below c (hockey stick)
            r += math.comb(self.n - prev - 1, k) - math.comb(self.n - c, k)
            prev, k = c, k - 1
        return r

    def __contains__(self, S):
        try:
            S = check_support(S, self.n)
        except (TypeError, ValueError):
            return False
        return len(S) == self.k

    def __repr__(self):
        return f"Supports(n={self.n}, k={self.k}, count={self.count})"


def supports(n: int, k: int) -> Supports:
    """All :math:`\\binom{n}{k}` supports of size ``k`` in ``range(n)``, lazily; see :class:`Supports`.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 1``.
    k : int
        Support size, ``1 <= k <= n``.

    Returns
    -------
    Supports
        A lazy sequence of sorted tuples in lexicographic order, with the
        exact number in ``.count``; nothing is materialised.

    Raises
    ------
    TypeError
        If ``n`` or ``k`` is not an integer.
    ValueError
        If ``n < 1``, ``k < 1`` or ``k > n``.

    Examples
    --------
    >>> s = supports(5, 2)
    >>> s
    Supports(n=5, k=2, count=10)
    >>> list(s)[:3], (1, 3) in s
    ([(0, 1), (0, 2), (0, 3)], True)
    >>> supports(10**6, 40).count > 10**190       # cheap: nothing is enumerated
    True
    """
    return Supports(n, k)


def sign_patterns(k: int) -> np.ndarray:
    """All :math:`w\\in\\{-1,+1\\}^k` as rows, in binary order (``+1`` for bit 0).

    Parameters
    ----------
    k : int
        Number of signs, ``1 <= k <= 26``.

    Returns
    -------
    P : ndarray of shape (2**k, k)
        Row ``j`` is the binary expansion of ``j`` (most significant bit
        first) with bit 0 written ``+1.0`` and bit 1 written ``-1.0``.

    Raises
    ------
    TypeError
        If ``k`` is not an integer.
    ValueError
        If ``k < 1`` or ``k > 26`` (too many patterns to store).

    Examples
    --------
    >>> sign_patterns(2)
    array([[ 1.,  1.],
           [ 1., -1.],
           [-1.,  1.],
           [-1., -1.]])
    """
    k = check_int(k, "k", minimum=1)
    if k > 26:
        raise ValueError(f"k={k} gives 2^k = {2**k} sign patterns, too many to store; k <= 26 is allowed")
    bits = (np.arange(2 ** k)[:, None] >> np.arange(k - 1, -1, -1)[None, :]) & 1
    return 1.0 - 2.0 * bits


# ----------------------------------------------------------------------------
# exact norms
# ----------------------------------------------------------------------------
def _degree_cutoff(k: int) -> int:
    """Largest Hermite degree M summed explicitly for support size k.

    Past M the weight W(m) equals 2^(1-k) up to a relative error
    k (1 - 2/k)^M < 1e-18, so the rest of the series is a plain tail sum.
    """
    if k <= 2:
        return k + 200
    return int(max(k + 200, math.ceil((k / 2) * (math.log(k) + 42))))


_CUSTOM_DEGREE = 150  # degrees summed explicitly for custom callables (float64 quadrature)
K_LIMIT = 300  # largest k for the exact norm: 4^k overflows float64 at k = 512, and the series needs O(k^2 log^2 k) memory
_BAND = 40  # convergence check: the last _BAND degrees of a truncated series ...
_BAND_RTOL = 1e-10  # ... may carry at most this share of the norm (smooth built-ins, 40-digit coefficients)
_BAND_RTOL_CUSTOM = 1e-6  # custom callables: float64 quadrature coefficients, accurate to about 1e-6 relative


def _check_k_limit(k: int) -> int:
    k = check_int(k, "k", minimum=1)
    if k > K_LIMIT:
        raise ValueError(f"k={k} is too large for the exact norm: k <= {K_LIMIT} is allowed "
                         f"(4^k overflows float64 from k = 512; the family has C(n, k) members, so k <= {K_LIMIT} "
                         f"covers k = log2(n) for every n a computer can hold)")
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
        Highest degree; defaults to the cutoff used by :func:`norm_squared`.

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
        If ``k < 1``, ``k > 300`` (``K_LIMIT``), or ``m_max < k``.

    Examples
    --------
    >>> m, W = hermite_weights(4, 10)
    >>> m, np.round(W, 6)      # from 4!/4^4 = 0.09375 towards 2^(1-4) = 0.125
    (array([ 4,  6,  8, 10]), array([0.09375 , 0.117188, 0.123047, 0.124512]))
    """
    k = _check_k_limit(k)
    m_max = _degree_cutoff(k) if m_max is None else check_int(m_max, "m_max", minimum=k)
    length = (m_max - k) // 2 + 1
    m = k + 2 * np.arange(length)
    logW = gammaln(m + 1) - m * math.log(k) + _log_sinhc_power(k, length)
    return m, np.exp(logW)


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
    m, W = hermite_weights(k)
    truncated_at = None  # the degree past which the coefficients are not known (set to 0)
    if act._closed_coefficients is None and not act._high:  # custom callable: quadrature coefficients
        if k > _CUSTOM_DEGREE:
            raise ValueError(f"k={k}: for activations without a closed form the norm is computed from "
                             f"quadrature coefficients up to degree {_CUSTOM_DEGREE}, so k <= {_CUSTOM_DEGREE}")
        keep = m <= _CUSTOM_DEGREE
        m, W = m[keep], W[keep]
        truncated_at = _CUSTOM_DEGREE
    elif act._high:  # smooth built-ins: 40-digit coefficients up to degree _high_m, 0 beyond
        truncated_at = act._high_m
    m_top = int(m[-1])
    c = act.hermite_coefficients(m_top, high_precision=True)
    if not np.all(np.isfinite(c)):
        raise ValueError(f"the Hermite coefficients of {act.name!r} are not finite: E[sigma(z)^2] must be finite "
                         f"for z ~ N(0, 1) (sigma square-integrable under the Gaussian)")
    terms = 4.0 ** k * c[m] ** 2 * W
    # past the cutoff W_k(m) = 2^(1-k) to within 1e-18 relative (see _degree_cutoff)
    tail = 4.0 ** k * 2.0 ** (1 - k) * act.hermite_tail(m_top + 1, k % 2)
    if truncated_at is not None:
        # the coefficients stop at `truncated_at`; if the last degrees before it still carry a visible
        # share of the norm, the neglected ones beyond it may too: refuse rather than return a wrong value
        total = math.fsum(terms) + tail
        band = math.fsum(terms[m > truncated_at - _BAND])
        rtol = _BAND_RTOL if act._high else _BAND_RTOL_CUSTOM
        if not total > 0 or band > rtol * total:
            raise ValueError(
                f"k={k} is too large for an accurate norm of {act.name!r}: its Hermite coefficients are known up "
                f"to degree {truncated_at}, and for this k the series has not converged there (the last {_BAND} "
                f"degrees carry {band / total if total > 0 else 1.0:.1e} of the sum); use a smaller k "
                f"(k <= 40 is tested against 80-digit arithmetic)")
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
        highest known coefficient (from about ``k = 50``), and for every
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
    if method not in ("hermite", "dual_kernel"):
        raise ValueError(f"method must be 'hermite' or 'dual_kernel', got {method!r}")
    if act.vanishes(k):
        return 0.0
    if method == "dual_kernel":
        d = np.arange(k + 1)
        signs = np.where(d % 2 == 0, 1.0, -1.0)
        binom = np.array([math.comb(k, int(j)) for j in d], dtype=float)
        return float(2.0 ** k * np.sum(signs * binom * act.dual_kernel(1 - 2 * d / k)))
    _, terms, tail = norm_terms(k, act)
    return float(math.fsum(terms) + tail)


def norm_lower_bound(k: int, activation="relu") -> float:
    """The degree-:math:`k` term alone: :math:`\\|f_S\\|^2 \\ge 4^k c_k^2\\, k!/k^k`.

    Parameters
    ----------
    k : int
        Support size, ``k >= 1``.
    activation : str, callable or Activation, default "relu"

    Returns
    -------
    float
        :math:`4^k c_k^2\\, k!/k^k`, the first term of :func:`norm_terms`
        (computed in log space); ``0.0`` when :math:`c_k = 0`, which includes
        every ``k`` past the degree where a smooth built-in's 40-digit
        coefficients stop (160 to 360, see
        :meth:`Activation.hermite_coefficients`).

    Raises
    ------
    TypeError
        If ``k`` is not an integer, or ``activation`` is neither a name nor
        callable.
    ValueError
        If ``k < 1``, if ``k > 200`` for a custom callable (its Hermite
        coefficients come from quadrature up to degree 200), or for an
        unknown activation name.

    Examples
    --------
    >>> round(norm_lower_bound(4, "relu"), 4), round(norm_squared(4, "relu"), 4)
    (0.1592, 0.303)
    """
    act = get_activation(activation)
    k = check_int(k, "k", minimum=1)
    c = act.hermite_coefficients(k, high_precision=True)
    return float(math.exp(k * math.log(4) + 2 * math.log(abs(c[k])) + gammaln(k + 1) - k * math.log(k))) \
        if c[k] != 0 else 0.0


# ----------------------------------------------------------------------------
# the network
# ----------------------------------------------------------------------------
class OrthogonalNetwork:
    """The network :math:`f_S` (or :math:`f_S/\\|f_S\\|`) with explicit weights.

    Build it with :func:`orthogonal_network`.

    Parameters
    ----------
    n : int
        Input dimension, ``n >= 1``.
    S : iterable of int
        The support: distinct coordinates in ``range(n)``, any order;
        ``k = len(S) <= 26``.
    activation : str, callable or Activation
        The activation :math:`\\sigma` (see :func:`get_activation`).
    normalized : bool, default False
        Divide the output weights by :math:`\\|f_S\\|`, so that
        :math:`\\mathbb E[f_S^2] = 1` under :math:`N(0, I_n)`.

    Attributes
    ----------
    n : int
        Input dimension.
    S : tuple of int
        The support, sorted.
    k : int
        ``len(S)``.
    activation : Activation
    normalized : bool
        Whether the output weights are divided by :math:`\\|f_S\\|`.
    W : ndarray of shape (2**k, n)
        Hidden weights: row ``j`` is :math:`w/\\sqrt k` on the coordinates in
        ``S`` and zero elsewhere, for the ``j``-th sign pattern
        :math:`w` of :func:`sign_patterns`.
    a : ndarray of shape (2**k,)
        Output weights :math:`\\chi(w)` (divided by :math:`\\|f_S\\|` when
        normalised).

    Raises
    ------
    TypeError
        If ``n`` is not an integer, ``S`` is not a collection of integers, or
        ``activation`` is neither a name nor callable.
    ValueError
        If ``n < 1``; if ``S`` is empty, repeats an index or has an index
        outside ``range(n)``; if ``k > 26``; for an unknown activation name;
        or if ``normalized=True`` while the parity rule makes
        :math:`f_S \\equiv 0` (the message says why and which ``k`` work).

    Examples
    --------
    >>> f = OrthogonalNetwork(4, [2, 0], "relu")
    >>> f
    OrthogonalNetwork(n=4, S=(0, 2), activation='relu', hidden=4, normalized=False, norm=0.852502)
    >>> f.W.shape, f.a
    ((4, 4), array([ 1., -1., -1.,  1.]))
    >>> X = np.random.default_rng(0).standard_normal((20000, 4))
    >>> g = OrthogonalNetwork(4, [0, 2], "relu", normalized=True)
    >>> round(float(np.mean(g(X) ** 2)), 2)          # E[f_S^2] = 1, Monte Carlo
    1.01
    """

    def __init__(self, n, S, activation, normalized=False):
        self.n = check_int(n, "n", minimum=1)
        self.S = check_support(S, self.n)
        self.k = len(self.S)
        self.activation = get_activation(activation)
        self.normalized = bool(normalized)
        if self.k > 26:
            raise ValueError(f"k={self.k} gives 2^k = {2 ** self.k} hidden units; networks with k <= 26 are supported")
        self.vanishes = self.activation.vanishes(self.k)
        if self.normalized and self.vanishes:
            raise ValueError(self.activation.vanishing_reason(self.k) + "; a zero network cannot be normalised")
        self._norm = None
        self._scale = 1.0 / self.norm if self.normalized else 1.0

    @property
    def norm(self) -> float:
        """:math:`\\|f_S\\|` of the unnormalised network under :math:`N(0, I_n)` (computed on first use)."""
        if self._norm is None:
            self._norm = math.sqrt(norm_squared(self.k, self.activation))
        return self._norm

    @property
    def n_hidden(self) -> int:
        """Number of hidden units, :math:`2^k`."""
        return 2 ** self.k

    @property
    def W(self) -> np.ndarray:
        P = sign_patterns(self.k)
        W = np.zeros((2 ** self.k, self.n))
        W[:, self.S] = P / math.sqrt(self.k)
        return W

    @property
    def a(self) -> np.ndarray:
        return np.prod(sign_patterns(self.k), axis=1) * self._scale

    def __call__(self, X, *, dtype=np.float64, chunk_size=None) -> np.ndarray:
        """Evaluate the network.

        Parameters
        ----------
        X : array_like of shape (N, n)
            Inputs; finite values.
        dtype : {numpy.float64, numpy.float32}, default float64
            Working precision.
        chunk_size : int, optional
            Rows per chunk; by default about 2**21 pre-activations per chunk.

        Returns
        -------
        ndarray of shape (N,)
            :math:`f_S(x)` for each row, of the working ``dtype``.

        Raises
        ------
        TypeError
            If ``X`` is not numeric, ``dtype`` is neither float64 nor
            float32, or ``chunk_size`` is not an integer.
        ValueError
            If ``X`` does not have shape (N, n), has NaN or infinite entries,
            or ``chunk_size < 1``.

        Notes
        -----
        Units :math:`w` and :math:`-w` are paired:
        :math:`\\chi(-w)=(-1)^k\\chi(w)`, so the pair contributes
        :math:`\\chi(w)[\\sigma(z)+(-1)^k\\sigma(-z)]`, twice the even or odd
        part of :math:`\\sigma`.  This halves the work (for ReLU with even
        :math:`k` the pair is just :math:`|z|`).
        """
        X = check_X(X, self.n)
        dtype = np.dtype(dtype)
        if dtype not in (np.float64, np.float32):
            raise TypeError(f"dtype must be float64 or float32, got {dtype}")
        N = X.shape[0]
        k = self.k
        half = sign_patterns(k)[: 2 ** (k - 1)]  # first coordinate +1
        U = (half / math.sqrt(k)).astype(dtype)  # (2^(k-1), k)
        chi = (np.prod(half, axis=1) * self._scale).astype(dtype)
        sign = 1 if k % 2 == 0 else -1
        if chunk_size is None:  # about 2^21 pre-activations, and at most 2^15 rows, per chunk
            chunk_size = min(1 << 15, max(1, (1 << 21) // U.shape[0]))
        chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
        XS = X[:, self.S].astype(dtype, copy=False)
        out = np.empty(N, dtype=dtype)
        for start in range(0, N, chunk_size):
            Z = XS[start:start + chunk_size] @ U.T  # (B, 2^(k-1))
            Z = self.activation.symmetrized(Z, sign, out=Z)
            out[start:start + chunk_size] = Z @ chi
        return out

    def __repr__(self):
        return (f"OrthogonalNetwork(n={self.n}, S={self.S}, activation={self.activation.name!r}, "
                f"hidden={2 ** self.k}, normalized={self.normalized}, norm={self.norm:.6g})")


def orthogonal_network(n, S, activation="relu", normalized=False) -> OrthogonalNetwork:
    """The network :math:`f_S` for support ``S`` in dimension ``n``.

    Parameters
    ----------
    n : int
        Input dimension.
    S : iterable of int
        Distinct coordinates in ``range(n)``; ``k = len(S)``.
    activation : str, callable or Activation, default "relu"
    normalized : bool, default False
        Divide the output weights by :math:`\\|f_S\\|` so that
        :math:`\\mathbb E[f_S^2] = 1` under :math:`N(0, I_n)`.

    Returns
    -------
    OrthogonalNetwork

    Raises
    ------
    ValueError
        Repeated or out-of-range indices, an empty ``S``, ``n < 1``,
        ``k > 26``, an unknown activation name; ``normalized=True`` when the
        parity rule makes :math:`f_S \\equiv 0` (the message says why and
        which ``k`` work).
    TypeError
        If ``n`` is not an integer, ``S`` is not a collection of integers, or
        ``activation`` is neither a name nor callable.

    Examples
    --------
    >>> import numpy as np
    >>> f = orthogonal_network(4, [0, 2], "relu")
    >>> f(np.array([[1.0, 5.0, 1.0, 5.0]]))  # relu(sqrt 2) - 0 - 0 + relu(-sqrt 2)
    array([1.41421356])
    """
    return OrthogonalNetwork(n, S, activation, normalized)


class _Family:
    """The normalised networks :math:`f_S/\\|f_S\\|` for all supports, lazily."""

    def __init__(self, n, k, activation):
        self.supports = supports(n, k)
        self.activation = get_activation(activation)
        if self.activation.vanishes(k):
            raise ValueError(self.activation.vanishing_reason(k) + "; the family would be all zeros")
        self.n, self.k = self.supports.n, self.supports.k

    def __len__(self):
        return len(self.supports)

    def __getitem__(self, i):
        return OrthogonalNetwork(self.n, self.supports[i], self.activation, normalized=True)

    def __iter__(self):
        for S in self.supports:
            yield OrthogonalNetwork(self.n, S, self.activation, normalized=True)

    def __repr__(self):
        return (f"OrthogonalFamily(n={self.n}, k={self.k}, activation={self.activation.name!r}, "
                f"size={self.supports.count})")


def orthogonal_family(n, k, activation="relu"):
    """All normalised networks :math:`f_S/\\|f_S\\|`, :math:`|S| = k`, as a lazy sequence.

    Parameters
    ----------
    n : int
        Input dimension, ``n >= 1``.
    k : int
        Support size, ``1 <= k <= n``.
    activation : str, callable or Activation, default "relu"

    Returns
    -------
    sequence of OrthogonalNetwork
        Supports ``len``, indexing and iteration in the lexicographic order of
        :func:`supports`; item ``i`` is the normalised network
        (``normalized=True``) for the ``i``-th support, built on access.

    Raises
    ------
    ValueError
        If ``n < 1``, ``k < 1``, ``k > n``, the activation name is unknown,
        or the parity rule makes :math:`f_S \\equiv 0`.
    TypeError
        If ``n`` or ``k`` is not an integer, or ``activation`` is neither a
        name nor callable.

    Examples
    --------
    >>> fam = orthogonal_family(5, 2, "relu")
    >>> fam
    OrthogonalFamily(n=5, k=2, activation='relu', size=10)
    >>> len(fam), fam[-1].S, fam[0].normalized
    (10, (3, 4), True)
    """
    return _Family(n, k, activation)
