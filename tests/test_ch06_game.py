"""Chapter 6's SQ game checks the counting of thm-sq-sign-labels, part 2, and fails on a wrong count.

The chapter plays the counting argument on a finite input law (16 Gaussian points with all 2^10 sign
flips each): the learner's queries are majority votes of target labels, the adversary answers the
label-free value 0, and the cell tagged ``claim:sq-game`` compares the exposed, fitted and failed
targets with the proof's counts 1/tau^2 per query and 1/(4 gamma^2). Here the very same cells run
first as in the chapter (the check must pass), then with a count that is wrong (1/tau in place of
1/tau^2 or 1/(2 tau^2); 1/(2 gamma) or 1/(12 gamma^2) in place of 1/(4 gamma^2)): the check must
fail. The game's majority-vote queries reach about half of the counts, so it resolves a count wrong by
a factor of two (exposures) or three (fits), not finer.
"""

import itertools

import numpy as np
import pytest

import lbkit
from lbkit.supports import sign_patterns

try:  # tests/ on sys.path (pytest's rootdir insertion) or the repository root (tests as a package)
    from nbcells import run_cell
except ImportError:
    from tests.nbcells import run_cell

NB = "chapters/06_classification_sq.ipynb"


def _noglue(*args, **kwargs):
    return None


@pytest.fixture(scope="module")
def game():
    """The namespace after the chapter's game cell has run."""
    ns = {"np": np, "lbkit": lbkit, "itertools": itertools, "sign_patterns": sign_patterns, "glue_values": _noglue}
    return run_cell(NB, "sq-game", ns)


def check(game, **overrides):
    run_cell(NB, "claim:sq-game", {**game, **overrides})


def test_the_game_agrees_with_the_count(game):
    check(game)
    assert game["failed_g"].sum() > 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"exposure_count": lambda tau: 1 / tau},  # tau in place of tau^2
        {"exposure_count": lambda tau: 1 / (2 * tau**2)},  # a factor of two too optimistic
        {"fit_count": lambda gamma: 1 / (2 * gamma)},  # gamma in place of gamma^2
        {"fit_count": lambda gamma: 1 / (12 * gamma**2)},  # a factor of three too optimistic
    ],
)
def test_a_wrong_count_fails(game, overrides):
    with pytest.raises(AssertionError):
        check(game, **overrides)
