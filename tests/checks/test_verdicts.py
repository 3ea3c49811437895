"""The grader's own checks (``solutions.week3_checks``) agree with the notebook's tests on every known case.

Each catalogue case (and the reference answers) runs once in a warm zygote
with the probes of its notebook; for every graded test cell, the verdict the
grader computes from the probe's observation must be what the notebook's own
test cell says (nbgrader's rule: an error or stderr output fails it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import nbformat
import pytest

from autograder import notebooks
from autograder.checks import verdicts
from autograder.engine.client import Zygote
from autograder.engine.sandbox import new_zygote
from autograder.jail.probing import describe, run_probe
from autograder.jail.protocol import Limits
from solutions.week3_checks import CHECKS
from tests.course.catalogue import Case
from tests.course.catalogue.correct import CORRECT
from tests.course.catalogue.mistakes import MISTAKES
from tests.helpers import GRADED_NOTEBOOKS, RELEASE, SOURCE, cell_passed, zygote_spec

LIMITS = Limits(cell_timeout=60, notebook_timeout=300, memory_mb=1500)
REFERENCE = [Case(f"reference_{stem}", stem, {}) for stem in GRADED_NOTEBOOKS]
CASES = REFERENCE + MISTAKES + CORRECT


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
def test_probe_is_self_contained_and_inputs_are_plain_data(check: verdicts.Check) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(verdicts.probe_source(check.probe), "<probe>", "exec"), namespace)
    assert set(namespace) - {"__builtins__"} == {check.probe.__name__}
    plan = verdicts.plan([check], seed=1)
    assert verdicts.plain_data_problem(plan.inputs[check.notebook][check.grade_id]) is None
    assert verdicts.plan([check], seed=1).inputs == plan.inputs, "the same seed must give the same inputs"


def test_probe_of_an_empty_namespace_fails_every_check() -> None:
    plan = verdicts.plan(CHECKS, seed=3)
    for stem in GRADED_NOTEBOOKS:
        observed = {p["grade_id"]: run_probe(p, {}, 10) for p in plan.probes(stem)}
        assert not any(v.passed for v in plan.judge(stem, observed).values())


def test_plain_data_rules() -> None:
    assert verdicts.plain_data_problem({"a": [1, 2.5, "x", None, True]}) is None
    assert verdicts.plain_data_problem({1: 2}) is not None
    assert verdicts.plain_data_problem([object()]) is not None
    deep: list[Any] = []
    for _ in range(100):
        deep = [deep]
    assert verdicts.plain_data_problem(deep) == "nested too deeply"
    assert describe(float("nan"))["value"] == "nan"


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    z = new_zygote(zygote_spec())
    z.start()
    yield z
    z.close()


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.notebook}-{c.student}")
def test_verdicts_agree_with_the_notebook_tests(case: Case, zygote: Zygote) -> None:
    nb = notebooks.read(SOURCE / f"{case.notebook}.ipynb")
    cells = notebooks.grade_cells(nb)
    for gid, source in case.sources().items():
        cells[gid].source = source
    plan = verdicts.plan(CHECKS)
    run = zygote.run(dict(nb), {}, LIMITS, plan.probes(case.notebook))
    assert run.status == "ok" and run.notebook is not None, run.message
    executed = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nbformat.from_dict(run.notebook).cells}
    judged = plan.judge(case.notebook, run.observations)
    disagree = {
        gid: f"notebook {'passed' if cell_passed(executed[gid]) else 'failed'}, grader: {v.reason or 'passed'}"
        for gid, v in judged.items()
        if cell_passed(executed[gid]) != v.passed
    }
    assert disagree == {}, f"seed {plan.seed}"
