"""The problem sets in assignments/: generation, reference solutions, student versions.

Needs otter-grader (requirements-assignments.txt); skipped without it. Every set is
generated into a temporary folder with tools/build_assignments.py, then graded
locally (no Docker) with its own autograder: the reference solutions must score
full marks, and the unmodified student notebook must run and score less.

Problem set 3 trains networks, whose step counts depend on the machine's
floating-point details. Its answers are therefore also computed under one platform
setting and graded under another (``test_ps3_grades_across_platforms``), and its
hidden tests are shown to fail on wrong answers computed there
(``test_ps3_hidden_tests_catch_wrong_answers``).
"""

import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

otter = pytest.importorskip("otter")

from tools import build_assignments  # noqa: E402 (after the otter skip)

ROOT = Path(__file__).resolve().parent.parent

SETS = build_assignments.find_sets()

pytestmark = pytest.mark.slow


def test_there_are_four_sets():
    assert SETS == ["ps1_orthogonal_family", "ps2_sq_lower_bound", "ps3_gd_in_practice", "ps4_classification_sq"]


class _LazyBuilds(dict):
    """Each set generated on first use, once (so that ``-k ps3`` builds only problem set 3)."""

    def __init__(self, out):
        super().__init__()
        self.out = out

    def __missing__(self, name):
        self[name] = build_assignments.build_set(name, self.out, run_tests=False)
        return self[name]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sets, generated on demand (otter's own solution check off: the tests below grade explicitly)."""
    return _LazyBuilds(tmp_path_factory.mktemp("assignments_build"))


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
    # the chapters' setup cell comes first (it installs this lbkit and otter where they are missing)
    from tools import set_repository_url

    first = json.loads(student)["cells"][0]
    assert set_repository_url.SETUP_TAG in first["metadata"]["tags"]
    assert "".join(first["source"]) == set_repository_url.setup_cell_source(
        *set_repository_url.read_config(), otter=True
    )
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
    # questions graded by hand (`manual: true`) have no tests: the autograder does not score them
    configs = ["".join(c["source"]) for c in master["cells"]]
    n_questions = sum(src.startswith("# BEGIN QUESTION") and "manual: true" not in src for src in configs)
    assert len(results.results) == n_questions


@pytest.mark.parametrize("name", SETS)
def test_every_set_has_a_proof_question_with_a_rubric(built, name):
    """Each set has a question graded by hand; its rubric is in the solutions, not in the student notebook."""
    master = json.loads((ROOT / "assignments" / name / f"{name}.ipynb").read_text())
    sources = ["".join(c["source"]) for c in master["cells"]]
    assert any(src.startswith("# BEGIN QUESTION") and "manual: true" in src for src in sources), (
        f"{name} has no manually graded question"
    )
    student = built[name]["student"].read_text()
    solution = built[name]["solution"].read_text()
    assert "**Rubric" in solution and "**Rubric" not in student
    assert "otter_answer_cell" in student


# --- problem set 3 on two machines ---------------------------------------------------------------
#
# Otter grades by re-executing the submission, so normally the student's numbers and the hidden
# tests' re-runs come from one machine. The tests below are stricter: they compute the answers under
# one platform setting (torch kernels, MKL mode, threads: the stand-ins for another computer that
# tests/calibrate_training.py uses) and run the tests under another, as if the numbers had been
# computed on the student's laptop and checked on the grader's server.

PS3 = ROOT / "assignments" / "ps3_gd_in_practice" / "ps3_gd_in_practice.ipynb"
PLATFORM_VARS = ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
NATIVE = {}
GENERIC = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
AVX2 = {"ATEN_CPU_CAPABILITY": "avx2", "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}


def _env(variant):
    env = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARS}
    env.update(variant)
    return env


def _ps3_cells():
    """(setup code, answer cells, {test name: test cell}) of the master notebook."""
    nb = json.loads(PS3.read_text())
    answers, tests, in_tests, setup = [], {}, False, None
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "raw":
            in_tests = {"# BEGIN TESTS": True, "# END TESTS": False}.get(src.strip(), in_tests)
        elif cell["cell_type"] == "code":
            if in_tests:
                (name,) = re.findall(r"^def (test_\w+)\(", src, flags=re.M)
                tests[name] = src
            else:
                setup = setup or src
                answers.append(src)
    return setup, answers, tests


_ANSWER_SCRIPT = """
import pickle, sys
cells, names, out = pickle.load(open(sys.argv[1], "rb"))
ns = {}
for src in cells:
    exec(compile(src, "ps3", "exec"), ns)
pickle.dump({k: ns[k] for k in names}, open(out, "wb"))
"""

_GRADE_SCRIPT = """
import json, pickle, sys, traceback
setup, tests, cases, answers = pickle.load(open(sys.argv[1], "rb"))
results = {}
for case, (mutation, names) in cases.items():
    ns = {}
    exec(compile(setup, "setup", "exec"), ns)
    ns.update(pickle.load(open(answers, "rb")))
    exec(compile(mutation, case, "exec"), ns)
    results[case] = {}
    for name in names:
        try:
            exec(compile(tests[name], name, "exec"), dict(ns))
            results[case][name] = "pass"
        except AssertionError as exc:
            results[case][name] = "fail: " + str(exc)
print(json.dumps(results))
"""


def _run(script, payload, env, tmp_path):
    import pickle

    arg = tmp_path / f"payload-{len(list(tmp_path.iterdir()))}.pkl"
    arg.write_bytes(pickle.dumps(payload))
    proc = subprocess.run(
        [sys.executable, "-c", script, str(arg)],
        env=env,
        cwd=ROOT / "chapters",
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture(scope="module")
def ps3_answers(tmp_path_factory):
    """The reference answers of problem set 3, computed under each platform setting on demand."""
    setup, answers, tests = _ps3_cells()
    names = sorted(
        {
            a.strip()
            for src in tests.values()
            for a in re.search(r"^def test_\w+\(([^)]*)\)", src, flags=re.M).group(1).split(",")
        }
    )
    tmp = tmp_path_factory.mktemp("ps3")
    cache = {}

    def compute(label, variant):
        if label not in cache:
            out = tmp / f"answers-{label}.pkl"
            _run(_ANSWER_SCRIPT, (answers, names, str(out)), _env(variant), tmp)
            cache[label] = out
        return cache[label]

    return compute, tmp


def _grade(ps3_answers, answers_file, variant, cases):
    _, tmp = ps3_answers
    setup, _, tests = _ps3_cells()
    cases = {case: (textwrap.dedent(mutation), names or sorted(tests)) for case, (mutation, names) in cases.items()}
    return json.loads(_run(_GRADE_SCRIPT, (setup, tests, cases, str(answers_file)), _env(variant), tmp))


@pytest.mark.parametrize("student, grader", [("generic", "native"), ("native", "avx2")])
def test_ps3_grades_across_platforms(ps3_answers, student, grader):
    """Answers computed under one platform setting pass every test (public and hidden) run under another."""
    variants = {"native": NATIVE, "generic": GENERIC, "avx2": AVX2}
    compute, _ = ps3_answers
    results = _grade(ps3_answers, compute(student, variants[student]), variants[grader], {"reference": ("", None)})
    failed = {t: r for t, r in results["reference"].items() if r != "pass"}
    assert not failed, f"reference answers computed under {student} fail under {grader}: {failed}"
    assert len(results["reference"]) >= 9


# Wrong answers, each with the hidden test that must catch it. The answers are computed under the
# generic platform setting and graded natively, so the tolerances that let right answers through
# across machines are the ones shown to stop these.
PS3_WRONG = {
    "q1: steps of the k = 4 target": ("steps_k2 = steps_k4[8, 0]", "test_q1_rerun"),
    "q1: steps off by a factor 2": ("steps_k2 = 2 * steps_k2; gd1.steps_to_target_ = steps_k2", "test_q1_rerun"),
    "q1: trained with rng=1": (
        """
        gd1 = GDRegressor(**SETTINGS, rng=1).fit(target(8, 2))
        steps_k2, initial_loss = gd1.steps_to_target_, float(gd1.history_["test_loss"][0])
        """,
        "test_q1_rerun",
    ),
    "q1: final loss instead of initial": ('initial_loss = float(gd1.history_["test_loss"][-1])', "test_q1_rerun"),
    "q2: steps off by a factor 2": ("steps_k4 = {key: 2 * v for key, v in steps_k4.items()}", "test_q2_values"),
    "q2: k = 4 steps halved at n = 16 only": (
        """
        steps_k4 = dict(steps_k4); steps_k4[16, 0] //= 2; steps_k4[16, 1] //= 2
        geo_k4 = {n: (steps_k4[n, 0] * steps_k4[n, 1]) ** 0.5 for n in (8, 12, 16)}
        growth_k4 = geo_k4[16] / geo_k4[8]
        """,
        "test_q2_values",
    ),
    "q2: arithmetic instead of geometric mean": (
        "geo_k4 = {n: (steps_k4[n, 0] + steps_k4[n, 1]) / 2 for n in (8, 12, 16)}",
        "test_q2_values",
    ),
    "q2: growth_k2 inverted": ("growth_k2 = 1 / growth_k2", "test_q2_values"),
    "q2: growth_k4 inverted (a reversed trend)": ("growth_k4 = 1 / growth_k4", "test_q2_growth"),
    "q2: growth_k4 doubled": ("growth_k4 = 2 * growth_k4", "test_q2_growth"),
    "q3: noise levels reversed": (
        "noise_steps = {0.0: noise_steps[1.0], 0.3: noise_steps[0.3], 1.0: noise_steps[0.0]}",
        "test_q3_values",
    ),
    "q3: steps off by a factor 2": ("noise_steps = {s: 2 * v for s, v in noise_steps.items()}", "test_q3_values"),
    "q4: bound claimed violated": ("bound_violated = True", "test_q4_values"),
}


def test_ps3_hidden_tests_catch_wrong_answers(ps3_answers):
    compute, _ = ps3_answers
    cases = {case: (mutation, [test]) for case, (mutation, test) in PS3_WRONG.items()}
    results = _grade(ps3_answers, compute("generic", GENERIC), NATIVE, cases)
    passed = {case: r for case, r in results.items() if any(v == "pass" for v in r.values())}
    assert not passed, f"wrong answers that the hidden tests let through: {passed}"
