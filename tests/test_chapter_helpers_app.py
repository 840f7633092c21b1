"""The helpers the appendices used to write out, each against an independent reference."""

import math
import statistics

import mpmath as mp
import numpy as np
import pytest

import lbkit
from lbkit import norm_squared
from lbkit.norms import dual_kernel_cancellation, dual_kernel_norm_mp
from lbkit.stats import batch_calibration


def _relu_kernel_mp(r):
    # the arc-cosine kernel of Cho and Saul, typed here from its formula
    return (mp.sqrt(1 - r * r) + (mp.pi - mp.acos(r)) * r) / (2 * mp.pi)


def _erf_kernel_mp(r):
    return 2 / mp.pi * mp.asin(2 * r / 3)


def _dual_kernel_sums(k, kernel, dps=80):
    """(alternating sum, sum of absolute values) of 2^k C(k, d) (-1)^d K(1 - 2d/k), in dps digits."""
    with mp.workdps(dps):
        terms = [mp.mpf(2) ** k * mp.binomial(k, d) * kernel(1 - mp.mpf(2 * d) / k) for d in range(k + 1)]
        return sum((-1) ** d * t for d, t in enumerate(terms)), sum(abs(t) for t in terms)


@pytest.mark.parametrize(
    ("activation", "kernel", "ks"), [("relu", _relu_kernel_mp, (2, 10, 40)), ("erf", _erf_kernel_mp, (1, 9, 39))]
)
def test_dual_kernel_norm_mp_matches_the_typed_kernel(activation, kernel, ks):
    for k in ks:
        expected, _ = _dual_kernel_sums(k, kernel)
        got = dual_kernel_norm_mp(k, activation, dps=60)
        assert abs(got - expected) < mp.mpf(10) ** -30 * abs(expected)
        assert float(got) == pytest.approx(norm_squared(k, activation), rel=1e-11)


def test_dual_kernel_norm_mp_vanishing_and_refusals():
    assert dual_kernel_norm_mp(3, "relu") == 0  # relu's odd part is linear
    with pytest.raises(ValueError, match="dps"):
        dual_kernel_norm_mp(4, "relu", dps=5)
    with pytest.raises(TypeError, match="k"):
        dual_kernel_norm_mp(4.0, "relu")
    with pytest.raises(ValueError, match="high-precision"):
        dual_kernel_norm_mp(3, lambda t: np.sin(t) + t**3)


@pytest.mark.parametrize(("activation", "kernel"), [("relu", _relu_kernel_mp), ("erf", _erf_kernel_mp)])
def test_dual_kernel_cancellation_against_high_precision(activation, kernel):
    table = dual_kernel_cancellation(activation, k_max=30)
    expected_ks = [k for k in range(1, 31) if (k % 2 == 1) == (activation == "erf") or k == 1]
    assert table.shape == (len(expected_ks), 3)
    assert table[:, 0].tolist() == expected_ks
    eps = np.finfo(float).eps
    for k, error, scale in table:
        exact, abs_sum = _dual_kernel_sums(int(k), kernel)
        kappa = float(abs_sum / exact)
        assert scale == pytest.approx(eps * kappa, rel=1e-10)
        # the float64 sum computed term by term in plain Python, against the exact value
        k = int(k)
        naive = sum((-1) ** d * 2.0**k * math.comb(k, d) * float(kernel(mp.mpf(1 - 2 * d / k))) for d in range(k + 1))
        assert error <= (k + 1) * scale  # rounding, nothing else
        assert abs(naive - float(exact)) / float(exact) <= 4 * (k + 1) * scale


def test_dual_kernel_cancellation_loses_the_sigmoid():
    table = dual_kernel_cancellation("sigmoid", k_max=25)
    assert table[:, 0].tolist() == list(range(1, 26, 2))  # sigmoid - 1/2 is odd
    error = dict(zip(table[:, 0].astype(int), table[:, 1]))
    assert error[5] < 1e-10 and error[25] > 1  # every digit lost by k = 25


def test_dual_kernel_cancellation_refusals():
    with pytest.raises(ValueError, match="k_max"):
        dual_kernel_cancellation("relu", k_max=0)
    with pytest.raises(TypeError, match="k_max"):
        dual_kernel_cancellation("relu", k_max=2.5)
    with pytest.raises(ValueError, match="nope"):
        dual_kernel_cancellation("nope", k_max=3)
    assert dual_kernel_cancellation(lambda t: np.ones_like(t), k_max=3).shape == (0, 3)


