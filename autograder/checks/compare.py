"""Comparing what the student's code gave back with what the reference gives, both as described plain data.

Values on both sides are *descriptions* (see :func:`autograder.jail.probing.describe`):
the student's come from the sandbox, the reference's are made here with the
same function, so the two compare like for like. :func:`difference` says, in
words a student can act on, the first way they differ (None if they agree).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Rules:
    """How closely a returned value must match the reference's."""

    atol: float = 1e-5
    rtol: float = 1e-5
    check_type: bool = True
    """The exact type (``Tensor``, ``list``, ``float``...) must be the reference's, items included."""
    check_dtype: bool = True
    check_shape: bool = True
    """Tensors must have the reference's shape (otherwise they need only broadcast together)."""


@dataclass(frozen=True)
class Opaque:
    """A value that plain data cannot carry (a function, an object): only its type's name."""

    type: str


def plain(described: dict[str, Any]) -> Any:
    """The Python value a description stands for: floats, text, lists, tuples, dicts, NumPy arrays."""
    kind = described.get("kind")
    if kind in ("number", "bool"):
        value = described["value"]
        return bool(value) if kind == "bool" else float(value)
    if kind == "text":
        return str(described["value"])
    if kind == "none":
        return None
    if kind == "tensor":
        return _array(described)
    if kind == "sequence":
        items = [plain(v) for v in described["items"]]
        return tuple(items) if described.get("type") == "tuple" else items
    if kind == "mapping":
        pairs = [(plain(k), plain(v)) for k, v in described["items"]]
        try:
            return dict(pairs)
        except TypeError:
            return Opaque(str(described.get("type")))
    return Opaque(str(described.get("type")))


def _array(described: dict[str, Any]) -> np.ndarray:
    values = np.asarray([float(v) for v in described["values"]], dtype=float)
    shape = tuple(described["shape"])
    return values.reshape(shape) if values.size == math.prod(shape) else values


def _loose(described: dict[str, Any]) -> dict[str, Any]:
    """Without type checks, a one-element tensor is its number and a tuple is a sequence like a list."""
    if described.get("kind") == "tensor" and len(described.get("values", [])) == 1:
        return {"kind": "number", "type": "float", "value": described["values"][0]}
    if described.get("kind") == "bool":
        return {"kind": "number", "type": "float", "value": float(described["value"])}
    return described


def show_type(described: dict[str, Any]) -> str:
    kind, name = described.get("kind"), str(described.get("type"))
    if kind == "tensor":
        return f"{name} of shape {tuple(described['shape'])} and dtype {described['dtype']}"
    return "None" if kind == "none" else name


def show(value: float) -> str:
    return f"{value:.6g}"


def difference(
    got: dict[str, Any], want: dict[str, Any], rules: Rules, *, values: bool = True, at: str = ""
) -> str | None:
    """How ``got`` differs from ``want`` (``None`` if it does not); ``values=False`` compares only their form."""
    where = f" at {at}" if at else ""
    if not rules.check_type:
        got, want = _loose(got), _loose(want)
    kind = want.get("kind")
    if got.get("kind") != kind or (rules.check_type and got.get("type") != want.get("type")):
        return f"gives a {show_type(got)}{where}, not a {show_type(want)}"
    if kind == "tensor":
        return _tensors(got, want, rules, values, where)
    if kind == "sequence":
        if got["length"] != want["length"]:
            return f"gives {got['length']} items{where}, not {want['length']}"
        for i, (g, w) in enumerate(zip(got["items"], want["items"], strict=False)):
            found = difference(g, w, rules, values=values, at=f"{at}[{i}]")
            if found:
                return found
        return None
    if kind == "mapping":
        got_keys = [plain(k) for k, _ in got["items"]]
        want_keys = [plain(k) for k, _ in want["items"]]
        if sorted(map(repr, got_keys)) != sorted(map(repr, want_keys)):
            return f"has the keys {got_keys}{where}, not {want_keys}"
        by_key = {repr(plain(k)): v for k, v in got["items"]}
        for k, w in want["items"]:
            found = difference(by_key[repr(plain(k))], w, rules, values=values, at=f"{at}[{plain(k)!r}]")
            if found:
                return found
        return None
    if not values:
        return None
    if kind == "number":
        g, w = float(got["value"]), float(want["value"])
        if not _close_number(g, w, rules):
            return f"gives {show(g)}{where}, not {show(w)}"
        return None
    if kind in ("text", "bool") and got["value"] != want["value"]:
        return f"gives {_clip(got['value'])}{where}, not {_clip(want['value'])}"
    if kind == "other" and got.get("repr") != want.get("repr"):
        return f"gives {_clip(got.get('repr'))}{where}, not {_clip(want.get('repr'))}"
    return None


def _tensors(got: dict[str, Any], want: dict[str, Any], rules: Rules, values: bool, where: str) -> str | None:
    if rules.check_shape and list(got["shape"]) != list(want["shape"]):
        return f"has shape {tuple(got['shape'])}{where}, not {tuple(want['shape'])}"
    if rules.check_dtype and got["dtype"] != want["dtype"]:
        return f"has dtype {got['dtype']}{where}, not {want['dtype']}"
    if not values:
        return None
    g, w = _array(got), _array(want)
    try:
        g, w = np.broadcast_arrays(g, w)
    except ValueError:
        return f"has shape {tuple(got['shape'])}{where}, which does not fit {tuple(want['shape'])}"
    if "grad" in want or "grad" in got:
        grads = difference(got.get("grad") or _NONE, want.get("grad") or _NONE, rules, at="its .grad")
        if grads:
            return grads
    if _close(g, w, rules):
        return None
    wrong = ~np.isclose(g, w, atol=rules.atol, rtol=rules.rtol, equal_nan=True)
    index = tuple(int(i) for i in np.argwhere(wrong)[0])
    place = (
        (f"{where}[{', '.join(map(str, index))}]" if where else f" at [{', '.join(map(str, index))}]")
        if index
        else where
    )
    return f"gives {show(float(g[index]))}{place}, not {show(float(w[index]))}"


_NONE = {"kind": "none", "type": "NoneType"}


def _close(got: np.ndarray, want: np.ndarray, rules: Rules) -> bool:
    return got.shape == want.shape and bool(np.allclose(got, want, atol=rules.atol, rtol=rules.rtol, equal_nan=True))


def _close_number(got: float, want: float, rules: Rules) -> bool:
    """``numpy.allclose`` on two numbers (NaN equal to NaN, infinities only to themselves), without arrays."""
    if math.isnan(got) or math.isnan(want):
        return math.isnan(got) and math.isnan(want)
    if math.isinf(got) or math.isinf(want):
        return got == want
    return abs(got - want) <= rules.atol + rules.rtol * abs(want)


def _clip(value: Any, limit: int = 90) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def without_grad(described: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in described.items() if k != "grad"}
