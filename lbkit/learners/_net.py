"""The two-layer student network: its one initialisation and its forward pass."""

from __future__ import annotations

import math

import torch

from .._checks import check_budget, check_choice, check_int
from ..activation_library import get_activation
from ._base import STUDENT_ACTIVATIONS

__all__ = ["TwoLayerNet", "init_params", "forward_stacked"]


def init_params(n: int, width: int, generator: torch.Generator, dtype=torch.float32):
    """``(W, b, a, c)`` from PyTorch's default uniform :math:`\\pm 1/\\sqrt{\\text{fan-in}}` scheme, in this order."""

    def uniform(shape, fan_in):
        return (torch.rand(shape, generator=generator, dtype=dtype) * 2 - 1) * (1.0 / math.sqrt(fan_in))

    return uniform((width, n), n), uniform((width,), n), uniform((width,), width), uniform((), width)


def forward_stacked(W, b, a, c, X, act, Pbuf=None):
    """Hidden activations H (in place of the pre-activations) and outputs of M stacked networks.

    ``W`` (M, p, n), ``b`` (M, p), ``a`` (M, p), ``c`` (M,), ``X`` (M, N, n); ``act`` a
    :class:`~lbkit.activations.TorchTwin` with an in-place form.  The trainers' forward pass;
    :meth:`TwoLayerNet.forward` is the same map for one network (as ``X @ W.T``, whose float32
    rounding differs from the batched product in a few shapes, so the fitted models predict as before).
    The output layer is the product ``a^T H^T`` (not ``H a``): for one network the two round alike, and
    for M > 1 MKL's batched ``H a`` (a product with one column) runs a slow path, about 10 times the
    time of ``a^T H^T`` at M = 8, B = p = 256, that also rounds differently from the single product.
    """
    P = torch.baddbmm(b.unsqueeze(1), X, W.transpose(1, 2), out=Pbuf)
    return P, torch.baddbmm(c.view(-1, 1, 1), a.unsqueeze(1), act.inplace(P).transpose(1, 2)).squeeze(1)


class TwoLayerNet(torch.nn.Module):
    """A two-layer network :math:`x \\mapsto a^\\top \\mathrm{act}(Wx + b) + c`.

    Parameters
    ----------
    n : int
        Input dimension.
    width : int
        Number of hidden units.
    activation : {"relu", "tanh", "sigmoid"}, default "relu"
    generator : torch.Generator
        Source of the initialisation (PyTorch's default uniform
        :math:`\\pm 1/\\sqrt{\\text{fan-in}}` scheme).  Required: there is no
        fallback to torch's global random state.
    dtype : torch.dtype, default torch.float32

    Raises
    ------
    TypeError
        If ``generator`` is not a ``torch.Generator`` or ``n``, ``width`` are not integers.
    ValueError
        If ``n`` or ``width`` is below 1, or the activation is unknown.

    Examples
    --------
    >>> import torch
    >>> net = TwoLayerNet(3, 4, generator=torch.Generator().manual_seed(0))
    >>> net(torch.zeros(2, 3)).shape
    torch.Size([2])
    """

    def __init__(
        self, n: int, width: int, activation: str = "relu", *, generator: torch.Generator, dtype=torch.float32
    ):
        super().__init__()
        n, width = check_int(n, "n", minimum=1), check_int(width, "width", minimum=1)
        check_budget(
            width * (n + 2) * torch.empty((), dtype=dtype).element_size(),
            f"TwoLayerNet(n={n}, width={width})",
            "use a smaller n or width",
        )
        if not isinstance(generator, torch.Generator):
            raise TypeError(
                f"generator must be a torch.Generator (the source of the initialisation), got "
                f"{type(generator).__name__}; e.g. torch.Generator().manual_seed(0)"
            )
        check_choice(activation, "activation (of the student)", STUDENT_ACTIVATIONS)
        self._set(n, width, activation, init_params(n, width, generator, dtype))

    def _set(self, n, width, activation, params):
        self.n, self.width, self.activation = n, width, activation
        self._act = get_activation(activation).torch_twin.fn
        self.W, self.b, self.a, self.c = (torch.nn.Parameter(p) for p in params)

    @classmethod
    def from_params(cls, n: int, width: int, activation: str, params) -> TwoLayerNet:
        """A network holding given parameters ``(W, b, a, c)`` (copied; no initialisation is drawn)."""
        net = cls.__new__(cls)
        torch.nn.Module.__init__(net)
        net._set(n, width, activation, [torch.as_tensor(p).detach().clone() for p in params])
        return net

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """X of shape (N, n) -> outputs of shape (N,)."""
        return self._act(X @ self.W.T + self.b) @ self.a + self.c

    def extra_repr(self):
        return f"n={self.n}, width={self.width}, activation={self.activation!r}"
