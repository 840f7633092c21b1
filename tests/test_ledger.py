"""The ledger of checked claims: every formal statement has a check, and ledger.md is current.

A code cell that checks a theorem, lemma, proposition or corollary carries the
cell tag ``check:<label>``; ``tools/make_ledger.py`` turns these tags into
``ledger.md``. These tests read the stored notebooks only (nbval re-executes
them separately), so they take well under a second.
"""

import pathlib

import pytest

from tools import make_ledger

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ledger():
    return make_ledger.collect(ROOT)


def test_the_toc_notebooks_have_statements(ledger):
    assert len(ledger.chapters) >= 9, ledger.chapters
    assert len(ledger.statements) >= 20
    labels = [s.label for s in ledger.statements]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    assert not duplicates, f"statement labels used twice: {duplicates}"


def test_every_statement_has_a_check(ledger):
    missing = [f"{s.label} ({s.chapter})" for s in ledger.unchecked()]
    assert not missing, (
        "these statements have no checking cell; tag the code cell that checks each one "
        f"with 'check:<label>' and run tools/make_ledger.py: {missing}"
    )


def test_every_check_names_an_existing_statement(ledger):
    unknown = [f"check:{label} ({chapter}, cell index {index})" for chapter, index, label in ledger.unknown_tags()]
    assert not unknown, (
        "these check tags name no theorem, lemma, proposition or corollary in the book "
        f"(definitions are not claims): {unknown}"
    )


def test_check_tags_are_on_code_cells(ledger):
    misplaced = [f"{c.chapter}, cell index {c.index}" for c in ledger.checks if c.number is None]
    assert not misplaced, f"check tags on cells that are not code cells: {misplaced}"


def test_checking_cells_ran_without_error(ledger):
    bad = [f"{c.chapter}, cell {c.number}: {c.outcome}" for c in ledger.checks if c.outcome != "passed"]
    assert not bad, f"checking cells without stored outputs or with an error (re-execute the chapter): {bad}"


def test_checking_cells_assert_something(ledger):
    silent = [f"{c.chapter}, cell {c.number}" for c in ledger.checks if not c.asserts]
    assert not silent, f"checking cells without an assert: {silent}"


def test_ledger_page_is_up_to_date():
    committed = (ROOT / make_ledger.LEDGER).read_text(encoding="utf-8")
    assert committed == make_ledger.render(ROOT), "ledger.md is out of date: run python tools/make_ledger.py"


def test_ledger_page_is_in_the_toc():
    assert "ledger" in make_ledger.toc_documents(ROOT)
