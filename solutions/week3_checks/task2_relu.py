"""The grader's checks of ``task2_relu``: triple_relu, its sliders and fit, and the linear swap.

Probes (``probe_*``) run in the student's process and may use only their
arguments: ``ns`` (the student's namespace), ``inputs`` and ``P``
(:mod:`autograder.jail.probing`). Judges (``judge_*``) run in the grader.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.checks.verdicts import Check
from solutions.week3_checks._common import Fail, close, data, draw, number, returned, tensor, verdict

NOTEBOOK = "task2_relu"
KEYS = ("m1", "b1", "m2", "b2", "m3", "b3")


def relu_sum(params: list[float], xs: np.ndarray) -> np.ndarray:
    """The reference sum of three ReLUs (as :func:`solutions.week3.triple_relu`), in float64."""
    return sum(
        (np.maximum(m * xs + b, 0.0) for m, b in zip(params[0::2], params[1::2], strict=True)), np.zeros_like(xs)
    )


def described_params(p: list[float]) -> str:
    return ", ".join(f"{v:.3g}" for v in p)


def relu_mae(p: list[float]) -> float:
    """The MAE of triple_relu with ``p`` on the grader's data, as the notebook computes it (float32 curve)."""
    x, y = data()
    pred = relu_sum(p, x.astype(np.float32))
    return float(np.mean(np.abs(pred.astype(float) - y)))


def is_torch_tensor(seen: dict[str, Any], what: str) -> dict[str, Any]:
    """What a call returned, which must be a torch tensor (the probe's own isinstance check)."""
    out = returned(seen, what)
    if seen.get("is_tensor") is not True:
        raise Fail(f"{what} should return a tensor; it returned a {out.get('type')}")
    return out


# --- 2a: triple_relu ----------------------------------------------------------------------------


def inputs_relu_sum(rng: np.random.Generator) -> dict[str, Any]:
    import torch

    five = [-2.0, -1.0, 0.0, 1.0, 2.0]
    grid = torch.linspace(-3, 3, 61).tolist()
    fixed = [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1.0, 0.0, -1.0, 0.0, 0.0, 1.0]]
    cases = [{"p": p, "x": five} for p in fixed]
    gen = torch.Generator().manual_seed(7)  # the hidden test's own cases
    cases += [{"p": (torch.randn(6, generator=gen) * 2).tolist(), "x": grid} for _ in range(60)]
    for i, pair in enumerate([(2.0, 1.0), (-1.0, 0.5), (0.5, -1.0)]):
        p = [0.0] * 6
        p[2 * i], p[2 * i + 1] = pair
        cases.append({"p": p, "x": grid})
    for _ in range(8):  # this run's own
        cases.append({"p": draw(rng, 6), "x": np.round(rng.uniform(-4, 4, size=41), 4).tolist()})
    # the visible asserts: both calls on the same tensor, compared with fixed values
    wants = [[0.0, 0.0, 0.0, 1.0, 2.0], [3.0, 2.0, 1.0, 2.0, 3.0]]
    visible = [{"p": p, "want": want} for p, want in zip(fixed, wants, strict=True)]
    return {"cases": cases, "visible_x": five, "visible": visible}


def probe_relu_sum(ns: dict[str, Any], inputs: dict[str, Any], P: Any) -> Any:
    import torch

    fn = ns.get("triple_relu")

    def call(*args: Any) -> dict[str, Any]:
        kinds = []

        def run() -> Any:
            out = fn(*args)
            kinds.append(isinstance(out, torch.Tensor))
            return out

        seen = P.call(run)
        seen["is_tensor"] = bool(kinds and kinds[0])
        return seen

    seen = []
    for case in inputs["cases"]:
        xs = torch.tensor(case["x"], dtype=torch.float32)
        outcome = call(*case["p"], xs)
        outcome["x_after"] = P.describe(xs)
        seen.append(outcome)
    shared = torch.tensor(inputs["visible_x"], dtype=torch.float32)
    visible = [call(*case["p"], shared) for case in inputs["visible"]]
    return {"cases": seen, "visible": visible}


