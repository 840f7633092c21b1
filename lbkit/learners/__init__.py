"""Learners: gradient descent on two-layer networks (torch)."""

from .gd import GDRegressor, TwoLayerNet

__all__ = ["GDRegressor", "TwoLayerNet"]
