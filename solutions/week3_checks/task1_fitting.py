"""The grader's checks of ``task1_fitting``: gradient sentences, their plot and sliders, and the optimisation loop.

Cases drawn for the plots are kept away from the edges where a right answer
computed another way (float64, autograd.grad) could print or title differently.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import numpy as np
import torch

from autograder.checks import probes
from autograder.checks.api import call, check, compare, function
from autograder.checks.authoring import (
    Cases,
    Moves,
    Plots,
    SliderMoves,
    drawn_cases,
    draws,
    one_axes,
    printed,
    require_scatter,
    require_sliders,
    require_title,
    require_ylim,
    snapshot,
)
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
SHOWN = [  # (does the number shown, t, come from gradient g of parameter value p this wrong way?, misconception)
    (lambda g, p, t: t.startswith("tensor("), LIKELY.tensor_in_sentence),
    (lambda g, p, t: t == f"{p:.1f}" != f"{g:.1f}", LIKELY.parameter_not_gradient),
    (lambda g, p, t: t == f"{g:.2f}", LIKELY.two_decimals),
    (lambda g, p, t: t in (str(g), repr(g)) and t != f"{g:.1f}", LIKELY.unformatted_float),
    (lambda g, p, t: t in (f"{g:.1}", f"{g:.1g}", f"{g:.1e}"), LIKELY.significant_digits),
    (lambda g, p, t: g < 0 and t == f"{abs(g):.1f}", LIKELY.sign_dropped),
    (lambda g, p, t: t in (str(int(g * 10) / 10), f"{math.trunc(g * 10) / 10:.1f}"), LIKELY.truncated),
]


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
    return next((line for test, line in SHOWN if test(g, p, shown)), None)


def fit_at(abc: list[float], dtype: torch.dtype = torch.float32) -> tuple[list[str], float]:
    """The reference's sentences and loss at slider values ``abc`` (:mod:`solutions.week3`)."""
    params = torch.tensor(abc, dtype=dtype, requires_grad=True)
    loss = week3.quad_mae(params)
    loss.backward()
    return week3.gradient_sentences(params), loss.item()


def robust(abc: list[float]) -> bool:
    """Whether the sentences and title at ``abc`` are the same however they are computed (float32 or float64)."""

    def clear(value: float, scale: int) -> bool:
        shifted = abs(value) * 10**scale
        return abs(shifted - math.floor(shifted) - 0.5) > 0.02

    shown = set()
    for dtype in (torch.float32, torch.float64):
        params = torch.tensor(abc, dtype=dtype, requires_grad=True)
        (loss := week3.quad_mae(params)).backward()
        if not all(abs(g) >= 0.02 and clear(g, 1) for g in params.grad.tolist()) or not clear(loss.item(), 2):
            return False
        shown.add((tuple(week3.gradient_sentences(params)), f"{loss.item():.2f}"))
    return len(shown) == 1


def sliders_at(rng: np.random.Generator) -> list[float]:
    return [round(float(rng.uniform(lo, hi)), 2) for lo, hi in ((-1.0, 4.0), (-2.0, 4.0), (-2.0, 5.0))]


def ignored_sliders(cases: list[list[float]], right: Any) -> str:
    """The sliders (fewest first) whose value 1.1, used instead of the slider's, explains every case ('' if none)."""
    for subset in (s for n in (1, 2, 3) for s in itertools.combinations(range(3), n)):
        if all(right(i, [1.1 if j in subset else u for j, u in enumerate(abc)]) for i, abc in enumerate(cases)):
            return LIKELY.slider_ignored.fill(names=", ".join("abc"[j] for j in subset)).likely
    return ""