@verdict
def judge_relu_sum(inputs: dict[str, Any], observed: dict[str, Any]) -> None:
    for case, seen in zip(inputs["cases"], observed["cases"], strict=True):
        what = f"triple_relu({described_params(case['p'])}, x)"
        out = is_torch_tensor(seen, what)
        xs = tensor(seen["x_after"], "x").astype(np.float32)  # the notebook compares with x as it is after the call
        got = tensor(out, what, shape=list(xs.shape), dtype="float32")
        close(got, relu_sum(case["p"], xs), what)
    for case, seen in zip(inputs["visible"], observed["visible"], strict=True):
        what = f"triple_relu({described_params(case['p'])}, x)"
        got = tensor(is_torch_tensor(seen, what), what, dtype="float32")
        want = np.asarray(case["want"], dtype=np.float32)
        try:
            np.broadcast_shapes(got.shape, want.shape)
        except ValueError:
            raise Fail(f"{what} should have the shape of x") from None
        if not np.allclose(got, want, atol=1e-8, rtol=1e-5):
            raise Fail(f"{what} does not give the right values")


def inputs_relu_shape(rng: np.random.Generator) -> dict[str, Any]:
    import torch

    gen = torch.Generator().manual_seed(11)  # the hidden test's own cases
    fixed = [1.5, -0.5, -2.0, 1.0, 0.5, 0.25]
    cases = []
    for shape in [(20, 1), (100,), (4, 5), (2, 3, 4), ()]:
        for dtype in ("float32", "float64"):
            xs = (torch.randn(shape, generator=gen) * 2).to(getattr(torch, dtype))
            cases.append({"p": fixed, "x": xs.tolist(), "dtype": dtype})
    for shape, dtype in [((7,), "float64"), ((3, 1), "float32"), ((), "float64"), ((2, 2, 3), "float32")]:
        xs = np.round(rng.normal(scale=2.0, size=shape), 4)
        cases.append({"p": draw(rng, 6), "x": xs.tolist(), "dtype": dtype})
    x, _ = data()
    return {
        "cases": cases,
        "x": x.tolist(),
        "tensor_params": [[1.0, 0.0, -1.0, 0.5, 2.0, -1.0], draw(rng, 6)],
        "float_params": [[1.0, 0.5, -1.0, 0.5, 2.0, -1.0]],
    }


def probe_relu_shape(ns: dict[str, Any], inputs: dict[str, Any], P: Any) -> Any:
    import torch

    fn = ns.get("triple_relu")

    def call(*args: Any) -> dict[str, Any]:
        kinds = []

        def run() -> Any:
            out = fn(*args)
            kinds.append(isinstance(out, torch.Tensor))
            return out

        seen = P.call(run)
        seen["is_tensor"] = bool(kinds and kinds[0])
        return seen

    seen = []
    for case in inputs["cases"]:
        xs = torch.tensor(case["x"], dtype=getattr(torch, case["dtype"]))
        outcome = call(*case["p"], xs)
        outcome["x_after"] = P.describe(xs)
        seen.append(outcome)
    x = torch.tensor(inputs["x"], dtype=torch.float32)
    tensor_params = [call(*[torch.tensor(v) for v in p], x.clone()) for p in inputs["tensor_params"]]
    float_params = [call(*p, x.clone()) for p in inputs["float_params"]]
    return {"cases": seen, "tensor_params": tensor_params, "float_params": float_params}


@verdict
def judge_relu_shape(inputs: dict[str, Any], observed: dict[str, Any]) -> None:
    for case, seen in zip(inputs["cases"], observed["cases"], strict=True):
        xs = np.asarray(case["x"], dtype=np.dtype(case["dtype"]))
        what = f"triple_relu({described_params(case['p'])}, x) for x of shape {xs.shape} and dtype {case['dtype']}"
        got = tensor(is_torch_tensor(seen, what), what, shape=list(xs.shape), dtype=case["dtype"])
        after = tensor(seen["x_after"], "x")
        if after.shape != xs.shape or not np.array_equal(after, xs.astype(float)):
            raise Fail(f"{what}: triple_relu changed x")
        close(got, relu_sum(case["p"], xs), what)
    shape = list(np.shape(inputs["x"]))
    for p, seen in zip(inputs["tensor_params"], observed["tensor_params"], strict=True):
        what = f"triple_relu with 0-dimensional tensors ({described_params(p)}) as parameters"
        tensor(is_torch_tensor(seen, what), what, shape=shape)
    for p, seen in zip(inputs["float_params"], observed["float_params"], strict=True):
        what = f"triple_relu({described_params(p)}, x)"
        out = returned(seen, what)
        if out.get("kind") != "tensor" or list(out["shape"]) != shape:
            raise Fail(f"{what} should return x's shape {tuple(shape)}")


