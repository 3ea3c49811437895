"""Known wrong answers of Week 3, as the functions students write, each wrong in one way: when a check fails, the
grader runs its known mistakes on the same cases, and one that gives what the student's code gave is named."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch

from autograder.checks import figures
from autograder.checks.authoring import Axes, Seen
from solutions import week3
from solutions.week3_checks.misconceptions import LIKELY

_X = week3.x.numpy().astype(float).ravel()
DATA = np.column_stack([_X, week3.y.numpy().astype(float).ravel()])
"""The twenty data points a plot must scatter, and the noise-free quadratic's points, scattered by mistake."""
NOISE_FREE = np.column_stack([_X, week3.f(_X)])


def plot_axes(seen: Seen, what: str, scatter: bool = True) -> Axes:
    """The one axes a plot drew on, with (if ``scatter``) the twenty data points scattered; else fails, saying why."""
    ax = figures.one_axes(seen, what, {"requires grad": LIKELY.plot_requires_grad})
    if scatter:
        figures.require_scatter(ax, DATA, what, "the twenty data points (x, y)", none=LIKELY.no_scatter,
                                lookalikes={LIKELY.noise_free_scatter: NOISE_FREE})  # fmt: skip
    return ax


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
DIRECTIONS = {
    LIKELY.direction_reversed: sentences_by(lambda g, p: REVERSED.get(_advice(g), _advice(g))),
    LIKELY.sign_of_rounded_value: sentences_by(lambda g, p: _advice(float(f"{g:.1f}"))),
    LIKELY.zero_gradient_direction: [sentences_by(lambda g, p, a=a: a if g == 0 else _advice(g))
                                     for a in ("should be increased", "should be decreased")],
    LIKELY.parameter_not_gradient: sentences_by(lambda g, p: _advice(p)),
}  # fmt: skip


def descent(*, keep: bool = False, frozen: bool = False, sign: float = -1.0, lr_power: int = 1, fixed_lr: float = 0,
            fixed_steps: int = 0, extra: int = 0, after: bool = False, rounded: bool = False, tensors: bool = False,
            new_tensor: bool = False, loss: Any = None) -> Any:  # fmt: skip
    """gradient_descent with one thing wrong (each keyword names one)."""

    def gradient_descent(loss_fn: Any, params: Any, lr: float = 0.01, steps: int = 10) -> list[Any]:
        p, losses, loss_of, rate = params, [], loss or loss_fn, (fixed_lr or lr) ** lr_power
        for _ in range(max((fixed_steps or steps) + extra, 0)):
            if p.grad is not None and not keep:
                p.grad.zero_()
            (before := loss_of(p)).backward()
            with torch.no_grad():
                step = 0 if frozen else sign * rate * p.grad
                p = (p + step).requires_grad_() if new_tensor else p.add_(step)
            value = loss_of(p).item() if after else before.item()
            losses.append(before.detach() if tensors else round(value, 2) if rounded else value)
        return losses

    return gradient_descent


DESCENT = {
    LIKELY.accumulated_gradients: descent(keep=True), LIKELY.zeroed_before_update: descent(frozen=True),
    LIKELY.gradient_ascent: descent(sign=1.0), LIKELY.lr_twice: descent(lr_power=2),
    LIKELY.lr_ignored: descent(fixed_lr=0.01), LIKELY.steps_ignored: descent(fixed_steps=10),
    LIKELY.steps_off_by_one: [descent(extra=1), descent(extra=-1)], LIKELY.loss_after_update: descent(after=True),
    LIKELY.rounded_losses: descent(rounded=True), LIKELY.losses_not_floats: descent(tensors=True),
    LIKELY.loss_fn_ignored: descent(loss=week3.quad_mae), LIKELY.params_not_updated: descent(new_tensor=True),
}  # fmt: skip
"""Known wrong gradient_descent, by misconception, each the loop with one keyword of :func:`descent` set."""


