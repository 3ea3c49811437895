"""What every assignment's hand-written checks share: misconceptions by key, typed inputs and observations.

A judge (see :func:`autograder.checks.api.check`) says why a cell fails with a
plain ``assert condition, "why"`` (or by returning the reason); the helpers of
:mod:`autograder.checks.figures` raise :class:`Fail`, an ``AssertionError``, with a readable message. Each
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

LIKELY_PREFIX = "Likely mistake: "
"""How a message names a misconception; the feedback and the reports find it by this prefix."""


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
        return f"{LIKELY_PREFIX}{self}"

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
        named = message.split(LIKELY_PREFIX, 1)[1] if LIKELY_PREFIX in message else message
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


# --- helpers for inputs --------------------------------------------------------------------------


def draw_slider_moves(
    start: list[float], fixed: list[list[float]], count: int, low: float, high: float
) -> Callable[[np.random.Generator], Moves]:
    """A slider check's inputs: from ``start``, the ``fixed`` moves ``[index, value]``, then ``count`` more to values
    drawn between ``low`` and ``high`` (one decimal; never where the slider already is, which would change nothing)."""

    def inputs(rng: np.random.Generator) -> Moves:
        found = list(fixed)
        while len(found) < len(fixed) + count:
            index, value = int(rng.integers(0, len(start))), round(float(rng.uniform(low, high)), 1)
            found += [[index, value]] if value != start[index] else []
        return Moves(start=start, moves=found)

    return inputs


def numbers_by_key(given: Any, name: str, keys: Sequence[str], sequence: Misconception) -> list[float] | str:
    """The numbers of the dict ``given`` (the student's ``name``) under ``keys``, in order, or why it is not such a
    dict (``sequence`` names the misconception of a list or tuple given instead)."""
    listed = ", ".join(keys)
    if not isinstance(given, dict):
        hint = f" {sequence.likely}" if isinstance(given, list | tuple) else ""
        return f"{name} should be a dict with the keys {listed}.{hint}"
    if sorted(map(str, given)) != sorted(keys):
        return f"{name} should have exactly the keys {listed}; it has {sorted(map(str, given))}"
    try:
        return [float(given[k]) for k in keys]
    except (TypeError, ValueError):
        return f"each value in {name} should be a number"


def draw(rng: np.random.Generator, count: int, scale: float = 2.0) -> list[float]:
    """``count`` normal numbers for this run, rounded to 4 decimals (readable in messages)."""
    return [round(float(v), 4) for v in rng.normal(scale=scale, size=count)]