# --- 2b, 2c: plot_triple_relu --------------------------------------------------------------------


def inputs_relu_curve(rng: np.random.Generator) -> dict[str, Any]:
    fixed = [[-1.5, -1.5, 1.5, 1.5, 1.5, 1.5], [1.0, 0.0, -2.0, 1.0, 0.5, 2.0], [-4.0, -2.0, 3.0, -1.0, 2.5, 0.5]]
    return {"cases": fixed + [draw(rng, 6) for _ in range(2)]}


def probe_relu_plots(ns: dict[str, Any], inputs: dict[str, Any], P: Any) -> Any:
    import torch

    def trusted_triple_relu(m1: Any, b1: Any, m2: Any, b2: Any, m3: Any, b3: Any, x: Any) -> Any:
        total = torch.zeros_like(x)  # a mistake in triple_relu costs points in its own cells only
        for m, b in ((m1, b1), (m2, b2), (m3, b3)):
            total = total + torch.clamp(m * x + b, min=0.0)
        return total

    fn = ns.get("plot_triple_relu")
    seen: dict[str, Any] = {"has_triple_relu": "triple_relu" in ns, "sliders": P.sliders(fn), "plots": []}
    if not seen["has_triple_relu"]:
        return seen
    student = ns["triple_relu"]
    ns["triple_relu"] = trusted_triple_relu
    try:
        for p in inputs["cases"]:
            plot = P.observe(lambda p=p: fn(*p))
            plot.pop("printed", None)
            seen["plots"].append(plot)
    finally:
        ns["triple_relu"] = student
    return seen


def one_axes(seen: dict[str, Any], what: str) -> dict[str, Any]:
    """The one axes a plot drew on; fails if it raised or drew on none or several."""
    if "raised" in seen:
        raise Fail(f"{what} raised {seen['raised']}: {seen.get('message', '')}"[:300])
    if len(seen["axes"]) != 1:
        raise Fail(f"{what} should draw on one set of axes; it drew on {len(seen['axes'])}")
    ax: dict[str, Any] = seen["axes"][0]
    return ax


def plot_prelude(observed: dict[str, Any]) -> None:
    if not observed.get("has_triple_relu"):
        raise Fail("triple_relu is not defined")


@verdict
def judge_relu_curve(inputs: dict[str, Any], observed: dict[str, Any]) -> None:
    sliders = observed["sliders"]
    if sliders is None:
        raise Fail("plot_triple_relu has no sliders: it has no .widget (@interact)")
    names = [s["description"] for s in sliders]
    if names != list(KEYS):
        raise Fail(f"there should be six sliders named {', '.join(KEYS)}; found {names}"[:300])
    plot_prelude(observed)
    for p, seen in zip(inputs["cases"], observed["plots"], strict=True):
        what = f"plot_triple_relu({described_params(p)})"
        ax = one_axes(seen, what)
        drawn = False
        for line in ax["lines"]:
            xd = np.asarray([float(v) for v in line["x"]])
            yd = np.asarray([float(v) for v in line["y"]])
            if xd.size >= 20 and xd.min() <= -2 and xd.max() >= 2 and xd.shape == yd.shape:
                drawn = drawn or bool(np.allclose(yd, relu_sum(p, xd), atol=1e-4))
        if not drawn:
            raise Fail(f"{what} should draw triple_relu with those six values across the data")
        title = f"MAE: {relu_mae(p):.2f}"
        if ax["title"] != title:
            raise Fail(f"{what} should have the title {title!r}; it has {ax['title'][:60]!r}")


