"""The package's shape: the sandbox side imports nothing of the grader, dependencies go one way through the
layers, no import cycle, no patching on import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT

PACKAGE = ROOT / "autograder"
SUBPACKAGES = ("jail", "engine", "checks", "reports", "plugins")
LAYERS = ("jail", "base", "checks", "engine", "plugins", "reports", "cli")
"""Who may import whom: a module imports only its own layer and those before it (the README's order).
``base`` is the package's small shared modules (course, settings, errors, notebooks, samples)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The ``autograder`` modules ``path`` imports (at module level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("autograder")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("autograder"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(
                    candidate if (PACKAGE.parent / (candidate.replace(".", "/") + ".py")).exists() else node.module
                )
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imports(path) if m in modules and m != name} for name, path in modules.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle() -> None:
    assert find_cycle(graph()) is None, f"import cycle: {' -> '.join(find_cycle(graph()) or [])}"


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in SUBPACKAGES:
        return parts[1]
    return "cli" if parts[-1] in ("cli", "__main__") else "base"


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    """Imports from a layer into a later one, each as ``importer -> imported``."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    return sorted(f"{a} -> {b}" for a, targets in edges.items() for b in targets if rank[layer(a)] < rank[layer(b)])


def test_dependencies_point_one_way_through_the_layers() -> None:
    assert upward_imports(graph()) == []


def test_the_layer_check_finds_an_import_the_wrong_way() -> None:
    edges = {
        "autograder.engine.finalize": {"autograder.plugins.execute"},
        "autograder.cli": {"autograder.engine.grade"},
    }
    assert upward_imports(edges) == ["autograder.engine.finalize -> autograder.plugins.execute"]


def test_the_sandbox_side_imports_nothing_of_the_grader() -> None:
    """``autograder.jail`` runs inside the sandbox: it may import only itself (the protocol is there)."""
    for name, targets in graph().items():
        if name.startswith("autograder.jail"):
            outside = sorted(t for t in targets if not t.startswith("autograder.jail"))
            assert not outside, f"{name} imports {outside}"


def test_every_module_lives_in_a_known_place() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top <= {"__init__", "__main__", "cli", "course", "errors", "notebooks", "samples", "settings"}, top
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert folders <= set(SUBPACKAGES), folders


def test_importing_the_package_patches_nothing_in_nbgrader() -> None:
    """nbgrader's engine factory and schema validator are only replaced by the grading loop, on purpose."""
    names = sorted(module_name(p) for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")
    program = (
        "import importlib, nbgrader.api as api, nbgrader.nbgraderformat.common as common\n"
        "before = (api.create_engine, common.jsonschema)\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "assert (api.create_engine, common.jsonschema) == before, 'patched on import'\n"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
