"""The grader's checks of ``task1_fitting``: gradient sentences, their plot and sliders, and the optimisation loop.
Cases drawn for the plots keep away from rounding edges, where a right answer computed another way could differ."""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np
import torch

from autograder.checks import figures, formats, probes
from autograder.checks.api import call, check, compare, function
from autograder.checks.authoring import Cases, Moves, Plots, SliderMoves, draw_slider_moves, drawn_cases
from solutions import week3
from solutions.week3_checks import mistakes as wrong
from solutions.week3_checks.misconceptions import LIKELY

START = [1.1, 1.1, 1.1]
"""Where the lab's sliders start (``@interact(a=1.1, b=1.1, c=1.1)``)."""
ADVICE = re.compile(r"parameter \w should (be increased|be decreased|stay the same)")


def with_grad(grads: list[float], values: list[float] = START, dtype: torch.dtype = torch.float32) -> Any:
    params = torch.tensor(values, dtype=dtype, requires_grad=True)
    params.grad = torch.tensor(grads, dtype=dtype)
    return call(params)


def drawn_sentences(rng: np.random.Generator, count: int) -> list[Any]:
    """Gradients for this run: ordinary ones, ones that show as 0.0 or -0.0, and exact zeros."""
    cases = []
    for _ in range(count):
        kinds = rng.integers(0, 4, size=3)
        small = [float(rng.choice([-1.0, 1.0]) * rng.uniform(0.0005, 0.049)) if k == 1 else 0.0 for k in kinds]
        grads = [round(0.0 if k == 0 else s if k == 1 else float(rng.normal(scale=3.0)), 4) + 0.0 for k, s in
                 zip(kinds, small, strict=True)]  # fmt: skip
        values = [round(float(v), 2) + 0.0 for v in rng.normal(scale=2.0, size=3)]
        cases.append(with_grad(grads, values, torch.float32 if rng.integers(0, 2) else torch.float64))
    return cases


_gen = torch.Generator().manual_seed(2024)
DIRECTIONS = [[-1.3, 0.2, -0.5], [2.5, -1.75, 0.8], [-0.03, 0.04, -0.001], [0.0, -2.0, 0.0]]
DIRECTIONS += [[5.0, 0.0, -5.0], *[(torch.randn(3, generator=_gen) * 3).tolist() for _ in range(40)]]
VALUES = [[-1.3, 0.2, -0.5], [0.04, -0.04, 3.0], [0.0, 0.0, 0.0], [-123.45, 0.049, 7.0], [-1.3529, -0.0316, -0.5]]
VALUES += [[2.0, -2.0, 0.5], [0.15, -0.15, 0.25]]


def not_a_list(got: Any, want: Any, case: Any) -> str | None:
    return LIKELY.not_a_list if isinstance(got, str) else None


def shown_wrongly(got: Any, want: Any, case: Any) -> str | None:
    """Which formatting slip explains the first sentence that differs (None: look at the direction rules)."""
    if isinstance(got, str) or not isinstance(got, list) or len(got) != 3 or not all(isinstance(s, str) for s in got):
        return not_a_list(got, want, case)
    params = case.args[0]
    i, s, w = next(((i, s, w) for i, (s, w) in enumerate(zip(got, want, strict=True)) if s != w), (0, "", ""))
    if s == w or s.endswith(w[w.index(" because ") :]):
        return None
    if f"params.grad[{i}]" not in s and f"params.grad[{i + 1}]" in s:
        return LIKELY.index_from_one
    g, p, shown = float(params.grad[i]), float(params.detach()[i]), s.rsplit(" is ", 1)[-1]
    return LIKELY.parameter_not_gradient if shown == f"{p:.1f}" != f"{g:.1f}" else formats.misformatted(g, shown, 1)


def fit_at(abc: list[float], dtype: torch.dtype = torch.float32) -> tuple[list[str], float, list[float]]:
    """The reference's sentences, loss and gradients at slider values ``abc`` (:mod:`solutions.week3`)."""
    params = torch.tensor(abc, dtype=dtype, requires_grad=True)
    (loss := week3.quad_mae(params)).backward()
    return week3.gradient_sentences(params), loss.item(), params.grad.tolist()


def robust(abc: list[float]) -> bool:
    """Whether the sentences and title at ``abc`` are the same however they are computed (float32 or float64)."""
    ways = [fit_at(abc, dtype) for dtype in (torch.float32, torch.float64)]
    clear = all(abs(g) >= 0.02 and figures.clear_of_rounding(g, 1) for _, _, grads in ways for g in grads)
    clear = clear and all(figures.clear_of_rounding(loss, 2) for _, loss, _ in ways)
    return clear and len({(tuple(sentences), f"{loss:.2f}") for sentences, loss, _ in ways}) == 1


