"""Monte Carlo summaries shared by the chapters and the oracles."""

from __future__ import annotations

import math

import numpy as np

from ._checks import check_budget, check_finite, check_int, check_real, check_real_array

__all__ = [
    "History",
    "mean_se",
    "correlation_se",
    "folded_normal_mean",
    "first_step_below",
    "loss_at",
    "losses_between",
    "minibatch_tolerance",
    "loglog_slope",
    "bootstrap_medians",
    "RunningMoments",
    "batch_calibration",
    "binned_means",
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
        entries, one of them is identically zero (or its squares underflow), or their
        products overflow float64.

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
    with np.errstate(over="ignore", invalid="ignore"):
        Z = np.stack([u * v, u * u, v * v])
        A, B, C = Z.mean(axis=1)
    if not (np.all(np.isfinite(Z)) and np.isfinite(B) and np.isfinite(C)):
        raise ValueError(
            f"u and v have entries up to {np.max(np.abs(u)):g} and {np.max(np.abs(v)):g} in absolute value: their "
            "products overflow float64; rescale them (the correlation does not change)"
        )
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
    try:
        return float(s * np.sqrt(2 / np.pi) * np.exp(-(mu**2) / (2 * s * s)) + mu * (1 - 2 * norm.cdf(-mu / s)))
    except (OverflowError, ZeroDivisionError):  # mu**2 or 1/s**2 beyond float64: the same formula in r = mu/s
        with np.errstate(over="ignore", under="ignore"):
            r = np.float64(mu) / np.float64(s)
            return float(s * (np.sqrt(2 / np.pi) * np.exp(-(r * r) / 2) + r * (1 - 2 * norm.cdf(-r))))


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
        If the arrays are not 1-d of one length, ``step`` is not finite, or ``step`` decreases.

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
        if raw.size and not np.all(np.isfinite(raw)):
            raise ValueError(f"history['step'] must hold finite integers, got {np.asarray(step)!r}")
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
    steps, losses = _history_arrays(history)
    below = np.flatnonzero(losses < check_real(level, "level"))
    return int(steps[below[0]]) if below.size else None


def _history_arrays(history):
    """The ``step`` and ``test_loss`` arrays of a training history, checked."""
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
    return steps, losses


def loss_at(history, step) -> float:
    """The test loss recorded at an evaluated step.

    Parameters
    ----------
    history : mapping
        A training history (arrays ``"step"`` and ``"test_loss"`` of one
        length, as :func:`first_step_below` reads them).
    step : int
        A step at which the loss was evaluated.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``history`` lacks the keys ``"step"`` and ``"test_loss"`` or
        ``step`` is not an integer.
    ValueError
        If the two arrays are not 1-d of one length, or the loss was not
        evaluated at ``step``.

    Examples
    --------
    >>> h = {"step": np.array([0, 10, 20]), "test_loss": np.array([1.0, 0.6, 0.4])}
    >>> loss_at(h, 10)
    0.6
    """
    steps, losses = _history_arrays(history)
    step = check_int(step, "step")
    at = np.flatnonzero(steps == step) if abs(step) < 2**62 else np.zeros(0, dtype=int)  # no int64 step is beyond
    if not at.size:
        raise ValueError(f"the loss was not evaluated at step {step}; evaluated steps: {steps[:5]} ... {steps[-1:]}")
    return float(losses[at[0]])


def losses_between(history, start, stop=None) -> np.ndarray:
    """The test losses recorded at the evaluated steps :math:`t` with ``start <= t <= stop``.

    Parameters
    ----------
    history : mapping
        A training history (arrays ``"step"`` and ``"test_loss"`` of one length).
    start : int
        First step of the range.
    stop : int or None, default None
        Last step of the range (included); ``None``: up to the end.

    Returns
    -------
    ndarray of shape (m,)
        The losses in the order of the history (empty if no step is in range).

    Raises
    ------
    TypeError
        If ``history`` lacks the keys ``"step"`` and ``"test_loss"``, or
        ``start`` or ``stop`` is not an integer.
    ValueError
        If the two arrays are not 1-d of one length, ``start < 0`` or ``stop < start``.

    Examples
    --------
    >>> h = {"step": np.array([0, 10, 20, 30]), "test_loss": np.array([1.0, 0.9, 0.5, 0.1])}
    >>> losses_between(h, 10, 20), losses_between(h, 20)
    (array([0.9, 0.5]), array([0.5, 0.1]))
    """
    steps, losses = _history_arrays(history)
    start = check_int(start, "start", minimum=0)
    if stop is None:
        return losses[steps >= min(start, 2**62)]  # steps are int64: a start beyond 2**62 is past all of them
    stop = check_int(stop, "stop")
    if stop < start:
        raise ValueError(f"stop must be at least start, got start={start} and stop={stop}")
    return losses[(steps >= min(start, 2**62)) & (steps <= min(stop, 2**62))]


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


def loglog_slope(x, y):
    """Least-squares slope of :math:`\\log y` against :math:`\\log x`: the exponent of a fitted power law.

    For :math:`u_i = \\log x_i - \\overline{\\log x}` the slope is
    :math:`\\sum_i u_i (\\log y_i - \\overline{\\log y}) / \\sum_i u_i^2`, computed for
    every curve along the last axis of ``y`` at once.

    Parameters
    ----------
    x : array_like of shape (m,)
        Positive abscissae, ``m >= 2``, not all equal.
    y : array_like of shape (..., m)
        Positive values; the last axis runs over ``x`` (several curves at
        once, e.g. bootstrap resamples of shape ``(B, m)``).

    Returns
    -------
    float or ndarray of shape ``y.shape[:-1]``
        A float when ``y`` is 1-d.

    Raises
    ------
    TypeError
        If ``x`` or ``y`` is not an array of real numbers.
    ValueError
        If ``x`` is not 1-d with at least 2 entries, not all equal, if the
        last axis of ``y`` does not have the length of ``x``, or if an entry
        of either is not finite and positive.

    Examples
    --------
    >>> round(loglog_slope([1, 2, 4, 8], [3, 12, 48, 192]), 12)
    2.0
    """
    x, y = check_real_array(x, "x"), check_real_array(y, "y")
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"x must be 1-d with at least 2 entries, got shape {x.shape}")
    if y.ndim == 0 or y.shape[-1] != x.size:
        raise ValueError(f"the last axis of y must have the length of x ({x.size}), got y of shape {y.shape}")
    for name, v in (("x", x), ("y", y)):
        if not np.all(np.isfinite(v) & (v > 0)):
            raise ValueError(f"{name} must be finite and positive (a log-log fit), got {name} = {v}")
    u = np.log(x)
    u = u - u.mean()
    if not np.any(u):
        raise ValueError(f"x must not be all equal (the slope is undefined), got x = {x}")
    logy = np.log(y)
    slope = (logy - logy.mean(axis=-1, keepdims=True)) @ u / (u @ u)
    return float(slope) if np.ndim(slope) == 0 else slope


