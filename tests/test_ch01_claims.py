"""Chapter 1's training check can fail: it is run on fabricated learning curves.

The chapter's first experiment trains networks, so its printed losses differ
between machines and are excluded from nbval's digit-by-digit comparison; the
claims about them are checked by the cell tagged ``claim:first-experiment``,
whose tolerances are calibrated (see the comment in that cell). Here the very
same cell runs on curves made up to look like the measured ones, then on curves
that contradict the chapter: a reversed trend, and the reported step count of
the k = 4 plateau changed by a factor of two either way. The first must pass,
the others must fail.
"""

import math

import numpy as np
import pytest

from lbkit.stats import first_step_below, loss_at, losses_between

try:  # tests/ on sys.path (pytest's rootdir insertion) or the repository root (tests as a package)
    from nbcells import run_cell
except ImportError:
    from tests.nbcells import run_cell

NB, TAG = "chapters/01_introduction.ipynb", "claim:first-experiment"
STEPS = np.arange(0, 3001, 50)
SEEDS = [0, 1]


def curve(escape=None, plateau=1.0, wobble=0.01, final=1e-4, seed=0):
    """A test-loss curve: on the plateau (loss ~ `plateau`) until `escape`, then a fast drop to `final`."""
    rng = np.random.default_rng(seed)
    loss = plateau + wobble * rng.uniform(-1, 1, STEPS.size)
    loss[0] = 1.05
    if escape is not None:
        after = STEPS >= escape
        # 0.3 at the escape step, then a factor 10 per 100 steps down to `final`
        loss[after] = np.maximum(0.3 * 10.0 ** (-(STEPS[after] - escape) / 100), final)
    return {"step": STEPS.copy(), "test_loss": loss}


def histories(relu=50, k4=(650, 700), k6=(None, None)):
    hist = {}
    for i, seed in enumerate(SEEDS):
        hist["relu", seed] = curve(relu, seed=seed)
        hist["k4", seed] = curve(k4[i], seed=10 + seed)
        hist["k6", seed] = curve(k6[i], seed=20 + seed)
    return hist


def check(hist):
    # the cell runs in the chapter's namespace: its data and the names the chapter's first cell imports
    names = {
        "math": math,
        "np": np,
        "first_step_below": first_step_below,
        "loss_at": loss_at,
        "losses_between": losses_between,
    }
    run_cell(NB, TAG, {"hist": hist, "seeds": SEEDS, **names})


def test_measured_like_curves_pass():
    check(histories())


@pytest.mark.parametrize("k4", [(500, 520), (900, 950), (600, 800)])
def test_curves_inside_the_calibrated_range_pass(k4):
    check(histories(k4=k4))


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param(dict(k4=(None, None), k6=(650, 700)), id="reversed: k=6 learned, k=4 not"),
        pytest.param(dict(relu=700, k4=(50, 50)), id="reversed: k=4 learned before the single ReLU"),
        pytest.param(dict(k4=(1300, 1400)), id="k=4 plateau twice as long"),
        pytest.param(dict(k4=(300, 350)), id="k=4 plateau half as long"),
        pytest.param(dict(k4=(None, None)), id="k=4 never learned"),
        pytest.param(dict(k6=(2500, None)), id="k=6 learned by one seed"),
        pytest.param(dict(relu=None), id="single ReLU not learned"),
    ],
)
def test_wrong_claims_fail(wrong):
    with pytest.raises(AssertionError):
        check(histories(**wrong))


def test_k4_without_a_plateau_fails():
    hist = histories()
    s, l = hist["k4", 0]["step"], hist["k4", 0]["test_loss"]
    l[(s >= 100) & (s <= 300)] = 0.7  # progress during what should be the plateau
    with pytest.raises(AssertionError):
        check(hist)
