"""Generate ``ledger.md``, the ledger of checked claims.

Every formal statement of the book (``prf:theorem``, ``prf:lemma``,
``prf:proposition``, ``prf:corollary``) is checked numerically by one or more
code cells of its chapter. Such a cell carries the cell tag
``check:<label>`` (cell metadata ``tags``), naming the label of the statement
it checks; a cell may check several statements. Definitions are not claims
and get no tag.

This script reads the notebooks listed in ``_toc.yml``, pairs every statement
with its checking cells and writes ``ledger.md``: one row per statement with
its chapter, the statement (a ``{prf:ref}``), the paper's corresponding result
where there is one, the checking cells, their assertions (the tolerances) and
their outcome as of the outputs stored in the notebooks.

Usage (from the repository root)::

    python tools/make_ledger.py            # rewrite ledger.md
    python tools/make_ledger.py --check    # exit 1 if ledger.md is out of date

``tests/test_ledger.py`` fails when a statement has no check, when a tag names
a statement that does not exist, when a checking cell has no stored output or
an error, and when ``ledger.md`` differs from what this script generates.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
LEDGER = "ledger.md"
TAG_PREFIX = "check:"
KINDS = ("theorem", "lemma", "proposition", "corollary")

# The paper's corresponding result, only where the book itself names one.
# Never a theorem number: the book states results in the form it proves.
PAPER = {
    "prop-gradient-split": "the paper's starting point: gradient descent on the square loss is a CSQ algorithm",
    "thm-exact-orthogonality": "the paper's core construction (exact orthogonality)",
    "thm-csq-lower-bound": "main theorem, regression (in the form this book proves)",
    "cor-gd-lower-bound": "main theorem, regression, for gradient descent on any model (in the form this book proves)",
    "thm-sq-sign-labels": "main theorem, classification (deterministic labels sign(f_S), 0-1 error; "
    "in the form this book proves)",
    "thm-06-sq-lower-bound": "a probabilistic-label variant of the classification theorem "
    "(this book's odd-link label model; weaker: its signal decays with k)",
}

INTRO = """
Every formal statement of this book (theorem, lemma, proposition or corollary) is
followed in its chapter by code that checks it numerically, with assertions that
could fail. Each checking code cell carries the cell tag `check:<label>`, naming the
label of the statement it checks, and this page is generated from those tags by
`tools/make_ledger.py`. For each statement it lists the chapter; the statement, with
its number and title (the link leads to it); its kind; the paper's corresponding
result, where the book names one (the book states results in the form it proves and
checks, so no theorem numbers of the paper are given); the checking cells, numbered
among the chapter's code cells (cell *n* is `In [n]` when the notebook is executed top
to bottom); their outcome as of the outputs stored in the notebooks, which the tests
re-compute with nbval on every run; and up to three of their assertions, which carry
the tolerances. Definitions are not claims and are not listed.
`tests/test_ledger.py` fails when a statement has no check, when a tag names a
statement that does not exist, or when this page is out of date.
"""

MAX_ASSERTS = 3  # assertions shown per statement
MAX_CHARS = 80  # characters shown per assertion

_OPEN = re.compile(r"^\s*(`{3,}|:{3,})\{prf:(\w+)\}[ \t]*(.*)$")
_LABEL = re.compile(r"^\s*:label:\s*(\S+)\s*$")


@dataclass
class Statement:
    label: str
    kind: str
    title: str
    chapter: str  # document path without suffix, e.g. "chapters/03_orthogonal_family"
    cell: int  # index of the markdown cell in the notebook


@dataclass
class CheckCell:
    chapter: str
    index: int  # index of the cell in the notebook
    number: int | None  # 1-based number among the chapter's code cells (None: not a code cell)
    labels: list[str]
    outcome: str  # "passed", "not run" or "error"
    asserts: list[str] = field(default_factory=list)


@dataclass
class Ledger:
    chapters: list[str]  # document paths, in book order
    titles: dict[str, str]  # document path -> short chapter name
    statements: list[Statement]
    checks: list[CheckCell]

    def checks_of(self, label: str) -> list[CheckCell]:
        return [c for c in self.checks if label in c.labels]

    def unknown_tags(self) -> list[tuple[str, int, str]]:
        """(chapter, cell index, label) for every tag naming no statement."""
        known = {s.label for s in self.statements}
        return [(c.chapter, c.index, label) for c in self.checks for label in c.labels if label not in known]

    def unchecked(self) -> list[Statement]:
        return [s for s in self.statements if not self.checks_of(s.label)]


def toc_documents(root: Path = ROOT) -> list[str]:
    """Every file listed in ``_toc.yml``, in book order (without suffix)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    out: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                out.append(str(node["file"]))
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    out.append(str(toc["root"]))
    walk(toc)
    return [re.sub(r"\.(ipynb|md)$", "", f) for f in out]


