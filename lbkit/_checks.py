"""Input validation shared by lbkit's public functions: the one validation layer.

Every check raises :class:`ValueError` (a value out of range) or
:class:`TypeError` (a value of the wrong kind) with one wording per kind of
error: ``"<name> must <what is allowed>, got <what was given>"``.  Limits of
what the machine can do are :class:`ValueError` too, and name the limit and
the way around it (:func:`check_budget`).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

#: Largest array (in bytes) lbkit allocates in one piece before it refuses (2 GiB).
MEMORY_BUDGET = 2**31
#: Largest number of decimal digits of an exact integer count that lbkit computes.
MAX_COUNT_DIGITS = 20_000


def _got(value) -> str:
    return f"{value!r} of type {type(value).__name__}"


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int, or raise if it is not an integer (bool is not) or out of range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_got(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_bool(value, name: str) -> bool:
    """Return ``value`` if it is a bool (``numpy.bool_`` too); a string such as ``'False'`` is refused."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {_got(value)}")


def check_real(
    value,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    min_open: bool = False,
    max_open: bool = False,
) -> float:
    """Return ``value`` as a finite float, or raise TypeError (not a real number) / ValueError (out of range).

    numpy scalars (``np.float32(0.1)``, ``np.int64(3)``) are real numbers; ``bool`` and complex are not.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_got(value)}")
    try:
        value = float(value)
    except OverflowError:  # a Python int beyond float64
        raise ValueError(f"{name} must be finite, got an integer of {len(str(abs(value)))} digits") from None
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


def check_choice(value, name: str, choices) -> str:
    """Return ``value`` if it is one of the allowed names ``choices`` (a dict's keys or a sequence).

    A value that is not a string raises TypeError, an unknown string ValueError; both messages list the choices.
    """
    allowed = ", ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {allowed}; got {_got(value)}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def check_callable(value, name: str, what: str = "a callable") -> None:
    """Raise TypeError unless ``value`` is callable."""
    if not callable(value):
        raise TypeError(f"{name} must be {what}, got {_got(value)}")


def check_budget(n_bytes: int, what: str, way_around: str, budget: int = MEMORY_BUDGET) -> None:
    """Refuse, before any work, an allocation of ``n_bytes`` above ``budget``, naming the way around it."""
    if n_bytes > budget:
        raise ValueError(
            f"{what} needs {_bytes(n_bytes)}, more than lbkit's limit of {_bytes(budget)} for one array; {way_around}"
        )


def _bytes(n: float) -> str:
    if n >= 2**80:  # beyond any machine: digits, not a float (a count such as 10**400 has no float)
        return f"about 10^{len(str(int(n))) - 1} bytes"
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def log10_comb_estimate(n: int, k: int) -> float:
    """log10 C(n, k) to a few digits, for sizes and limits only (never for results); any size of int."""
    k = min(k, n - k)
    if k <= 0:
        return 0.0
    if n < 2**1000:
        return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(10)
    import mpmath as mp

    with mp.workdps(15):
        value = (mp.loggamma(n + 1) - mp.loggamma(k + 1) - mp.loggamma(n - k + 1)) / mp.log(10)
    return float(value) if value < 1e300 else math.inf


def check_fitted(estimator, attribute: str, call: str = "fit(X, y)") -> None:
    """Raise ValueError if ``estimator`` has no fitted attribute ``attribute`` yet (``call`` is how to fit it)."""
    if not hasattr(estimator, attribute):
        raise ValueError(f"this {type(estimator).__name__} is not fitted yet; call {call} first")


def check_n_k(n, k) -> tuple[int, int]:
    """Validate the dimension ``n`` and the support size ``k`` (1 <= k <= n)."""
    n = check_int(n, "n", minimum=1)
    k = check_int(k, "k", minimum=1)
    if k > n:
        raise ValueError(
            f"k={k} is larger than n={n}: a support S is a set of k distinct coordinates "
            f"out of n, so 1 <= k <= n is required"
        )
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
    return tuple(sorted(out))


def _as_array(values, name: str, what: str) -> np.ndarray:
    """``np.asarray(values)``, refusing a string (TypeError) and ragged nested sequences (ValueError)."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be {what}, got a string {values!r:.40}")
    if values is None:
        raise TypeError(f"{name} must be {what}, got None")
    try:
        return np.asarray(values)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(f"{name} must be {what}: {exc}") from None


def check_real_array(values, name: str, *, allow_bool: bool = True) -> np.ndarray:
    """Return ``values`` as a float64 array, refusing strings, complex numbers and objects with TypeError.

    Finiteness is checked by the caller (what is allowed depends on it).
    """
    arr = _as_array(values, name, "a rectangular array of real numbers")
    kinds = "fiu" + ("b" if allow_bool else "")
    if arr.dtype.kind not in kinds:
        raise TypeError(
            f"{name} must be an array of real numbers, got an array of dtype {arr.dtype}"
            + (" (complex numbers are not allowed)" if arr.dtype.kind == "c" else "")
        )
    return arr.astype(np.float64, copy=False)