def bootstrap_medians(samples, n_boot, rng) -> np.ndarray:
    """Medians of every column of ``samples`` over bootstrap resamples of its rows, column by column.

    Resample ``b`` draws, for every column ``j`` independently, ``m`` row
    indices uniformly with replacement and takes the median of those entries
    of column ``j``: the seed bootstrap of a table of runs (rows: seeds,
    columns: the cells of a grid), which keeps the cells independent.

    Parameters
    ----------
    samples : array_like of shape (m, c)
        ``m >= 1`` draws (rows) of ``c`` quantities (columns), finite.
    n_boot : int
        Number of resamples, ``>= 1``.
    rng : int or numpy.random.Generator
        The source of the row indices (a generator's state advances), drawn
        at once as ``rng.integers(0, m, (n_boot, m, c))``.

    Returns
    -------
    ndarray of shape (n_boot, c)
        Row ``b``: the medians of resample ``b``.

    Raises
    ------
    TypeError
        If ``samples`` is not an array of real numbers, ``n_boot`` not an
        integer, or ``rng`` not a seed or generator.
    ValueError
        If ``samples`` is not 2-d with at least one row and one column,
        contains NaN or infinite entries, ``n_boot < 1``, or the index array
        would exceed lbkit's memory budget.

    Examples
    --------
    >>> bootstrap_medians([[1.0, 5.0], [1.0, 5.0]], 3, rng=0)
    array([[1., 5.],
           [1., 5.],
           [1., 5.]])
    """
    from .distributions import as_rng

    S = check_real_array(samples, "samples")
    if S.ndim != 2 or S.size == 0:
        raise ValueError(f"samples must be 2-d (draws x quantities) and not empty, got shape {S.shape}")
    if not np.all(np.isfinite(S)):
        raise ValueError("samples contain NaN or infinite entries (drop the runs that did not finish first)")
    n_boot = check_int(n_boot, "n_boot", minimum=1)
    check_budget(16 * n_boot * S.size, f"bootstrap_medians with n_boot={n_boot:,}", "use fewer resamples")
    rng = as_rng(rng)
    idx = rng.integers(0, S.shape[0], (n_boot,) + S.shape)
    return np.median(np.take_along_axis(np.broadcast_to(S, idx.shape), idx, axis=1), axis=1)


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