def toc_notebooks(root: Path = ROOT) -> list[str]:
    """The documents of ``_toc.yml`` that are notebooks."""
    return [d for d in toc_documents(root) if (root / f"{d}.ipynb").exists()]


def statements_in(nb, chapter: str) -> list[Statement]:
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for j, line in enumerate(lines):
            m = _OPEN.match(line)
            if not m or m.group(2) not in KINDS:
                continue
            label = None
            for option in lines[j + 1 :]:
                if not option.strip().startswith(":"):
                    break
                lm = _LABEL.match(option)
                if lm:
                    label = lm.group(1)
            if label is None:
                raise ValueError(f"{chapter}, cell {i}: a prf:{m.group(2)} without a :label: ({line.strip()!r})")
            found.append(Statement(label, m.group(2), m.group(3).strip(), chapter, i))
    return found


def _is_tolerance(test: ast.expr) -> bool:
    for node in ast.walk(test):
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in node.ops):
            return True
        if isinstance(node, ast.Call) and any(k.arg in ("atol", "rtol") for k in node.keywords):
            return True
    return False


def assertions(source: str) -> list[str]:
    """The assertions of a cell, compact, those with a tolerance first.

    Assertions inside helper functions are used only if the cell has no others.
    """
    clean = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    try:
        tree = ast.parse(clean)
    except SyntaxError:
        return [" ".join(line.split()) for line in source.splitlines() if line.lstrip().startswith("assert ")]
    in_functions = {
        id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in ast.walk(f)
    }
    nodes = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Assert)), key=lambda n: (n.lineno, n.col_offset))
    top = [n for n in nodes if id(n) not in in_functions] or nodes
    tolerance = [n for n in top if _is_tolerance(n.test)]
    other = [n for n in top if not _is_tolerance(n.test)]
    return [_compact(ast.get_source_segment(clean, n.test) or ast.unparse(n.test)) for n in tolerance + other]


def _compact(code: str) -> str:
    """One line, single spaces, as written in the cell."""
    code = " ".join(code.split())
    return re.sub(r"([(\[]) | ([)\]])", lambda m: m.group(1) or m.group(2), code)


def outcome(cell) -> str:
    if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
        return "error"
    if cell.get("execution_count") is None:
        return "not run"
    return "passed"


def checks_in(nb, chapter: str) -> list[CheckCell]:
    found, number = [], 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            number += 1
        tags = cell.metadata.get("tags", [])
        labels = [t[len(TAG_PREFIX) :] for t in tags if isinstance(t, str) and t.startswith(TAG_PREFIX)]
        if not labels:
            continue
        if cell.cell_type != "code":
            found.append(CheckCell(chapter, i, None, labels, "not run"))
            continue
        found.append(CheckCell(chapter, i, number, labels, outcome(cell), assertions(cell.source)))
    return found


def short_title(nb, chapter: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.match(r"#\s+(.*)", cell.source.lstrip())
            if m:
                title = m.group(1)
                number = re.match(r"(\d+)\.\s", title)
                if number:
                    return f"Ch. {number.group(1)}"
                head, _, rest = title.partition(":")
                return f"{head.strip()}: {rest.strip()}" if head.strip() == "Appendix" and rest else head.strip()
    return chapter


def collect(root: Path = ROOT) -> Ledger:
    chapters, titles, statements, checks = [], {}, [], []
    for chapter in toc_notebooks(root):
        nb = nbformat.read(root / f"{chapter}.ipynb", as_version=4)
        chapters.append(chapter)
        titles[chapter] = short_title(nb, chapter)
        statements += statements_in(nb, chapter)
        checks += checks_in(nb, chapter)
    return Ledger(chapters, titles, statements, checks)


def _escape(text: str) -> str:
    """Text for a cell of a Markdown table."""
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    text = text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1].rstrip() + "…"
    text = _escape(text)
    return f"``{text}``" if "`" in text else f"`{text}`"


