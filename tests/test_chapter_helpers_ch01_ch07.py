"""The helpers chapters 1 and 7 call instead of writing them out, each against an independent reference."""

import math

import numpy as np
import pytest
import torch

from lbkit import sample
from lbkit.experiments import cell_summary, per_student
from lbkit.learners import TwoLayerNet
from lbkit.learners.relu_network import minibatch_gradient_sd
from lbkit.stats import bootstrap_medians, loglog_slope, loss_at, losses_between

# -- loglog_slope -----------------------------------------------------------------------------------------------------


def test_loglog_slope_matches_polyfit_on_one_curve_and_many():
    rng = np.random.default_rng(0)
    x = np.array([8.0, 16.0, 32.0, 64.0, 128.0])
    Y = np.exp(rng.normal(size=(7, x.size))) * x**1.7
    slopes = loglog_slope(x, Y)
    assert slopes.shape == (7,)
    for y, s in zip(Y, slopes):
        assert s == pytest.approx(np.polyfit(np.log(x), np.log(y), 1)[0], rel=1e-12)
    one = loglog_slope(x, Y[3])
    assert isinstance(one, float) and one == pytest.approx(slopes[3], rel=1e-14)


def test_loglog_slope_recovers_an_exact_power_law():
    x = np.array([2, 3, 5, 7, 11])
    assert loglog_slope(x, 0.3 * x**-2.5) == pytest.approx(-2.5, abs=1e-12)
    assert loglog_slope([1, 2], [4.0, 4.0]) == 0.0


@pytest.mark.parametrize(
    "x, y, error, match",
    [
        ([1.0, 2.0], ["a", "b"], TypeError, "real numbers"),
        ([1.0], [1.0], ValueError, "at least 2"),
        ([1.0, 2.0, 4.0], [1.0, 2.0], ValueError, "length of x"),
        ([1.0, 2.0], [1.0, 0.0], ValueError, "positive"),
        ([1.0, -2.0], [1.0, 1.0], ValueError, "positive"),
        ([1.0, 2.0], [1.0, math.nan], ValueError, "finite"),
        ([3.0, 3.0], [1.0, 2.0], ValueError, "all equal"),
    ],
)
def test_loglog_slope_refuses_bad_input(x, y, error, match):
    with pytest.raises(error, match=match):
        loglog_slope(x, y)


# -- bootstrap_medians ------------------------------------------------------------------------------------------------


def test_bootstrap_medians_match_a_loop_over_the_same_draws():
    rng = np.random.default_rng(1)
    S = rng.exponential(size=(4, 5)) * 100
    B = 50
    got = bootstrap_medians(S, B, rng=np.random.default_rng(7))
    idx = np.random.default_rng(7).integers(0, S.shape[0], (B,) + S.shape)
    expected = np.empty((B, S.shape[1]))
    for b in range(B):
        for j in range(S.shape[1]):
            expected[b, j] = np.median([S[i, j] for i in idx[b, :, j]])
    np.testing.assert_array_equal(got, expected)


def test_bootstrap_median_distribution_is_the_exact_one():
    # three draws 0, 1, 2: the median of a resample is 0 when at least two of its three draws are 0,
    # P = 3 (1/3)^2 (2/3) + (1/3)^3 = 7/27; by symmetry also 7/27 for 2, and 13/27 for 1
    B = 40_000
    med = bootstrap_medians(np.array([[0.0], [1.0], [2.0]]), B, rng=3)[:, 0]
    for value, p in ((0.0, 7 / 27), (1.0, 13 / 27), (2.0, 7 / 27)):
        freq = np.mean(med == value)
        assert abs(freq - p) < 4 * math.sqrt(p * (1 - p) / B)


def test_bootstrap_medians_advance_a_shared_generator():
    rng = np.random.default_rng(5)
    S = np.arange(12.0).reshape(4, 3)
    first, second = bootstrap_medians(S, 10, rng), bootstrap_medians(S, 10, rng)
    assert not np.array_equal(first, second)
    assert np.array_equal(bootstrap_medians(S[:1], 4, rng=0), np.tile(S[:1], (4, 1)))


