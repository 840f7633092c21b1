"""Grading a class in one command: ``tools/build_assignments.py grade SET DIR``.

A folder of submissions to problem set 1 holds, next to a correct and an untouched
notebook, one submission of each hostile kind: a notebook that raises, one that loops
forever, one that allocates memory without end, a file that is not a notebook (one
with the .ipynb suffix, one without, a zip without a notebook), and an empty file; an
export zip of a correct notebook is graded like the notebook. They are graded by parallel
worker processes with a time and a memory limit (an address-space limit, so the
machine is never at risk), and the CSV must hold one row per submission in the shape
of otter's ``final_grades.csv``: the correct notebook full marks, the others zero or
partial marks with a note that says what happened. Needs otter-grader; slow (the
endless loop runs into the time limit).
"""

import csv
import os
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest

otter = pytest.importorskip("otter")
nbformat = pytest.importorskip("nbformat")
psutil = pytest.importorskip("psutil")

from tools import build_assignments  # noqa: E402 (after the otter skip)

ROOT = Path(__file__).resolve().parent.parent
SET = "ps1_orthogonal_family"
TIMEOUT = 90  # seconds per submission; a correct ps1 grades in about 15 s on a busy 2-core machine
MEMORY_GB = 3.0

pytestmark = pytest.mark.slow


