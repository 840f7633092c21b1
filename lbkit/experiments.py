"""Sweeps over experiment grids with a process pool, deterministic whatever the pool size.

Each grid point gets its own seed, derived from the sweep's seed and the
point's index with :class:`numpy.random.SeedSequence`, so a result never
depends on which worker ran it or on how many workers there were.  Workers
run torch with one thread each (measured faster on 2 cores than one process
with two threads, because small networks are dominated by Python overhead).

The function a sweep runs must be importable by the workers (defined in a
module, not in a notebook): :func:`gd_cell` trains one student, and
:func:`gd_students` trains several (every ``k`` of a list, several seeds each)
as one batched tensor program with
:class:`lbkit.learners.BatchedGDRegressor`.

Several sweeps can share one set of workers: :func:`worker_pool` starts them
once, and :func:`start_sweep` queues a sweep in them and returns at once (a
:class:`SweepJob` whose ``result()`` waits), so a notebook can start all its
training first and read the results where it needs them.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ._checks import check_int, check_n_k, check_real

__all__ = ["SweepJob", "gd_cell", "gd_students", "grid", "start_sweep", "sweep", "worker_pool"]

_MAX_POINTS = 10**6  # grid points a grid or a sweep accepts (each is at least one training run)


def grid(**axes):
    """The Cartesian product of the given axes as a list of dicts (last axis varying fastest).

    Parameters
    ----------
    **axes : iterable
        One keyword per parameter, each with the list of its values.

    Returns
    -------
    list of dict
        One dict of keyword arguments per combination.

    Raises
    ------
    ValueError
        If no axis is given, an axis is empty, or the product has more than
        a million points.
    TypeError
        If an axis is a string, a mapping or not iterable.

    Examples
    --------
    >>> grid(n=[8, 16], k=[2])
    [{'n': 8, 'k': 2}, {'n': 16, 'k': 2}]
    """
    if not axes:
        raise ValueError("grid needs at least one axis, e.g. grid(n=[8, 16], k=[2, 4])")
    names = list(axes)
    lists = {}
    for name, values in axes.items():
        if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
            raise TypeError(f"axis {name!r} must be a list of values, got {values!r} of type {type(values).__name__}")
        if hasattr(values, "__len__") and len(values) > _MAX_POINTS:
            raise ValueError(f"axis {name!r} has {len(values)} values; a grid has at most {_MAX_POINTS:,} points")
        lists[name] = list(itertools.islice(values, _MAX_POINTS + 1))
        if not lists[name]:
            raise ValueError(f"axis {name!r} is empty; give at least one value")
    size = 1
    for name in names:
        size *= len(lists[name])
    if size > _MAX_POINTS:
        raise ValueError(
            f"the grid has {size:,} points ({' x '.join(str(len(lists[k])) for k in names)}); at most "
            f"{_MAX_POINTS:,} are allowed, since each point is a training run"
        )
    return [dict(zip(names, combo)) for combo in itertools.product(*(lists[k] for k in names))]


def _init_worker():
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        import torch

        torch.set_num_threads(1)
        from . import learners  # noqa: F401 - imported now, while the worker waits for its first job
    except ImportError:  # pragma: no cover - torch is installed with the book
        pass


def _run_one(args):
    fn, params, seed_entropy = args
    rng = np.random.default_rng(np.random.SeedSequence(seed_entropy))
    out = fn(rng=rng, **params)
    if not isinstance(out, dict):
        raise TypeError(f"{getattr(fn, '__name__', fn)} must return a dict of results, got {type(out).__name__}")
    return {**params, **out}


def _jobs(fn, points, seed):
    """Check a sweep's arguments; return one ``(fn, point, [seed, i])`` per point."""
    if not callable(fn):
        raise TypeError(f"fn must be a module-level function taking keyword arguments and rng, got {fn!r}")
    seed = check_int(seed, "seed", minimum=0)
    if isinstance(points, (str, bytes, dict)) or not hasattr(points, "__iter__"):
        raise TypeError(
            f"points must be a list of dicts of keyword arguments (see lbkit.experiments.grid), "
            f"got {type(points).__name__}"
        )
    points = list(itertools.islice(points, _MAX_POINTS + 1))
    if len(points) > _MAX_POINTS:
        raise ValueError(f"more than {_MAX_POINTS:,} points; a sweep runs at most that many")
    if not all(isinstance(p, dict) for p in points):
        raise TypeError("points must be a list of dicts of keyword arguments (see lbkit.experiments.grid)")
    for p in points:
        bad = [k for k in p if not isinstance(k, str) or k == "rng"]
        if bad:
            raise ValueError(f"a point has the keys {bad}: keys must be argument names, and rng is set by the sweep")
    return [(fn, p, [seed, i]) for i, p in enumerate(points)]


