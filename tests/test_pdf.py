"""The whole book as a PDF (Jupyter Book's ``pdflatex`` builder, XeLaTeX; see _config.yml).

The PDF is the one named by ``LBKIT_BOOK_PDF`` (``.ci/run`` builds
``_build/latex/book.pdf`` before the tests and sets it), else it is built here into a
temporary directory (about a minute and a half on two cores). What is checked, from
what the sources say rather than from a list kept by hand, so that a new chapter or
appendix is checked as soon as it is in ``_toc.yml``:

* every page of ``_toc.yml`` is in it: its title (the first ``#`` heading) is in the text
  (``pdftotext``), in the order of the table of contents;
* every ``{prf:...}`` statement with a ``:label:`` in the notebooks and pages is there
  with its kind, its title and the first words of its statement;
* no reference is left unresolved (no "??"), and no maths is left as raw TeX;
* every figure the notebooks store (an image output) is embedded (``pdfimages -list``
  counts exactly as many images), with its caption;
* the hidden check cells stay out of the print: neither their assertions nor their
  printed confirmations are in the text;
* no text runs off the page (every word's box, from ``pdftotext -bbox``, lies inside
  the page): the wide tables (the ledger, the related-work table) fit;
* the page count is sane: 4 to 40 pages per page of the table of contents.

Needs TeX Live (``latexmk``, ``xelatex``) to build and poppler-utils (``pdftotext``,
``pdfimages``) to read; skipped without them.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import unicodedata

import pytest

from tools.toc import toc_files

pytestmark = pytest.mark.slow  # builds the PDF unless LBKIT_BOOK_PDF names one

ROOT = pathlib.Path(__file__).resolve().parents[1]
PRF = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{prf:(?P<kind>theorem|lemma|proposition|corollary|definition|conjecture|remark|"
    r"example|algorithm|axiom|criterion|observation|property|assumption|notation)\}[ \t]*(?P<title>[^\n]*)\n"
    r"(?P<options>(?:[ \t]*:[\w-]+:[^\n]*\n)*)(?P<body>.*?)^(?P=fence)[ \t]*$",
    flags=re.M | re.S,
)


def _need(*tools):
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"the PDF test needs `{tool}` (Debian: texlive-xetex, latexmk, poppler-utils)")


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    _need("pdftotext", "pdfimages", "pdfinfo")
    given = os.environ.get("LBKIT_BOOK_PDF")
    if given:
        path = pathlib.Path(given)
        assert path.is_file(), f"LBKIT_BOOK_PDF={given} does not exist"
        return path
    _need("latexmk", "xelatex")
    out = tmp_path_factory.mktemp("pdf")
    jb = pathlib.Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run(
        [str(jb), "build", str(ROOT), "--builder", "pdflatex", "--path-output", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    path = out / "_build" / "latex" / "book.pdf"
    assert proc.returncode == 0 and path.is_file(), (
        f"the PDF build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    )
    return path


@pytest.fixture(scope="module")
def text(pdf):
    """The PDF's text twice: in reading order, then with each printed line kept whole (-layout).

    Displayed maths can split a sentence in either: a superscript pulls a word onto its own
    line in one or the other, so a phrase counts as present when it is in one of them.
    """
    return "\n".join(
        subprocess.run(["pdftotext", *opts, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        for opts in ([], ["-layout"])
    )


def _squash(s):
    """Letters and digits only, lower case: line breaks, hyphenation, ligatures and spacing do not matter."""
    return re.sub(r"[^0-9a-z]", "", unicodedata.normalize("NFKC", s).lower())


def _plain(s):
    """Markdown without its maths, roles and markup: the words a reader sees as text."""
    s = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", s, flags=re.S)  # maths
    s = re.sub(r"\{[\w:-]+\}`([^`<]*)(<[^`]*>)?`", r"\1", s)  # {role}`text <target>`
    s = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", s)  # [text](link)
    return re.sub(r"[*_`]", "", s)


def _toc_files():
    return toc_files(ROOT)


def _source(name):
    """(path, [markdown text of each markdown cell or page]) for a toc entry."""
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{name}{suffix}"
        if path.is_file():
            if suffix == ".md":
                return path, [path.read_text()]
            cells = json.loads(path.read_text())["cells"]
            return path, ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    raise AssertionError(f"_toc.yml names {name!r}, which is neither a .ipynb nor a .md file")


def _title(markdown):
    for block in markdown:
        m = re.search(r"^# (.+)$", block, flags=re.M)
        if m:
            return m.group(1).strip()
    return None


def _notebooks():
    return [path for path, _ in map(_source, _toc_files()) if path.suffix == ".ipynb"]


def test_every_toc_page_is_in_the_pdf_in_order(text):
    squashed = _squash(text)
    files = _toc_files()
    assert len(files) >= 10, files
    position, missing = 0, []
    for name in files[1:]:  # the root page's title is the book's title, on the title page
        title = _title(_source(name)[1])
        assert title, f"{name}: no '# ' title"
        needle = _squash(_plain(title))
        found = squashed.find(needle, position)
        if found < 0:
            missing.append(f"{name}: {title!r}")
        else:
            position = found
    assert not missing, "pages of _toc.yml whose title is missing from the PDF (or out of order):\n" + "\n".join(
        missing
    )


def _statements():
    found = []
    for name in _toc_files():
        _, blocks = _source(name)
        for block in blocks:
            for m in PRF.finditer(block):
                label = re.search(r":label:\s*(\S+)", m.group("options"))
                if label:
                    found.append((name, label.group(1), m.group("kind"), m.group("title"), m.group("body")))
    return found


def _phrases(body, count=4, first=2):
    """Up to `first` phrases of `count` plain words, from the first stretches of text between
    maths with more than `count` words; the word next to the maths is left out (a superscript
    or a sum with limits can print next to it, or split the line around it)."""
    found = []
    for piece in re.split(r"\$\$.*?\$\$|\$[^$]*\$|\{[\w:-]+\}`[^`]*`|\n\n|[()]", body, flags=re.S):
        words = re.findall(r"[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*", piece)
        if len(words) > count:
            found.append(" ".join(words[1 : count + 1]))
        if len(found) == first:
            break
    return found


def test_every_labelled_statement_is_in_the_pdf(text):
    statements = _statements()
    assert len(statements) >= 30, f"only {len(statements)} labelled {{prf:...}} statements: has the syntax changed?"
    squashed = _squash(text)
    missing = []
    for name, label, kind, title, body in statements:
        # "Theorem 3 (Exact orthogonality)": the kind, its number, then the title, whose
        # maths ("When $f_S$ vanishes") may print as anything short
        pieces = [_squash(p) for p in re.split(r"\$[^$]*\$", title)]
        heading = re.compile(
            re.escape(_squash(kind)) + r"\d+" + "[0-9a-z]{0,12}".join(re.escape(p) for p in pieces if p)
        )
        if not heading.search(squashed):
            missing.append(f"{name}: {label}: heading {kind} N ({title})")
        phrases = _phrases(body)
        if phrases and not any(_squash(p) in squashed for p in phrases):
            missing.append(f"{name}: {label}: statement with {' / '.join(phrases)!r}")
    assert not missing, "statements missing from the PDF:\n" + "\n".join(missing)


def test_no_unresolved_reference_or_raw_tex(text, pdf):
    assert "??" not in text, "unresolved references in the PDF:\n" + "\n".join(
        line for line in text.splitlines() if "??" in line
    )
    tex = pdf.with_suffix(".tex")
    if tex.is_file():
        # `$$` that the parser did not take as maths comes out as an escaped dollar before \(
        raw = re.findall(r".{0,40}\\\$\\\(.{0,40}", tex.read_text())
        assert not raw, "maths printed as raw TeX:\n" + "\n".join(raw)


def _figures():
    """(notebook, caption or None) for every image output stored in the toc's notebooks."""
    found = []
    for path in _notebooks():
        for cell in json.loads(path.read_text())["cells"]:
            caption = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("caption")
            tags = cell.get("metadata", {}).get("tags", [])
            if "remove-output" in tags or "remove-cell" in tags:
                continue
            for out in cell.get("outputs", []):
                if {"image/png", "image/jpeg"} & set(out.get("data", {})):
                    found.append((path.name, caption))
    return found