def check_points(t, name: str) -> np.ndarray:
    """Points at which to evaluate a function of one real variable: any shape, real, finite.

    A numpy float array (float32 or float64) is returned as it is (no copy, so that
    ``out=`` arguments keep working); anything else becomes a float64 array.
    """
    if isinstance(t, np.ndarray) and t.dtype.kind == "f":
        arr = t
    else:
        arr = check_real_array(t, name, allow_bool=False)
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must be finite, got {bad} NaN or infinite entries")
    return arr


def check_sign(sign, name: str = "sign") -> int:
    """Return ``sign`` as the int +1 or -1; anything else (0, 2, 0.5, NaN, True, an array) is refused."""
    if isinstance(sign, (bool, np.bool_)) or not isinstance(sign, numbers.Real):
        raise TypeError(f"{name} must be +1 or -1, got {_got(sign)}")
    if sign not in (1, -1):
        raise ValueError(f"{name} must be +1 or -1, got {sign!r}")
    return int(sign)


def check_finite(arr: np.ndarray, name: str) -> np.ndarray:
    """Raise ValueError if ``arr`` has NaN or infinite entries."""
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must be finite, got {bad} NaN or infinite entries")
    return arr


def check_X(X, n: int, name: str = "X") -> np.ndarray:
    """Validate a design matrix of shape (N, n) with finite real entries."""
    X = _as_array(X, name, f"a numeric array of shape (N, {n})")
    if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)):
        raise TypeError(f"{name} must have a real numeric dtype, got dtype {X.dtype}")
    if X.ndim != 2 or X.shape[1] != n:
        raise ValueError(f"{name} must have shape (N, {n}), got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        bad = int(np.size(X) - np.count_nonzero(np.isfinite(X)))
        raise ValueError(f"{name} contains {bad} NaN or infinite entries; all entries must be finite")
    return X


#: Largest finite float32 (torch's training precision).
FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_float32_inputs(X: np.ndarray, name: str = "X") -> np.ndarray:
    """Refuse entries beyond float32's range (about 3.4e38): a float32 network would see them as infinite."""
    big = float(np.max(np.abs(X))) if X.size else 0.0
    if big > FLOAT32_MAX:
        raise ValueError(
            f"{name} has entries up to {big:g} in absolute value, beyond float32's range ({FLOAT32_MAX:.3g}) in "
            "which the network computes; rescale the inputs"
        )
    return X


def check_predictions(out: np.ndarray, X: np.ndarray, name: str = "X") -> np.ndarray:
    """Refuse predictions that overflowed (NaN or infinite) for finite inputs, naming the inputs' size."""
    if not np.all(np.isfinite(out)):
        bad = int(np.size(out) - np.count_nonzero(np.isfinite(out)))
        raise ValueError(
            f"{bad} predictions overflow float32 for {name} with entries up to {float(np.max(np.abs(X))):g} in "
            "absolute value; rescale the inputs"
        )
    return out


def check_output(out, N: int, what: str, X_shape) -> np.ndarray:
    """Validate what a user's callable returned for N points: shape (N,), real, finite; as float64."""
    try:
        out = np.asarray(out)
    except ValueError as exc:
        raise ValueError(f"{what} must return an array of shape ({N},): {exc}") from None
    if not (np.issubdtype(out.dtype, np.floating) or np.issubdtype(out.dtype, np.integer) or out.dtype == np.bool_):
        raise TypeError(f"{what} must return real numbers, got an array of dtype {out.dtype}")
    if out.shape != (N,):
        raise ValueError(
            f"{what} must return an array of shape (N,) = ({N},) for inputs of shape {X_shape}, got shape {out.shape}"
        )
    out = out.astype(np.float64, copy=False)
    if not np.all(np.isfinite(out)):
        bad = int(N - np.count_nonzero(np.isfinite(out)))
        raise ValueError(f"{what} returned {bad} NaN or infinite values out of {N}; it must be finite everywhere")
    return out


def check_rho(rho) -> np.ndarray:
    """Validate correlations: finite real values in [-1, 1]."""
    rho = check_real_array(rho, "rho", allow_bool=False)
    if not np.all(np.isfinite(rho)):
        raise ValueError("rho contains NaN or infinite values; a correlation must lie in [-1, 1]")
    if np.any(np.abs(rho) > 1 + 1e-12):
        raise ValueError(f"rho must lie in [-1, 1], got values up to {np.max(np.abs(rho)):.6g} in absolute value")
    return np.clip(rho, -1.0, 1.0)
