"""Learners: gradient descent on two-layer networks (torch) and Hermite polynomial regression (numpy).

``GDRegressor``, ``BatchedGDRegressor`` (many students as one tensor program)
and ``TwoLayerNet`` need torch, which is imported only when one of them is first used,
so that ``from lbkit.learners import HermiteRegressor``
works without importing torch.
"""

from .polyreg import (
    HermiteRegressor,
    hermite_feature_count,
    hermite_features,
    hermite_multi_indices,
)

# the torch helpers, by module: .utils (a thread-count context), .relu_network (the ReLU network's second moment and
# chapter 2's functional ReLU network), .descent (chapter 5's descent against the adversary's candidates)
_UTILS = ("torch_threads",)
_RELU_NETWORK = (
    "relu_second_moment",
    "relu_net_params",
    "relu_net",
    "relu_net_loss",
    "flatten_parameters",
    "relu_net_batch_gradients",
    "relu_net_derivative_queries",
    "relu_net_gradient_spread",
)
_DESCENT = ("adversarial_descent", "candidate_losses")

__all__ = [
    "BatchedGDRegressor",
    "GDRegressor",
    "HermiteRegressor",
    "TwoLayerNet",
    "hermite_feature_count",
    "hermite_features",
    "hermite_multi_indices",
    *_UTILS,
    *_RELU_NETWORK,
    *_DESCENT,
]


def __getattr__(name):
    if name in ("GDRegressor", "TwoLayerNet"):
        from . import gd

        return getattr(gd, name)
    if name in _UTILS:
        from . import utils

        return getattr(utils, name)
    if name in _RELU_NETWORK:
        from . import relu_network

        return getattr(relu_network, name)
    if name in _DESCENT:
        from . import descent

        return getattr(descent, name)
    if name == "BatchedGDRegressor":
        from . import batched

        return batched.BatchedGDRegressor
    raise AttributeError(f"module 'lbkit.learners' has no attribute {name!r}")