def judge_prints_first(inputs: Cases, observed: Plots) -> None:
    """plot_quad_gradients prints the reference's three sentences, in order, before it draws anything."""
    cases, plots = inputs.cases, observed["plots"]
    lines_of = [printed(seen) for seen in plots]
    for abc, seen, lines in zip(cases, plots, lines_of, strict=True):
        what, want = f"for sliders a, b, c = {tuple(abc)}, plot_quad_gradients", fit_at(abc)[0]
        missing = next((s for s in want if s not in lines), None)
        if missing is not None:
            if any(line.startswith("[") and want[0] in line for line in lines):
                why = LIKELY.printed_list.likely
            elif "raised" in seen and not lines:
                why = f"It raised {seen['raised']} before printing anything: {str(seen.get('message'))[:80]}."
            elif (observed["again"] or {}).get("printed") != plots[0].get("printed"):
                why = LIKELY.stale_plot_gradients.likely
            else:
                why = ignored_sliders(cases, lambda i, v: all(s in lines_of[i] for s in fit_at(v)[0]))
            why = why or "No known mistake matches."
            first = (lines or ["nothing"])[0][:100]
            raise AssertionError(f"{what} should print the three sentences, one per line, among them {missing!r}; "
                                 f"it printed {first!r} instead. {why}")  # fmt: skip
        order = [lines.index(s) for s in want]
        assert order == sorted(order), f"{what} should print the sentences in the order a, b, c"
        assert all(drawn == 0 for text, drawn in seen.get("printed", []) if text in want), (
            f"{what} should print the sentences before anything is drawn. {LIKELY.printed_after_drawing.likely}"
        )


def draws_quadratic(seen: Any, abc: list[float]) -> bool:
    """Whether it drew on one axes, and drew there the quadratic ``abc`` (if given)."""
    return len(seen["axes"]) == 1 and (not abc or draws(seen["axes"][0], lambda xs: week3.quad(*abc, xs)))


def mae_title(abc: list[float]) -> str:
    return f"MAE: {fit_at(abc)[1]:.2f}"


def judge_draws_plot(inputs: Cases, observed: Plots) -> None:
    """plot_quad_gradients scatters the data, draws the quadratic at the sliders' values, titles it with its MAE."""
    cases, plots = inputs.cases, observed["plots"]
    for abc, seen in zip(cases, plots, strict=True):
        what = f"for sliders a, b, c = {tuple(abc)}, plot_quad_gradients"
        ax = one_axes(seen, what, {"requires grad": LIKELY.plot_requires_grad})
        require_scatter(ax, wrong.DATA, what, "the twenty data points (x, y)", none=LIKELY.no_scatter,
                        lookalikes={LIKELY.noise_free_scatter: wrong.NOISE_FREE})  # fmt: skip
        why = "" if draws_quadratic(seen, abc) else ignored_sliders(cases, lambda i, v: draws_quadratic(plots[i], v))
        assert draws_quadratic(seen, abc), (
            f"{what} should draw the quadratic a*x**2 + b*x + c across the data (x from -2 to 2). "
            f"{why or 'No line drawn matches it.'}"
        )
        title, want = str(ax["title"]), mae_title(abc)
        hint = wrong.wrong_title(title, fit_at(abc)[1])
        if title != want and not hint:
            why = ignored_sliders(cases, lambda i, v: draws_quadratic(plots[i], []) and plots[i]["axes"][0]["title"]
                                  == mae_title(v))  # fmt: skip
        require_title(ax, want, what, {title: hint}, why)
        require_ylim(ax, (-3, 12), what, {(-3.0, 13.0): LIKELY.ylim})


def moves(rng: np.random.Generator) -> Moves:
    found = [[0, 2.0], [0, 0.3], [2, 3.0]]
    while len(found) < 5:
        value = round(float(rng.uniform(0.3, 3.0)), 1)
        found += [[int(rng.integers(0, 3)), value]] if value != 1.1 else []  # moving a slider where it is: no change
    return Moves(start=START, moves=found)


def judge_sliders(inputs: Moves, observed: SliderMoves) -> None:
    """plot_quad_gradients has sliders a, b, c at 1.1, and moving one shows what calling it with the new value does."""
    require_sliders(observed["sliders"], "plot_quad_gradients", "abc", start=START, missing=LIKELY.no_decorator,
                    misnamed=LIKELY.quad_slider_names, unstarted=LIKELY.slider_defaults)  # fmt: skip
    for (index, value), seen in zip(inputs.moves, observed["moves"], strict=True):
        values = [value if i == index else v for i, v in enumerate(START)]
        what = f"moving slider {'abc'[int(index)]} to {value} re-runs plot_quad_gradients{tuple(values)}"
        hint = LIKELY.plot_requires_grad.likely if "requires grad" in str(seen["direct"].get("message")) else ""
        assert "raised" not in seen["direct"], (
            f"{what}, which raised {seen['direct'].get('raised')}, so the plot cannot follow the slider. {hint}"
        )
        stale = snapshot(seen["again"]) != snapshot(seen["direct"])
        assert "printed" in seen["moved"] and snapshot(seen["moved"]) == snapshot(seen["direct"]), (
            f"after {what.replace(' re-runs', ', the output should be what')} prints and draws. "
            + (LIKELY.stale_plot_gradients.likely if stale else "No known mistake matches.")
        )


