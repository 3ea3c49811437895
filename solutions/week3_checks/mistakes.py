"""Known wrong answers of Week 3, written as the functions students write, for the grader to recognise.

When a check fails, the grader runs each known mistake of that check on the
same cases; one that gives exactly what the student's code gave names the
misconception in the feedback. Each function here is wrong in one way only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from solutions import week3
from solutions.week3_checks.misconceptions import LIKELY

_X = week3.x.numpy().astype(float).ravel()
DATA = np.column_stack([_X, week3.y.numpy().astype(float).ravel()])
"""The twenty data points a plot must scatter, and the noise-free quadratic's points, scattered by mistake."""
NOISE_FREE = np.column_stack([_X, week3.f(_X)])

# --- gradient_sentences -------------------------------------------------------------------------


def _advice(g: float) -> str:
    return "should be increased" if g < 0 else "should be decreased" if g > 0 else "should stay the same"


def sentences_by(rule: Any) -> Any:
    """gradient_sentences giving each parameter the advice ``rule(gradient, value)``, formatted as the lab asks."""

    def gradient_sentences(params: Any) -> list[str]:
        found = []
        for i, name in enumerate("abc"):
            g, p = float(params.grad[i]), float(params.detach()[i])
            found.append(f"parameter {name} {rule(g, p)} because params.grad[{i}] is {g:.1f}")
        return found

    return gradient_sentences


REVERSED = {"should be increased": "should be decreased", "should be decreased": "should be increased"}
reversed_rule = sentences_by(lambda g, p: REVERSED.get(_advice(g), _advice(g)))
rounded_rule = sentences_by(lambda g, p: _advice(float(f"{g:.1f}")))
zero_increases = sentences_by(lambda g, p: "should be increased" if g == 0 else _advice(g))
zero_decreases = sentences_by(lambda g, p: "should be decreased" if g == 0 else _advice(g))
parameter_rule = sentences_by(lambda g, p: _advice(p))


DIRECTIONS = {LIKELY.direction_reversed: reversed_rule, LIKELY.sign_of_rounded_value: rounded_rule,
              LIKELY.zero_gradient_direction: [zero_increases, zero_decreases],
              LIKELY.parameter_not_gradient: parameter_rule}  # fmt: skip


# --- gradient_descent ------------------------------------------------------------------------------


def descent(*, keep: bool = False, frozen: bool = False, sign: float = -1.0, lr_power: int = 1, lr: float | None = None,
            steps: int | None = None, extra: int = 0, after: bool = False, rounded: bool = False, tensors: bool = False,
            new_tensor: bool = False, loss: Any = None) -> Any:  # fmt: skip
    """gradient_descent with one thing wrong (each keyword names one)."""

    def gradient_descent(loss_fn: Any, params: Any, lr_: float = 0.01, steps_: int = 10) -> list[Any]:
        rate = (lr if lr is not None else lr_) ** lr_power
        count = max((steps if steps is not None else steps_) + extra, 0)
        p, losses, loss_of = params, [], loss_fn if loss is None else loss
        for _ in range(count):
            if p.grad is not None and not keep:
                p.grad.zero_()
            value_ = loss_of(p)
            value_.backward()
            with torch.no_grad():
                step = 0 if frozen else sign * rate * p.grad
                if new_tensor:
                    p = (p + step).requires_grad_()
                else:
                    p += step
            value = loss_of(p).item() if after else value_.item()
            losses.append(value_.detach() if tensors else round(value, 2) if rounded else value)
        return losses

    def wrapper(loss_fn: Any, params: Any, lr: float = 0.01, steps: int = 10) -> list[Any]:
        return gradient_descent(loss_fn, params, lr, steps)

    return wrapper


DESCENT = {
    LIKELY.accumulated_gradients: descent(keep=True),
    LIKELY.zeroed_before_update: descent(frozen=True),
    LIKELY.gradient_ascent: descent(sign=1.0),
    LIKELY.lr_twice: descent(lr_power=2),
    LIKELY.lr_ignored: descent(lr=0.01),
    LIKELY.steps_ignored: descent(steps=10),
    LIKELY.steps_off_by_one: [descent(extra=1), descent(extra=-1)],
    LIKELY.loss_after_update: descent(after=True),
    LIKELY.rounded_losses: descent(rounded=True),
    LIKELY.losses_not_floats: descent(tensors=True),
    LIKELY.loss_fn_ignored: descent(loss=week3.quad_mae),
    LIKELY.params_not_updated: descent(new_tensor=True),
}


