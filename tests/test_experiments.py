"""lbkit.experiments: grids, seeds independent of the pool size, the GD cell."""

import pytest

from lbkit.experiments import gd_cell, grid, sweep


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
    kw = dict(max_steps=300, eval_every=100, width=16)
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
