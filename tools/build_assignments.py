"""Generate the student notebooks and autograders of the problem sets, and grade submissions.

Each problem set is a folder ``assignments/<set>/`` holding one master notebook
``<set>.ipynb`` in the Otter Assign format of otter-grader (questions, reference
solutions, public and hidden tests). Needs the extra requirements:

    .venv/bin/pip install -r requirements-assignments.txt

Generate every set (or name some; a prefix such as ``ps1`` is enough):

    .venv/bin/python tools/build_assignments.py [--out assignments/_build] [--no-run-tests] [SET ...]

For each set this runs Otter Assign and writes

    assignments/_build/<set>/student/<set>.ipynb     the notebook to hand out: solutions and
                                                    hidden tests removed, public tests kept
    assignments/_build/<set>/autograder/             the solution notebook and otter's files
    assignments/_build/<set>/autograder.zip          the autograder (all tests, hidden included)

and, unless ``--no-run-tests`` is given, grades the reference solutions with that
autograder and fails if they do not score full marks. ``assignments/_build/`` is
ignored by git.

Grade submissions locally, without Docker, in the current environment (which must
have lbkit and torch, as the book's does):

    .venv/bin/python tools/build_assignments.py grade SET SUBMISSION [SUBMISSION ...]

A submission is a student's notebook or the zip file its export cell writes. This
prints each submission's score and otter's per-question summary, and writes nothing.
It is the same as otter's own command
``.venv/bin/otter run -a assignments/_build/<set>/autograder.zip -o DIR SUBMISSION``
(which also writes ``DIR/results.json``).
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ROOT / "assignments"
DEFAULT_OUT = ASSIGNMENTS / "_build"


def find_sets() -> list[str]:
    """Names of the problem sets: folders ``assignments/<set>/`` containing ``<set>.ipynb``."""
    return sorted(
        p.parent.name
        for p in ASSIGNMENTS.glob("*/*.ipynb")
        if p.stem == p.parent.name and not p.parent.name.startswith(("_", "."))
    )


def resolve(names) -> list[str]:
    """Full set names for the given names or unique prefixes (all sets when ``names`` is empty)."""
    sets = find_sets()
    if not names:
        return sets
    out = []
    for name in names:
        matches = [s for s in sets if s == name] or [s for s in sets if s.startswith(name)]
        if len(matches) != 1:
            raise SystemExit(f"problem set {name!r} matches {matches or 'nothing'}; the sets are: {', '.join(sets)}")
        out.append(matches[0])
    return out


def build_set(name: str, out: Path = DEFAULT_OUT, run_tests: bool = True) -> dict:
    """Run Otter Assign on ``assignments/<name>/<name>.ipynb`` into ``out/<name>``.

    Returns a dict with the paths of the ``student`` notebook, the ``solution``
    (autograder) notebook and the ``autograder`` zip. With ``run_tests`` otter grades
    the solution notebook with the new autograder and raises ``RuntimeError`` unless
    it scores full marks.
    """
    from otter.assign import main as otter_assign

    master = ASSIGNMENTS / name / f"{name}.ipynb"
    if not master.is_file():
        raise FileNotFoundError(f"no master notebook {master}")
    result = Path(out).resolve() / name
    if result.exists():
        shutil.rmtree(result)
    result.mkdir(parents=True)
    otter_assign(str(master), str(result), no_pdfs=True, no_run_tests=not run_tests)
    zips = glob.glob(str(result / "autograder" / f"{name}-autograder_*.zip"))
    if len(zips) != 1:
        raise RuntimeError(f"expected one autograder zip in {result / 'autograder'}, found {zips}")
    autograder = result / "autograder.zip"
    shutil.copyfile(zips[0], autograder)
    return {
        "student": result / "student" / f"{name}.ipynb",
        "solution": result / "autograder" / f"{name}.ipynb",
        "autograder": autograder,
    }


def grade(submission, autograder, quiet: bool = True):
    """Grade one submission (notebook or export zip) locally with an autograder zip.

    Returns otter's ``GradingResults``: ``.total``, ``.possible``, ``.summary()``.
    """
    from otter.api import grade_submission

    return grade_submission(str(submission), str(autograder), quiet=quiet)


def _cmd_build(args) -> int:
    out = Path(args.out)
    for name in resolve(args.sets):
        t0 = time.perf_counter()
        paths = build_set(name, out, run_tests=not args.no_run_tests)
        checked = "" if args.no_run_tests else ", reference solutions score full marks"
        print(f"{name}: built in {time.perf_counter() - t0:.1f} s{checked}")
        for key in ("student", "autograder"):
            print(f"    {key:10s} {os.path.relpath(paths[key], ROOT)}")
    return 0


def _cmd_grade(args) -> int:
    (name,) = resolve([args.set])
    autograder = Path(args.out) / name / "autograder.zip"
    if not autograder.is_file():
        raise SystemExit(f"no autograder at {autograder}; build it first: python tools/build_assignments.py {name}")
    for submission in args.submissions:
        results = grade(submission, autograder)
        print(f"{submission}: {results.total:g} / {results.possible:g}")
        if args.verbose:
            print(results.summary())
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    if argv[:1] == ["grade"]:
        parser.add_argument("command")
        parser.add_argument("set", help="problem set name or prefix, e.g. ps1")
        parser.add_argument("submissions", nargs="+", help="student notebooks (.ipynb) or export zips")
        parser.add_argument("--out", default=str(DEFAULT_OUT), help="build folder (default assignments/_build)")
        parser.add_argument(
            "-q",
            "--quiet",
            dest="verbose",
            action="store_false",
            help="print only the scores, not otter's per-question summary",
        )
        return _cmd_grade(parser.parse_args(argv))
    parser.epilog = "To grade: build_assignments.py grade SET SUBMISSION [SUBMISSION ...]"
    parser.add_argument("sets", nargs="*", help="problem set names or prefixes (default: all)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="build folder (default assignments/_build)")
    parser.add_argument(
        "--no-run-tests", action="store_true", help="do not grade the reference solutions after generating"
    )
    return _cmd_build(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
