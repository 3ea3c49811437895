"""Each test cell's hidden tests are written from its one declaration, and a broken item loses exactly its cells.

Every auto-graded cell is checked by its declaration in ``solutions/week3_checks``;
its hidden-test block in ``source/`` is generated from it (``autograder
release``), tells an instructor what is checked, and runs that check under
stock nbgrader. The engine cuts the block before the sandbox, so nothing it
defines is left in the student's namespace for student code to call.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder import notebooks
from autograder.checks import hidden, verdicts
from autograder.engine.client import Zygote
from autograder.engine.sandbox import new_zygote
from autograder.jail.protocol import Limits
from autograder.samples import reference_answers
from demo.cohort import FORGETS_ZERO_GRAD
from solutions.week3_checks import CHECKS
from tests.helpers import GRADED_NOTEBOOKS, SOURCE, grade_in_kernel, source_folder, zygote_spec

REFERENCE = reference_answers(SOURCE)
LIMITS = Limits(cell_timeout=60, notebook_timeout=300, memory_mb=1500)

LINEAR_SWAP = """
def linear(m, b, x):
    return {linear}


def triple_linear(m1, b1, m2, b2, m3, b3, x):
    return {triple}


def equivalent_line(m1, b1, m2, b2, m3, b3):
    return {line}
"""
GOOD = {
    "linear": "m * x + b",
    "triple": "linear(m1, b1, x) + linear(m2, b2, x) + linear(m3, b3, x)",
    "line": "m1 + m2 + m3, b1 + b2 + b3",
}

# item -> (notebook, solution cell, broken source, test cells that must fail)
BROKEN = {
    "gradient_sentences": (
        "task1_fitting",
        "gradient_sentences",
        """
def gradient_sentences(params):
    return [f"parameter {n} should be {'decreased' if g < 0 else 'increased'} because params.grad[{i}] is {g:.1f}"
            for i, (n, g) in enumerate(zip("abc", params.grad.tolist()))]
""",
        {"gradient_sentences_directions", "gradient_sentences_values"},
    ),
    "gradient_descent": (
        "task1_fitting",
        "gradient_descent",
        FORGETS_ZERO_GRAD,
        {
            "gradient_descent_matches_quad_fit",
            "gradient_descent_resets_gradients",
            "gradient_descent_uses_lr_and_steps",
        },
    ),
    "triple_relu": (
        "task2_relu",
        "triple_relu",
        """
def triple_relu(m1, b1, m2, b2, m3, b3, x):
    return rectified_linear(m1, b1, x) + rectified_linear(m2, b2, x)
""",
        {"triple_relu_matches_sum_of_relus", "triple_relu_keeps_shape_and_dtype"},
    ),
    "plot_triple_relu": (
        "task2_relu",
        "plot_triple_relu",
        """
@interact(m1=-1.5, b1=-1.5, m2=1.5, b2=1.5, m3=1.5, b3=1.5)
def plot_triple_relu(m1, b1, m2, b2, m3, b3):
    loss = mae(triple_relu(m1, b1, m2, b2, m3, b3, x), y)
    plot_function(partial(triple_relu, m1, b1, m2, b2, m3, b3), title=f"MAE: {loss:.2f}", ylim=(-3, 13))
""",
        {"plot_triple_relu_scatters_data"},
    ),
    "triple_relu_fit": (
        "task2_relu",
        "triple_relu_fit",
        "triple_relu_fit = dict(m1=-1.5, b1=-1.5, m2=1.5, b2=1.5, m3=1.5, b3=1.5)\n",
        {"triple_relu_fit_quality"},
    ),
    "equivalent_line": (
        "task2_relu",
        "linear_swap",
        LINEAR_SWAP.format(**{**GOOD, "line": "m1 + m2 + m3, b1"}),
        {"equivalent_line_collapses"},
    ),
}

PEEKS = """
def triple_relu(m1, b1, m2, b2, m3, b3, x):
    # Looks up whatever a test or the grader left in reach and calls it; else gives up.
    import gc
    import sys
    for name in ("_trusted_triple_relu", "_relu_sum", "reference_triple_relu"):
        if name in globals():
            return globals()[name](m1, b1, m2, b2, m3, b3, x)
    for frame in sys._current_frames().values():
        while frame is not None:
            found = frame.f_globals.get("triple_relu")
            if found is not None and found is not globals().get("triple_relu"):
                return found(m1, b1, m2, b2, m3, b3, x)
            frame = frame.f_back
    return x * 0
