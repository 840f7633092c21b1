"""Generate the student notebooks and autograders of the problem sets, and grade submissions.

Each problem set is a folder ``assignments/<set>/`` holding one master notebook
``<set>.ipynb`` in the Otter Assign format of otter-grader (questions, reference
solutions, public and hidden tests). Needs the extra requirements:

    .venv/bin/pip install -r requirements-assignments.txt

Generate every set (or name some; a prefix such as ``ps1`` is enough):

    .venv/bin/python tools/build_assignments.py [--out assignments/_build] [--no-run-tests]
        [--variant SEED] [--pdf] [SET ...]

For each set this runs Otter Assign and writes

    assignments/_build/<set>/student/<set>.ipynb     the notebook to hand out: solutions and
                                                    hidden tests removed, public tests kept,
                                                    the chapters' setup cell first
    assignments/_build/<set>/autograder/             the solution notebook and otter's files
    assignments/_build/<set>/autograder.zip          the autograder (all tests, hidden included)

The autograder zip carries what it needs to grade anywhere (Gradescope, ``otter
grade``): the master's ``python_version`` and ``requirements``, and a wheel of lbkit
built from this checkout in its ``files/``, installed from ``/autograder/source/files``
(where those graders unpack the zip). Unless ``--no-run-tests`` is given, the reference
solutions are then graded with the new autograder, and the build fails unless they
score full marks. ``--variant SEED`` builds a course variant (other seeds: see
``tools/assignment_variants.py``); ``--pdf`` makes the export cell also write the PDF of
the manually graded question. ``assignments/_build/`` is ignored by git.

Grade a class, in parallel worker processes with a time and a memory limit per
submission, in the current environment (which must have lbkit and torch, as the book's
does), into a CSV shaped like otter's ``final_grades.csv`` plus a ``note`` column:

    .venv/bin/python tools/build_assignments.py grade SET DIR_OR_FILES... [--csv final_grades.csv]
        [--workers 2] [--timeout 600] [--memory 4]

A submission is a student's notebook or the zip file its export cell writes; every
file gets a row, with a note when it raised, ran out of time or memory, is empty or is
not a notebook. One submission with otter's own command:
``.venv/bin/otter run -a assignments/_build/<set>/autograder.zip -o DIR SUBMISSION``
(which writes ``DIR/results.json``).
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ROOT / "assignments"
DEFAULT_OUT = ASSIGNMENTS / "_build"

if str(ROOT) not in sys.path:  # run as a script: `tools` importable
    sys.path.insert(0, str(ROOT))

# Where Gradescope (and `otter grade`'s Docker image) unpack the autograder zip: the
# requirement that installs the lbkit wheel shipped in the zip's files/ points there.
AUTOGRADER_SOURCE = "/autograder/source"
DISTRIBUTION = "lbkit-goel2020"  # pyproject.toml's [project] name


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


def build_wheel(dest: Path) -> Path:
    """Build lbkit's wheel from this checkout into ``dest`` (once: an existing wheel is reused)."""
    dest = Path(dest)
    found = sorted(dest.glob(f"{DISTRIBUTION.replace('-', '_')}-*.whl"))
    if found:
        return found[-1]
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # build from a copy of the package, so that the checkout gets no build/ or egg-info
        src = Path(tmp) / "src"
        shutil.copytree(ROOT / "lbkit", src / "lbkit", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for name in ("pyproject.toml", "README.md", "LICENSE"):  # setuptools puts LICENSE* into the wheel
            if (ROOT / name).is_file():
                shutil.copy2(ROOT / name, src / name)
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dest), str(src)],
            capture_output=True,
            text=True,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"building lbkit's wheel failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    (wheel,) = dest.glob(f"{DISTRIBUTION.replace('-', '_')}-*.whl")
    return wheel


