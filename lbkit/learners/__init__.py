"""Learners: gradient descent on two-layer networks (torch)."""

from .gd import GDRegressor, TwoLayerNet

__all__ = ["GDRegressor", "TwoLayerNet"]
from .polyreg import HermiteRegressor, hermite_feature_count, hermite_features, hermite_multi_indices

__all__ += ["HermiteRegressor", "hermite_feature_count", "hermite_features", "hermite_multi_indices"]
