"""Monte Carlo summaries shared by the chapters and the oracles."""

from __future__ import annotations

import math

import numpy as np

from ._checks import check_int, check_real, check_real_array

__all__ = ["mean_se", "minibatch_tolerance", "RunningMoments"]


def mean_se(values, axis=None):
    """Sample mean and its standard error, :math:`s/\\sqrt{N}` with the ``ddof=1`` standard deviation.

    Parameters
    ----------
    values : array_like
        Independent draws (along ``axis``).
    axis : int or None, default None
        Axis of the draws; ``None`` uses all entries.

    Returns
    -------
    mean, se : float or ndarray
        Of the shape of ``values`` with ``axis`` removed.

    Raises
    ------
    TypeError
        If ``values`` is not an array of real numbers (strings, complex
        numbers), or ``axis`` is neither an integer nor ``None``.
    ValueError
        If ``axis`` is out of range, there are fewer than 2 draws, or
        ``values`` contains NaN or infinite entries.

    Examples
    --------
    >>> mean_se([1.0, 2.0, 3.0, 4.0])
    (2.5, 0.6454972243679028)
    """
    v = check_real_array(values, "values")
    if axis is not None:
        axis = check_int(axis, "axis")
        if not -v.ndim <= axis < v.ndim:
            raise ValueError(f"axis={axis} is out of range for values of shape {v.shape} ({v.ndim} dimension(s))")
    N = v.size if axis is None else v.shape[axis]
    if N < 2:
        raise ValueError(f"values must hold at least 2 draws for a standard error, got {N} (shape {v.shape})")
    if not np.all(np.isfinite(v)):
        raise ValueError("values contain NaN or infinite entries")
    big = float(np.max(np.abs(v)))
    if big == 0 or 1e-150 < big < 1e150:  # the squares and the sum stay well inside float64's range
        mean = v.mean(axis=axis)
        se = v.std(axis=axis, ddof=1) / np.sqrt(N)
    else:  # 1e200 or 1e-200: the largest magnitude factored out first, so nothing overflows or underflows
        scale = np.max(np.abs(v), axis=axis, keepdims=True)
        scale = np.where(scale > 0, scale, 1.0)
        u = v / scale
        scale = float(np.squeeze(scale)) if axis is None else np.squeeze(scale, axis=axis)
        mean = u.mean(axis=axis) * scale
        se = u.std(axis=axis, ddof=1) / np.sqrt(N) * scale
    if axis is None:
        return float(mean), float(se)
    return mean, se


def minibatch_tolerance(batch_size: int, sigma: float = 1.0) -> float:
    """Typical error :math:`\\sigma/\\sqrt b` of a batch-``b`` average of a quantity with standard deviation ``sigma``.

    Parameters
    ----------
    batch_size : int
        Batch size :math:`b \\ge 1`.
    sigma : float, default 1.0
        Standard deviation of one sample of the averaged quantity, ``> 0``.

    Returns
    -------
    float
        :math:`\\sigma/\\sqrt b`, the tolerance a minibatch of that size
        effectively provides (not in log space).

    Raises
    ------
    TypeError
        If ``batch_size`` is not an integer or ``sigma`` is not a real number.
    ValueError
        If ``batch_size < 1``, or ``sigma`` is not finite or not positive.

    Examples
    --------
    >>> minibatch_tolerance(256)
    0.0625
    >>> minibatch_tolerance(100, sigma=2.0)
    0.2
    """
    b = check_int(batch_size, "batch_size", minimum=1)
    sigma = check_real(sigma, "sigma", minimum=0, min_open=True)
    root = math.sqrt(b) if b < 2**1000 else math.exp(0.5 * math.log(b))  # a Python int of any size
    return sigma / root


class RunningMoments:
    """Running count, mean and sum of squared deviations of streamed chunks (Chan et al.'s merge).

    Attributes
    ----------
    N : int
        Number of values added.
    mean : float
    M2 : float
        Sum of squared deviations from the mean.

    Examples
    --------
    >>> m = RunningMoments()
    >>> m.add(np.array([1.0, 2.0])); m.add(np.array([3.0, 4.0]))
    >>> m.N, m.mean, round(m.se, 12) == round(mean_se([1.0, 2.0, 3.0, 4.0])[1], 12)
    (4, 2.5, True)
    """

    def __init__(self):
        self.N, self.mean, self.M2 = 0, 0.0, 0.0

    def add(self, v: np.ndarray) -> None:
        nb = v.size
        if nb == 0:
            return
        mb = float(np.mean(v))
        M2b = float(np.sum((v - mb) ** 2))
        N = self.N + nb
        delta = mb - self.mean
        self.mean += delta * nb / N
        self.M2 += M2b + delta**2 * self.N * nb / N
        self.N = N

    @property
    def se(self) -> float:
        """Standard error of the mean (NaN for a single point)."""
        if self.N < 2:
            return float("nan")
        return math.sqrt(max(self.M2, 0.0) / (self.N - 1) / self.N)