def relus(terms: Any) -> Any:
    """triple_relu computing ``terms(lines, params, x)`` from the three lines m*x + b (as tensors)."""

    def triple_relu(m1: Any, b1: Any, m2: Any, b2: Any, m3: Any, b3: Any, x: Any) -> Any:
        return terms([m1 * x + b1, m2 * x + b2, m3 * x + b3], (m1, b1, m2, b2, m3, b3), x)

    return triple_relu


clip = functools.partial(torch.clamp, min=0.0)
"""A ReLU, as the known mistakes compute it."""


def missing(k: int, twice: int | None) -> Any:
    return relus(lambda ls, p, x: sum(clip(line) for i, line in enumerate(ls) if i != k) + (
        clip(ls[twice]) if twice is not None else 0))  # fmt: skip


ORDERS = ([0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0])
RELUS = {
    LIKELY.clip_after_sum: relus(lambda ls, p, x: clip(ls[0] + ls[1] + ls[2])),
    LIKELY.not_clipped: relus(lambda ls, p, x: ls[0] + ls[1] + ls[2]),
    LIKELY.clip_from_above: relus(lambda ls, p, x: sum(torch.clamp(line, max=0.0) for line in ls)),
    LIKELY.pairs_mixed: [relus(lambda ls, p, x, o=o: sum(clip(p[2 * i] * x + p[2 * j + 1]) for i, j in enumerate(o)))
                         for o in ORDERS] + [relus(lambda ls, p, x: sum(clip(p[i + 1] * x + p[i]) for i in (0, 2, 4)))],
    LIKELY.dtype_changed: lambda m1, b1, m2, b2, m3, b3, x: week3.triple_relu(m1, b1, m2, b2, m3, b3, x.float()),
    **{LIKELY.missing_relu.fill(k=k + 1, fix=f"ReLU number {j + 1} was added twice instead." if j is not None else
                                "add all three."): missing(k, j) for k in range(3) for j in (None, *{0, 1, 2} - {k})},
}  # fmt: skip
"""Known wrong triple_relu, by misconception: ReLU number k + 1 may be missing, and j + 1 added twice instead."""


def lines(clipped: set[int], dropped: int | None = None) -> Any:
    """triple_linear with the terms in ``clipped`` still ReLUs and line ``dropped`` left out."""

    def triple_linear(m1: Any, b1: Any, m2: Any, b2: Any, m3: Any, b3: Any, x: Any) -> Any:
        terms = [m * x + b for m, b in ((m1, b1), (m2, b2), (m3, b3))]
        return sum(clip(t) if i in clipped else t for i, t in enumerate(terms) if i != dropped)

    return triple_linear


def line(m: Any, b: Any) -> Any:
    """equivalent_line returning ``(m(ms), b(bs))`` of the slopes and intercepts."""
    return lambda m1, b1, m2, b2, m3, b3: (m([m1, m2, m3]), b([b1, b2, b3]))


LINES = {
    LIKELY.swap_halfway.fill(what="triple_linear still adds clipped lines"): lines({0, 1, 2}),
    LIKELY.swap_halfway.fill(what="a term of triple_linear is still clipped"): [lines({k}) for k in range(3)],
    LIKELY.line_missing: [lines(set(), k) for k in range(3)],
}
LINE = {
    LIKELY.intercepts_add: line(sum, lambda bs: bs[0]),
    LIKELY.averaged: line(lambda ms: sum(ms) / 3, lambda bs: sum(bs) / 3),
    LIKELY.slopes_add: [line(lambda ms, k=k: sum(ms) - ms[k], sum) for k in range(3)],
    LIKELY.intercept_missing: [line(sum, lambda bs, k=k: sum(bs) - bs[k]) for k in range(3)],
    LIKELY.pair_order: lambda m1, b1, m2, b2, m3, b3: (b1 + b2 + b3, m1 + m2 + m3),
}
LINEAR = {LIKELY.linear_clipped: lambda m, b, x: clip(m * x + b)}
