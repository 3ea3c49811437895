"""The grader's own checks (``solutions.week3_checks``): the declarations cover every graded test cell, probes
are self-contained, inputs are plain data, and the declarative API (compare, value) judges and explains on a tiny
function in this process. That every catalogue case loses exactly its tagged cells, naming its misconception, is
``tests/course/test_catalogue.py``'s end-to-end test, through the real grading path.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest
import torch

from autograder import notebooks
from autograder.checks import verdicts
from autograder.checks.api import call, compare, value
from autograder.checks.compare import Rules, difference
from autograder.checks.plan import MAX_DEPTH, MAX_NODES
from autograder.errors import AutograderError
from autograder.jail.probing import describe, run_probe
from solutions.week3_checks import CHECKS
from tests.helpers import GRADED_NOTEBOOKS, RELEASE, SOURCE


def test_every_graded_test_cell_has_exactly_one_check() -> None:
    checked = sorted((c.notebook, c.grade_id) for c in CHECKS)
    assert len(checked) == len(set(checked))
    graded = sorted(
        (path.stem, gid)
        for path in RELEASE.glob("*.ipynb")
        for gid, cell in notebooks.grade_cells(notebooks.read(path)).items()
        if cell.cell_type == "code"
        and cell.metadata["nbgrader"].get("grade")
        and not cell.metadata["nbgrader"].get("solution")
    )
    assert checked == graded


def test_checks_are_listed_in_notebook_order() -> None:
    for stem in GRADED_NOTEBOOKS:
        order = list(notebooks.grade_cells(notebooks.read(SOURCE / f"{stem}.ipynb")))
        ids = [c.grade_id for c in CHECKS if c.notebook == stem]
        assert ids == sorted(ids, key=order.index)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.grade_id)
def test_probe_is_self_contained_and_inputs_are_plain_data(check: verdicts.Declared) -> None:
    namespace: dict[str, Any] = {}
    name, source = check.probe_code()
    exec(compile(source, "<probe>", "exec"), namespace)
    assert set(namespace) - {"__builtins__"} == {name, check.probe_function().__name__}
    plan = verdicts.plan([check], seed=1)
    assert verdicts.plain_data_problem(plan.inputs[check.notebook][check.grade_id]) is None
    assert verdicts.plan([check], seed=1).inputs == plan.inputs, "the same seed must give the same inputs"


def probe_in_process(plan: verdicts.Plan, notebook: str, namespace: dict[str, Any]) -> dict[str, verdicts.Verdict]:
    references = plan.references(notebook)
    observed = {
        p.grade_id: run_probe(asdict(p), namespace, 10, lambda gid: references.get(gid, {}))
        for p in plan.probes(notebook)
    }
    return plan.judge(notebook, observed)


def test_probe_of_an_empty_namespace_fails_every_check() -> None:
    plan = verdicts.plan(CHECKS, seed=3)
    for stem in GRADED_NOTEBOOKS:
        assert not any(v.passed for v in probe_in_process(plan, stem, {}).values())


def test_plain_data_rules() -> None:
    assert verdicts.plain_data_problem({"a": [1, 2.5, "x", None, True]}) is None
    assert verdicts.plain_data_problem({1: 2}) is not None
    assert verdicts.plain_data_problem([object()]) is not None
    deep: list[Any] = []
    for _ in range(100):
        deep = [deep]
    assert verdicts.plain_data_problem(deep) == "nested too deeply"
    shallow: Any = 1.5
    for _ in range(MAX_DEPTH):
        shallow = [shallow]
    assert verdicts.plain_data_problem(shallow) is None
    assert verdicts.plain_data_problem([shallow]) == "nested too deeply"  # a number one level too deep
    assert verdicts.plain_data_problem([0.5] * (MAX_NODES + 1)) == "too big"
    assert verdicts.plain_data_problem([[0.5] * 10] * 10) is None
    assert describe(float("nan"))["value"] == "nan"


def test_numbers_compare_as_numpy_allclose() -> None:
    """The comparison of two numbers takes no arrays, and agrees with ``numpy.allclose`` everywhere."""
    import numpy as np

    rules = Rules(atol=1e-5, rtol=1e-3)
    values = [0.0, -0.0, 1.0, 1.0 + 1e-6, 1.0005, 1.002, -1.0, 1e-6, 1e9, 1e9 * (1 + 1e-4)]
    values += [float("nan"), float("inf"), float("-inf")]
    for got in values:
        for want in values:
            expected = bool(np.allclose([got], [want], atol=rules.atol, rtol=rules.rtol, equal_nan=True))
            number = {"kind": "number", "type": "float"}
            found = difference({**number, "value": got}, {**number, "value": want}, rules)
            assert (found is None) == expected, (got, want, found)


# --- the declarative API on a tiny function, in this process -----------------------------------------


def shift(x: Any, by: float) -> Any:
    """The reference: x + by, as a new tensor."""
    return x + by


def shift_in_place(x: Any, by: float) -> Any:
    return x.add_(by)


def shift_twice(x: Any, by: float) -> Any:
    return x + 2 * by


SHIFT = compare(
    "nb",
    "shift_works",
    function="shift",
    reference=shift,
    cases=[call(torch.tensor([1.0, 2.0]), 1.0)],
    draw=lambda rng: [call(torch.tensor(rng.normal(size=4), dtype=torch.float32), float(rng.normal()))],
    mistakes={"by was added twice.": shift_twice},
    changed="x was changed in place.",
)
BIG = value("nb", "big_enough", name="answer", check=lambda v: None if v > 10 else f"{v} is not above 10")


@pytest.mark.parametrize(
    ("student", "passes", "says"),
    [
        ("def shift(x, by):\n    return by + x\n", True, ""),
        ("def shift(x, by):\n    return x + 2 * by\n", False, "Likely mistake: by was added twice."),
        ("def shift(x, by):\n    return x.add_(by)\n", False, "Likely mistake: x was changed in place."),
        ("def shift(x, by):\n    return (x + by).double()\n", False, "has dtype float64, not float32"),
        ("def shift(x, by):\n    return (x + by).tolist()\n", False, "gives a list"),
        ("def shift(x, by):\n    return x - by\n", False, "No known mistake matches."),
        ("def shift(x, by):\n    raise ValueError('no')\n", False, "raised ValueError: no"),
        ("", False, "name 'shift' is not defined"),
    ],
)
def test_compare_judges_and_explains(student: str, passes: bool, says: str) -> None:
    namespace: dict[str, Any] = {"torch": torch}
    exec(student, namespace)
    verdict = probe_in_process(verdicts.plan([SHIFT], seed=5), "nb", namespace)["shift_works"]
    assert verdict.passed is passes, verdict.reason
    assert says in verdict.reason
    if not passes:
        assert verdict.reason.startswith("shift(tensor([1.0, 2.0]), 1)"), verdict.reason


def test_value_is_judged_by_its_predicate() -> None:
    plan = verdicts.plan([BIG], seed=1)
    assert probe_in_process(plan, "nb", {"answer": 12})["big_enough"].passed
    assert probe_in_process(plan, "nb", {"answer": 3})["big_enough"].reason == "3.0 is not above 10"
    assert probe_in_process(plan, "nb", {})["big_enough"].reason == "answer is not defined"


def test_a_reference_is_substituted_only_after_its_own_checks() -> None:
    user = compare("nb", "uses_shift", function="twice", reference=shift_twice, substitute={"shift": shift})
    with pytest.raises(AutograderError, match="substitutes shift, whose own check shift_works comes after it"):
        verdicts.plan([user, SHIFT])
    verdicts.plan([SHIFT, user])


def test_the_substituted_reference_is_gone_after_the_probe() -> None:
    user = compare(
        "nb",
        "uses_shift",
        function="twice",
        reference=shift_twice,
        cases=[call(torch.tensor([1.0]), 1.0)],
        substitute={"shift": shift},
    )
    namespace: dict[str, Any] = {"torch": torch}
    exec("def shift(x, by):\n    return x\n\ndef twice(x, by):\n    return shift(shift(x, by), by)\n", namespace)
    student = namespace["shift"]
    assert probe_in_process(verdicts.plan([user]), "nb", namespace)["uses_shift"].passed
    assert namespace["shift"] is student


# --- suspect only where the visible test was fooled ---------------------------------------------------

SHIFT_SEEN = compare(
    "nb", "shift_works", function="shift", reference=shift, visible=[call(torch.tensor([1.0, 2.0]), 1.0)],
    cases=[call(torch.tensor([50.0]), 1.0)],
)  # fmt: skip


@pytest.mark.parametrize(
    ("student", "contradicts"),
    [
        ("def shift(x, by):\n    return x + by if x.max() < 10 else x\n", False),  # the visible call passes
        ("def shift(x, by):\n    return x\n", True),  # the visible call fails here too
    ],
)
def test_a_failure_contradicts_the_visible_test_only_on_its_calls(student: str, contradicts: bool) -> None:
    namespace: dict[str, Any] = {"torch": torch}
    exec(student, namespace)
    verdict = probe_in_process(verdicts.plan([SHIFT_SEEN], seed=5), "nb", namespace)["shift_works"]
    assert not verdict.passed and verdict.contradicts is contradicts


def test_show_verdicts_puts_the_message_first_unless_the_visible_test_was_fooled() -> None:
    import nbformat

    from autograder.checks.messages import ShowVerdicts

    def cell(outputs: list[Any]) -> Any:
        node = nbformat.v4.new_code_cell("assert shift(1, 1) == 2")
        node.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "shift_works", "points": 1}
        node.outputs = outputs
        return node

    error = nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[])
    shown = ShowVerdicts()
    failed = {"verdicts": {"shift_works": verdicts.Verdict(False, "shift(1, 1) gives 3, not 2.", False)}}
    fooled = {"verdicts": {"shift_works": verdicts.Verdict(False, "shift(1, 1) gives 3, not 2.", True)}}
    passing, _ = shown.preprocess_cell(cell([]), failed, 0)
    assert [(o.ename, o.evalue) for o in passing.outputs] == [("GraderCheck", "shift(1, 1) gives 3, not 2.")]
    erred, _ = shown.preprocess_cell(cell([error]), fooled, 0)
    assert [o.ename for o in erred.outputs] == ["GraderCheck", "AssertionError"]
    untouched, _ = shown.preprocess_cell(cell([]), fooled, 0)
    assert untouched.outputs == []
