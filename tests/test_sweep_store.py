"""Durable sweeps: the store records every finished point, a resumed sweep runs only the rest, failures keep the rest.

Also the pool contract (any object whose submit returns a future), the stdlib pool's refusal of functions it cannot
import by name, and the configurable memory limit of a fit.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lbkit.experiments import SweepError, read_store, start_sweep, sweep, worker_pool
from tests.sweep_helpers import calls, noisy_point, other_point

ROOT = Path(__file__).resolve().parents[1]
POINTS = [{"x": x, "delay": 0.0} for x in range(8)]


@pytest.fixture
def call_log(tmp_path, monkeypatch):
    path = tmp_path / "calls.txt"
    monkeypatch.setenv("LBKIT_TEST_CALL_LOG", str(path))
    return path


def test_a_store_records_every_point_and_a_second_run_computes_nothing(tmp_path, call_log):
    reference = sweep(noisy_point, POINTS, seed=5, n_workers=1)
    call_log.unlink()
    store = tmp_path / "sweep.jsonl"
    assert sweep(noisy_point, POINTS, seed=5, n_workers=1, store=store) == reference
    records = read_store(store)
    assert [r["index"] for r in records] == list(range(8))
    assert {r["fn"] for r in records} == {"tests.sweep_helpers.noisy_point"} and {r["seed"] for r in records} == {5}
    assert records[3]["point"] == POINTS[3] and records[3]["result"]["y"] == reference[3]["y"]
    assert calls(call_log) == list(range(8))
    again = start_sweep(noisy_point, POINTS, seed=5, pool=_FakePool(), store=store)
    assert again.n_recorded == 8 and again.done() and again.result() == reference
    assert calls(call_log) == list(range(8)), "a recorded point is not run again"
    # new points appended to the grid: only they run
    more = POINTS + [{"x": 8, "delay": 0.0}]
    assert sweep(noisy_point, more, seed=5, n_workers=1, store=store)[:8] == reference
    assert calls(call_log) == list(range(9))


def test_a_caller_killed_halfway_resumes_with_the_rows_of_an_uninterrupted_run(tmp_path, call_log):
    points = [{"x": x, "delay": 0.4} for x in range(8)]
    reference = sweep(noisy_point, points, seed=11, n_workers=1)
    call_log.unlink()
    store = tmp_path / "sweep.jsonl"
    script = (
        "from lbkit.experiments import sweep\n"
        "from tests.sweep_helpers import noisy_point\n"
        f"sweep(noisy_point, {points!r}, seed=11, n_workers=1, store={str(store)!r})\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("LBKIT_TEST_CALL_LOG")
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not store.exists() or len(store.read_text().splitlines()) < 3):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # the caller dies halfway, as a crashed or killed session would
    proc.wait(timeout=30)
    recorded = sorted(r["index"] for r in read_store(store))
    assert 3 <= len(recorded) < 8, f"the kill came at {len(recorded)} recorded points"
    with open(store, "a") as fh:  # and a record cut short by the crash
        fh.write('{"fn": "tests.sweep_helpers.noisy_point", "seed": 11, "ind')
    rows = sweep(noisy_point, points, seed=11, n_workers=1, store=store)
    assert rows == reference
    assert calls(call_log) == [x for x in range(8) if x not in recorded], "only the missing points are computed"
    assert sorted(r["index"] for r in read_store(store)) == list(range(8))


def test_a_killed_worker_loses_only_its_points_and_the_sweep_resumes(tmp_path, call_log):
    marker = tmp_path / "kill-me"
    points = [{"x": x, "delay": 0.2} for x in range(8)]
    points[4]["kill_marker"] = str(marker)  # point 4 kills its worker, once
    reference = sweep(noisy_point, points, seed=3, n_workers=1)  # no marker yet: nothing dies
    call_log.unlink()
    store = tmp_path / "sweep.jsonl"
    marker.write_text("")
    with worker_pool(2) as pool:
        with pytest.raises(SweepError) as info:
            start_sweep(noisy_point, points, seed=3, pool=pool, store=store).result()
    err = info.value
    assert not marker.exists(), "a worker killed itself"
    assert err.failed and [i for i, _, _ in err.failed] == [i for i, r in enumerate(err.rows) if r is None]
    assert "BrokenProcessPool" in str(err) and "sweep points failed" in str(err)
    recorded = sorted(r["index"] for r in read_store(store))
    assert recorded == [i for i, r in enumerate(err.rows) if r is not None] and 4 not in recorded
    assert recorded, "the points that finished before the worker died are kept"
    for i in recorded:
        assert err.rows[i] == reference[i]
    done_before = len(calls(call_log))
    rows = sweep(noisy_point, points, seed=3, n_workers=1, store=store)
    assert rows == reference
    assert sorted(calls(call_log)[done_before:]) == [x for x in range(8) if x not in recorded]


def test_failing_points_do_not_discard_the_others(tmp_path, call_log):
    points = [{"x": x, "fail": x in (2, 5)} for x in range(7)]
    store = tmp_path / "sweep.jsonl"
    with pytest.raises(SweepError) as info:
        sweep(noisy_point, points, seed=1, n_workers=1, store=store)
    err = info.value
    assert [i for i, _, _ in err.failed] == [2, 5]
    assert all(isinstance(e, ArithmeticError) for _, _, e in err.failed)
    assert "2 of 7 sweep points failed (5 finished" in str(err)
    assert "point 5 {'x': 5, 'fail': True}: ArithmeticError: point x = 5 fails on purpose" in str(err)
    assert isinstance(err.__cause__, ArithmeticError)
    assert [r is None for r in err.rows] == [x in (2, 5) for x in range(7)]
    assert sorted(r["index"] for r in read_store(store)) == [0, 1, 3, 4, 6]
    ok = sweep(noisy_point, [{"x": x, "fail": False} for x in range(7)], seed=1, n_workers=1)
    for i in (0, 1, 3, 4, 6):
        assert err.rows[i]["y"] == ok[i]["y"]
    # without a store too; a failed point is run again by a resumed sweep, a finished one is not
    with pytest.raises(SweepError, match="2 of 7"):
        sweep(noisy_point, points, seed=1, n_workers=1)
    before = len(calls(call_log))
    with pytest.raises(SweepError):
        sweep(noisy_point, points, seed=1, n_workers=1, store=store)
    assert calls(call_log)[before:] == [2, 5]


def test_a_store_of_another_function_seed_or_grid_is_refused(tmp_path):
    store = tmp_path / "sweep.jsonl"
    sweep(noisy_point, POINTS[:3], seed=5, n_workers=1, store=store)
    with pytest.raises(
        ValueError,
        match=r"fn = tests.sweep_helpers.noisy_point with seed = 5; this sweep runs fn = "
        r"tests.sweep_helpers.noisy_point with seed = 6",
    ):
        sweep(noisy_point, POINTS[:3], seed=6, n_workers=1, store=store)
    with pytest.raises(ValueError, match="this sweep runs fn = tests.sweep_helpers.other_point.*never mixed"):
        sweep(other_point, [{"x": 0}], seed=5, n_workers=1, store=store)
    with pytest.raises(ValueError, match="the grid changed"):
        sweep(noisy_point, POINTS[1:4], seed=5, n_workers=1, store=store)
    assert len(read_store(store)) == 3, "a refused sweep writes nothing"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\n')
    with pytest.raises(ValueError, match="not a record of an lbkit sweep"):
        sweep(noisy_point, POINTS, seed=5, n_workers=1, store=bad)
    with pytest.raises(ValueError, match="does not exist"):
        sweep(noisy_point, POINTS, seed=5, n_workers=1, store=tmp_path / "missing" / "s.jsonl")
    with pytest.raises(ValueError, match="it is a directory"):
        sweep(noisy_point, POINTS, seed=5, n_workers=1, store=tmp_path)
    with pytest.raises(TypeError, match="store must be a path"):
        sweep(noisy_point, POINTS, seed=5, n_workers=1, store=3)


def test_results_that_are_not_json_are_refused_with_a_clear_message(tmp_path):
    with pytest.raises(SweepError, match="not JSON"):
        sweep(_returns_a_set, [{"x": 1}], seed=0, n_workers=1, store=tmp_path / "s.jsonl")


def _returns_a_set(x, *, rng):
    return {"s": {x}}


class _FakeFuture:
    """The least a future needs: result()."""

    def __init__(self, value=None, error=None):
        self._value, self._error = value, error

    def result(self):
        if self._error is not None:
            raise self._error
        return self._value


class _FakePool:
    """A minimal executor, as submitit's or a Ray adapter would be: submit runs the call and returns a future."""

    def __init__(self):
        self.submitted = 0

    def submit(self, fn, *args):
        self.submitted += 1
        try:
            return _FakeFuture(fn(*args))
        except Exception as exc:  # noqa: BLE001
            return _FakeFuture(error=exc)


