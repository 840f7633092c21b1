"""Gradient descent on a two-layer student network (the only torch module of lbkit).

The student :math:`h_\\theta(x) = \\sum_{j=1}^{p} a_j\\,\\mathrm{act}(w_j\\cdot x + b_j) + c`
is trained on the square loss against a target function, with fresh samples
for every minibatch (the population setting of the paper) or a fixed training
set, by Adam or SGD (with optional momentum), optionally adding Gaussian noise
of size ``noise`` to every gradient coordinate (the statistical-query picture
of a noisy gradient oracle).
"""

from __future__ import annotations

import numpy as np
import torch

from .._checks import check_fitted, check_float32_inputs, check_predictions, check_X
from ..stats import History
from ._base import GDParams
from ._engine import input_dimension, train
from ._net import TwoLayerNet

__all__ = ["GDRegressor", "TwoLayerNet"]


class GDRegressor(GDParams):
    """Train a two-layer student by (stochastic) gradient descent on the square loss.

    Parameters
    ----------
    width : int, default 256
        Hidden units of the student.
    activation : {"relu", "tanh", "sigmoid"}, default "relu"
        Student activation.
    loss : {"square", "logistic"}, default "square"
        ``"square"``: labels :math:`y = f(x)`, loss :math:`(h - y)^2`.
        ``"logistic"``: Boolean labels :math:`y\\in\\{-1,+1\\}` drawn with
        :math:`\\mathbb E[y\\mid x] = g(x)`, where the target returns
        :math:`g(x)\\in[-1,1]`, and loss :math:`\\log(1 + e^{-y h})`.
    optimizer : {"adam", "sgd"}, default "adam"
    lr : float, default 3e-3
        Learning rate.
    momentum : float, default 0.0
        SGD momentum (ignored by Adam).
    batch_size : int, default 256
        Minibatch size.
    max_steps : int, default 5000
        Step cap.
    n_train : int or None, default None
        ``None``: a fresh minibatch from the input law at every step
        (population gradient descent).  An int: a fixed training set of that
        size, minibatches drawn from it.
    noise : float, default 0.0
        Standard deviation of Gaussian noise added to every gradient
        coordinate before each step.
    distribution : str, default "gaussian"
        Input law (see :func:`lbkit.sample`).
    n_test : int, default 4096
        Size of the fixed test set.
    eval_every : int, default 50
        Test loss is recorded every ``eval_every`` steps (and at step 0).
    target_loss : float or None, default None
        Stop as soon as the test loss falls below it.
    num_threads : int, default 1
        Torch threads during ``fit`` (one thread makes float32 results
        identical whatever the machine's thread settings); at most 256.
    progress : bool, default False
        Show a tqdm progress bar.
    rng : int or numpy.random.Generator
        Required, although the signature shows ``rng=None``: ``fit`` raises
        ``TypeError`` when it is ``None`` (lbkit keeps randomness explicit).
        Seed for everything: three independent streams are spawned from it
        for the data, the initialisation and the gradient noise; each seeds
        a ``torch.Generator``, from which the test set, the minibatches and
        the Boolean labels are drawn in torch (inputs from other
        distributions than ``"gaussian"`` come from :func:`lbkit.sample`
        with the data stream).  Same machine and seed: identical results,
        whatever the process's thread settings.
    max_fit_bytes : int, str or None, default None
        Most bytes the fit may plan to allocate (checked before any work):
        an integer or a size such as ``"64 GiB"``.  ``None``: the environment
        variable ``LBKIT_MAX_FIT_BYTES`` if set, else 4 GiB or half the
        physical memory if that is less.  Raise it on a big node.

    Notes
    -----
    The training loop is shared with :class:`BatchedGDRegressor` (one
    student): the gradient is written out by hand (checked against autograd
    in the tests), Adam and SGD are applied as ``torch.optim`` defines them,
    and an :class:`lbkit.OrthogonalNetwork` target is evaluated on the
    minibatches in float32 torch (checked equal to its float64 numpy
    evaluation to float tolerance); the test labels come from the target
    itself in float64.  Fits that would need more than ``max_fit_bytes``
    (4 GiB by default; ``width``, ``batch_size``, ``n_test``, ``n_train``)
    are refused before any work.

    Attributes
    ----------
    model_ : TwoLayerNet
    history_ : lbkit.stats.History
        The evaluations: arrays ``"step"`` (int64), ``"train_loss"`` and
        ``"test_loss"`` (float64), one entry each; :class:`~lbkit.stats.History`
        documents the format and what the two losses are.
    steps_to_target_ : int or None
        First evaluated step with test loss below ``target_loss``.
    test_loss_ : float
        Final test loss.

    Examples
    --------
    >>> import lbkit
    >>> from lbkit.learners import GDRegressor
    >>> f = lbkit.orthogonal_network(8, [0, 1], "relu", normalized=True)
    >>> gd = GDRegressor(width=64, max_steps=200, rng=0).fit(f)
    >>> gd.history_["test_loss"].shape
    (5,)
    """

    def _validate(self):
        super()._validate()
        if isinstance(self.max_steps, (list, tuple, np.ndarray)) or isinstance(
            self.eval_every, (list, tuple, np.ndarray)
        ):
            raise TypeError(
                "max_steps and eval_every of a GDRegressor are integers (per-student values are for BatchedGDRegressor)"
            )

    def fit(self, target, n: int | None = None):
        """Train on labels ``y = target(x)``.

        Parameters
        ----------
        target : callable
            Maps inputs of shape (N, n) (float64 ndarray) to labels of shape (N,),
            e.g. an :class:`lbkit.OrthogonalNetwork`.
        n : int, optional
            Input dimension; taken from ``target.n`` when omitted.

        Returns
        -------
        self : GDRegressor
            Fitted (``model_``, ``history_``, ``steps_to_target_``, ``test_loss_``).

        Raises
        ------
        TypeError
            If ``rng`` is ``None`` (the default) or not a seed or generator;
            if ``target`` is not callable; if ``n`` or an integer parameter
            (``width``, ``batch_size``, ``max_steps``, ``n_train``,
            ``n_test``, ``eval_every``, ``num_threads``) is not an integer,
            a real parameter (``lr``, ``momentum``, ``noise``,
            ``target_loss``) is not a real number, or ``distribution`` is not
            a string.
        ValueError
            If a parameter is out of range (an integer parameter below 1,
            ``lr`` or ``target_loss`` not positive, ``momentum`` or ``noise``
            negative, a non-finite real, an unknown ``loss``, ``optimizer``,
            ``activation`` or ``distribution``, a negative integer ``rng``);
            if ``n`` is omitted and ``target`` has no attribute ``n``; if the
            target returns the wrong shape or NaN or infinite values, or is
            zero up to rounding on the test set (for a vanishing
            :math:`f_S` the message says why); or, with
            ``loss="logistic"``, if the target leaves :math:`[-1, 1]`.
        """
        self._validate()
        if not callable(target):
            raise TypeError(f"target must be callable on arrays of shape (N, n), got {target!r}")
        n = input_dimension([target], n)
        if self.rng is None:
            raise TypeError("rng is required: pass a seed or a numpy Generator (lbkit keeps randomness explicit)")
        final, hist, to_target = train(self, [target], n, [self.rng])
        self.model_ = TwoLayerNet.from_params(n, self.width, self.activation, final[0])
        self.history_ = History(**hist[0])
        self.steps_to_target_ = to_target[0]
        self.test_loss_ = float(hist[0]["test_loss"][-1])
        return self

    def predict(self, X) -> np.ndarray:
        """Student outputs for inputs ``X`` of shape (N, n); returns shape (N,).

        Refuses (``ValueError``) an unfitted regressor and an ``X`` that is not a
        finite array of shape (N, n), and (``TypeError``) one that is not real.
        """
        check_fitted(self, "model_", "fit(target)")
        X = check_float32_inputs(check_X(X, self.model_.n))
        with torch.no_grad():
            out = self.model_(torch.from_numpy(np.asarray(X, dtype=float)).float()).numpy().astype(float)
        return check_predictions(out, X)