@pytest.mark.parametrize(
    "samples, n_boot, rng, error, match",
    [
        (np.ones(3), 10, 0, ValueError, "2-d"),
        (np.ones((0, 3)), 10, 0, ValueError, "not empty"),
        ([[1.0, math.nan]], 10, 0, ValueError, "NaN"),
        (np.ones((2, 2)), 0, 0, ValueError, "n_boot"),
        (np.ones((2, 2)), 2.5, 0, TypeError, "n_boot"),
        (np.ones((2, 2)), 10, None, TypeError, "rng"),
        (np.ones((100, 100)), 10**6, 0, ValueError, "limit"),
    ],
)
def test_bootstrap_medians_refuse_bad_input(samples, n_boot, rng, error, match):
    with pytest.raises(error, match=match):
        bootstrap_medians(samples, n_boot, rng)


# -- minibatch_gradient_sd --------------------------------------------------------------------------------------------


def hand_gradients(target, n, width, batch_size, n_batches, seed):
    """The square-loss gradients of the two-layer network written out in numpy (float64), batch by batch."""
    net = TwoLayerNet(n, width, generator=torch.Generator().manual_seed(seed))
    W, b, a, c = (p.detach().double().numpy() for p in (net.W, net.b, net.a, net.c))
    rng = np.random.default_rng(seed)
    grads = []
    for _ in range(n_batches):
        X = sample("gaussian", batch_size, n, rng).astype(np.float32).astype(float)
        Z = X @ W.T + b
        h = np.maximum(Z, 0) @ a + c
        r = 2 * (h - target(X)) / batch_size  # d loss / d h_i
        back = (r[:, None] * (Z > 0)) * a  # d loss / d z_ij
        grads.append(np.concatenate([(back.T @ X).ravel(), back.sum(0), np.maximum(Z, 0).T @ r, [r.sum()]]))
    return np.array(grads)


def test_minibatch_gradient_sd_matches_hand_written_gradients():
    def target(X):
        return np.abs(X[:, 0] * X[:, 1]) - 0.5

    n, width, batch_size, n_batches = 3, 6, 16, 12
    with torch.no_grad():
        expected = hand_gradients(target, n, width, batch_size, n_batches, seed=4).std(axis=0, ddof=1)
    got = minibatch_gradient_sd(target, n, width=width, batch_size=batch_size, n_batches=n_batches, rng=4)
    assert got.shape == (width * (n + 2) + 1,)
    np.testing.assert_allclose(got, expected, rtol=2e-4, atol=1e-7)


def test_minibatch_gradient_sd_shrinks_like_one_over_root_batch():
    def target(X):
        return np.maximum(X[:, 0], 0)

    rms = {b: np.sqrt(np.mean(minibatch_gradient_sd(target, 4, width=32, batch_size=b, rng=0) ** 2)) for b in (64, 256)}
    assert rms[64] / rms[256] == pytest.approx(2.0, rel=0.15)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(target="f"), TypeError, "target"),
        (dict(n=0), ValueError, "n"),
        (dict(n_batches=1), ValueError, "n_batches"),
        (dict(batch_size=2.0), TypeError, "batch_size"),
        (dict(rng=-1), ValueError, "rng"),
    ],
)
def test_minibatch_gradient_sd_refuses_bad_input(kwargs, error, match):
    args = dict(target=lambda X: X[:, 0], n=2, width=3, batch_size=4, n_batches=3, rng=0) | kwargs
    target, n = args.pop("target"), args.pop("n")
    with pytest.raises(error, match=match):
        minibatch_gradient_sd(target, n, **args)


# -- loss_at, losses_between -------------------------------------------------------------------------------------------

HISTORY = {"step": np.arange(0, 101, 10), "test_loss": np.linspace(1.0, 0.0, 11) ** 2}


