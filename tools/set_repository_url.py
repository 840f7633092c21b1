"""Keep the book's public repository URL in one place and everything that needs it in sync.

The URL lives in ``_config.yml`` (``repository.url``), inside a block this tool
owns.  Two things follow from it:

* the launch buttons (Binder and Colab), the repository button and the issue
  (errata) button on every chapter page: on only when the URL is set, because
  Jupyter Book would otherwise point them at its own default repository (or
  fail to build);
* the site's base URL (``html.baseurl``: canonical links, the social-preview
  metadata): the GitHub or GitLab Pages address of the repository
  (``https://OWNER.github.io/REPO/``), or ``--site-url`` for a site published
  elsewhere;
* the *setup cell* at the top of every chapter notebook (and of every student
  notebook of the problem sets, which ``tools/build_assignments.py`` writes with
  ``setup_cell(..., otter=True)``), which installs lbkit when the notebook is
  opened on its own (Colab, Binder, a JupyterHub, a bare Jupyter): from the
  checkout the notebook sits in when there is one, else from the repository URL
  with pip.  It recognises *this* lbkit by ``lbkit.__distribution__`` (the
  distribution is ``lbkit-goel2020``; PyPI's ``lbkit`` is an unrelated package),
  uninstalls a stranger of that name and says so.  It is quiet and does nothing
  when this lbkit is importable; the HTML book hides it (tag ``remove-cell``).

Usage (from the repository root)::

    python tools/set_repository_url.py https://github.com/OWNER/REPO [--branch main] [--site-url URL]
    python tools/set_repository_url.py --clear    # no public URL: buttons off
    python tools/set_repository_url.py --stamp    # re-stamp the notebooks from _config.yml
    python tools/set_repository_url.py --check    # exit 1 if anything is out of sync

Setting or clearing the URL rewrites the block in ``_config.yml`` and the
setup cell of every ``chapters/*.ipynb`` (its source only: it has no output,
so nothing needs re-executing).  A chapter without a setup cell gets one
inserted before its first code cell; re-execute that chapter afterwards
(``tools/execute_notebooks.py``) so its execution counts run 1..N again.
"""

from __future__ import annotations

import argparse
import glob
import pathlib
import re
import sys

import nbformat
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"
BEGIN = "# >>> where the book lives online: written by tools/set_repository_url.py; edit with it >>>"
END = "# <<< where the book lives online <<<"
SETUP_TAG = "lbkit-setup"
HOSTS = ("github.com", "gitlab.com", "bitbucket.org")  # the hosts sphinx-book-theme can link to
URL_RE = re.compile(r"^https://(?P<host>[^/]+)/(?P<owner>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+?)(\.git)?/?$")

DISTRIBUTION = "lbkit-goel2020"  # pyproject.toml's name; lbkit.__distribution__ says the same
OTTER_REQUIREMENT = "otter-grader==7.0.0"  # requirements-assignments.txt; problem sets import otter

# The setup cell. Placeholders @@...@@ are filled by setup_cell_source (no str.format: the
# cell is full of braces). The same cell heads every chapter and every student notebook of
# the problem sets (which also need otter); it recognises *this* lbkit by its
# __distribution__ attribute, so an unrelated package named lbkit (PyPI's "lbkit") is
# replaced, not trusted.
SETUP_TEMPLATE = """\
# Setup for running this notebook on its own (Colab, Binder, JupyterHub): make `import lbkit` give this book's
# lbkit (distribution "@@DIST@@"; PyPI's "lbkit" is unrelated), installing it if needed. Quiet if all is there.
import importlib, importlib.metadata, importlib.util, pathlib, subprocess, sys


def _lbkit_setup(source, also, dist="@@DIST@@"):
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    missing = [req for module, req in also.items() if importlib.util.find_spec(module) is None]
    ours = lambda: getattr(importlib.import_module("lbkit"), "__distribution__", None) == dist
    spec = importlib.util.find_spec("lbkit")
    if spec and ours():
        return missing and subprocess.run(pip + missing, check=True)  # only what the notebook also needs
    where = spec and (spec.origin or ", ".join(spec.submodule_search_locations or []))
    stranger = f"the lbkit at {where} is not this book's lbkit (distribution {dist})"
    for checkout in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents][:4]:
        if (checkout / "lbkit" / "__init__.py").is_file() and (checkout / "pyproject.toml").is_file():
            source = f"{checkout}[book]"  # the closest checkout wins
            break
    if not source:
        raise ModuleNotFoundError(f"{stranger if spec else 'lbkit is not installed'}, this notebook is not inside a "
                                  "checkout of the book's repository, and no public repository URL is configured: "
                                  "clone the repository and run the first command of its README")
    if spec:  # a stranger called lbkit: uninstall the distribution that owns it
        owners = [d for d in importlib.metadata.packages_distributions().get("lbkit", []) if d != dist]
        if not owners:
            raise ImportError(f"{stranger} and no installed distribution owns it: move or rename it, then run again")
        print(f"`import lbkit` finds the package {', '.join(owners)} at {where}, which is not this book's lbkit "
              f"({dist}): uninstalling it and installing this book's.")
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", *owners], check=True)
    if subprocess.run(pip + [source] + missing).returncode != 0:
        raise RuntimeError(f"pip could not install {source} (see its message above)")
    importlib.invalidate_caches()
    for name in [m for m in sys.modules if m.split(".")[0] == "lbkit"]:
        del sys.modules[name]
    if not ours():
        raise ImportError(f"installed {source}, but `import lbkit` still gives another: restart the kernel, run again")


_lbkit_setup(source=@@PIP_SOURCE@@, also=@@ALSO@@)  # source: from _config.yml
del _lbkit_setup"""


