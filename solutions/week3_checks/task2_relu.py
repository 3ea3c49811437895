"""The grader's checks of ``task2_relu``: triple_relu, its sliders and fit, and the linear swap.

Probes (``probe_*``) run in the student's process and may use only their
arguments: ``ns`` (the student's namespace), ``inputs`` and ``P``
(:mod:`autograder.probing`). Judges (``judge_*``) run in the grader.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.verdicts import Check
from solutions.week3_checks._common import Fail, close, data, draw, number, returned, tensor, verdict

NOTEBOOK = "task2_relu"
KEYS = ("m1", "b1", "m2", "b2", "m3", "b3")


def relu_sum(params: list[float], xs: np.ndarray) -> np.ndarray:
    """The reference sum of three ReLUs (as :func:`solutions.week3.triple_relu`), in float64."""
    return sum(
        (np.maximum(m * xs + b, 0.0) for m, b in zip(params[0::2], params[1::2], strict=True)), np.zeros_like(xs)
    )


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
    Check(NOTEBOOK, "triple_relu_fit_quality", inputs_fit, probe_fit, judge_fit),
    Check(NOTEBOOK, "linear_is_unclipped", inputs_linear, probe_linear, judge_linear),
    Check(NOTEBOOK, "triple_linear_sums_lines", inputs_triple_linear, probe_triple_linear, judge_triple_linear),
    Check(NOTEBOOK, "equivalent_line_collapses", inputs_equivalent_line, probe_equivalent_line, judge_equivalent_line),
]
