"""Torch helpers the chapters share: a thread-count context, the ReLU network's second moment and
gradient descent against the adversary of the lower bound.

Importing this module imports torch.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np
import torch

from .._checks import check_callable, check_int, check_real
from ._base import MAX_THREADS

__all__ = ["torch_threads", "relu_second_moment", "adversarial_descent", "candidate_losses"]


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


def adversarial_descent(game, W, a, steps: int, lr: float = 0.2, callback=None):
    """Gradient descent on the square loss, every gradient's correlational part asked from the adversary.

    The student :math:`h(x) = \\sum_j a_j\\,\\mathrm{relu}(w_j\\cdot x)` takes the step
    :math:`\\theta \\leftarrow \\theta - \\eta\\,(2\\,\\mathbb E[h\\nabla h] - 2\\,\\mathbb E[y\\nabla h])`:
    the label-free part in closed form (:func:`relu_second_moment`), the
    correlational part from the game (:meth:`lbkit.AdversaryGame.ask_gradient`,
    :math:`p(n+1)` queries per step, answered 0 and rescaled by
    :meth:`lbkit.AdversaryGame.gradient_norms`).  It stops early when no candidate
    is consistent.

    Parameters
    ----------
    game : lbkit.AdversaryGame
        A game with ReLU targets; its counts and ``history`` advance.
    W : ndarray of shape (p, n)
        Initial hidden weights (copied; float64).
    a : ndarray of shape (p,)
        Initial output weights.
    steps : int
        Largest number of steps, ``steps >= 0``.
    lr : float, default 0.2
        Step size :math:`\\eta > 0`.
    callback : callable, optional
        Called as ``callback(W, a)`` with the weights (numpy copies) at which each
        gradient was asked, after the game has answered it.

    Returns
    -------
    W : ndarray of shape (p, n)
    a : ndarray of shape (p,)
        The weights after the last step.

    Raises
    ------
    TypeError
        If ``steps`` is not an integer, ``lr`` not a real number or ``callback`` not callable.
    ValueError
        If ``steps < 0`` or ``lr <= 0``; as for :meth:`lbkit.AdversaryGame.ask_gradient`.

    Examples
    --------
    >>> from lbkit import AdversaryGame
    >>> from lbkit.adversary import random_student
    >>> game = AdversaryGame(8, 2, "relu", tau=0.1)
    >>> W, a = adversarial_descent(game, *random_student(8, 3, rng=0), steps=5)
    >>> game.n_queries_ <= 5 * 3 * 9
    True
    """
    steps = check_int(steps, "steps", minimum=0)
    lr = check_real(lr, "lr", minimum=0, min_open=True)
    if callback is not None:
        check_callable(callback, "callback")
    Wt = torch.tensor(np.asarray(W, dtype=np.float64), requires_grad=True)
    at = torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)
    n = Wt.shape[1]
    for _ in range(steps):
        if game.n_consistent == 0:
            break
        W_np, a_np = Wt.detach().numpy().copy(), at.detach().numpy().copy()
        answers = game.ask_gradient(W_np, a_np)  # (p, n + 1): all 0
        if callback is not None:
            callback(W_np, a_np)
        correlational = torch.tensor(2 * game.gradient_norms(W_np, a_np) * answers)  # 2 E[y d_j h], as reported
        gW, ga = torch.autograd.grad(relu_second_moment(Wt, at), (Wt, at))
        with torch.no_grad():
            Wt -= lr * (gW - correlational[:, :n])
            at -= lr * (ga - correlational[:, n])
    return Wt.detach().numpy(), at.detach().numpy()


def candidate_losses(game, W, a):
    """The square loss of a ReLU student against every consistent candidate of a game, exactly.

    For :math:`h(x) = \\sum_j a_j\\,\\mathrm{relu}(w_j\\cdot x)` and the normalised targets
    :math:`\\hat f_S`, :math:`\\|h - \\hat f_S\\|^2 = \\mathbb E[h^2] - 2\\langle h, \\hat f_S\\rangle + 1`,
    with :math:`\\mathbb E[h^2]` from :func:`relu_second_moment` and
    :math:`\\langle h, \\hat f_S\\rangle = \\sum_j a_j\\,\\langle\\mathrm{relu}(w_j\\cdot x), \\hat f_S\\rangle`
    from the output-weight coordinates of :meth:`lbkit.AdversaryGame.gradient_correlations`
    (normalised by :math:`\\|w_j\\|/\\sqrt2`). The game is only read.

    Parameters
    ----------
    game : lbkit.AdversaryGame
        A game with ReLU targets (at most ``max_enumerated`` candidates).
    W : ndarray of shape (p, n)
        Hidden weights, no zero row.
    a : ndarray of shape (p,)
        Output weights, no zero entry.

    Returns
    -------
    losses : ndarray of shape (r,)
        :math:`\\|h - \\hat f_S\\|^2` for the consistent candidates, in the order of their ranks.
    inner : ndarray of shape (r,)
        :math:`\\langle h, \\hat f_S\\rangle`.
    h2 : float
        :math:`\\mathbb E[h^2]`.

    Raises
    ------
    TypeError
        If ``game`` has no ``gradient_correlations`` (not an :class:`lbkit.AdversaryGame`).
    ValueError
        If the game's activation is not the ReLU; as for
        :meth:`lbkit.AdversaryGame.gradient_correlations`.

    Examples
    --------
    >>> from lbkit import AdversaryGame
    >>> losses, inner, h2 = candidate_losses(AdversaryGame(4, 2, "relu"), np.eye(4)[:1], np.ones(1))
    >>> losses.shape, round(h2, 12)      # E[relu(x_1)^2] = 1/2
    ((6,), 0.5)
    """
    if not hasattr(game, "gradient_correlations"):
        raise TypeError(f"game must be an lbkit.AdversaryGame, got {type(game).__name__}")
    if game.activation.name != "relu":
        raise ValueError(f"candidate_losses needs a game with ReLU targets, got {game.activation.name!r}")
    _, corr = game.gradient_correlations(W, a)
    W, a = np.asarray(W, dtype=np.float64), np.asarray(a, dtype=np.float64)
    inner = corr[:, :, game.n] @ (a * np.linalg.norm(W, axis=1) / math.sqrt(2))  # <h, f_S>
    h2 = relu_second_moment(torch.tensor(W), torch.tensor(a)).item()
    return h2 - 2 * inner + 1, inner, h2