def _config_cell(nb) -> int:
    """Index of the ``# ASSIGNMENT CONFIG`` raw cell of a master notebook."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "raw" and cell.source.lstrip().startswith("# ASSIGNMENT CONFIG"):
            return i
    raise ValueError("the master notebook has no raw cell starting with '# ASSIGNMENT CONFIG'")


def read_config(name: str) -> dict:
    """The ``# ASSIGNMENT CONFIG`` of a set's master notebook, as a dict."""
    import nbformat
    import yaml

    nb = nbformat.read(ASSIGNMENTS / name / f"{name}.ipynb", as_version=4)
    return yaml.safe_load(nb.cells[_config_cell(nb)].source) or {}


def _stage_master(name: str, staging: Path, wheel: Path | None, variant: int | None, pdf: bool = False) -> Path:
    """Copy the master into ``staging`` with the wheel, naming the wheel in its config.

    The master names ``python_version`` and the PyPI requirements; the wheel's file name
    depends on lbkit's version, so it is added here: shipped in the zip's ``files/``
    (``autograder_files``) and installed from where the grading image unpacks the zip.
    """
    import nbformat
    import yaml

    nb = nbformat.read(ASSIGNMENTS / name / f"{name}.ipynb", as_version=4)
    i = _config_cell(nb)
    config = yaml.safe_load(nb.cells[i].source) or {}
    missing = [key for key in ("python_version", "requirements") if key not in config]
    if missing or not isinstance(config.get("requirements"), list):
        raise ValueError(f"{name}: the ASSIGNMENT CONFIG must give python_version and a list of requirements")
    if pdf:  # the export cell also writes the PDF of the manually graded question (needs LaTeX)
        config["export_cell"] = {**(config.get("export_cell") or {}), "pdf": True}
    if wheel is not None:
        shutil.copy2(wheel, staging / wheel.name)
        wheel_req = f"{DISTRIBUTION} @ file://{AUTOGRADER_SOURCE}/files/{wheel.name}"
        config["requirements"] = [*config["requirements"], wheel_req]
        config["autograder_files"] = [*config.get("autograder_files", []), wheel.name]
    nb.cells[i].source = "# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False, width=1000)
    if variant is not None:
        from tools import assignment_variants

        nb = assignment_variants.apply(name, nb, variant)
    staged = staging / f"{name}.ipynb"
    nbformat.write(nb, staged)
    return staged


def add_setup_cell(path: Path) -> None:
    """Put the chapters' hidden setup cell (with otter) first in a generated notebook."""
    import nbformat

    from tools import set_repository_url

    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if set_repository_url.SETUP_TAG not in c.metadata.get("tags", [])]
    url, branch = set_repository_url.read_config()
    nb.cells.insert(0, set_repository_url.setup_cell(url, branch, otter=True))
    nbformat.write(nb, path)


def build_set(
    name: str,
    out: Path = DEFAULT_OUT,
    run_tests: bool = True,
    variant: int | None = None,
    wheel: bool = True,
    pdf: bool = False,
) -> dict:
    """Run Otter Assign on ``assignments/<name>/<name>.ipynb`` into ``out/<name>``.

    Returns a dict with the paths of the ``student`` notebook, the ``solution``
    (autograder) notebook and the ``autograder`` zip. The zip carries lbkit (a wheel
    built from this checkout, in its ``files/``) and names everything else it needs
    in its ``environment.yml``. With ``variant`` (an integer seed) the set's numbers
    are changed as ``tools/assignment_variants.py`` describes. With ``run_tests`` otter
    grades the solution notebook with the new autograder and raises ``RuntimeError``
    unless it scores full marks. ``wheel=False`` leaves lbkit out of the zip (for the
    student notebooks alone, as the book build makes them: faster, and the zip then
    cannot grade outside this environment). ``pdf=True`` makes the export cell write,
    next to the zip, the PDF of the manually graded question (question 5) that
    Gradescope's manual grading takes (otter's LaTeX export: pandoc and xelatex).
    """
    from otter.assign import main as otter_assign

    master = ASSIGNMENTS / name / f"{name}.ipynb"
    if not master.is_file():
        raise FileNotFoundError(f"no master notebook {master}")
    result = Path(out).resolve() / name
    if result.exists():
        shutil.rmtree(result)
    staging = result / "_source"
    staging.mkdir(parents=True)
    wheel_path = build_wheel(Path(out).resolve() / "_wheel") if wheel else None
    staged = _stage_master(name, staging, wheel_path, variant, pdf)
    otter_assign(str(staged), str(result), no_pdfs=True, no_run_tests=True)
    zips = glob.glob(str(result / "autograder" / f"{name}-autograder_*.zip"))
    if len(zips) != 1:
        raise RuntimeError(f"expected one autograder zip in {result / 'autograder'}, found {zips}")
    autograder = result / "autograder.zip"
    shutil.copyfile(zips[0], autograder)
    paths = {
        "student": result / "student" / f"{name}.ipynb",
        "solution": result / "autograder" / f"{name}.ipynb",
        "autograder": autograder,
    }
    for key in ("student", "solution"):
        add_setup_cell(paths[key])
    if run_tests:
        results = grade(paths["solution"], autograder)
        if results.total != results.possible:
            raise RuntimeError(f"{name}: the reference solutions score {results.total} / {results.possible}")
    return paths


