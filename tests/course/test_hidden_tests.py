"""The instructor notebooks' tests pass the reference and fail a broken version of each contract item."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from autograder.samples import reference_answers
from tests.helpers import GRADED_NOTEBOOKS, SOURCE, grade_in_kernel

REFERENCE = reference_answers(SOURCE)

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
    "plot_quad_gradients": (
        "task1_fitting",
        "plot_quad_gradients",
        """
@interact(a=1.1, b=1.1, c=1.1)
def plot_quad_gradients(a, b, c):
    params = torch.tensor([a, b, c], requires_grad=True)
    loss = quad_mae(params)
    loss.backward()
    plt.scatter(x, y)
    plot_function(mk_quad(a, b, c), title=f"MAE: {loss:.2f}", ylim=(-3, 12))
    for sentence in gradient_sentences(params):
        print(sentence)
""",
        {"plot_quad_gradients_prints_sentences_first"},
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
    "linear": (
        "task2_relu",
        "linear_swap",
        LINEAR_SWAP.format(**{**GOOD, "linear": "torch.clip(m * x + b, 0.0)"}),
        {"linear_is_unclipped"},
    ),
    "triple_linear": (
        "task2_relu",
        "linear_swap",
        LINEAR_SWAP.format(**{**GOOD, "triple": "linear(m1, b1, x) + linear(m2, b2, x)"}),
        {"triple_linear_sums_lines"},
    ),
    "equivalent_line": (
        "task2_relu",
        "linear_swap",
        LINEAR_SWAP.format(**{**GOOD, "line": "m1 + m2 + m3, b1"}),
        {"equivalent_line_collapses"},
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("stem", GRADED_NOTEBOOKS)
def test_reference_passes_every_test_cell(stem: str, tmp_path: Path) -> None:
    results = grade_in_kernel(stem, {}, tmp_path)
    assert len(results) >= 5
    assert [gid for gid, ok in results.items() if not ok] == []


@pytest.mark.slow
@pytest.mark.parametrize("item", sorted(BROKEN))
def test_broken_item_fails_its_tests(item: str, tmp_path: Path) -> None:
    stem, cell, source, must_fail = BROKEN[item]
    assert REFERENCE[stem][cell] != source
    results = grade_in_kernel(stem, {cell: textwrap.dedent(source).strip()}, tmp_path)
    assert must_fail <= set(results), f"unknown test cells {must_fail - set(results)}"
    passed_anyway = sorted(gid for gid in must_fail if results[gid])
    assert passed_anyway == [], f"broken {item} still passed {passed_anyway}"