PAGES_HOSTS = {"github.com": "github.io", "gitlab.com": "gitlab.io"}  # where each host publishes Pages


def site_url(url: str) -> str:
    """The address the book is published at: the repository's Pages site ("" if none is known)."""
    m = URL_RE.match(url) if url else None
    if not m or m.group("host") not in PAGES_HOSTS:
        return ""
    return f"https://{m.group('owner').lower()}.{PAGES_HOSTS[m.group('host')]}/{m.group('repo')}/"


def block(url: str, branch: str, site: str | None = None) -> str:
    """The managed block of ``_config.yml`` for this URL ("" for none); ``site`` is the base URL
    the book is published at (default: the repository's Pages site)."""
    site = site_url(url) if site is None else site
    lines = [BEGIN]
    if not url:
        lines += [
            "# No public repository URL is set, so no launch buttons are shown; each chapter's",
            "# setup cell installs lbkit from the checkout the notebook sits in.",
            "repository:",
            '  url: ""',
            f"  branch: {branch}",
            "html:",
            "  use_repository_button: false",
            "  use_issues_button: false",
            "  home_page_in_navbar: true",
        ]
    else:
        lines += [
            "repository:",
            f"  url: {url}",
            '  path_to_book: ""',
            f"  branch: {branch}",
            "launch_buttons:",
            "  notebook_interface: jupyterlab",
            "  binderhub_url: https://mybinder.org",
        ]
        if url.startswith("https://github.com/"):  # Colab opens notebooks from GitHub only
            lines.append("  colab_url: https://colab.research.google.com")
        lines += [
            "html:",
            "  use_repository_button: true",
            "  # the errata button: opens a new issue about the page the reader is on",
            "  use_issues_button: true",
            "  home_page_in_navbar: true",
        ]
        if site:
            lines.append(f"  baseurl: {site}")
    lines.append(END)
    return "\n".join(lines) + "\n"


def check_url(url: str) -> str:
    """Return the URL without a trailing slash or ``.git``; raise ValueError if unusable."""
    m = URL_RE.match(url)
    if not m or m.group("host") not in HOSTS:
        raise ValueError(
            f"repository URL {url!r} is not of the form https://HOST/OWNER/REPO with HOST one of "
            f"{', '.join(HOSTS)} (the hosts whose launch buttons Jupyter Book can build)"
        )
    return f"https://{m.group('host')}/{m.group('owner')}/{m.group('repo')}"


def read_config() -> tuple[str, str]:
    """(url, branch) from ``_config.yml``; url is "" when none is set."""
    text = CONFIG.read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{CONFIG.name} has no block between {BEGIN!r} and {END!r}")
    repo = (yaml.safe_load(text) or {}).get("repository") or {}
    return (repo.get("url") or ""), str(repo.get("branch") or "main")


def check_site_url(site: str) -> str:
    """Return the base URL with one trailing slash; raise ValueError if it is not https://..."""
    if not re.match(r"^https://[A-Za-z0-9.-]+(/[A-Za-z0-9_.~/-]*)?$", site):
        raise ValueError(f"site URL {site!r} is not of the form https://HOST/PATH/")
    return site.rstrip("/") + "/"


def write_config(url: str, branch: str, site: str | None = None) -> None:
    text = CONFIG.read_text()
    start, stop = text.index(BEGIN), text.index(END) + len(END) + 1
    CONFIG.write_text(text[:start] + block(url, branch, site) + text[stop:])


