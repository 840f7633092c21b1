"""The problem sets in assignments/: generation, reference solutions, student versions.

Needs otter-grader (requirements-assignments.txt); skipped without it. Every set is
generated into a temporary folder with tools/build_assignments.py, then graded
locally (no Docker) with its own autograder: the reference solutions must score
full marks, and the unmodified student notebook must run and score less.
"""

import importlib.util
import json
import zipfile
from pathlib import Path

import pytest

otter = pytest.importorskip("otter")

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("build_assignments", ROOT / "tools" / "build_assignments.py")
build_assignments = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_assignments)

SETS = build_assignments.find_sets()

pytestmark = pytest.mark.slow


def test_there_are_four_sets():
    assert SETS == ["ps1_orthogonal_family", "ps2_sq_lower_bound", "ps3_gd_in_practice",
                    "ps4_classification_sq"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every set generated once (otter's own solution check off: the tests below grade explicitly)."""
    out = tmp_path_factory.mktemp("assignments_build")
    return {name: build_assignments.build_set(name, out, run_tests=False) for name in SETS}


def _hidden_test_names(master):
    """Names of the hidden test functions in a master notebook."""
    nb = json.loads(master.read_text())
    names = []
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and "hidden: true" in src:
            names += [line.split("(")[0][4:] for line in src.splitlines() if line.startswith("def test_")]
    return names


@pytest.mark.parametrize("name", SETS)
def test_generation(built, name):
    paths = built[name]
    for key in ("student", "solution", "autograder"):
        assert paths[key].is_file(), f"{key} missing for {name}"
    student = paths["student"].read_text()
    assert "BEGIN SOLUTION" not in student and "# SOLUTION" not in student
    hidden = _hidden_test_names(ROOT / "assignments" / name / f"{name}.ipynb")
    assert hidden, "every set has hidden tests"
    with zipfile.ZipFile(paths["autograder"]) as zf:
        tests = "".join(zf.read(f).decode() for f in zf.namelist() if f.startswith("tests/"))
    for test in hidden:
        assert test not in student, f"hidden test {test} leaked into the student notebook"
        assert test in tests, f"hidden test {test} missing from the autograder"


@pytest.mark.parametrize("name", SETS)
def test_reference_solutions_score_full_marks(built, name):
    results = build_assignments.grade(built[name]["solution"], built[name]["autograder"])
    assert results.possible > 0
    assert results.total == results.possible, results.summary()


@pytest.mark.parametrize("name", SETS)
def test_student_version_runs_and_scores_less(built, name):
    results = build_assignments.grade(built[name]["student"], built[name]["autograder"])
    assert results.possible > 0
    assert results.total < results.possible
    # it ran to the end: every question was graded
    master = json.loads((ROOT / "assignments" / name / f"{name}.ipynb").read_text())
    n_questions = sum("".join(c["source"]).startswith("# BEGIN QUESTION") for c in master["cells"])
    assert len(results.results) == n_questions