def _with_cell(source_nb, dest, code, at=None, prepend_to_answer=False):
    nb = nbformat.read(source_nb, as_version=4)
    if prepend_to_answer:
        # the first answer cell: code after the imports that is not otter's or the setup cell
        cells = [
            c
            for c in nb.cells
            if c.cell_type == "code"
            and "otter" not in c.source
            and "grader." not in c.source
            and "lbkit-setup" not in c.metadata.get("tags", [])
            and "import" not in c.source
        ]
        cells[0].source = code + "\n" + cells[0].source
    else:
        nb.cells.insert(at, nbformat.v4.new_code_cell(code))
    nbformat.write(nb, dest)
    return dest


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The set built once, a folder of submissions, and the CSV the grade command wrote."""
    base = tmp_path_factory.mktemp("batch")
    paths = build_assignments.build_set(SET, base / "build", run_tests=False)
    subs = base / "submissions"
    subs.mkdir()
    solution, student = paths["solution"], paths["student"]
    (subs / "alice_correct.ipynb").write_bytes(solution.read_bytes())
    (subs / "bob_untouched.ipynb").write_bytes(student.read_bytes())
    _with_cell(solution, subs / "carol_raises.ipynb", 'raise RuntimeError("a student bug")', prepend_to_answer=True)
    _with_cell(solution, subs / "dave_loops.ipynb", "while True:\n    pass", at=5)
    _with_cell(solution, subs / "erin_memory.ipynb", "hog = []\nwhile True:\n    hog.append(bytearray(2**27))", at=5)
    (subs / "frank_not_json.ipynb").write_text("my answers are 3, 4 and 5")
    (subs / "grace_essay.pdf").write_bytes(b"%PDF-1.4 not a notebook")
    (subs / "heidi_empty.ipynb").write_bytes(b"")
    with zipfile.ZipFile(subs / "ivan_export.zip", "w") as zf:  # what the export cell writes
        zf.write(solution, solution.name)
    with zipfile.ZipFile(subs / "judy_export.zip", "w") as zf:
        zf.writestr("answers.txt", "no notebook in here")
    csv_path = base / "grades" / "final_grades.csv"
    # every process of the run (workers, and the kernels they start) inherits this token
    token = uuid.uuid4().hex
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "build_assignments.py"),
            "grade",
            "ps1",
            str(subs),
            "--out",
            str(base / "build"),
            "--csv",
            str(csv_path),
            "--workers",
            "2",
            "--timeout",
            str(TIMEOUT),
            "--memory",
            str(MEMORY_GB),
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "LBKIT_GRADE_TEST_TOKEN": token},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    time.sleep(2)
    left = []  # grading workers and notebook kernels of the run still alive after it returned
    for p in psutil.process_iter(["pid", "cmdline"]):
        try:
            if p.environ().get("LBKIT_GRADE_TEST_TOKEN") == token and p.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{p.info['pid']}: {' '.join(p.info['cmdline'] or [])[:200]}")
        except psutil.Error:
            pass
    with open(csv_path, newline="") as f:
        rows = {row["file"]: row for row in csv.DictReader(f)}
    return {
        "rows": rows,
        "stdout": proc.stdout,
        "left": left,
        "questions": build_assignments.questions(paths["autograder"]),
    }


def test_csv_has_otters_shape_and_a_row_per_submission(graded):
    rows, qs = graded["rows"], graded["questions"]
    assert qs == ["q1", "q2", "q3", "q4"]
    first = next(iter(rows.values()))
    assert list(first) == ["file", *qs, "percent_correct", "total_points_earned", "grading_status", "note"]
    assert list(rows)[0] == "points-per-question"
    possible = {q: float(rows["points-per-question"][q]) for q in qs}
    assert sum(possible.values()) == float(rows["points-per-question"]["total_points_earned"]) == 16
    assert set(rows) == {
        "points-per-question",
        "alice_correct.ipynb",
        "bob_untouched.ipynb",
        "carol_raises.ipynb",
        "dave_loops.ipynb",
        "erin_memory.ipynb",
        "frank_not_json.ipynb",
        "grace_essay.pdf",
        "heidi_empty.ipynb",
        "ivan_export.zip",
        "judy_export.zip",
    }
    for name, row in rows.items():  # totals add up
        assert float(row["total_points_earned"]) == pytest.approx(sum(float(row[q]) for q in qs)), name


def test_good_submissions_are_graded_as_usual(graded):
    rows = graded["rows"]
    assert float(rows["alice_correct.ipynb"]["total_points_earned"]) == 16
    assert rows["alice_correct.ipynb"]["note"] == "" and rows["alice_correct.ipynb"]["grading_status"] == "completed"
    assert float(rows["ivan_export.zip"]["total_points_earned"]) == 16 and rows["ivan_export.zip"]["note"] == ""
    assert float(rows["bob_untouched.ipynb"]["total_points_earned"]) == 0
    assert rows["bob_untouched.ipynb"]["grading_status"] == "completed"


def test_a_submission_that_raises_keeps_its_other_points(graded):
    row = graded["rows"]["carol_raises.ipynb"]
    assert row["grading_status"] == "completed"
    assert "raised RuntimeError: a student bug" in row["note"]
    assert 0 < float(row["total_points_earned"]) < 16


def test_an_endless_loop_is_stopped_at_the_time_limit(graded):
    row = graded["rows"]["dave_loops.ipynb"]
    assert row["grading_status"] == "failed" and float(row["total_points_earned"]) == 0
    assert row["note"].startswith(f"time limit: grading took longer than {TIMEOUT} s")


def test_memory_exhaustion_is_stopped_by_the_limit(graded):
    row = graded["rows"]["erin_memory.ipynb"]
    assert float(row["total_points_earned"]) == 0 or "MemoryError" in row["note"]
    assert "memory limit" in row["note"] and f"{MEMORY_GB:g} GiB" in row["note"]


def test_files_that_are_not_notebooks_get_a_note(graded):
    rows = graded["rows"]
    assert rows["frank_not_json.ipynb"]["note"].startswith("not a notebook: NotJSONError")
    assert rows["grace_essay.pdf"]["note"].startswith("not a notebook: a .pdf file")
    assert rows["heidi_empty.ipynb"]["note"] == "empty file: nothing to grade"
    assert rows["judy_export.zip"]["note"] == "not a notebook: the zip file holds no .ipynb"
    for name in ("frank_not_json.ipynb", "grace_essay.pdf", "heidi_empty.ipynb", "judy_export.zip"):
        assert rows[name]["grading_status"] == "failed" and float(rows[name]["total_points_earned"]) == 0


def test_no_worker_or_kernel_is_left_running(graded):
    # the endless loop's worker and its kernel (which runs in a session of its own) were killed
    assert graded["left"] == []


def test_limits_and_workers_are_checked():
    with pytest.raises(ValueError, match="workers=0"):
        build_assignments.grade_batch("x.zip", [], "out.csv", workers=0)
    with pytest.raises(ValueError, match="both limits must be positive"):
        build_assignments.grade_batch("x.zip", [], "out.csv", timeout=0)
