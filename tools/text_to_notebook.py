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
import sys, nbformat
src, dst = sys.argv[1], sys.argv[2]
cells, kind, buf = [], None, []
def flush():
    if kind is None: return
    meta = {}
    lines = list(buf)
    if kind == "code":
        keep = []
        for l in lines:
            if l.startswith("#@"):
                key, val = l[2:].split(":", 1); val = val.strip()
                if key in ("name", "caption"):
                    meta.setdefault("mystnb", {}).setdefault("figure", {})[key] = val
                elif key == "alt":
                    meta.setdefault("mystnb", {}).setdefault("image", {})["alt"] = val
                elif key == "tags":
                    meta["tags"] = [t.strip() for t in val.split(",")]
            else:
                keep.append(l)
        lines = keep
    text = "\n".join(lines).strip("\n")
    c = nbformat.v4.new_markdown_cell(text) if kind == "md" else nbformat.v4.new_code_cell(text)
    if meta: c.metadata.update(meta)
    cells.append(c)
for line in open(src).read().splitlines():
    if line.strip() in ("#### md", "#### code"):
        flush(); kind = line.strip()[5:]; buf = []
    else:
        buf.append(line)
flush()
nb = nbformat.v4.new_notebook(cells=cells)
nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
               "language_info": {"name": "python"}}
nbformat.write(nb, dst)
print("wrote", dst, len(cells), "cells")
