"""The PDF of the manually graded question, as Gradescope's manual grading takes it.

A set generated with ``--pdf`` has an export cell that also writes a PDF (otter's
LaTeX export through pandoc and xelatex, filtered to the manually graded questions).
This runs problem set 1's solution notebook top to bottom, export cell included, and
checks with ``pdftotext`` that the PDF inside the exported zip holds question 5 (and
the answer written under it). Needs otter-grader, pandoc, xelatex with Debian's
``texlive-xetex``, ``texlive-fonts-recommended``, ``texlive-plain-generic`` and
``texlive-latex-extra``, and ``pdftotext`` (``.ci/run`` installs what is missing);
skipped without them. Slow.
"""

import shutil
import subprocess
import zipfile

import pytest

otter = pytest.importorskip("otter")
nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

from tools import build_assignments  # noqa: E402 (after the otter skip)

pytestmark = pytest.mark.slow
SET = "ps1_orthogonal_family"


def _skip_without_tex():
    missing = [tool for tool in ("pandoc", "xelatex", "pdftotext", "kpsewhich") if shutil.which(tool) is None]
    if not missing:
        found = subprocess.run(["kpsewhich", "ulem.sty", "soul.sty", "adjustbox.sty"], capture_output=True, text=True)
        missing = [] if len(found.stdout.split()) == 3 else ["ulem.sty/soul.sty/adjustbox.sty (TeX Live packages)"]
    if missing:
        pytest.skip(f"the PDF export needs {', '.join(missing)}")


def test_export_cell_writes_the_pdf_of_question_5(tmp_path):
    _skip_without_tex()
    paths = build_assignments.build_set(SET, tmp_path / "build", run_tests=False, wheel=False, pdf=True)
    student = nbformat.read(paths["student"], as_version=4)
    export = [c.source for c in student.cells if c.cell_type == "code" and "grader.export(" in c.source]
    assert export and "pdf=False" not in export[0], export  # otter's export writes the PDF by default
    # the solution notebook, where it was generated (next to its tests), with the export cell
    notebook = paths["solution"]
    nb = nbformat.read(notebook, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(notebook.parent)}}
    )
    client.execute()
    zips = sorted(notebook.parent.glob(f"{SET}_*.zip"))
    assert zips, [c.get("outputs") for c in nb.cells if "grader.export(" in c.source]
    with zipfile.ZipFile(zips[-1]) as zf:
        pdfs = [n for n in zf.namelist() if n.endswith(".pdf")]
        assert pdfs, f"the export zip holds no PDF: {zf.namelist()}"
        (tmp_path / "q.pdf").write_bytes(zf.read(pdfs[0]))
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "q.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Question 5" in text and "graded by hand" in text
    assert "Model answer" in text  # the answer written in the answer cell (here: the solution's)
    assert "Question 1" not in text, "the PDF holds only the manually graded question"
