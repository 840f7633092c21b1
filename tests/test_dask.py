"""Sweeps on a Dask cluster: a 2-worker distributed.LocalCluster (processes, one thread each, loopback, no dashboard).

A cluster's executor (``Client.get_executor()``) is a pool like any other: the rows are exactly those of the
in-process run, a store works the same way, and a function defined in a notebook runs there (Dask sends it by value
with cloudpickle) while lbkit's stdlib worker pool refuses it up front.
"""

import json
import os
import warnings
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from lbkit.experiments import SweepError, gd_cell, gd_students, read_store, start_sweep, sweep  # noqa: E402
from tests.sweep_helpers import noisy_point  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CELL = dict(max_steps=200, eval_every=50, width=16, n_test=512)


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():  # "port 8787 in use": the (loopback) health endpoint moves to another port
        warnings.simplefilter("ignore", UserWarning)
        cluster = distributed.LocalCluster(
            processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None, host="127.0.0.1"
        )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.mark.slow
def test_a_dask_executor_gives_exactly_the_rows_of_the_in_process_run(client, tmp_path):
    points = [dict(n=8, k=k, **CELL) for k in (2, 4)] + [dict(n=6, k=2, **CELL)]
    reference = sweep(gd_cell, points, seed=7, n_workers=1)
    executor = client.get_executor()
    assert sweep(gd_cell, points, seed=7, pool=executor) == reference
    job = start_sweep(gd_cell, points, seed=7, pool=executor)
    assert job.result() == reference and job.done()
    batched = [dict(n=8, k=[2, 4], seeds=[0, 1], max_steps={2: 100, 4: 50}, eval_every=25, width=16, n_test=256)]
    assert sweep(gd_students, batched, seed=1, pool=executor) == sweep(gd_students, batched, seed=1, n_workers=1)
    # a store on a cluster: recorded by the caller as points finish, read back by a second run
    store = tmp_path / "dask.jsonl"
    assert sweep(gd_cell, points, seed=7, pool=executor, store=store) == reference
    assert sorted(r["index"] for r in read_store(store)) == [0, 1, 2]
    again = start_sweep(gd_cell, points, seed=7, pool=executor, store=store)
    assert again.n_recorded == 3 and again.result() == reference


def test_failing_points_on_a_cluster_keep_the_others(client, tmp_path):
    points = [{"x": x, "fail": x == 1} for x in range(4)]
    with pytest.raises(SweepError, match="1 of 4 sweep points failed") as info:
        sweep(noisy_point, points, seed=0, pool=client.get_executor(), store=tmp_path / "s.jsonl")
    assert [i for i, _, _ in info.value.failed] == [1]
    assert isinstance(info.value.failed[0][2], ArithmeticError)
    assert [r is None for r in info.value.rows] == [False, True, False, False]
    assert sorted(r["index"] for r in read_store(tmp_path / "s.jsonl")) == [0, 2, 3]


def test_a_function_defined_in_main_runs_on_the_cluster(client):
    namespace = {"__name__": "__main__"}
    exec("def from_main(x, *, rng):\n    return {'y': x + float(rng.standard_normal())}\n", namespace)
    fn = namespace["from_main"]
    points = [{"x": x} for x in range(3)]
    assert sweep(fn, points, seed=4, pool=client.get_executor()) == sweep(fn, points, seed=4, n_workers=1)


NOTEBOOK_CELLS = [
    "from distributed import Client\nfrom lbkit.experiments import sweep, worker_pool\nclient = Client({address!r})",
    "def shifted_normal(x, *, rng):\n    return {{'y': x + float(rng.standard_normal())}}",
    "points = [{{'x': x}} for x in range(4)]\n"
    "on_dask = sweep(shifted_normal, points, seed=3, pool=client.get_executor())\n"
    "here = sweep(shifted_normal, points, seed=3, n_workers=1)\n"
    "with worker_pool(1) as pool:\n"
    "    try:\n"
    "        sweep(shifted_normal, points, seed=3, pool=pool)\n"
    "        refusal = None\n"
    "    except TypeError as exc:\n"
    "        refusal = str(exc)\n"
    "client.close()",
    "import json\nprint(json.dumps({{'on_dask': on_dask, 'here': here, 'refusal': refusal}}))",
]


@pytest.mark.slow
def test_a_function_defined_in_a_notebook_runs_on_dask_and_the_stdlib_pool_refuses_it(client):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    address = client.scheduler.address
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src.format(address=address)) for src in NOTEBOOK_CELLS]
    env_path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = env_path  # the kernel imports this checkout's lbkit
    try:
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = old
    out = json.loads(nb.cells[-1].outputs[0]["text"])
    assert out["on_dask"] == out["here"] and [r["x"] for r in out["here"]] == [0, 1, 2, 3]
    assert out["refusal"] is not None
    assert "fn = __main__.shifted_normal cannot run in lbkit's stdlib worker pool" in out["refusal"]
    assert "defined in a notebook" in out["refusal"] and "Dask" in out["refusal"]
