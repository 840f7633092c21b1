"""Torch helpers the chapters share: a thread-count context and the ReLU network's second moment.

Importing this module imports torch.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import torch

from .._checks import check_int
from ._base import MAX_THREADS

__all__ = ["torch_threads", "relu_second_moment"]

# torch computes contiguous float unary ops (tanh, erf, exp, log, sqrt, ...) with the VML of the oneMKL linked
# into its CPU build (2024.2 in torch 2.13), each thread on its chunk, asking for the high-accuracy kernel.  That
# oneMKL picks each function's kernel on the function's first call, and when several threads make that first call
# at once, one of them can run the low-accuracy kernel on its whole chunk (about 1000 ulp; pytorch/pytorch#188792,
# fixed in oneMKL 2025).  A fresh process on a loaded machine is exposed on its first sizable op: the likely cause
# of the one failure of tests/test_batched.py's float32 f_S test (tanh, 4.3e-4 against 2e-5).  One call on one
# element per function and dtype, in one thread, settles every dispatch before any concurrent use; later results
# are those of the high-accuracy kernel, bit for bit.
_VML_OPS = (
    "abs", "acos", "asin", "atan", "cos", "cosh", "erf", "erfc", "erfinv", "exp", "expm1", "lgamma", "log",
    "log10", "log1p", "log2", "reciprocal", "rsqrt", "sigmoid", "sin", "sinh", "sqrt", "tan", "tanh",
)  # fmt: skip


def _settle_vml_dispatch() -> None:
    """Call each VML-backed torch op once on one element (float32 and float64), in this thread."""
    with torch.no_grad():
        for dtype in (torch.float32, torch.float64):
            x = torch.full((1,), 0.5, dtype=dtype)
            for name in _VML_OPS:
                getattr(torch, name)(x)


_settle_vml_dispatch()  # at import: the engine (and so every trainer and torch_target_values) imports this module


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