"""


def test_every_checked_cell_carries_the_block_written_from_its_declaration() -> None:
    """The hidden-test blocks in source/ are what ``autograder release`` writes from the checks: no drift."""
    checked = {(c.notebook, c.grade_id): c for c in CHECKS}
    found = 0
    for stem in GRADED_NOTEBOOKS:
        nb = notebooks.read(SOURCE / f"{stem}.ipynb")
        for gid, cell in notebooks.grade_cells(nb).items():
            meta = cell.metadata["nbgrader"]
            if not meta.get("grade") or meta.get("solution") or cell.cell_type != "code":
                assert hidden.BEGIN not in cell.source, gid
                continue
            check = checked.get((stem, gid))
            assert check is not None, f"{stem}/{gid} is auto-graded but has no declared check"
            assert cell.source.count(hidden.BEGIN) == 1, gid
            assert cell.source.endswith(hidden.block(check, "week3", "solutions.week3_checks")), (
                f"{stem}/{gid}: its hidden tests drifted from the declaration; run autograder release week3"
            )
            found += 1
    assert found == len(CHECKS)


def test_the_block_names_what_is_checked() -> None:
    by_id = {c.grade_id: c for c in CHECKS}
    text = hidden.block(by_id["gradient_sentences_directions"], "week3", "solutions.week3_checks")
    assert "gradient_sentences(params)" in text and "solutions.week3.gradient_sentences" in text
    assert "atol=1e-05" in text and "drawn from the course's secret" in text
    assert "the rule is reversed: a negative gradient" in text
    assert "run_check('week3', 'task1_fitting', 'gradient_sentences_directions')" in text
    assert all(len(line) <= hidden.WIDTH for line in text.splitlines())


def test_writing_the_blocks_twice_changes_nothing(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "week3"
    shutil.copytree(SOURCE, copy)
    assert hidden.write_blocks(copy, CHECKS, "week3", "solutions.week3_checks") == []
    nb = notebooks.read(copy / "task2_relu.ipynb")
    cell = notebooks.grade_cells(nb)["linear_is_unclipped"]
    cell.source = cell.source.replace("atol=1e-05", "atol=0.5")  # an edit by hand
    notebooks.write(nb, copy / "task2_relu.ipynb")
    assert hidden.write_blocks(copy, CHECKS, "week3", "solutions.week3_checks") == ["task2_relu"]
    assert (copy / "task2_relu.ipynb").read_text() == (SOURCE / "task2_relu.ipynb").read_text()


def test_the_sandbox_gets_no_hidden_test() -> None:
    nb = notebooks.read(SOURCE / "task1_fitting.ipynb")
    sent = hidden.for_sandbox(dict(nb), {c.grade_id for c in CHECKS})
    assert sum(hidden.BEGIN in str(c["source"]) for c in nb.cells) == 9
    assert not any("BEGIN HIDDEN" in str(c["source"]) or "run_check" in str(c["source"]) for c in sent["cells"])
    kept = hidden.for_sandbox(dict(nb), {"gradient_sentences_values"})  # an unchecked cell keeps its hidden tests
    assert sum(hidden.BEGIN in str(c["source"]) for c in kept["cells"]) == 8


@pytest.mark.slow
@pytest.mark.parametrize("stem", GRADED_NOTEBOOKS)
def test_reference_passes_every_test_cell(stem: str, tmp_path: Path) -> None:
    results = grade_in_kernel(stem, {}, source_folder(tmp_path))
    assert len(results) >= 5
    assert [gid for gid, ok in results.items() if not ok] == []


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    z = new_zygote(zygote_spec())
    z.start()
    yield z
    z.close()


def judged(zygote: Zygote, stem: str, answers: dict[str, str]) -> dict[str, verdicts.Verdict]:
    nb = notebooks.read(SOURCE / f"{stem}.ipynb")
    cells = notebooks.grade_cells(nb)
    for gid, source in answers.items():
        cells[gid].source = textwrap.dedent(source).strip() + "\n"
    plan = verdicts.plan(CHECKS)
    run = zygote.run(dict(nb), {}, LIMITS, plan.probes(stem), plan.references(stem))
    assert run.status == "ok", run.message
    return plan.judge(stem, run.observations)


@pytest.mark.slow
@pytest.mark.parametrize("item", sorted(BROKEN))
def test_broken_item_fails_exactly_its_checks(item: str, zygote: Zygote) -> None:
    stem, cell, source, must_fail = BROKEN[item]
    assert REFERENCE[stem][cell] != source
    lost = {gid for gid, v in judged(zygote, stem, {cell: source}).items() if not v.passed}
    assert lost == must_fail


@pytest.mark.slow
def test_a_function_that_calls_what_the_grader_left_in_reach_gains_nothing(zygote: Zygote) -> None:
    lost = {gid for gid, v in judged(zygote, "task2_relu", {"triple_relu": PEEKS}).items() if not v.passed}
    assert {"triple_relu_matches_sum_of_relus", "triple_relu_keeps_shape_and_dtype"} <= lost
