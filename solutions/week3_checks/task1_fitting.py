"""The grader's checks of ``task1_fitting``: gradient sentences, their sliders, and the optimisation loop.

Probes (``probe_*``) run in the student's process and may use only their
arguments: ``ns`` (the student's namespace), ``inputs`` and ``P``
(:mod:`autograder.jail.probing`). Judges (``judge_*``) run in the grader, with the
reference (:mod:`solutions.week3`) and the grader's own copy of the data.

Each check's pass condition is the one of its notebook test cell (visible and
hidden parts): the hidden tests' fixed cases are always among the inputs, plus
a few cases drawn for this run. Cases drawn for the plots are kept away from
the edges where a right answer computed another way (float64, autograd.grad)
could print or title differently (a gradient near 0 or half-way between two
shown decimals, a loss half-way between two shown hundredths).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from autograder.checks.verdicts import Check
from solutions.week3_checks._common import Fail, as_array, data, returned, verdict

NOTEBOOK = "task1_fitting"
NAMES = "abc"
START = 1.1
"""Where the lab's sliders start (``@interact(a=1.1, b=1.1, c=1.1)``)."""


# --- shared by the judges ----------------------------------------------------------------------


def advice(g: float) -> str:
    return "should be increased" if g < 0 else "should be decreased" if g > 0 else "should stay the same"


def sentences_for(grads: list[float]) -> list[str]:
    """The lab's three sentences for these gradients (as the reference ``gradient_sentences`` writes them)."""
    return [
        f"parameter {n} {advice(g)} because params.grad[{i}] is {g:.1f}"
        for i, (n, g) in enumerate(zip(NAMES, grads, strict=True))
    ]


def as_dtype(values: list[float], dtype: str) -> list[float]:
    """``values`` as a tensor of ``dtype`` holds them (float32 rounds), back as Python floats."""
    return np.asarray(values, dtype=np.dtype(dtype)).astype(float).tolist()


def quad_fit(abc: list[float], dtype: str = "float32") -> tuple[list[float], float]:
    """The reference gradients of ``quad_mae`` at ``abc`` and the loss, as the notebook computes them."""
    import torch

    from solutions.week3 import quad_mae

    params = torch.tensor(abc, dtype=getattr(torch, dtype), requires_grad=True)
    loss = quad_mae(params)
    loss.backward()
    assert params.grad is not None
    return params.grad.tolist(), loss.item()


def true_sentences(abc: list[float]) -> list[str]:
    return sentences_for(quad_fit(abc)[0])


def mae_title(abc: list[float]) -> str:
    return f"MAE: {quad_fit(abc)[1]:.2f}"


def clear_of_edges(value: float, scale: float, margin: float = 0.02) -> bool:
    """Whether ``value`` shown with ``scale`` decimals is far from a tie between two shown values."""
    shifted = abs(value) * 10**scale
    return abs(shifted - math.floor(shifted) - 0.5) > margin


def robust_triple(abc: list[float]) -> bool:
    """Whether the sentences and title at ``abc`` are the same however they are computed (float32 or float64)."""
    shown = set()
    for dtype in ("float32", "float64"):
        grads, loss = quad_fit(abc, dtype)
        if not all(abs(g) >= 0.02 and clear_of_edges(g, 1) for g in grads) or not clear_of_edges(loss, 2):
            return False
        shown.add((tuple(sentences_for(grads)), f"{loss:.2f}"))
    return len(shown) == 1


def draw_triples(rng: np.random.Generator, count: int) -> list[list[float]]:
    """``count`` slider positions for this run, clear of the edges (see :func:`robust_triple`)."""
    found: list[list[float]] = []
    while len(found) < count:
        abc = [round(float(rng.uniform(lo, hi)), 2) for lo, hi in ((-1.0, 4.0), (-2.0, 4.0), (-2.0, 5.0))]
        if robust_triple(abc):
            found.append(abc)
    return found


