"""Sweeps over experiment grids, in a local process pool or on a cluster, with results that survive a crash.

Each grid point gets its own seed, derived from the sweep's seed and the
point's index with :class:`numpy.random.SeedSequence`, so a result never
depends on which worker ran it or on how many workers there were: on one
kind of machine (same CPU family, same torch build) the rows are identical
whatever the pool; across machines of different kinds, training runs agree
only within the calibrated tolerances of the book's reproducibility contract
(float32 rounding differs between instruction sets).  Workers run torch with
one thread each (measured faster on 2 cores than one process with two
threads, because small networks are dominated by Python overhead).

Where the points run is the ``pool``: any object whose ``submit(fn, arg)``
returns a future (an object with ``result()``), such as the stdlib workers
of :func:`worker_pool`, the executor of a Dask cluster
(``distributed.Client(...).get_executor()``), submitit's or a Ray adapter.
The stdlib workers are fresh ``spawn``-ed processes that import the function
by name, so it must be defined in a module; a function defined in a notebook
is refused up front (Dask sends it by value with cloudpickle, and runs it).

``store=PATH`` makes a sweep durable: every point's results are appended to a
JSON-lines file as soon as the point finishes, keyed by the point, its index
(hence its seed), the sweep's seed and the function's name; running the same
sweep with the same store again computes only the points not recorded.  A
failing point does not discard the others: the sweep finishes every other
point and then raises one :class:`SweepError` listing the failures, with the
finished rows attached.

:func:`gd_cell` trains one student, and :func:`gd_students` trains several
(every ``k`` of a list, several seeds each) as one batched tensor program
with :class:`lbkit.learners.BatchedGDRegressor`.  Several sweeps can share one
set of workers: :func:`worker_pool` starts them once, and :func:`start_sweep`
queues a sweep and returns at once (a :class:`SweepJob` whose ``result()``
waits), so a notebook can start all its training first and read the results
where it needs them.
"""

from __future__ import annotations

import itertools
import json
import os
import pickle
import sys
import threading
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ._checks import check_int, check_n_k, check_real

__all__ = [
    "SweepError",
    "SweepJob",
    "gd_cell",
    "gd_students",
    "grid",
    "read_store",
    "results_directory",
    "start_sweep",
    "sweep",
    "worker_pool",
    "per_student",
    "cell_summary",
]

_MAX_POINTS = 10**6  # grid points a grid or a sweep accepts (each is at least one training run)
_STORE_FORMAT = 1  # version of the store's record layout


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
    """Run one point; return ``fn``'s dict of results (the caller adds the point's parameters)."""
    fn, params, seed_entropy = args
    rng = np.random.default_rng(np.random.SeedSequence(seed_entropy))
    out = fn(rng=rng, **params)
    if not isinstance(out, dict):
        raise TypeError(f"{getattr(fn, '__name__', fn)} must return a dict of results, got {type(out).__name__}")
    return out


def _fn_name(fn) -> str:
    """The function's identity in a store: ``module.qualname``."""
    module = getattr(fn, "__module__", None) or type(fn).__module__
    qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    return f"{module}.{qualname}"


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


# -- where the points run --------------------------------------------------------------------------------------------


def _check_importable(fn) -> None:
    """Refuse, before anything is queued, a function the stdlib's spawn-ed workers could not import by name."""
    name = _fn_name(fn)
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", "")
    why = None
    if "<lambda>" in qualname or "<locals>" in qualname:
        why = "it is a lambda or is defined inside another function"
    elif module == "__main__" and not hasattr(sys.modules.get("__main__"), "__file__"):
        why = "it is defined in a notebook or an interactive session (module __main__ without a file)"
    else:
        try:
            pickle.dumps(fn)
        except Exception as exc:  # noqa: BLE001 - pickle raises several kinds; the message names it
            why = f"pickle cannot send it by name ({type(exc).__name__}: {exc})"
    if why is not None:
        raise TypeError(
            f"fn = {name} cannot run in lbkit's stdlib worker pool: {why}; the spawn-ed workers import a function "
            f"by its module and name.  Define it in a module (a .py file on the workers' path) and import it, run "
            f"the sweep in this process with n_workers=1, or use a pool that sends functions by value, such as a "
            f"Dask cluster's executor: distributed.Client(distributed.LocalCluster()).get_executor()"
        )