def test_every_figure_is_embedded_with_its_caption(pdf, text):
    figures = _figures()
    assert len(figures) >= 10, figures
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    # rows after the two header lines; type "image" (an alpha channel is listed again as "smask")
    images = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    embedded = sum(1 for row in images if row[2] == "image")
    assert embedded == len(figures), f"{embedded} images in the PDF, {len(figures)} figures in the notebooks"
    squashed = _squash(text)
    uncaptioned = [
        f"{nb}: {caption[:60]!r}"
        for nb, caption in figures
        if caption and _phrases(caption) and not any(_squash(p) in squashed for p in _phrases(caption))
    ]
    assert not uncaptioned, "figures whose caption is missing from the PDF:\n" + "\n".join(uncaptioned)


def test_hidden_check_cells_stay_out_of_the_print(text):
    squashed = _squash(text)
    leaked, checked = [], 0
    for path in _notebooks():
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code" or "hide-input" not in cell.get("metadata", {}).get("tags", []):
                continue
            source = "".join(cell["source"])
            asserts = [line.strip() for line in source.splitlines() if line.strip().startswith("assert ")]
            if not asserts:
                continue
            checked += 1
            printed = [
                "".join(o.get("text", "")).strip() for o in cell.get("outputs", []) if o.get("output_type") == "stream"
            ]
            for snippet in asserts[:1] + [p.splitlines()[0] for p in printed if p][:1]:
                needle = _squash(snippet)
                if len(needle) >= 25 and needle in squashed:
                    leaked.append(f"{path.name}: {snippet[:80]!r}")
    assert checked >= 20, f"only {checked} check cells found: has the convention changed?"
    assert not leaked, "check cells printed in the PDF:\n" + "\n".join(leaked)


def test_no_text_runs_off_the_page(pdf, tmp_path):
    bbox = tmp_path / "bbox.html"
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(bbox)], check=True, capture_output=True)
    html = bbox.read_text()
    off = []
    for number, page in enumerate(re.findall(r"<page (.*?)</page>", html, flags=re.S), start=1):
        width = float(re.search(r'width="([\d.]+)"', page).group(1))
        height = float(re.search(r'height="([\d.]+)"', page).group(1))
        for x_min, x_max, y_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page
        ):
            if float(x_min) < 0 or float(x_max) > width + 1:
                off.append(f"page {number}: {word!r} ends at {float(x_max):.0f} of {width:.0f} pt")
            elif float(y_max) > height + 1:
                off.append(f"page {number}: {word!r} runs below the page ({float(y_max):.0f} of {height:.0f} pt)")
    assert not off, f"{len(off)} words run off the page:\n" + "\n".join(off[:20])


def test_page_count_is_sane(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))
    files = len(_toc_files())
    assert 4 * files <= pages <= 40 * files, f"{pages} pages for {files} pages of the table of contents"
