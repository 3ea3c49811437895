"""The grader's checks of ``task1_fitting``: gradient sentences, their plot and sliders, and the optimisation loop.

Cases drawn for the plots are kept away from the edges where a right answer
computed another way (float64, autograd.grad) could print or title differently.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import torch

from autograder.checks.api import Check, call, compare, function
from solutions import week3
from solutions.week3_checks import mistakes as wrong
from solutions.week3_checks._common import Fail, one_axes, scatter_problem, verdict

NB = "task1_fitting"
START = [1.1, 1.1, 1.1]
"""Where the lab's sliders start (``@interact(a=1.1, b=1.1, c=1.1)``)."""

# --- 1d: gradient_sentences ---------------------------------------------------------------------


def with_grad(grads: list[float], values: list[float] = START, dtype: torch.dtype = torch.float32) -> Any:
    params = torch.tensor(values, dtype=dtype, requires_grad=True)
    params.grad = torch.tensor(grads, dtype=dtype)
    return call(params)


def drawn_sentences(rng: np.random.Generator, count: int) -> list[Any]:
    """Gradients for this run: ordinary ones, ones that show as 0.0 or -0.0, and exact zeros."""
    cases = []
    for _ in range(count):
        grads = []
        for kind in rng.integers(0, 4, size=3):
            g = (
                0.0
                if kind == 0
                else float(rng.choice([-1.0, 1.0]) * rng.uniform(0.0005, 0.049))
                if kind == 1
                else float(rng.normal(scale=3.0))
            )
            grads.append(round(g, 4) + 0.0)
        values = [round(float(v), 2) + 0.0 for v in rng.normal(scale=2.0, size=3)]
        cases.append(with_grad(grads, values, torch.float32 if rng.integers(0, 2) else torch.float64))
    return cases


def direction_cases() -> list[Any]:
    fixed = [
        ([-1.3, 0.2, -0.5], START),
        ([2.5, -1.75, 0.8], START),
        ([-0.03, 0.04, -0.001], START),
        ([0.0, -2.0, 0.0], START),
        ([1.5, -0.5, 3.0], [-2.0, 0.7, -1.0]),
        ([5.0, 0.0, -5.0], START),
    ]
    gen = torch.Generator().manual_seed(2024)
    fixed += [((torch.randn(3, generator=gen) * 3).tolist(), START) for _ in range(40)]
    return [with_grad(g, v) for g, v in fixed] + [with_grad([-1.3529, -0.0316, -0.5], START, torch.float64)]


def value_cases() -> list[Any]:
    fixed = [
        ([-1.3, 0.2, -0.5], START),
        ([-1.25, 12.345, -0.96], [0.7, -2.5, 3.3]),
        ([0.04, -0.04, 3.0], START),
        ([0.0, 0.0, 0.0], START),
        ([-123.45, 0.049, 7.0], START),
        ([-1.3529, -0.0316, -0.5], START),
        ([2.0, -2.0, 0.5], START),
        ([0.15, -0.15, 0.25], START),
    ]
    return [with_grad(g, v, d) for g, v in fixed for d in (torch.float32, torch.float64)]


ADVICE = re.compile(r"parameter \w should (be increased|be decreased|stay the same)")
NOT_A_LIST = (
    "the sentences were joined into one string. Return the list of three strings itself; printing them one per line "
    "is plot_quad_gradients's job."
)
DIRECTION_MISTAKES = {
    "the direction rule is reversed. A negative gradient means the loss falls as the parameter rises: increase it; "
    "a positive gradient means decrease it.": wrong.reversed_rule,
    "the direction was taken from the rounded value. -0.03 shows as -0.0 but is still negative: take the sign from "
    "the gradient itself and round only for display.": wrong.rounded_rule,
    "a gradient of exactly 0 was read as a direction. At 0, nudging the parameter does not change the loss: it should "
    "stay the same.": [wrong.zero_increases, wrong.zero_decreases],
    (
        "the sentences used the parameters' values (params[i]), not their gradients (params.grad[i])."
    ): wrong.parameter_rule,
}
SHOWN = [  # (does the number shown, t, come from gradient g of parameter value p this wrong way?, misconception)
    (
        lambda g, p, t: t.startswith("tensor("),
        "the sentence shows a tensor (tensor(...)). Turn the gradient into a "
        "Python number with float() or .item() before formatting it.",
    ),
    (
        lambda g, p, t: t == f"{p:.1f}" != f"{g:.1f}",
        "the sentences used the parameters' values (params[i]), not their gradients (params.grad[i]).",
    ),
    (
        lambda g, p, t: t == f"{g:.2f}",
        "the gradient was shown with two decimals. Show exactly one decimal place "
        "(format spec .1f): -1.35 shows as -1.4.",
    ),
    (
        lambda g, p, t: t in (str(g), repr(g)) and t != f"{g:.1f}",
        "the gradient was shown with all its digits. Format it with one decimal place (format spec .1f).",
    ),
    (
        lambda g, p, t: t in (f"{g:.1}", f"{g:.1g}", f"{g:.1e}"),
        "the format .1 keeps one significant digit (-1e+00), not one decimal place: use .1f.",
    ),
    (
        lambda g, p, t: g < 0 and t == f"{abs(g):.1f}",
        "the sign of the gradient was dropped. Show the gradient itself "
        "(-1.3), not its size: the sign is the whole point.",
    ),
    (
        lambda g, p, t: t in (str(int(g * 10) / 10), f"{math.trunc(g * 10) / 10:.1f}"),
        "the gradient was cut off after one decimal instead of rounded: -0.96 shows as -1.0 and -1.2999 as -1.3.",
    ),
]


