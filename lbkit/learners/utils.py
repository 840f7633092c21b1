"""General torch utilities: a thread-count context, and the one-time settling of MKL's vector-math dispatch.

Importing this module imports torch and settles that dispatch (the engine, and so every trainer, imports it).
"""

from __future__ import annotations

from contextlib import contextmanager

import torch

from .._checks import check_int
from ._base import MAX_THREADS

__all__ = ["torch_threads"]

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