def pip_source(url: str, branch: str) -> str:
    """The pip requirement that installs lbkit (with the book's extras) from the repository."""
    return f"{DISTRIBUTION}[book] @ git+{url}@{branch}" if url else ""


def setup_cell_source(url: str, branch: str, otter: bool = False) -> str:
    """The setup cell for this URL; ``otter=True`` for a problem set (it also installs otter-grader)."""
    also = {"otter": OTTER_REQUIREMENT} if otter else {}
    return (
        SETUP_TEMPLATE.replace("@@DIST@@", DISTRIBUTION)
        .replace("@@PIP_SOURCE@@", repr(pip_source(url, branch)))
        .replace("@@ALSO@@", repr(also))
    )


def setup_cell(url: str, branch: str, otter: bool = False):
    """A new setup cell (hidden on the site, stable id) for a notebook."""
    cell = nbformat.v4.new_code_cell(
        setup_cell_source(url, branch, otter), metadata={"tags": ["remove-cell", SETUP_TAG]}
    )
    cell.id = SETUP_TAG  # a stable id, so re-stamping changes nothing else
    return cell


def chapters() -> list[pathlib.Path]:
    return [pathlib.Path(p) for p in sorted(glob.glob(str(ROOT / "chapters" / "*.ipynb")))]


def _setup_cells(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if SETUP_TAG in c.get("metadata", {}).get("tags", [])]


def problems(url: str, branch: str) -> list[str]:
    """What is out of sync between ``_config.yml`` and the chapters' setup cells."""
    found = []
    expected = setup_cell_source(url, branch)
    for path in chapters():
        nb = nbformat.read(path, as_version=4)
        where = _setup_cells(nb)
        code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        if len(where) != 1:
            found.append(f"{path.name}: {len(where)} cells tagged {SETUP_TAG!r}, expected exactly 1")
            continue
        cell = nb.cells[where[0]]
        if where[0] != code[0]:
            found.append(f"{path.name}: the setup cell is not the first code cell")
        if cell.source != expected:
            found.append(f"{path.name}: the setup cell does not match _config.yml (run --stamp)")
        if "remove-cell" not in cell.metadata.get("tags", []):
            found.append(f"{path.name}: the setup cell lacks the 'remove-cell' tag")
        if cell.get("outputs"):
            found.append(f"{path.name}: the setup cell has stored output (lbkit was missing when it ran)")
    return found


def stamp(url: str, branch: str) -> list[str]:
    """Write the setup cell into every chapter; return the chapters where one was inserted."""
    inserted = []
    source = setup_cell_source(url, branch)
    for path in chapters():
        nb = nbformat.read(path, as_version=4)
        where = _setup_cells(nb)
        if where:
            for i in where:
                nb.cells[i].source = source
        else:
            first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
            nb.cells.insert(first, setup_cell(url, branch))
            inserted.append(path.name)
        nbformat.write(nb, path)
    return inserted


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("url", nargs="?", help="https://github.com/OWNER/REPO (or gitlab.com, bitbucket.org)")
    what.add_argument("--clear", action="store_true", help="no public URL: launch buttons off")
    what.add_argument("--stamp", action="store_true", help="re-stamp the chapters' setup cells from _config.yml")
    what.add_argument("--check", action="store_true", help="exit 1 if _config.yml and the chapters disagree")
    parser.add_argument("--branch", default=None, help="the branch launch buttons and pip use (default: keep; main)")
    parser.add_argument(
        "--site-url",
        default=None,
        help="the address the book is published at (default: the repository's GitHub/GitLab Pages site)",
    )
    args = parser.parse_args(argv)

    url, branch = read_config()
    if args.check:
        found = problems(url, branch)
        for p in found:
            print(p, file=sys.stderr)
        print(
            f"repository URL: {url or '(none)'}; branch {branch}; "
            f"{len(chapters())} chapters; {'out of sync' if found else 'in sync'}"
        )
        return 1 if found else 0
    if args.branch is not None:
        branch = args.branch
    site = check_site_url(args.site_url) if args.site_url else None
    if args.clear:
        url = ""
    elif args.url is not None:
        url = check_url(args.url)
    if not args.stamp:
        write_config(url, branch, site if url else "")
    inserted = stamp(url, branch)
    print(f"repository URL: {url or '(none)'}; branch {branch}; stamped {len(chapters())} chapters")
    if url and not args.stamp:
        print(f"site URL (html.baseurl): {site or site_url(url) or '(none: pass --site-url)'}")
    if inserted:
        print("setup cell inserted (re-execute these with tools/execute_notebooks.py):", ", ".join(inserted))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
