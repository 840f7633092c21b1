"""Shared pytest configuration for the lbkit unit tests.

Every test compares lbkit against an *independent* reference (a different
formula, a different quadrature, Monte Carlo with its standard error, or
mpmath at high precision; shared helpers in ``tests/reference.py``).
Randomness is always seeded, and hypothesis is derandomised (profile "ci").
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings

# Derandomised property tests: the same examples on every run, so CI is deterministic.
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: a failure is reported as drawn
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("ci")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: takes more than about 3 s on a 2-core machine (still runs by default; deselect with -m 'not slow')",
    )


@pytest.fixture
def rng():
    """A fresh, seeded generator for each test."""
    return np.random.default_rng(20200707)