def sentence_list(seen: dict[str, Any], what: str) -> list[str]:
    """The returned sentences: a list of exactly three strings (as the cells require)."""
    out = returned(seen, what)
    ok = seen.get("is_list") is True and out.get("kind") == "sequence" and out.get("length") == 3
    if not ok or not all(item.get("kind") == "text" for item in out["items"]):
        raise Fail(f"{what} should return a list of three strings; it returned a {out.get('type')}")
    return [item["value"] for item in out["items"]]


def as_float(described: dict[str, Any]) -> float:
    """``float(v)`` of a described value, as the cells take it (raises if Python's float() would)."""
    kind = described.get("kind")
    if kind in ("number", "bool"):
        return float(described["value"])
    if kind == "tensor" and math.prod(described["shape"]) == 1 and len(described["values"]) == 1:
        return float(described["values"][0])
    if kind == "text":
        return float(described["value"])
    raise ValueError(f"not a number: {described.get('type')}")


# --- 1d: gradient_sentences ---------------------------------------------------------------------


def fixed_direction_cases() -> list[dict[str, Any]]:
    """The hidden test's cases (its 40 seeded random ones included), in its order."""
    import torch

    ones = [START] * 3
    cases = [
        ([-1.3, 0.2, -0.5], ones),
        ([2.5, -1.75, 0.8], ones),
        ([-0.03, 0.04, -0.001], ones),
        ([0.0, -2.0, 0.0], ones),
        ([1.5, -0.5, 3.0], [-2.0, 0.7, -1.0]),
        ([5.0, 0.0, -5.0], ones),
    ]
    gen = torch.Generator().manual_seed(2024)
    cases += [((torch.randn(3, generator=gen) * 3).tolist(), ones) for _ in range(40)]
    found = [{"grads": g, "values": v, "dtype": "float32"} for g, v in cases]
    found.append({"grads": [-1.3529, -0.0316, -0.5], "values": ones, "dtype": "float64"})
    return found


def drawn_sentence_cases(rng: np.random.Generator, count: int) -> list[dict[str, Any]]:
    """Gradients for this run: ordinary ones, ones that show as 0.0 or -0.0, and exact zeros."""
    cases = []
    for _ in range(count):
        grads = []
        for kind in rng.integers(0, 4, size=3):
            if kind == 0:
                g = 0.0
            elif kind == 1:
                g = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.0005, 0.049))
            else:
                g = float(rng.normal(scale=3.0))
            grads.append(round(g, 4) + 0.0)  # + 0.0: no -0.0
        values = [round(float(v), 2) + 0.0 for v in rng.normal(scale=2.0, size=3)]
        cases.append({"grads": grads, "values": values, "dtype": str(rng.choice(["float32", "float64"]))})
    return cases


def inputs_directions(rng: np.random.Generator) -> dict[str, Any]:
    return {"cases": fixed_direction_cases() + drawn_sentence_cases(rng, 8)}


def probe_sentences(ns: dict[str, Any], inputs: dict[str, Any], P: Any) -> Any:
    import torch

    fn = ns.get("gradient_sentences")
    seen = []
    for case in inputs["cases"]:
        dtype = getattr(torch, case["dtype"])
        params = torch.tensor(case["values"], dtype=dtype, requires_grad=True)
        params.grad = torch.tensor(case["grads"], dtype=dtype)
        kind: dict[str, bool] = {}

        def run(params: Any = params, kind: dict[str, bool] = kind) -> Any:
            out = fn(params)
            kind["is_list"] = isinstance(out, list)
            return out

        outcome = P.call(run)
        outcome["is_list"] = kind.get("is_list", False)
        outcome["grad_after"] = P.describe(params.grad)
        seen.append(outcome)
    return seen


def sentences_call(case: dict[str, Any]) -> str:
    grads = [round(g, 4) for g in as_dtype(case["grads"], case["dtype"])]
    return f"gradient_sentences(params) with params.grad = {grads} ({case['dtype']})"


