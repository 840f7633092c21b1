"""The supports :math:`S\\subseteq[n]`, :math:`|S| = k`, of the orthogonal family, as a lazy sequence."""

from __future__ import annotations

import itertools
import math
import sys

import numpy as np

from ._checks import MAX_COUNT_DIGITS, check_budget, check_int, check_n_k, check_support, log10_comb_estimate

__all__ = ["Supports", "supports", "sign_patterns"]

#: Largest k * log2(n) for which a support is ranked or unranked (each step costs big-integer binomials).
UNRANK_LIMIT = 10_000


class Supports:
    """The :math:`\\binom{n}{k}` supports of size ``k`` in ``range(n)``, lazily.

    Supports are sorted tuples in lexicographic order.  The exact number is
    ``.count`` (a Python int, computed on first use); ``len`` works while the
    count fits in ``sys.maxsize`` and raises OverflowError (pointing to
    ``.count``) beyond.  Iteration, indexing (also negative), ``index`` and
    ``in`` work without materialising the collection, so
    ``supports(10**6, 40)`` is cheap, and so is ``supports(10**9, 10**8)``
    (iteration and ``in`` work at every size).

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
        If ``n < 1``, ``k < 1`` or ``k > n``; (from ``.count``, indexing and
        ``index``) when the exact count has more than 20,000 digits
        (``log10_binom`` gives its logarithm), or (indexing, ``index``) when
        ``k * log2(n)`` exceeds 10,000 (iterate instead).
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
        self._count = None

    @property
    def count(self) -> int:
        """The exact number :math:`\\binom nk` of supports (computed on first use)."""
        if self._count is None:
            digits = log10_comb_estimate(self.n, self.k)
            if digits > MAX_COUNT_DIGITS:
                raise ValueError(
                    f"the number of supports C(n, k) for n={self.n}, k={self.k} has about {digits:.4g} "
                    f"digits, more than the {MAX_COUNT_DIGITS} lbkit computes exactly; use "
                    f"log10_binom(n, k) for its logarithm, or iterate over the supports"
                )
            self._count = math.comb(self.n, self.k)
        return self._count

    def __len__(self):
        if self.count > sys.maxsize:
            raise OverflowError(
                f"there are about 10^{log10_comb_estimate(self.n, self.k):.1f} supports, more than "
                "len() can return; use the exact integer .count instead"
            )
        return self.count

    def __iter__(self):
        return itertools.combinations(range(self.n), self.k)

    def _check_unrank_cost(self, what: str) -> None:
        cost = self.k * self.n.bit_length()
        if cost > UNRANK_LIMIT:
            raise ValueError(
                f"{what} a support of size k={self.k} in range(n={self.n}) costs k * log2(n) = {cost} "
                f"big-integer binomials, more than lbkit's limit of {UNRANK_LIMIT}; iterate over the "
                f"supports (itertools.islice(iter(...), ...)) or use a smaller k"
            )

    def __getitem__(self, i):
        if isinstance(i, slice):
            raise TypeError("supports(n, k) does not support slicing; use itertools.islice(iter(...), ...)")
        i = check_int(i, "index")
        self._check_unrank_cost("indexing")
        count = self.count
        if i < 0:
            i += count
        if not 0 <= i < count:
            raise IndexError(f"index out of range for the {count} supports of size {self.k} in range({self.n})")
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
            ``range(n)``, or does not have exactly ``k`` coordinates; or if
            ranking is beyond lbkit's limits (see :class:`Supports`).
        """
        S = check_support(S, self.n)
        if len(S) != self.k:
            raise ValueError(f"S={S} has {len(S)} coordinates, but these supports have size k={self.k}")
        self._check_unrank_cost("ranking")
        self.count  # noqa: B018 - refuses counts beyond MAX_COUNT_DIGITS before the work starts
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

    def _count_text(self) -> str:
        """``"=<count>"``, or ``"~10^<digits>"`` beyond the 4300 digits Python prints."""
        digits = log10_comb_estimate(self.n, self.k)
        return f"={self.count}" if digits < 4000 else f"~10^{digits:.1f}"

    def __repr__(self):
        return f"Supports(n={self.n}, k={self.k}, count{self._count_text()})"


def supports(n: int, k: int) -> Supports:
    """All :math:`\\binom{n}{k}` supports of size ``k`` in ``range(n)``, lazily; see :class:`Supports`.

    Parameters
    ----------
    n, k : int
        Dimension ``n >= 1`` and support size ``1 <= k <= n``.

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


# ----------------------------------------------------------------------------
# the sign patterns w in {-1, +1}^k of a support's hidden units
# ----------------------------------------------------------------------------
def _pattern_block(k: int, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of :func:`sign_patterns` (k), built directly (no full matrix)."""
    j = np.arange(start, stop, dtype=np.int64)[:, None]
    bits = (j >> np.arange(k - 1, -1, -1, dtype=np.int64)[None, :]) & 1
    return 1.0 - 2.0 * bits


def sign_patterns(k: int) -> np.ndarray:
    """All :math:`w\\in\\{-1,+1\\}^k` as rows, in binary order (``+1`` for bit 0).

    Parameters
    ----------
    k : int
        Number of signs, ``k >= 1``; the matrix (``2**k * k * 8`` bytes)
        must fit in lbkit's memory limit of 2 GiB, so ``k <= 23``.

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
        If ``k < 1``, or if the matrix would exceed the memory limit (the
        message says how much it needs; a network evaluates in blocks and
        never needs the whole matrix).

    Examples
    --------
    >>> sign_patterns(2)
    array([[ 1.,  1.],
           [ 1., -1.],
           [-1.,  1.],
           [-1., -1.]])
    """
    k = check_int(k, "k", minimum=1)
    if k > 62:
        raise ValueError(f"k must be <= 62 (2^k sign patterns must be countable in int64), got {k}")
    check_budget(
        2**k * k * 8 * 2,
        f"sign_patterns({k}) (2^{k} rows of {k} signs, with its work array)",
        "evaluate the network instead (it works in blocks of patterns) or use a smaller k",
    )
    return _pattern_block(k, 0, 2**k)
