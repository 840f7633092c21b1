"""The built book works in a real browser (headless Chromium).

Every page in ``_toc.yml`` is opened over http://127.0.0.1 (a local
``http.server``; file:// URLs behave differently) and checked for images that
fail to load or lack alt text, internal links (and ``#anchors``) that point
nowhere, and local resources that answer 404.  On a chapter with exercises a
solution dropdown is clicked and must open.

The book is built into a temporary directory first (execution is off, so this
takes seconds), so the test does not depend on ``_build/`` or on the order of
the CI steps.  Set ``LBKIT_BOOK_HTML=_build/html`` to check an existing build
instead.

The reader's view of a chapter is checked too: no ``assert`` is visible in a
code block of a chapter page before anything is clicked (checks live in
collapsed ``hide-input`` cells), such a collapsed cell opens on a click and
shows its assertions, no page shows a stderr output box, and no table is wider
than the text column at a 1,400- and a 390-pixel window (at 390 pixels a
table may scroll sideways inside the column, except the ledger's, which is laid
out to fit).

The maths is checked on a copy of the book whose MathJax script points at a
local MathJax 3 (``$LBKIT_MATHJAX``, the ``es5`` folder of the npm package, or
else ``npm install mathjax@3`` into a temporary folder): every formula on every
page must typeset without a MathJax error (an unknown macro counts as one), and
no raw TeX delimiter may be left
in the visible text (for instance in a navigation title, on a page without
maths, where MathJax is not loaded).  Skipped if MathJax cannot be had.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium``
package; skipped without them.  The browser is started offline: every host
but 127.0.0.1 fails to resolve, so the MathJax CDN script fails fast and
nothing is fetched from the internet.  External resources are not checked.
"""

import contextlib
import functools
import html.parser
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.browser

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
EXERCISE_CHAPTER = "chapters/03_orthogonal_family.html"
TIMEOUT = 10  # seconds to wait for images / the dropdown
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/"


def _skip_without_browser():
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            pytest.skip(f"browser test needs {path} (Debian package `{package}`)")
    pytest.importorskip("selenium", reason="browser test needs the `selenium` package")


def _toc_pages():
    """The HTML pages of every file in _toc.yml, root first."""
    from tools.toc import toc_files

    return [f"{pathlib.PurePosixPath(f).with_suffix('')}.html" for f in toc_files(ROOT)]


# --------------------------------------------------------------------------
# fixtures: the built book, a local server, a headless browser, one crawl