@verdict
def judge_directions(inputs: dict[str, Any], observed: list[dict[str, Any]]) -> None:
    for case, seen in zip(inputs["cases"], observed, strict=True):
        what = sentences_call(case)
        got = sentence_list(seen, what)
        grads = as_dtype(case["grads"], case["dtype"])
        for name, g, sentence in zip(NAMES, grads, got, strict=True):
            if not sentence.startswith(f"parameter {name} {advice(g)}"):
                raise Fail(f"{what}: for a gradient of {g:.4f} the sentence for {name} should say it {advice(g)}")
        after = seen["grad_after"]
        unchanged = after.get("kind") == "tensor" and list(after["shape"]) == [3]
        if not unchanged or not np.array_equal(as_array(after), np.asarray(grads)):
            raise Fail(f"{what} changed params.grad; it should only read it")


def inputs_values(rng: np.random.Generator) -> dict[str, Any]:
    ones = [START] * 3
    fixed = [
        ([-1.3, 0.2, -0.5], ones),
        ([-1.25, 12.345, -0.96], [0.7, -2.5, 3.3]),
        ([0.04, -0.04, 3.0], ones),
        ([0.0, 0.0, 0.0], ones),
        ([-123.45, 0.049, 7.0], ones),
        ([-1.3529, -0.0316, -0.5], ones),
        ([2.0, -2.0, 0.5], ones),
        ([0.15, -0.15, 0.25], ones),
    ]
    cases = [{"grads": g, "values": v, "dtype": d} for g, v in fixed for d in ("float32", "float64")]
    return {"cases": cases + drawn_sentence_cases(rng, 6)}


@verdict
def judge_values(inputs: dict[str, Any], observed: list[dict[str, Any]]) -> None:
    for case, seen in zip(inputs["cases"], observed, strict=True):
        what = sentences_call(case)
        got = sentence_list(seen, what)
        for i, (want, sentence) in enumerate(
            zip(sentences_for(as_dtype(case["grads"], case["dtype"])), got, strict=True)
        ):
            if sentence != want:
                raise Fail(f"{what}: sentence {i + 1} should read {want!r}")


# --- 1d: plot_quad_gradients ---------------------------------------------------------------------

FIXED_PRINTS = [[1.1, 1.1, 1.1], [3.0, 2.0, 1.0], [0.5, -1.0, 2.0], [-1.0, 0.0, 5.0], [2.2, 3.3, -1.1], [1.1, 1.1, 3.0]]
FIXED_DRAWS = [[1.1, 1.1, 1.1], [3.0, 2.0, 1.0], [0.5, -1.0, 2.0], [2.2, 3.3, -1.1]]


def inputs_prints_first(rng: np.random.Generator) -> dict[str, Any]:
    return {"cases": FIXED_PRINTS + draw_triples(rng, 3)}


def probe_quad_plot(ns: dict[str, Any], inputs: dict[str, Any], P: Any) -> Any:
    def trusted_gradient_sentences(params: Any) -> list[str]:  # a slip in gradient_sentences costs its own cells only
        sentences = []
        for i, (name, g) in enumerate(zip("abc", params.grad.tolist(), strict=False)):
            word = "should be increased" if g < 0 else "should be decreased" if g > 0 else "should stay the same"
            sentences.append(f"parameter {name} {word} because params.grad[{i}] is {g:.1f}")
        return sentences

    fn = ns.get("plot_quad_gradients")
    if "gradient_sentences" not in ns:  # the cell itself stops with a NameError when it swaps in its own
        return {"probe_failed": "NameError: name 'gradient_sentences' is not defined"}
    student = ns["gradient_sentences"]
    ns["gradient_sentences"] = trusted_gradient_sentences
    try:
        return [P.observe(lambda abc=abc: fn(*abc)) for abc in inputs["cases"]]
    finally:
        ns["gradient_sentences"] = student


