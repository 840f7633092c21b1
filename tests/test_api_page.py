"""The API reference page documents the whole public API, and the top level stays small."""

import importlib
import pathlib
import re

import lbkit
import lbkit.learners

API = (pathlib.Path(__file__).resolve().parents[1] / "api.md").read_text()
DOCUMENTED = re.findall(r"\.\. auto\w+:: (lbkit(?:\.\w+)*)\.(\w+)", API)

# modules whose public names (__all__) are all on the page
MODULES = [
    "lbkit",
    "lbkit.learners",
    "lbkit.hermite",
    "lbkit.stats",
    "lbkit.queries",
    "lbkit.rotations",
    "lbkit.norm_bounds",
]


def test_every_public_name_is_on_the_api_page():
    documented = {name for _, name in DOCUMENTED} | set(re.findall(r"`lbkit(?:\.\w+)*\.(\w+)`", API))
    for mod in MODULES:
        missing = [name for name in importlib.import_module(mod).__all__ if name not in documented]
        assert not missing, f"add these public names of {mod} to api.md: {missing}"


def test_every_documented_name_exists():
    for mod, name in DOCUMENTED:
        assert hasattr(importlib.import_module(mod), name), f"api.md documents {mod}.{name}, which does not exist"


def test_the_top_level_is_small():
    assert len(lbkit.__all__) <= 30, f"lbkit.__all__ has {len(lbkit.__all__)} names; move the rarely used ones"
    assert len(set(lbkit.__all__)) == len(lbkit.__all__)
    assert not hasattr(lbkit, "statistical_dimension")  # the alias of log10_binom is gone
