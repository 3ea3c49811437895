"""One source of truth: the instructor notebooks say what ``solutions/`` says."""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

import matplotlib
import pytest
import torch

import solutions.week3 as ref
from autograder import notebooks
from tests.helpers import SOURCE

SOURCE_NOTEBOOKS = sorted(SOURCE.glob("*.ipynb"))
CONTRACT = [
    "gradient_sentences",
    "plot_quad_gradients",
    "gradient_descent",
    "triple_relu",
    "plot_triple_relu",
    "triple_relu_fit",
    "linear",
    "triple_linear",
    "equivalent_line",
]
SETUP = [
    "plot_function",
    "f",
    "quad",
    "mk_quad",
    "noise",
    "add_noise",
    "mae",
    "quad_mae",
    "rectified_linear",
    "double_relu",
]


def tracked_code(path: Path) -> list[str]:
    """Source of the locked and solution code cells (the ones nbgrader tracks)."""
    nb = notebooks.read(path)
    return [
        c.source
        for c in nb.cells
        if c.cell_type == "code"
        and c.metadata.get("nbgrader", {}).get("grade_id")
        and not c.metadata["nbgrader"].get("grade")
    ]


def top_level(code: str) -> dict[str, ast.stmt]:
    found: dict[str, ast.stmt] = {}
    for node in ast.parse(code).body:
        if isinstance(node, ast.FunctionDef):
            node.decorator_list = []
            found[node.name] = node
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = node
    return found


def reference_node(name: str) -> ast.stmt:
    if callable(getattr(ref, name)):
        return top_level(textwrap.dedent(inspect.getsource(getattr(ref, name))))[name]
    return top_level(inspect.getsource(ref))[name]


def definitions() -> list[tuple[str, str, ast.stmt]]:
    return [
        (path.stem, name, node)
        for path in SOURCE_NOTEBOOKS
        for code in tracked_code(path)
        for name, node in top_level(code).items()
        if name in CONTRACT + SETUP
    ]


@pytest.mark.parametrize(("notebook", "name", "node"), definitions(), ids=lambda v: v if isinstance(v, str) else "")
def test_notebook_definition_equals_reference(notebook: str, name: str, node: ast.stmt) -> None:
    assert ast.dump(node) == ast.dump(reference_node(name)), f"{notebook}: {name} differs from solutions/week3.py"


def test_every_contract_item_and_setup_helper_is_in_a_notebook() -> None:
    defined = {name for _, name, _ in definitions()}
    assert set(CONTRACT + SETUP) <= defined


def test_a_changed_definition_is_caught() -> None:
    edited = top_level("def triple_relu(m1, b1, m2, b2, m3, b3, x):\n    return rectified_linear(m1, b1, x)\n")
    assert ast.dump(edited["triple_relu"]) != ast.dump(reference_node("triple_relu"))


def test_notebook_setup_builds_the_reference_data() -> None:
    matplotlib.use("Agg")
    for path in SOURCE_NOTEBOOKS:
        nb = notebooks.read(path)
        setup = [
            c.source
            for c in nb.cells
            if c.cell_type == "code"
            and c.metadata.get("nbgrader", {}).get("locked")
            and not c.metadata["nbgrader"].get("grade")
        ]
        namespace: dict[str, object] = {}
        exec(
            compile("\n".join(setup).replace("@interact", "(lambda **kw: (lambda fn: fn))"), path.name, "exec"),
            namespace,
        )
        assert torch.equal(namespace["x"], ref.x), path.name  # type: ignore[arg-type]
        assert torch.equal(namespace["y"], ref.y), path.name  # type: ignore[arg-type]
