"""The book's own Sphinx extension (loaded by ``_config.yml``: ``sphinx.local_extensions``).

Three things, each small:

* **The footer of every HTML page** states the licences (text and figures under CC BY 4.0,
  code under MIT), lbkit's version and the git commit the book was built from, and links
  the whole book as a PDF when one was built.
* **The PDF download.** When ``_build/latex/book.pdf`` (the ``pdflatex`` builder's output,
  see ``.ci/run``) exists at the time of an HTML build, it is copied into the site as
  ``book.pdf`` and the footer links it. Without a PDF there is no link, so a quick HTML
  build never links a missing file. ``LBKIT_BOOK_PDF`` names another PDF to publish.
* **The print leaves the checks out.** In the LaTeX build (the PDF), a cell tagged
  ``hide-input`` loses its code, and a *check cell* (a ``hide-input`` cell whose code
  asserts, see CONTRIBUTING.md) loses its printed confirmation too, so it vanishes; what
  a hidden-code cell shows (a figure with its caption, a table) stays. The HTML build
  is untouched: there the checks are one click away. This runs at ``doctree-resolved``,
  which is per builder, so the cached doctrees that the HTML build reads are unchanged.
"""

from __future__ import annotations

import html
import os
import pathlib
import re
import shutil
import subprocess

from docutils import nodes
from sphinx import addnodes
from sphinx.util import texescape

ROOT = pathlib.Path(__file__).resolve().parents[1]
PDF_NAME = "book.pdf"  # the latex target name in _config.yml (latex.latex_documents.targetname)
CONTENT_LICENCE = ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")


