"""What lbkit's estimators share: one repr rule, and the hyperparameters of the gradient-descent trainers.

:func:`estimator_repr` is the repr of every estimator (the parameters that
differ from their defaults, and always those without a default and the
``rng``, as scikit-learn does).  :class:`GDParams` stores and checks the
hyperparameters that :class:`~lbkit.learners.GDRegressor` and
:class:`~lbkit.learners.BatchedGDRegressor` have in common, so that both are
checked by the same code and with the same messages.  This module does not
import torch.
"""

from __future__ import annotations

import inspect
import math
import os
import re

import numpy as np

from .._checks import check_bool, check_choice, check_int, check_real
from ..activation_library import BUILTIN_ACTIVATIONS, get_activation
from ..distributions import DISTRIBUTIONS

#: Student activations the trainers know: the built-ins whose record's torch twin can be a student.
STUDENT_ACTIVATIONS = tuple(
    name
    for name in BUILTIN_ACTIVATIONS
    if get_activation(name).torch_twin is not None and get_activation(name).torch_twin.can_be_student
)
LOSSES = ("square", "logistic")
OPTIMIZERS = ("adam", "sgd")
#: Most torch threads a trainer may ask for (more threads than this is a mistake, not a speed-up).
MAX_THREADS = 256


def _is_default(value, default) -> bool:
    """Whether a parameter still has its default value (a sequence never has)."""
    if default is inspect.Parameter.empty or isinstance(value, (list, tuple, np.ndarray)):
        return False
    try:
        return bool(value == default) and isinstance(value, bool) == isinstance(default, bool)
    except (TypeError, ValueError):  # pragma: no cover - an exotic value: show it
        return False


def estimator_repr(est, extra: str = "") -> str:
    """``Name(p=value, ...)``: the parameters that differ from their defaults, those without one, and the rng.

    ``extra`` (e.g. fitted sizes) is appended after the parameters.
    """
    params = inspect.signature(type(est).__init__).parameters
    shown = [
        f"{k}={getattr(est, k)!r}"
        for k, p in params.items()
        if k != "self" and (k == "rng" or not _is_default(getattr(est, k), p.default))
    ]
    return f"{type(est).__name__}(" + ", ".join(shown + ([extra] if extra else [])) + ")"


def _check_int_or_seq(value, name):
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) == 0:
            raise ValueError(f"{name} is an empty sequence; give an integer or one integer per student")
        for v in value:
            check_int(v, f"every entry of {name}", minimum=1)
        return
    check_int(value, name, minimum=1)


class GDParams:
    """The hyperparameters of the gradient-descent trainers: stored by ``__init__``, checked by ``_validate``."""

    def __init__(
        self,
        *,
        width=256,
        activation="relu",
        loss="square",
        optimizer="adam",
        lr=3e-3,
        momentum=0.0,
        batch_size=256,
        max_steps=5000,
        n_train=None,
        noise=0.0,
        distribution="gaussian",
        n_test=4096,
        eval_every=50,
        target_loss=None,
        num_threads=1,
        progress=False,
        rng=None,
        max_fit_bytes=None,
    ):
        self.width = width
        self.activation = activation
        self.loss = loss
        self.optimizer = optimizer
        self.lr = lr
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_steps = max_steps
        self.n_train = n_train
        self.noise = noise
        self.distribution = distribution
        self.n_test = n_test
        self.eval_every = eval_every
        self.target_loss = target_loss
        self.num_threads = num_threads
        self.progress = progress
        self.rng = rng
        self.max_fit_bytes = max_fit_bytes

    def __repr__(self):
        return estimator_repr(self)

    def _validate(self) -> None:
        """Check every hyperparameter, naming what was given and what is allowed."""
        check_int(self.width, "width", minimum=1)
        check_choice(self.activation, "activation (of the student)", STUDENT_ACTIVATIONS)
        check_choice(self.loss, "loss", LOSSES)
        check_choice(self.optimizer, "optimizer", OPTIMIZERS)
        check_real(self.lr, "lr", minimum=0, min_open=True)
        check_real(self.momentum, "momentum", minimum=0, maximum=1, max_open=True)
        check_int(self.batch_size, "batch_size", minimum=1)
        _check_int_or_seq(self.max_steps, "max_steps")
        if self.n_train is not None:
            check_int(self.n_train, "n_train", minimum=1)
        check_real(self.noise, "noise", minimum=0)
        check_choice(self.distribution, "distribution", DISTRIBUTIONS)
        check_int(self.n_test, "n_test", minimum=1)
        _check_int_or_seq(self.eval_every, "eval_every")
        if self.target_loss is not None:
            check_real(self.target_loss, "target_loss", minimum=0, min_open=True)
        check_int(self.num_threads, "num_threads", minimum=1, maximum=MAX_THREADS)
        check_bool(self.progress, "progress")
        if self.max_fit_bytes is not None:
            memory_limit(self.max_fit_bytes)  # a clear error for "64 GB of RAM" or -1, before any work


# -- the memory a fit may plan to allocate (checked with the hyperparameters, used by the engine) --------------
_MEMORY_LIMIT = 4 * 2**30  # bytes a fit may plan to allocate by default (the book's machines have 8 GiB and more)
MEMORY_ENV = "LBKIT_MAX_FIT_BYTES"  # environment variable that raises (or lowers) the default on a big node


def _parse_bytes(value, source: str) -> int:
    """A positive number of bytes from an int or a string such as ``"64e9"``, ``"64 GiB"`` or ``"512M"``."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{source} must be a number of bytes, got {value!r}")
    if isinstance(value, (int, np.integer)):
        number = int(value)
    elif isinstance(value, (float, np.floating)) and math.isfinite(value):
        number = int(value)
    elif isinstance(value, str):
        match = re.fullmatch(
            r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([KMGT]i?B?|B)?\s*", value, flags=re.IGNORECASE
        )
        if match is None:
            raise ValueError(
                f"{source} = {value!r} is not a number of bytes; give an integer such as 68719476736, "
                f"a float such as 64e9, or a size such as '64 GiB', '512MB', '2T'"
            )
        unit = (match.group(2) or "B").upper().rstrip("B") or "B"
        scale = {
            "B": 1,
            "K": 10**3,
            "M": 10**6,
            "G": 10**9,
            "T": 10**12,
            "KI": 2**10,
            "MI": 2**20,
            "GI": 2**30,
            "TI": 2**40,
        }[unit]
        number = int(float(match.group(1)) * scale)
    else:
        raise TypeError(f"{source} must be a number of bytes (a number or a string such as '64 GiB'), got {value!r}")
    if number < 1:
        raise ValueError(f"{source} must be a positive number of bytes, got {value!r}")
    return number


def memory_limit(max_fit_bytes=None) -> int:
    """Bytes a fit may plan to allocate.

    ``max_fit_bytes`` when given; else the environment variable ``LBKIT_MAX_FIT_BYTES`` when set; else
    4 GiB, or half the physical memory if that is less.  An explicit limit is taken as given (a big node
    may allow 200 GiB): the caller knows the machine.
    """
    if max_fit_bytes is not None:
        return _parse_bytes(max_fit_bytes, "max_fit_bytes")
    env = os.environ.get(MEMORY_ENV)
    if env is not None and env.strip():
        return _parse_bytes(env, f"the environment variable {MEMORY_ENV}")
    try:
        phys = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return _MEMORY_LIMIT
    return int(min(_MEMORY_LIMIT, phys // 2))
