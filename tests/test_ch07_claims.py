"""Chapter 7's training claims are checked by cells that can fail.

The check cells of chapter 7 (tags ``claim:phase-diagram``, ``claim:scaling`` and ``claim:plateau``) are run
on fabricated data: one inside the calibrated range (the checks must pass), one with a reversed trend in n,
one with a reversed trend in k, ones where the reported growth of T(n, 4) from n = 32 to 128 is halved or
doubled, a plateau that shrinks with n and a drop that grows as fast as the plateau (the checks must fail).
The scaling check needs the seed bootstrap of the chapter, which is run from its own cell (tag
``compute:scaling``) on the same fabricated data.
"""

import math

import numpy as np
import pandas as pd
import pytest
from nbcells import run_cell

from lbkit.stats import bootstrap_medians, loglog_slope

NB = "chapters/07_gd_in_practice.ipynb"
N_VALUES, K_VALUES = (8, 16, 32, 64, 128), (2, 4, 6)
# medians inside the calibrated range (close to what the chapter measures)
MEDIANS = {2: [25, 40, 52, 65, 90], 4: [212, 350, 712, 4600, 17600], 6: [1025, 2700, None, None, None]}
SEED_FACTORS = [0.8, 0.95, 1.05, 1.35]  # spread of four seeds around the median, as measured


def caps(n):
    return {2: 1_000, 4: 40_000, 6: 6_000 if n <= 32 else 1_500}


def fabricate(medians=MEDIANS, factors=SEED_FACTORS):
    rows = []
    for k, meds in medians.items():
        for n, m in zip(N_VALUES, meds):
            for seed, f in enumerate(factors):
                steps = np.nan if m is None else float(round(m * f))
                rows.append(
                    {
                        "n": n,
                        "k": k,
                        "seed": seed,
                        "steps": steps,
                        "cap": caps(n)[k],
                        "final_loss": 0.97 if m is None else 0.45,
                        "min_loss": 0.96 if m is None else 0.45,
                    }
                )
    return pd.DataFrame(rows)


def namespace(phase):
    ns = {
        "np": np,
        "pd": pd,
        "math": math,
        "phase": phase,
        "N_VALUES": N_VALUES,
        "K_VALUES": K_VALUES,
        "glue_values": lambda **values: None,
        "bootstrap_medians": bootstrap_medians,
        "loglog_slope": loglog_slope,
    }
    ns["steps"] = phase.groupby(["k", "n"])["steps"].median().unstack("n")
    return ns


def run_claims(phase):
    ns = namespace(phase)
    run_cell(NB, "claim:phase-diagram", ns)
    run_cell(NB, "compute:scaling", ns)
    run_cell(NB, "claim:scaling", ns)
    return ns


def with_k4(values):
    return {**MEDIANS, 4: values}


def test_claims_pass_on_data_inside_the_calibrated_range():
    ns = run_claims(fabricate())
    assert ns["point"][4][0] < 3


def test_claims_pass_with_the_slow_seed_spread_seen_at_the_edge():
    run_claims(fabricate(factors=[0.6, 0.9, 1.1, 1.5]))


@pytest.mark.parametrize(
    "bad, where",
    [
        ({**MEDIANS, 4: MEDIANS[4][::-1]}, "a reversed trend in n (k = 4)"),
        ({**MEDIANS, 2: MEDIANS[2][::-1]}, "a reversed trend in n (k = 2)"),
        (
            {2: MEDIANS[6][:2] + [3000, 3500, 4000], 4: MEDIANS[4], 6: MEDIANS[2][:2] + [None] * 3},
            "a reversed trend in k",
        ),
        ({**MEDIANS, 6: [1100, 2900, 4000, None, None]}, "k = 6 learned at n = 32"),
    ],
)
def test_phase_diagram_check_catches_a_wrong_claim(bad, where):
    with pytest.raises(AssertionError):
        run_cell(NB, "claim:phase-diagram", namespace(fabricate(bad)))


@pytest.mark.parametrize("factor", [0.5, 2.0])
def test_scaling_check_catches_a_factor_two_change_in_the_reported_growth(factor):
    k4 = list(MEDIANS[4])
    k4[-1] = k4[-1] * factor  # T(128, 4) / T(32, 4) halved or doubled
    phase = fabricate(with_k4(k4))
    ns = namespace(phase)
    run_cell(NB, "compute:scaling", ns)
    with pytest.raises(AssertionError):
        run_cell(NB, "claim:scaling", ns)


def test_scaling_check_catches_slopes_at_the_yardstick():
    # T(n, 4) ~ n^3 throughout (the asymptotic exponent already at n = 8) contradicts "below the yardstick"
    k4 = [int(20 * (n / 8) ** 3.2) for n in N_VALUES]
    ns = namespace(fabricate(with_k4(k4)))
    run_cell(NB, "compute:scaling", ns)
    with pytest.raises(AssertionError):
        run_cell(NB, "claim:scaling", ns)


# -- §7.3: plateau and drop ------------------------------------------------------------------------------------------

# (plateau, drop) per seed, close to what the chapter measures (medians 230 / 500 / ~1,800 and 220 / 290 / ~450)
CURVES = {16: [(230, 230), (210, 220), (240, 220)], 32: [(500, 290), (510, 270), (410, 350)],
          64: [(5430, 510), (1550, 390), (1820, 440)]}  # fmt: skip


def plateau_namespace(curves):
    rows = [
        {"n": n, "seed": s, "plateau": p, "drop 0.9 -> 0.1": d, "median plateau loss": 0.98}
        for n, pairs in curves.items()
        for s, (p, d) in enumerate(pairs)
    ]
    marks = pd.DataFrame(rows)
    marks["drop / plateau"] = marks["drop 0.9 -> 0.1"] / marks["plateau"]
    medians = marks.groupby("n")[["plateau", "drop 0.9 -> 0.1", "drop / plateau"]].median()
    return {"np": np, "pd": pd, "marks": marks, "medians": medians}


def test_plateau_check_passes_inside_the_calibrated_range():
    run_cell(NB, "claim:plateau", plateau_namespace(CURVES))


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda n, p, d: (p * 16 / n, d), "a reversed trend: the plateau shrinks with n"),
        (lambda n, p, d: (p, d * (4 if n == 64 else 1)), "a drop growth four times the one measured"),
        (lambda n, p, d: (p, 3 * p if n == 64 else d), "a slow drop at n = 64 (longer than the plateau)"),
    ],
)
def test_plateau_check_catches_a_wrong_claim(change, where):
    bad = {n: [change(n, p, d) for p, d in pairs] for n, pairs in CURVES.items()}
    with pytest.raises(AssertionError):
        run_cell(NB, "claim:plateau", plateau_namespace(bad))