def sliders_at(rng: np.random.Generator) -> list[float]:
    return [round(float(rng.uniform(lo, hi)), 2) for lo, hi in ((-1.0, 4.0), (-2.0, 4.0), (-2.0, 5.0))]


def ignored(cases: list[list[float]], holds: Any) -> str:
    """Which sliders' start value 1.1, used instead of theirs, explains every case (see :func:`figures.replaced`)."""
    return figures.replaced(cases, holds, START, "abc", LIKELY.slider_ignored)


def judge_prints_first(inputs: Cases, observed: Plots) -> None:
    """plot_quad_gradients prints the reference's three sentences, in order, before it draws anything."""
    cases, plots = inputs.cases, observed["plots"]
    for abc, seen, want in zip(cases, plots, [fit_at(abc)[0] for abc in cases], strict=True):

        def why(lines: list[str], want: list[str] = want) -> str:
            if any(line.startswith("[") and want[0] in line for line in lines):
                return LIKELY.printed_list.likely
            if (observed["again"] or {}).get("printed") != plots[0].get("printed"):
                return LIKELY.stale_plot_gradients.likely
            return ignored(cases, lambda i, v: all(s in figures.printed(plots[i]) for s in fit_at(v)[0]))

        figures.require_printed(seen, want, f"for sliders a, b, c = {tuple(abc)}, plot_quad_gradients",
                                "the three sentences", why=why, after=LIKELY.printed_after_drawing)  # fmt: skip


def draws_quadratic(seen: Any, abc: list[float]) -> bool:
    """Whether it drew on one axes, and drew there the quadratic ``abc`` (if given)."""
    return len(seen["axes"]) == 1 and (not abc or figures.draws(seen["axes"][0], lambda xs: week3.quad(*abc, xs)))


def judge_draws_plot(inputs: Cases, observed: Plots) -> None:
    """plot_quad_gradients scatters the data, draws the quadratic at the sliders' values, titles it with its MAE."""
    cases, plots = inputs.cases, observed["plots"]
    for abc, seen in zip(cases, plots, strict=True):
        what = f"for sliders a, b, c = {tuple(abc)}, plot_quad_gradients"
        ax = wrong.plot_axes(seen, what)
        why = "" if draws_quadratic(seen, abc) else ignored(cases, lambda i, v: draws_quadratic(plots[i], v))
        assert draws_quadratic(seen, abc), (
            f"{what} should draw the quadratic a*x**2 + b*x + c across the data (x from -2 to 2). "
            f"{why or 'No line drawn matches it.'}"
        )
        title, want = str(ax["title"]), f"MAE: {fit_at(abc)[1]:.2f}"
        hint = formats.misformatted(fit_at(abc)[1], title.removeprefix("MAE: "), 2)
        if title != want and not hint:
            why = ignored(cases, lambda i, v: draws_quadratic(plots[i], []) and plots[i]["axes"][0]["title"]
                          == f"MAE: {fit_at(v)[1]:.2f}")  # fmt: skip
        figures.require_title(ax, want, what, {title: hint}, why)
        figures.require_ylim(ax, (-3, 12), what, {(-3.0, 13.0): LIKELY.ylim})


def judge_sliders(inputs: Moves, observed: SliderMoves) -> None:
    """plot_quad_gradients has sliders a, b, c at 1.1, and moving one shows what calling it with the new value does."""
    figures.require_sliders(observed["sliders"], "plot_quad_gradients", "abc", start=START, missing=LIKELY.no_decorator,
                            misnamed=LIKELY.quad_slider_names, unstarted=LIKELY.slider_defaults)  # fmt: skip
    figures.follows_sliders(inputs, observed, "plot_quad_gradients", "abc", stale=LIKELY.stale_plot_gradients,
                            known={"requires grad": LIKELY.plot_requires_grad})  # fmt: skip


QUAD = function("lambda p: torch.abs(p[0] * x**2 + p[1] * x + p[2] - y).mean()", shown="quad_mae", x=week3.x, y=week3.y)


def squares(target: list[float]) -> Any:
    return function("lambda p: ((p - t) ** 2).sum()", shown=f"sum((p - {target})**2)", t=torch.tensor(target))


def start(values: list[float], dtype: torch.dtype = torch.float32) -> Any:
    return torch.tensor(values, dtype=dtype).requires_grad_()


def drawn_start(rng: np.random.Generator, dtype: torch.dtype = torch.float32) -> Any:
    return start([round(float(v), 2) + 0.0 for v in rng.uniform(-1.5, 3.5, size=3)], dtype)


DESCENT_RAISED = {"leaf Variable that requires grad": LIKELY.inplace_outside_no_grad,
                  "does not require grad": LIKELY.params_replaced}  # fmt: skip
descent = functools.partial(compare, reference=week3.gradient_descent, mistakes=wrong.DESCENT, raised=DESCENT_RAISED)


