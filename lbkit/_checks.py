"""Input validation shared by lbkit's public functions.

Every check raises :class:`ValueError` or :class:`TypeError` with a message that
says what was given and what is allowed.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def check_int(value, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int, or raise if it is not a (large enough) integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_real(value, name: str, *, minimum: float | None = None, maximum: float | None = None,
               min_open: bool = False, max_open: bool = False) -> float:
    """Return ``value`` as a finite float, or raise TypeError (not a real number) / ValueError (out of range).

    numpy scalars (``np.float32(0.1)``, ``np.int64(3)``) are real numbers; ``bool`` is not.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    low = minimum is not None and (value < minimum or (min_open and value == minimum))
    high = maximum is not None and (value > maximum or (max_open and value == maximum))
    if low or high:
        if minimum is not None and maximum is not None:
            allowed = f"lie in {'(' if min_open else '['}{minimum:g}, {maximum:g}{')' if max_open else ']'}"
        elif minimum is not None:
            allowed = f"be {'>' if min_open else '>='} {minimum:g}"
        else:
            allowed = f"be {'<' if max_open else '<='} {maximum:g}"
        raise ValueError(f"{name} must {allowed}, got {value:g}")
    return value


def check_n_k(n, k) -> tuple[int, int]:
    """Validate the dimension ``n`` and the support size ``k`` (1 <= k <= n)."""
    n = check_int(n, "n", minimum=1)
    k = check_int(k, "k", minimum=1)
    if k > n:
        raise ValueError(f"k={k} is larger than n={n}: a support S is a set of k distinct coordinates "
                         f"out of n, so 1 <= k <= n is required")
    return n, k


def check_support(S, n: int) -> tuple[int, ...]:
    """Validate a support: distinct integer coordinates in ``range(n)``; returned sorted."""
    if isinstance(S, (str, bytes)) or not hasattr(S, "__iter__"):
        raise TypeError(f"S must be a collection of coordinate indices, got {S!r}")
    S = list(S)
    if len(S) == 0:
        raise ValueError("S is empty: a support needs at least one coordinate (k >= 1)")
    out = []
    for i in S:
        if isinstance(i, bool) or not isinstance(i, numbers.Integral):
            raise TypeError(f"S must hold integer coordinate indices, got {i!r} in S={S}")
        if not 0 <= int(i) < n:
            raise ValueError(f"S={S} has index {int(i)} outside range(n) = 0..{n - 1}")
        out.append(int(i))
    if len(set(out)) != len(out):
        dup = sorted({i for i in out if out.count(i) > 1})
        raise ValueError(f"S={S} repeats the indices {dup}: a support is a set of distinct coordinates")
    if len(out) > n:
        raise ValueError(f"S has {len(out)} coordinates but n={n}")
    return tuple(sorted(out))


def check_X(X, n: int, name: str = "X") -> np.ndarray:
    """Validate a design matrix of shape (N, n) with finite entries."""
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array of shape (N, {n}), got a string")
    try:
        X = np.asarray(X)
    except Exception as exc:  # pragma: no cover - numpy's own errors are clear
        raise TypeError(f"{name} must be array-like, got {type(X).__name__}") from exc
    if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)):
        raise TypeError(f"{name} must have a real numeric dtype, got dtype {X.dtype}")
    if X.ndim != 2 or X.shape[1] != n:
        raise ValueError(f"{name} must have shape (N, {n}), got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        bad = int(np.size(X) - np.count_nonzero(np.isfinite(X)))
        raise ValueError(f"{name} contains {bad} NaN or infinite entries; all entries must be finite")
    return X


def check_rho(rho) -> np.ndarray:
    """Validate correlations: finite values in [-1, 1]."""
    rho = np.asarray(rho, dtype=float)
    if not np.all(np.isfinite(rho)):
        raise ValueError("rho contains NaN or infinite values; a correlation must lie in [-1, 1]")
    if np.any(np.abs(rho) > 1 + 1e-12):
        raise ValueError(f"rho must lie in [-1, 1], got values up to {np.max(np.abs(rho)):.6g} in absolute value")
    return np.clip(rho, -1.0, 1.0)