QUAD = function("lambda p: torch.abs(p[0] * x**2 + p[1] * x + p[2] - y).mean()", shown="quad_mae", x=week3.x, y=week3.y)


def squares(target: list[float]) -> Any:
    return function("lambda p: ((p - t) ** 2).sum()", shown=f"sum((p - {target})**2)", t=torch.tensor(target))


def start(values: list[float], dtype: torch.dtype = torch.float32) -> Any:
    return torch.tensor(values, dtype=dtype).requires_grad_()


def drawn_start(rng: np.random.Generator, dtype: torch.dtype = torch.float32) -> Any:
    return start([round(float(v), 2) + 0.0 for v in rng.uniform(-1.5, 3.5, size=3)], dtype)


DESCENT_RAISED = {"leaf Variable that requires grad": LIKELY.inplace_outside_no_grad,
                  "does not require grad": LIKELY.params_replaced}  # fmt: skip


def descent(grade_id: str, cases: list[Any], draw: Any, **rules: Any) -> Any:
    return compare(grade_id, reference=week3.gradient_descent, cases=cases, draw=draw, mistakes=wrong.DESCENT,
                   raised=DESCENT_RAISED, **rules)  # fmt: skip


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
    check("plot_quad_gradients_sliders_update", probe=probes.slider_moves, judge=judge_sliders, inputs=moves,
          uses=["plot_quad_gradients"], substitute=SUBSTITUTE),
    descent("gradient_descent_returns_losses",
            [call(QUAD, start(s), lr=0.01, steps=n) for s, n in ((START, 3), ([2, -1, 0.5], 1), ([2, -1, 0.5], 5))],
            lambda rng: [call(QUAD, drawn_start(rng), lr=0.01, steps=int(rng.integers(1, 7))) for _ in range(2)],
            key=lambda losses: losses[:1], atol=1e-6, visible=[call(QUAD, start(START), lr=0.01, steps=3)],
            visible_atol=0.005, check_args=False),
    descent("gradient_descent_matches_quad_fit",
            [call(QUAD, start(START)), *[call(QUAD, start(s), lr=0.01, steps=10) for s in (START, [3.0, 0.0, -2.0],
                                                                                         [-1.0, 2.0, 4.0])]],
            lambda rng: [call(QUAD, drawn_start(rng), lr=0.01, steps=10) for _ in range(2)], check_type=False,
            atol=0.006),
    descent("gradient_descent_resets_gradients",
            [call(squares(t), start([0.0] * len(t)), lr=lr, steps=n) for t, lr, n in
             (([1.0, -2.0, 3.0], 0.1, 3), ([1.0, -2.0, 3.0, 0.5], 0.1, 8), ([1.0, -2.0, 3.0, 0.5], 0.05, 15))],
            lambda rng: [sum_case(rng) for _ in range(2)], check_type=False, atol=0.006),
    descent("gradient_descent_uses_lr_and_steps",
            [*[call(QUAD, start([0.5, 2.5, -1.0], torch.float64), lr=lr, steps=n) for lr, n in
               ((0.1, 4), (0.001, 7), (0.03, 20))], call(QUAD, start(START), lr=0.1, steps=4),
             call(QUAD, start(START), lr=0.01, steps=0)],
            lambda rng: [call(QUAD, drawn_start(rng, d), lr=round(float(rng.uniform(0.002, 0.1)), 3),
                              steps=int(rng.integers(2, 16))) for d in (torch.float32, torch.float64)],
            check_type=False, atol=0.006),
]  # fmt: skip
