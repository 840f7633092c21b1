"""Monte Carlo summaries shared by the chapters and the oracles."""

from __future__ import annotations

import math

import numpy as np

from ._checks import check_int, check_real, check_real_array

__all__ = [
    "History",
    "mean_se",
    "correlation_se",
    "folded_normal_mean",
    "first_step_below",
    "minibatch_tolerance",
    "RunningMoments",
]


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


def correlation_se(u, v) -> tuple[float, float]:
    """The uncentred correlation :math:`r = \\overline{uv}/\\sqrt{\\overline{u^2}\\,\\overline{v^2}}` and its SE.

    The standard error is the delta method's: with :math:`Z = (uv, u^2, v^2)` and
    :math:`\\hat\\Sigma` the sample covariance of :math:`Z` divided by :math:`N`,
    :math:`\\mathrm{se} = \\sqrt{\\nabla r^\\top \\hat\\Sigma\\, \\nabla r}`.

    Parameters
    ----------
    u, v : array_like of shape (N,)
        Paired draws, ``N >= 2``, finite, neither identically zero.

    Returns
    -------
    r, se : float

    Raises
    ------
    TypeError
        If ``u`` or ``v`` is not an array of real numbers.
    ValueError
        If they are not 1-d of one length ``N >= 2``, contain NaN or infinite
        entries, or one of them is identically zero.

    Examples
    --------
    >>> r, se = correlation_se([1.0, -1.0, 2.0, 0.5], [1.0, 1.0, 1.0, -1.0])
    >>> round(r, 4), round(se, 4)
    (0.3, 0.4888)
    """
    u, v = check_real_array(u, "u"), check_real_array(v, "v")
    if u.ndim != 1 or u.shape != v.shape or u.size < 2:
        raise ValueError(f"u and v must be 1-d arrays of one length N >= 2, got shapes {u.shape} and {v.shape}")
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
        raise ValueError("u and v must be finite")
    Z = np.stack([u * v, u * u, v * v])
    A, B, C = Z.mean(axis=1)
    if B == 0 or C == 0:
        raise ValueError("u or v is identically zero: the correlation is undefined")
    cov = np.cov(Z) / u.size
    r = A / np.sqrt(B * C)
    grad = np.array([1 / np.sqrt(B * C), -r / (2 * B), -r / (2 * C)])
    return float(r), float(np.sqrt(max(grad @ cov @ grad, 0.0)))


def folded_normal_mean(mu, sigma) -> float:
    """:math:`\\mathbb E|Y|` for :math:`Y \\sim N(\\mu, \\sigma^2)`, the folded normal's mean.

    :math:`\\sigma\\sqrt{2/\\pi}\\, e^{-\\mu^2/(2\\sigma^2)} + \\mu\\,(1 - 2\\Phi(-\\mu/\\sigma))`.

    Parameters
    ----------
    mu : float
        Mean of :math:`Y`.
    sigma : float
        Standard deviation of :math:`Y`, ``> 0``.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``mu`` or ``sigma`` is not a real number.
    ValueError
        If either is not finite, or ``sigma <= 0``.

    Examples
    --------
    >>> round(folded_normal_mean(0.0, 1.0), 12) == round(math.sqrt(2 / math.pi), 12)
    True
    """
    from scipy.stats import norm

    mu = check_real(mu, "mu")
    s = check_real(sigma, "sigma", minimum=0, min_open=True)
    return float(s * np.sqrt(2 / np.pi) * np.exp(-(mu**2) / (2 * s * s)) + mu * (1 - 2 * norm.cdf(-mu / s)))


