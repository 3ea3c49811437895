"""The package's shape: the sandbox imports exactly the modules ``autograder.jail.SANDBOX_MODULES`` declares and
they import nothing of the grader, the probes sent into it are self-contained, dependencies go one way through
the layers, no import cycle, no patching on import."""

from __future__ import annotations

import ast
import builtins
import dis
import functools
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from autograder.jail import SANDBOX_MODULES, SANDBOX_SOURCES
from autograder.jail.protocol import ZYGOTE_MODULE
from tests.helpers import ROOT

PACKAGE = ROOT / "autograder"
SUBPACKAGES = ("jail", "engine", "checks", "reports", "plugins", "feedback")
LAYERS = ("jail", "base", "checks", "engine", "plugins", "reports", "feedback", "cli")
"""Who may import whom: a module imports only its own layer and those before it (the order of the package's
table in the documentation's "How grading works" page).
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


def sandbox_leaks(edges: dict[str, set[str]]) -> list[str]:
    """Imports from a module of :data:`SANDBOX_MODULES` into one outside it, each as ``importer -> imported``."""
    inside = set(SANDBOX_MODULES)
    return sorted(f"{a} -> {b}" for a in inside for b in edges.get(a, ()) if b not in inside)


def test_the_sandbox_modules_import_nothing_of_the_grader() -> None:
    """What runs inside the sandbox imports only itself, the standard library and third-party packages."""
    edges = graph()
    assert set(SANDBOX_MODULES) <= set(edges), f"no such module: {sorted(set(SANDBOX_MODULES) - set(edges))}"
    assert sandbox_leaks(edges) == []


def test_the_leak_check_finds_a_grader_import() -> None:
    edges = {"autograder.jail.executor": {"autograder.jail.probing", "autograder.checks.compare"}}
    assert sandbox_leaks(edges) == ["autograder.jail.executor -> autograder.checks.compare"]


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def outside_names(source: str) -> set[str]:
    """The globals the functions of ``source`` read that neither ``source`` nor the builtins define: what a probe
    would look for in a module the sandbox does not have."""
    defined = set(dir(builtins))
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            defined |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.Assign):
            defined |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    read = {
        instruction.argval
        for code in list(_code_objects(compile(source, "<probe>", "exec", dont_inherit=True)))[1:]
        for instruction in dis.get_instructions(code)
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME")
    }
    return read - defined


@functools.cache
def _definitions(path: Path) -> tuple[set[str], str]:
    """Every function of ``path`` (as a syntax tree dump) and the text of its string constants (templates)."""
    tree = ast.parse(path.read_text())
    functions = {ast.dump(node) for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    strings = "\n".join(n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))
    return functions, strings


def defining_modules(source: str) -> set[str]:
    """The modules of the package that define a function of ``source``: the same function, or a template of it."""
    sent = [node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)]
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        functions, strings = _definitions(path)
        if any(ast.dump(fn) in functions or f"def {fn.name}(" in strings for fn in sent):
            found.add(module_name(path))
    return found


def test_the_probes_sent_as_source_are_self_contained_and_declared() -> None:
    """Every probe of the course's checks compiles alone (it reads no global of the module it was written in),
    and the package's code among them comes from exactly the modules :data:`SANDBOX_SOURCES` names."""
    from autograder.checks.plan import load_checks

    sent: set[str] = set()
    for check in load_checks("solutions.week3_checks", ROOT):
        _, source = check.probe_code()
        assert outside_names(source) == set(), f"{check.grade_id}'s probe reads {sorted(outside_names(source))}"
        sent |= defining_modules(source)
    assert sent == set(SANDBOX_SOURCES)


def test_the_probe_check_finds_a_module_global() -> None:
    source = "import math\n\ndef probe(fns, inputs, P):\n    return helper(math.pi, len(inputs))\n"
    assert outside_names(source) == {"helper"}


MODULES_MARK = "SANDBOX-MODULES:"
REPORT_CELL = (
    "import sys\n"
    f"print({MODULES_MARK!r}, *sorted(m for m in sys.modules if m.split('.')[0] in ('autograder', 'solutions')))"
)
"""A cell a submission adds at the end of each notebook: what the sandbox has imported by then (after every
probe of the notebook ran, from the zygote's preloads and warm-up on)."""


def modules_reported(notebook: nbformat.NotebookNode) -> set[str]:
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("text", "").startswith(MODULES_MARK):
                return set(output["text"].split()[1:])
    raise AssertionError("the notebook's report cell printed nothing")


@pytest.mark.slow
def test_the_sandbox_imports_exactly_the_declared_modules(tmp_path: Path) -> None:
    """A real ``autograder grade`` of a submission whose notebooks end with a cell that prints the modules of
    the package (and of ``solutions``) the sandbox has imported."""
    from autograder.samples import Variant
    from tests.helpers import GRADED_NOTEBOOKS, released_course, require_sandbox, run_cli

    require_sandbox()
    course = released_course(tmp_path, [Variant("reports_its_modules")])
    submitted = course.root / "submitted" / "reports_its_modules" / "week3"
    for stem in GRADED_NOTEBOOKS:
        notebook = nbformat.read(submitted / f"{stem}.ipynb", as_version=4)
        notebook.cells.append(nbformat.v4.new_code_cell(REPORT_CELL))
        nbformat.write(notebook, submitted / f"{stem}.ipynb")
    done = run_cli("grade", "week3", cwd=course.root)
    assert done.returncode == 0, done.stderr[-2000:]
    graded = course.root / "autograded" / "reports_its_modules" / "week3"
    seen = set().union(
        *(modules_reported(nbformat.read(graded / f"{stem}.ipynb", as_version=4)) for stem in GRADED_NOTEBOOKS)
    )
    assert sorted(seen - set(SANDBOX_MODULES)) == [], "imported in the sandbox but not in SANDBOX_MODULES"
    assert sorted(set(SANDBOX_MODULES) - seen - {ZYGOTE_MODULE}) == [], "in SANDBOX_MODULES but never imported there"


def test_every_module_lives_in_a_known_place() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top <= {"__init__", "__main__", "cli", "course", "errors", "notebooks", "samples", "settings"}, top
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert folders <= set(SUBPACKAGES), folders


def test_importing_the_package_patches_nothing_in_nbgrader() -> None:
    """Importing any module of the package replaces nothing of nbgrader (grading does not either: test_lifecycle)."""
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
