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


def qualified(fn: Any) -> str:
    """``module.name`` of a function, as an instructor finds it."""
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"


def first_line(fn: Any) -> str:
    doc = inspect.getdoc(fn) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def named_mistakes(fn: Any) -> list[str]:
    """The ``Likely mistake: ...`` texts written as whole string constants in ``fn``'s module or body."""
    import ast

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "Likely mistake: " in node.value:
            text = node.value.split("Likely mistake: ", 1)[1].strip()
            if text and text not in found:
                found.append(text)
    return found


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

    def describe(self) -> list[str]:
        """What this check checks, in lines an instructor reads in the cell's hidden-test block."""
        raise NotImplementedError

    def substitution_lines(self) -> list[str]:
        return [
            f"While it runs, {name} is the reference's {qualified(fn)} (its own cells have graded it already)."
            for name, fn in self.substitute.items()
        ]


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

    def describe(self) -> list[str]:
        uses = ", ".join(self.functions) or "nothing of the student's"
        lines = [f"A hand-written check of {uses}: the probe {qualified(self.probe)} observes it,"]
        lines.append(f"and {qualified(self.judge)} judges what it saw.")
        doc = first_line(self.judge)
        lines += [f"The judge: {doc}"] if doc else []
        lines += self.substitution_lines()
        names = named_mistakes(self.judge)
        lines += ["Misconceptions it can name:"] + [f"- {n}" for n in names] if names else []
        return lines


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

    def describe(self) -> list[str]:
        lines = [f"The submitted value {self.name} is judged by {qualified(self.check)} on the grader's own data."]
        doc = first_line(self.check)
        lines += [f"The rule: {doc}"] if doc else []
        lines += self.substitution_lines()
        return lines

    def verdict(self, inputs: Any, observed: Any) -> str | None:
        if not observed.get("defined"):
            return f"{self.name} is not defined"
        return self.check(plain(observed["value"]))