def inputs_relu_scatter(rng: np.random.Generator) -> dict[str, Any]:
    return {"cases": [[-1.5, -1.5, 1.5, 1.5, 1.5, 1.5], [2.0, -1.0, -3.0, 0.0, 1.0, 1.0], draw(rng, 6)]}


@verdict
def judge_relu_scatter(inputs: dict[str, Any], observed: dict[str, Any]) -> None:
    plot_prelude(observed)
    x, y = data()
    points = np.column_stack([x.ravel(), y.ravel()])
    for p, seen in zip(inputs["cases"], observed["plots"], strict=True):
        what = f"plot_triple_relu({described_params(p)})"
        ax = one_axes(seen, what)
        scattered = [np.asarray([[float(v) for v in xy] for xy in s]).reshape(-1, 2) for s in ax["scatters"]]
        if not any(s.shape == points.shape and np.allclose(s, points) for s in scattered):
            raise Fail(f"{what} should scatter the twenty data points (x, y)")
        low, high = (round(float(v), 6) for v in ax["ylim"])
        if (low, high) != (-3.0, 13.0):
            raise Fail(f"{what}: the y axis should run from -3 to 13; it runs from {low} to {high}")


# --- 2c: triple_relu_fit -----------------------------------------------------------------------


def inputs_fit(rng: np.random.Generator) -> dict[str, Any]:
    return {}


def probe_fit(ns: dict[str, Any], inputs: dict[str, Any], P: Any) -> Any:
    return P.describe(ns.get("triple_relu_fit"))


@verdict
def judge_fit(inputs: dict[str, Any], observed: dict[str, Any]) -> None:
    if observed.get("kind") != "mapping" or observed.get("type") != "dict":
        raise Fail(f"triple_relu_fit should be a dict; it is a {observed.get('type')}")
    pairs = {}
    for key, value in observed["items"]:
        if key.get("kind") != "text":
            raise Fail("triple_relu_fit's keys should be the slider names")
        pairs[key["value"]] = value
    if sorted(pairs) != sorted(KEYS):
        raise Fail(f"triple_relu_fit should have exactly the keys {', '.join(KEYS)}")
    values = [number(pairs[k], f"triple_relu_fit[{k!r}]") for k in KEYS]
    x, y = data()
    fit = float(np.mean(np.abs(relu_sum(values, x) - y)))
    if not fit < 1.5:
        raise Fail(f"with these values the MAE of triple_relu on the data is {fit:.2f}; it should be below 1.5")


# --- 2d: linear, triple_linear, equivalent_line ------------------------------------------------


def inputs_linear(rng: np.random.Generator) -> dict[str, Any]:
    cases = [{"m": 2.0, "b": -1.0, "x": [-2.0, 0.0, 3.0], "dtype": "float32"}]
    for shape, dtype in [((50,), "float32"), ((20, 1), "float64"), ((3, 4), "float32")]:
        xs = np.round(rng.normal(scale=3.0, size=shape), 4).tolist()
        cases += [{"m": m, "b": b, "x": xs, "dtype": dtype} for m, b in [(1.5, -2.0), (-3.0, 0.5), (0.0, -1.0)]]
    m, b = draw(rng, 2)
    cases.append({"m": m, "b": b, "x": np.round(rng.normal(scale=3.0, size=(7,)), 4).tolist(), "dtype": "float64"})
    return {"cases": cases}


def probe_linear(ns: dict[str, Any], inputs: dict[str, Any], P: Any) -> Any:
    import torch

    seen = []
    for case in inputs["cases"]:
        xs = torch.tensor(case["x"], dtype=getattr(torch, case["dtype"]))
        outcome = P.call(ns.get("linear"), case["m"], case["b"], xs)
        outcome["x_after"] = P.describe(xs)
        seen.append(outcome)
    return seen


