"""Helpers for judging what plots, sliders and printed text did: each fails with a message that says why.

A judge receives what the generic probes of :mod:`autograder.checks.probes`
observed (typed in :mod:`autograder.checks.authoring`). The helpers here look at
one observation (``one_axes``, ``draws``, ``scatters``, ``printed``), require
something of it and name the misconception of a known wrong answer
(``require_*``), or diagnose a whole check's cases (``replaced``,
``follows_sliders``). Nothing here knows an assignment.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from autograder.checks.authoring import LIKELY_PREFIX, Axes, Fail, Misconception, Moves, Seen, Slider, SliderMoves
from autograder.checks.calls import NO_MATCH


def printed(seen: Seen) -> list[str]:
    return [str(text) for text, _ in seen.get("printed", [])]


def raised(seen: Seen, what: str, known: Mapping[str, str] = {}) -> None:
    """Fails if the action raised, naming the misconception of the first fragment of ``known`` its message has."""
    if "raised" in seen:
        hint = next((m for fragment, m in known.items() if fragment in str(seen.get("message"))), "")
        tail = f". {LIKELY_PREFIX}{hint}" if hint else f": {seen.get('message', '')}"
        raise Fail(f"{what} raised {seen['raised']}{tail}"[: 300 + len(hint)])


def one_axes(seen: Seen, what: str, known: Mapping[str, str] = {}) -> Axes:
    """The one axes a plot drew on; fails if it raised (see :func:`raised`) or drew on none or several."""
    raised(seen, what, known)
    drawn = seen.get("axes", [])
    assert len(drawn) == 1, f"{what} should draw on one set of axes; it drew on {len(drawn)}"
    return drawn[0]


def curves(ax: Axes, span: tuple[float, float] = (-2, 2), points: int = 20) -> list[tuple[np.ndarray, np.ndarray]]:
    """The lines of ``ax`` that cover ``span`` with at least ``points`` points, as arrays ``(x, y)``."""
    found = []
    for line in ax["lines"]:
        xd, yd = np.asarray(line["x"], dtype=float), np.asarray(line["y"], dtype=float)
        if xd.size >= points and xd.min() <= span[0] and xd.max() >= span[1] and xd.shape == yd.shape:
            found.append((xd, yd))
    return found


def draws(ax: Axes, curve: Callable[[np.ndarray], Any], atol: float = 1e-4) -> bool:
    """Whether one of the lines of ``ax`` is ``curve`` (a function of the x values)."""
    return any(np.allclose(yd, np.asarray(curve(xd), dtype=float), atol=atol) for xd, yd in curves(ax))


def scatters(ax: Axes, points: np.ndarray) -> bool:
    """Whether ``ax`` scatters exactly ``points`` (an ``(n, 2)`` array)."""
    for scatter in ax["scatters"]:
        offsets = np.asarray(scatter, dtype=float).reshape(-1, 2)
        if offsets.shape == points.shape and np.allclose(offsets, points):
            return True
    return False


def require_scatter(
    ax: Axes, points: np.ndarray, what: str, named: str, *, lookalikes: Mapping[str, np.ndarray], none: str
) -> None:
    """Fails unless ``ax`` scatters ``points`` (``named`` in the message), naming what it scattered instead."""
    if scatters(ax, points):
        return
    why = next((f"{LIKELY_PREFIX}{m}" for m, pts in lookalikes.items() if scatters(ax, pts)), "")
    if not why:
        why = f"{LIKELY_PREFIX}{none}" if not ax["scatters"] else f"The points scattered are not {named}."
    raise Fail(f"{what} should scatter {named}. {why}")


def require_ylim(ax: Axes, want: tuple[float, float], what: str, lookalikes: Mapping[tuple[float, float], str]) -> None:
    """Fails unless the y axis of ``ax`` runs over ``want``, naming the misconception of a known wrong range."""
    low, high = (round(float(v), 6) for v in ax["ylim"])
    hint = lookalikes.get((low, high))
    assert (low, high) == tuple(want), (
        f"{what}: the y axis should run from {want[0]:g} to {want[1]:g}; it runs from {low} to {high}."
        + (f" {LIKELY_PREFIX}{hint}" if hint else "")
    )


def require_sliders(
    sliders: Sequence[Slider] | None,
    owner: str,
    names: Sequence[str],
    *,
    missing: str,
    misnamed: str,
    start: Sequence[float] | None = None,
    unstarted: str = "",
) -> None:
    """Fails unless ``owner`` has the sliders ``names`` (starting at ``start``), naming the misconception."""
    assert sliders is not None, f"{owner} has no sliders: it has no .widget. {LIKELY_PREFIX}{missing}"
    found = [s["description"] for s in sliders]
    assert found == list(names), (
        f"there should be {len(names)} sliders named {', '.join(names)}; found {found}. {LIKELY_PREFIX}{misnamed}"
    )
    starts = [s["value"].get("value") for s in sliders]
    if start is not None:
        right = all(isinstance(v, int | float) and abs(v - w) < 1e-9 for v, w in zip(starts, start, strict=True))
        assert right, f"the sliders should start at {list(start)}; they start at {starts}. {LIKELY_PREFIX}{unstarted}"


def require_title(ax: Axes, want: str, what: str, known: Mapping[str, str | None] = {}, why: str = "") -> None:
    """Fails unless the title of ``ax`` is ``want``, naming the misconception of a known wrong title (else ``why``)."""
    title = str(ax["title"])
    hint = known.get(title)
    assert title == want, f"{what}: the title should be {want!r}; it is {title[:60]!r}. " + (
        f"{LIKELY_PREFIX}{hint}" if hint else why or "No known mistake matches this title."
    )


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\r")


def snapshot(seen: Seen) -> Any:
    """What an action printed (lines) and drew (each axes' title and curves), as a person looking compares them."""
    lines = [ANSI.sub("", text).strip() for text in printed(seen)]
    drawn = [
        (str(ax["title"]), [np.round(np.asarray(ln["y"], dtype=float), 5).tolist() for ln in ax["lines"]])
        for ax in seen.get("axes", [])
    ]
    return [line for line in lines if line], drawn


def clear_of_rounding(value: float, decimals: int, margin: float = 0.02) -> bool:
    """Whether ``value`` is ``margin`` of a last digit away from a rounding tie at ``decimals`` decimals, so that
    computing it another way (float32 or float64, another formula) shows the same digits."""
    shifted = abs(value) * 10.0**decimals
    return abs(shifted - math.floor(shifted) - 0.5) > margin


def replaced(
    cases: Sequence[Sequence[float]],
    holds: Callable[[int, list[float]], bool],
    defaults: Sequence[float],
    names: Sequence[str],
    misconception: Misconception,
) -> str:
    """Which sliders (fewest first) explain every case if their ``defaults`` stood in for the values given.

    ``holds(i, values)`` tells whether case ``i``'s observation is what ``values`` give. The answer is
    ``misconception`` filled in with those sliders' ``names``, as a message names it ('' if none explain all).
    """
    for subset in (s for n in range(1, len(names) + 1) for s in itertools.combinations(range(len(names)), n)):
        if all(
            holds(i, [defaults[j] if j in subset else v for j, v in enumerate(case)]) for i, case in enumerate(cases)
        ):
            return misconception.fill(names=", ".join(names[j] for j in subset)).likely
    return ""


def require_printed(
    seen: Seen, want: Sequence[str], what: str, named: str, *, why: Callable[[list[str]], str], after: Misconception
) -> None:
    """Fails unless ``seen`` printed the lines ``want`` (``named`` in the message), in order, before drawing.

    ``why(lines)`` diagnoses lines that miss one (``after`` names printing after drawing).
    """
    lines = printed(seen)
    missing = next((line for line in want if line not in lines), None)
    if missing is not None:
        if "raised" in seen and not lines:
            reason = f"It raised {seen['raised']} before printing anything: {str(seen.get('message'))[:80]}."
        else:
            reason = why(lines) or NO_MATCH
        first = (lines or ["nothing"])[0][:100]
        raise Fail(f"{what} should print {named}, one per line, among them {missing!r}; it printed {first!r} instead. "
                   f"{reason}")  # fmt: skip
    order = [lines.index(line) for line in want]
    assert order == sorted(order), f"{what} should print {named} in order"
    drawn_before = [drawn for text, drawn in seen.get("printed", []) if text in want]
    assert all(drawn == 0 for drawn in drawn_before), f"{what} should print {named} before drawing. {after.likely}"


def follows_sliders(
    inputs: Moves,
    observed: SliderMoves,
    owner: str,
    names: Sequence[str],
    *,
    stale: Misconception,
    known: Mapping[str, str] = {},
) -> None:
    """Moving each slider shows what calling ``owner`` with the new values does, not an earlier call's output.

    ``stale`` names output that depends on earlier calls (calling again shows something else); ``known`` the
    misconceptions of what a direct call raised (see :func:`raised`).
    """
    for (index, value), seen in zip(inputs.moves, observed["moves"], strict=True):
        values = tuple(value if i == index else v for i, v in enumerate(inputs.start))
        moving = f"moving slider {names[int(index)]} to {value}"
        raised(seen["direct"], f"{moving} re-runs {owner}{values}, which", known)
        why = stale.likely if snapshot(seen["again"]) != snapshot(seen["direct"]) else NO_MATCH
        assert "printed" in seen["moved"] and snapshot(seen["moved"]) == snapshot(seen["direct"]), (
            f"after {moving}, the output should be what {owner}{values} prints and draws. {why}"
        )