def not_a_list(got: Any, want: Any, case: Any) -> str | None:
    return NOT_A_LIST if isinstance(got, str) else None


def shown_wrongly(got: Any, want: Any, case: Any) -> str | None:
    """Which formatting slip explains the first sentence that differs (None: look at the direction rules)."""
    if isinstance(got, str):
        return NOT_A_LIST
    if not isinstance(got, list) or len(got) != 3 or not all(isinstance(s, str) for s in got):
        return None
    params = case.args[0]
    for i, (s, w) in enumerate(zip(got, want, strict=True)):
        if s == w:
            continue
        if s.endswith(w[w.index(" because ") :]):
            return None
        if f"params.grad[{i}]" not in s and f"params.grad[{i + 1}]" in s:
            return "the index was counted from 1. Python counts from 0: a is params.grad[0], b is params.grad[1]."
        g, p, shown = float(params.grad[i]), float(params.detach()[i]), s.rsplit(" is ", 1)[-1]
        return next((line for test, line in SHOWN if test(g, p, shown)), None)
    return None


# --- 1d: plot_quad_gradients -------------------------------------------------------------------------

PRINT_CASES = [[1.1, 1.1, 1.1], [3.0, 2.0, 1.0], [0.5, -1.0, 2.0], [-1.0, 0.0, 5.0], [2.2, 3.3, -1.1], [1.1, 1.1, 3.0]]
DRAW_CASES = [[1.1, 1.1, 1.1], [3.0, 2.0, 1.0], [0.5, -1.0, 2.0], [2.2, 3.3, -1.1]]
REQUIRES_GRAD = (
    "Likely mistake: plot_function cannot plot a tensor that requires gradients. Plot mk_quad(a, b, c) made from the "
    "slider values, or plot inside with torch.no_grad()."
)
STALE = (
    "Likely mistake: the printed gradients depend on earlier calls: gradients from earlier slider moves were still in "
    ".grad. Build a fresh tensor from the slider values on every call."
)


def fit_at(abc: list[float], dtype: torch.dtype = torch.float32) -> tuple[list[str], float]:
    """The reference's sentences and loss at slider values ``abc`` (:mod:`solutions.week3`)."""
    params = torch.tensor(abc, dtype=dtype, requires_grad=True)
    loss = week3.quad_mae(params)
    loss.backward()
    return week3.gradient_sentences(params), loss.item()


def clear_of_edges(value: float, scale: int, margin: float = 0.02) -> bool:
    shifted = abs(value) * 10**scale
    return abs(shifted - math.floor(shifted) - 0.5) > margin


def robust(abc: list[float]) -> bool:
    """Whether the sentences and title at ``abc`` are the same however they are computed (float32 or float64)."""
    shown = set()
    for dtype in (torch.float32, torch.float64):
        params = torch.tensor(abc, dtype=dtype, requires_grad=True)
        loss = week3.quad_mae(params)
        loss.backward()
        grads = params.grad.tolist()
        if not all(abs(g) >= 0.02 and clear_of_edges(g, 1) for g in grads) or not clear_of_edges(loss.item(), 2):
            return False
        shown.add((tuple(week3.gradient_sentences(params)), f"{loss.item():.2f}"))
    return len(shown) == 1