@verdict
def judge_linear(inputs: dict[str, Any], observed: list[dict[str, Any]]) -> None:
    for case, seen in zip(inputs["cases"], observed, strict=True):
        xs = np.asarray(case["x"], dtype=np.dtype(case["dtype"])).astype(float)
        what = f"linear({case['m']}, {case['b']}, x)"
        got = tensor(returned(seen, what), what, shape=list(xs.shape))
        close(got, case["m"] * xs + case["b"], what)
        if not np.array_equal(tensor(seen["x_after"], "x"), xs):
            raise Fail(f"{what} changed x")


def inputs_triple_linear(rng: np.random.Generator) -> dict[str, Any]:
    cases = [{"p": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0], "x": [-1.0, 0.0, 1.0]}]
    grid = np.linspace(-3, 3, 31).tolist()
    cases += [{"p": draw(rng, 6), "x": grid} for _ in range(12)]
    return {"cases": cases}


def probe_triple_linear(ns: dict[str, Any], inputs: dict[str, Any], P: Any) -> Any:
    import torch

    def trusted_linear(m: Any, b: Any, x: Any) -> Any:  # a mistake in linear costs points in its own cell only
        return m * x + b

    student_linear = ns.get("linear")
    ns["linear"] = trusted_linear
    try:
        return [P.call(ns.get("triple_linear"), *case["p"], torch.tensor(case["x"])) for case in inputs["cases"]]
    finally:
        ns["linear"] = student_linear


@verdict
def judge_triple_linear(inputs: dict[str, Any], observed: list[dict[str, Any]]) -> None:
    for case, seen in zip(inputs["cases"], observed, strict=True):
        xs = np.asarray(case["x"], dtype=np.float32).astype(float)
        p = case["p"]
        what = f"triple_linear({', '.join(f'{v:.3g}' for v in p)}, x)"
        got = tensor(returned(seen, what), what, shape=list(xs.shape))
        want = sum((m * xs + b for m, b in zip(p[0::2], p[1::2], strict=True)), np.zeros_like(xs))
        close(got, want, what, atol=1e-4)


def inputs_equivalent_line(rng: np.random.Generator) -> dict[str, Any]:
    return {"cases": [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]] + [draw(rng, 6, scale=3.0) for _ in range(12)]}


def probe_equivalent_line(ns: dict[str, Any], inputs: dict[str, Any], P: Any) -> Any:
    return [P.call(ns.get("equivalent_line"), *p) for p in inputs["cases"]]


@verdict
def judge_equivalent_line(inputs: dict[str, Any], observed: list[dict[str, Any]]) -> None:
    xs = np.linspace(-5, 5, 41)
    for p, seen in zip(inputs["cases"], observed, strict=True):
        what = f"equivalent_line({', '.join(f'{v:.3g}' for v in p)})"
        line = returned(seen, what)
        if line.get("kind") != "sequence" or line.get("length") != 2:
            raise Fail(f"{what} should return a pair (m, b)")
        m, b = (number(v, what) for v in line["items"])
        want = sum((pm * xs + pb for pm, pb in zip(p[0::2], p[1::2], strict=True)), np.zeros_like(xs))
        close(m * xs + b, want, what, atol=1e-6, rtol=1e-5)


CHECKS = [
    Check(NOTEBOOK, "triple_relu_matches_sum_of_relus", inputs_relu_sum, probe_relu_sum, judge_relu_sum),
    Check(NOTEBOOK, "triple_relu_keeps_shape_and_dtype", inputs_relu_shape, probe_relu_shape, judge_relu_shape),
    Check(NOTEBOOK, "plot_triple_relu_draws_curve", inputs_relu_curve, probe_relu_plots, judge_relu_curve),
    Check(NOTEBOOK, "plot_triple_relu_scatters_data", inputs_relu_scatter, probe_relu_plots, judge_relu_scatter),
    Check(NOTEBOOK, "triple_relu_fit_quality", inputs_fit, probe_fit, judge_fit),
    Check(NOTEBOOK, "linear_is_unclipped", inputs_linear, probe_linear, judge_linear),
    Check(NOTEBOOK, "triple_linear_sums_lines", inputs_triple_linear, probe_triple_linear, judge_triple_linear),
    Check(NOTEBOOK, "equivalent_line_collapses", inputs_equivalent_line, probe_equivalent_line, judge_equivalent_line),
]
