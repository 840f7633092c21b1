"""The student edition of the site: one switch builds the book without the exercises' solutions.

``tools/build_student_edition.py`` builds with sphinx-exercise's ``hide_solutions``
turned on (from a copy of ``_config.yml``; the book's own file is not edited). The
build must pass with warnings as errors, keep every exercise, and drop every solution.
Slow: one book build.
"""

import json
import re
from pathlib import Path

import pytest

from tools import build_student_edition

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _exercise_counts():
    """{chapter html path: (number of {exercise}, number of {solution})} from the notebooks' Markdown."""
    counts = {}
    for nb_path in sorted((ROOT / "chapters").glob("*.ipynb")):
        nb = json.loads(nb_path.read_text())
        text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        ex, sol = len(re.findall(r"[`:]{3,}\{exercise\}", text)), len(re.findall(r"[`:]{3,}\{solution\}", text))
        if ex or sol:
            counts[f"chapters/{nb_path.stem}.html"] = (ex, sol)
    return counts


def test_student_edition_builds_without_solutions(tmp_path):
    counts = _exercise_counts()
    assert sum(sol for _, sol in counts.values()) >= 10, "the chapters have exercises with solutions"
    proc = build_student_edition.build(tmp_path / "student")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    html_dir = tmp_path / "student" / "_build" / "html"
    for page, (n_ex, _) in counts.items():
        text = (html_dir / page).read_text()
        assert not re.search(r'class="[^"]*\bsolution\b', text), f"{page} still shows a solution"
        assert "Solution to" not in text, f"{page} still shows a solution title"
        assert len(re.findall(r'class="[^"]*\bexercise admonition\b', text)) == n_ex, f"{page} lost an exercise"
    assert "(student edition)" in (html_dir / "index.html").read_text()