def slider_cases(fixed: list[list[float]], count: int) -> Any:
    def inputs(rng: np.random.Generator) -> dict[str, Any]:
        found = list(fixed)
        while len(found) < len(fixed) + count:
            abc = [round(float(rng.uniform(lo, hi)), 2) for lo, hi in ((-1.0, 4.0), (-2.0, 4.0), (-2.0, 5.0))]
            if robust(abc):
                found.append(abc)
        return {"cases": found}

    return inputs


def probe_quad_plot(fns: dict[str, Any], inputs: dict[str, Any], P: Any) -> Any:
    fn = fns["plot_quad_gradients"]
    seen = [P.observe(lambda abc=abc: fn(*abc)) for abc in inputs["cases"]]
    again = P.observe(lambda: fn(*inputs["cases"][0]))
    return {"plots": seen, "again": again["printed"]}


def ignored_sliders(cases: list[list[float]], right: Any) -> str:
    """The sliders (fewest first) whose value 1.1, used instead of the slider's, explains every case ('' if none)."""
    for subset in ([0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]):
        if all(right(i, [1.1 if j in subset else u for j, u in enumerate(abc)]) for i, abc in enumerate(cases)):
            names = ", ".join("abc"[j] for j in subset)
            return (
                f"Likely mistake: the value 1.1 was used instead of the slider value for {names}. Build the tensor "
                "from the slider values a, b, c that plot_quad_gradients receives."
            )
    return ""


@verdict
def judge_prints_first(inputs: dict[str, Any], observed: dict[str, Any]) -> None:
    cases, plots = inputs["cases"], observed["plots"]
    printed = [[str(text) for text, _ in seen["printed"]] for seen in plots]
    for abc, seen, lines in zip(cases, plots, printed, strict=True):
        what = f"for sliders a, b, c = {tuple(abc)}, plot_quad_gradients"
        want = fit_at(abc)[0]
        missing = next((s for s in want if s not in lines), None)
        if missing is not None:
            if any(line.startswith("[") and want[0] in line for line in lines):
                why = "Likely mistake: the list was printed as one line (print(sentences)). "
                why += "Print each sentence on its own line."
            elif "raised" in seen and not lines:
                why = f"It raised {seen['raised']} before printing anything: {str(seen.get('message'))[:80]}."
            elif observed["again"] != plots[0]["printed"]:
                why = STALE
            else:
                why = ignored_sliders(cases, lambda i, v: all(s in printed[i] for s in fit_at(v)[0]))
            raise Fail(
                f"{what} should print the three sentences, one per line, among them {missing!r}; it printed "
                f"{(lines or ['nothing'])[0][:100]!r} instead. {why or 'No known mistake matches.'}"
            )
        if [lines.index(s) for s in want] != sorted(lines.index(s) for s in want):
            raise Fail(f"{what} should print the sentences in the order a, b, c")
        if not all(drawn == 0 for text, drawn in seen["printed"] if text in want):
            raise Fail(
                f"{what} should print the sentences before anything is drawn. Likely mistake: the sentences "
                "were printed after drawing. Print them first, so that they appear above the graph."
            )


def draws_quadratic(ax: dict[str, Any], abc: list[float]) -> bool:
    a, b, c = abc
    for line in ax["lines"]:
        xd = np.asarray([float(v) for v in line["x"]], dtype=float)
        yd = np.asarray([float(v) for v in line["y"]], dtype=float)
        spans = xd.size >= 20 and xd.min() <= -2 and xd.max() >= 2 and xd.shape == yd.shape
        if spans and np.allclose(yd, a * xd**2 + b * xd + c, atol=1e-4):
            return True
    return False


def mae_title(abc: list[float]) -> str:
    return f"MAE: {fit_at(abc)[1]:.2f}"