@verdict
def judge_prints_first(inputs: dict[str, Any], observed: list[dict[str, Any]]) -> None:
    for abc, seen in zip(inputs["cases"], observed, strict=True):
        what = f"plot_quad_gradients{tuple(abc)}"
        lines = [(str(text), drawn) for text, drawn in seen["printed"]]
        printed = [text for text, _ in lines]
        want = true_sentences(abc)
        missing = next((s for s in want if s not in printed), None)
        if missing is not None:
            raise Fail(f"{what} should print {missing!r} on a line of its own")
        positions = [printed.index(s) for s in want]
        if positions != sorted(positions):
            raise Fail(f"{what} should print the sentences in the order a, b, c")
        if not all(drawn == 0 for text, drawn in lines if text in want):
            raise Fail(f"{what} should print the sentences before drawing anything")


def inputs_draws_plot(rng: np.random.Generator) -> dict[str, Any]:
    return {"cases": FIXED_DRAWS + draw_triples(rng, 2)}


def draws_quadratic(ax: dict[str, Any], abc: list[float]) -> bool:
    a, b, c = abc
    for line in ax["lines"]:
        xd = np.asarray([float(v) for v in line["x"]], dtype=float)
        yd = np.asarray([float(v) for v in line["y"]], dtype=float)
        spans = xd.size >= 20 and xd.min() <= -2 and xd.max() >= 2 and xd.shape == yd.shape
        if spans and np.allclose(yd, a * xd**2 + b * xd + c, atol=1e-4):
            return True
    return False


def scatters_data(ax: dict[str, Any]) -> bool:
    x, y = data()
    points = np.column_stack([x.ravel(), y.ravel()])
    for scatter in ax["scatters"]:
        offsets = np.asarray([[float(u), float(v)] for u, v in scatter], dtype=float).reshape(-1, 2)
        if offsets.shape == points.shape and np.allclose(offsets, points):
            return True
    return False


@verdict
def judge_draws_plot(inputs: dict[str, Any], observed: list[dict[str, Any]]) -> None:
    for abc, seen in zip(inputs["cases"], observed, strict=True):
        what = f"plot_quad_gradients{tuple(abc)}"
        if "raised" in seen:
            raise Fail(f"{what} raised {seen['raised']}: {seen.get('message', '')}"[:300])
        if len(seen["axes"]) != 1:
            raise Fail(f"{what} should draw on one set of axes; it drew on {len(seen['axes'])}")
        ax = seen["axes"][0]
        if not scatters_data(ax):
            raise Fail(f"{what} should scatter the twenty data points (x, y)")
        if not draws_quadratic(ax, abc):
            raise Fail(f"{what} should draw the quadratic a*x**2 + b*x + c across the data")
        if ax["title"] != mae_title(abc):
            raise Fail(f"{what} should have the title {mae_title(abc)!r}; it has {str(ax['title'])[:60]!r}")
        if tuple(round(float(v), 6) for v in ax["ylim"]) != (-3.0, 12.0):
            raise Fail(f"{what}: the y axis should run from -3 to 12")


FIXED_MOVES = [[0, 2.0], [0, 0.3], [2, 3.0]]


def inputs_sliders(rng: np.random.Generator) -> dict[str, Any]:
    moves = [list(m) for m in FIXED_MOVES]
    while len(moves) < len(FIXED_MOVES) + 2:
        value = round(float(rng.uniform(0.3, 3.0)), 1)  # within the sliders' range wherever the fixed moves are
        if value != START:  # moving a slider to where it is changes nothing
            moves.append([int(rng.integers(0, 3)), value])
    return {"moves": moves}