def _check_progress(progress):
    if isinstance(progress, bool) is False and not isinstance(progress, np.bool_):
        raise TypeError(f"progress must be True or False, got {progress!r}")


def _rows(rows, total, progress):
    """The rows of a sweep as a list, consumed under a tqdm progress bar when ``progress``."""
    from tqdm import tqdm  # text bars: identical output with or without ipywidgets

    return list(tqdm(rows, total=total, desc="sweep", leave=False, disable=not progress))


def _submit(jobs, pool):
    """Queue checked jobs in ``pool``; a SweepJob."""
    from concurrent.futures import Executor

    if not isinstance(pool, Executor):
        raise TypeError(
            f"pool must be a concurrent.futures executor such as lbkit.experiments.worker_pool(), got {pool!r}"
        )
    return SweepJob(pool.submit(_run_one, job) for job in jobs)


def worker_pool(n_workers: int = 2) -> ProcessPoolExecutor:
    """Worker processes that several sweeps can share (started once, not once per sweep).

    Each worker is a fresh ``spawn``-ed process running torch with one thread.
    Starting one imports torch and lbkit, which takes seconds, so the workers
    are started at once and import while the caller goes on.  A notebook that
    runs several sweeps pays that time once by passing one pool to all of them
    (:func:`start_sweep`, or ``sweep(..., pool=...)``), and can keep both
    cores busy by starting a sweep before it needs the results.

    Parameters
    ----------
    n_workers : int, default 2
        Number of worker processes.

    Returns
    -------
    concurrent.futures.ProcessPoolExecutor
        Shut it down with ``pool.shutdown()`` when done, or use it in a
        ``with`` block.

    Raises
    ------
    TypeError
        If ``n_workers`` is not an integer.
    ValueError
        If ``n_workers < 1``.

    Examples
    --------
    >>> from lbkit.experiments import gd_cell, start_sweep, worker_pool
    >>> with worker_pool(2) as pool:                                  # doctest: +SKIP
    ...     job = start_sweep(gd_cell, [dict(n=8, k=2)], seed=0, pool=pool)
    ...     rows = job.result()
    """
    import multiprocessing as mp

    n_workers = check_int(n_workers, "n_workers", minimum=1)
    pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=mp.get_context("spawn"), initializer=_init_worker)
    for _ in range(n_workers):  # start every worker now, so that its imports overlap with the caller's work
        pool.submit(os.getpid)
    return pool


class SweepJob:
    """A sweep started by :func:`start_sweep`: its points run in the pool while the caller goes on.

    Attributes
    ----------
    n_points : int
        Number of points of the sweep.
    """

    def __init__(self, futures):
        self._futures = list(futures)
        self.n_points = len(self._futures)

    def done(self) -> bool:
        """True once every point has finished (or failed)."""
        return all(f.done() for f in self._futures)

    def result(self, progress: bool = False) -> list:
        """Wait for every point; return the rows, in the order of the points, as :func:`sweep` does.

        Parameters
        ----------
        progress : bool, default False
            Show a tqdm progress bar while waiting.

        Returns
        -------
        list of dict
            One row per point: the point's parameters followed by the results.

        Raises
        ------
        Exception
            The first exception a point raised (in the order of the points).
        """
        _check_progress(progress)
        return _rows((f.result() for f in self._futures), self.n_points, progress)

    def __repr__(self) -> str:
        finished = sum(f.done() for f in self._futures)
        return f"SweepJob({self.n_points} points, {finished} finished)"


