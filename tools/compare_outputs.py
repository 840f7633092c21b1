"""Compare the outputs of two versions of a notebook, whatever became of its code cells.

A refactoring of a chapter's code (helpers moved into lbkit, cells merged or split) must
leave what the reader sees unchanged.  This tool lists every output of each version in
order (stream text, ``text/plain``, ``text/html``, ``text/markdown``, ``text/latex``,
MyST-NB glue payloads, and images as the SHA-256 of their bytes), drops stderr, the
outputs of cells nbval ignores (tag ``nbval-ignore-output`` or a ``# NBVAL_IGNORE_OUTPUT``
line: timings, progress bars) and the blank lines of stdout (how a kernel splits a stream
into chunks moves them), and compares the two sequences item by item.  Cell boundaries do
not matter: two cells merged into one that prints the same lines compare equal.

Usage (from the repository root)::

    python tools/compare_outputs.py OLD.ipynb NEW.ipynb
    python tools/compare_outputs.py --rev main chapters/05_csq_lower_bound.ipynb
        # the committed version at a git revision against the working copy

Exit status 0 when the sequences are equal, 1 otherwise (the first differences are printed).
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import subprocess
import sys

TEXT_TYPES = ("text/plain", "text/html", "text/markdown", "text/latex", "application/vnd.jupyter.widget-view+json")
IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg", "application/pdf")
GLUE_TYPE = "application/papermill.record/text/plain"


def _ignored(cell) -> bool:
    """nbval ignores this cell's outputs: the tag, or the comment marker in its source."""
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    return "nbval-ignore-output" in cell.get("metadata", {}).get("tags", []) or "# NBVAL_IGNORE_OUTPUT" in source


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def output_items(nb: dict) -> list[str]:
    """The outputs of a notebook (parsed JSON) as one flat list of comparable lines."""
    items: list[str] = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or _ignored(cell):
            continue
        for out in cell.get("outputs", []):
            kind = out["output_type"]
            if kind == "stream":
                if out.get("name") == "stdout":
                    # blank lines are dropped: how a kernel splits a stream into chunks moves them
                    items += [f"stdout| {line}" for line in _text(out["text"]).splitlines() if line.strip()]
            elif kind == "error":
                items.append(f"error| {out.get('ename')}: {out.get('evalue')}")
            else:
                data = out.get("data", {})
                for mime in sorted(data):
                    if mime in IMAGE_TYPES:
                        digest = hashlib.sha256(_text(data[mime]).encode()).hexdigest()[:16]
                        items.append(f"{mime}| sha256 {digest}")
                    elif mime.startswith("application/papermill.record/") or mime in TEXT_TYPES:
                        items += [f"{mime}| {line}" for line in _text(data[mime]).splitlines()]
                    else:
                        items.append(f"{mime}| {json.dumps(data[mime], sort_keys=True)[:200]}")
    return items


def load(path: str, rev: str | None = None) -> dict:
    if rev is None:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    shown = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True, check=True)
    return json.loads(shown.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="OLD NEW, or with --rev one or more notebooks")
    parser.add_argument("--rev", help="compare the version committed at this git revision with the working copy")
    parser.add_argument("--context", type=int, default=3, help="lines of context in the diff (default 3)")
    args = parser.parse_args(argv)
    pairs = [(p, args.rev, p, None) for p in args.paths] if args.rev else None
    if pairs is None:
        if len(args.paths) != 2:
            parser.error(f"give OLD and NEW (two paths), or --rev REV with notebooks; got {len(args.paths)} paths")
        pairs = [(args.paths[0], None, args.paths[1], None)]
    status = 0
    for old_path, old_rev, new_path, new_rev in pairs:
        old, new = output_items(load(old_path, old_rev)), output_items(load(new_path, new_rev))
        label = f"{old_path}{'@' + old_rev if old_rev else ''} -> {new_path}"
        if old == new:
            print(f"same outputs ({len(old)} items): {label}")
            continue
        status = 1
        diff = list(difflib.unified_diff(old, new, "old", "new", n=args.context, lineterm=""))
        print(f"DIFFERENT outputs ({len(old)} -> {len(new)} items): {label}")
        print("\n".join(diff[:200]) + ("\n..." if len(diff) > 200 else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