def batch_calibration(draws, exact, n_batches: int) -> dict:
    """How honest the error bars of small Monte Carlo runs are: split the draws into batches.

    Each batch gives an estimate of the mean and its own standard error (:func:`lbkit.mean_se`);
    with honest error bars about half of the estimates fall below the exact mean, about 5%
    miss it by more than two standard errors, and the typical reported standard error
    matches the actual spread of the estimates.

    Parameters
    ----------
    draws : array_like of shape (N,)
        Independent draws whose mean is ``exact``; ``N`` a multiple of ``n_batches``.
    exact : float
        The exact mean, finite and non-zero (the ratios divide by it).
    n_batches : int
        Number of batches, ``1 <= n_batches <= N / 2`` (a batch needs 2 draws).

    Returns
    -------
    dict
        ``below``: share of batch estimates below ``exact``; ``miss``: share with
        :math:`|z| > 2`, where :math:`z = (\\text{estimate} - \\text{exact})/\\text{SE}`;
        ``miss_low``: share with :math:`z < -2`; ``median_ratio``: median of
        estimate / exact; ``spread``: standard deviation (``ddof=1``) of those ratios,
        or ``nan`` for a single batch; ``median_rel_se``: median of SE / exact (all floats);
        ``ratios``: the ratios, ndarray of shape (n_batches,).

    Raises
    ------
    TypeError
        If ``draws`` is not an array of real numbers, ``exact`` not a real number or
        ``n_batches`` not an integer.
    ValueError
        If ``draws`` is not one-dimensional or not finite, ``exact`` is zero or not finite,
        ``n_batches`` does not split ``draws`` into batches of at least 2 draws, or the
        ratios to ``exact`` overflow float64.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> cal = batch_calibration(rng.standard_normal(20_000) + 1.0, 1.0, 100)
    >>> 0.3 < cal["below"] < 0.7, cal["miss"] < 0.15, round(cal["median_ratio"], 1)
    (True, True, 1.0)
    """
    v = check_finite(check_real_array(draws, "draws"), "draws")
    if v.ndim != 1:
        raise ValueError(f"draws must be one-dimensional, of shape (N,), got shape {v.shape}")
    exact = check_real(exact, "exact")
    if exact == 0:
        raise ValueError("exact must be non-zero: the batch estimates are compared with it as ratios")
    n_batches = check_int(n_batches, "n_batches", minimum=1)
    if v.size % n_batches or v.size // n_batches < 2:
        raise ValueError(f"n_batches={n_batches} must split the {v.size} draws into equal batches of at least 2 draws")
    est, se = mean_se(v.reshape(n_batches, -1), axis=1)
    with np.errstate(all="ignore"):
        z = (est - exact) / se
        ratios = est / exact
        spread = float(np.std(ratios, ddof=1)) if n_batches > 1 else math.nan
        rel_se = se / exact
    if not (np.all(np.isfinite(ratios)) and np.all(np.isfinite(rel_se)) and (n_batches == 1 or math.isfinite(spread))):
        raise ValueError(
            f"the ratios of the batch estimates to exact={exact:g} overflow float64 (draws up to "
            f"{np.max(np.abs(v)):g} in absolute value); rescale the draws and exact together"
        )
    return dict(
        below=float(np.mean(est < exact)),
        miss=float(np.mean(np.abs(z) > 2)),
        miss_low=float(np.mean(z < -2)),
        median_ratio=float(np.median(ratios)),
        spread=spread,
        median_rel_se=float(np.median(rel_se)),
        ratios=ratios,
    )


