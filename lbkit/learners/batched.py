"""M independent two-layer students trained as one tensor program (``torch.baddbmm``).

:class:`BatchedGDRegressor` trains students that differ in their seed and in
their target (every target has the same input dimension ``n``) in one loop,
the engine of :mod:`lbkit.learners._engine` that :class:`GDRegressor` runs
with one student: student ``i`` follows the same trajectory it would follow
alone (tested against :class:`GDRegressor`): bit for bit where the batched
products round as the single ones do (x86 with MKL, widths that are multiples
of 16; see :mod:`lbkit.learners._engine`), up to float rounding otherwise.  A student
leaves the program as soon as it reaches ``target_loss`` or its own step cap,
so a stalled student costs only its cap and the others stop paying for the
finished ones.
"""

from __future__ import annotations

import numpy as np
import torch

from .._checks import check_fitted, check_float32_inputs, check_predictions, check_X
from ..distributions import as_rng
from ..stats import History
from ._base import GDParams
from ._engine import input_dimension, train
from ._net import TwoLayerNet

__all__ = ["BatchedGDRegressor"]


class BatchedGDRegressor(GDParams):
    """Train M independent two-layer students by gradient descent as one tensor program.

    Student ``i`` is trained on ``targets[i]`` with seed ``rng[i]`` exactly as
    ``GDRegressor(rng=rng[i], **params).fit(targets[i])`` would train it: bit
    for bit where the batched products round as the plain ones do, up to float
    rounding otherwise (batched instead of plain matrix products); all students
    share the hyperparameters, except that ``max_steps`` and ``eval_every``
    may be given per student.

    Parameters
    ----------
    width, activation, loss, optimizer, lr, momentum, batch_size
        As for :class:`lbkit.learners.GDRegressor`.
    n_train, noise, distribution, n_test, target_loss, num_threads, progress, max_fit_bytes
        As for :class:`lbkit.learners.GDRegressor`.
    max_steps : int or sequence of int, default 5000
        Step cap, for all students or one per student.  A student stops at its
        cap or as soon as its test loss falls below ``target_loss``.
    eval_every : int or sequence of int, default 50
        Steps between test-loss evaluations, for all or per student.
    rng : int, numpy.random.Generator or sequence of them
        Required.  One seed or generator per student (a sequence as long as
        the list of targets), or a single one from which the students' seeds
        are spawned (``numpy.random.Generator.spawn``).

    Attributes
    ----------
    n_students_ : int
    models_ : list of TwoLayerNet
        The trained students (at the step each one stopped).
    history_ : list of lbkit.stats.History
        One per student, in the format of ``GDRegressor.history_`` (see
        :class:`~lbkit.stats.History`).
    steps_to_target_ : list of int or None
        Per student: the first evaluated step with test loss below
        ``target_loss`` (None if not reached).
    test_loss_ : ndarray of shape (M,)
        Final test loss of each student.

    Examples
    --------
    >>> import lbkit
    >>> fs = [lbkit.orthogonal_network(8, range(k), "relu", normalized=True) for k in (2, 2, 4)]
    >>> bgd = BatchedGDRegressor(width=32, max_steps=100, rng=[0, 1, 2]).fit(fs)
    >>> bgd.n_students_, bgd.test_loss_.shape
    (3, (3,))
    """

    def _rngs(self, M):
        r = self.rng
        if r is None:
            raise TypeError(
                "rng is required: pass a seed, a numpy Generator, or one of them per student "
                "(lbkit keeps randomness explicit)"
            )
        if isinstance(r, (list, tuple)):
            if len(r) != M:
                raise ValueError(
                    f"rng has {len(r)} entries for {M} targets; give one seed per student or a single seed"
                )
            for x in r:
                if x is None:
                    raise TypeError("rng has an entry None; every student needs a seed or a numpy Generator")
                as_rng(x)  # validates each entry: a seed, a SeedSequence or a Generator
            return list(r)
        return as_rng(r).spawn(M)

    def fit(self, targets, n: int | None = None):
        """Train one student per target.

        Parameters
        ----------
        targets : sequence of callables
            Each maps inputs of shape (N, n) to labels of shape (N,), all with
            the same ``n`` (e.g. :class:`lbkit.OrthogonalNetwork` objects,
            which are evaluated in torch on the minibatches).
        n : int, optional
            Input dimension; taken from the targets' ``n`` when omitted.

        Returns
        -------
        self : BatchedGDRegressor
            Fitted: ``models_``, ``history_``, ``steps_to_target_`` and
            ``test_loss_`` hold one entry per student.

        Raises
        ------
        TypeError
            If ``rng`` is missing or of the wrong type, ``targets`` is not a
            sequence of callables, or a hyperparameter has the wrong type.
        ValueError
            If ``targets`` is empty, the targets disagree on ``n``, a
            hyperparameter is out of range, a per-student sequence has the
            wrong length, the fit would need more memory than allowed, or a
            target is zero, non-finite or of the wrong shape (see
            ``GDRegressor.fit``).
        """
        self._validate()
        if callable(targets) or isinstance(targets, (str, bytes)) or not hasattr(targets, "__len__"):
            raise TypeError(f"targets must be a sequence of callables (one per student), got {targets!r}")
        targets = list(targets)
        if not targets:
            raise ValueError("targets is empty; give one target per student")
        for t in targets:
            if not callable(t):
                raise TypeError(f"every target must be callable on arrays of shape (N, n), got {t!r}")
        n = input_dimension(targets, n)
        rngs = self._rngs(len(targets))
        final, hist, to_target = train(self, targets, n, rngs)
        self.n_students_ = len(targets)
        self.models_ = [TwoLayerNet.from_params(n, self.width, self.activation, f) for f in final]
        self.history_ = [History(**h) for h in hist]
        self.steps_to_target_ = to_target
        self.test_loss_ = np.array([h["test_loss"][-1] for h in self.history_])
        return self

    def predict(self, X) -> np.ndarray:
        """Outputs of every student on ``X`` of shape (N, n); returns shape (M, N)."""
        check_fitted(self, "models_", "fit(targets)")
        X = check_float32_inputs(check_X(X, self.models_[0].n))
        Xt = torch.from_numpy(np.asarray(X, dtype=float)).float()
        with torch.no_grad():
            out = np.stack([model(Xt).numpy().astype(float) for model in self.models_])
        return check_predictions(out, X)
