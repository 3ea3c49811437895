"""What every assignment's hand-written checks share: misconceptions by key, typed observations, plot helpers.

A judge (see :func:`autograder.checks.api.check`) says why a cell fails with a
plain ``assert condition, "why"`` (or by returning the reason); the helpers here
raise :class:`Fail`, an ``AssertionError``, with a readable message. Each
misconception is declared once, by key, in a :class:`Misconceptions`; the
checks' messages, the known-mistake catalogue and the feedback all use that key.
Nothing here knows an assignment.
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np

LIKELY = "Likely mistake: "


class Fail(AssertionError):
    """Why a judged cell fails (raised by the helpers below; a judge's own ``assert`` does the same)."""


class Misconception(str):
    """A misconception's text, which knows its ``key``; ``{name}`` fields make it a template (:meth:`fill`)."""

    key: str
    template: bool

    def __new__(cls, key: str, text: str, template: bool = False) -> Misconception:
        made = super().__new__(cls, text)
        made.key, made.template = key, template
        return made

    @property
    def likely(self) -> str:
        """How a message names it: ``Likely mistake: <text>``."""
        return f"{LIKELY}{self}"

    def fill(self, **fields: Any) -> Misconception:
        """The template with its fields filled in: still this misconception (the same key)."""
        return Misconception(self.key, str.format(self, **fields))

    def found_in(self, message: str) -> bool:
        """Whether ``message`` names this misconception (a template matches whatever fills its fields)."""
        if not self.template:
            return str(self) in message
        parts = [
            re.escape(text) + (".+?" if name is not None else "") for text, name, *_ in string.Formatter().parse(self)
        ]
        return re.search("".join(parts), message) is not None


def shown(text: str) -> str:
    """A misconception as a hidden-test block lists it: ``key: text``."""
    return f"{text.key}: {text}" if isinstance(text, Misconception) else text


def template(text: str) -> tuple[str, bool]:
    """A misconception with ``{fields}`` that each check fills in (``Misconceptions(key=template("..."))``)."""
    return (text, True)


class Misconceptions(Mapping[str, Misconception]):
    """An assignment's misconceptions, each declared once: ``LIKELY = Misconceptions(reversed="...", ...)``.

    ``LIKELY.reversed`` is the :class:`Misconception` (a ``str``) a check names.
    """

    def __init__(self, **texts: str | tuple[str, bool]) -> None:
        self._all = {
            key: Misconception(key, *(text if isinstance(text, tuple) else (text,))) for key, text in texts.items()
        }

    def __getattr__(self, key: str) -> Misconception:
        try:
            found: Misconception = self.__dict__["_all"][key]
            return found
        except KeyError:
            raise AttributeError(f"no misconception {key!r}") from None

    def __getitem__(self, key: str) -> Misconception:
        return self._all[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def key_of(self, message: str) -> str | None:
        """The key of the misconception ``message`` names (None if none)."""
        named = message.split(LIKELY, 1)[1] if LIKELY in message else message
        return next((key for key, m in self._all.items() if m.found_in(named)), None)


def notebook_of(depth: int) -> str:
    """The notebook a declaration belongs to: its module's ``NOTEBOOK``, else the module's own name."""
    caller = sys._getframe(depth + 1).f_globals
    return str(caller.get("NOTEBOOK") or str(caller.get("__name__", "")).rsplit(".", 1)[-1])


# --- typed inputs and observations (what the generic probes of autograder.checks.probes return) ---------


@dataclass(frozen=True)
class Cases:
    """A plot's cases: the argument lists it is called with."""

    cases: list[list[float]]


@dataclass(frozen=True)
class Moves:
    """Slider moves: from the sliders' ``start`` values, move slider ``index`` to ``value`` (``[index, value]``)."""

    start: list[float]
    moves: list[list[float]]


class Line(TypedDict):
    x: list[float]
    y: list[float]


class Axes(TypedDict):
    lines: list[Line]
    scatters: list[list[list[float]]]
    title: str
    ylim: list[float]


class Seen(TypedDict, total=False):
    """What one action did (:func:`autograder.jail.probing.observe`): printed lines with how much was drawn then."""

    raised: str
    message: str
    printed: list[list[Any]]
    axes: list[Axes]


class Slider(TypedDict):
    description: str
    value: dict[str, Any]


class Plots(TypedDict):
    sliders: list[Slider] | None
    plots: list[Seen]
    again: Seen | None


class Moved(TypedDict):
    direct: Seen
    again: Seen
    moved: Seen


class SliderMoves(TypedDict):
    sliders: list[Slider] | None
    moves: list[Moved]


def drawn_cases(
    fixed: list[list[float]], count: int, draw: Callable[[np.random.Generator], list[float]], keep: Any = None
) -> Callable[[np.random.Generator], Cases]:
    """A plot check's inputs: the ``fixed`` cases, then ``count`` more that ``draw(rng)`` gives and ``keep`` accepts."""

    def inputs(rng: np.random.Generator) -> Cases:
        found = list(fixed)
        while len(found) < len(fixed) + count:
            case = draw(rng)
            found += [case] if keep is None or keep(case) else []
        return Cases(found)

    return inputs


# --- helpers for judges -----------------------------------------------------------------------------


def draw(rng: np.random.Generator, count: int, scale: float = 2.0) -> list[float]:
    """``count`` normal numbers for this run, rounded to 4 decimals (readable in messages)."""
    return [round(float(v), 4) for v in rng.normal(scale=scale, size=count)]


def printed(seen: Seen) -> list[str]:
    return [str(text) for text, _ in seen.get("printed", [])]


def raised(seen: Seen, what: str, known: Mapping[str, str] = {}) -> None:
    """Fails if the action raised, naming the misconception of the first fragment of ``known`` its message has."""
    if "raised" in seen:
        hint = next((m for fragment, m in known.items() if fragment in str(seen.get("message"))), "")
        tail = f". {LIKELY}{hint}" if hint else f": {seen.get('message', '')}"
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
    why = next((f"{LIKELY}{m}" for m, pts in lookalikes.items() if scatters(ax, pts)), "")
    if not why:
        why = f"{LIKELY}{none}" if not ax["scatters"] else f"The points scattered are not {named}."
    raise Fail(f"{what} should scatter {named}. {why}")


def require_ylim(ax: Axes, want: tuple[float, float], what: str, lookalikes: Mapping[tuple[float, float], str]) -> None:
    """Fails unless the y axis of ``ax`` runs over ``want``, naming the misconception of a known wrong range."""
    low, high = (round(float(v), 6) for v in ax["ylim"])
    hint = lookalikes.get((low, high))
    assert (low, high) == tuple(want), (
        f"{what}: the y axis should run from {want[0]:g} to {want[1]:g}; it runs from {low} to {high}."
        + (f" {LIKELY}{hint}" if hint else "")
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
    assert sliders is not None, f"{owner} has no sliders: it has no .widget. {LIKELY}{missing}"
    found = [s["description"] for s in sliders]
    assert found == list(names), (
        f"there should be {len(names)} sliders named {', '.join(names)}; found {found}. {LIKELY}{misnamed}"
    )
    starts = [s["value"].get("value") for s in sliders]
    if start is not None:
        right = all(isinstance(v, int | float) and abs(v - w) < 1e-9 for v, w in zip(starts, start, strict=True))
        assert right, f"the sliders should start at {list(start)}; they start at {starts}. {LIKELY}{unstarted}"


def require_title(ax: Axes, want: str, what: str, known: Mapping[str, str | None] = {}, why: str = "") -> None:
    """Fails unless the title of ``ax`` is ``want``, naming the misconception of a known wrong title (else ``why``)."""
    title = str(ax["title"])
    hint = known.get(title)
    assert title == want, f"{what}: the title should be {want!r}; it is {title[:60]!r}. " + (
        f"{LIKELY}{hint}" if hint else why or "No known mistake matches this title."
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


def number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
