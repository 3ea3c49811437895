"""What the Week 3 judges share: reading observations (see :func:`autograder.jail.probing.describe`) and the data."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np


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
    from solutions.week3 import make_data

    x, y = make_data()
    return x.numpy().astype(float), y.numpy().astype(float)


def returned(seen: dict[str, Any], what: str) -> dict[str, Any]:
    """The description of what a call returned; fails if it raised."""
    if "raised" in seen:
        raise Fail(f"{what} raised {seen['raised']}: {seen.get('message', '')}"[:300])
    value: dict[str, Any] = seen["returned"]
    return value


def as_array(described: dict[str, Any]) -> np.ndarray:
    """A described tensor's values in its shape (NaN and infinities restored)."""
    values = [float(v) for v in described["values"]]
    return np.asarray(values, dtype=float).reshape(described["shape"])


def tensor(
    described: dict[str, Any], what: str, shape: list[int] | None = None, dtype: str | None = None
) -> np.ndarray:
    """The values of a returned tensor, checking that it is one (of ``shape`` and ``dtype`` if given)."""
    if described.get("kind") != "tensor" or described.get("type") == "ndarray":
        raise Fail(f"{what} should return a tensor; it returned a {described.get('type')}")
    if shape is not None and list(described["shape"]) != list(shape):
        raise Fail(f"{what} should have shape {tuple(shape)}; it has {tuple(described['shape'])}")
    if dtype is not None and described["dtype"] != dtype:
        raise Fail(f"{what} should have dtype {dtype}; it has {described['dtype']}")
    return as_array(described)


def close(got: np.ndarray, want: np.ndarray, what: str, atol: float = 1e-5, rtol: float = 1e-5) -> None:
    if got.shape != want.shape or not np.allclose(got, want, atol=atol, rtol=rtol):
        raise Fail(f"{what} does not give the right values")


def number(described: dict[str, Any], what: str) -> float:
    """A returned number (a plain number or a one-element tensor), as float."""
    if described.get("kind") == "number":
        return float(described["value"])
    if described.get("kind") == "tensor" and len(described["values"]) == 1:
        return float(described["values"][0])
    raise Fail(f"{what} should be a number; it is a {described.get('type')}")


def draw(rng: np.random.Generator, count: int, scale: float = 2.0) -> list[float]:
    """``count`` normal numbers for this run, rounded to 4 decimals (readable in messages)."""
    return [round(float(v), 4) for v in rng.normal(scale=scale, size=count)]
