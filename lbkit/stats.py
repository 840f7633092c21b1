"""Monte Carlo summaries shared by the chapters and the oracles."""

from __future__ import annotations

import numpy as np

__all__ = ["mean_se"]


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
        If ``axis`` is neither an integer nor ``None``.
    ValueError
        If ``axis`` is out of range, there are fewer than 2 draws, or
        ``values`` contains NaN or infinite entries.

    Examples
    --------
    >>> mean_se([1.0, 2.0, 3.0, 4.0])
    (2.5, 0.6454972243679028)
    """
    v = np.asarray(values, dtype=float)
    if axis is not None:
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"axis must be an integer or None, got {axis!r}")
        if not -v.ndim <= axis < v.ndim:
            raise ValueError(f"axis={axis} is out of range for values of shape {v.shape} ({v.ndim} dimension(s))")
    N = v.size if axis is None else v.shape[axis]
    if N < 2:
        raise ValueError(f"a standard error needs at least 2 draws, got {N}")
    if not np.all(np.isfinite(v)):
        raise ValueError("values contain NaN or infinite entries")
    mean = v.mean(axis=axis)
    se = v.std(axis=axis, ddof=1) / np.sqrt(N)
    if axis is None:
        return float(mean), float(se)
    return mean, se