def probe_sliders(ns: dict[str, Any], inputs: dict[str, Any], P: Any) -> Any:
    def trusted_gradient_sentences(params: Any) -> list[str]:
        sentences = []
        for i, (name, g) in enumerate(zip("abc", params.grad.tolist(), strict=False)):
            word = "should be increased" if g < 0 else "should be decreased" if g > 0 else "should stay the same"
            sentences.append(f"parameter {name} {word} because params.grad[{i}] is {g:.1f}")
        return sentences

    fn = ns.get("plot_quad_gradients")
    sliders = P.sliders(fn)
    if sliders is None:
        return {"sliders": None, "moves": []}
    if "gradient_sentences" not in ns:  # the cell itself stops with a NameError when it swaps in its own
        return {"probe_failed": "NameError: name 'gradient_sentences' is not defined"}
    student = ns["gradient_sentences"]
    ns["gradient_sentences"] = trusted_gradient_sentences
    moves = []
    try:
        for index, value in inputs["moves"]:
            values = [1.1, 1.1, 1.1]
            values[index] = value
            direct = P.observe(lambda values=values: fn(*values))
            P.observe(lambda values=values: fn(*values))  # as the cell does: a second call before the move
            moves.append({"direct": direct, "moved": P.move_slider(fn, index, value)})
    finally:
        ns["gradient_sentences"] = student
    return {"sliders": sliders, "moves": moves}


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\r")


def snapshot(seen: dict[str, Any]) -> tuple[list[str], list[tuple[str, list[list[float]]]]]:
    """What an action printed (lines) and drew (each axes' title and curves), as the cell compares them."""
    lines = [ANSI.sub("", str(text)).strip() for text, _ in seen["printed"]]
    drawn = [
        (
            str(ax["title"]),
            [np.round(np.asarray([float(v) for v in line["y"]], dtype=float), 5).tolist() for line in ax["lines"]],
        )
        for ax in seen["axes"]
    ]
    return [line for line in lines if line], drawn


@verdict
def judge_sliders(inputs: dict[str, Any], observed: dict[str, Any]) -> None:
    sliders = observed["sliders"]
    if sliders is None:
        raise Fail("plot_quad_gradients has no sliders: keep @interact(a=1.1, b=1.1, c=1.1) above it")
    names = [s["description"] for s in sliders]
    if names != list(NAMES):
        raise Fail(f"there should be exactly three sliders named a, b, c; found {names}")
    starts = [s["value"] for s in sliders]
    if not all(v.get("kind") in ("number", "bool") and abs(float(v["value"]) - START) < 1e-9 for v in starts):
        raise Fail("all three sliders should start at 1.1")
    for (index, value), seen in zip(inputs["moves"], observed["moves"], strict=True):
        values = [START] * 3
        values[index] = value
        if "raised" in seen["direct"]:
            raise Fail(f"plot_quad_gradients{tuple(values)} raised {seen['direct']['raised']}")
        if "printed" not in seen["moved"] or snapshot(seen["moved"]) != snapshot(seen["direct"]):
            raise Fail(
                f"after moving slider {NAMES[index]} to {value}, the output should be what "
                f"plot_quad_gradients{tuple(values)} prints and draws"
            )


# --- 1e: gradient_descent ---------------------------------------------------------------------


def descent_case(
    start: list[float], lr: float | None, steps: int | None, dtype: str = "float32", target: list[float] | None = None
) -> dict[str, Any]:
    """One call: on quad_mae (or on sum((p - target)**2) if a target is given); lr None: the defaults."""
    return {"start": start, "lr": lr, "steps": steps, "dtype": dtype, "target": target}


def with_data(cases: list[dict[str, Any]]) -> dict[str, Any]:
    x, y = data()
    return {"x": x.tolist(), "y": y.tolist(), "cases": cases}


def drawn_start(rng: np.random.Generator) -> list[float]:
    return [round(float(v), 2) + 0.0 for v in rng.uniform(-1.5, 3.5, size=3)]


def inputs_returns_losses(rng: np.random.Generator) -> dict[str, Any]:
    cases = [descent_case(s, 0.01, n) for s, n in (([1.1, 1.1, 1.1], 3), ([2.0, -1.0, 0.5], 1), ([2.0, -1.0, 0.5], 5))]
    cases += [descent_case(drawn_start(rng), 0.01, int(rng.integers(1, 7))) for _ in range(2)]
    return with_data(cases)