class _LazyFuture:
    """The result of running one point in this process, computed when first asked for."""

    def __init__(self, job):
        self._job, self._done, self._value, self._error = job, False, None, None

    def done(self) -> bool:
        return self._done

    def result(self):
        if not self._done:
            try:
                self._value = _run_one(self._job)
            except Exception as exc:  # noqa: BLE001 - kept, raised to the caller as a future would
                self._error = exc
            self._done = True
        if self._error is not None:
            raise self._error
        return self._value


class _InProcess:
    """A pool that runs every point in this process, one after the other, as its result is read."""

    def submit(self, fn, job):
        assert fn is _run_one
        return _LazyFuture(job)


def _pool_submit(pool):
    submit = getattr(pool, "submit", None)
    if not callable(submit):
        raise TypeError(
            f"pool must be an executor: an object whose submit(fn, *args) returns a future, such as "
            f"lbkit.experiments.worker_pool() or a Dask client's get_executor(); got {pool!r}"
        )
    return submit


# -- the store --------------------------------------------------------------------------------------------------------


def _jsonable(value):
    """``json.dumps``' fallback for numpy values; anything else cannot be recorded."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(
        f"a sweep with a store records fn's results as JSON; {value!r} of type {type(value).__name__} is not "
        f"JSON (give numbers, strings, None, lists and dicts)"
    )


def _point_key(point) -> str:
    try:
        return json.dumps(point, sort_keys=True, default=_jsonable)
    except TypeError as exc:
        raise TypeError(f"a sweep with a store needs points made of JSON values; the point {point!r}: {exc}") from None


def read_store(path) -> list:
    """The records of a sweep's store (a JSON-lines file), one dict per finished point.

    Each record has ``fn`` (``module.qualname``), ``seed`` (the sweep's seed),
    ``index`` (the point's index; its seed is ``SeedSequence([seed, index])``),
    ``point`` (its parameters), ``result`` (``fn``'s dict of results) and
    provenance (``lbkit`` version, ``host``, ``time``).  A line cut short by a
    crash is skipped.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    list of dict
    """
    records = []
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            if lineno == len(lines):  # the last line, cut short by a crash (no newline after it)
                continue
            raise ValueError(f"{path}: line {lineno} is not a JSON record of a sweep") from None
        if not isinstance(rec, dict) or not {"fn", "seed", "index", "point", "result"} <= set(rec):
            raise ValueError(
                f"{path}: line {lineno} is not a record of an lbkit sweep (fn, seed, index, point, result)"
            )
        records.append(rec)
    return records


class _Store:
    """The JSON-lines record of one sweep: what is done, and a lock-protected append for what finishes."""

    def __init__(self, path, fn, seed, jobs):
        self.path = os.fspath(path)
        self.fn, self.seed = _fn_name(fn), seed
        self.keys = [_point_key(p) for _, p, _ in jobs]
        self._lock = threading.Lock()
        self.done = {}
        parent = os.path.dirname(os.path.abspath(self.path))
        if os.path.isdir(self.path) or not os.path.isdir(parent):
            raise ValueError(
                f"store = {self.path!r} must be a file in an existing directory (it is created if missing); "
                f"{'it is a directory' if os.path.isdir(self.path) else f'the directory {parent} does not exist'}"
            )
        if not os.path.exists(self.path):
            return
        with open(self.path, "rb+") as fh:  # drop a last line cut short by a crash, so that appends stay valid
            data = fh.read()
            if data and not data.endswith(b"\n"):
                fh.truncate(data.rfind(b"\n") + 1)
        for rec in read_store(self.path):
            if rec["fn"] != self.fn or rec["seed"] != seed:
                raise ValueError(
                    f"the store {self.path} holds results of fn = {rec['fn']} with seed = {rec['seed']}; this sweep "
                    f"runs fn = {self.fn} with seed = {seed}.  Results of another function or seed are never mixed "
                    f"in: give this sweep its own store file"
                )
            i = rec["index"]
            key = json.dumps(rec["point"], sort_keys=True)
            if i < len(self.keys) and key != self.keys[i]:
                raise ValueError(
                    f"the store {self.path} holds point {i} = {rec['point']}, but this sweep's point {i} is "
                    f"{jobs[i][1]}: the grid changed (a point's seed depends on its index).  Give this sweep its "
                    f"own store file, or keep the points of the recorded sweep in their order (new ones may be "
                    f"appended)"
                )
            if i < len(self.keys):
                self.done[i] = rec["result"]

    def record(self, i, out) -> dict:
        """Append point ``i``'s results; return them as read back from JSON (what a resumed sweep returns)."""
        import socket
        import time

        from . import __version__

        result = json.dumps(out, default=_jsonable)
        line = (
            f'{{"fn": {json.dumps(self.fn)}, "seed": {self.seed}, "index": {i}, "point": {self.keys[i]}, '
            f'"result": {result}, "lbkit": {json.dumps(__version__)}, "host": {json.dumps(socket.gethostname())}, '
            f'"time": {json.dumps(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))}, "format": {_STORE_FORMAT}}}\n'
        )
        with self._lock:
            if i not in self.done:
                with open(self.path, "a", encoding="utf-8") as fh:
                    fh.write(line)
                self.done[i] = json.loads(result)
        return self.done[i]


# -- sweeps -----------------------------------------------------------------------------------------------------------


class SweepError(RuntimeError):
    """Some points of a sweep raised; every other point finished.

    Attributes
    ----------
    failed : list of tuple
        ``(index, point, exception)`` for every failed point, in the order of the points.
    rows : list
        The sweep's rows in the order of the points, ``None`` for a failed one.
    """

    def __init__(self, failed, rows, store=None):
        self.failed, self.rows = failed, rows
        n_ok = sum(r is not None for r in rows)
        kept = f"; their rows are in .rows and in the store {store}" if store else "; their rows are in .rows"
        lines = [f"{len(failed)} of {len(rows)} sweep points failed ({n_ok} finished{kept}):"]
        for i, point, exc in failed[:20]:
            lines.append(f"  point {i} {point}: {type(exc).__name__}: {exc}")
        if len(failed) > 20:
            lines.append(f"  ... and {len(failed) - 20} more (see .failed)")
        super().__init__("\n".join(lines))


def _rows_iter(items, total, progress):
    """``items`` consumed under a tqdm progress bar when ``progress``."""
    from tqdm import tqdm  # text bars: identical output with or without ipywidgets

    return tqdm(items, total=total, desc="sweep", leave=False, disable=not progress)


def _submit(fn, points, seed, pool, store=None):
    """Check a sweep's arguments, skip what ``store`` records, queue the rest in ``pool``; a SweepJob."""
    jobs = _jobs(fn, points, seed)
    submit = _pool_submit(pool)
    if isinstance(pool, ProcessPoolExecutor):
        _check_importable(fn)
    recorded = None
    if store is not None:
        if not isinstance(store, (str, os.PathLike)):
            raise TypeError(f"store must be a path to a JSON-lines file, got {store!r} of type {type(store).__name__}")
        recorded = _Store(store, fn, jobs[0][2][0] if jobs else seed, jobs)
    futures = []
    for i, job in enumerate(jobs):
        if recorded is not None and i in recorded.done:
            futures.append(None)
            continue
        fut = submit(_run_one, job)
        if not callable(getattr(fut, "result", None)):
            raise TypeError(
                f"pool.submit returned {fut!r}, not a future: pool must be an executor whose submit returns an "
                f"object with a result() method"
            )
        futures.append(fut)
    return SweepJob(futures, jobs, recorded)


def _future_done(f) -> bool:
    """Whether a future has finished; False for a minimal future without done() (until its result is read)."""
    done = getattr(f, "done", None)
    return bool(done()) if callable(done) else False


class SweepJob:
    """A sweep started by :func:`start_sweep`: its points run in the pool while the caller goes on.

    Attributes
    ----------
    n_points : int
        Number of points of the sweep.
    n_recorded : int
        Points read from the store instead of being run (0 without a store).
    """

    def __init__(self, futures, jobs=None, store=None):
        self._futures = list(futures)
        self._jobs = jobs
        self._store = store
        self.n_points = len(self._futures)
        self.n_recorded = sum(f is None for f in self._futures)
        self._all_read = False
        if store is not None:
            for i, f in enumerate(self._futures):
                if f is not None and callable(getattr(f, "add_done_callback", None)):
                    f.add_done_callback(lambda fut, i=i: self._record(i, fut))

    def _record(self, i, fut):
        """Record a finished point in the store (a failed one is not recorded: a resumed sweep runs it again)."""
        try:
            if fut.cancelled() or fut.exception() is not None:
                return
            self._store.record(i, fut.result())
        except Exception:  # noqa: BLE001 - result() records it again and raises what went wrong
            pass

    def done(self) -> bool:
        """True once every point has finished (or failed)."""
        return self._all_read or all(f is None or _future_done(f) for f in self._futures)

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
        SweepError
            If some points raised, once every other point has finished: it
            lists the failed points with their exceptions, and its ``rows``
            holds the finished rows (``None`` for a failed point).
        """
        _check_progress(progress)
        rows, failed = [], []
        for i, f in _rows_iter(enumerate(self._futures), self.n_points, progress):
            params = self._jobs[i][1] if self._jobs is not None else {}
            if f is None:
                rows.append({**params, **self._store.done[i]})
                continue
            try:
                out = f.result()
                if self._store is not None:
                    out = self._store.record(i, out)
            except Exception as exc:  # noqa: BLE001 - collected, raised together once every point has finished
                failed.append((i, params, exc))
                rows.append(None)
                continue
            rows.append({**params, **out})
        self._all_read = True
        if failed:
            raise SweepError(failed, rows, None if self._store is None else self._store.path) from failed[0][2]
        return rows

    def __repr__(self) -> str:
        finished = self.n_points if self._all_read else sum(f is None or _future_done(f) for f in self._futures)
        return f"SweepJob({self.n_points} points, {finished} finished)"


def worker_pool(n_workers: int = 2) -> ProcessPoolExecutor:
    """Worker processes that several sweeps can share (started once, not once per sweep).

    Each worker is a fresh ``spawn``-ed process running torch with one thread.
    Starting one imports torch and lbkit, which takes seconds, so the workers
    are started at once and import while the caller goes on.  A notebook that
    runs several sweeps pays that time once by passing one pool to all of them
    (:func:`start_sweep`, or ``sweep(..., pool=...)``), and can keep both
    cores busy by starting a sweep before it needs the results.  The workers
    import the sweep's function by name: it must be defined in a module (a
    function defined in a notebook is refused; a Dask executor runs it).

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


def start_sweep(fn, points, *, seed: int, pool, store=None) -> SweepJob:
    """Start ``fn(rng=..., **point)`` for every point in ``pool`` and return at once.

    The points are queued in order behind any work already in the pool (put
    the longest first), and every point gets the seed it would get from
    :func:`sweep` with the same ``seed``: the rows are the same whichever way
    the sweep runs.

    Parameters
    ----------
    fn : callable
        Function taking keyword arguments and ``rng``, returning a dict of
        results (see :func:`sweep`).
    points : list of dict
        The grid (see :func:`grid`).
    seed : int
        Root seed; point ``i`` uses ``SeedSequence([seed, i])``.
    pool : executor
        Where the points run: any object whose ``submit(fn, arg)`` returns a
        future, e.g. :func:`worker_pool` or
        ``distributed.Client(...).get_executor()``.
    store : str or os.PathLike, optional
        JSON-lines file recording each finished point (see :func:`sweep`);
        points it already records are not run again.

    Returns
    -------
    SweepJob
        ``.result()`` waits and returns the rows; ``.done()`` tells whether
        it would wait.

    Raises
    ------
    TypeError
        As for :func:`sweep`.
    ValueError
        As for :func:`sweep`.
    """
    return _submit(fn, points, seed, pool, store)


def sweep(fn, points, *, seed: int, n_workers: int = 2, progress: bool = False, pool=None, store=None):
    """Run ``fn(rng=..., **point)`` for every point, in parallel.

    Parameters
    ----------
    fn : callable
        Function taking keyword arguments and ``rng``, returning a dict of
        results.  For the stdlib workers (``n_workers > 1`` or a
        :func:`worker_pool`) it must be defined in a module; a Dask
        executor also runs one defined in a notebook.
    points : list of dict
        The grid (see :func:`grid`).
    seed : int
        Root seed; point ``i`` uses ``SeedSequence([seed, i])``.
    n_workers : int, default 2
        Worker processes started for this sweep (``1`` runs in this process,
        without a pool).  Not used when ``pool`` is given.
    progress : bool, default False
        Show a tqdm progress bar.
    pool : executor, optional
        Run in this pool instead of starting one: any object whose
        ``submit(fn, arg)`` returns a future, such as :func:`worker_pool` or
        ``distributed.Client(...).get_executor()``.
    store : str or os.PathLike, optional
        JSON-lines file (see :func:`read_store`) where every point's results
        are appended as soon as it finishes, keyed by ``fn``'s name, ``seed``
        and the point and its index.  Points it already records are not run
        again (a sweep stopped halfway resumes); a store of another function
        or seed, or whose point at some index differs, is refused.  The rows
        then hold the results as JSON gives them back (a tuple becomes a
        list, a numpy number a Python number).

    Returns
    -------
    list of dict
        One row per point, in the order of ``points``: the point's parameters
        followed by ``fn``'s results.

    Raises
    ------
    SweepError
        If some points raised (or did not return a dict), once every other
        point has finished; ``.failed`` lists them with their exceptions and
        ``.rows`` holds the finished rows.
    TypeError
        If ``fn`` is not callable or cannot be sent to the stdlib workers,
        ``seed`` or ``n_workers`` is not an integer, ``points`` is not a list
        of dicts, or ``pool`` has no ``submit``.
    ValueError
        If ``seed < 0``, ``n_workers < 1``, a point sets ``rng``, there are
        more than a million points, or ``store`` holds another sweep.
    """
    n_workers = check_int(n_workers, "n_workers", minimum=1)
    _check_progress(progress)
    if pool is not None:
        return _submit(fn, points, seed, pool, store).result(progress=progress)
    if n_workers > 1:
        points = list(points) if not isinstance(points, (str, bytes, dict)) and hasattr(points, "__iter__") else points
        _jobs(fn, points, seed)  # refuse bad arguments before starting workers
        _check_importable(fn)
        with worker_pool(n_workers) as own:
            return _submit(fn, points, seed, own, store).result(progress=progress)
    return _submit(fn, points, seed, _InProcess(), store).result(progress=progress)


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


# ----------------------------------------------------------------------------
# committed results: where the book's sweep scripts leave what they computed
# ----------------------------------------------------------------------------


def results_directory(name: str, start=None):
    """The directory ``benchmarks/results/<name>`` of the repository checkout that contains ``start``.

    The book's sweep scripts (``benchmarks/*.py``) commit what they computed (store,
    tables, provenance, figure) under ``benchmarks/results/<name>``; a page that reads
    those results finds them from its working directory, whichever folder of the
    checkout it runs in.

    Parameters
    ----------
    name : str
        The results' folder, a single path component such as ``"extended_phase"``.
    start : str or os.PathLike, optional
        Where to start looking (default: the working directory); ``start`` and then
        each of its parents is tried in turn.

    Returns
    -------
    pathlib.Path
        The absolute path of the first ``<base>/benchmarks/results/<name>`` that is a
        directory; ``<base>``, the repository root, is its ``parents[2]``.

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is not a single path component (empty, ``.``, ``..`` or with a separator).
    FileNotFoundError
        If neither ``start`` nor any folder above it holds ``benchmarks/results/<name>``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp()).resolve()
    >>> (root / "benchmarks" / "results" / "demo").mkdir(parents=True)
    >>> results_directory("demo", start=root / "benchmarks") == root / "benchmarks" / "results" / "demo"
    True
    """
    from pathlib import Path

    if not isinstance(name, str):
        raise TypeError(f"name must be a string (a folder of benchmarks/results), got {type(name).__name__}")
    if name in ("", ".", "..") or Path(name).name != name or "\\" in name:
        raise ValueError(f"name must be a single folder name such as 'extended_phase', got {name!r}")
    here = Path.cwd() if start is None else Path(start)
    here = here.resolve()
    for base in [here, *here.parents]:
        candidate = base / "benchmarks" / "results" / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"no benchmarks/results/{name}/ in {here} or any folder above it: these results are committed in the "
        "book's repository, so run from a checkout of it"
    )


# the per-student entries of a gd_students row, in the order per_student keeps them
_STUDENT_KEYS = ("k", "seed", "steps", "samples", "final_loss", "min_loss", "cap")


def _nan_if_none(value) -> float:
    return float("nan") if value is None else float(value)


def per_student(rows) -> list:
    """One record per student from the rows of a :func:`gd_students` sweep, sorted by ``(k, n, seed)``.

    Parameters
    ----------
    rows : iterable of dict
        Rows as :func:`sweep` or :meth:`SweepJob.result` return them for
        ``gd_students``: an ``n`` and the per-student lists ``k``, ``seed``,
        ``steps``, ``samples`` (may be missing), ``final_loss``, ``min_loss``,
        ``cap``, all of one length.  ``None`` entries (a failed point of a
        :class:`SweepError`) are skipped.

    Returns
    -------
    list of dict
        Keys ``n``, ``k``, ``seed``, ``steps``, ``samples``, ``final_loss``,
        ``min_loss``, ``cap``: integers ``n, k, seed, cap``, floats otherwise,
        with NaN for a student stopped before the target (``steps`` ``None``).
        ``pandas.DataFrame(per_student(rows))`` is the per-student table.

    Raises
    ------
    TypeError
        If a row is not a dict.
    ValueError
        If a row lacks ``n`` or a per-student key, or its lists differ in length.

    Examples
    --------
    >>> row = {"n": 8, "k": [2, 2], "seed": [1, 0], "steps": [30, None], "samples": [7680, None],
    ...        "final_loss": [0.4, 0.9], "min_loss": [0.4, 0.8], "cap": [1000, 1000]}
    >>> [(r["seed"], r["steps"]) for r in per_student([row])]
    [(0, nan), (1, 30.0)]
    """
    out = []
    for row in rows:
        if row is None:
            continue
        if not isinstance(row, dict):
            raise TypeError(f"every row must be a dict (a gd_students result), got {type(row).__name__}")
        keys = [key for key in _STUDENT_KEYS if key != "samples" or key in row]
        missing = [key for key in ["n", *keys] if key not in row]
        if missing:
            raise ValueError(f"a row lacks {missing}; per_student reads the rows of gd_students, got keys {list(row)}")
        lengths = {key: len(row[key]) for key in keys}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"the per-student lists of a row differ in length: {lengths}")
        for i in range(lengths["k"]):
            rec = {"n": int(row["n"])}
            for key in keys:
                value = row[key][i]
                rec[key] = int(value) if key in ("k", "seed", "cap") else _nan_if_none(value)
            out.append(rec)
    out.sort(key=lambda r: (r["k"], r["n"], r["seed"]))
    return out


