"""The autograder zips grade in an environment that has never seen this repository.

This is the offline stand-in for Gradescope (and for ``otter grade``'s containers):
each set's autograder zip is unpacked into a temporary folder, a fresh virtual
environment is created, and into it is installed **only what the zip names** in its
``environment.yml`` (otter-grader, torch, numpy, ... and lbkit's wheel from the zip's
``files/``). Then Otter's ``otter run -a ZIP`` grades, in that environment and outside
the repository, the reference solution (full marks on every autograded question) and
the untouched student notebook (zero on every one).

Two translations, and only these, turn the zip's list into what this offline machine
can install; both are asserted, not assumed:

* ``--extra-index-url https://download.pytorch.org/whl/cpu`` and ``torch==X+cpu``:
  PyTorch's own index is unreachable here, and the machine's PyPI/pip cache has torch
  ``X``, which is the CPU build on these machines (the zip's pin, without ``+cpu``);
* ``file:///autograder/source/``: where Gradescope and ``otter grade`` unpack the zip;
  here, the folder it was unpacked into.

The sets share one list of requirements; one environment is built per distinct list
(and wheel) and reused, with pip's cache. Slow: minutes (the environment's install
dominates). Needs otter-grader to build the zips.
"""

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

otter = pytest.importorskip("otter")

from tools import build_assignments  # noqa: E402 (after the otter skip)

SETS = build_assignments.find_sets()
TORCH_CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"

pytestmark = pytest.mark.slow


def _clean_env():
    """This process's environment without anything pointing at the repository or its venv."""
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    return env


def requirements_of(unpacked: Path) -> tuple[str, list[str]]:
    """(python version, pip requirements) that the zip's ``environment.yml`` names."""
    env = yaml.safe_load((unpacked / "environment.yml").read_text())
    deps = env["dependencies"]
    (python,) = [d.split("=", 1)[1] for d in deps if isinstance(d, str) and d.startswith("python=")]
    (pip,) = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    return python, pip


def offline(requirements: list[str], unpacked: Path) -> list[str]:
    """The two translations of the module docstring, and nothing else."""
    out = []
    for req in requirements:
        if req == TORCH_CPU_INDEX:
            continue
        if req.startswith("torch==") and req.endswith("+cpu"):
            req = req[: -len("+cpu")]
        out.append(req.replace("file:///autograder/source/", f"file://{unpacked}/"))
    return out


@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    """Every set built once (with the checkout's lbkit wheel inside its zip)."""
    out = tmp_path_factory.mktemp("ag_build")
    return {name: build_assignments.build_set(name, out, run_tests=False) for name in SETS}


@pytest.fixture(scope="module")
def environments(tmp_path_factory):
    """Fresh venvs, one per distinct list of requirements (with the wheel's hash), built on demand."""
    cache = {}
    base = tmp_path_factory.mktemp("fresh_envs")

    def get(unpacked: Path):
        python_version, requirements = requirements_of(unpacked)
        wheels = sorted((unpacked / "files").glob("*.whl"))
        key = (python_version, tuple(requirements), *(hashlib.sha256(w.read_bytes()).hexdigest() for w in wheels))
        if key not in cache:
            if python_version != f"{sys.version_info.major}.{sys.version_info.minor}":
                pytest.skip(f"the zip asks for Python {python_version}; this interpreter is {sys.version.split()[0]}")
            venv = base / f"venv{len(cache)}"
            env = _clean_env()
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env, timeout=300)
            reqs = venv / "requirements-from-zip.txt"
            reqs.write_text("\n".join(offline(requirements, unpacked)) + "\n")
            proc = subprocess.run(
                [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", str(reqs)],
                env=env,
                cwd=base,
                capture_output=True,
                text=True,
                timeout=1800,
            )
            assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
            cache[key] = venv
        return cache[key]

    return get


def _unpack(zip_path: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    return dest


def _otter_run(venv: Path, autograder: Path, submission: Path, out: Path) -> dict:
    out.mkdir(parents=True)
    proc = subprocess.run(
        [str(venv / "bin" / "otter"), "run", "-a", str(autograder), "-o", str(out), str(submission)],
        env=_clean_env(),
        cwd=out,  # outside the repository
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    return {t["name"]: t for t in results["tests"] if "max_score" in t}


@pytest.mark.parametrize("name", SETS)
def test_zip_names_everything_it_needs(zips, name, tmp_path):
    unpacked = _unpack(zips[name]["autograder"], tmp_path / "zip")
    python_version, requirements = requirements_of(unpacked)
    config = build_assignments.read_config(name)
    assert python_version == str(config["python_version"]) == "3.11"  # torch 2.13 has wheels for it
    names = [r.split("==")[0].split(" @ ")[0] for r in requirements if not r.startswith("--")]
    for needed in ("otter-grader[grading,plugins]", "torch", "numpy", "scipy", "mpmath", "lbkit-goel2020"):
        assert needed in names, f"{name}: the autograder does not install {needed}"
    assert TORCH_CPU_INDEX in requirements and "torch==2.13.0+cpu" in requirements  # the CPU build
    (wheel,) = (unpacked / "files").glob("lbkit_goel2020-*.whl")
    assert f"lbkit-goel2020 @ file:///autograder/source/files/{wheel.name}" in requirements
    with zipfile.ZipFile(wheel) as wz:
        assert "lbkit/__init__.py" in wz.namelist() and "lbkit/learners/__init__.py" in wz.namelist()


@pytest.mark.parametrize("name", SETS)
def test_zip_grades_in_a_fresh_environment(zips, environments, name, tmp_path):
    paths = zips[name]
    unpacked = _unpack(paths["autograder"], tmp_path / "zip")
    venv = environments(unpacked)
    # the environment has this lbkit from the zip's wheel, and nothing from the repository
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import lbkit, torch; print(lbkit.__distribution__, lbkit.__file__)"],
        env=_clean_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert probe.returncode == 0, probe.stderr[-2000:]
    dist, where = probe.stdout.split()
    assert dist == "lbkit-goel2020" and where.startswith(str(venv)), probe.stdout

    solution = _otter_run(venv, paths["autograder"], paths["solution"], tmp_path / "solution")
    questions = build_assignments.questions(paths["autograder"])
    assert sorted(solution) == sorted(questions)
    for q, test in solution.items():
        assert test["score"] == test["max_score"] > 0, f"{name} {q}: {test.get('output', '')[-1500:]}"

    student = _otter_run(venv, paths["autograder"], paths["student"], tmp_path / "student")
    assert sorted(student) == sorted(questions)
    for q, test in student.items():
        assert test["score"] == 0, f"{name} {q}: the untouched student notebook scores {test['score']}"