def test_any_object_whose_submit_returns_a_future_is_a_pool(tmp_path):
    reference = sweep(noisy_point, POINTS, seed=2, n_workers=1)
    pool = _FakePool()
    job = start_sweep(noisy_point, POINTS, seed=2, pool=pool)
    assert pool.submitted == 8 and not job.done()
    assert job.result() == reference and job.done()
    assert sweep(noisy_point, POINTS, seed=2, pool=_FakePool(), store=tmp_path / "s.jsonl") == reference
    assert sweep(_local_fn := _make_local(), [{"x": 1}], seed=0, pool=_FakePool())[0]["z"] == 1  # no pickling here
    with pytest.raises(TypeError, match="pool must be an executor: an object whose submit"):
        sweep(noisy_point, POINTS, seed=2, pool=object())

    class NoFuture:
        def submit(self, fn, *args):
            return 42

    with pytest.raises(TypeError, match="pool.submit returned 42, not a future"):
        start_sweep(noisy_point, POINTS, seed=2, pool=NoFuture())
    assert callable(_local_fn)


def _make_local():
    def local(x, *, rng):
        return {"z": x}

    return local


def test_the_stdlib_pool_refuses_a_function_it_cannot_import_up_front():
    namespace = {"__name__": "__main__"}
    exec("def from_a_notebook(x, *, rng):\n    return {'y': x}\n", namespace)
    fn = namespace["from_a_notebook"]
    with worker_pool(1) as pool:
        with pytest.raises(TypeError, match=r"fn = __main__.from_a_notebook cannot run in lbkit's stdlib worker pool"):
            start_sweep(fn, [{"x": 1}], seed=0, pool=pool)
        with pytest.raises(TypeError, match="defined inside another function.*Dask cluster's executor"):
            start_sweep(_make_local(), [{"x": 1}], seed=0, pool=pool)
        with pytest.raises(TypeError, match="cannot run in lbkit's stdlib worker pool"):
            sweep(lambda x, rng: {"y": x}, [{"x": 1}], seed=0, pool=pool)
    with pytest.raises(TypeError, match="cannot run in lbkit's stdlib worker pool"):
        sweep(fn, [{"x": 1}], seed=0, n_workers=2)  # refused before any worker starts
    assert sweep(fn, [{"x": 1}], seed=0, n_workers=1) == [{"x": 1, "y": 1}]  # in this process it runs