def _summarise_cell(k, n, group) -> dict:
    steps = np.array([r["steps"] for r in group], dtype=float)
    ok = np.isfinite(steps)
    every = bool(ok.all())
    q25, median, q75 = np.percentile(steps, [25, 50, 75]) if every else (np.nan,) * 3
    return {
        "k": k,
        "n": n,
        "seeds": len(group),
        "reached": int(ok.sum()),
        "median_steps": float(np.median(steps)) if every else np.nan,
        "fastest_steps": float(steps[ok].min()) if ok.any() else np.nan,
        "slowest_steps": float(steps.max()) if every else np.nan,
        "q25_steps": float(q25),
        "q75_steps": float(q75),
        "cap": max(int(r["cap"]) for r in group),
        "final_loss_max": max(float(r["final_loss"]) for r in group),
        "min_loss_min": min(float(r["min_loss"]) for r in group),
    }


def cell_summary(students) -> list:
    """Per cell ``(k, n)`` of a sweep: how many seeds reached the target, and the spread of their steps.

    Parameters
    ----------
    students : iterable of mapping
        One record per student, as :func:`per_student` returns them (or
        ``DataFrame.to_dict("records")`` of that table): keys ``k``, ``n``,
        ``steps`` (NaN or ``None`` when stopped first), ``cap``,
        ``final_loss`` and ``min_loss``.

    Returns
    -------
    list of dict
        One record per cell, sorted by ``(k, n)``: ``k``, ``n``, ``seeds``,
        ``reached`` (seeds below the target), ``median_steps``,
        ``slowest_steps``, ``q25_steps`` and ``q75_steps`` (NaN unless every
        seed reached it: a time to learn is claimed only then),
        ``fastest_steps`` (NaN if no seed reached it), ``cap`` (the largest
        budget), ``final_loss_max`` and ``min_loss_min``.

    Raises
    ------
    ValueError
        If a record lacks one of those keys, or ``students`` is empty.

    Examples
    --------
    >>> recs = [{"k": 2, "n": 8, "steps": s, "cap": 1000, "final_loss": 0.4, "min_loss": 0.4} for s in (20, 30)]
    >>> c = cell_summary(recs + [{"k": 6, "n": 8, "steps": None, "cap": 6000, "final_loss": 1.0, "min_loss": 0.9}])
    >>> [(r["k"], r["reached"], r["median_steps"]) for r in c]
    [(2, 2, 25.0), (6, 0, nan)]
    """
    cells: dict = {}
    needed = ("k", "n", "steps", "cap", "final_loss", "min_loss")
    for r in students:
        missing = [key for key in needed if key not in r]
        if missing:
            raise ValueError(f"a record of students lacks {missing}; give the records of per_student(rows)")
        rec = dict(r, steps=_nan_if_none(r["steps"]))
        cells.setdefault((int(r["k"]), int(r["n"])), []).append(rec)
    if not cells:
        raise ValueError("students is empty: there is no cell to summarise")
    return [_summarise_cell(k, n, cells[k, n]) for k, n in sorted(cells)]