@pytest.fixture(scope="session")
def book_html(tmp_path_factory):
    _skip_without_browser()
    given = os.environ.get("LBKIT_BOOK_HTML")
    if given:
        html_dir = pathlib.Path(given).resolve()
        assert (html_dir / "index.html").is_file(), f"LBKIT_BOOK_HTML={given} has no index.html"
        return html_dir
    out = tmp_path_factory.mktemp("book")
    jb = pathlib.Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run(
        [str(jb), "build", str(ROOT), "--path-output", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    html_dir = out / "_build" / "html"
    assert proc.returncode == 0 and (html_dir / "index.html").is_file(), (
        f"jupyter-book build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return html_dir


@contextlib.contextmanager
def _serve(directory):
    """Serve a folder on a free port of 127.0.0.1 while in the block; records every (status, path) it answers."""
    answered = []

    class Handler(SimpleHTTPRequestHandler):
        def log_request(self, code="-", size="-"):
            answered.append((int(getattr(code, "value", code)), self.path))

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(directory)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.answered = answered
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def server(book_html):
    """Serve the book; records every (status, path) it answers."""
    with _serve(book_html) as httpd:
        yield httpd


@pytest.fixture(scope="session")
def local_mathjax(tmp_path_factory):
    """The es5 folder of a local MathJax 3: $LBKIT_MATHJAX, or npm install into a temporary folder."""
    given = os.environ.get("LBKIT_MATHJAX")
    if given:
        es5 = pathlib.Path(given)
        assert (es5 / "tex-mml-chtml.js").is_file(), f"LBKIT_MATHJAX={given} has no tex-mml-chtml.js"
        return es5
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("the maths check needs a local MathJax 3: npm (to install it) or LBKIT_MATHJAX")
    prefix = tmp_path_factory.mktemp("mathjax")
    proc = subprocess.run(
        [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(prefix), "mathjax@3"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    es5 = prefix / "node_modules" / "mathjax" / "es5"
    if proc.returncode != 0 or not (es5 / "tex-mml-chtml.js").is_file():
        pytest.skip(f"could not install MathJax 3 with npm: {proc.stderr[-500:]}")
    return es5


@pytest.fixture(scope="module")
def math_server(book_html, local_mathjax, tmp_path_factory):
    """A copy of the book whose pages load MathJax from the local copy, served."""
    site = tmp_path_factory.mktemp("book-mathjax") / "html"
    shutil.copytree(book_html, site)
    shutil.copytree(local_mathjax, site / "_mathjax")
    # MathJax's default `noundefined` package shows an unknown macro as red text; without it,
    # an unknown macro is an error that the test can see
    config, strict = 'window.MathJax = {"tex": {', 'window.MathJax = {"tex": {"packages": {"[-]": ["noundefined"]}, '
    rewritten = 0
    for page in site.rglob("*.html"):
        text = page.read_text()
        if MATHJAX_CDN in text:
            assert config in text, f"{page.name}: MathJax configuration not found: has the theme changed?"
            page.write_text(text.replace(MATHJAX_CDN, "/_mathjax/").replace(config, strict))
            rewritten += 1
    assert rewritten, f"no page loads MathJax from {MATHJAX_CDN}: has the theme changed?"
    with _serve(site) as httpd:
        yield httpd


@pytest.fixture(scope="module")
def driver(server):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.TemporaryDirectory(prefix="lbkit-chromium-")
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        f"--user-data-dir={profile.name}",
        # offline: every host but the local server fails to resolve at once
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(arg)
    # an explicit driver path: selenium-manager is never run (it would try to download)
    browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()
    profile.cleanup()


_IMAGES_JS = """
const imgs = Array.from(document.images);
imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
return imgs.map(i => ({src: i.currentSrc || i.src, alt: i.getAttribute('alt'),
                       complete: i.complete, width: i.naturalWidth}));
"""


# stderr output boxes of code cells (MyST-NB: <div class="output stderr ...">), first line of each
_STDERR_JS = """
return Array.from(document.querySelectorAll('.output.stderr'))
  .map(e => ((e.querySelector('pre') || e).textContent || '').trim().split('\\n')[0].slice(0, 80));
"""


@pytest.fixture(scope="module")
def crawl(server, driver):
    """Open every toc page once; return {page: {"images": [...], "links": [...]}} and the 404s."""
    from selenium.webdriver.support.ui import WebDriverWait

    pages = {}
    for page in _toc_pages():
        driver.get(server.base + page)
        # wait until every image has either loaded or failed
        WebDriverWait(driver, TIMEOUT).until(lambda d: all(i["complete"] for i in d.execute_script(_IMAGES_JS)))
        pages[page] = {
            "stderr": driver.execute_script(_STDERR_JS),
            "images": driver.execute_script(_IMAGES_JS),
            "links": driver.execute_script(
                # <a> links, and <link> (next/prev page, index, search, stylesheets)
                "return Array.from(document.querySelectorAll('a[href], link[href]')).map(a => a.href)"
            ),
        }
    # the browser asks for /favicon.ico on its own; the book has none
    missing = sorted({p for code, p in server.answered if code == 404 and p != "/favicon.ico"})
    return pages, missing


class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


@functools.cache
def _fetch(url):
    """(HTTP status, set of ids on the page) for a local URL without fragment."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status, body, ctype = response.status, response.read(), response.headers.get_content_type()
    except urllib.error.HTTPError as err:
        return err.code, frozenset()
    ids = set()
    if ctype == "text/html":
        parser = _Ids()
        parser.feed(body.decode("utf-8", "replace"))
        ids = parser.ids
    return status, frozenset(ids)


# --------------------------------------------------------------------------
# the checks


def test_every_toc_page_loads(crawl, server):
    pages, _ = crawl
    bad = [p for p in pages if _fetch(server.base + p)[0] != 200]
    assert not bad, f"toc pages that do not load: {bad}"


def test_images_load_and_have_alt_text(crawl):
    pages, _ = crawl
    broken, no_alt = [], []
    for page, info in pages.items():
        for img in info["images"]:
            if not img["width"]:
                broken.append(f"{page}: {img['src']}")
            if not (img["alt"] or "").strip():
                no_alt.append(f"{page}: {img['src']}")
    assert not (broken or no_alt), (
        "images that did not load:\n" + "\n".join(broken) + "\nimages without alt text:\n" + "\n".join(no_alt)
    )


def test_chapters_with_figures_show_them(crawl):
    """A chapter whose notebook stores an image output shows at least one loaded image."""
    import json

    pages, _ = crawl
    expected = []
    for page in pages:
        nb = ROOT / pathlib.PurePosixPath(page).with_suffix(".ipynb")
        if nb.is_file():
            cells = json.loads(nb.read_text())["cells"]
            if any(
                "image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {})
                for cell in cells
                for out in cell.get("outputs", [])
            ):
                expected.append(page)
    assert "chapters/01_introduction.html" in expected
    without = [p for p in expected if not any(i["width"] for i in pages[p]["images"])]
    assert not without, f"chapters with figure outputs but no figure on the page: {without}"


def test_internal_links_and_anchors_resolve(crawl, server):
    pages, _ = crawl
    broken = []
    for page, info in pages.items():
        for href in info["links"]:
            if not href.startswith(server.base):
                continue  # external, mailto:, javascript:, ...
            target, _, fragment = href.partition("#")
            status, ids = _fetch(target)
            if status != 200:
                broken.append(f"{page}: {href} (HTTP {status})")
            elif fragment and urllib.parse.unquote(fragment) not in ids and ids:
                broken.append(f"{page}: {href} (no id {urllib.parse.unquote(fragment)!r})")
    assert not broken, "broken internal links:\n" + "\n".join(sorted(set(broken)))


def test_no_local_resource_is_missing(crawl):
    _, missing = crawl
    assert not missing, f"the pages asked the local server for files that do not exist: {missing}"


def test_solution_dropdown_opens_on_click(server, driver):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(server.base + EXERCISE_CHAPTER)
    solutions = driver.find_elements(By.CSS_SELECTOR, ".solution.dropdown")
    assert solutions, f"no solution dropdown on {EXERCISE_CHAPTER}"
    solution = solutions[0]
    title = solution.find_element(By.CSS_SELECTOR, ".admonition-title")
    body = solution.find_element(By.CSS_SELECTOR, "#solution-content, .admonition-title ~ *")
    # sphinx-togglebutton has collapsed it
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: not body.is_displayed(), "sphinx-togglebutton did not collapse the solution"
    )
    button = solution.find_element(By.CSS_SELECTOR, "button.toggle-button")
    assert button.get_attribute("aria-expanded") == "false"

    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", title)
    title.click()
    WebDriverWait(driver, TIMEOUT).until(lambda d: body.is_displayed(), "the solution did not open on click")
    assert button.get_attribute("aria-expanded") == "true"
    assert "toggle-hidden" not in solution.get_attribute("class").split()


_RAW_TEX_JS = r"""
const bad = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const skip = 'pre, code, script, style, textarea, mjx-container, .output';
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const el = node.parentElement;
  if (!el || el.closest(skip) || el.offsetParent === null) continue;
  if (/\\\(|\\\[|\$\$/.test(node.textContent)) bad.push(node.textContent.trim().slice(0, 80));
}
return bad;
"""


def test_math_typesets_without_errors(math_server, driver):
    from selenium.webdriver.support.ui import WebDriverWait

    driver.set_script_timeout(120)
    problems, typeset = [], 0
    for page in _toc_pages():
        driver.get(math_server.base + page)
        if driver.execute_script("return !!document.querySelector('script[src*=\"tex-mml-chtml\"]')"):
            WebDriverWait(driver, 60).until(
                lambda d: d.execute_script("return !!(window.MathJax && MathJax.startup && MathJax.startup.promise)"),
                f"MathJax did not start on {page}",
            )
            ok = driver.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "MathJax.startup.promise.then(() => done(true), () => done(false));"
            )
            assert ok, f"MathJax failed on {page}"
            typeset += driver.execute_script("return document.querySelectorAll('mjx-container').length")
            errors = driver.execute_script(
                "return Array.from(document.querySelectorAll('mjx-merror'))"
                ".map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 100))"
            )
            problems += [f"{page}: MathJax error {e!r}" for e in errors]
        problems += [f"{page}: raw TeX in the text: {t!r}" for t in driver.execute_script(_RAW_TEX_JS)]
    assert not problems, "\n".join(problems)
    assert typeset > 1000, f"only {typeset} formulas typeset: is MathJax running?"


# --------------------------------------------------------------------------
# the reader's view: checks collapsed, no stderr boxes, tables within the column

DEFAULT_WINDOW = (1280, 1000)


def _chapter_pages():
    return [p for p in _toc_pages() if p.startswith("chapters/")]


def test_no_stderr_output_boxes(crawl):
    pages, _ = crawl
    boxes = [f"{page}: {first!r}" for page, info in pages.items() for first in info["stderr"]]
    assert not boxes, f"{len(boxes)} stderr output boxes on the pages (progress bars, warnings):\n" + "\n".join(boxes)


# <pre> blocks that a reader sees without clicking anything and that contain an assert statement.
# checkVisibility() is false inside a closed <details> (MyST-NB's hide-input) and a collapsed toggle.
_VISIBLE_ASSERTS_JS = r"""
const visible = e => (e.checkVisibility ? e.checkVisibility() : e.offsetParent !== null);
return Array.from(document.querySelectorAll('pre'))
  .filter(pre => visible(pre) && /(^|[\s;:])assert\b/m.test(pre.innerText))
  .map(pre => pre.innerText.split('\n').find(l => /(^|[\s;:])assert\b/.test(l)).trim().slice(0, 80));
"""


def test_no_assert_visible_without_a_click(server, driver):
    driver.set_window_size(*DEFAULT_WINDOW)
    found = []
    for page in _chapter_pages():
        driver.get(server.base + page)
        found += [f"{page}: {line}" for line in driver.execute_script(_VISIBLE_ASSERTS_JS)]
    assert not found, (
        f"{len(found)} visible code blocks contain an assert (a check cell needs the tag `hide-input`):\n"
        + "\n".join(found)
    )


_HIDE_INPUT_JS = r"""
const visible = e => (e.checkVisibility ? e.checkVisibility() : e.offsetParent !== null);
return Array.from(document.querySelectorAll('.cell.tag_hide-input')).map((cell, i) => {
  const input = cell.querySelector('.cell_input');
  return {i: i, open: !!input && visible(input),
          asserts: !!input && /(^|[\s;:])assert\b/m.test(input.textContent)};
});
"""


def test_collapsed_checks_open_on_click(server, driver):
    """Every hide-input cell starts collapsed; one holding assertions opens on a click and shows them."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.set_window_size(*DEFAULT_WINDOW)
    open_at_load, target = [], None
    for page in _chapter_pages():
        driver.get(server.base + page)
        cells = driver.execute_script(_HIDE_INPUT_JS)
        open_at_load += [f"{page}: hide-input cell #{c['i']}" for c in cells if c["open"]]
        if target is None:
            target = next(((page, c["i"]) for c in cells if c["asserts"]), None)
    assert not open_at_load, "hide-input cells shown open before any click:\n" + "\n".join(open_at_load)
    assert target is not None, "no chapter has a collapsed (hide-input) cell containing an assert"

    page, index = target
    driver.get(server.base + page)
    cell = driver.find_elements(By.CSS_SELECTOR, ".cell.tag_hide-input")[index]
    code = cell.find_element(By.CSS_SELECTOR, ".cell_input")
    assert not code.is_displayed()
    summary = cell.find_element(By.CSS_SELECTOR, "summary")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", summary)
    summary.click()
    WebDriverWait(driver, TIMEOUT).until(lambda d: code.is_displayed(), f"{page}: the check did not open on click")
    assert "assert" in code.text, f"{page}: the opened check shows no assert: {code.text[:200]!r}"


# For every table a reader can see: its width, the column's width (the article's content box),
# and, if the table sits in a box that scrolls sideways (the theme wraps tables in one), that box.
_TABLES_JS = r"""
const visible = e => (e.checkVisibility ? e.checkVisibility() : e.offsetParent !== null);
const out = [];
document.querySelectorAll('table').forEach((t, i) => {
  if (!visible(t)) return;
  const col = t.closest('article.bd-article') || t.closest('main') || document.body;
  const cs = getComputedStyle(col), cr = col.getBoundingClientRect();
  const colRight = cr.right - parseFloat(cs.paddingRight) - parseFloat(cs.borderRightWidth);
  const colWidth = col.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  let box = null;
  for (let e = t.parentElement; e && e !== col; e = e.parentElement) {
    if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX)) { box = e; break; }
  }
  const tr = t.getBoundingClientRect();
  const head = (t.querySelector('th, td') || t).textContent.trim().slice(0, 30);
  out.push({i: i, head: head, ledger: !!t.closest('.ledger-table'), width: tr.width, right: tr.right,
            colWidth: colWidth, colRight: colRight,
            boxWidth: box ? box.clientWidth : null, boxRight: box ? box.getBoundingClientRect().right : null});
});
return {tables: out};
"""


def _table_problems(page, width, measured):
    """Tables wider than their column (1,400 px: any; 390 px: the ledger's, or any leaving the column)."""
    problems = []
    for t in measured["tables"]:
        name = f"{page}: table {t['i']} ({t['head']!r})"
        visible_width = t["boxWidth"] if t["boxWidth"] is not None else t["colWidth"]
        strict = width >= 1000 or t["ledger"]
        if strict and t["width"] > min(visible_width, t["colWidth"]) + 1:
            problems.append(
                f"{name}: {t['width']:.0f} px wide in a column of {min(visible_width, t['colWidth']):.0f} px"
                + (" (cut: it scrolls sideways)" if t["boxWidth"] is not None else "")
            )
        elif t["boxWidth"] is None and t["right"] > t["colRight"] + 1:
            problems.append(f"{name}: sticks out of the column by {t['right'] - t['colRight']:.0f} px")
        elif t["boxWidth"] is not None and t["boxRight"] > t["colRight"] + 1:
            problems.append(
                f"{name}: its scrolling box sticks out of the column by {t['boxRight'] - t['colRight']:.0f} px"
            )
    return problems


@pytest.mark.parametrize("width", [1400, 390])
def test_tables_fit_their_column(server, driver, width):
    driver.set_window_size(width, 1000)
    try:
        problems, seen = [], 0
        for page in _toc_pages():
            driver.get(server.base + page)
            measured = driver.execute_script(_TABLES_JS)
            seen += len(measured["tables"])
            problems += _table_problems(page, width, measured)
    finally:
        driver.set_window_size(*DEFAULT_WINDOW)
    assert seen, "no tables measured: has the theme changed?"
    assert not problems, f"at a {width}-pixel window:\n" + "\n".join(problems)


# --------------------------------------------------------------------------
# the problem sets' student notebooks on the teaching page (issue 21)


def _hidden_tests_and_solutions():
    """Names of every hidden test and a line of every reference solution, from the masters."""
    import json

    hidden, solutions, given = set(), set(), ""
    for master in sorted(ROOT.glob("assignments/*/*.ipynb")):
        if master.stem != master.parent.name:
            continue
        cells = json.loads(master.read_text())["cells"]
        in_solution = False
        for cell in cells:
            if cell["cell_type"] == "markdown" and not in_solution:
                given += "".join(cell["source"])  # the questions' text may show a formula to use
            src = "".join(cell["source"])
            if cell["cell_type"] == "raw":
                in_solution = {"# BEGIN SOLUTION": True, "# END SOLUTION": False}.get(src.strip(), in_solution)
                continue
            if cell["cell_type"] == "code" and "hidden: true" in src:
                hidden |= {line.split("(")[0][4:] for line in src.splitlines() if line.startswith("def test_")}
            for line in src.splitlines():
                line = line.strip()
                if line.endswith("# SOLUTION") and len(line) > 20:
                    solutions.add(line[: -len("# SOLUTION")].strip())
            if in_solution and cell["cell_type"] == "markdown" and "Rubric" in src:
                solutions.add("**Rubric")
    return hidden, {line for line in solutions if line not in given}


def test_student_notebook_downloads_hold_no_answers(server, driver):
    """Follow each download link of the teaching page: a student notebook, without solutions or hidden tests."""
    import json

    from selenium.webdriver.common.by import By

    driver.get(server.base + "teaching.html")
    links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "a.download[href]")]
    notebooks = [link for link in links if link.endswith(".ipynb")]
    sets = sorted(p.parent.name for p in ROOT.glob("assignments/*/*.ipynb") if p.stem == p.parent.name)
    assert sorted(urllib.parse.unquote(link).rsplit("/", 1)[1][: -len(".ipynb")] for link in notebooks) == sets
    hidden, solutions = _hidden_tests_and_solutions()
    assert hidden and solutions
    for link in notebooks:
        with urllib.request.urlopen(link, timeout=10) as response:
            assert response.status == 200, link
            nb = json.loads(response.read().decode())
        text = "\n".join("".join(c["source"]) for c in nb["cells"])
        name = link.rsplit("/", 1)[1]
        assert "BEGIN SOLUTION" not in text and "# SOLUTION" not in text, f"{name} holds a solution marker"
        assert "hidden: true" not in text and "BEGIN TESTS" not in text, f"{name} holds test markers"
        leaked = sorted(t for t in hidden if t in text) + sorted(s for s in solutions if s in text)
        assert not leaked, f"{name} holds hidden tests or reference solutions: {leaked[:5]}"
        first = nb["cells"][0]
        assert "lbkit-setup" in first["metadata"].get("tags", []), f"{name} does not start with the setup cell"
        assert any("otter_answer_cell" in c["metadata"].get("tags", []) for c in nb["cells"])


# dark mode: figures stay readable (issue 23; _static/book.css)

DARK_FIGURE_PAGE = "chapters/01_introduction.html"


def _luminance(image):
    """Mean relative luminance (0 black .. 1 white) of an RGB image."""
    data = image.tobytes()
    r, g, b = (sum(data[i::3]) / (len(data) // 3) / 255 for i in range(3))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_figures_read_well_in_dark_mode(server, driver, tmp_path):
    """Switch the theme to dark (as its moon button does: localStorage `mode`), reload a figure
    page and screenshot it: the page is dark, the figure keeps its colours on a light card of
    its own (not inverted, not greyed by the theme's contrast filter) and is dimmed so that it
    does not glare. The screenshot is kept in the test's temporary directory to look at."""
    import io

    from PIL import Image
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(server.base + DARK_FIGURE_PAGE)
    try:
        driver.execute_script("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');")
        driver.get(server.base + DARK_FIGURE_PAGE)
        theme = "return document.documentElement.dataset.theme"
        WebDriverWait(driver, TIMEOUT).until(lambda d: d.execute_script(theme))
        assert driver.execute_script(theme) == "dark"
        figure = driver.execute_script(
            "const i = document.querySelector('.bd-content div.cell_output img');"
            "i.scrollIntoView({block: 'center'}); return i;"
        )
        assert figure is not None, f"no figure on {DARK_FIGURE_PAGE}"
        WebDriverWait(driver, TIMEOUT).until(lambda d: d.execute_script("return arguments[0].complete", figure))
        style = driver.execute_script(
            "const s = getComputedStyle(arguments[0]); const r = arguments[0].getBoundingClientRect();"
            "return {bg: s.backgroundColor, filter: s.filter, radius: parseFloat(s.borderTopLeftRadius),"
            " x: r.left, y: r.top, w: r.width, h: r.height, dpr: window.devicePixelRatio,"
            " page: getComputedStyle(document.body).backgroundColor}",
            figure,
        )
        assert style["bg"] == "rgb(255, 255, 255)", f"the figure's card is {style['bg']}, not the figure's white"
        assert "invert" not in style["filter"] and "contrast" not in style["filter"], style["filter"]
        assert "brightness(0.88)" in style["filter"], f"the figure is not dimmed: filter {style['filter']!r}"
        assert style["radius"] > 0
        shot = tmp_path / "dark-mode-figure.png"
        driver.save_screenshot(str(shot))
        image = Image.open(io.BytesIO(shot.read_bytes())).convert("RGB")
        scale = style["dpr"]
        box = [round(v * scale) for v in (style["x"], style["y"], style["x"] + style["w"], style["y"] + style["h"])]
        inside = _luminance(image.crop(box))
        corner = image.crop((box[0] + 2, box[1] + 2, box[0] + 8, box[1] + 8))  # the card, inside its padding
        left = image.crop((max(box[0] - 30, 0), box[1], max(box[0] - 10, 1), box[3]))  # the page beside it
        assert _luminance(left) < 0.25, f"the page beside the figure is not dark ({shot})"
        assert inside > 0.6, f"the figure is not on a light card in dark mode: luminance {inside:.2f} ({shot})"
        assert max(corner.tobytes()) < 240, f"the figure's card glares: pure white ({shot})"
        print(f"dark-mode screenshot: {shot}")
    finally:
        driver.execute_script("localStorage.setItem('mode', 'light'); localStorage.setItem('theme', 'light');")


def test_every_page_footer_names_licence_version_and_commit(crawl, server, book_html):
    """The footer (tools/sphinx_book.py) of every page: the content licence, lbkit's version and
    the commit; and, when the site holds the PDF, a link to it that loads."""
    import re

    import lbkit

    pages, _ = crawl
    has_pdf = (book_html / "book.pdf").is_file()
    bad = []
    for page in pages:
        with urllib.request.urlopen(server.base + page, timeout=10) as response:
            text = response.read().decode()
        footer = text[text.find('<div class="extra_footer">') :]
        if 'rel="license">CC BY 4.0</a>' not in footer:
            bad.append(f"{page}: no CC BY 4.0 licence in the footer")
        built = rf"lbkit {re.escape(lbkit.__version__)} from commit (<a [^>]*>)?<code>([0-9a-f]{{12}}\+?|unknown)<"
        if not re.search(built, footer):
            bad.append(f"{page}: no 'lbkit {lbkit.__version__} from commit ...' in the footer")
        links = re.findall(r'<a class="lbkit-pdf" href="([^"]+)"', footer)
        if has_pdf != bool(links):
            bad.append(f"{page}: PDF link {links} but book.pdf {'is' if has_pdf else 'is not'} in the site")
        for href in links:
            status, _ = _fetch(urllib.parse.urljoin(server.base + page, href))
            if status != 200:
                bad.append(f"{page}: the PDF link {href} answers {status}")
    assert not bad, "\n".join(bad)
