"""The calls a visible test makes are the ones its check declares (``visible=``): editing one without the other fails.

Each checked cell's visible code (its source without the hidden-test block) runs
here in the namespace of the notebooks' set-up (:mod:`solutions.week3`), with the
checked function replaced by a spy that records each call's arguments and
calls the reference. A check that declares no visible calls must say why
(:data:`UNDECLARED`), since its cell is then never flagged ``suspect``.
"""

from __future__ import annotations

from typing import Any

import pytest

from autograder import notebooks
from autograder.checks import hidden
from autograder.checks.calls import Compare
from autograder.jail import probing
from solutions import week3
from solutions.week3_checks import CHECKS
from tests.helpers import ROOT

SOURCE = ROOT / "source" / "week3"
COMPARED = [c for c in CHECKS if isinstance(c, Compare)]
UNDECLARED = {
    "triple_relu_keeps_shape_and_dtype": "its visible test asserts only the shape of the result",
    "gradient_descent_matches_quad_fit": "its visible test asserts the loss after the loop, more loosely",
    "gradient_descent_resets_gradients": "its visible test asserts one loss, more loosely than the comparison",
    "gradient_descent_uses_lr_and_steps": "its visible test asserts the last loss, more loosely",
}
"""Compared cells whose visible test calls the function but whose check does not declare those calls, and why."""


def shown(args: list[Any], kwargs: dict[str, Any]) -> Any:
    """A call's arguments as plain data, functions shown only as functions."""
    plain = probing.describe([args, kwargs])

    def blur(node: Any) -> Any:
        if isinstance(node, dict):
            return {"kind": "callable"} if node.get("kind") == "callable" else {k: blur(v) for k, v in node.items()}
        return [blur(v) for v in node] if isinstance(node, list) else node

    return blur(plain)


def visible_calls(check: Compare) -> list[Any]:
    """What the cell's visible code passes to the checked function, call by call."""
    cell = notebooks.grade_cells(notebooks.read(SOURCE / f"{check.notebook}.ipynb"))[check.grade_id]
    seen: list[Any] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(shown(list(args), kwargs))
        return check.reference(*args, **kwargs)

    namespace = {**vars(week3), check.function: spy}
    exec(compile(hidden.without_blocks(cell.source), check.grade_id, "exec"), namespace)
    return seen


def declared_calls(check: Compare) -> list[Any]:
    cases = [(probing.decode(probing.encode(list(c.args))), probing.decode(probing.encode(dict(c.kwargs))))
             for c in check.visible]  # fmt: skip
    return [shown(args, kwargs) for args, kwargs in cases]


@pytest.mark.parametrize("check", COMPARED, ids=lambda c: c.grade_id)
def test_declared_visible_calls_are_the_notebooks(check: Compare) -> None:
    calls = visible_calls(check)
    if check.grade_id in UNDECLARED:
        assert calls and not check.visible, f"{check.grade_id} is listed as undeclared, but it is not any more"
    else:
        assert declared_calls(check) == calls, f"{check.grade_id}: visible= and the notebook's visible test differ"


def test_a_drifted_visible_test_is_caught() -> None:
    check = next(c for c in COMPARED if c.grade_id == "linear_is_unclipped")
    drifted = Compare(check.notebook, check.grade_id, check.function, check.reference, visible=check.cases[:1])
    assert declared_calls(drifted) != visible_calls(check)
