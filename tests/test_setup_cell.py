"""The repository URL lives in one place, and every chapter can run on its own.

``tools/set_repository_url.py`` owns a block of ``_config.yml`` (the
repository URL, the launch buttons) and stamps a setup cell into every
chapter notebook.  These tests check

* that the stored chapters are in sync with ``_config.yml``;
* that the setup cell really installs lbkit in a *fresh* virtual environment
  (one without lbkit), both from the checkout the notebook sits in and from a
  git repository URL, that lbkit then works in the same process, that a
  second run does nothing and prints nothing, and that without either source
  it stops with a clear error;
* that setting a URL turns on Binder and Colab buttons whose links point at
  the notebook in that repository, and that the build stays warning-free.

The environment tests copy the working tree (tracked and untracked files, not
ignored ones) into a temporary git repository, so they test what is on disk.
The fresh environment sees the test environment's packages (numpy, torch, ...)
through a folder of symbolic links that leaves lbkit out, so pip installs
only lbkit; its build backend (setuptools) comes from PyPI or pip's cache.
"""

import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig
import textwrap

import nbformat
import pytest

from tools import set_repository_url as tool

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLE_URL = "https://github.com/example-org/example-book"  # a stand-in for tests only


def _copy_tree(dest: pathlib.Path) -> pathlib.Path:
    """Copy the working tree (tracked + untracked, not ignored) into a fresh git repo at dest."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of the book")
    files = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=dest, check=True)
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "snapshot"], cwd=dest, check=True)
    return dest


# --------------------------------------------------------------------------
# one place, in sync


def test_chapters_are_in_sync_with_config():
    url, branch = tool.read_config()
    assert tool.problems(url, branch) == []
    # and the check command agrees
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "set_repository_url.py"), "--check"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "in sync" in proc.stdout


def test_url_is_validated():
    assert tool.check_url("https://github.com/a-b/c.d.git/") == "https://github.com/a-b/c.d"
    assert tool.check_url("https://gitlab.com/o/r") == "https://gitlab.com/o/r"
    # what the cell will hand to pip is a valid requirement with the book's extras
    packaging = pytest.importorskip("packaging.requirements")
    req = packaging.Requirement(tool.pip_source(EXAMPLE_URL, "main"))
    assert (req.name, req.extras, req.url) == ("lbkit-goel2020", {"book"}, f"git+{EXAMPLE_URL}@main")
    for bad in (
        "http://github.com/o/r",
        "https://example.com/o/r",
        "github.com/o/r",
        "https://github.com/o",
        "https://github.com/o/r/tree/main",
    ):
        with pytest.raises(ValueError, match="is not of the form"):
            tool.check_url(bad)


def test_set_check_and_clear_round_trip(tmp_path):
    tree = _copy_tree(tmp_path / "book")
    script = [sys.executable, str(tree / "tools" / "set_repository_url.py")]
    config = (tree / "_config.yml").read_text()
    chapter = tree / "chapters" / "03_orthogonal_family.ipynb"
    before = chapter.read_bytes()

    run = subprocess.run(script + [EXAMPLE_URL + ".git", "--branch", "trunk"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "inserted" not in run.stdout  # every chapter already had its cell
    assert subprocess.run(script + ["--check"], capture_output=True).returncode == 0
    text = (tree / "_config.yml").read_text()
    assert f"url: {EXAMPLE_URL}\n" in text and "binderhub_url: https://mybinder.org" in text
    nb = nbformat.read(chapter, as_version=4)
    setup = next(c for c in nb.cells if tool.SETUP_TAG in c.metadata.get("tags", []))
    assert f"lbkit-goel2020[book] @ git+{EXAMPLE_URL}@trunk" in setup.source

    # a config edited by hand (the URL changed, the notebooks not) is caught
    (tree / "_config.yml").write_text(text.replace(EXAMPLE_URL, EXAMPLE_URL + "2"))
    bad = subprocess.run(script + ["--check"], capture_output=True, text=True)
    assert bad.returncode == 1 and "does not match _config.yml" in bad.stderr

    # a bad URL changes nothing and says why
    err = subprocess.run(script + ["https://example.com/x/y"], capture_output=True, text=True)
    assert err.returncode == 2 and "is not of the form" in err.stderr

    # clearing restores exactly the committed state (the branch was kept as given)
    assert subprocess.run(script + ["--clear", "--branch", "main"], capture_output=True).returncode == 0
    assert (tree / "_config.yml").read_text() == config
    assert chapter.read_bytes() == before


# --------------------------------------------------------------------------
# the setup cell in a fresh environment


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory):
    """A new venv without lbkit that sees this environment's other packages."""
    base = tmp_path_factory.mktemp("fresh")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = pathlib.Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # links to our site-packages, minus lbkit, pip/setuptools (the venv has its own) and .pth files
    shadow = base / "shared-site-packages"
    shadow.mkdir()
    ours = pathlib.Path(sysconfig.get_paths()["purelib"])
    skip = ("lbkit", "__editable__", "pip", "setuptools", "_distutils_hack", "pkg_resources", "distutils-precedence")
    for entry in ours.iterdir():
        if entry.name.startswith(skip) or entry.suffix == ".pth":
            continue
        (shadow / entry.name).symlink_to(entry)
    (site / "zz_shared.pth").write_text(f"{shadow}\n")
    probe = subprocess.run(
        [str(python), "-c", "import numpy, importlib.util as u; print(u.find_spec('lbkit'))"],
        capture_output=True,
        text=True,
        cwd=base,
        env={k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "VIRTUAL_ENV"))},
    )
    assert probe.returncode == 0 and probe.stdout.strip() == "None", probe.stderr
    return python


