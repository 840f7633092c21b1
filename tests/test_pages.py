"""The Markdown pages (index.md, teaching.md, notation.md) against what they describe.

A plain Markdown page cannot glue numbers from a notebook, so the numbers and names
these pages quote are checked here instead: the points of the problem sets (from the
question configs of the master notebooks), the number of sets, and the lbkit names
and defaults on the notation page.
"""

import inspect
import json
import re
from pathlib import Path

import pytest
import yaml

import lbkit
import lbkit.learners

ROOT = Path(__file__).resolve().parent.parent
SETS = sorted(p.name for p in (ROOT / "assignments").iterdir() if (p / f"{p.name}.ipynb").is_file())


def question_points(name):
    """{question name: (points, manual)} from the '# BEGIN QUESTION' raw cells of a master notebook."""
    nb = json.loads((ROOT / "assignments" / name / f"{name}.ipynb").read_text())
    out = {}
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "raw" and src.lstrip().startswith("# BEGIN QUESTION"):
            cfg = yaml.safe_load(src.split("\n", 1)[1])
            pts = cfg.get("points", 0)
            out[cfg["name"]] = (sum(pts) if isinstance(pts, list) else pts, bool(cfg.get("manual", False)))
    return out


def page(name):
    return (ROOT / name).read_text()


def test_index_and_teaching_count_the_sets():
    assert len(SETS) == 4
    assert "four autograded problem sets" in page("index.md")
    assert "four autograded problem sets" in page("teaching.md")


def test_teaching_table_of_points_matches_the_master_notebooks():
    teaching = page("teaching.md")
    autograded = []
    for name in SETS:
        pts = question_points(name)
        auto = sum(p for p, manual in pts.values() if not manual)
        by_hand = sum(p for p, manual in pts.values() if manual)
        autograded.append(auto)
        row = next(line for line in teaching.splitlines() if line.startswith(f"| `{name}`"))
        assert row.rstrip().endswith(f"| {auto} + {by_hand} |"), (name, auto, by_hand, row)
        # "Question 5 of every set is graded by hand"; questions 1 to 4 are autograded
        assert [q for q, (_, manual) in pts.items() if manual] == ["q5"], name
    listed = ", ".join(str(a) for a in autograded[:-1]) + f" and {autograded[-1]}"
    assert f"points of the table above ({listed})" in teaching


NAME = re.compile(r"`([A-Za-z_][\w.]*)(\(([^`]*)\))?(=[^`]*)?`")


def _resolves(token):
    """An lbkit name as the notation page writes it: `f(...)`, `Class.attr`, `method(...)` or `kwarg=`."""
    relu = lbkit.get_activation("relu")
    if token.endswith("_"):  # a fitted attribute, such as n_queries_: on an oracle or a game
        f = lbkit.orthogonal_network(4, [0, 1], "relu", normalized=True)
        return any(hasattr(obj, token) for obj in (lbkit.CSQOracle(f, tau=0.1, rng=0), lbkit.AdversaryGame(6, 2)))
    places = [lbkit, lbkit.learners, relu]
    head, *rest = token.split(".")
    for obj in places:
        if hasattr(obj, head):
            target = getattr(obj, head)
            for attr in rest:
                if attr == "n_candidates" and target is lbkit.AdversaryGame:  # set in __init__: on an instance
                    return lbkit.AdversaryGame(6, 2).n_candidates == 15
                if not hasattr(target, attr):
                    return False
                target = getattr(target, attr)
            return True
    return False


def test_notation_page_names_exist_in_lbkit():
    notation = page("notation.md")
    section = notation[notation.index("## Overloaded symbols") : notation.index("## In `lbkit`")]
    rows = [line for line in section.splitlines() if line.startswith("|") and line.count("|") == 5]
    checked = 0
    for row in rows[2:]:  # skip the header and the rule
        column = row.split("|")[4]
        for mt in NAME.finditer(column):
            name, args, kw = mt.group(1), mt.group(3), mt.group(4)
            if kw is not None and args is None:  # `activation=`, `eps=` ...: a keyword of some public function
                params = {
                    p
                    for f in (lbkit.orthogonal_network, lbkit.csq_lower_bound, lbkit.sq_lower_bound)
                    for p in inspect.signature(f).parameters
                }
                assert name in params, name
            elif name in {"m", "sample"}:  # an argument value quoted inside a row
                continue
            else:
                assert _resolves(name), name
                if args:  # keywords quoted in the call must be parameters
                    obj = next(
                        getattr(o, name)
                        for o in (lbkit, lbkit.learners, lbkit.get_activation("relu"))
                        if hasattr(o, name)
                    )
                    params = inspect.signature(obj).parameters
                    for part in args.split(","):
                        part = part.strip()
                        if "=" in part:
                            assert part.split("=")[0] in params, (name, part)
            checked += 1
    assert checked >= 12


def test_notation_page_oracle_defaults():
    """The notation page: m = ceil(1/tau^2) examples per query in "sample" mode, a fixed sample of 10^6 otherwise."""
    notation = page("notation.md")
    assert r"$m = \lceil 1/\tau^2\rceil$" in notation and "the one fixed sample ($10^6$)" in notation
    f = lbkit.orthogonal_network(4, [0, 1], "relu", normalized=True)
    for tau in (0.05, 0.03):
        assert lbkit.CSQOracle(f, tau=tau, mode="sample", rng=0).n_samples == int(-(-1 // tau**2))
    assert lbkit.CSQOracle(f, tau=0.05, mode="exact", rng=0).n_samples == 10**6


@pytest.mark.parametrize("letter", ["$m$", "$T$", r"$\sigma$", "$q$", r"$\varepsilon$"])
def test_notation_lists_the_five_overloaded_letters_with_each_meaning(letter):
    notation = page("notation.md")
    section = notation[notation.index("## Overloaded symbols") : notation.index("## In `lbkit`")]
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {letter} |"))
    meanings = 1
    for line in lines[start + 1 :]:
        if not line.startswith("| |"):
            break
        meanings += 1
    assert meanings >= 2, letter


def test_notation_unit_roundoff():
    """The notation page quotes float64's unit round-off (chapter 4's error bounds) as about 2.2e-16."""
    import numpy as np

    assert r"\varepsilon \approx 2.2\times10^{-16}" in page("notation.md")
    assert f"{np.finfo(np.float64).eps:.1e}" == "2.2e-16"


def test_sci_writes_powers_of_ten_for_glue():
    from lbkit.plotting import sci

    assert sci(1.4e8) == "1.4 × 10⁸"
    assert sci(-2.5e-12, digits=2) == "-2.50 × 10⁻¹²"
    assert sci(7) == "7.0 × 10⁰"
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite"):
            sci(bad)