def start_sweep(fn, points, *, seed: int, pool) -> SweepJob:
    """Start ``fn(rng=..., **point)`` for every point in ``pool`` and return at once.

    The points are queued in order behind any work already in the pool (put
    the longest first), and every point gets the seed it would get from
    :func:`sweep` with the same ``seed``: the rows are the same whichever way
    the sweep runs.

    Parameters
    ----------
    fn : callable
        Module-level function taking keyword arguments and ``rng``, returning
        a dict of results (see :func:`sweep`).
    points : list of dict
        The grid (see :func:`grid`).
    seed : int
        Root seed; point ``i`` uses ``SeedSequence([seed, i])``.
    pool : concurrent.futures.Executor
        Where the points run, usually from :func:`worker_pool`.

    Returns
    -------
    SweepJob
        ``.result()`` waits and returns the rows; ``.done()`` tells whether
        it would wait.

    Raises
    ------
    TypeError
        As for :func:`sweep`, and if ``pool`` is not an executor.
    ValueError
        As for :func:`sweep`.
    """
    return _submit(_jobs(fn, points, seed), pool)


def sweep(fn, points, *, seed: int, n_workers: int = 2, progress: bool = False, pool=None):
    """Run ``fn(rng=..., **point)`` for every point, in parallel.

    Parameters
    ----------
    fn : callable
        Module-level function taking keyword arguments and ``rng``, returning
        a dict of results.  An exception it raises propagates.
    points : list of dict
        The grid (see :func:`grid`).
    seed : int
        Root seed; point ``i`` uses ``SeedSequence([seed, i])``.
    n_workers : int, default 2
        Worker processes started for this sweep (``1`` runs in this process,
        without a pool).  Not used when ``pool`` is given.
    progress : bool, default False
        Show a tqdm progress bar.
    pool : concurrent.futures.Executor, optional
        Run in this pool (from :func:`worker_pool`) instead of starting one.

    Returns
    -------
    list of dict
        One row per point, in the order of ``points``: the point's parameters
        followed by ``fn``'s results.

    Raises
    ------
    TypeError
        If ``fn`` is not callable, ``seed`` or ``n_workers`` is not an
        integer, ``points`` is not a list of dicts, ``pool`` is not an
        executor, or ``fn`` does not return a dict.
    ValueError
        If ``seed < 0``, ``n_workers < 1``, a point sets ``rng`` or there are
        more than a million points.
    """
    jobs = _jobs(fn, points, seed)
    n_workers = check_int(n_workers, "n_workers", minimum=1)
    _check_progress(progress)
    if pool is not None:
        return _submit(jobs, pool).result(progress=progress)
    if n_workers > 1:
        with worker_pool(n_workers) as own:
            return _submit(jobs, own).result(progress=progress)
    return _rows((_run_one(job) for job in jobs), len(jobs), progress)


