"""Run one tagged cell of a chapter notebook on inputs a test supplies.

The checks of training claims live in the chapters, in check cells (tag
``hide-input`` plus a tag that names the cell, e.g. ``claim:phase-diagram``).
To show that such a check *can fail*, a test runs the very same cell source on
fabricated data (a reversed trend, a growth off by a factor of two) and expects
an ``AssertionError``; on data inside the calibrated range it must pass.

Usage (``fake`` stands for a table the test builds)::

    src = cell_source("chapters/07_gd_in_practice.ipynb", "claim:phase-diagram")
    run_cell("chapters/07_gd_in_practice.ipynb", "claim:phase-diagram", {"phase": fake})
"""

from __future__ import annotations

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def cell_source(notebook: str, tag: str) -> str:
    """The source of the single code cell of ``notebook`` (relative to the repo root) carrying ``tag``."""
    nb = json.loads((ROOT / notebook).read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and tag in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise LookupError(f"{notebook}: expected exactly one code cell tagged {tag!r}, found {len(cells)}")
    src = cells[0]["source"]
    return "".join(src) if isinstance(src, list) else src


def run_cell(notebook: str, tag: str, namespace: dict) -> dict:
    """Execute the cell tagged ``tag`` of ``notebook`` in ``namespace`` (updated in place and returned)."""
    code = compile(cell_source(notebook, tag), f"{notebook}[{tag}]", "exec")
    exec(code, namespace)  # noqa: S102 - the book's own check cell, run on test data
    return namespace
