"""No function in ``autograder/`` is longer than :data:`MAX_LINES`: a newcomer reads each one whole."""

from __future__ import annotations

import ast

from tests.helpers import ROOT

MAX_LINES = 60
"""The longest a function may be, from its ``def`` line to its last line, docstring included."""


def function_lengths() -> dict[str, int]:
    """``path:line name`` -> length, for every function and method in the package (nested ones too)."""
    lengths: dict[str, int] = {}
    for path in sorted((ROOT / "autograder").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                end = node.end_lineno or node.lineno
                lengths[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = end - node.lineno + 1
    return lengths


def test_the_checker_sees_the_package() -> None:
    lengths = function_lengths()
    assert len(lengths) > 100
    assert any(name.endswith(" finalize") for name in lengths)


def test_no_function_is_over_sixty_lines() -> None:
    offenders = {name: length for name, length in function_lengths().items() if length > MAX_LINES}
    listing = "\n".join(f"  {name}: {length} lines" for name, length in sorted(offenders.items()))
    assert not offenders, f"functions over {MAX_LINES} lines:\n{listing}"