def inputs_quad_fit(rng: np.random.Generator) -> dict[str, Any]:
    cases = [descent_case([1.1, 1.1, 1.1], None, None)]
    cases += [descent_case(s, 0.01, 10) for s in ([1.1, 1.1, 1.1], [3.0, 0.0, -2.0], [-1.0, 2.0, 4.0])]
    cases += [descent_case(drawn_start(rng), 0.01, 10) for _ in range(2)]
    return with_data(cases)


def inputs_resets(rng: np.random.Generator) -> dict[str, Any]:
    fixed = (([1.0, -2.0, 3.0], 0.1, 3), ([1.0, -2.0, 3.0, 0.5], 0.1, 8), ([1.0, -2.0, 3.0, 0.5], 0.05, 15))
    cases = [descent_case([0.0] * len(t), lr, n, target=t) for t, lr, n in fixed]
    for _ in range(2):
        target = [round(float(v), 2) + 0.0 for v in rng.normal(scale=2.0, size=int(rng.integers(3, 6)))]
        lr = round(float(rng.uniform(0.02, 0.2)), 3)
        cases.append(descent_case([0.0] * len(target), lr, int(rng.integers(3, 13)), target=target))
    return with_data(cases)


def inputs_lr_and_steps(rng: np.random.Generator) -> dict[str, Any]:
    cases = [descent_case([0.5, 2.5, -1.0], lr, n, "float64") for lr, n in ((0.1, 4), (0.001, 7), (0.03, 20))]
    cases += [descent_case([1.1, 1.1, 1.1], 0.1, 4), descent_case([1.1, 1.1, 1.1], 0.01, 0)]
    for dtype in ("float32", "float64"):
        lr = round(float(rng.uniform(0.002, 0.1)), 3)
        cases.append(descent_case(drawn_start(rng), lr, int(rng.integers(2, 16)), dtype))
    return with_data(cases)


def probe_descent(ns: dict[str, Any], inputs: dict[str, Any], P: Any) -> Any:
    import torch

    # The loss is built here from the grader's data: the notebook's quad_mae, x and y are the student's to change.
    x = torch.tensor(inputs["x"], dtype=torch.float32)
    y = torch.tensor(inputs["y"], dtype=torch.float64)

    def quad_loss(params: Any) -> Any:
        a, b, c = params
        return torch.abs(a * x**2 + b * x + c - y).mean()

    fn = ns.get("gradient_descent")
    seen = []
    for case in inputs["cases"]:
        if case["target"] is None:
            loss_fn = quad_loss
        else:
            target = torch.tensor(case["target"])
            loss_fn = lambda p, target=target: ((p - target) ** 2).sum()  # noqa: E731
        params = torch.tensor(case["start"], dtype=getattr(torch, case["dtype"])).requires_grad_()
        kwargs = {} if case["lr"] is None else {"lr": case["lr"], "steps": case["steps"]}
        kind: dict[str, bool] = {}

        def run(loss_fn: Any = loss_fn, params: Any = params, kwargs: Any = kwargs, kind: Any = kind) -> Any:
            losses = fn(loss_fn, params, **kwargs)
            kind["is_list"] = isinstance(losses, list)
            return losses

        outcome = P.call(run)
        outcome["is_list"] = kind.get("is_list", False)
        outcome["params_after"] = P.describe(params.detach())
        seen.append(outcome)
    return seen


def descend(case: dict[str, Any]) -> tuple[list[float], np.ndarray]:
    """The reference: plain gradient descent on each step's own gradient (the hidden tests' replay)."""
    import torch

    from solutions.week3 import quad_mae

    lr = 0.01 if case["lr"] is None else case["lr"]
    steps = 10 if case["steps"] is None else case["steps"]
    if case["target"] is None:
        loss_fn = quad_mae
    else:
        target = torch.tensor(case["target"])

        def loss_fn(p: Any) -> Any:
            return ((p - target) ** 2).sum()

    p = torch.tensor(case["start"], dtype=getattr(torch, case["dtype"])).requires_grad_()
    losses = []
    for _ in range(steps):
        loss = loss_fn(p)
        (g,) = torch.autograd.grad(loss, p)
        with torch.no_grad():
            p += -1.0 * lr * g
        losses.append(loss.item())
    return losses, p.detach().double().numpy()


