"""Licences, citation and changelog: the files a reader needs to reuse and cite the book.

* ``LICENSE`` is the MIT licence that ``pyproject.toml`` declares; ``LICENSE-CONTENT`` is
  CC BY 4.0 for the text and figures, and the book's footer says so.
* ``CITATION.cff`` validates against the Citation File Format 1.2.0 JSON schema, vendored in
  ``tests/data/citation-cff-1.2.0.schema.json`` (taken from the ``cffconvert`` 2.0.0 wheel on
  PyPI, ``cffconvert/schemas/1.2.0/schema.json``), with check-jsonschema (offline); the
  check is shown to fail on a broken copy.
* ``CITATION.cff``, the newest numbered entry of ``CHANGELOG.md`` and ``lbkit.__version__``
  name the same version.

Reads files only (and runs check-jsonschema twice): about a second.
"""

import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

import lbkit

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "tests" / "data" / "citation-cff-1.2.0.schema.json"


def _check_jsonschema(instance):
    exe = shutil.which("check-jsonschema", path=str(pathlib.Path(sys.executable).parent)) or shutil.which(
        "check-jsonschema"
    )
    assert exe, "check-jsonschema is pinned in requirements.txt; install the requirements"
    return subprocess.run(
        [exe, "--schemafile", str(SCHEMA), str(instance)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


@pytest.fixture(scope="module")
def cff():
    return yaml.safe_load((ROOT / "CITATION.cff").read_text())


def test_vendored_schema_is_cff_1_2_0():
    import json

    schema = json.loads(SCHEMA.read_text())
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    assert {"cff-version", "message", "title", "authors"} <= set(schema["required"])


def test_citation_cff_validates_against_the_schema(tmp_path, cff):
    proc = _check_jsonschema(ROOT / "CITATION.cff")
    assert proc.returncode == 0, f"CITATION.cff does not match the CFF 1.2.0 schema:\n{proc.stdout}{proc.stderr}"
    # the check can fail: a citation without authors, or with a licence that is not an SPDX id, is rejected
    for broken in ({k: v for k, v in cff.items() if k != "authors"}, {**cff, "license": "MIT License"}):
        bad = tmp_path / "CITATION.cff"
        bad.write_text(yaml.safe_dump(broken))
        assert _check_jsonschema(bad).returncode != 0, f"the schema check accepted {sorted(broken)}"


def test_citation_names_both_licences_and_the_paper(cff):
    assert cff["cff-version"] == "1.2.0"
    assert cff["license"] == ["MIT", "CC-BY-4.0"]
    (paper,) = [r for r in cff["references"] if "Superpolynomial Lower Bounds" in r["title"]]
    assert [a["family-names"] for a in paper["authors"]] == ["Goel", "Gollakota", "Jin", "Karmalkar", "Klivans"]
    assert paper["year"] == 2020


def test_versions_agree(cff):
    changelog = (ROOT / "CHANGELOG.md").read_text()
    numbered = re.findall(r"^## (\d+\.\d+\.\d+)\b", changelog, flags=re.M)
    assert numbered, "CHANGELOG.md has no numbered version heading (## X.Y.Z)"
    assert str(cff["version"]) == lbkit.__version__ == numbered[0], (
        f"CITATION.cff says {cff['version']}, lbkit.__version__ is {lbkit.__version__}, "
        f"the newest CHANGELOG entry is {numbered[0]}: keep them equal"
    )


def test_licences():
    mit = (ROOT / "LICENSE").read_text()
    assert mit.startswith("MIT License") and "Permission is hereby granted, free of charge" in mit
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^license = \{ text = "MIT" \}', pyproject, flags=re.M), "pyproject.toml should declare MIT"
    content = (ROOT / "LICENSE-CONTENT").read_text()
    assert "Creative Commons Attribution 4.0 International" in content
    assert "https://creativecommons.org/licenses/by/4.0/" in content
    # the whole legal code, not a summary: its last section and its closing notice
    assert "Section 8 – Interpretation." in content and "Creative Commons may be contacted at" in content
    # the page footer states it (tools/sphinx_book.py writes the footer; the browser test reads it on every page)
    from tools import sphinx_book

    footer = sphinx_book.footer_html("", "9.9.9", "0123abcd4567", pdf=False)
    assert "CC BY 4.0" in footer and "https://creativecommons.org/licenses/by/4.0/" in footer
    assert "lbkit 9.9.9" in footer and "0123abcd4567" in footer and "book.pdf" not in footer
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["sphinx"]["local_extensions"]["sphinx_book"] == "tools/"  # (others may load beside it)


def test_footer_names_the_version_and_the_commit():
    from tools import sphinx_book

    assert sphinx_book.lbkit_version() == lbkit.__version__
    commit = sphinx_book.git_commit()
    if (ROOT / ".git").exists() and shutil.which("git"):
        assert re.fullmatch(r"[0-9a-f]{12}\+?", commit), commit
    # with a repository URL the commit links to it; with a PDF the footer links book.pdf relative to the page
    footer = sphinx_book.footer_html("https://github.com/o/r", "1.0.0", "abcdef123456+", pdf=True)
    assert 'href="https://github.com/o/r/commit/abcdef123456"' in footer
    assert 'href="{pathto}" download' in footer