def grade(submission, autograder, quiet: bool = True):
    """Grade one submission (notebook or export zip) locally with an autograder zip.

    Returns otter's ``GradingResults``: ``.total``, ``.possible``, ``.summary()``.
    """
    from otter.api import grade_submission

    return grade_submission(str(submission), str(autograder), quiet=quiet)


# --- grading a class ---------------------------------------------------------------------------

GRADE_TIMEOUT = 600.0  # seconds per submission (problem set 3 trains networks: about a minute)
GRADE_MEMORY_GB = 4.0  # address-space limit per grading worker (the notebook's kernel included)


def questions(autograder) -> list[str]:
    """The autograded questions of an autograder zip (its ``tests/<q>.py``), in order."""
    with zipfile.ZipFile(autograder) as zf:
        names = [Path(n).stem for n in zf.namelist() if n.startswith("tests/") and n.endswith(".py")]
    return sorted(names, key=lambda q: (len(q), q))


def _not_gradable(path: Path) -> str | None:
    """Why ``path`` cannot be graded at all (empty, not a notebook), or None."""
    import nbformat

    if not path.is_file():
        return "not a file"
    if path.stat().st_size == 0:
        return "empty file: nothing to grade"
    if path.suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                inside = [n for n in zf.namelist() if n.endswith(".ipynb") and not n.startswith("__MACOSX")]
        except zipfile.BadZipFile:
            return "not a notebook: a .zip file that is not a zip archive"
        return None if inside else "not a notebook: the zip file holds no .ipynb"
    if path.suffix != ".ipynb":
        return f"not a notebook: a {path.suffix or 'extensionless'} file (hand in the .ipynb or the export zip)"
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # json errors, schema errors, undecodable bytes
        return f"not a notebook: {type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
    return None