# -- the memory limit of a fit ---------------------------------------------------------------------------------------


def test_the_memory_limit_is_a_parameter_and_an_environment_variable(monkeypatch):
    import lbkit
    from lbkit.experiments import gd_cell
    from lbkit.learners import BatchedGDRegressor, GDRegressor
    from lbkit.learners._engine import memory_limit

    monkeypatch.delenv("LBKIT_MAX_FIT_BYTES", raising=False)
    default = memory_limit()
    assert 0 < default <= 4 * 2**30
    assert memory_limit("64 GiB") == 64 * 2**30 and memory_limit("64e9") == 64 * 10**9
    assert memory_limit(10**12) == 10**12 and memory_limit("512MB") == 512 * 10**6
    f = lbkit.orthogonal_network(8, [0, 1], "relu", normalized=True)
    small = dict(width=16, max_steps=2, eval_every=1, n_test=64, rng=0)
    with pytest.raises(
        ValueError,
        match=r"more than the 0.0 GiB allowed.*max_fit_bytes= or the environment variable "
        r"LBKIT_MAX_FIT_BYTES",
    ):
        GDRegressor(max_fit_bytes=1000, **small).fit(f)
    with pytest.raises(ValueError, match="GiB allowed"):
        BatchedGDRegressor(max_fit_bytes="1 KiB", **small).fit([f, f])
    with pytest.raises(ValueError, match="GiB allowed"):
        gd_cell(8, 2, rng=0, max_fit_bytes=1000, width=16, max_steps=2)
    GDRegressor(max_fit_bytes="1 GiB", **small).fit(f)
    GDRegressor(max_fit_bytes=1.5e9, **small).fit(f)
    monkeypatch.setenv("LBKIT_MAX_FIT_BYTES", "2KiB")
    assert memory_limit() == 2048
    with pytest.raises(ValueError, match="GiB allowed"):
        GDRegressor(**small).fit(f)
    GDRegressor(max_fit_bytes=2**30, **small).fit(f)  # the parameter wins over the environment
    # a fit the default refuses is allowed on a bigger node (checked without training it)
    monkeypatch.delenv("LBKIT_MAX_FIT_BYTES")
    from lbkit.learners._engine import check_memory

    big = GDRegressor(width=2**16, batch_size=4096, n_test=2**16)
    with pytest.raises(ValueError, match="GiB allowed"):
        check_memory(1, 512, big)
    big.max_fit_bytes = "1 TiB"
    check_memory(1, 512, big)
    monkeypatch.setenv("LBKIT_MAX_FIT_BYTES", "1TiB")
    big.max_fit_bytes = None
    check_memory(1, 512, big)
    for bad, exc, match in [
        (-1, ValueError, "positive number of bytes"),
        ("lots", ValueError, "not a number of bytes"),
        ("64 GB of RAM", ValueError, "not a number of bytes"),
        ([1], TypeError, "must be a number of bytes"),
        (True, TypeError, "number of bytes"),
    ]:
        with pytest.raises(exc, match=match):
            GDRegressor(max_fit_bytes=bad, **small).fit(f)
    monkeypatch.setenv("LBKIT_MAX_FIT_BYTES", "plenty")
    with pytest.raises(ValueError, match="the environment variable LBKIT_MAX_FIT_BYTES = 'plenty'"):
        GDRegressor(**small).fit(f)
    assert json.dumps(memory_limit(1)) == "1"
