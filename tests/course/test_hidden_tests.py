"""The test cells hold only what students see, and the reference passes them; the grader's checks do the rest.

There are no hidden tests: each auto-graded cell is checked once, by its
declaration in ``solutions/week3_checks``. So nothing a test defines is left in
the student's namespace for student code to call, and a broken version of
each contract item loses exactly its cells through the grader's checks.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder import notebooks
from autograder.checks import verdicts
from autograder.engine.client import Zygote
from autograder.engine.sandbox import new_zygote
from autograder.jail.protocol import Limits
from autograder.samples import reference_answers
from solutions.week3_checks import CHECKS
from tests.helpers import GRADED_NOTEBOOKS, SOURCE, grade_in_kernel, zygote_spec

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
        """
def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    losses = []
    for _ in range(steps):
        loss = loss_fn(params)
        loss.backward()
        with torch.no_grad():
            params -= params.grad * lr
        losses.append(loss.item())
    return losses
""",
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


def test_source_has_no_hidden_tests() -> None:
    for stem in GRADED_NOTEBOOKS:
        text = (SOURCE / f"{stem}.ipynb").read_text()
        assert "HIDDEN TESTS" not in text and "_trusted" not in text


@pytest.mark.slow
@pytest.mark.parametrize("stem", GRADED_NOTEBOOKS)
def test_reference_passes_every_test_cell(stem: str, tmp_path: Path) -> None:
    results = grade_in_kernel(stem, {}, tmp_path)
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
    run = zygote.run(dict(nb), {}, LIMITS, plan.probes(stem))
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
