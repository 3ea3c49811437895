"""The grader's checks of ``task2_relu``: triple_relu, its sliders and fit, and the linear swap."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from autograder.checks.api import Check, call, compare, value
from solutions import week3
from solutions.week3_checks import mistakes as wrong
from solutions.week3_checks._common import Fail, draw, one_axes, scatter_problem, verdict

NB = "task2_relu"
KEYS = ("m1", "b1", "m2", "b2", "m3", "b3")
FIT_BELOW = 1.5
"""Task 2c: the MAE triple_relu_fit must get under (1.5 times the best of 200 gradient-descent fits)."""
FIVE = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0])
GRID = torch.linspace(-3, 3, 61)


def seeded(seed: int, count: int, scale: float = 2.0) -> list[list[float]]:
    gen = torch.Generator().manual_seed(seed)
    return [(torch.randn(6, generator=gen) * scale).tolist() for _ in range(count)]


# --- 2a: triple_relu ------------------------------------------------------------------------------

RELU_MISTAKES: dict[str, Any] = {
    (
        "each line should be clipped at zero before adding. Clipping the sum once gives one kink, not three."
    ): wrong.clip_after_sum,
    "the lines were added without clipping. Each ReLU is its line m*x + b clipped at zero; without the clipping "
    "the sum is just one straight line.": wrong.not_clipped,
    "the lines were clipped from above (min(y, 0)). A ReLU keeps the positive part, max(y, 0), and sets the negative "
    "part to 0.": wrong.clip_from_above,
    "the slopes and intercepts were paired wrongly. ReLU number i uses m_i with b_i: the pairs are (m1, b1), "
    "(m2, b2), (m3, b3), in the order of the arguments.": wrong.PAIRS_MIXED,
    "x was converted (for example with .float()). Leave x's dtype alone: float64 in, float64 out.": wrong.converts_x,
}
for _k in range(3):
    _missing = f"ReLU number {_k + 1} (m{_k + 1}, b{_k + 1}) is missing from the sum"
    RELU_MISTAKES[f"{_missing}: add all three."] = wrong.missing(_k)
    for _j in (j for j in range(3) if j != _k):
        RELU_MISTAKES[f"{_missing}: ReLU number {_j + 1} was added twice instead."] = wrong.missing(_k, _j)
RELU_RAISED = {
    "Boolean value of Tensor": "Python's max() (or an if) compares whole tensors. Clip element by element: "
    "rectified_linear does it with torch.clip(y, 0.).",
}


def relu_shape(got: Any, want: Any, case: Any) -> str | None:
    if isinstance(got, tuple):
        return (
            "torch.max(t, 0) does not clip: it reduces along dimension 0 and returns the largest values with their "
            "indices. A ReLU keeps each element's max with 0: rectified_linear, or torch.clip(y, 0.)."
        )
    if (
        isinstance(got, np.ndarray)
        and isinstance(want, np.ndarray)
        and got.shape != want.shape
        and got.size == want.size
    ):
        return (
            "x was reshaped (squeeze, flatten or view). Leave x's shape alone: the three ReLUs are added element by "
            "element, so the result has x's shape by itself."
        )
    return None


def shaped(gen: torch.Generator) -> list[Any]:
    out = []
    for shape in [(20, 1), (100,), (4, 5), (2, 3, 4), ()]:
        for dtype in (torch.float32, torch.float64):
            out.append(call(1.5, -0.5, -2.0, 1.0, 0.5, 0.25, (torch.randn(shape, generator=gen) * 2).to(dtype)))
    return out


def drawn_shapes(rng: np.random.Generator) -> list[Any]:
    shapes = [((7,), torch.float64), ((3, 1), torch.float32), ((), torch.float64), ((2, 2, 3), torch.float32)]
    return [call(*draw(rng, 6), torch.tensor(np.round(rng.normal(scale=2.0, size=s), 4), dtype=d)) for s, d in shapes]


X = week3.x
TENSOR_PARAMS = [torch.tensor(v) for v in (1.0, 0.0, -1.0, 0.5, 2.0, -1.0)]

# --- 2b, 2c: plot_triple_relu -----------------------------------------------------------------------


def probe_relu_plots(fns: dict[str, Any], inputs: dict[str, Any], P: Any) -> Any:
    fn = fns["plot_triple_relu"]
    plots = []
    for p in inputs["cases"]:
        plot = P.observe(lambda p=p: fn(*p))
        plot.pop("printed", None)
        plots.append(plot)
    return {"sliders": P.sliders(fn), "plots": plots}


def relu_curve(p: list[float], xs: np.ndarray) -> np.ndarray:
    """The reference curve for slider values ``p`` (from :func:`solutions.week3.triple_relu`)."""
    return week3.triple_relu(*p, torch.tensor(xs)).numpy()


def curves(ax: dict[str, Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    found = []
    for line in ax["lines"]:
        xd = np.asarray([float(v) for v in line["x"]])
        yd = np.asarray([float(v) for v in line["y"]])
        if xd.size >= 20 and xd.min() <= -2 and xd.max() >= 2 and xd.shape == yd.shape:
            found.append((xd, yd))
    return found


def plot_error(seen: dict[str, Any], what: str) -> None:
    if "raised" in seen and "requires grad" in str(seen.get("message")):
        raise Fail(
            f"{what} raised {seen['raised']}. Likely mistake: plot_function cannot plot a tensor that requires "
            "gradients: compute the curve from the slider values, or plot inside with torch.no_grad()."
        )


def relu_mae(p: list[float], terms: int = 3) -> float:
    x, y = week3.x, week3.y
    pred = week3.triple_relu(*p[: 2 * terms], *[0.0] * (6 - 2 * terms), x)
    return float(week3.mae(pred, y))


def sliders_problem(observed: dict[str, Any]) -> None:
    sliders = observed["sliders"]
    if sliders is None:
        raise Fail(
            "plot_triple_relu has no sliders: it has no .widget. Likely mistake: the @interact(...) line above the def "
            "was removed; the decorator is what gives the function its six sliders."
        )
    names = [s["description"] for s in sliders]
    if names != list(KEYS):
        raise Fail(
            f"there should be six sliders named m1, b1, m2, b2, m3, b3; found {names}. Likely mistake: each keyword of "
            "@interact(...) makes one slider, named after it; the sliders stand for triple_relu's parameters, so keep "
            "their names m1, b1, m2, b2, m3, b3."
        )


@verdict
def judge_relu_curve(inputs: dict[str, Any], observed: dict[str, Any]) -> None:
    sliders_problem(observed)
    for p, seen in zip(inputs["cases"], observed["plots"], strict=True):
        what = f"for sliders {tuple(p)}, plot_triple_relu"
        plot_error(seen, what)
        ax = one_axes(seen, what)
        drawn = curves(ax)
        if not any(np.allclose(yd, relu_curve(p, xd), atol=1e-4) for xd, yd in drawn):
            why = "No line drawn matches it."
            if any(np.allclose(yd, relu_curve([*p[:4], 0.0, 0.0], xd), atol=1e-4) for xd, yd in drawn):
                why = "Likely mistake: the curve drawn is the sum of only two ReLUs (double_relu)."
            raise Fail(f"{what} should draw triple_relu with those six values from x = -2.1 to 2.1. {why}")
        title, loss = ax["title"], relu_mae(p)
        if title != f"MAE: {loss:.2f}":
            x, y = week3.x, week3.y
            mse = float(((week3.triple_relu(*p, x) - y) ** 2).mean())
            why = "No known mistake matches this title."
            if title == f"MAE: {mse:.2f}":
                why = "Likely mistake: the title shows the mean squared error. The MAE is the mean of the absolute "
                why += "differences, mae(predictions, y), as in Task 1."
            elif title == f"MAE: {relu_mae(p, 2):.2f}":
                why = "Likely mistake: the MAE was computed for two ReLUs only; use all six slider values."
            elif title.startswith("MAE: ") and "tensor" not in title and len(title) > 10:
                why = "Likely mistake: the MAE was shown with all its digits. Format it with two decimals (.2f)."
            raise Fail(f"{what}: the title should be 'MAE: {loss:.2f}'; it is {title[:60]!r}. {why}")


@verdict
def judge_relu_scatter(inputs: dict[str, Any], observed: dict[str, Any]) -> None:
    for p, seen in zip(inputs["cases"], observed["plots"], strict=True):
        what = f"for sliders {tuple(p)}, plot_triple_relu"
        plot_error(seen, what)
        ax = one_axes(seen, what)
        scatter_problem(ax, what)
        low, high = (round(float(v), 6) for v in ax["ylim"])
        if (low, high) != (-3.0, 13.0):
            hint = " Likely mistake: (-3, 12) is the range of Task 1's MAE plot; this plot uses (-3, 13)."
            raise Fail(
                f"{what}: the y axis should run from -3 to 13; it runs from {low} to {high}."
                + (hint if (low, high) == (-3.0, 12.0) else "")
            )


def plot_cases(fixed: list[list[float]], drawn: int) -> Any:
    return lambda rng: {"cases": fixed + [draw(rng, 6) for _ in range(drawn)]}


# --- 2c: triple_relu_fit ---------------------------------------------------------------------------


def fit_problem(fit: Any) -> str | None:
    if not isinstance(fit, dict):
        hint = (
            " Likely mistake: the six values were given as a sequence. A dict names each value, so they cannot be "
            "read in the wrong order: {'m1': ..., 'b1': ..., ...}."
        )
        shown = hint if isinstance(fit, list | tuple) else ""
        return f"triple_relu_fit should be a dict with the keys m1, b1, m2, b2, m3, b3.{shown}"
    if sorted(map(str, fit)) != sorted(KEYS):
        return f"triple_relu_fit should have exactly the keys m1, b1, m2, b2, m3, b3; it has {sorted(map(str, fit))}"
    try:
        values = [float(fit[k]) for k in KEYS]
    except (TypeError, ValueError):
        return "each value in triple_relu_fit should be a number"
    loss = relu_mae(values)
    if loss < FIT_BELOW:
        return None
    if all(abs(v - d) < 1e-9 for v, d in zip(values, (-1.5, -1.5, 1.5, 1.5, 1.5, 1.5), strict=True)):
        why = "Likely mistake: these are the sliders' starting values. Move the sliders until the curve follows the "
        why += "points, then copy the values they show."
    elif relu_mae([values[i + 1 - 2 * (i % 2)] for i in range(6)]) < FIT_BELOW:
        why = "Likely mistake: each slope was written under its intercept's key and vice versa; with them swapped the "
        why += "fit passes. m is the slope of each ReLU, b its intercept."
    elif loss < FIT_BELOW + 0.3:
        why = f"Close, but not below {FIT_BELOW} yet: small moves of one slider at a time, watching the MAE in "
        why += "the title."
    else:
        why = "The curve is still far from the points: move the sliders until it follows them."
    given = dict(zip(KEYS, values, strict=True))
    return (
        f"with the values {given} the MAE of triple_relu on the data is {loss:.2f}; it should be below {FIT_BELOW}. "
        + why
    )


# --- 2d: linear, triple_linear, equivalent_line --------------------------------------------------


def linear_cases() -> list[Any]:
    gen = torch.Generator().manual_seed(5)
    cases: list[Any] = []
    for shape, dtype in [((50,), torch.float32), ((20, 1), torch.float64), ((3, 4), torch.float32)]:
        xs = (torch.randn(shape, generator=gen) * 3).to(dtype)
        cases += [call(m, b, xs.clone()) for m, b in [(1.5, -2.0), (-3.0, 0.5), (0.0, -1.0)]]
    return cases


SWAP_HALF = "the swap is half done. Build all three terms from linear."
LINE_MISTAKES: dict[str, Any] = {
    (
        "only the first intercept was kept. Adding lines adds their intercepts too, just as it adds their slopes."
    ): wrong.line(sum, lambda bs: bs[0]),
    "the slopes and intercepts were averaged. Adding three lines adds their slopes and adds their intercepts; the "
    "average is a line three times too flat and too low.": wrong.line(lambda ms: sum(ms) / 3, lambda bs: sum(bs) / 3),
    "a slope is missing: every line's slope adds to the slope of the sum.": [
        wrong.line(lambda ms, k=k: sum(ms) - ms[k], sum) for k in range(3)
    ],
    "an intercept is missing: every line's intercept adds to the intercept of the sum.": [
        wrong.line(sum, lambda bs, k=k: sum(bs) - bs[k]) for k in range(3)
    ],
}


def swapped_pair(m1: float, b1: float, m2: float, b2: float, m3: float, b3: float) -> tuple[float, float]:
    return b1 + b2 + b3, m1 + m2 + m3


LINE_MISTAKES["the pair came back as (b, m). Return the slope first, then the intercept: (m, b)."] = swapped_pair

CHECKS = [
    compare(
        NB,
        "triple_relu_matches_sum_of_relus",
        function="triple_relu",
        reference=week3.triple_relu,
        visible=[call(1.0, 0.0, 0.0, 0.0, 0.0, 0.0, FIVE), call(1.0, 0.0, -1.0, 0.0, 0.0, 1.0, FIVE)],
        cases=[
            *[call(*p, GRID) for p in seeded(7, 60)],
            call(2.0, 1.0, 0.0, 0.0, 0.0, 0.0, GRID),
            call(0.0, 0.0, -1.0, 0.5, 0.0, 0.0, GRID),
            call(0.0, 0.0, 0.0, 0.0, 0.5, -1.0, GRID),
        ],
        draw=lambda rng: [
            call(*draw(rng, 6), torch.tensor(np.round(rng.uniform(-4, 4, 41), 4), dtype=torch.float32))
            for _ in range(8)
        ],
        mistakes=RELU_MISTAKES,
        raised=RELU_RAISED,
        diagnose=relu_shape,
    ),
    compare(
        NB,
        "triple_relu_keeps_shape_and_dtype",
        function="triple_relu",
        reference=week3.triple_relu,
        cases=[
            *shaped(torch.Generator().manual_seed(11)),
            call(*TENSOR_PARAMS, X),
            call(1.0, 0.5, -1.0, 0.5, 2.0, -1.0, X),
        ],
        draw=drawn_shapes,
        mistakes=RELU_MISTAKES,
        raised=RELU_RAISED,
        diagnose=relu_shape,
    ),
    Check(
        NB,
        "plot_triple_relu_draws_curve",
        plot_cases(
            [[-1.5, -1.5, 1.5, 1.5, 1.5, 1.5], [1.0, 0.0, -2.0, 1.0, 0.5, 2.0], [-4.0, -2.0, 3.0, -1.0, 2.5, 0.5]], 2
        ),
        probe_relu_plots,
        judge_relu_curve,
        ("plot_triple_relu",),
        {"triple_relu": week3.triple_relu},
    ),
    Check(
        NB,
        "plot_triple_relu_scatters_data",
        plot_cases([[-1.5, -1.5, 1.5, 1.5, 1.5, 1.5], [2.0, -1.0, -3.0, 0.0, 1.0, 1.0]], 1),
        probe_relu_plots,
        judge_relu_scatter,
        ("plot_triple_relu",),
        {"triple_relu": week3.triple_relu},
    ),
    value(NB, "triple_relu_fit_quality", name="triple_relu_fit", check=fit_problem),
    compare(
        NB,
        "linear_is_unclipped",
        function="linear",
        reference=week3.linear,
        visible=[call(2.0, -1.0, torch.tensor([-2.0, 0.0, 3.0]))],
        cases=linear_cases(),
        draw=lambda rng: [call(*draw(rng, 2), torch.tensor(np.round(rng.normal(scale=3.0, size=7), 4)))],
        mistakes={
            "linear still clips at zero. Task 2d swaps the ReLU for the plain line m*x + b, negative values "
            "included: only the clipping goes.": wrong.clipped_linear
        },
        changed="the line was computed in place on the argument (x *= m, x += b). Compute m*x + b as a new "
        "tensor and leave x as it was: the caller still needs it.",
    ),
    compare(
        NB,
        "triple_linear_sums_lines",
        function="triple_linear",
        reference=week3.triple_linear,
        visible=[call(1.0, 0.0, 1.0, 0.0, 1.0, 0.0, torch.tensor([-1.0, 0.0, 1.0]))],
        cases=[call(*p, torch.linspace(-3, 3, 31)) for p in seeded(9, 30)],
        draw=lambda rng: [call(*draw(rng, 6), torch.linspace(-3, 3, 31)) for _ in range(4)],
        atol=1e-4,
        substitute={"linear": week3.linear},
        mistakes={
            f"triple_linear still adds clipped lines (rectified_linear): {SWAP_HALF}": wrong.lines({0, 1, 2}),
            f"a term of triple_linear is still clipped (rectified_linear): {SWAP_HALF}": [
                wrong.lines({k}) for k in range(3)
            ],
            "a line is missing from the sum: add all three.": [wrong.lines(set(), k) for k in range(3)],
        },
    ),
    compare(
        NB,
        "equivalent_line_collapses",
        function="equivalent_line",
        reference=week3.equivalent_line,
        visible=[call(1.0, 2.0, 3.0, 4.0, 5.0, 6.0)],
        cases=[call(*p) for p in seeded(13, 30, 3.0)],
        draw=lambda rng: [call(*draw(rng, 6, scale=3.0)) for _ in range(6)],
        check_type=False,
        atol=1e-6,
        check_args=False,
        mistakes=LINE_MISTAKES,
    ),
]
