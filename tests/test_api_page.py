"""The API reference page documents the whole public API."""

import pathlib
import re

import lbkit
import lbkit.learners

API = (pathlib.Path(__file__).resolve().parents[1] / "api.md").read_text()


def test_every_public_name_is_on_the_api_page():
    documented = set(re.findall(r"lbkit\.(?:learners\.)?(\w+)", API))
    missing = [name for name in lbkit.__all__ + lbkit.learners.__all__ if name not in documented]
    assert not missing, f"add these public names to api.md: {missing}"


def test_every_documented_name_exists():
    for mod, name in re.findall(r"\.\. auto\w+:: (lbkit(?:\.\w+)*)\.(\w+)", API):
        module = {"lbkit": lbkit, "lbkit.learners": lbkit.learners}.get(mod)
        if module is None:
            import importlib

            module = importlib.import_module(mod)
        assert hasattr(module, name), f"api.md documents {mod}.{name}, which does not exist"
