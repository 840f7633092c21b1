"""Build a new notebook from a plain-text draft (an authoring aid for new chapters).

Usage::

    python tools/text_to_notebook.py draft.txt chapters/NN_name.ipynb
    python tools/execute_notebooks.py chapters/NN_name.ipynb

In the draft every cell starts with a line ``#### md`` or ``#### code``.  A code
cell that draws a figure may start with metadata lines, turned into MyST-NB
cell metadata (caption and label shown in the book, alt text for the image)::

    #@name: fig-03-family-size
    #@caption: One-line caption, may contain $math$.
    #@alt: What the image shows, for screen readers.
    #@tags: hide-input

The notebook is the source of truth once created; edit it in Jupyter from then
on (drafts are not kept in the repository).
"""

from __future__ import annotations

import sys

import nbformat

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def _cell(kind: str, lines: list[str]):
    """One notebook cell from the lines of a draft cell (``#@key: value`` lines become metadata)."""
    meta: dict = {}
    if kind == "code":
        keep = []
        for line in lines:
            if line.startswith("#@"):
                key, val = line[2:].split(":", 1)
                val = val.strip()
                if key in ("name", "caption"):
                    meta.setdefault("mystnb", {}).setdefault("figure", {})[key] = val
                elif key == "alt":
                    meta.setdefault("mystnb", {}).setdefault("image", {})["alt"] = val
                elif key == "tags":
                    meta["tags"] = [t.strip() for t in val.split(",")]
            else:
                keep.append(line)
        lines = keep
    text = "\n".join(lines).strip("\n")
    cell = nbformat.v4.new_markdown_cell(text) if kind == "md" else nbformat.v4.new_code_cell(text)
    if meta:
        cell.metadata.update(meta)
    return cell


def text_to_notebook(text: str):
    """The notebook described by a draft (cells start with ``#### md`` or ``#### code``)."""
    cells, kind, buf = [], None, []
    for line in text.splitlines():
        if line.strip() in ("#### md", "#### code"):
            if kind is not None:
                cells.append(_cell(kind, buf))
            kind, buf = line.strip()[5:], []
        else:
            buf.append(line)
    if kind is not None:
        cells.append(_cell(kind, buf))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    return nb


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst = argv
    with open(src) as f:
        nb = text_to_notebook(f.read())
    nbformat.write(nb, dst)
    print("wrote", dst, len(nb.cells), "cells")
    return 0


if __name__ == "__main__":
    sys.exit(main())
