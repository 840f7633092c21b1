"""Sweeps over experiment grids with a process pool, deterministic whatever the pool size.

Each grid point gets its own seed, derived from the sweep's seed and the
point's index with :class:`numpy.random.SeedSequence`, so a result never
depends on which worker ran it or on how many workers there were.  Workers
run torch with one thread each (measured faster on 2 cores than one process
with two threads, because small networks are dominated by Python overhead).

The function a sweep runs must be importable by the workers (defined in a
module, not in a notebook): :func:`gd_cell` is the one the book uses.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ._checks import check_int

__all__ = ["grid", "sweep", "gd_cell"]


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
        If no axis is given.
    TypeError
        If an axis is a string or not iterable.

    Examples
    --------
    >>> grid(n=[8, 16], k=[2])
    [{'n': 8, 'k': 2}, {'n': 16, 'k': 2}]
    """
    if not axes:
        raise ValueError("grid needs at least one axis, e.g. grid(n=[8, 16], k=[2, 4])")
    names = list(axes)
    for name, values in axes.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"axis {name!r} must be a list of values, got {values!r}")
    return [dict(zip(names, combo)) for combo in itertools.product(*(list(axes[k]) for k in names))]


def _init_worker():
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover - torch is installed with the book
        pass


def _run_one(args):
    fn, params, seed_entropy = args
    rng = np.random.default_rng(np.random.SeedSequence(seed_entropy))
    out = fn(rng=rng, **params)
    if not isinstance(out, dict):
        raise TypeError(f"{getattr(fn, '__name__', fn)} must return a dict of results, got {type(out).__name__}")
    return {**params, **out}


def sweep(fn, points, *, seed: int, n_workers: int = 2, progress: bool = False):
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
        Worker processes (``1`` runs in this process, without a pool).
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    list of dict
        One row per point, in the order of ``points``: the point's parameters
        followed by ``fn``'s results.

    Raises
    ------
    TypeError
        If ``seed`` or ``n_workers`` is not an integer, ``points`` is not a
        list of dicts, or ``fn`` does not return a dict.
    ValueError
        If ``seed < 0`` or ``n_workers < 1``.
    """
    seed = check_int(seed, "seed", minimum=0)
    n_workers = check_int(n_workers, "n_workers", minimum=1)
    points = list(points)
    if not all(isinstance(p, dict) for p in points):
        raise TypeError("points must be a list of dicts of keyword arguments (see lbkit.experiments.grid)")
    jobs = [(fn, p, [seed, i]) for i, p in enumerate(points)]
    bar = None
    if progress:
        from tqdm import tqdm  # text bars: identical output with or without ipywidgets

        bar = tqdm(total=len(jobs), desc="sweep", leave=False)
    results = []
    if n_workers == 1:
        for job in jobs:
            results.append(_run_one(job))
            if bar is not None:
                bar.update(1)
    else:
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=n_workers, mp_context=mp.get_context("spawn"),
                                 initializer=_init_worker) as pool:
            for row in pool.map(_run_one, jobs):
                results.append(row)
                if bar is not None:
                    bar.update(1)
    if bar is not None:
        bar.close()
    return results


def gd_cell(n, k, activation="relu", *, rng, max_steps=20_000, target_loss=0.5, width=256, lr=3e-3,
            batch_size=256, optimizer="adam", noise=0.0, eval_every=100, **gd_kwargs):
    """Train a two-layer student on the normalised :math:`f_S`, :math:`S = \\{0,\\dots,k-1\\}`, until the test loss drops below ``target_loss``.

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
        If the parity rule makes :math:`f_S \\equiv 0` for this ``k`` (the
        normalised target does not exist), or for any argument
        ``GDRegressor`` or ``orthogonal_network`` refuses.
    TypeError
        For an argument of the wrong type (see ``GDRegressor.fit``).
    """
    from .family import orthogonal_network
    from .learners import GDRegressor

    target = orthogonal_network(n, range(k), activation, normalized=True)
    gd = GDRegressor(width=width, lr=lr, batch_size=batch_size, optimizer=optimizer, noise=noise,
                     max_steps=max_steps, eval_every=eval_every, target_loss=target_loss, rng=rng, **gd_kwargs)
    gd.fit(target)
    steps = gd.steps_to_target_
    return {"steps": steps, "samples": None if steps is None else steps * batch_size,
            "final_loss": float(gd.test_loss_), "min_loss": float(np.min(gd.history_["test_loss"]))}