def descent_call(case: dict[str, Any]) -> str:
    loss = "quad_mae" if case["target"] is None else f"sum((p - {case['target']})**2)"
    args = "" if case["lr"] is None else f", lr={case['lr']}, steps={case['steps']}"
    return f"gradient_descent({loss}, params={case['start']} ({case['dtype']}){args})"


def losses_list(seen: dict[str, Any], what: str) -> dict[str, Any]:
    losses = returned(seen, what)
    if seen.get("is_list") is not True or losses.get("kind") != "sequence":
        raise Fail(f"{what} should return a list of losses; it returned a {losses.get('type')}")
    return losses


@verdict
def judge_returns_losses(inputs: dict[str, Any], observed: list[dict[str, Any]]) -> None:
    for case, seen in zip(inputs["cases"], observed, strict=True):
        what = descent_call(case)
        losses = losses_list(seen, what)
        if losses["length"] != case["steps"]:
            raise Fail(f"{what} should return {case['steps']} losses; it returned {losses['length']}")
        if not all(v.get("type") == "float" for v in losses["items"]):
            raise Fail(f"{what}: each loss should be a plain Python float (loss.item())")
        want = descend({**case, "steps": 1})[0][0]  # the loss at the start, before any update
        if not abs(float(losses["items"][0]["value"]) - want) < 1e-6:
            raise Fail(f"{what}: the first loss should be the loss at the starting parameters, {want:.6f}")


@verdict
def judge_descent(inputs: dict[str, Any], observed: list[dict[str, Any]]) -> None:
    for case, seen in zip(inputs["cases"], observed, strict=True):
        what = descent_call(case)
        losses = losses_list(seen, what)
        want, want_params = descend(case)
        try:
            got = [as_float(v) for v in losses["items"]]
        except (ValueError, TypeError, KeyError):
            raise Fail(f"{what} should return numbers") from None
        if (
            losses["length"] != len(want)
            or len(got) != len(want)
            or any(abs(a - b) > 0.006 for a, b in zip(got, want, strict=True))
        ):
            raise Fail(f"{what} should give the losses of gradient descent on each step's own gradient")
        after = as_array(seen["params_after"])
        if not np.allclose(after, want_params, atol=1e-5, rtol=1e-5):
            raise Fail(f"{what}: afterwards params should hold {[round(v, 4) for v in want_params.tolist()]}")


CHECKS = [
    Check(NOTEBOOK, "gradient_sentences_directions", inputs_directions, probe_sentences, judge_directions),
    Check(NOTEBOOK, "gradient_sentences_values", inputs_values, probe_sentences, judge_values),
    Check(
        NOTEBOOK, "plot_quad_gradients_prints_sentences_first", inputs_prints_first, probe_quad_plot, judge_prints_first
    ),
    Check(NOTEBOOK, "plot_quad_gradients_draws_plot", inputs_draws_plot, probe_quad_plot, judge_draws_plot),
    Check(NOTEBOOK, "plot_quad_gradients_sliders_update", inputs_sliders, probe_sliders, judge_sliders),
    Check(NOTEBOOK, "gradient_descent_returns_losses", inputs_returns_losses, probe_descent, judge_returns_losses),
    Check(NOTEBOOK, "gradient_descent_matches_quad_fit", inputs_quad_fit, probe_descent, judge_descent),
    Check(NOTEBOOK, "gradient_descent_resets_gradients", inputs_resets, probe_descent, judge_descent),
    Check(NOTEBOOK, "gradient_descent_uses_lr_and_steps", inputs_lr_and_steps, probe_descent, judge_descent),
]
