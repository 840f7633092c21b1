"""Re-execute notebooks in place: fresh kernel, top to bottom, no timing metadata.

Usage (from the repository root)::

    python tools/execute_notebooks.py                 # every chapters/*.ipynb
    python tools/execute_notebooks.py chapters/03_*.ipynb

The stored outputs are then exactly what nbval (``pytest``) re-computes and
compares, and what the HTML book shows.
"""

from __future__ import annotations

import glob
import os
import sys
import time

import nbformat
from nbclient import NotebookClient


def execute(path: str, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    # start from a clean slate so that no stale output survives
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    paths = argv or sorted(glob.glob("chapters/*.ipynb"))
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 1
    for p in paths:
        print(f"{p}: {execute(p):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
