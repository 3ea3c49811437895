"""The kinds of declared check: what every kind gives the plan (:class:`Declared`), and the simple ones.

:class:`Check` is the hand-written fallback (plots, sliders); :class:`Value` judges
a submitted value. :class:`~autograder.checks.calls.Compare` (calling a function)
is in :mod:`autograder.checks.calls`. Instructors declare them with the helpers of
:mod:`autograder.checks.api`.
"""

from __future__ import annotations

import dataclasses
import inspect
import textwrap
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from autograder.checks.authoring import LIKELY_PREFIX, Misconceptions, shown
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
    """The misconceptions ``fn``'s body names: ``LIKELY.key`` of a :class:`Misconceptions` it sees, as ``key: text``,
    and ``Likely mistake: ...`` texts written as whole string constants."""
    import ast

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return []
    scope = getattr(fn, "__globals__", {})
    found: list[str] = []
    for node in ast.walk(tree):
        text = ""
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            known = scope.get(node.value.id)
            if isinstance(known, Misconceptions) and node.attr in known:
                text = shown(known[node.attr])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and LIKELY_PREFIX in node.value:
            text = node.value.split(LIKELY_PREFIX, 1)[1].strip()
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

    def probe_code(self) -> tuple[str, str]:
        """What the sandbox runs: the probe's name and its source (the wire format of a probe spec)."""
        probe = self.probe_function()
        return probe.__name__, textwrap.dedent(inspect.getsource(probe))

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


@dataclass(frozen=True, eq=False, kw_only=True)
class Check(Declared):
    """The fallback: a hand-written probe and judge (plots, sliders); see :func:`autograder.checks.api.check`."""

    notebook: str
    grade_id: str
    inputs: Callable[[Any], Any]
    """``inputs(rng: numpy.random.Generator)``: this run's cases, a dataclass of plain data (or plain data)."""
    probe: Callable[..., Any]
    """``probe(*functions, inputs, P)``, run in the sandbox: self-contained (sent as source)."""
    judge: Callable[[Any, Any], str | None]
    """``judge(inputs, observed)``: None (or no ``assert`` failing) if the cell passes, else why not."""
    functions: tuple[str, ...] = ()
    """The names of the student's functions the probe receives, in the order of its parameters."""
    substitute: Mapping[str, Callable[..., Any]] = field(default_factory=dict)

    @property
    def uses(self) -> tuple[str, ...]:
        return self.functions

    def inputs_type(self) -> type | None:
        """The dataclass ``inputs`` returns (from its annotation), which the judge receives."""
        hint = typing.get_type_hints(self.inputs).get("return")
        return hint if dataclasses.is_dataclass(hint) and isinstance(hint, type) else None

    def draw_inputs(self, rng: Any) -> Any:
        drawn = self.inputs(rng)
        return dataclasses.asdict(drawn) if dataclasses.is_dataclass(drawn) and not isinstance(drawn, type) else drawn

    def probe_function(self) -> Callable[..., Any]:
        return self.probe

    def probe_code(self) -> tuple[str, str]:
        """The probe's source, and a wrapper that gives it the student's functions and its inputs as attributes."""
        name, source = super().probe_code()
        wrapper = f"""

def autograder_typed_probe(fns, inputs, P):
    import types

    given = types.SimpleNamespace(**inputs) if isinstance(inputs, dict) else inputs
    return {name}(*[fns.get(n) for n in {list(self.functions)!r}], given, P)
"""
        return "autograder_typed_probe", source + wrapper

    def verdict(self, inputs: Any, observed: Any) -> str | None:
        kind = self.inputs_type()
        try:
            return self.judge(kind(**inputs) if kind is not None else inputs, observed)
        except AssertionError as exc:
            return str(exc) or f"{qualified(self.judge)} failed"

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
