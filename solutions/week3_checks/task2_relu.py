"""The grader's checks of ``task2_relu``: triple_relu, its sliders and fit, and the linear swap."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from autograder.checks import figures, formats, probes
from autograder.checks.api import call, check, compare, value
from autograder.checks.authoring import Cases, Plots, draw, drawn_cases, numbers_by_key
from solutions import week3
from solutions.week3_checks import mistakes as wrong
from solutions.week3_checks.misconceptions import LIKELY

KEYS = ("m1", "b1", "m2", "b2", "m3", "b3")
FIT_BELOW = 1.5
"""Task 2c: the MAE triple_relu_fit must get under. About the true quadratic's own MAE on the data, and above the
best the sliders' ranges allow by a margin; Task 2c's text states both, tests/course/test_stated_numbers.py checks."""
GRID, FIVE = torch.linspace(-3, 3, 61), torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0])
ALONE = [[2.0, 1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, -1.0, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.5, -1.0]]


def seeded(seed: int, count: int, scale: float = 2.0) -> list[list[float]]:
    gen = torch.Generator().manual_seed(seed)
    return [(torch.randn(6, generator=gen) * scale).tolist() for _ in range(count)]


def relu_shape(got: Any, want: Any, case: Any) -> str | None:
    if isinstance(got, tuple):
        return LIKELY.reduce_max
    same_size = isinstance(got, np.ndarray) and isinstance(want, np.ndarray) and got.size == want.size
    return LIKELY.shape_changed if same_size and got.shape != want.shape else None


def shaped(gen: torch.Generator) -> list[Any]:
    shapes = [(20, 1), (100,), (4, 5), (2, 3, 4), ()]
    tensors = [(torch.randn(s, generator=gen) * 2).to(d) for s in shapes for d in (torch.float32, torch.float64)]
    return [call(1.5, -0.5, -2.0, 1.0, 0.5, 0.25, t) for t in tensors]


def drawn_shapes(rng: np.random.Generator) -> list[Any]:
    shapes = [((7,), torch.float64), ((3, 1), torch.float32), ((), torch.float64), ((2, 2, 3), torch.float32)]
    return [call(*draw(rng, 6), torch.tensor(np.round(rng.normal(scale=2.0, size=s), 4), dtype=d)) for s, d in shapes]


def relu_mae(p: list[float], terms: int = 3, loss: Any = week3.mae) -> float:
    return float(loss(week3.triple_relu(*p[: 2 * terms], *[0.0] * (6 - 2 * terms), week3.x), week3.y))


def judge_curve(inputs: Cases, observed: Plots) -> None:
    """plot_triple_relu has the six sliders, and draws triple_relu at their values with the MAE as its title."""
    figures.require_sliders(observed["sliders"], "plot_triple_relu", KEYS, missing=LIKELY.relu_no_decorator,
                            misnamed=LIKELY.slider_names)  # fmt: skip
    for p, seen in zip(inputs.cases, observed["plots"], strict=True):
        what = f"for sliders {tuple(p)}, plot_triple_relu"
        ax = wrong.plot_axes(seen, what, scatter=False)
        two = figures.draws(ax, lambda xs, p=p: week3.triple_relu(*p[:4], 0.0, 0.0, torch.tensor(xs)))
        assert figures.draws(ax, lambda xs, p=p: week3.triple_relu(*p, torch.tensor(xs))), (
            f"{what} should draw triple_relu with those six values from x = -2.1 to 2.1. "
            + (LIKELY.plots_two_relus.likely if two else "No line drawn matches it.")
        )
        title, mse = ax["title"], relu_mae(p, loss=lambda a, b: ((a - b) ** 2).mean())
        known = {f"MAE: {mse:.2f}": LIKELY.title_mse, f"MAE: {relu_mae(p, 2):.2f}": LIKELY.mae_two_relus}
        hint = formats.misformatted(relu_mae(p), str(title).removeprefix("MAE: "), 2)
        figures.require_title(ax, f"MAE: {relu_mae(p):.2f}", what, {title: hint} | known)


def judge_scatter(inputs: Cases, observed: Plots) -> None:
    """plot_triple_relu scatters the data on y limits (-3, 13)."""
    for p, seen in zip(inputs.cases, observed["plots"], strict=True):
        what = f"for sliders {tuple(p)}, plot_triple_relu"
        figures.require_ylim(wrong.plot_axes(seen, what), (-3, 13), what, {(-3.0, 12.0): LIKELY.relu_ylim})


def fit_problem(fit: Any) -> str | None:
    """The six values of triple_relu_fit, by key, give triple_relu an MAE below FIT_BELOW on the data."""
    if isinstance(values := numbers_by_key(fit, "triple_relu_fit", KEYS, LIKELY.fit_not_dict), str):
        return values
    if (loss := relu_mae(values)) < FIT_BELOW:
        return None
    if np.allclose(values, [-1.5, -1.5, 1.5, 1.5, 1.5, 1.5], rtol=0, atol=1e-9):
        why = LIKELY.fit_defaults.likely
    elif relu_mae([values[i + 1 - 2 * (i % 2)] for i in range(6)]) < FIT_BELOW:
        why = LIKELY.fit_swapped.likely
    else:
        why = LIKELY.fit_near_miss.fill(below=FIT_BELOW) if loss < FIT_BELOW + 0.3 else LIKELY.fit_far
    given = dict(zip(KEYS, values, strict=True))
    return (f"with the values {given} the MAE of triple_relu on the data is {loss:.2f}; it should be below "
            f"{FIT_BELOW}. {why}")  # fmt: skip


def linear_cases() -> list[Any]:
    gen = torch.Generator().manual_seed(5)
    shapes = [((50,), torch.float32), ((20, 1), torch.float64), ((3, 4), torch.float32)]
    tensors = [(torch.randn(s, generator=gen) * 3).to(d) for s, d in shapes]
    return [call(m, b, xs.clone()) for xs in tensors for m, b in [(1.5, -2.0), (-3.0, 0.5), (0.0, -1.0)]]


SUBSTITUTE, SIX = {"triple_relu": week3.triple_relu}, lambda rng: draw(rng, 6)
CHECKS = [
    compare("triple_relu_matches_sum_of_relus", reference=week3.triple_relu, mistakes=wrong.RELUS,
            visible=[call(1.0, 0.0, 0.0, 0.0, 0.0, 0.0, FIVE), call(1.0, 0.0, -1.0, 0.0, 0.0, 1.0, FIVE)],
            cases=[*[call(*p, GRID) for p in seeded(7, 60)], *[call(*p, GRID) for p in ALONE]],
            draw=lambda rng: [call(*draw(rng, 6), torch.tensor(np.round(rng.uniform(-4, 4, 41), 4),
                              dtype=torch.float32)) for _ in range(8)],
            raised={"Boolean value of Tensor": LIKELY.python_max}, diagnose=relu_shape),
    compare("triple_relu_keeps_shape_and_dtype", reference=week3.triple_relu, mistakes=wrong.RELUS,
            cases=[*shaped(torch.Generator().manual_seed(11)), call(1.0, 0.5, -1.0, 0.5, 2.0, -1.0, week3.x),
                   call(*torch.tensor([1.0, 0.0, -1.0, 0.5, 2.0, -1.0]), week3.x)],
            draw=drawn_shapes, raised={"Boolean value of Tensor": LIKELY.python_max}, diagnose=relu_shape),
    check("plot_triple_relu_draws_curve", probe=probes.plots, judge=judge_curve, uses=["plot_triple_relu"],
          inputs=drawn_cases([[-1.5, -1.5, 1.5, 1.5, 1.5, 1.5], [1.0, 0.0, -2.0, 1.0, 0.5, 2.0],
                              [-4.0, -2.0, 3.0, -1.0, 2.5, 0.5]], 2, SIX), substitute=SUBSTITUTE),
    check("plot_triple_relu_scatters_data", probe=probes.plots, judge=judge_scatter, uses=["plot_triple_relu"],
          inputs=drawn_cases([[-1.5, -1.5, 1.5, 1.5, 1.5, 1.5], [2.0, -1.0, -3.0, 0.0, 1.0, 1.0]], 1, SIX),
          substitute=SUBSTITUTE),
    value("triple_relu_fit_quality", name="triple_relu_fit", check=fit_problem),
    compare("linear_is_unclipped", reference=week3.linear, visible=[call(2.0, -1.0, torch.tensor([-2.0, 0.0, 3.0]))],
            cases=linear_cases(), mistakes=wrong.LINEAR,
            draw=lambda rng: [call(*draw(rng, 2), torch.tensor(np.round(rng.normal(scale=3.0, size=7), 4)))],
            changed=LIKELY.linear_mutates),
    compare("triple_linear_sums_lines", reference=week3.triple_linear, atol=1e-4, substitute={"linear": week3.linear},
            visible=[call(1.0, 0.0, 1.0, 0.0, 1.0, 0.0, torch.tensor([-1.0, 0.0, 1.0]))],
            cases=[call(*p, torch.linspace(-3, 3, 31)) for p in seeded(9, 30)],
            draw=lambda rng: [call(*draw(rng, 6), torch.linspace(-3, 3, 31)) for _ in range(4)],
            mistakes=wrong.LINES),
    compare("equivalent_line_collapses", reference=week3.equivalent_line, check_type=False, atol=1e-6,
            visible=[call(1.0, 2.0, 3.0, 4.0, 5.0, 6.0)], cases=[call(*p) for p in seeded(13, 30, 3.0)],
            draw=lambda rng: [call(*draw(rng, 6, scale=3.0)) for _ in range(6)], check_args=False,
            mistakes=wrong.LINE),
]  # fmt: skip
