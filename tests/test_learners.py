"""Tests for lbkit.learners (torch): reproducibility, learning a trivial target, validation."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lbkit  # noqa: E402
from lbkit.learners import GDRegressor, TwoLayerNet  # noqa: E402


def linear_target(X):
    return X[:, 0] - X[:, 1]


def test_same_rng_same_history_and_different_rng_differs():
    a = GDRegressor(width=16, max_steps=60, eval_every=20, rng=3).fit(linear_target, n=5)
    b = GDRegressor(width=16, max_steps=60, eval_every=20, rng=3).fit(linear_target, n=5)
    c = GDRegressor(width=16, max_steps=60, eval_every=20, rng=4).fit(linear_target, n=5)
    np.testing.assert_array_equal(a.history_["test_loss"], b.history_["test_loss"])
    assert not np.array_equal(a.history_["test_loss"], c.history_["test_loss"])
    np.testing.assert_array_equal(a.history_["step"], [0, 20, 40, 60])


def test_learns_a_linear_target_and_predict_matches_model():
    gd = GDRegressor(width=32, max_steps=600, lr=1e-2, eval_every=100, rng=0).fit(linear_target, n=4)
    assert gd.history_["test_loss"][0] > 0.5
    assert gd.test_loss_ < 0.02
    X = lbkit.sample("gaussian", 2000, 4, rng=9)
    mse = np.mean((gd.predict(X) - linear_target(X)) ** 2)
    assert mse < 0.03


def test_target_loss_stops_early_and_records_step():
    gd = GDRegressor(width=32, max_steps=2000, lr=1e-2, eval_every=10, target_loss=0.1, rng=0)
    gd.fit(linear_target, n=4)
    assert gd.steps_to_target_ is not None and gd.steps_to_target_ < 2000
    assert gd.history_["step"][-1] == gd.steps_to_target_
    assert gd.history_["test_loss"][-1] < 0.1 <= gd.history_["test_loss"][-2]


def test_fixed_training_set_sgd_and_noise_paths_run():
    f = lbkit.orthogonal_network(6, [0, 1], "relu", normalized=True)
    gd = GDRegressor(
        width=8, optimizer="sgd", momentum=0.9, lr=1e-2, n_train=128, noise=0.1, max_steps=50, eval_every=25, rng=1
    ).fit(f)
    assert gd.history_["test_loss"].shape == (3,)
    assert np.all(np.isfinite(gd.history_["test_loss"]))
    # with noise the trajectory differs from the noiseless one
    g0 = GDRegressor(
        width=8, optimizer="sgd", momentum=0.9, lr=1e-2, n_train=128, noise=0.0, max_steps=50, eval_every=25, rng=1
    ).fit(f)
    assert not np.array_equal(gd.history_["test_loss"], g0.history_["test_loss"])


def test_two_layer_net_shapes_and_init_is_seeded():
    g1 = torch.Generator().manual_seed(0)
    g2 = torch.Generator().manual_seed(0)
    a, b = TwoLayerNet(5, 7, generator=g1), TwoLayerNet(5, 7, generator=g2)
    X = torch.randn(3, 5, generator=torch.Generator().manual_seed(1))
    assert a(X).shape == (3,)
    assert torch.equal(a(X), b(X))
    assert "width=7" in repr(a)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"optimizer": "lbfgs"}, "optimizer must be one of 'adam', 'sgd', got 'lbfgs'"),
        ({"lr": -1.0}, "lr must be > 0, got -1"),
        ({"width": 0}, "width must be >= 1"),
        ({"batch_size": 2.5}, "batch_size must be an integer"),
        ({"distribution": "cauchy"}, "distribution must be one of 'gaussian', .*, got 'cauchy'"),
        ({"target_loss": -0.1}, "target_loss must be > 0, got -0.1"),
    ],
)
def test_bad_hyperparameters_raise(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        GDRegressor(max_steps=5, rng=0, **kwargs).fit(linear_target, n=3)


def test_bad_targets_and_unfitted_predict_raise():
    with pytest.raises(TypeError, match="target must be callable"):
        GDRegressor(rng=0).fit(np.zeros(3), n=3)
    with pytest.raises(ValueError, match="n is required"):
        GDRegressor(rng=0).fit(linear_target)
    with pytest.raises(ValueError, match=r"target returned shape \(5, 1\)"):
        GDRegressor(max_steps=2, n_test=5, rng=0).fit(lambda X: X[:, :1], n=3)
    with pytest.raises(ValueError, match="not fitted yet"):
        GDRegressor(rng=0).predict(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="rng is required"):
        GDRegressor().fit(linear_target, n=3)
    # the repr shows every parameter that differs from its default, and always the rng
    assert repr(GDRegressor()) == "GDRegressor(rng=None)"
    assert repr(GDRegressor(max_steps=5, n_train=10, rng=0)) == "GDRegressor(max_steps=5, n_train=10, rng=0)"
    assert repr(GDRegressor(max_steps=5, rng=1)) != repr(GDRegressor(max_steps=5, rng=0))


def test_logistic_loss_learns_a_boolean_concept_and_validates_labels():
    # E[y | x] = tanh(2 x0): learnable by a single unit; the normalised conditional-mean error drops well below 1
    gd = GDRegressor(width=16, loss="logistic", lr=1e-2, max_steps=400, eval_every=100, rng=0)
    gd.fit(lambda X: np.tanh(2 * X[:, 0]), n=4)
    assert gd.history_["test_loss"][0] > 0.5
    assert gd.test_loss_ < 0.1
    with pytest.raises(ValueError, match=r"E\[y \| x\] in \[-1, 1\]"):
        GDRegressor(loss="logistic", max_steps=2, rng=0).fit(lambda X: 2 * X[:, 0], n=3)
    with pytest.raises(ValueError, match="loss must be one of 'square', 'logistic', got 'hinge'"):
        GDRegressor(loss="hinge", max_steps=2, rng=0).fit(linear_target, n=3)


# -- one history format ---------------------------------------------------------------------------------------------


def test_every_trainer_records_one_history_format_with_the_engines_values():
    """GDRegressor (square and logistic loss) and BatchedGDRegressor: one History format.

    The reference is the engine's own record (``_engine.train``, plain lists turned into arrays): the History
    holds the same values bit for bit, under the same keys, with int64 steps and float64 losses.
    """
    from lbkit.learners import BatchedGDRegressor
    from lbkit.learners._engine import train
    from lbkit.stats import History

    boolean = lambda X: np.tanh(X[:, 0] * X[:, 1])  # noqa: E731 (a target in [-1, 1] for the logistic loss)
    fits = [
        (GDRegressor(width=8, max_steps=40, eval_every=20, rng=5), linear_target),
        (GDRegressor(width=8, loss="logistic", max_steps=40, eval_every=20, rng=5), boolean),
    ]
    histories = []
    for gd, target in fits:
        gd.fit(target, n=4)
        _, raw, _ = train(gd, [target], 4, [gd.rng])  # the same run, recorded by the engine directly
        assert type(gd.history_) is History and list(gd.history_) == list(History.KEYS) == list(raw[0])
        for key in History.KEYS:
            np.testing.assert_array_equal(gd.history_[key], raw[0][key], strict=True)
        histories.append(gd.history_)
    bgd = BatchedGDRegressor(width=8, max_steps=[40, 20], eval_every=20, rng=[5, 6]).fit([linear_target] * 2, n=4)
    histories += bgd.history_
    for h in histories:
        assert type(h) is History
        assert {k: v.dtype for k, v in h.items()} == {
            "step": np.int64,
            "train_loss": np.float64,
            "test_loss": np.float64,
        }
        assert h["step"][0] == 0 and np.isnan(h["train_loss"][0]) and len(set(map(len, h.values()))) == 1
    np.testing.assert_array_equal(bgd.history_[0]["test_loss"], histories[0]["test_loss"])  # same seed, same run
    assert repr(bgd.history_[1]).startswith("History(2 evaluations, steps 0 to 20, test_loss ")


def test_history_pickles_and_refuses_malformed_columns():
    import json
    import pickle

    from lbkit.stats import History, first_step_below

    h = History(step=[0, 10, 20], train_loss=[np.nan, 0.7, 0.5], test_loss=[1.0, 0.6, 0.4])
    back = pickle.loads(pickle.dumps(h))  # sweeps send histories between processes
    assert type(back) is History and all(np.array_equal(back[k], h[k], equal_nan=True) for k in History.KEYS)
    from lbkit.experiments import _jsonable  # what a sweep's store writes with

    assert json.loads(json.dumps(h, default=_jsonable))["test_loss"] == [1.0, 0.6, 0.4]
    assert first_step_below(h, 0.5) == 20
    assert repr(History(step=[], train_loss=[], test_loss=[])) == "History(0 evaluations)"
    with pytest.raises(ValueError, match="1-d of one length"):
        History(step=[0, 10], train_loss=[np.nan], test_loss=[1.0, 0.5])
    with pytest.raises(ValueError, match="must not decrease"):
        History(step=[0, 20, 10], train_loss=[np.nan, 1, 1], test_loss=[1.0, 0.5, 0.4])
    with pytest.raises(TypeError, match="must hold integers"):
        History(step=[0, 0.5], train_loss=[np.nan, 1], test_loss=[1.0, 0.5])
    with pytest.raises(TypeError, match="real numbers"):
        History(step=[0, 1], train_loss=["a", "b"], test_loss=[1.0, 0.5])
