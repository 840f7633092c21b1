"""Every chapter and appendix can be read in one sitting.

Targets (issue 22): at most ``MAX_WORDS`` words of prose (mathematics, code blocks and
directive lines not counted) and at most ``MAX_CODE_LINES`` visible code lines (non-blank
lines of code cells whose source shows on the page) per notebook in ``chapters/``; the
counting is ``tools/chapter_stats.py``'s. The counters are tested on small made-up cells, so
that a target cannot pass because the counting is broken.
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.chapter_stats import MAX_CODE_LINES, MAX_WORDS, prose_words, stats, visible_code_lines  # noqa: E402

NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))


def test_prose_words_leaves_out_mathematics_code_and_directives():
    md = (
        "## 4.1 A title\n\nTwo words $x + y = z$ here, {prf:ref}`lem-x` and more.\n\n"
        "$$\na + b\n$$\n\n```{prf:lemma} Named\n:label: lem-x\n\nThe statement.\n```\n\n"
        "```python\nnot_prose = 1\n```\n<!-- hidden -->"
    )
    # "## 4.1 A title" (3 tokens with a letter or digit: 4.1, A, title), "Two words here, X and more." (6),
    # "Named" is on a directive line (skipped), "The statement." (2)
    assert prose_words(md) == 3 + 6 + 2


def test_visible_code_lines_skip_hidden_cells_and_blank_lines():
    shown = {"cell_type": "code", "metadata": {}, "source": ["a = 1\n", "\n", "b = 2\n"]}
    hidden = {"cell_type": "code", "metadata": {"tags": ["hide-input", "check:x"]}, "source": ["assert a\n"]}
    removed = {"cell_type": "code", "metadata": {"tags": ["remove-cell"]}, "source": ["import os\n"]}
    assert [visible_code_lines(c) for c in (shown, hidden, removed)] == [2, 0, 0]


def test_every_notebook_is_measured():
    assert len(NOTEBOOKS) >= 12, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_readable_in_one_sitting(path):
    s = stats(path)
    assert s["words"] <= MAX_WORDS, f"{path.name}: {s['words']} words of prose, the target is at most {MAX_WORDS}"
    assert s["code_lines"] <= MAX_CODE_LINES, (
        f"{path.name}: {s['code_lines']} visible code lines, the target is at most {MAX_CODE_LINES}"
    )
