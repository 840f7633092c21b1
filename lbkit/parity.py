"""The parity rule: which part of an activation :math:`f_S` sees, and for which ``k`` it vanishes.

:math:`f_S` only sees the part of :math:`\\sigma` whose parity is that of
:math:`k`, and of it only Hermite degrees :math:`m \\ge k`; so :math:`f_S \\equiv 0`
exactly when that part is a polynomial of degree below :math:`k`.  An
activation's ``part_degrees`` ``(even, odd)`` records those degrees (``-1`` for a
zero part, ``math.inf`` for a part that is not a polynomial); the functions
here detect them, check them, and say in words what they imply.  They serve
:class:`lbkit.Activation`, whose methods are the public interface.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._checks import check_int, check_real_array
from .hermite import hermite_functions

_INF = math.inf


def detect_parity(fn, name: str) -> str:
    """The parity of ``fn`` ('even', 'odd' or 'none'), detected on a grid; checks it is vectorised and finite."""
    t = np.linspace(0.05, 6.0, 120)
    try:
        f_pos, f_neg = fn(t), fn(-t)
    except Exception as exc:
        raise TypeError(f"the activation {name!r} could not be evaluated on a numpy array: {exc}") from exc
    f_pos = check_real_array(f_pos, f"the values of the activation {name!r}")
    f_neg = check_real_array(f_neg, f"the values of the activation {name!r}")
    if f_pos.shape != t.shape:
        raise ValueError(
            f"the activation {name!r} must map an array of shape {t.shape} to an array of "
            f"the same shape (it must be vectorised), got shape {f_pos.shape}"
        )
    with np.errstate(all="ignore"):
        try:
            f_zero = np.asarray(fn(np.zeros(1)), dtype=float)
        except (TypeError, ValueError):
            f_zero = np.zeros(1)  # the grid's checks below name what is wrong
    if f_zero.shape == (1,) and not np.isfinite(f_zero[0]):
        raise ValueError(
            f"the activation {name!r} must be finite on the whole real line, but it is {f_zero[0]} at t = 0"
        )
    if not (np.all(np.isfinite(f_pos)) and np.all(np.isfinite(f_neg))):
        bad = np.concatenate([t[~np.isfinite(f_pos)], -t[~np.isfinite(f_neg)]])
        raise ValueError(
            f"the activation {name!r} must be finite on the whole real line, but it is NaN or "
            f"infinite at {bad.size} of {2 * t.size} test points in "
            f"[{-np.abs(t).max():g}, {np.abs(t).max():g}] (for example at t = {bad[0]:g})"
        )
    scale = max(1.0, float(np.max(np.abs(f_pos))), float(np.max(np.abs(f_neg))))
    if np.max(np.abs(f_pos - f_neg)) <= 1e-12 * scale:
        return "even"
    if np.max(np.abs(f_pos + f_neg)) <= 1e-12 * scale:
        return "odd"
    return "none"


def detect_part_degrees(act) -> tuple:
    """Degree of the even and odd parts as polynomials (``inf`` if not a polynomial, ``-1`` if zero).

    A part is declared a polynomial of degree ``d`` only if (i) its Hermite
    coefficients above ``d`` vanish to rounding and (ii) the truncated
    expansion reproduces the part pointwise on [-12, 12], where any
    non-polynomial (cos, exp, ...) departs from every low-degree polynomial.
    """
    if not (hasattr(act, "hermite_coefficients") and hasattr(act, "even_part") and hasattr(act, "odd_part")):
        raise TypeError(f"act must be an lbkit.Activation, got {type(act).__name__}")
    m_max = 60
    c = act.hermite_coefficients(m_max)
    t = np.linspace(-12.0, 12.0, 241)
    H = hermite_functions(m_max, t)
    out = []
    for p, moment, part in zip((0, 1), act._part_second_moments(), (act.even_part, act.odd_part)):
        if moment <= 1e-24:
            out.append(-1)
            continue
        cp = np.where(np.arange(m_max + 1) % 2 == p, c, 0.0)
        big = np.nonzero(np.abs(cp) > 1e-11 * math.sqrt(moment))[0]
        d = int(big[-1]) if big.size else -1
        if d < 0 or d > m_max - 10:
            out.append(_INF)
            continue
        poly = cp[: d + 1] @ H[: d + 1]
        values = np.asarray(part(t), dtype=float)
        scale = 1.0 + np.abs(values) + np.abs(poly)
        out.append(d if np.all(np.abs(values - poly) <= 1e-7 * scale) else _INF)
    return tuple(out)


def check_part_degrees(part_degrees) -> tuple:
    """(even, odd) polynomial degrees of the two parts: integers >= -1 (-1: the part is zero) or inf."""
    try:
        pair = tuple(part_degrees)
    except TypeError:
        pair = None
    ok = (
        pair is not None
        and len(pair) == 2
        and all(
            (isinstance(d, numbers.Real) and not isinstance(d, bool))
            and (d == _INF or (float(d).is_integer() and d >= -1))
            for d in pair
        )
    )
    if not ok:
        raise ValueError(
            f"part_degrees must be a pair (even, odd) of polynomial degrees, each an integer >= -1 "
            f"(-1 for a zero part) or math.inf (not a polynomial), got {part_degrees!r}"
        )
    return tuple(_INF if d == _INF else int(d) for d in pair)


def working_k_description(part_degrees: tuple) -> str:
    """Which support sizes give a non-zero f_S, in words, from the degrees of the (even, odd) parts."""
    de, do = check_part_degrees(part_degrees)
    pieces = []
    if de == _INF:
        pieces.append("any even k")
    elif de >= 2:
        pieces.append(f"an even k <= {int(de)}")
    if do == _INF:
        pieces.append("any odd k")
    elif do == 1:
        pieces.append("k = 1")
    elif do >= 3:
        pieces.append(f"an odd k <= {int(do)}")
    if not pieces:
        return "no k >= 1 gives a non-zero network for this activation"
    return "use " + " or ".join(pieces)


def vanishing_reason(name: str, part_degrees: tuple, k: int) -> str:
    """Why f_S = 0 for a k that makes it vanish, and which k work (see Activation.vanishing_reason)."""
    part_degrees = check_part_degrees(part_degrees)
    k = check_int(k, "k", minimum=1)
    part = "odd" if k % 2 else "even"
    d = part_degrees[k % 2]
    if not d < k:
        raise ValueError(
            f"k={k} does not make f_S vanish for {name} (its {part} part has degree {d}), so there is no reason "
            f"to give; {working_k_description(part_degrees)}"
        )
    if d == -1:
        what = f"its {part} part is zero"
    elif d == 0:
        what = f"its {part} part is a constant"
    elif d == 1:
        what = f"its {part} part is linear"
    else:
        what = f"its {part} part is a polynomial of degree {int(d)} < k"
    return (
        f"k={k} gives f_S = 0 for {name}: an {part} k keeps only the {part} part of the "
        f"activation, and only its Hermite components of degree >= k, but {what}; "
        f"{working_k_description(part_degrees)}"
    )


# ----------------------------------------------------------------------------
# learning a sign parity: Gaussian elimination over GF(2)
# ----------------------------------------------------------------------------
def gf2_solve(M, rhs):
    """Solve :math:`Ms = \\text{rhs}` over GF(2) by Gaussian elimination.

    Parameters
    ----------
    M : array_like of shape (N, p)
        Entries 0/1 (or booleans).
    rhs : array_like of shape (N,)
        Entries 0/1 (or booleans).

    Returns
    -------
    s : ndarray of shape (p,) of bool, or None
        A solution (free variables set to 0), or ``None`` if the system is
        inconsistent.
    rank : int
        The rank of ``M`` over GF(2); the solution is unique when ``rank == p``.

    Raises
    ------
    TypeError
        If ``M`` or ``rhs`` is not an array of numbers.
    ValueError
        If ``M`` is not 2-d, ``rhs`` is not 1-d of length ``N``, or an entry is
        not 0 or 1.

    Examples
    --------
    >>> s, rank = gf2_solve([[1, 1], [0, 1]], [0, 1])     # s0 + s1 = 0, s1 = 1
    >>> s.astype(int), rank
    (array([1, 1]), 2)
    """
    M, rhs = check_real_array(M, "M"), check_real_array(rhs, "rhs")
    if M.ndim != 2 or rhs.shape != (M.shape[0],):
        raise ValueError(f"M must have shape (N, p) and rhs shape (N,), got {M.shape} and {rhs.shape}")
    if not (np.all((M == 0) | (M == 1)) and np.all((rhs == 0) | (rhs == 1))):
        raise ValueError("M and rhs must hold only 0 and 1 (elements of GF(2))")
    A = np.concatenate([M, rhs[:, None]], axis=1).astype(bool)
    N, p = M.shape
    row, pivots = 0, []
    for col in range(p):
        if row == N:
            break
        nz = np.flatnonzero(A[row:, col])
        if nz.size == 0:
            continue
        A[[row, row + nz[0]]] = A[[row + nz[0], row]]  # the pivot row moves up
        others = A[:, col].copy()
        others[row] = False
        A[others] ^= A[row]  # clear the column everywhere else (addition is XOR)
        pivots.append(col)
        row += 1
    if np.any(A[row:, p]):  # a row reads 0 = 1: inconsistent
        return None, row
    s = np.zeros(p, dtype=bool)
    s[pivots] = A[: len(pivots), p]
    return s, row


def learn_sign_parity(X, y, *, return_sign: bool = False):
    """Recover :math:`S` (and :math:`c`) from labels with :math:`\\mathrm{sign}(y) = (-1)^c\\chi_S(x)`.

    Writing :math:`x_i < 0` as the bit :math:`b_i` and :math:`y < 0` as the bit
    :math:`\\beta`, the labels say :math:`\\sum_{i\\in S} b_i + c = \\beta` over
    GF(2): one linear equation per sample in the unknowns :math:`1_S` and
    :math:`c`, solved by :func:`gf2_solve`.

    Parameters
    ----------
    X : array_like of shape (N, n)
        Inputs.
    y : array_like of shape (N,)
        Labels, none of them 0 (a zero has no sign: remove those samples).
    return_sign : bool, default False
        Also return the bit :math:`c`.

    Returns
    -------
    S : tuple of int, or None
        The support, or ``None`` when the equations are inconsistent (the signs
        are no parity, or a label is flipped) or do not determine it (fewer
        than ``n + 1`` independent samples).  With ``return_sign``, a pair
        ``(S, c)`` instead of ``S`` (still ``None`` on failure).

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not an array of real numbers.
    ValueError
        If the shapes do not match, a value is not finite, or a label is 0.

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((40, 5))
    >>> learn_sign_parity(X, -np.sign(X[:, 1] * X[:, 3]), return_sign=True)
    ((1, 3), 1)
    """
    X, y = check_real_array(X, "X"), check_real_array(y, "y")
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must have shape (N, n) and y shape (N,), got {X.shape} and {y.shape}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("X and y must be finite (they hold NaN or infinite entries)")
    if np.any(y == 0):
        raise ValueError(f"{int(np.sum(y == 0))} label(s) are 0, which has no sign; remove those samples")
    M = np.concatenate([(X < 0).astype(np.uint8), np.ones((len(X), 1), np.uint8)], axis=1)
    sol, rank = gf2_solve(M, (y < 0).astype(np.uint8))
    if sol is None or rank < M.shape[1]:
        return None
    S = tuple(int(i) for i in np.flatnonzero(sol[:-1]))
    return (S, int(sol[-1])) if return_sign else S
