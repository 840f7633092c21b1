"""Check the escape route from the Jupyter Book 1 command line: a plain Sphinx build.

The book stays on Jupyter Book 1 (CONTRIBUTING.md, *Jupyter Book 2*). Should its command
line stop working (a Python or Sphinx release it does not support), the book can still be
built by Sphinx itself from the configuration that ``jupyter-book config sphinx .`` writes.
This script proves that the route stays open: in a copy of the repository's tracked files
(so nothing is written into the checkout), it

1. runs ``jupyter-book config sphinx .``, which writes ``conf.py``;
2. checks the settings the book depends on are in it (the extensions for statements,
   exercises, the bibliography and this book's own extension; the theme; the table of
   contents; execution off; MathJax macros);
3. runs ``sphinx-build -b html -W -n --keep-going`` with that ``conf.py`` and checks that
   every page of ``_toc.yml`` was written. One thing has to be added by hand, and is here:
   ``conf.py`` names the book's own extension (``sphinx.local_extensions`` in _config.yml)
   but not the folder it lives in, so ``tools/`` goes on ``PYTHONPATH``::

       jupyter-book config sphinx . && PYTHONPATH=tools sphinx-build -b html . _build/html

Usage (from the repository root; CI runs it after the book build)::

    python tools/check_sphinx_config.py

Exit status 0 when the plain Sphinx build works; otherwise 1, with the reason.
About 30 s on two cores (execution is off).
"""

from __future__ import annotations

import os
import pathlib
import runpy
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: tools/ is a package of the checkout
from tools.toc import toc_files  # noqa: E402

BIN = pathlib.Path(sys.executable).parent
REQUIRED_EXTENSIONS = {
    "myst_nb",
    "sphinx_proof",
    "sphinx_exercise",
    "sphinxcontrib.bibtex",
    "sphinx_external_toc",
    "sphinx_book",
}


def toc_pages() -> list[str]:
    return toc_files(ROOT)


def copy_tracked(dest: pathlib.Path) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, tracked):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def check_conf(conf: dict) -> list[str]:
    problems = []
    missing = REQUIRED_EXTENSIONS - set(conf.get("extensions", []))
    if missing:
        problems.append(f"conf.py lacks the extensions {sorted(missing)}")
    if conf.get("html_theme") != "sphinx_book_theme":
        problems.append(f"html_theme is {conf.get('html_theme')!r}, not 'sphinx_book_theme'")
    if conf.get("external_toc_path") != "_toc.yml":
        problems.append(f"external_toc_path is {conf.get('external_toc_path')!r}, not '_toc.yml'")
    if conf.get("nb_execution_mode") != "off":
        problems.append(f"nb_execution_mode is {conf.get('nb_execution_mode')!r}: the build would run the notebooks")
    if conf.get("bibtex_bibfiles") != ["references.bib"]:
        problems.append(f"bibtex_bibfiles is {conf.get('bibtex_bibfiles')!r}")
    macros = conf.get("mathjax3_config", {}).get("tex", {}).get("macros", {})
    if not {"R", "E", "N", "sgn"} <= set(macros):
        problems.append(f"the MathJax macros are missing: {sorted(macros)}")
    return problems


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="lbkit-sphinx-") as tmp:
        book = pathlib.Path(tmp) / "book"
        book.mkdir()
        copy_tracked(book)
        proc = subprocess.run([str(BIN / "jupyter-book"), "config", "sphinx", "."], cwd=book, text=True)
        if proc.returncode != 0 or not (book / "conf.py").is_file():
            print("`jupyter-book config sphinx .` did not write conf.py", file=sys.stderr)
            return 1
        conf = runpy.run_path(str(book / "conf.py"))
        problems = check_conf(conf)
        if problems:
            print("conf.py written by `jupyter-book config sphinx .`:\n  " + "\n  ".join(problems), file=sys.stderr)
            return 1
        out = book / "_build" / "sphinx-html"
        # conf.py lists sphinx_book (local_extensions) without its folder: put tools/ on the path
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(book / "tools"), env.get("PYTHONPATH", "")]))
        proc = subprocess.run(
            [str(BIN / "sphinx-build"), "-b", "html", "-W", "-n", "--keep-going", "-q", ".", str(out)],
            cwd=book,
            env=env,
        )
        if proc.returncode != 0:
            print("sphinx-build with the generated conf.py failed", file=sys.stderr)
            return 1
        missing = [page for page in toc_pages() if not (out / f"{page}.html").is_file()]
        if missing:
            print(f"sphinx-build wrote no page for {missing}", file=sys.stderr)
            return 1
        print(f"jupyter-book config sphinx: conf.py builds the book with sphinx-build ({len(toc_pages())} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