def _kill_tree(pid: int) -> None:
    """Kill a process and everything it started (the notebook's kernel runs in its own session)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        procs = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return
    for proc in procs:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=10)


def grade_one(autograder, submission, timeout: float = GRADE_TIMEOUT, memory_gb: float = GRADE_MEMORY_GB) -> dict:
    """Grade one submission in a worker process with a time and a memory limit.

    Returns ``{"scores": {question: points}, "possible": {question: points}, "note": str}``;
    a submission that cannot be graded, or that exceeds a limit, gets zero points and a
    note saying why. Never raises for a bad submission.
    """
    submission = Path(submission)
    why = _not_gradable(submission)
    if why:
        return {"scores": {}, "possible": {}, "note": why, "graded": False}
    limit = int(memory_gb * 2**30)

    def limit_memory():  # in the worker, before exec: inherited by the kernel it starts
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        result = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "_grade-one",
            str(autograder),
            str(submission),
            str(result),
        ]
        with open(Path(tmp) / "log", "w+") as log:
            proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, preexec_fn=limit_memory, start_new_session=True, cwd=tmp
            )
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_tree(proc.pid)
                proc.wait()
                return {
                    "scores": {},
                    "possible": {},
                    "note": f"time limit: grading took longer than {timeout:g} s and was stopped (an endless loop?)",
                    "graded": False,
                }
            _kill_tree(proc.pid)  # a kernel left behind, if any
            log.seek(0)
            tail = log.read()[-4000:]
        if proc.returncode != 0 or not result.is_file():
            lines = [line for line in tail.splitlines() if line.strip()]
            if "MemoryError" in tail or "Cannot allocate memory" in tail or proc.returncode < 0:
                note = f"memory limit: grading exceeded {memory_gb:g} GiB and was stopped"
            elif "DeadKernelError" in tail:
                note = (
                    "the notebook's kernel died while grading (most likely it exceeded the memory limit of "
                    f"{memory_gb:g} GiB): nothing could be graded"
                )
            else:
                note = f"grading failed (exit {proc.returncode}): {lines[-1][:200] if lines else 'no output'}"
            return {"scores": {}, "possible": {}, "note": note, "graded": False}
        out = json.loads(result.read_text())
    notes = []
    if out.get("catastrophic"):
        notes.append(f"otter could not grade it: {out['catastrophic'][:200]}")
    for err in out.get("errors", []):
        if err["ename"] == "MemoryError":
            notes.append(f"memory limit: cell {err['cell']} exceeded {memory_gb:g} GiB (MemoryError)")
        else:
            notes.append(f"cell {err['cell']} raised {err['ename']}: {err['evalue'][:120]}")
    return {"scores": out["scores"], "possible": out["possible"], "note": "; ".join(notes), "graded": True}


def _grade_one_main(autograder: str, submission: str, result: str) -> int:
    """Worker: grade with otter in this process, write scores and cell errors as JSON."""
    results = grade(submission, autograder)
    errors = []
    nb = getattr(results, "notebook", None)
    if nb is not None:
        code = [c for c in nb.cells if c.cell_type == "code"]
        for i, cell in enumerate(code, start=1):
            if "otter" in cell.source or "grader." in cell.source:
                continue  # otter's own cells (init, checks, export) fail by design while grading
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    errors.append({"cell": i, "ename": output.get("ename", ""), "evalue": output.get("evalue", "")})
    catastrophic = getattr(results, "_catastrophic_error", None)
    Path(result).write_text(
        json.dumps(
            {
                "scores": {q: float(t.score) for q, t in results.results.items()},
                "possible": {q: float(t.possible) for q, t in results.results.items()},
                "errors": errors[:5],
                "catastrophic": repr(catastrophic) if catastrophic else None,
            }
        )
    )
    return 0


def submissions_in(paths) -> list[Path]:
    """The files to grade: the given files, and the non-hidden files of the given folders."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        else:
            found.append(path)
    return found