def sum_case(rng: np.random.Generator) -> Any:
    target = [round(float(v), 2) + 0.0 for v in rng.normal(scale=2.0, size=int(rng.integers(3, 6)))]
    lr = round(float(rng.uniform(0.02, 0.2)), 3)
    return call(squares(target), start([0.0] * len(target)), lr=lr, steps=int(rng.integers(3, 13)))


SUBSTITUTE = {"gradient_sentences": week3.gradient_sentences}
SENTENCES = [with_grad([-1.3, 0.2, -0.5])]
CHECKS = [
    compare("gradient_sentences_directions", reference=week3.gradient_sentences, visible=SENTENCES,
            cases=[*[with_grad(g) for g in DIRECTIONS], with_grad([1.5, -0.5, 3.0], [-2.0, 0.7, -1.0]),
                   with_grad([-1.3529, -0.0316, -0.5], START, torch.float64)],
            draw=lambda rng: drawn_sentences(rng, 8), check_grad=True, diagnose=not_a_list, changed=LIKELY.mutates_grad,
            key=lambda out: [m.group(0) if (m := ADVICE.match(s)) else s for s in out], mistakes=wrong.DIRECTIONS),
    compare("gradient_sentences_values", reference=week3.gradient_sentences, visible=SENTENCES, check_args=False,
            cases=[with_grad(g, v, d) for g, v in [*((g, START) for g in VALUES), ([-1.25, 12.345, -0.96],
                   [0.7, -2.5, 3.3])] for d in (torch.float32, torch.float64)],
            draw=lambda rng: drawn_sentences(rng, 6), mistakes=wrong.DIRECTIONS, diagnose=shown_wrongly),
    check("plot_quad_gradients_prints_sentences_first", probe=probes.plots, judge=judge_prints_first,
          uses=["plot_quad_gradients"], substitute=SUBSTITUTE, inputs=drawn_cases(
              [START, [3.0, 2.0, 1.0], [0.5, -1.0, 2.0], [-1.0, 0.0, 5.0], [2.2, 3.3, -1.1], [1.1, 1.1, 3.0]], 3,
              sliders_at, robust)),
    check("plot_quad_gradients_draws_plot", probe=probes.plots, judge=judge_draws_plot, uses=["plot_quad_gradients"],
          inputs=drawn_cases([START, [3.0, 2.0, 1.0], [0.5, -1.0, 2.0], [2.2, 3.3, -1.1]], 2, sliders_at, robust),
          substitute=SUBSTITUTE),
    check("plot_quad_gradients_sliders_update", probe=probes.slider_moves, judge=judge_sliders,
          inputs=draw_slider_moves(START, [[0, 2.0], [0, 0.3], [2, 3.0]], 2, 0.3, 3.0),
          uses=["plot_quad_gradients"], substitute=SUBSTITUTE),
    descent("gradient_descent_returns_losses", cases=[call(QUAD, start(s), lr=0.01, steps=n) for s, n in
                                                      ((START, 3), ([2, -1, 0.5], 1), ([2, -1, 0.5], 5))],
            draw=lambda rng: [call(QUAD, drawn_start(rng), lr=0.01, steps=int(rng.integers(1, 7))) for _ in range(2)],
            key=lambda losses: losses[:1], atol=1e-6, visible=[call(QUAD, start(START), lr=0.01, steps=3)],
            visible_atol=0.005, check_args=False),
    descent("gradient_descent_matches_quad_fit", cases=[call(QUAD, start(START)), *[
                call(QUAD, start(s), lr=0.01, steps=10) for s in (START, [3.0, 0.0, -2.0], [-1.0, 2.0, 4.0])]],
            draw=lambda rng: [call(QUAD, drawn_start(rng), lr=0.01, steps=10) for _ in range(2)], check_type=False,
            atol=0.006),
    descent("gradient_descent_resets_gradients", cases=[call(squares(t), start([0.0] * len(t)), lr=lr, steps=n) for
            t, lr, n in (([1.0, -2.0, 3.0], 0.1, 3), ([1.0, -2.0, 3.0, 0.5], 0.1, 8), ([1, -2, 3, 0.5], 0.05, 15))],
            draw=lambda rng: [sum_case(rng) for _ in range(2)], check_type=False, atol=0.006),
    descent("gradient_descent_uses_lr_and_steps",
            cases=[*[call(QUAD, start([0.5, 2.5, -1.0], torch.float64), lr=lr, steps=n) for lr, n in
                     ((0.1, 4), (0.001, 7), (0.03, 20))], call(QUAD, start(START), lr=0.1, steps=4),
                   call(QUAD, start(START), lr=0.01, steps=0)],
            draw=lambda rng: [call(QUAD, drawn_start(rng, d), lr=round(float(rng.uniform(0.002, 0.1)), 3),
                              steps=int(rng.integers(2, 16))) for d in (torch.float32, torch.float64)],
            check_type=False, atol=0.006),
]  # fmt: skip