def test_batch_calibration_matches_a_loop_over_batches():
    rng = np.random.default_rng(3)
    draws = rng.exponential(2.0, size=6_000)
    cal = batch_calibration(draws, 2.0, 30)
    est, se = [], []
    for b in range(30):
        batch = list(draws[200 * b : 200 * (b + 1)])
        est.append(statistics.fmean(batch))
        se.append(statistics.stdev(batch) / math.sqrt(len(batch)))
    z = [(e - 2.0) / s for e, s in zip(est, se)]
    ratios = [e / 2.0 for e in est]
    assert cal["below"] == pytest.approx(sum(e < 2.0 for e in est) / 30)
    assert cal["miss"] == pytest.approx(sum(abs(v) > 2 for v in z) / 30)
    assert cal["miss_low"] == pytest.approx(sum(v < -2 for v in z) / 30)
    assert cal["median_ratio"] == pytest.approx(statistics.median(ratios), rel=1e-12)
    assert cal["spread"] == pytest.approx(statistics.stdev(ratios), rel=1e-10)
    assert cal["median_rel_se"] == pytest.approx(statistics.median(s / 2.0 for s in se), rel=1e-12)
    np.testing.assert_allclose(cal["ratios"], ratios, rtol=1e-12)


def test_batch_calibration_honest_bars_for_gaussian_draws():
    rng = np.random.default_rng(5)
    cal = batch_calibration(rng.standard_normal(200_000) + 3.0, 3.0, 1000)
    assert abs(cal["below"] - 0.5) < 0.05 and abs(cal["miss"] - 0.05) < 0.025
    assert cal["median_rel_se"] == pytest.approx(cal["spread"], rel=0.1)


def test_batch_calibration_refusals():
    with pytest.raises(ValueError, match="equal batches"):
        batch_calibration(np.ones(10), 1.0, 3)
    with pytest.raises(ValueError, match="equal batches"):
        batch_calibration(np.ones(10), 1.0, 10)
    with pytest.raises(ValueError, match="non-zero"):
        batch_calibration(np.ones(10), 0.0, 2)
    with pytest.raises(ValueError, match="one-dimensional"):
        batch_calibration(np.ones((2, 10)), 1.0, 2)
    with pytest.raises(ValueError, match="finite"):
        batch_calibration([1.0, np.nan, 2.0, 3.0], 1.0, 2)
    with pytest.raises(TypeError, match="n_batches"):
        batch_calibration(np.ones(10), 1.0, 2.0)
    with pytest.raises(TypeError, match="draws"):
        batch_calibration(["a", "b"], 1.0, 1)


# ---------------------------------------------------------------------------
# the committed results of benchmarks/extended_phase_diagram.py (appendix_extended_phase)
# ---------------------------------------------------------------------------


def test_results_directory_walks_up_from_any_folder_of_the_checkout(tmp_path):
    from lbkit.experiments import results_directory

    target = tmp_path / "benchmarks" / "results" / "demo"
    target.mkdir(parents=True)
    deep = tmp_path / "chapters" / "sub"
    deep.mkdir(parents=True)
    for start in (tmp_path, deep, tmp_path / "benchmarks", str(deep)):
        assert results_directory("demo", start=start) == target.resolve()
    assert results_directory("demo", start=deep).parents[2] == tmp_path.resolve()


def test_results_directory_finds_the_committed_results_from_the_chapters(monkeypatch):
    from pathlib import Path

    from lbkit.experiments import results_directory

    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root / "chapters")
    found = results_directory("extended_phase")
    assert found == root / "benchmarks" / "results" / "extended_phase"
    assert (found / "provenance.json").is_file()


def test_results_directory_refusals(tmp_path):
    from lbkit.experiments import results_directory

    (tmp_path / "benchmarks" / "results" / "demo").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no benchmarks/results/other/"):
        results_directory("other", start=tmp_path)
    (tmp_path / "benchmarks" / "results" / "file").write_text("not a folder")
    with pytest.raises(FileNotFoundError, match="file"):
        results_directory("file", start=tmp_path)
    for bad in ("", ".", "..", "a/b", "a\\b"):
        with pytest.raises(ValueError, match="single folder name"):
            results_directory(bad, start=tmp_path)
    with pytest.raises(TypeError, match="name must be a string"):
        results_directory(3, start=tmp_path)


