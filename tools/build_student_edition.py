"""Build the student edition of the book: the same pages without the exercises' solutions.

One switch: sphinx-exercise's ``hide_solutions`` option, which drops every
``{solution}`` block from the build (the exercises stay). The book's own
``_config.yml`` is not edited: this tool writes a copy with the switch turned on into
a temporary folder and builds with ``jupyter-book build --config``, into a separate
output folder, with warnings as errors::

    .venv/bin/python tools/build_student_edition.py [--out _build/student]

The HTML lands in ``OUT/_build/html`` (default ``_build/student/_build/html``). The
chapter notebooks themselves still hold the solutions (they are Markdown cells of the
sources); publish the student edition's HTML, and see *Teaching with this book* for
keeping the problem sets' answers private.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def student_config(config: dict) -> dict:
    """The book's configuration with the solutions hidden."""
    config = dict(config)
    sphinx = dict(config.get("sphinx") or {})
    sphinx["config"] = {**(sphinx.get("config") or {}), "hide_solutions": True}
    # paths of local extensions are relative to the configuration file, which moves
    if sphinx.get("local_extensions"):
        sphinx["local_extensions"] = {name: str(ROOT / path) for name, path in sphinx["local_extensions"].items()}
    config["sphinx"] = sphinx
    config["title"] = f"{config.get('title', 'The book')} (student edition)"
    return config


def build(out: Path, extra_args=()) -> subprocess.CompletedProcess:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    jb = Path(sys.executable).parent / "jupyter-book"
    with tempfile.TemporaryDirectory(prefix="student-edition-") as tmp:
        path = Path(tmp) / "_config.yml"
        path.write_text(yaml.safe_dump(student_config(config), sort_keys=False, allow_unicode=True))
        cmd = [str(jb), "build", str(ROOT), "--config", str(path), "--path-output", str(out)]
        return subprocess.run([*cmd, "-W", "-n", "--keep-going", *extra_args], capture_output=True, text=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "_build" / "student"), help="output folder")
    args = parser.parse_args(argv)
    proc = build(Path(args.out).resolve())
    sys.stdout.write(proc.stdout[-5000:])
    sys.stderr.write(proc.stderr[-5000:])
    if proc.returncode == 0:
        print(f"student edition: {Path(args.out).resolve() / '_build' / 'html' / 'index.html'}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