def binned_means(score, values, n_bins: int = 10):
    """Means of ``values`` within the quantile bins of ``score`` (a calibration table), with standard errors.

    The bins are cut at the sample quantiles of ``score`` at :math:`0, 1/b, \\dots, 1`
    (``b = n_bins``), so each holds about ``N / b`` points; a point on an inner edge goes to
    the bin above it, and the largest score to the last bin.

    Parameters
    ----------
    score : array_like of shape (N,)
        The quantity that defines the bins (e.g. a conditional mean :math:`g(x)`).
    values : array_like of shape (N,)
        The draws averaged in each bin (e.g. labels :math:`y`).
    n_bins : int, default 10
        Number of bins, ``n_bins >= 1``.

    Returns
    -------
    score_mean, value_mean, value_se : ndarray of shape (n_bins,)
        Per bin: the mean of ``score``, the mean of ``values`` and its standard error
        (:func:`~lbkit.mean_se`).

    Raises
    ------
    TypeError
        If ``score`` or ``values`` is not real, or ``n_bins`` is not an integer.
    ValueError
        If they are not one-dimensional of one length, are not finite or beyond 1e300 in
        absolute value, ``n_bins < 1`` or above half their length, or a bin holds fewer
        than 2 points (ties in ``score``; use fewer bins).

    Examples
    --------
    >>> s, m, se = binned_means(np.arange(8.0), np.array([0, 0, 1, 1, 0, 1, 1, 1.0]), n_bins=2)
    >>> s.tolist(), m.tolist()
    ([1.5, 5.5], [0.5, 0.75])
    """
    s = check_real_array(score, "score")
    v = check_real_array(values, "values")
    n_bins = check_int(n_bins, "n_bins", minimum=1)
    if s.ndim != 1 or s.shape != v.shape:
        raise ValueError(f"score and values must be one-dimensional of one length, got shapes {s.shape} and {v.shape}")
    if n_bins > s.size // 2:
        raise ValueError(f"n_bins={n_bins} bins of at least 2 points each need {2 * n_bins} points, got {s.size}")
    if not (np.all(np.isfinite(s)) and np.all(np.isfinite(v))):
        raise ValueError("score and values must be finite (NaN or infinite entries found)")
    big = max(float(np.max(np.abs(s))), float(np.max(np.abs(v))))
    if big > 1e300:  # a bin's sum of such entries can overflow float64
        raise ValueError(f"score and values have entries up to {big:g} in absolute value, beyond 1e300; rescale them")
    edges = np.quantile(s, np.linspace(0, 1, n_bins + 1))
    which = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, n_bins - 1)
    out = np.empty((3, n_bins))
    for b in range(n_bins):
        in_bin = which == b
        if np.count_nonzero(in_bin) < 2:
            raise ValueError(
                f"bin {b} of {n_bins} holds {np.count_nonzero(in_bin)} point(s), fewer than 2 "
                "(ties in score?); use fewer bins"
            )
        out[0, b] = s[in_bin].mean()
        out[1:, b] = mean_se(v[in_bin])
    return out[0], out[1], out[2]
