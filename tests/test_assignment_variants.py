"""Course variants: ``tools/build_assignments.py --variant SEED`` (see tools/assignment_variants.py).

For every set that has variants, two variants and the published master are built;
each reference solution scores full marks on its own autograder and not on the
others', so neither the published solutions nor another course's answers answer a
variant. Grading runs in this environment (the fresh-environment test is
tests/test_autograder_fresh_env.py). Needs otter-grader; slow.
"""

import nbformat
import pytest

otter = pytest.importorskip("otter")

from tools import assignment_variants, build_assignments  # noqa: E402 (after the otter skip)

pytestmark = pytest.mark.slow

A, B = 1, 2


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    base = tmp_path_factory.mktemp("variants")
    cache = {}

    def get(name, variant):
        if (name, variant) not in cache:
            out = base / f"variant-{variant}"
            cache[name, variant] = build_assignments.build_set(name, out, run_tests=False, variant=variant)
        return cache[name, variant]

    return get


def test_seed_map_is_deterministic_and_fresh():
    m1 = assignment_variants.seed_map("ps4_classification_sq", 7, [40, 41, 42, 43])
    assert m1 == assignment_variants.seed_map("ps4_classification_sq", 7, [40, 41, 42, 43])
    assert len(set(m1.values())) == 4 and not set(m1.values()) & {40, 41, 42, 43}
    assert m1 != assignment_variants.seed_map("ps4_classification_sq", 8, [40, 41, 42, 43])
    with pytest.raises(ValueError, match="non-negative integer seed"):
        assignment_variants.seed_map("ps1_orthogonal_family", -1, [0])
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(ValueError, match="has no course variants"):
        assignment_variants.apply("ps3_gd_in_practice", nb, 1)


@pytest.mark.parametrize("name", assignment_variants.VARIANT_SETS)
def test_variants_differ_and_grade_only_themselves(builds, name):
    a, b, master = builds(name, A), builds(name, B), builds(name, None)
    # different numbers: every seed of the set changed, in the text the students get too
    students = [nbformat.read(p["student"], as_version=4) for p in (a, b, master)]
    seeds = [assignment_variants.seeds_of("\n".join(c.source for c in nb.cells)) for nb in students]
    assert seeds[0] and seeds[0] != seeds[1] and not set(seeds[0]) & set(seeds[2])
    for own, other in [(a, b), (b, a)]:
        mine = build_assignments.grade(own["solution"], own["autograder"])
        assert mine.total == mine.possible > 0, mine.summary()
        theirs = build_assignments.grade(own["solution"], other["autograder"])
        assert theirs.total < theirs.possible, f"{name}: one variant's solution answers another's"
    published = build_assignments.grade(master["solution"], a["autograder"])
    assert published.total < published.possible, f"{name}: the published solution answers variant {A}"