def gd_cell(
    n,
    k,
    activation="relu",
    *,
    rng,
    max_steps=20_000,
    target_loss=0.5,
    width=256,
    lr=3e-3,
    batch_size=256,
    optimizer="adam",
    noise=0.0,
    eval_every=100,
    **gd_kwargs,
):
    """Train a two-layer student on the normalised :math:`f_S`, :math:`S = \\{0,\\dots,k-1\\}`,
    until the test loss drops below ``target_loss``.

    Parameters
    ----------
    n, k : int
        Dimension and support size of the target, ``1 <= k <= n``.
    activation : str, default "relu"
        Activation of the target network (see :func:`lbkit.orthogonal_network`).
    rng : int or numpy.random.Generator
        Required (keyword-only); :func:`sweep` passes one per grid point.
    max_steps : int, default 20000
        Step cap (``GDRegressor``'s own default is 5000).
    target_loss : float, default 0.5
        Stop once the test loss falls below it.
    width : int, default 256
        Hidden units of the student.
    lr : float, default 3e-3
        Learning rate.
    batch_size : int, default 256
        Minibatch size (fresh samples at every step).
    optimizer : {"adam", "sgd"}, default "adam"
    noise : float, default 0.0
        Standard deviation of the Gaussian noise added to every gradient
        coordinate.
    eval_every : int, default 100
        Steps between evaluations of the test loss.
    **gd_kwargs
        Any other keyword argument of ``lbkit.learners.GDRegressor``.

    Returns
    -------
    dict
        ``steps`` (first evaluated step below the target, or ``None``),
        ``samples`` (``steps * batch_size`` or ``None``), ``final_loss``,
        ``min_loss``.

    Raises
    ------
    ValueError
        If ``k`` is not in ``1..n``, if the parity rule makes
        :math:`f_S \\equiv 0` for this ``k`` (the normalised target does not
        exist), or for any argument ``GDRegressor`` or ``orthogonal_network``
        refuses; all checked before training starts.
    TypeError
        For an argument of the wrong type (``gd_cell(4, 2.5, ...)``, an
        unknown keyword; see ``GDRegressor.fit``).
    """
    from .family import orthogonal_network
    from .learners import GDRegressor

    n, k = check_n_k(n, k)
    params = _student_params(activation, width, lr, batch_size, optimizer, noise, gd_kwargs)
    target = orthogonal_network(n, range(k), activation, normalized=True)
    gd = GDRegressor(max_steps=max_steps, eval_every=eval_every, target_loss=target_loss, rng=rng, **params)
    gd.fit(target)
    steps = gd.steps_to_target_
    return {
        "steps": steps,
        "samples": None if steps is None else steps * batch_size,
        "final_loss": float(gd.test_loss_),
        "min_loss": float(np.min(gd.history_["test_loss"])),
    }


def _student_params(activation, width, lr, batch_size, optimizer, noise, gd_kwargs) -> dict:
    """Check what gd_cell and gd_students share; return the keyword arguments their students share."""
    import inspect

    from .learners import GDRegressor

    if not isinstance(activation, str) and not callable(activation):
        raise TypeError(
            f"activation (of the target) must be a name such as 'relu' or a callable, "
            f"got {activation!r} of type {type(activation).__name__}"
        )
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    own = {"activation", "width", "lr", "batch_size", "optimizer", "noise", "max_steps", "eval_every", "target_loss"}
    allowed = set(inspect.signature(GDRegressor.__init__).parameters) - {"self", "rng"} - own
    unknown = sorted(set(gd_kwargs) - allowed)
    if unknown:
        raise TypeError(
            f"unknown keyword argument(s) {unknown}; the other keywords allowed are those of "
            f"GDRegressor: {sorted(allowed)}"
        )
    return dict(width=width, lr=lr, batch_size=batch_size, optimizer=optimizer, noise=noise, **gd_kwargs)


def _per_k(value, name, ks):
    """An int for every k, from an int or a dict {k: int}."""
    if isinstance(value, dict):
        missing = [k for k in ks if k not in value]
        if missing:
            raise ValueError(f"{name} is a dict without an entry for k = {missing}; give one for every k in {ks}")
        return {k: check_int(value[k], f"{name}[{k}]", minimum=1) for k in ks}
    value = check_int(value, name, minimum=1)
    return {k: value for k in ks}


