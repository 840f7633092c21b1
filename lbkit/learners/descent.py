"""Chapter 5's gradient descent against the adversary's candidates: the descent, and the exact losses.

The student is a bias-free ReLU network; its second moment comes from :mod:`lbkit.learners.relu_network`.
Importing this module imports torch.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .._checks import check_callable, check_int, check_real
from .relu_network import relu_second_moment

__all__ = ["adversarial_descent", "candidate_losses"]


def _check_game_student(game, W, a):
    """The game (an AdversaryGame with ReLU-family targets) and the student's weights (p, game.n), (p,), finite."""
    from .._checks import check_finite, check_real_array
    from ..adversary import AdversaryGame

    if not isinstance(game, AdversaryGame):
        raise TypeError(f"game must be an lbkit.AdversaryGame, got {type(game).__name__}")
    W = check_real_array(W, "W", allow_bool=False)
    a = check_real_array(a, "a", allow_bool=False)
    if W.ndim != 2 or W.shape[1] != game.n or a.shape != (W.shape[0],):
        raise ValueError(f"W must have shape (p, game.n) = (p, {game.n}) and a shape (p,), got {W.shape} and {a.shape}")
    if W.shape[0] == 0:
        raise ValueError("W and a are empty: the student needs at least one unit (p >= 1)")
    check_finite(W, "W"), check_finite(a, "a")


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
        If ``game`` is not an :class:`lbkit.AdversaryGame`, ``W`` or ``a`` is not a real
        array, ``steps`` is not an integer, ``lr`` not a real number or ``callback`` not callable.
    ValueError
        If the shapes do not fit the game, an entry is not finite, ``steps < 0``,
        ``lr <= 0`` or a step overflows float64; as for :meth:`lbkit.AdversaryGame.ask_gradient`.

    Examples
    --------
    >>> from lbkit import AdversaryGame
    >>> from lbkit.adversary import random_student
    >>> game = AdversaryGame(8, 2, "relu", tau=0.1)
    >>> W, a = adversarial_descent(game, *random_student(8, 3, rng=0), steps=5)
    >>> game.n_queries_ <= 5 * 3 * 9
    True
    """
    _check_game_student(game, W, a)
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
        if not (bool(torch.isfinite(Wt).all()) and bool(torch.isfinite(at).all())):
            raise ValueError(
                f"a step overflows float64 from W with entries up to {np.max(np.abs(W_np)):g} and a up to "
                f"{np.max(np.abs(a_np)):g} in absolute value, with lr={lr:g}; rescale them or take a smaller lr"
            )
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
        If ``game`` is not an :class:`lbkit.AdversaryGame`, or ``W`` or ``a`` is not a real array.
    ValueError
        If the game's activation is not the ReLU, the shapes do not fit the game, an entry
        is not finite, or :math:`\\mathbb E[h^2]` overflows float64; as for
        :meth:`lbkit.AdversaryGame.gradient_correlations`.

    Examples
    --------
    >>> from lbkit import AdversaryGame
    >>> losses, inner, h2 = candidate_losses(AdversaryGame(4, 2, "relu"), np.eye(4)[:1], np.ones(1))
    >>> losses.shape, round(h2, 12)      # E[relu(x_1)^2] = 1/2
    ((6,), 0.5)
    """
    _check_game_student(game, W, a)
    if game.activation.name != "relu":
        raise ValueError(f"candidate_losses needs a game with ReLU targets, got {game.activation.name!r}")
    _, corr = game.gradient_correlations(W, a)
    W, a = np.asarray(W, dtype=np.float64), np.asarray(a, dtype=np.float64)
    inner = corr[:, :, game.n] @ (a * np.linalg.norm(W, axis=1) / math.sqrt(2))  # <h, f_S>
    h2 = relu_second_moment(torch.tensor(W), torch.tensor(a)).item()
    if not math.isfinite(h2):
        raise ValueError(
            f"E[h^2] overflows float64 for W with entries up to {np.max(np.abs(W)):g} and a up to "
            f"{np.max(np.abs(a)):g} in absolute value; rescale them"
        )
    return h2 - 2 * inner + 1, inner, h2
