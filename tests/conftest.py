"""Shared pytest configuration for the lbkit unit tests.

Every test compares lbkit against an *independent* reference (a different
formula, a different quadrature, Monte Carlo with its standard error, or
mpmath at high precision).  Randomness is always seeded.
"""

import numpy as np
import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: takes more than about 3 s on a 2-core machine (still runs by default; "
        "deselect with -m 'not slow')",
    )


@pytest.fixture
def rng():
    """A fresh, seeded generator for each test."""
    return np.random.default_rng(20200707)