def lbkit_version() -> str:
    """lbkit's version, read from the source (no import: the build must not need numpy)."""
    for line in (ROOT / "lbkit" / "__init__.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise ValueError("lbkit/__init__.py has no __version__ line")


def git_commit() -> str:
    """The commit the book is built from: GITHUB_SHA in a workflow, else ``git rev-parse``;
    ``unknown`` outside a git checkout. A ``+`` marks uncommitted changes to tracked files."""
    sha = os.environ.get("GITHUB_SHA", "")
    if sha:
        return sha[:12]
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return sha + ("+" if dirty else "")


def built_pdf() -> pathlib.Path | None:
    given = os.environ.get("LBKIT_BOOK_PDF")
    path = pathlib.Path(given) if given else ROOT / "_build" / "latex" / PDF_NAME
    return path if path.is_file() else None


def footer_html(repository_url: str, version: str, commit: str, pdf: bool) -> str:
    """The footer's HTML (the theme shows it under the author line on every page)."""
    name, url = CONTENT_LICENCE
    if repository_url and commit not in ("", "unknown"):
        where = f"{repository_url.rstrip('/')}/commit/{commit.rstrip('+')}"
        commit_html = f'<a href="{html.escape(where)}"><code>{html.escape(commit)}</code></a>'
    else:
        commit_html = f"<code>{html.escape(commit)}</code>"
    parts = [
        f'<p class="lbkit-licence">Text and figures: <a href="{url}" rel="license">{name}</a>; '
        "code (lbkit, the notebooks' code cells): MIT.</p>",
        f'<p class="lbkit-build">Built with lbkit {html.escape(version)} from commit {commit_html}.'
        + (' <a class="lbkit-pdf" href="{pathto}" download>Download the whole book as a PDF</a>.' if pdf else "")
        + "</p>",
    ]
    return "\n".join(parts)


def _on_config_inited(app, config):
    # the PDF's title page: "lbkit 0.1.0, commit abc" (releasename in _config.yml)
    if not config.release:
        config.release = f"{lbkit_version()}, commit {git_commit()}"
    # social-preview links are absolute under the base URL tools/set_repository_url.py sets
    if not getattr(config, "ogp_site_url", "") and config.html_baseurl:
        config.ogp_site_url = config.html_baseurl
    options = dict(config.html_theme_options or {})
    # "{pathto}" is filled per page (html-page-context): the link is relative to the page
    options["extra_footer"] = footer_html(
        options.get("repository_url", ""), lbkit_version(), git_commit(), pdf=built_pdf() is not None
    )
    config.html_theme_options = options


def _on_html_page_context(app, pagename, templatename, context, doctree):
    footer = app.config.html_theme_options.get("extra_footer", "")
    if "{pathto}" in footer:
        # a link relative to this page, so the site works under any base URL
        context["theme_extra_footer"] = footer.replace("{pathto}", context["pathto"](PDF_NAME, 1))


def _on_build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    pdf = built_pdf()
    if pdf is not None:
        shutil.copyfile(pdf, pathlib.Path(app.outdir) / PDF_NAME)


def _is_check_code(text: str) -> bool:
    return any(line.lstrip().startswith("assert ") for line in text.splitlines())


def _fix_exercise_references(app, doctree):
    """LaTeX: a {numref} to an exercise of *another* chapter keeps its number.

    sphinx-exercise labels an exercise ``exercise:LABEL`` in LaTeX and rewrites references
    from the same document to match, but a reference from another chapter still points at
    ``DOC:LABEL`` and prints "Exercise ??". Link it to ``exercise:LABEL`` with the number
    Sphinx resolved (the same text as on the web page).
    """
    registry = getattr(app.env, "sphinx_exercise_registry", {})
    for ref in list(doctree.findall(addnodes.number_reference)):
        label = (ref.get("refuri") or "").rpartition("#")[2] or ref.get("refid", "")
        target = registry.get(label)
        if target is None or type(ref).__name__ != "number_reference":
            continue
        text = texescape.escape(ref.astext())
        ref.replace_self(nodes.raw("", f"\\hyperref[exercise:{label}]{{{text}}}", format="latex"))


WIDE_TABLE = 90  # characters: a table whose widest cells add up to more is laid out by _fit_wide_tables
LINE = 100  # characters of text in one line of the PDF, roughly (11 pt on A4)


def _column_widths(lengths, words):
    """Column widths, in characters of a line of LINE, for columns whose cells have these
    lengths and whose longest words are these: each column gets its longest word (at most 20
    characters; longer tokens wrap), and what is left of the line goes to the columns whose
    cells are longer, in proportion to their typical (90th-percentile) length, up to 60."""
    least = [min(word, 20) + 1 for word in words]
    wanted = []
    for col, low in zip(lengths, least):
        typical = sorted(col)[int(0.9 * (len(col) - 1))] if col else 1
        wanted.append(max(low, min(typical, 60)))
    if sum(wanted) <= LINE or sum(least) >= LINE:
        return wanted if sum(wanted) <= LINE else least
    share = (LINE - sum(least)) / (sum(wanted) - sum(least))
    return [low + (want - low) * share for low, want in zip(least, wanted)]


def _break_long_literals(table, longest=20):
    """Inline code in a wide table may break after ``(``, ``[``, ``,`` or ``.`` (LaTeX's
    ``\\allowbreak``): a token longer than its column (an assertion quoted by the ledger)
    otherwise runs off the page, since LaTeX never breaks inside ``\\sphinxcode``."""
    for literal in list(table.findall(nodes.literal)):
        text = literal.astext()
        if max((len(w) for w in text.split()), default=0) <= longest:
            continue
        pieces = [p for p in re.split(r"(?<=[(\[,.])", text) if p]
        replacement = []
        for i, piece in enumerate(pieces):
            if i:
                replacement.append(nodes.raw("", r"\allowbreak{}", format="latex"))
            replacement.append(nodes.literal(piece, piece, classes=literal.get("classes", [])))
        literal.replace_self(replacement)


def _fit_wide_tables(doctree):
    """LaTeX: a table too wide for the page gets column widths from its content.

    MyST tables carry no column widths, so Sphinx's LaTeX writer sets a long table (the
    ledger) in ``l`` columns, which never wrap and run off the page. Here each column of a
    wide table gets a share of the text width that follows its cells (_column_widths), so
    every column wraps inside the page and no word is split across lines.
    """
    for table in list(doctree.findall(nodes.table)):
        tgroup = next(iter(table.findall(nodes.tgroup)), None)
        if tgroup is None:
            continue
        colspecs = [c for c in tgroup.children if isinstance(c, nodes.colspec)]
        lengths = [[] for _ in colspecs]
        words = [1] * len(colspecs)
        for row in tgroup.findall(nodes.row):
            for j, entry in enumerate(e for e in row.children if isinstance(e, nodes.entry)):
                if j < len(colspecs):
                    text = entry.astext()
                    lengths[j].append(len(text))
                    words[j] = max(words[j], *(len(w) for w in text.split() or [""]))
        if not colspecs or sum(max(col or [0]) for col in lengths) <= WIDE_TABLE:
            continue
        for spec, width in zip(colspecs, _column_widths(lengths, words)):
            spec["colwidth"] = max(1, round(10 * width))
        _break_long_literals(table)
        # longtable: a wide table is also a tall one, and only a longtable breaks across pages
        table["classes"] = [c for c in table["classes"] if c != "colwidths-auto"] + ["colwidths-given", "longtable"]
        # small type (the environment sphinxclasslbkit-wide-table in _config.yml's preamble)
        wrapper = nodes.container(classes=["lbkit-wide-table"])
        table.replace_self(wrapper)
        wrapper += table


def _on_doctree_resolved(app, doctree, docname):
    """LaTeX only: drop hidden code, and the check cells' printouts (see the module docstring)."""
    if app.builder.format != "latex":
        return
    _fix_exercise_references(app, doctree)
    _fit_wide_tables(doctree)
    for cell in list(doctree.findall(nodes.container)):
        if cell.get("nb_element") != "cell_code" or "input" not in str(cell.get("hide_mode", "")):
            continue
        code = ""
        for child in list(cell.children):
            if isinstance(child, nodes.container) and child.get("nb_element") == "cell_code_source":
                code += child.astext()
                cell.remove(child)
        if _is_check_code(code):
            for output in list(cell.findall(nodes.literal_block)):
                if "stream" in output.get("classes", []):
                    output.parent.remove(output)
        for child in list(cell.children):
            if isinstance(child, nodes.container) and not child.children:
                cell.remove(child)
        if not cell.children:
            cell.parent.remove(cell)


def _on_builder_inited(app):
    """LaTeX: figures and tables numbered through the book (1, 2, ...): the chapters carry
    their own numbers in their titles ("3. The orthogonal family"), so LaTeX does not number
    them (``secnumdepth`` in _config.yml) and "Fig. 0.3" would mean nothing."""
    if app.builder.format != "latex":
        return
    app.config.numfig_secnum_depth = 0


def setup(app):
    app.connect("builder-inited", _on_builder_inited)
    app.connect("config-inited", _on_config_inited)
    app.connect("html-page-context", _on_html_page_context)
    app.connect("build-finished", _on_build_finished)
    app.connect("doctree-resolved", _on_doctree_resolved)
    return {"version": lbkit_version(), "parallel_read_safe": True, "parallel_write_safe": True}