def _diagram():
    import importlib

    return importlib.import_module("benchmarks.extended_phase_diagram")


def test_load_results_reads_what_the_script_wrote():
    import csv
    import json
    from pathlib import Path

    out = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "extended_phase"
    provenance, students, cells, records = _diagram().load_results(out)
    assert provenance == json.loads((out / "provenance.json").read_text())
    for table, name in ((students, "students.csv"), (cells, "cells.csv")):
        with open(out / name, newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert list(table.columns) == list(rows[0]) and len(table) == len(rows)
        assert [str(v) for v in table["k"]] == [r["k"] for r in rows]
    with open(out / "store.jsonl") as fh:
        assert records == [json.loads(line) for line in fh if line.strip()]


def test_describe_provenance_matches_the_record_written_out():
    provenance = {
        "runs": [
            {
                "command": "python run.py --seeds 2",
                "started_utc": "2026-01-02T03:04:05Z",
                "wall_seconds": 99.6,
                "cluster": "LocalCluster(2)",
                "machine": {"cpu": "CPU X", "cores": 4, "memory_gib": 8.0, "os": "Linux", "python": "3.11.7"},
                "programs_computed": 5,
                "note": "by hand",
            },
            {
                "command": "python run.py --seeds 2",
                "started_utc": "2026-01-02T04:00:00Z",
                "wall_seconds": 1.2,
                "cluster": "LocalCluster(2)",
                "machine": {"cpu": "CPU X", "cores": 4, "memory_gib": None, "os": "Linux", "python": "3.11.7"},
                "programs_computed": 0,
                "programs_read_from_store": 5,
            },
        ],
        "versions": {"lbkit": "0.1.0", "numpy": "2.0"},
        "programs": 5,
        "students": 10,
        "sweep_seed": 7,
        "seeds_per_cell": 2,
    }
    expected = """run 1: python run.py --seeds 2
  started 2026-01-02T03:04:05Z, wall time 100 s, on LocalCluster(2)
  machine: CPU X, 4 cores, 8.0 GiB, Linux, Python 3.11.7
  programs computed: 5, read from the store: 0
  note: by hand
run 2: python run.py --seeds 2
  started 2026-01-02T04:00:00Z, wall time 1 s, on LocalCluster(2)
  machine: CPU X, 4 cores, None GiB, Linux, Python 3.11.7
  programs computed: 0, read from the store: 5
versions: lbkit 0.1.0, numpy 2.0
5 batched programs, 10 students, sweep seed 7, 2 seeds per cell"""
    assert _diagram().describe_provenance(provenance) == expected


def test_readable_summary_spells_out_every_cell():
    import pandas as pd

    cells = pd.DataFrame(
        dict(
            k=[2, 8],
            n=[8, 512],
            seeds=[6, 6],
            reached=[6, 0],
            median_steps=[1250.0, np.nan],
            q25_steps=[1000.0, np.nan],
            q75_steps=[37500.0, np.nan],
            cap=[40000, 1500],
            min_loss_min=[0.4, 0.99],
        )
    )
    shown = _diagram().readable_summary(cells)
    assert list(shown.columns) == ["k", "n", "reached", "median", "quartiles", "cap"]
    assert shown.to_dict("records") == [
        dict(k=2, n=8, reached="6/6", median="1,250", quartiles="1,000 to 37,500", cap=40000),
        dict(k=8, n=512, reached="0/6", median="> 1,500", quartiles="", cap=1500),
    ]
    assert cells["reached"].tolist() == [6, 0]  # the table itself is left as it was


# ---------------------------------------------------------------------------
# hermite.gauss_hermite_pair (appendix_hermite, Mehler's formula)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [-1.0, -0.45, 0.0, 0.3, 0.9, 1.0])
def test_gauss_hermite_pair_moments_and_a_closed_form(rho):
    from lbkit.hermite import gauss_hermite_pair

    u, v, w = gauss_hermite_pair(rho, 12)
    assert u.shape == v.shape == w.shape == (144,)
    assert np.all(w > 0) and w.sum() == pytest.approx(1, abs=1e-14)
    # Isserlis' theorem for a standard Gaussian pair with correlation rho
    moments = {
        (1, 1): rho,
        (2, 2): 1 + 2 * rho**2,
        (3, 1): 3 * rho,
        (4, 0): 3.0,
        (0, 4): 3.0,
        (3, 3): 9 * rho + 6 * rho**3,
    }
    for (a, b), exact in moments.items():
        assert w @ (u**a * v**b) == pytest.approx(exact, abs=1e-12)
    # E[cos u cos v] = (E cos(u + v) + E cos(u - v)) / 2 = exp(-1) cosh(rho)
    u, v, w = gauss_hermite_pair(rho, 40)
    assert w @ (np.cos(u) * np.cos(v)) == pytest.approx(math.exp(-1) * math.cosh(rho), abs=1e-13)


def test_gauss_hermite_pair_against_a_simulated_pair():
    from lbkit.hermite import gauss_hermite_pair

    rng = np.random.default_rng(11)
    z1, z2 = rng.standard_normal((2, 400_000))
    rho = 0.6
    g = np.tanh(z1) * np.maximum(rho * z1 + math.sqrt(1 - rho**2) * z2, 0)
    u, v, w = gauss_hermite_pair(rho, 60)
    assert abs(w @ (np.tanh(u) * np.maximum(v, 0)) - g.mean()) < 4 * g.std() / math.sqrt(g.size)


def test_gauss_hermite_pair_refusals():
    from lbkit.hermite import gauss_hermite_pair

    with pytest.raises(ValueError, match="rho"):
        gauss_hermite_pair(1.5, 10)
    with pytest.raises(TypeError, match="rho"):
        gauss_hermite_pair("0.5", 10)
    with pytest.raises(ValueError, match="n_nodes"):
        gauss_hermite_pair(0.5, 0)
    with pytest.raises(ValueError, match="n_nodes"):
        gauss_hermite_pair(0.5, 2_001)
    with pytest.raises(TypeError, match="n_nodes"):
        gauss_hermite_pair(0.5, 10.0)


# ---------------------------------------------------------------------------
# hermite.quadrature_coefficients (appendix_hermite; Activation's coefficients by quadrature)
# ---------------------------------------------------------------------------


def test_quadrature_coefficients_against_closed_forms():
    from numpy.polynomial import hermite_e

    from lbkit.hermite import quadrature_coefficients

    fact = np.array([math.factorial(m) for m in range(21)], dtype=float)
    # sin z = sum over odd m of (-1)^((m-1)/2) e^(-1/2) He_m(z) / m!, so c_m = (-1)^((m-1)/2) e^(-1/2) / sqrt(m!)
    expected = np.array([0.0 if m % 2 == 0 else (-1) ** ((m - 1) // 2) * math.exp(-0.5) for m in range(21)])
    np.testing.assert_allclose(quadrature_coefficients(np.sin, 20, n_nodes=120), expected / np.sqrt(fact), atol=1e-14)
    # e^(az): c_m = a^m e^(a^2/2) / sqrt(m!)
    a = -0.7
    np.testing.assert_allclose(
        quadrature_coefficients(lambda z: np.exp(a * z), 20, n_nodes=120),
        a ** np.arange(21) * math.exp(a * a / 2) / np.sqrt(fact),
        atol=1e-14,
    )
    # a polynomial in numpy's He basis: exact with enough nodes
    he = np.array([0.5, -1.0, 0.0, 2.0, 0.25])
    c = quadrature_coefficients(lambda z: hermite_e.hermeval(z, he), 6, n_nodes=6)
    np.testing.assert_allclose(c, np.r_[he * np.sqrt(fact[:5]), 0, 0], atol=1e-13)


def test_quadrature_coefficients_is_what_activations_use():
    from lbkit.hermite import quadrature_coefficients

    act = lbkit.get_activation(lambda t: np.tanh(t) + 0.1 * t**2)
    np.testing.assert_array_equal(act.hermite_coefficients(30), quadrature_coefficients(act, 30, n_nodes=400))


def test_quadrature_coefficients_refusals():
    from lbkit.hermite import quadrature_coefficients

    with pytest.raises(TypeError, match="g must be"):
        quadrature_coefficients("sin", 3)
    with pytest.raises(ValueError, match="vectorised"):
        quadrature_coefficients(lambda z: 1.0, 3)
    with pytest.raises(TypeError, match="values of g"):
        quadrature_coefficients(lambda z: z.astype(complex), 3)
    with pytest.raises(ValueError, match="m_max"):
        quadrature_coefficients(np.sin, -1)
    with pytest.raises(TypeError, match="n_nodes"):
        quadrature_coefficients(np.sin, 3, n_nodes=2.5)
