"""The house rules, checked on the source: imports point down the layers, no package imports
another that imports it back, no imports hidden in functions to dodge a cycle, small modules.

Layers, bottom to top (ARCHITECTURE.md draws them). A package may import its own layer's
package only if it is itself; the stages (layer 5) do not import each other.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "synthgen_sdv"

LAYERS: list[set[str]] = [
    {"core"},
    {"kinds", "anomalies"},
    {"schema"},
    {"io"},
    {"generate"},
    {"detect", "synth", "evaluate", "lineage", "engines"},
    {"runs"},
    {"commands"},
    {"cli"},
    {"__main__"},
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}
TOP_LEVEL_MODULES = {"__init__", "__main__", "cli"}
MAX_LINES = 600


def _modules() -> list[tuple[str, Path, ast.Module]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        top = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        out.append((top, path, ast.parse(path.read_text(encoding="utf-8"))))
    return out


def _own_imports(tree: ast.Module) -> list[tuple[ast.ImportFrom | ast.Import, str, bool]]:
    """(node, target top-level package, inside a function?) for each import of our package."""
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            in_function |= {id(n) for n in ast.walk(node) if n is not node}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"line {node.lineno}: relative import; use synthgen_sdv.<...>")
        names = []
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("synthgen_sdv"):
            parts = node.module.split(".")
            names = [parts[1]] if len(parts) > 1 else [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name.split(".")[1] for a in node.names if a.name.startswith("synthgen_sdv.")]
        for name in names:
            if name in LAYER or name in TOP_LEVEL_MODULES:
                found.append((node, name, id(node) in in_function))
    return found


MODULES = _modules()
PACKAGES = sorted({top for top, _, _ in MODULES})


def test_only_the_entry_points_are_top_level_modules():
    loose = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in TOP_LEVEL_MODULES)
    assert not loose, f"top-level modules besides {sorted(TOP_LEVEL_MODULES)}: {loose}"


def test_every_package_has_a_layer():
    unknown = [p for p in PACKAGES if p not in LAYER and p != "__init__"]
    assert not unknown, f"packages without a layer in tests/test_architecture.py: {unknown}"


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_down(package):
    wrong = []
    for top, path, tree in MODULES:
        if top != package or top == "__init__":
            continue
        for node, target, _ in _own_imports(tree):
            if target == top:
                continue
            if LAYER[target] >= LAYER[top]:
                wrong.append(
                    f"{path.relative_to(PACKAGE.parent)}:{node.lineno} imports {target} "
                    f"(layer {LAYER[target]}) from {top} (layer {LAYER[top]})"
                )
    assert not wrong, "imports that do not point down:\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_imports_hidden_in_functions(package):
    """Only commands import lazily (to keep --help fast); elsewhere it would hide a cycle."""
    if package == "commands":
        return
    hidden = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
        for top, path, tree in MODULES
        if top == package
        for node, _, in_function in _own_imports(tree)
        if in_function
    ]
    assert not hidden, "imports of our own modules inside functions:\n" + "\n".join(hidden)


def test_no_package_level_cycle():
    graph: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for top, _, tree in MODULES:
        for _, target, _ in _own_imports(tree):
            if target != top:
                graph[top].add(target)
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"package-level import cycle: {' -> '.join(exc.args[1])}")


def test_no_module_cycle():
    graph: dict[str, set[str]] = {}
    for _, path, tree in MODULES:
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        name = name.removesuffix(".__init__")
        deps = graph.setdefault(name, set())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("synthgen_sdv"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    deps.add(
                        sub
                        if (PACKAGE.parent / (sub.replace(".", "/") + ".py")).exists()
                        or (PACKAGE.parent / sub.replace(".", "/")).is_dir()
                        else node.module
                    )
    for name, deps in graph.items():
        deps.discard(name)
        # a package's __init__ re-exporting its own modules is not a cycle through them
        graph[name] = {d for d in deps if not (name == d.rsplit(".", 1)[0] and "." in d)}
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"module import cycle: {' -> '.join(exc.args[1])}")


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_are_small(package):
    big = [
        f"{path.relative_to(PACKAGE.parent)}: {n} lines"
        for top, path, _ in MODULES
        if top == package and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert not big, f"modules over {MAX_LINES} lines:\n" + "\n".join(big)
