"""The house drawn from lbkit's imports: no circles, and no import from a lower layer to a higher one.

The layers (bottom to top) are those of DESIGN.md ("lbkit architecture") and of CONTRIBUTING's
module map: argument checks and closed forms; the numpy mathematics; the torch learners, the game
and its certified counts, and the sweeps; the package face.  Every import counts, at module level or
inside a function (a lazy import is still an arrow).
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "lbkit"

LAYERS = {
    0: {"lbkit._checks", "lbkit.closed_forms"},
    1: {
        "lbkit.hermite",
        "lbkit.supports",
        "lbkit.distributions",
        "lbkit.stats",
        "lbkit.parity",
        "lbkit.activations",
        "lbkit.activation_library",
        "lbkit.norms",
        "lbkit.norm_bounds",
        "lbkit.family",
        "lbkit.queries",
        "lbkit.sq",
        "lbkit.lower_bounds",
        "lbkit.rotations",
    },
    2: {
        "lbkit.learners",
        "lbkit.learners._base",
        "lbkit.learners._net",
        "lbkit.learners._engine",
        "lbkit.learners.gd",
        "lbkit.learners.batched",
        "lbkit.learners.polyreg",
        "lbkit.learners.utils",
        "lbkit.learners.relu_network",
        "lbkit.learners.descent",
        "lbkit.adversary",
        "lbkit.certify",
        "lbkit.certify_gradient",
        "lbkit.experiments",
    },
    3: {"lbkit"},
}
APART = {"lbkit.plotting"}  # imports lbkit's modules, imported by none of them
LAYER = {mod: level for level, mods in LAYERS.items() for mod in mods}
# what the learners may not know: the family (a target tells the trainers how to evaluate it)
FORBIDDEN = {"lbkit.learners._engine": {"lbkit.family"}, "lbkit.learners.gd": {"lbkit.family"}}


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules():
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _imports(name: str, source: str, is_package: bool, known) -> set:
    """lbkit modules that module ``name`` (with this source) imports, anywhere in its body."""
    package = name if is_package else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "lbkit"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "lbkit":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in known:
                    out.add(sub)  # `from . import gd`: the submodule
                elif alias.name != "__version__":  # the package's version string is data, not an arrow
                    out.add(target)
    out.discard(name)
    return out


def _graph():
    mods = _modules()
    return {name: _imports(name, path.read_text(), path.name == "__init__.py", mods) for name, path in mods.items()}


def test_every_module_has_a_layer():
    missing = sorted(set(_modules()) - set(LAYER) - APART)
    assert not missing, f"give these modules a layer here and in CONTRIBUTING's module map: {missing}"


def test_no_import_runs_up_a_layer():
    bad = [
        f"{a} (layer {LAYER[a]}) imports {b} (layer {LAYER[b]})"
        for a, targets in _graph().items()
        if a in LAYER
        for b in sorted(targets)
        if b in APART or LAYER.get(b, -1) > LAYER[a]
    ]
    assert not bad, "imports from a lower layer to a higher one:\n" + "\n".join(bad)


def test_learners_know_the_target_only_through_what_it_offers():
    graph = _graph()
    bad = [f"{a} imports {b}" for a, forbidden in FORBIDDEN.items() for b in sorted(graph[a] & forbidden)]
    assert not bad, bad


def test_no_circles():
    graph = _graph()
    state, stack, cycles = {}, [], []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from .family import x", {"lbkit.family"}),
        ("from . import parity as p", {"lbkit.parity"}),
        ("def f():\n    from .learners import gd", {"lbkit.learners.gd"}),
    ],
)
def test_the_reader_sees_relative_and_lazy_imports(source, expected):
    assert _imports("lbkit.norms", source, False, set(_modules())) == expected