def gd_students(
    n,
    k,
    activation="relu",
    *,
    rng,
    seeds=4,
    max_steps=20_000,
    target_loss=0.5,
    width=256,
    lr=3e-3,
    batch_size=256,
    optimizer="adam",
    noise=0.0,
    eval_every=100,
    **gd_kwargs,
):
    """Train one student per (k, seed) on the normalised :math:`f_S`, :math:`S = \\{0,\\dots,k-1\\}`,
    as one batched program.

    The students are those of :func:`gd_cell` (same hyperparameters and
    stopping rule), trained together by
    :class:`lbkit.learners.BatchedGDRegressor`.  Student ``(k, s)`` gets the
    seed ``SeedSequence([base, k, s])`` with ``base`` drawn once from ``rng``,
    so it does not depend on which other students share the program: the
    seeds of one cell can be split over several sweep points.

    Parameters
    ----------
    n : int
        Dimension of every target.
    k : int or list of int
        Support size(s), ``1 <= k <= n``; every k gets the same seeds.
    activation : str, default "relu"
        Activation of the target networks.
    rng : int or numpy.random.Generator
        Required (keyword-only); :func:`sweep` passes one per grid point.
    seeds : int or list of int, default 4
        Number of seeds per k (seed indices ``0..seeds-1``) or the seed indices.
    max_steps : int or dict, default 20000
        Step cap, or a dict ``{k: cap}`` (e.g. a lower cap for a k that stalls).
    eval_every : int or dict, default 100
        Steps between test-loss evaluations, or a dict ``{k: steps}``.
    target_loss, width, lr, batch_size, optimizer, noise, **gd_kwargs
        As for :func:`gd_cell`.

    Returns
    -------
    dict of lists
        One entry per student, ordered by k then seed: ``k``, ``seed``,
        ``steps`` (None when the cap was hit), ``samples``, ``final_loss``,
        ``min_loss``, ``cap``.  In pandas, ``DataFrame(rows).explode([...])``
        turns a sweep's rows into one row per student.

    Raises
    ------
    TypeError
        For an argument of the wrong type (a non-integer ``n``, ``k``, seed,
        cap; see also ``GDRegressor.fit``).
    ValueError
        If a ``k`` is out of ``1..n``, repeated, or gives :math:`f_S \\equiv 0`,
        if ``seeds`` is empty or repeats an index, if a dict misses a ``k``, or
        for any value ``BatchedGDRegressor`` refuses (including a fit that
        would not fit in memory).
    """
    from .distributions import as_rng
    from .family import orthogonal_network
    from .learners import BatchedGDRegressor

    n = check_int(n, "n", minimum=1)
    ks = [k] if not isinstance(k, (list, tuple, range, np.ndarray)) else list(k)
    if not ks:
        raise ValueError("k is an empty list; give at least one support size")
    ks = [check_n_k(n, kk)[1] for kk in ks]
    if len(set(ks)) != len(ks):
        raise ValueError(f"k = {ks} repeats a value; give each support size once (and several seeds)")
    if isinstance(seeds, (list, tuple, range, np.ndarray)):
        seed_ids = [check_int(s, "every seed index", minimum=0) for s in seeds]
        if not seed_ids or len(set(seed_ids)) != len(seed_ids):
            raise ValueError(f"seeds = {list(seeds)} must be a non-empty list of distinct indices")
    else:
        seed_ids = list(range(check_int(seeds, "seeds", minimum=1)))
    params = _student_params(activation, width, lr, batch_size, optimizer, noise, gd_kwargs)
    caps, evals = _per_k(max_steps, "max_steps", ks), _per_k(eval_every, "eval_every", ks)
    if target_loss is not None:
        check_real(target_loss, "target_loss", minimum=0, min_open=True)
    students = [(kk, s) for kk in ks for s in seed_ids]
    base = int(as_rng(rng).integers(2**63))
    targets = {kk: orthogonal_network(n, range(kk), activation, normalized=True) for kk in ks}
    bgd = BatchedGDRegressor(
        max_steps=[caps[kk] for kk, _ in students],
        eval_every=[evals[kk] for kk, _ in students],
        target_loss=target_loss,
        rng=[np.random.SeedSequence([base, kk, s]) for kk, s in students],
        **params,
    )
    bgd.fit([targets[kk] for kk, _ in students])
    steps = list(bgd.steps_to_target_)
    return {
        "k": [kk for kk, _ in students],
        "seed": [s for _, s in students],
        "steps": steps,
        "samples": [None if t is None else t * params["batch_size"] for t in steps],
        "final_loss": [float(x) for x in bgd.test_loss_],
        "min_loss": [float(np.min(h["test_loss"])) for h in bgd.history_],
        "cap": [caps[kk] for kk, _ in students],
    }