@verdict
def judge_draws_plot(inputs: dict[str, Any], observed: dict[str, Any]) -> None:
    cases, plots = inputs["cases"], observed["plots"]
    for abc, seen in zip(cases, plots, strict=True):
        what = f"for sliders a, b, c = {tuple(abc)}, plot_quad_gradients"
        if "raised" in seen and "requires grad" in str(seen.get("message")):
            raise Fail(f"{what} raised {seen['raised']}: {str(seen.get('message'))[:120]}. {REQUIRES_GRAD}")
        ax = one_axes(seen, what)
        scatter_problem(ax, what)
        if not draws_quadratic(ax, abc):
            why = ignored_sliders(
                cases, lambda i, v: len(plots[i]["axes"]) == 1 and draws_quadratic(plots[i]["axes"][0], v)
            )
            raise Fail(
                f"{what} should draw the quadratic a*x**2 + b*x + c across the data (x from -2 to 2). "
                f"{why or 'No line drawn matches it.'}"
            )
        title, want = str(ax["title"]), mae_title(abc)
        if title != want:
            loss = fit_at(abc)[1]
            if "tensor(" in title:
                why = "Likely mistake: the title shows the loss tensor itself. Format the loss with two decimals."
            elif (
                title.startswith("MAE: ")
                and len(title) > 10
                and _number(title[5:]) is not None
                and abs(_number(title[5:]) - loss) < 1e-4
            ):  # type: ignore[operator]
                why = "Likely mistake: the loss was shown with all its digits. "
                why += "Format it with two decimals (.2f), as the MAE plot above does."
            else:
                why = ignored_sliders(
                    cases, lambda i, v: len(plots[i]["axes"]) == 1 and plots[i]["axes"][0]["title"] == mae_title(v)
                )
            raise Fail(
                f"{what}: the title should be {want!r}; it is {title[:60]!r}. "
                f"{why or 'No known mistake matches this title.'}"
            )
        ylim = tuple(round(float(v), 6) for v in ax["ylim"])
        if ylim != (-3.0, 12.0):
            hint = " Likely mistake: (-3, 13) is the range of the first by-hand plot; "
            hint += "this plot, like the MAE plot, uses (-3, 12)."
            raise Fail(
                f"{what}: the y axis should run from -3 to 12; it runs from {ylim[0]} to {ylim[1]}."
                + (hint if ylim == (-3.0, 13.0) else "")
            )


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


FIXED_MOVES = [[0, 2.0], [0, 0.3], [2, 3.0]]


def inputs_sliders(rng: np.random.Generator) -> dict[str, Any]:
    moves = [list(m) for m in FIXED_MOVES]
    while len(moves) < len(FIXED_MOVES) + 2:
        value = round(float(rng.uniform(0.3, 3.0)), 1)
        if value != 1.1:  # moving a slider to where it is changes nothing
            moves.append([int(rng.integers(0, 3)), value])
    return {"moves": moves}


def probe_sliders(fns: dict[str, Any], inputs: dict[str, Any], P: Any) -> Any:
    fn = fns["plot_quad_gradients"]
    sliders = P.sliders(fn)
    moves = []
    for index, value in inputs["moves"] if sliders is not None else []:
        values = [1.1, 1.1, 1.1]
        values[index] = value
        direct = P.observe(lambda values=values: fn(*values))
        again = P.observe(lambda values=values: fn(*values))
        moves.append({"direct": direct, "again": again, "moved": P.move_slider(fn, index, value)})
    return {"sliders": sliders, "moves": moves}


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\r")


def snapshot(seen: dict[str, Any]) -> Any:
    """What an action printed (lines) and drew (each axes' title and curves), as the cell compares them."""
    lines = [ANSI.sub("", str(text)).strip() for text, _ in seen.get("printed", [])]
    drawn = [
        (str(ax["title"]), [np.round(np.asarray([float(v) for v in ln["y"]]), 5).tolist() for ln in ax["lines"]])
        for ax in seen.get("axes", [])
    ]
    return [line for line in lines if line], drawn


@verdict
def judge_sliders(inputs: dict[str, Any], observed: dict[str, Any]) -> None:
    sliders = observed["sliders"]
    if sliders is None:
        raise Fail(
            "plot_quad_gradients has no sliders: it has no .widget. Likely mistake: the line @interact(a=1.1, "
            "b=1.1, c=1.1) above the def was removed; the decorator is what links the function to its sliders."
        )
    names = [s["description"] for s in sliders]
    if names != ["a", "b", "c"]:
        raise Fail(
            f"there should be exactly three sliders named a, b, c; found {names}. Likely mistake: each keyword "
            "of @interact(...) makes one slider, named after it, in order: keep @interact(a=1.1, b=1.1, c=1.1)."
        )
    starts = [s["value"].get("value") for s in sliders]
    if not all(isinstance(v, int | float) and abs(v - 1.1) < 1e-9 for v in starts):
        raise Fail(
            f"all three sliders should start at 1.1; they start at {starts}. Likely mistake: the values given to "
            "@interact(...) set where the sliders start, and the lab starts them at 1.1."
        )
    for (index, value), seen in zip(inputs["moves"], observed["moves"], strict=True):
        values = [1.1, 1.1, 1.1]
        values[index] = value
        what = f"moving slider {'abc'[index]} to {value} re-runs plot_quad_gradients{tuple(values)}"
        direct = seen["direct"]
        if "raised" in direct:
            hint = REQUIRES_GRAD if "requires grad" in str(direct.get("message")) else ""
            raise Fail(f"{what}, which raised {direct['raised']}, so the plot cannot follow the slider. {hint}")
        if "printed" not in seen["moved"] or snapshot(seen["moved"]) != snapshot(direct):
            why = STALE if snapshot(seen["again"]) != snapshot(direct) else "No known mistake matches."
            raise Fail(f"after {what.replace(' re-runs', ', the output should be what')} prints and draws. {why}")