def _run_setup(python, source, cwd):
    """Run the setup cell, then use lbkit in the same process; return the CompletedProcess."""
    check = textwrap.dedent("""
        import lbkit, math
        value = lbkit.norm_squared(4, "relu")
        assert math.isclose(value, 0.3030165499, rel_tol=1e-9), value
        assert lbkit.__distribution__ == "lbkit-goel2020", lbkit.__file__
        print("LBKIT-FROM", lbkit.__file__)
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "VIRTUAL_ENV"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        [str(python), "-c", source + "\n" + check], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def _uninstall(python, *names):
    names = names or ("lbkit-goel2020",)
    subprocess.run([str(python), "-m", "pip", "uninstall", "-y", "-q", *names], check=True)


def _setup_source(tree, chapter="03_orthogonal_family.ipynb"):
    nb = nbformat.read(tree / "chapters" / chapter, as_version=4)
    return next(c.source for c in nb.cells if tool.SETUP_TAG in c.metadata.get("tags", []))


@pytest.mark.slow
def test_setup_cell_without_a_source_says_what_to_do(fresh_python, tmp_path):
    source = tool.setup_cell_source("", "main")
    proc = _run_setup(fresh_python, source, cwd=tmp_path)  # not inside a checkout
    assert proc.returncode != 0
    assert "ModuleNotFoundError: lbkit is not installed" in proc.stderr
    assert "clone the repository" in proc.stderr


@pytest.mark.slow
def test_setup_cell_installs_from_the_enclosing_checkout(fresh_python, tmp_path):
    tree = _copy_tree(tmp_path / "book")
    source = _setup_source(tree)
    first = _run_setup(fresh_python, source, cwd=tree / "chapters")
    assert first.returncode == 0, first.stderr[-3000:]
    where = first.stdout.split("LBKIT-FROM", 1)[1].strip()
    assert str(fresh_python.parents[1]) in where  # installed into the fresh venv, not an editable link
    # a second run: lbkit is found, pip is not called, nothing is printed but our line
    second = _run_setup(fresh_python, source, cwd=tree / "chapters")
    assert second.returncode == 0 and second.stderr == ""
    assert second.stdout.strip().startswith("LBKIT-FROM")
    _uninstall(fresh_python)


@pytest.mark.slow
def test_setup_cell_installs_from_the_repository_url(fresh_python, tmp_path):
    tree = _copy_tree(tmp_path / "book")
    # what the cell holds once a URL is set, with the URL of a local git repository
    # (file://localhost/...: pip's requirement parser wants a host in the URL)
    url = f"file://localhost{tree}"
    source = tool.setup_cell_source(url, "main")
    assert f"lbkit-goel2020[book] @ git+{url}@main" in source
    alone = tmp_path / "colab"  # a notebook opened on its own: no checkout around it
    alone.mkdir()
    proc = _run_setup(fresh_python, source, cwd=alone)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert str(fresh_python.parents[1]) in proc.stdout
    _uninstall(fresh_python)


# --------------------------------------------------------------------------
# launch buttons


@pytest.mark.slow
def test_launch_buttons_follow_the_url(tmp_path):
    tree = _copy_tree(tmp_path / "book")
    subprocess.run(
        [sys.executable, str(tree / "tools" / "set_repository_url.py"), EXAMPLE_URL], check=True, capture_output=True
    )
    jb = pathlib.Path(sys.executable).parent / "jupyter-book"
    out = tmp_path / "out"
    proc = subprocess.run(
        [str(jb), "build", str(tree), "--path-output", str(out), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    html_dir = out / "_build" / "html"
    page = (html_dir / "chapters" / "03_orthogonal_family.html").read_text()
    nb = "chapters/03_orthogonal_family.ipynb"
    binder = f"https://mybinder.org/v2/gh/example-org/example-book/main?urlpath=lab/tree/{nb}"
    colab = f"https://colab.research.google.com/github/example-org/example-book/blob/main/{nb}"
    assert binder in page.replace("&amp;", "&")
    assert colab in page
    assert f'href="{EXAMPLE_URL}"' in page  # the repository button
    # the download button offers the notebook, which is there; the setup cell is hidden on the page
    assert f"_sources/{nb}" in page and (html_dir / "_sources" / nb).is_file()
    assert "LBKIT_PIP_SOURCE" not in page
    # a page that is not a notebook gets no launch buttons
    assert "mybinder.org" not in (html_dir / "bibliography.html").read_text()


# --------------------------------------------------------------------------
# a stranger called lbkit


def _decoy_wheel(where: pathlib.Path) -> pathlib.Path:
    """A tiny wheel of a distribution named ``lbkit`` (the name of PyPI's unrelated package).

    Built here by hand, never downloaded: it imports fine and has no ``__distribution__``.
    """
    import base64
    import hashlib
    import zipfile

    files = {
        "lbkit/__init__.py": '"""A decoy: not the book\'s lbkit."""\n__version__ = "0.11.21"\nDECOY = True\n',
        "lbkit-0.11.21.dist-info/METADATA": "Metadata-Version: 2.1\nName: lbkit\nVersion: 0.11.21\n"
        "Summary: a decoy for tests\n",
        "lbkit-0.11.21.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
        "lbkit-0.11.21.dist-info/top_level.txt": "lbkit\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    record.append("lbkit-0.11.21.dist-info/RECORD,,")
    files["lbkit-0.11.21.dist-info/RECORD"] = "\n".join(record) + "\n"
    wheel = where / "lbkit-0.11.21-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return wheel


@pytest.mark.slow
def test_setup_cell_replaces_a_decoy_named_lbkit(fresh_python, tmp_path):
    """A package called lbkit that is not this book's is recognised, uninstalled and replaced."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "VIRTUAL_ENV"))}
    pip = [str(fresh_python), "-m", "pip", "install", "--quiet", "--no-index", "--no-deps"]
    subprocess.run(pip + [str(_decoy_wheel(tmp_path))], check=True, env=env)
    probe = [str(fresh_python), "-c", "import lbkit; print(lbkit.__version__, hasattr(lbkit, 'DECOY'))"]
    assert subprocess.run(probe, capture_output=True, text=True, env=env, cwd=tmp_path).stdout.split() == [
        "0.11.21",
        "True",
    ]
    try:
        # the old cell (any importable lbkit counts as installed) would trust the decoy
        tree = _copy_tree(tmp_path / "book")
        proc = _run_setup(fresh_python, _setup_source(tree), cwd=tree / "chapters")
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "finds the package lbkit at" in proc.stdout and "not this book's lbkit (lbkit-goel2020)" in proc.stdout
        assert str(fresh_python.parents[1]) in proc.stdout.split("LBKIT-FROM", 1)[1]
        listed = subprocess.run(
            [str(fresh_python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True, env=env
        ).stdout.lower()
        assert "lbkit-goel2020==" in listed and "\nlbkit==" not in "\n" + listed  # the decoy is gone
        # a second run trusts this lbkit: silent
        again = _run_setup(fresh_python, _setup_source(tree), cwd=tree / "chapters")
        assert again.returncode == 0 and again.stderr == "" and again.stdout.startswith("LBKIT-FROM")
    finally:
        subprocess.run([str(fresh_python), "-m", "pip", "uninstall", "-y", "-q", "lbkit", "lbkit-goel2020"], env=env)


@pytest.mark.slow
def test_setup_cell_refuses_an_lbkit_folder_it_cannot_remove(fresh_python, tmp_path):
    """An lbkit on the path that no distribution owns is reported, not silently used."""
    (tmp_path / "lbkit").mkdir()
    (tmp_path / "lbkit" / "__init__.py").write_text("DECOY = True\n")
    # with a source to install from, it stops before pip: the folder would shadow what pip installs
    proc = _run_setup(fresh_python, tool.setup_cell_source(EXAMPLE_URL, "main"), cwd=tmp_path)
    assert proc.returncode != 0
    assert "is not this book's lbkit (distribution lbkit-goel2020)" in proc.stderr
    assert "move or rename it" in proc.stderr
    # without one, it says both things
    proc = _run_setup(fresh_python, tool.setup_cell_source("", "main"), cwd=tmp_path)
    assert proc.returncode != 0
    assert "ModuleNotFoundError: the lbkit at" in proc.stderr and "is not this book's lbkit" in proc.stderr
    assert "clone the repository" in proc.stderr