def test_loss_at_and_losses_between_match_a_loop_over_the_history():
    pairs = list(zip(HISTORY["step"].tolist(), HISTORY["test_loss"].tolist()))
    for step, loss in pairs:
        assert loss_at(HISTORY, step) == loss
    for start, stop in ((0, 100), (15, 55), (30, 30), (95, 99), (20, None)):
        expected = [loss for step, loss in pairs if step >= start and (stop is None or step <= stop)]
        np.testing.assert_array_equal(losses_between(HISTORY, start, stop), expected)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: loss_at(HISTORY, 15), ValueError, "not evaluated at step 15"),
        (lambda: loss_at(HISTORY, 1.5), TypeError, "step"),
        (lambda: loss_at({"step": [0]}, 0), TypeError, "test_loss"),
        (lambda: losses_between(HISTORY, 50, 40), ValueError, "stop must be at least start"),
        (lambda: losses_between(HISTORY, "a"), TypeError, "start"),
        (lambda: losses_between({"step": [0, 1], "test_loss": [1.0]}, 0), ValueError, "one length"),
    ],
)
def test_history_readers_refuse_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# -- per_student, cell_summary ---------------------------------------------------------------------------------------

ROWS = [
    {"n": 16, "k": [6, 2, 6, 2], "seed": [0, 0, 1, 1], "steps": [None, 40, 900, 30],
     "samples": [None, 10240, 230400, 7680], "final_loss": [0.97, 0.3, 0.4, 0.2], "min_loss": [0.95, 0.3, 0.4, 0.2],
     "cap": [1000, 100, 1000, 100]},
    {"n": 8, "k": [2, 2], "seed": [1, 0], "steps": [20, 25], "samples": [5120, 6400],
     "final_loss": [0.45, 0.49], "min_loss": [0.45, 0.48], "cap": [100, 100]},
    None,
]  # fmt: skip


def test_per_student_is_the_exploded_table():
    import pandas as pd

    keys = ["k", "seed", "steps", "samples", "final_loss", "min_loss", "cap"]
    expected = (
        pd.DataFrame([r for r in ROWS if r is not None])[["n"] + keys]
        .explode(keys)
        .astype({"k": int, "seed": int, "steps": float, "samples": float, "final_loss": float, "min_loss": float})
        .astype({"cap": int})
        .sort_values(["k", "n", "seed"])
        .reset_index(drop=True)
    )
    got = pd.DataFrame(per_student(ROWS))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert per_student([{k: v for k, v in ROWS[1].items() if k != "samples"}])[0].keys() == {
        "n", "k", "seed", "steps", "final_loss", "min_loss", "cap"
    }  # fmt: skip


def test_cell_summary_matches_a_groupby():
    import pandas as pd

    students = per_student(ROWS)
    df = pd.DataFrame(students)
    got = {(r["k"], r["n"]): r for r in cell_summary(students)}
    assert list(got) == sorted(got)
    for (k, n), g in df.groupby(["k", "n"]):
        s = g["steps"].to_numpy()
        every = bool(np.isfinite(s).all())
        r = got[k, n]
        assert (r["seeds"], r["reached"]) == (len(g), int(g["steps"].notna().sum()))
        assert r["cap"] == g["cap"].max() and r["final_loss_max"] == g["final_loss"].max()
        assert r["min_loss_min"] == g["min_loss"].min()
        if every:
            assert r["median_steps"] == g["steps"].median() and r["slowest_steps"] == g["steps"].max()
            assert (r["q25_steps"], r["q75_steps"]) == tuple(g["steps"].quantile([0.25, 0.75]))
        else:
            assert math.isnan(r["median_steps"]) and math.isnan(r["slowest_steps"])
        assert r["fastest_steps"] == g["steps"].min() or (
            math.isnan(r["fastest_steps"]) and not g["steps"].notna().any()
        )
    assert got[6, 16]["reached"] == 1 and got[6, 16]["fastest_steps"] == 900.0


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: per_student([[1, 2]]), TypeError, "must be a dict"),
        (lambda: per_student([{"n": 8, "k": [2]}]), ValueError, "lacks"),
        (lambda: per_student([dict(ROWS[1], seed=[0])]), ValueError, "differ in length"),
        (lambda: cell_summary([]), ValueError, "empty"),
        (lambda: cell_summary([{"k": 2, "n": 8}]), ValueError, "lacks"),
    ],
)
def test_sweep_tables_refuse_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