# --- triple_relu -----------------------------------------------------------------------------------


def relus(terms: Any) -> Any:
    """triple_relu computing ``terms(lines, x)`` from the three lines m*x + b (as tensors)."""

    def triple_relu(m1: Any, b1: Any, m2: Any, b2: Any, m3: Any, b3: Any, x: Any) -> Any:
        return terms([m1 * x + b1, m2 * x + b2, m3 * x + b3], (m1, b1, m2, b2, m3, b3), x)

    return triple_relu


def _clip(t: Any) -> Any:
    return torch.clamp(t, min=0.0)


clip_after_sum = relus(lambda lines, p, x: _clip(lines[0] + lines[1] + lines[2]))
not_clipped = relus(lambda lines, p, x: lines[0] + lines[1] + lines[2])
clip_from_above = relus(lambda lines, p, x: sum(torch.clamp(line, max=0.0) for line in lines))


def missing(k: int, twice: int | None = None) -> Any:
    def terms(lines: Any, p: Any, x: Any) -> Any:
        kept = [_clip(line) for i, line in enumerate(lines) if i != k]
        return kept[0] + kept[1] + (_clip(lines[twice]) if twice is not None else 0)

    return relus(terms)


def paired(order: list[int]) -> Any:
    return relus(lambda lines, p, x: sum(_clip(p[2 * i] * x + p[2 * j + 1]) for i, j in enumerate(order)))


PAIRS_MIXED = [paired(o) for o in ([0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0])]
MISSING = [(k, j, f"ReLU number {j + 1} was added twice instead." if j is not None else "add all three.")
           for k in range(3) for j in (None, *(j for j in range(3) if j != k))]  # fmt: skip
"""ReLU number k + 1 left out, and ReLU j + 1 added twice instead (or not)."""
PAIRS_MIXED.append(relus(lambda lines, p, x: sum(_clip(b * x + m) for m, b in zip(p[0::2], p[1::2], strict=True))))


def converts_x(m1: Any, b1: Any, m2: Any, b2: Any, m3: Any, b3: Any, x: Any) -> Any:
    return week3.triple_relu(m1, b1, m2, b2, m3, b3, x.float())


# --- linear, triple_linear, equivalent_line ------------------------------------------------------------


def clipped_linear(m: Any, b: Any, x: Any) -> Any:
    return torch.clamp(m * x + b, min=0.0)


def lines(clipped: set[int], dropped: int | None = None) -> Any:
    """triple_linear with the terms in ``clipped`` still ReLUs and line ``dropped`` left out."""

    def triple_linear(m1: Any, b1: Any, m2: Any, b2: Any, m3: Any, b3: Any, x: Any) -> Any:
        terms = [m * x + b for m, b in ((m1, b1), (m2, b2), (m3, b3))]
        terms = [_clip(t) if i in clipped else t for i, t in enumerate(terms)]
        return sum(t for i, t in enumerate(terms) if i != dropped)

    return triple_linear


ONE_CLIPPED = [lines({k}) for k in range(3)]
LINE_DROPPED = [lines(set(), k) for k in range(3)]


def line(m: Any, b: Any) -> Any:
    """equivalent_line returning ``(m(ms), b(bs))`` of the slopes and intercepts."""

    def equivalent_line(m1: float, b1: float, m2: float, b2: float, m3: float, b3: float) -> tuple[float, float]:
        return m([m1, m2, m3]), b([b1, b2, b3])

    return equivalent_line


AVERAGED = line(lambda ms: sum(ms) / 3, lambda bs: sum(bs) / 3)
SLOPE_MISSING = [line(lambda ms, k=k: sum(ms) - ms[k], sum) for k in range(3)]
INTERCEPT_MISSING = [line(sum, lambda bs, k=k: sum(bs) - bs[k]) for k in range(3)]


def swapped_pair(m1: float, b1: float, m2: float, b2: float, m3: float, b3: float) -> tuple[float, float]:
    return b1 + b2 + b3, m1 + m2 + m3
