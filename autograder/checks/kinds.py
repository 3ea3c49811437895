"""The kinds of declared check: what every kind gives the plan (:class:`Declared`), and the simple ones.

:class:`Check` is the hand-written fallback (plots, sliders); :class:`Value` judges
a submitted value. :class:`~autograder.checks.calls.Compare` (calling a function)
is in :mod:`autograder.checks.calls`. Instructors declare them with the helpers of
:mod:`autograder.checks.api`.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from autograder.checks.compare import plain


@dataclass(frozen=True)
class Call:
    """One case: the positional and keyword arguments of one call."""

    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def reference_source(fn: Callable[..., Any]) -> str:
    return textwrap.dedent(inspect.getsource(fn))


class Declared:
    """What every kind of check gives the plan: its inputs, its probe and its judgement."""

    notebook: str
    grade_id: str
    substitute: Mapping[str, Callable[..., Any]]

    @property
    def uses(self) -> tuple[str, ...]:
        raise NotImplementedError

    @property
    def tested(self) -> str | None:
        """The student's function whose behaviour this check grades (None for plots, values)."""
        return None

    def draw_inputs(self, rng: Any) -> Any:
        raise NotImplementedError

    def probe_function(self) -> Callable[..., Any]:
        raise NotImplementedError

    def verdict(self, inputs: Any, observed: Any) -> str | None:
        """None if the cell passes, else why not."""
        raise NotImplementedError

    def contradicts(self, inputs: Any, observed: Any) -> bool:
        """Whether what failed includes what the cell's visible test tries (its failing there is no surprise)."""
        return False


@dataclass(frozen=True, eq=False)
class Check(Declared):
    """The fallback: a hand-written probe and judge (plots, sliders)."""

    notebook: str
    grade_id: str
    inputs: Callable[[Any], Any]
    """``inputs(rng: numpy.random.Generator)``: this run's cases, as plain data."""
    probe: Callable[[dict[str, Any], Any, Any], Any]
    """``probe(fns, inputs, P)``, run in the sandbox: self-contained (sent as source); ``fns`` holds ``uses``."""
    judge: Callable[[Any, Any], str | None]
    """``judge(inputs, observed)``: None if the cell passes, else why not."""
    functions: tuple[str, ...] = ()
    """The names of the student's functions the probe receives."""
    substitute: Mapping[str, Callable[..., Any]] = field(default_factory=dict)

    @property
    def uses(self) -> tuple[str, ...]:
        return self.functions

    def draw_inputs(self, rng: Any) -> Any:
        return self.inputs(rng)

    def probe_function(self) -> Callable[..., Any]:
        return self.probe

    def verdict(self, inputs: Any, observed: Any) -> str | None:
        return self.judge(inputs, observed)


def probe_value(fns: dict[str, Any], inputs: Any, P: Any) -> Any:
    return {"defined": fns.get(inputs["name"]) is not None, "value": P.describe(fns.get(inputs["name"]))}


@dataclass(frozen=True, eq=False)
class Value(Declared):
    """A value the student submitted, judged by ``check`` (see :func:`value`)."""

    notebook: str
    grade_id: str
    name: str
    check: Callable[[Any], str | None]
    substitute: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    visible: bool = False
    """The cell's visible test asserts what ``check`` does."""

    @property
    def uses(self) -> tuple[str, ...]:
        return (self.name,)

    def contradicts(self, inputs: Any, observed: Any) -> bool:
        return self.visible

    def draw_inputs(self, rng: Any) -> Any:
        return {"name": self.name}

    def probe_function(self) -> Callable[..., Any]:
        return probe_value

    def verdict(self, inputs: Any, observed: Any) -> str | None:
        if not observed.get("defined"):
            return f"{self.name} is not defined"
        return self.check(plain(observed["value"]))