# --- 1e: gradient_descent ---------------------------------------------------------------------

QUAD = function("lambda p: torch.abs(p[0] * x**2 + p[1] * x + p[2] - y).mean()", shown="quad_mae", x=week3.x, y=week3.y)


def squares(target: list[float]) -> Any:
    return function("lambda p: ((p - t) ** 2).sum()", shown=f"sum((p - {target})**2)", t=torch.tensor(target))


def start(values: list[float], dtype: torch.dtype = torch.float32) -> Any:
    return torch.tensor(values, dtype=dtype).requires_grad_()


def drawn_start(rng: np.random.Generator, dtype: torch.dtype = torch.float32) -> Any:
    return start([round(float(v), 2) + 0.0 for v in rng.uniform(-1.5, 3.5, size=3)], dtype)


STEPS_LINE = "off by one: with steps=n the loop should run exactly n times and return n losses."
DESCENT_MISTAKES: dict[str, Any] = {
    "gradients from earlier steps were still in params.grad. backward() adds to .grad, so reset it to zero every "
    "step (the notebook of the week's loop has this bug).": wrong.descent(keep=True),
    "the parameters never moved: the gradient was reset between backward() and the update. Reset it before "
    "backward() or after the update.": wrong.descent(frozen=True),
    "the parameters moved up the gradient, so the loss rises. Subtract the learning rate times the gradient: a step "
    "goes against the slope.": wrong.descent(sign=1.0),
    "each step was lr * lr times the gradient: the learning rate was applied twice.": wrong.descent(lr_power=2),
    "the learning rate passed in was ignored (0.01 was used whatever lr was): use the lr argument.": wrong.descent(
        lr=0.01
    ),
    "the number of steps passed in was ignored (10 steps were taken): loop steps times.": wrong.descent(steps=10),
    STEPS_LINE: [wrong.descent(extra=1), wrong.descent(extra=-1)],
    "the losses were recorded after each update. Record the loss computed before the update: the first one is the "
    "loss at the starting parameters.": wrong.descent(after=True),
    "the losses were rounded. Return loss.item() as it is; round only when printing.": wrong.descent(rounded=True),
    (
        "the losses were kept as tensors. Turn each into a number with loss.item(), which also lets go of its graph."
    ): wrong.descent(tensors=True),
    (
        "the loss_fn passed in was ignored (quad_mae was used): call loss_fn(params), whatever function it is."
    ): wrong.descent(loss=week3.quad_mae),
    "the tensor passed in was not updated; a new tensor was made instead (params = params - ...). Update params in "
    "place (params -= ...), so the caller sees the new values.": wrong.descent(new_tensor=True),
}
DESCENT_RAISED = {
    "leaf Variable that requires grad": "the in-place update ran outside torch.no_grad(). A tensor that requires grad "
    "can only be changed in place inside with torch.no_grad():.",
    "does not require grad": "params was replaced by a new tensor that does not require grad. Update the tensor in "
    "place instead (params -= ...).",
}


def descent(grade_id: str, cases: list[Any], draw: Any, **rules: Any) -> Any:
    return compare(
        NB,
        grade_id,
        function="gradient_descent",
        reference=week3.gradient_descent,
        cases=cases,
        draw=draw,
        mistakes=DESCENT_MISTAKES,
        raised=DESCENT_RAISED,
        **rules,
    )


