"""What the Week 3 checks share: the data, drawing cases, reading plots (see :func:`autograder.jail.probing.axes`)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from solutions import week3


class Fail(Exception):
    """Raised by a judge's helpers; :func:`verdict` turns it into the failing reason."""


def verdict(judge: Any) -> Any:
    """Let a judge raise :class:`Fail` with its reason; it then returns the reason (None when it passes)."""

    @functools.wraps(judge)
    def wrapped(inputs: Any, observed: Any) -> str | None:
        try:
            judge(inputs, observed)
        except Fail as exc:
            return str(exc)
        return None

    return wrapped


@functools.cache
def data() -> tuple[np.ndarray, np.ndarray]:
    """The grader's own copy of the Week 3 data ``(x, y)``, as float64 arrays of shape (20, 1)."""
    return week3.x.numpy().astype(float), week3.y.numpy().astype(float)


def draw(rng: np.random.Generator, count: int, scale: float = 2.0) -> list[float]:
    """``count`` normal numbers for this run, rounded to 4 decimals (readable in messages)."""
    return [round(float(v), 4) for v in rng.normal(scale=scale, size=count)]


def one_axes(seen: dict[str, Any], what: str) -> dict[str, Any]:
    """The one axes a plot drew on; fails if it raised or drew on none or several."""
    if "raised" in seen:
        raise Fail(f"{what} raised {seen['raised']}: {seen.get('message', '')}"[:300])
    if len(seen["axes"]) != 1:
        raise Fail(f"{what} should draw on one set of axes; it drew on {len(seen['axes'])}")
    ax: dict[str, Any] = seen["axes"][0]
    return ax


def scatters(ax: dict[str, Any], points: np.ndarray) -> bool:
    for scatter in ax["scatters"]:
        offsets = np.asarray([[float(u), float(v)] for u, v in scatter], dtype=float).reshape(-1, 2)
        if offsets.shape == points.shape and np.allclose(offsets, points):
            return True
    return False


def scatter_problem(ax: dict[str, Any], what: str) -> None:
    """Fails unless the axes scatter the twenty data points, naming the known mistakes."""
    x, y = data()
    if scatters(ax, np.column_stack([x.ravel(), y.ravel()])):
        return
    if scatters(ax, np.column_stack([x.ravel(), week3.f(x).ravel()])):
        why = "Likely mistake: the points scattered are f(x), the noise-free quadratic. Scatter the noisy data (x, y)."
    elif not ax["scatters"]:
        why = "Likely mistake: the data points were not scattered. Put the twenty points (x, y) on the same axes as "
        why += "the curve: plt.scatter before plot_function."
    else:
        why = "The points scattered are not the twenty data points (x, y)."
    raise Fail(f"{what} should scatter the twenty data points (x, y). {why}")
