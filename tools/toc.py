"""The book's pages in reading order, as ``_toc.yml`` lists them (the root first)."""

from __future__ import annotations

import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def toc_files(root: pathlib.Path = ROOT) -> list[str]:
    """Every ``file`` entry of ``root/_toc.yml`` (paths without suffix), the ``root`` page first."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for key, value in node.items():
                if key != "root":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return files