def _row(ledger: Ledger, s: Statement) -> str:
    cells = ledger.checks_of(s.label)
    chapter = f"{{doc}}`{ledger.titles[s.chapter]} <{s.chapter}>`"
    statement = f"{{prf:ref}}`{s.label}`" + (f": {_escape(s.title)}" if s.title else "")
    paper = PAPER.get(s.label, "—")
    if cells:
        where = ", ".join(
            (f"cell {c.number}" if c.number else f"cell #{c.index} (not code)")
            + ("" if c.chapter == s.chapter else f" of {{doc}}`{ledger.titles[c.chapter]} <{c.chapter}>`")
            for c in cells
        )
        asserts = list(dict.fromkeys(a for c in cells for a in c.asserts))
        tolerance = "; ".join(_code(a) for a in asserts[:MAX_ASSERTS]) or "—"
        if len(asserts) > MAX_ASSERTS:
            tolerance += f"; (+{len(asserts) - MAX_ASSERTS} more)"
        outcomes = {c.outcome for c in cells}
        result = "error" if "error" in outcomes else "not run" if "not run" in outcomes else "passed"
    else:
        where, tolerance, result = "**no check**", "—", "**unchecked**"
    return f"| {chapter} | {statement} | {s.kind} | {paper} | {where} | {result} | {tolerance} |"


def render(root: Path = ROOT) -> str:
    ledger = collect(root)
    kinds = Counter(s.kind for s in ledger.statements)
    plural = {"theorem": "theorems", "lemma": "lemmas", "proposition": "propositions", "corollary": "corollaries"}
    kinds_text = ", ".join(f"{kinds[k]} {plural[k] if kinds[k] != 1 else k}" for k in KINDS if kinds[k])
    n_tags = sum(len(c.labels) for c in ledger.checks)
    n_chapters = len({s.chapter for s in ledger.statements})
    outcomes = Counter(c.outcome for c in ledger.checks)
    unchecked = ledger.unchecked()
    if outcomes["passed"] == len(ledger.checks):
        status = f"all {len(ledger.checks)} checking cells ran without error"
    else:
        status = ", ".join(f"{v} {k}" for k, v in sorted(outcomes.items()))
    summary = (
        f"**{len(ledger.statements)} statements** ({kinds_text}) in {n_chapters} chapters, checked by "
        f"**{len(ledger.checks)} code cells** carrying {n_tags} `check:` tags; as of the last stored "
        f"execution {status}."
    )
    if unchecked:
        have = "statement has" if len(unchecked) == 1 else "statements have"
        summary += f" **{len(unchecked)} {have} no check:** " + ", ".join(f"`{s.label}`" for s in unchecked) + "."

    # The table sits in a container of class `ledger-table`, which _static/ledger.css lays out to fit
    # the page's column: wrapped code in the tolerance column on a wide window, one card per row on a
    # phone (tests/test_browser.py checks both).
    lines = [
        "# Ledger of checked claims",
        "",
        INTRO.strip(),
        "",
        summary,
        "",
        ":::{container} ledger-table",
        "| Chapter | Statement | Kind | Paper | Checked in | Outcome | Tolerance (assertions) |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [_row(ledger, s) for s in ledger.statements]
    lines += [":::"]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render(ROOT)
    path = ROOT / LEDGER
    if "--check" in argv:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{LEDGER} is out of date: run python tools/make_ledger.py", file=sys.stderr)
            return 1
        print(f"{LEDGER} is up to date")
        return 0
    path.write_text(text, encoding="utf-8")
    ledger = collect(ROOT)
    print(f"wrote {LEDGER}: {len(ledger.statements)} statements, {len(ledger.checks)} checking cells")
    for s in ledger.unchecked():
        print(f"  no check: {s.label} ({s.chapter})", file=sys.stderr)
    for chapter, index, label in ledger.unknown_tags():
        print(f"  unknown statement in a check tag: {label} ({chapter}, cell index {index})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
