"""lbkit.experiments: grids, seeds independent of the pool size, the GD cell."""

import pytest

from lbkit.experiments import SweepJob, gd_cell, grid, start_sweep, sweep, worker_pool


def test_grid_is_the_cartesian_product():
    g = grid(n=[8, 16], k=[2, 4])
    assert g == [{"n": 8, "k": 2}, {"n": 8, "k": 4}, {"n": 16, "k": 2}, {"n": 16, "k": 4}]
    with pytest.raises(ValueError, match="at least one axis"):
        grid()
    with pytest.raises(TypeError, match="must be a list of values"):
        grid(n=8)


@pytest.mark.slow
def test_sweep_results_do_not_depend_on_the_number_of_workers():
    points = grid(n=[6, 8], k=[2])
    kw = {"max_steps": 300, "eval_every": 100, "width": 16}
    one = sweep(gd_cell, [{**p, **kw} for p in points], seed=7, n_workers=1)
    two = sweep(gd_cell, [{**p, **kw} for p in points], seed=7, n_workers=2)
    assert one == two
    assert [r["n"] for r in one] == [6, 8]
    other = sweep(gd_cell, [{**p, **kw} for p in points], seed=8, n_workers=1)
    assert other != one


def test_gd_cell_learns_an_easy_cell_and_reports_steps():
    row = gd_cell(6, 2, rng=0, max_steps=1500, eval_every=50, width=64)
    assert row["steps"] is not None and row["samples"] == row["steps"] * 256
    assert row["final_loss"] < 0.5 and row["min_loss"] <= row["final_loss"]


def test_sweep_validates():
    with pytest.raises(TypeError, match="list of dicts"):
        sweep(gd_cell, [1, 2], seed=0)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        sweep(gd_cell, [], seed=-1)


def test_gd_students_trains_every_k_and_seed_and_splitting_seeds_changes_nothing():
    from lbkit.experiments import gd_students

    kw = {"width": 32, "max_steps": {2: 600, 4: 40}, "eval_every": {2: 10, 4: 20}, "n_test": 512}
    rows = gd_students(8, [2, 4], rng=3, seeds=3, **kw)
    assert rows["k"] == [2, 2, 2, 4, 4, 4] and rows["seed"] == [0, 1, 2] * 2
    assert all(s is not None for s in rows["steps"][:3]) and rows["steps"][3:] == [None] * 3
    assert rows["cap"] == [600] * 3 + [40] * 3
    part = gd_students(8, [4], rng=3, seeds=[1, 2], **kw)  # same base seed: the same students
    assert part["final_loss"] == pytest.approx(rows["final_loss"][4:], rel=1e-5)
    again = gd_students(8, [2, 4], rng=3, seeds=3, **kw)
    assert again == rows


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: gd_cell(4, 2.5, rng=0), TypeError, "k must be an integer, got 2.5"),
        (lambda: gd_cell(4, 6, rng=0), ValueError, "k=6 is larger than n=4"),
        (lambda: gd_cell("8", 2, rng=0), TypeError, "n must be an integer"),
        (lambda: gd_cell(8, 2, rng=0, activation=["relu"]), TypeError, "activation .* must be a name"),
        (lambda: gd_cell(8, 2, rng=0, colour="red"), TypeError, r"unknown keyword argument\(s\) \['colour'\]"),
        (lambda: gd_cell(8, 2, rng=0, width=10**8), ValueError, "GiB"),
        (lambda: grid(n=[]), ValueError, "axis 'n' is empty"),
        (lambda: grid(n=range(10**4), k=range(10**3)), ValueError, "at most 1,000,000"),
        (lambda: grid(n={"a": 1}), TypeError, "must be a list of values"),
        (lambda: sweep(3, [], seed=0), TypeError, "fn must be a module-level function"),
        (lambda: sweep(gd_cell, "nk", seed=0), TypeError, "points must be a list of dicts"),
        (lambda: sweep(gd_cell, [{"n": 4, "k": 2, "rng": 1}], seed=0), ValueError, "rng is set by the sweep"),
        (lambda: sweep(gd_cell, [], seed=0, n_workers=0), ValueError, "n_workers must be >= 1"),
    ],
)
def test_experiments_refuse_bad_arguments_up_front(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_gd_students_validates():
    from lbkit.experiments import gd_students

    with pytest.raises(ValueError, match="repeats a value"):
        gd_students(8, [2, 2], rng=0)
    with pytest.raises(ValueError, match=r"without an entry for k = \[4\]"):
        gd_students(8, [2, 4], rng=0, max_steps={2: 10})
    with pytest.raises(ValueError, match="distinct indices"):
        gd_students(8, 2, rng=0, seeds=[1, 1])
    with pytest.raises(TypeError, match="seeds must be an integer"):
        gd_students(8, 2, rng=0, seeds=2.0)


def test_a_shared_pool_and_started_sweeps_give_the_rows_of_sweep():
    kw = dict(max_steps=200, eval_every=50, width=16)
    points = [{**p, **kw} for p in grid(n=[8], k=[2, 4])]
    reference = sweep(gd_cell, points, seed=3, n_workers=1)
    with worker_pool(2) as pool:
        first = start_sweep(gd_cell, points, seed=3, pool=pool)
        second = start_sweep(gd_cell, points[::-1], seed=3, pool=pool)  # queued behind the first
        assert isinstance(first, SweepJob) and first.n_points == 2
        assert first.result() == reference
        rows = second.result(progress=True)
        assert first.done() and second.done() and "2 finished" in repr(second)
        assert sweep(gd_cell, points, seed=3, pool=pool) == reference
        assert sweep(gd_cell, (p for p in points), seed=3, pool=pool) == reference  # a generator is read once
    # the reversed sweep gives point i the seed [3, i]: its rows are not those of the reference reversed
    assert [r["k"] for r in rows] == [4, 2]
    assert rows[0]["steps"] != reference[1]["steps"] or rows[0]["final_loss"] != reference[1]["final_loss"]


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: start_sweep(gd_cell, [], seed=0, pool=2), TypeError, "pool must be an executor"),
        (lambda: worker_pool(0), ValueError, "n_workers must be >= 1"),
        (lambda: sweep(gd_cell, [], seed=0, pool="two"), TypeError, "pool must be an executor"),
        (lambda: SweepJob([]).result(progress="yes"), TypeError, "progress must be True or False"),
    ],
)
def test_pools_refuse_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
