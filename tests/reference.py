"""Independent references shared by the tests and benchmarks/bench_core.py.

Nothing here calls lbkit: each helper recomputes a quantity another way
(itertools instead of bit tricks, mpmath at high precision instead of
float64, the defining sum instead of the fast evaluation), so that a test
comparing lbkit with it can fail.
"""

from __future__ import annotations

import itertools
import math

import mpmath as mp
import numpy as np
from scipy import special

#: numpy versions of the built-in activations, written independently of lbkit.
NP_FUNCS = {
    "relu": lambda t: np.maximum(t, 0.0),
    "abs": np.abs,
    "erf": special.erf,
    "sigmoid": special.expit,
    "tanh": np.tanh,
    "leaky_relu": lambda t: np.where(t > 0, t, 0.01 * t),
    "softplus": lambda t: np.logaddexp(0.0, t),
    "gelu": lambda t: t * special.ndtr(t),
}


def mc_mean(values, axis=None):
    """Sample mean and standard error s / sqrt(N) (ddof=1), written out."""
    values = np.asarray(values, dtype=float)
    N = values.size if axis is None else values.shape[axis]
    mean = values.mean(axis=axis)
    se = values.std(axis=axis, ddof=1) / math.sqrt(N)
    if axis is None:
        return float(mean), float(se)
    return mean, se


def patterns(k: int) -> np.ndarray:
    """{-1,+1}^k as rows in lexicographic order with +1 first (itertools)."""
    return np.array(list(itertools.product((1.0, -1.0), repeat=k)))


def network_direct(X, S, f) -> np.ndarray:
    """f_S(x) = sum_w chi(w) f(w . x_S / sqrt k) for each row, one sign pattern at a time (no pairing)."""
    X = np.asarray(X, dtype=float)
    k = len(S)
    XS = X[:, list(S)]
    out = np.zeros(X.shape[0])
    for w in itertools.product((1.0, -1.0), repeat=k):
        out += math.prod(w) * f(XS @ np.array(w) / math.sqrt(k))
    return out


def mp_relu_kernel(r):
    """The arc-cosine kernel of ReLU, in mpmath."""
    return (mp.sqrt(1 - r * r) + (mp.pi - mp.acos(r)) * r) / (2 * mp.pi)


#: Dual kernels with closed forms, in mpmath (at the caller's precision).
MP_KERNELS = {
    "relu": mp_relu_kernel,
    "abs": lambda r: 4 * mp_relu_kernel(r) - r,
    "erf": lambda r: 2 / mp.pi * mp.asin(2 * r / 3),
    # leaky(t) = a t + (1 - a) relu(t), a = 0.01, and E[u relu(v)] = rho / 2
    "leaky_relu": lambda r: (1 - mp.mpf("0.01")) ** 2 * mp_relu_kernel(r) + mp.mpf("0.01") * r,
}


def mp_alternating_norm(k: int, K, dps: int = 80):
    """||f_S||^2 = 2^k sum_d C(k, d) (-1)^d K(1 - 2d/k), in ``dps``-digit arithmetic (an mpmath number)."""
    with mp.workdps(dps):
        total = mp.fsum(mp.binomial(k, d) * (-1) ** d * K(mp.mpf(k - 2 * d) / k) for d in range(k + 1))
        return mp.mpf(2) ** k * total


def mp_log10_binom(n: int, k: int) -> float:
    """log10 C(n, k) from mpmath's binomial in log10(n) + 40 digits."""
    with mp.workdps(len(str(n)) + 40):
        return float(mp.log10(mp.binomial(n, k)))


def comb_log10(n: int, k: int) -> float:
    """log10 of the exact integer C(n, k) (math.comb), without converting it to a float."""
    exact = math.comb(n, k)
    shift = max(exact.bit_length() - 60, 0)  # keep 60 leading bits: exact to float64 rounding
    return math.log10(exact >> shift) + shift * math.log10(2)
