"""Reading length of the book's notebooks: words of prose and visible lines of code.

* **Words of prose**: the markdown cells, with the mathematics (``$$ ... $$`` blocks and
  ``$ ... $`` inline), fenced code blocks, directive lines (```` ```{prf:proof} ````, closing
  fences, ``:label: ...`` options), HTML comments, MyST roles' targets and link targets removed;
  a word is a whitespace-separated token containing a letter or a digit.
* **Visible code lines**: the non-blank source lines of the code cells whose source shows on
  the page, that is, cells tagged neither ``hide-input``, ``remove-input`` nor ``remove-cell``.

Usage (from the repository root)::

    python tools/chapter_stats.py                       # every notebook in chapters/
    python tools/chapter_stats.py chapters/05_*.ipynb

``tests/test_reading_length.py`` enforces the targets :data:`MAX_WORDS` and :data:`MAX_CODE_LINES`.
"""

from __future__ import annotations

import glob
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_WORDS = 4500  # words of prose per notebook (mathematics not counted)
MAX_CODE_LINES = 300  # visible code lines per notebook
HIDDEN_TAGS = {"hide-input", "remove-input", "remove-cell"}

_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.S)
_INLINE_MATH = re.compile(r"\$[^$\n]+\$")
_FENCED_CODE = re.compile(r"^(`{3,})(?!\{)[^\n]*\n.*?^\1\s*$", re.S | re.M)  # ```python ... ``` (not directives)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_ROLE = re.compile(r"\{[\w:-]+\}`[^`]*`")  # {prf:ref}`label`, {cite}`key`, {glue:text}`name`
_LINK_TARGET = re.compile(r"\]\([^)]*\)")


def prose_words(markdown: str) -> int:
    """Number of words of prose in one markdown cell's source."""
    text = _COMMENT.sub(" ", markdown)
    text = _FENCED_CODE.sub(" ", text)
    text = _DISPLAY_MATH.sub(" ", text)
    text = _INLINE_MATH.sub(" ", text)
    text = _ROLE.sub(" X ", text)  # a reference reads as one word
    text = _LINK_TARGET.sub("]", text)
    words = 0
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```") or re.match(r"^:[\w-]+:", stripped):
            continue  # directive openings and closings, directive options
        words += sum(1 for tok in stripped.split() if re.search(r"[A-Za-z0-9]", tok))
    return words


def visible_code_lines(cell: dict) -> int:
    """Non-blank source lines of a code cell if its source shows on the page, else 0."""
    if cell.get("cell_type") != "code":
        return 0
    if HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
        return 0
    source = "".join(cell.get("source", []))
    return sum(1 for line in source.splitlines() if line.strip())


def stats(path: str | Path) -> dict:
    """``{"words": ..., "code_lines": ...}`` for one notebook."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    words = sum(prose_words("".join(c.get("source", []))) for c in nb["cells"] if c["cell_type"] == "markdown")
    code = sum(visible_code_lines(c) for c in nb["cells"])
    return {"words": words, "code_lines": code}


def main(argv: list[str]) -> int:
    paths = argv or sorted(glob.glob(str(ROOT / "chapters" / "*.ipynb")))
    over = 0
    print(f"{'notebook':45s} {'words':>6s} {'code':>5s}")
    for p in paths:
        s = stats(p)
        flag = ""
        if s["words"] > MAX_WORDS or s["code_lines"] > MAX_CODE_LINES:
            flag, over = "  over target", over + 1
        print(f"{Path(p).name:45s} {s['words']:6d} {s['code_lines']:5d}{flag}")
    print(f"targets: at most {MAX_WORDS} words of prose and {MAX_CODE_LINES} visible code lines per notebook")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