def sum_case(rng: np.random.Generator) -> Any:
    target = [round(float(v), 2) + 0.0 for v in rng.normal(scale=2.0, size=int(rng.integers(3, 6)))]
    lr = round(float(rng.uniform(0.02, 0.2)), 3)
    return call(squares(target), start([0.0] * len(target)), lr=lr, steps=int(rng.integers(3, 13)))


CHECKS = [
    compare(
        NB,
        "gradient_sentences_directions",
        function="gradient_sentences",
        reference=week3.gradient_sentences,
        visible=[with_grad([-1.3, 0.2, -0.5])],
        cases=direction_cases(),
        draw=lambda rng: drawn_sentences(rng, 8),
        key=lambda out: [m.group(0) if (m := ADVICE.match(s)) else s for s in out],
        check_grad=True,
        mistakes=DIRECTION_MISTAKES,
        diagnose=not_a_list,
        changed="gradient_sentences changed params.grad. It should only read the gradients and leave them for the "
        "caller (resetting them is the training loop's job).",
    ),
    compare(
        NB,
        "gradient_sentences_values",
        function="gradient_sentences",
        reference=week3.gradient_sentences,
        visible=[with_grad([-1.3, 0.2, -0.5])],
        cases=value_cases(),
        draw=lambda rng: drawn_sentences(rng, 6),
        check_args=False,
        mistakes=DIRECTION_MISTAKES,
        diagnose=shown_wrongly,
    ),
    Check(
        NB,
        "plot_quad_gradients_prints_sentences_first",
        slider_cases(PRINT_CASES, 3),
        probe_quad_plot,
        judge_prints_first,
        ("plot_quad_gradients",),
        {"gradient_sentences": week3.gradient_sentences},
    ),
    Check(
        NB,
        "plot_quad_gradients_draws_plot",
        slider_cases(DRAW_CASES, 2),
        probe_quad_plot,
        judge_draws_plot,
        ("plot_quad_gradients",),
        {"gradient_sentences": week3.gradient_sentences},
    ),
    Check(
        NB,
        "plot_quad_gradients_sliders_update",
        inputs_sliders,
        probe_sliders,
        judge_sliders,
        ("plot_quad_gradients",),
        {"gradient_sentences": week3.gradient_sentences},
    ),
    descent(
        "gradient_descent_returns_losses",
        [
            call(QUAD, start(s), lr=0.01, steps=n)
            for s, n in (([1.1] * 3, 3), ([2.0, -1.0, 0.5], 1), ([2.0, -1.0, 0.5], 5))
        ],
        lambda rng: [call(QUAD, drawn_start(rng), lr=0.01, steps=int(rng.integers(1, 7))) for _ in range(2)],
        key=lambda losses: losses[:1],
        atol=1e-6,
        visible=[call(QUAD, start(START), lr=0.01, steps=3)],
        visible_atol=0.005,
        check_args=False,
    ),
    descent(
        "gradient_descent_matches_quad_fit",
        [
            call(QUAD, start(START)),
            *[call(QUAD, start(s), lr=0.01, steps=10) for s in (START, [3.0, 0.0, -2.0], [-1.0, 2.0, 4.0])],
        ],
        lambda rng: [call(QUAD, drawn_start(rng), lr=0.01, steps=10) for _ in range(2)],
        check_type=False,
        atol=0.006,
    ),
    descent(
        "gradient_descent_resets_gradients",
        [
            call(squares(t), start([0.0] * len(t)), lr=lr, steps=n)
            for t, lr, n in (
                ([1.0, -2.0, 3.0], 0.1, 3),
                ([1.0, -2.0, 3.0, 0.5], 0.1, 8),
                ([1.0, -2.0, 3.0, 0.5], 0.05, 15),
            )
        ],
        lambda rng: [sum_case(rng) for _ in range(2)],
        check_type=False,
        atol=0.006,
    ),
    descent(
        "gradient_descent_uses_lr_and_steps",
        [
            *[
                call(QUAD, start([0.5, 2.5, -1.0], torch.float64), lr=lr, steps=n)
                for lr, n in ((0.1, 4), (0.001, 7), (0.03, 20))
            ],
            call(QUAD, start(START), lr=0.1, steps=4),
            call(QUAD, start(START), lr=0.01, steps=0),
        ],
        lambda rng: [
            call(QUAD, drawn_start(rng, d), lr=round(float(rng.uniform(0.002, 0.1)), 3), steps=int(rng.integers(2, 16)))
            for d in (torch.float32, torch.float64)
        ],
        check_type=False,
        atol=0.006,
    ),
]
