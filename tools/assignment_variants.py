"""Course variants of the problem sets: the same questions with different numbers.

``tools/build_assignments.py --variant SEED`` passes each master notebook through
:func:`apply` before Otter Assign sees it. A variant replaces every random seed of a
set (``rng=N`` and ``default_rng(N)``, in the code, the hidden tests and the text
alike) by seeds drawn from ``SEED``, one new seed for each old one, so that

* the questions, the student notebook and the reference solution use the new seeds;
* the hidden tests, which recompute what they check from the seeds (the samples,
  labels, oracle answers and random queries), compute the expected values of *this*
  variant: nothing in them is a stored answer;
* the published reference solution, and the answers of another variant, fail the
  hidden tests that pin the sampled numbers.

Which sets have variants, and what changes:

* ``ps1_orthogonal_family``: the Monte Carlo samples of questions 1 to 3 (the norm
  estimate and the cross-correlations), and the supports $S$ and $T$ of questions 2
  and 3, relabelled by a random permutation of the six coordinates (so |S ∩ T| = 2
  still, and every law of the question treats the coordinates alike: the answers
  change, the facts they show do not);
* ``ps2_sq_lower_bound``: the 50 random neurons of question 1;
* ``ps4_classification_sq``: the samples, the Boolean labels and the oracles' samples
  of questions 1 to 4.

``ps3_gd_in_practice`` has no variant: its answers are training runs whose tolerances
were calibrated for its seeds across platforms (see ``tests/test_assignments.py``), and
a new seed would need a new calibration. Asking for one raises ``ValueError``.

Dimensions, support sizes and activations stay those of the master, and so do the
supports of problem set 4 (its question 3 names its queries by their coordinates):
the hidden tests of questions about them check structural facts (which $k$ vanish,
which queries are blind) that a relabelling would not change.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

VARIANT_SETS = ("ps1_orthogonal_family", "ps2_sq_lower_bound", "ps4_classification_sq")
SEED_RE = re.compile(r"(?P<pre>\brng=|\bdefault_rng\()(?P<seed>\d+)\b")


def seeds_of(text: str) -> list[int]:
    """The distinct seeds (``rng=N``, ``default_rng(N)``) in a text, in order of appearance."""
    out = []
    for m in SEED_RE.finditer(text):
        s = int(m.group("seed"))
        if s not in out:
            out.append(s)
    return out


def seed_map(name: str, variant: int, seeds) -> dict[int, int]:
    """Old seed -> new seed for a set and a variant: distinct, from 1000 to 999,999, never an old seed."""
    if isinstance(variant, bool) or not isinstance(variant, (int, np.integer)) or variant < 0:
        raise ValueError(f"variant={variant!r}: a variant is a non-negative integer seed")
    rng = np.random.default_rng([int(variant), zlib.crc32(name.encode())])
    seeds = list(seeds)
    new = []
    while len(new) < len(seeds):
        s = int(rng.integers(1000, 1_000_000))
        if s not in new and s not in seeds:
            new.append(s)
    return dict(zip(seeds, new))


# Supports relabelled by a permutation of the coordinates: set -> (n, [support, ...]).
# Each support appears in the code as "[a, b, c, d]" and in the text as "\{a, b, c, d\}".
SUPPORTS = {"ps1_orthogonal_family": (6, [[0, 1, 2, 3], [2, 3, 4, 5]])}


def _relabel_supports(name: str, nb, variant: int):
    n, supports = SUPPORTS[name]
    perm = np.random.default_rng([int(variant), zlib.crc32(name.encode()), 1]).permutation(n)
    text = "\n".join(cell.source for cell in nb.cells)
    pairs = []  # (old, new) strings, replaced simultaneously (a new support may spell an old one)
    for support in supports:
        new = sorted(int(perm[i]) for i in support)
        old_code, old_tex = str(support), "\\{" + ", ".join(map(str, support)) + "\\}"
        if old_code not in text or old_tex not in text:
            raise ValueError(f"{name}: the support {support} is no longer in the master as {old_code} and {old_tex}")
        pairs += [(old_code, str(new)), (old_tex, "\\{" + ", ".join(map(str, new)) + "\\}")]
    pattern = re.compile("|".join(re.escape(old) for old, _ in pairs))
    table = dict(pairs)
    for cell in nb.cells:
        cell.source = pattern.sub(lambda m: table[m.group(0)], cell.source)
    return nb


def apply(name: str, nb, variant: int):
    """The master notebook ``nb`` (nbformat) of set ``name`` with the seeds of ``variant``."""
    if name not in VARIANT_SETS:
        raise ValueError(
            f"{name} has no course variants (the sets with variants: {', '.join(VARIANT_SETS)}); "
            "problem set 3's tolerances are calibrated for its own training seeds"
        )
    text = "\n".join(cell.source for cell in nb.cells)
    mapping = seed_map(name, variant, seeds_of(text))
    if not mapping:
        raise ValueError(f"{name}: no seeds found to vary")
    for cell in nb.cells:
        cell.source = SEED_RE.sub(lambda m: f"{m.group('pre')}{mapping[int(m.group('seed'))]}", cell.source)
    if name in SUPPORTS:
        nb = _relabel_supports(name, nb, variant)
    return nb