class History(dict):
    """A training history: the one format every lbkit trainer records (a dict of three numpy arrays).

    ``GDRegressor.history_`` is one; ``BatchedGDRegressor.history_`` is a list
    of them, one per student (the loss is the square or the logistic loss,
    whichever the learner minimises).  Entry ``i`` of each array belongs to
    the ``i``-th evaluation: the first at step 0 (before any update), then
    every ``eval_every`` steps and at the step where the student stopped.

    Parameters
    ----------
    step : array_like of int, shape (E,)
        The step of each evaluation, non-decreasing, stored as int64.
    train_loss : array_like of float, shape (E,)
        The minibatch loss of that step (NaN at step 0: no minibatch yet),
        stored as float64.
    test_loss : array_like of float, shape (E,)
        The loss on the learner's fixed test set, stored as float64 (a run
        that diverged records its inf or NaN as it is).  For the square loss
        it is :math:`\\mathbb E[(h - f)^2]`; for the logistic loss, the
        normalised error of the predicted conditional mean,
        :math:`\\mathbb E[(\\tanh(h/2) - g)^2] / \\mathbb E[g^2]` (1 for
        :math:`h \\equiv 0`), so both read "1 = no better than zero".

    Raises
    ------
    TypeError
        If an array is not real, or ``step`` holds non-integers.
    ValueError
        If the arrays are not 1-d of one length, or ``step`` decreases.

    Notes
    -----
    A ``dict`` (keys ``"step"``, ``"train_loss"``, ``"test_loss"``), so
    ``h["test_loss"]`` works as it always did, pickles across processes, and a
    sweep's store writes it as JSON; :func:`first_step_below` reads it.

    Examples
    --------
    >>> h = History(step=[0, 10, 20], train_loss=[np.nan, 0.7, 0.5], test_loss=[1.0, 0.6, 0.4])
    >>> h
    History(3 evaluations, steps 0 to 20, test_loss 1 to 0.4)
    >>> h["step"].dtype, sorted(h)
    (dtype('int64'), ['step', 'test_loss', 'train_loss'])
    """

    KEYS = ("step", "train_loss", "test_loss")

    def __init__(self, step, train_loss, test_loss):
        raw = check_real_array(step, "history['step']", allow_bool=False)
        if raw.size and not np.all(raw == np.round(raw)):
            raise TypeError(f"history['step'] must hold integers, got {np.asarray(step)!r}")
        columns = {
            "step": np.asarray(step, dtype=np.int64) if raw.size else np.zeros(0, dtype=np.int64),
            "train_loss": check_real_array(train_loss, "history['train_loss']").astype(np.float64, copy=False),
            "test_loss": check_real_array(test_loss, "history['test_loss']").astype(np.float64, copy=False),
        }
        shapes = {k: v.shape for k, v in columns.items()}
        if any(len(shape) != 1 for shape in shapes.values()) or len(set(shapes.values())) != 1:
            raise ValueError(f"a history's arrays must be 1-d of one length, got shapes {shapes}")
        if np.any(np.diff(columns["step"]) < 0):
            raise ValueError(f"history['step'] must not decrease, got {columns['step'].tolist()}")
        super().__init__(columns)

    def __repr__(self):
        step, loss = self["step"], self["test_loss"]
        if step.size == 0:
            return "History(0 evaluations)"
        return (
            f"History({step.size} evaluation{'s' if step.size != 1 else ''}, steps {step[0]} to {step[-1]}, "
            f"test_loss {loss[0]:.4g} to {loss[-1]:.4g})"
        )


def first_step_below(history, level) -> int | None:
    """The first evaluated step at which the test loss is below ``level``.

    Parameters
    ----------
    history : History or mapping
        A training history as the learners record it (a :class:`History`:
        ``GDRegressor.history_``, an entry of ``BatchedGDRegressor.history_``),
        or any mapping with arrays ``"step"`` and ``"test_loss"`` of one length.
    level : float
        The loss level.

    Returns
    -------
    int or None
        The step, or ``None`` when the loss never went below ``level``.

    Raises
    ------
    TypeError
        If ``history`` lacks the keys ``"step"`` and ``"test_loss"`` or
        ``level`` is not a real number.
    ValueError
        If the two arrays are not 1-d of one length, or ``level`` is not finite.

    Examples
    --------
    >>> h = {"step": np.array([0, 10, 20]), "test_loss": np.array([1.0, 0.6, 0.4])}
    >>> first_step_below(h, 0.5), first_step_below(h, 0.1)
    (20, None)
    """
    try:
        steps, losses = history["step"], history["test_loss"]
    except (KeyError, TypeError, IndexError):
        raise TypeError(
            f"history must be a mapping with arrays 'step' and 'test_loss', got {type(history).__name__}"
        ) from None
    steps, losses = check_real_array(steps, "history['step']"), check_real_array(losses, "history['test_loss']")
    if steps.ndim != 1 or steps.shape != losses.shape:
        raise ValueError(
            f"history's step and test_loss must be 1-d of one length, got {steps.shape} and {losses.shape}"
        )
    below = np.flatnonzero(losses < check_real(level, "level"))
    return int(steps[below[0]]) if below.size else None


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
    >>> moments = RunningMoments()
    >>> moments.add(np.array([1.0, 2.0])); moments.add(np.array([3.0, 4.0]))
    >>> moments.N, moments.mean, round(moments.se, 12) == round(mean_se([1.0, 2.0, 3.0, 4.0])[1], 12)
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