def grade_batch(
    autograder,
    paths,
    csv_path,
    workers: int = 2,
    timeout: float = GRADE_TIMEOUT,
    memory_gb: float = GRADE_MEMORY_GB,
    progress=None,
) -> list[dict]:
    """Grade every submission in parallel worker processes and write a CSV like otter's ``final_grades.csv``.

    Columns: ``file``, one per autograded question, ``percent_correct``,
    ``total_points_earned``, ``grading_status`` (as otter writes them) and ``note``; the
    first row, ``points-per-question``, holds the points possible. Every submission gets
    its row, whatever it does. Returns the rows.
    """
    if workers < 1:
        raise ValueError(f"workers={workers}: need at least 1 worker process")
    if timeout <= 0 or memory_gb <= 0:
        raise ValueError(f"timeout={timeout} s, memory_gb={memory_gb}: both limits must be positive")
    files = submissions_in(paths)
    qs = questions(autograder)
    lock = threading.Lock()

    def work(path):
        row = grade_one(autograder, path, timeout, memory_gb)
        if progress:
            with lock:
                progress(path, row)
        return path, row

    with ThreadPoolExecutor(max_workers=workers) as pool:
        graded = list(pool.map(work, files))
    possible = {}
    for _, row in graded:
        if row["graded"]:
            possible = row["possible"]
            break
    if not possible:  # nothing graded: the points from the autograder's tests
        possible = {q: float("nan") for q in qs}
    total_possible = sum(possible.values())
    header = ["file", *qs, "percent_correct", "total_points_earned", "grading_status", "note"]
    rows = [
        {
            "file": "points-per-question",
            **{q: possible.get(q, "") for q in qs},
            "percent_correct": 1,
            "total_points_earned": total_possible,
            "grading_status": "--",
            "note": "",
        }
    ]
    common = os.path.commonpath([str(p.resolve().parent) for p in files]) if files else ""
    for path, row in sorted(graded, key=lambda item: str(item[0])):
        total = sum(row["scores"].get(q, 0.0) for q in qs)
        rows.append(
            {
                "file": os.path.relpath(path.resolve(), common) if common else path.name,
                **{q: row["scores"].get(q, 0.0) for q in qs},
                "percent_correct": round(total / total_possible, 4) if total_possible else 0,
                "total_points_earned": total,
                "grading_status": "completed" if row["graded"] else "failed",
                "note": row["note"],
            }
        )
    csv_path = Path(csv_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def _cmd_build(args) -> int:
    out = Path(args.out)
    for name in resolve(args.sets):
        t0 = time.perf_counter()
        paths = build_set(name, out, run_tests=not args.no_run_tests, variant=args.variant, pdf=args.pdf)
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
    files = submissions_in(args.submissions)
    if not files:
        raise SystemExit(f"no submissions in {' '.join(args.submissions)}")
    csv_path = Path(args.csv) if args.csv else Path("final_grades.csv")

    def progress(path, row):
        total = sum(row["scores"].values())
        print(f"{path}: {total:g} / {sum(row['possible'].values()):g}" + (f"  [{row['note']}]" if row["note"] else ""))

    t0 = time.perf_counter()
    grade_batch(autograder, files, csv_path, args.workers, args.timeout, args.memory, progress=progress)
    print(
        f"{len(files)} submissions graded in {time.perf_counter() - t0:.0f} s with {args.workers} workers: {csv_path}"
    )
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    if argv[:1] == ["_grade-one"]:  # the worker process of `grade`
        return _grade_one_main(*argv[1:4])
    if argv[:1] == ["grade"]:
        parser.add_argument("command")
        parser.add_argument("set", help="problem set name or prefix, e.g. ps1")
        parser.add_argument(
            "submissions", nargs="+", help="folders of submissions, or student notebooks (.ipynb) and export zips"
        )
        parser.add_argument("--out", default=str(DEFAULT_OUT), help="build folder (default assignments/_build)")
        parser.add_argument("--csv", default=None, help="where to write the grades (default ./final_grades.csv)")
        parser.add_argument("--workers", type=int, default=2, help="parallel worker processes (default 2)")
        parser.add_argument(
            "--timeout", type=float, default=GRADE_TIMEOUT, help=f"seconds per submission (default {GRADE_TIMEOUT:g})"
        )
        parser.add_argument(
            "--memory",
            type=float,
            default=GRADE_MEMORY_GB,
            help=f"GiB of address space per worker (default {GRADE_MEMORY_GB:g})",
        )
        return _cmd_grade(parser.parse_args(argv))
    parser.epilog = "To grade a class: build_assignments.py grade SET DIR [--csv final_grades.csv]"
    parser.add_argument("sets", nargs="*", help="problem set names or prefixes (default: all)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="build folder (default assignments/_build)")
    parser.add_argument(
        "--variant",
        type=int,
        default=None,
        help="a course variant: change the numbers the answers depend on (an integer seed)",
    )
    parser.add_argument(
        "--pdf",
        action="store_true",
        help="the export cell also writes the PDF of the manually graded question (students need LaTeX)",
    )
    parser.add_argument(
        "--no-run-tests", action="store_true", help="do not grade the reference solutions after generating"
    )
    return _cmd_build(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
