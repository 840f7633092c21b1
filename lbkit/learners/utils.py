"""Torch helpers the chapters share: a thread-count context, the ReLU network's second moment and the
spread of a student's minibatch gradient.

Importing this module imports torch.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np
import torch

from .._checks import check_callable, check_int
from ._base import MAX_THREADS

__all__ = ["torch_threads", "relu_second_moment", "minibatch_gradient_sd"]


def torch_threads(k: int):
    """Run a block with ``torch.set_num_threads(k)``, restoring the previous count on exit.

    Parameters
    ----------
    k : int
        Number of intra-op threads, ``1 <= k <= 256`` (``MAX_THREADS``).

    Raises
    ------
    TypeError
        If ``k`` is not an integer.
    ValueError
        If ``k`` is outside ``[1, 256]``.

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    return _threads(check_int(k, "k", minimum=1, maximum=MAX_THREADS))  # checked now, not when entered


@contextmanager
def _threads(k: int):
    prev = torch.get_num_threads()
    torch.set_num_threads(k)
    try:
        yield
    finally:
        torch.set_num_threads(prev)


def relu_second_moment(W: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """:math:`\\mathbb E[h(x)^2]` for :math:`h(x) = \\sum_j a_j\\,\\mathrm{relu}(w_j\\cdot x)` under :math:`N(0, I_n)`.

    In closed form through the ReLU's dual kernel,
    :math:`\\mathbb E[\\mathrm{relu}(u\\cdot x)\\,\\mathrm{relu}(v\\cdot x)] = \\|u\\|\\|v\\|
    \\bigl(\\sqrt{1-\\rho^2} + (\\pi - \\arccos\\rho)\\rho\\bigr)/(2\\pi)` with
    :math:`\\rho = \\cos\\angle(u, v)` (:math:`1/2` on the diagonal), and
    differentiable in ``W`` and ``a`` (torch autograd).

    Parameters
    ----------
    W : torch.Tensor of shape (width, n)
        Hidden weights, no zero row.
    a : torch.Tensor of shape (width,)
        Output weights, of the same dtype.

    Returns
    -------
    torch.Tensor
        A 0-d tensor.

    Raises
    ------
    TypeError
        If ``W`` or ``a`` is not a torch tensor.
        If ``W`` and ``a`` are not floating-point tensors of one dtype.
    ValueError
        If the shapes do not match ``(width, n)`` and ``(width,)``, an entry is
        not finite, or a row of ``W`` is zero (or its norm overflows).

    Examples
    --------
    >>> W = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    >>> round(float(relu_second_moment(W, torch.tensor([1.0, 1.0], dtype=torch.float64))), 12)   # 5/2 + 2/pi
    3.136619772368
    """
    if not isinstance(W, torch.Tensor) or not isinstance(a, torch.Tensor):
        raise TypeError(f"W and a must be torch tensors, got {type(W).__name__} and {type(a).__name__}")
    if W.ndim != 2 or a.shape != (W.shape[0],):
        raise ValueError(
            f"W must have shape (width, n) and a shape (width,), got {tuple(W.shape)} and {tuple(a.shape)}"
        )
    if not (W.is_floating_point() and a.dtype == W.dtype):
        raise TypeError(f"W and a must be floating-point tensors of one dtype, got {W.dtype} and {a.dtype}")
    if not (bool(torch.isfinite(W).all()) and bool(torch.isfinite(a).all())):
        raise ValueError("W and a must be finite (they hold NaN or infinite entries)")
    norms = W.norm(dim=1)
    if not bool((norms > 0).all()) or not bool(torch.isfinite(norms).all()):
        raise ValueError("every row of W must be non-zero, with a norm inside the dtype's range")
    U = W / norms[:, None]
    off = ~torch.eye(len(a), dtype=torch.bool)
    rho = torch.where(off, U @ U.T, torch.zeros(())).clamp(-1.0, 1.0)
    K = (torch.sqrt(1 - rho**2) + (math.pi - torch.arccos(rho)) * rho) / (2 * math.pi)  # dual kernel
    K = torch.where(off, K, 0.5)  # K(1) = 1/2
    return a @ (norms[:, None] * norms[None, :] * K) @ a


def minibatch_gradient_sd(target, n: int, *, width: int = 256, batch_size: int = 256, n_batches: int = 200, rng: int):
    """Per-coordinate standard deviation of a student's minibatch gradient at initialisation.

    A :class:`~lbkit.learners.TwoLayerNet` of the given width, initialised from
    ``torch.Generator().manual_seed(rng)``, is held fixed; for each of
    ``n_batches`` fresh minibatches of ``batch_size`` Gaussian inputs (drawn
    with ``numpy.random.default_rng(rng)``) the gradient of the square loss
    :math:`\\frac1b\\sum_i (h(x_i) - f(x_i))^2` with respect to all parameters is
    computed, and the standard deviation (``ddof=1``) of every coordinate over
    the minibatches is returned: the noise that minibatch sampling adds to a
    gradient step.  Run it inside ``torch_threads(1)`` for the float32 results
    of a one-thread training run.

    Parameters
    ----------
    target : callable
        ``target(X)`` maps an array of shape (N, n) to the labels, shape (N,).
    n : int
        Input dimension, ``>= 1``.
    width : int, default 256
        Hidden units of the student.
    batch_size : int, default 256
        Minibatch size, ``>= 1``.
    n_batches : int, default 200
        Number of minibatches, ``>= 2``.
    rng : int
        Seed (keyword-only, required) of the initialisation and of the inputs.

    Returns
    -------
    ndarray of shape (width * (n + 2) + 1,)
        The standard deviations, coordinate by coordinate, in the order of
        ``TwoLayerNet.parameters()``: ``W`` (row by row), ``b``, ``a``, ``c``.

    Raises
    ------
    TypeError
        If ``target`` is not callable or an integer argument is not an integer.
    ValueError
        If ``n``, ``width`` or ``batch_size`` is below 1, ``n_batches`` below 2
        or ``rng`` negative.

    Examples
    --------
    >>> sd = minibatch_gradient_sd(lambda X: X[:, 0], 3, width=4, batch_size=8, n_batches=5, rng=0)
    >>> sd.shape
    (21,)
    """
    from ..distributions import sample
    from ._net import TwoLayerNet

    check_callable(target, "target")
    n, width = check_int(n, "n", minimum=1), check_int(width, "width", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    n_batches, rng = check_int(n_batches, "n_batches", minimum=2), check_int(rng, "rng", minimum=0)
    model = TwoLayerNet(n, width, generator=torch.Generator().manual_seed(rng))
    draws = np.random.default_rng(rng)
    grads = []
    for _ in range(n_batches):
        X = sample("gaussian", batch_size, n, draws)
        Xt, yt = torch.from_numpy(X).float(), torch.from_numpy(np.asarray(target(X), float)).float()
        model.zero_grad()
        torch.mean((model(Xt) - yt) ** 2).backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]).numpy().astype(float))
    return np.std(grads, axis=0, ddof=1)
