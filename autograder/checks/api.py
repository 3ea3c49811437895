"""Declaring an assignment's checks: :func:`compare` and :func:`value` for common cells, :class:`Check` for the rest.

An assignment's checks module (``c.Grader.checks``) lists one declaration per
auto-graded test cell in ``CHECKS``, and may group grade ids into tasks for the
reports in ``TASKS``. For example::

    CHECKS = [
        compare(NB, "softmax_sums_to_one", function="softmax", reference=week4.softmax,
                visible=[call(torch.tensor([1.0, 2.0, 3.0]))],
                cases=[call(torch.zeros(4)), call(torch.tensor([1000.0, 0.0]))],
                draw=lambda rng: [call(torch.tensor(rng.normal(size=5), dtype=torch.float32))],
                mistakes={"exp was not divided by its sum.": week4_mistakes.unnormalised}),
        value(NB, "learning_rate_converges", name="chosen_lr", check=lambda lr: None if lr < 1 else "too big"),
    ]
    TASKS = {"4a": ("softmax_sums_to_one",), "4b": ("learning_rate_converges",)}

:func:`compare`: the grader calls the student's function by name, in the sandbox,
on the fixed ``cases`` and on those ``draw(rng)`` gives for this run; it runs
``reference`` here on the same arguments, and compares the results (type, shape,
dtype, values within ``atol``/``rtol``) and the arguments afterwards (a function
that should not change its arguments must not). The failure message names the
first case that differs and how; if a known wrong implementation in
``mistakes`` gives exactly what the student's gave on every case, it adds
``Likely mistake: <its line>``.

:func:`value`: a value the student submitted (a fitted parameter), judged by
``check(value)``, which returns why it fails (None if it passes).

:class:`Check`: inputs, a probe shipped as source into the sandbox (it receives
the student's functions named in ``uses``), a judge here. ``substitute``
(for every kind) swaps, while the probe runs, the student's version of a
function for the reference's, so that a slip in ``softmax`` costs points only
in ``softmax``'s own cells (a function is only swapped after its own checks ran).
"""

from __future__ import annotations

import inspect
import json
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from autograder.checks.compare import Rules, difference, plain, without_grad
from autograder.jail import probing
from autograder.jail.probing import Source

NO_MATCH = "No known mistake matches."


@dataclass(frozen=True)
class Call:
    """One case: the positional and keyword arguments of one call."""

    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def call(*args: Any, **kwargs: Any) -> Call:
    """A case for :func:`compare`: ``call(1.0, 2.0, torch.tensor([...]), lr=0.1)``."""
    return Call(args, kwargs)


def function(source: str, *, shown: str = "", **env: Any) -> Source:
    """A function argument (such as a loss), as source evaluated on both sides with ``torch``, ``np`` and ``env``.

    ``shown`` is how failure messages name it (for example ``quad_mae``).
    """
    return Source(source, env, shown)


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


def probe_calls(fns: dict[str, Any], inputs: Any, P: Any) -> Any:
    return P.run_calls(fns, inputs)


def probe_value(fns: dict[str, Any], inputs: Any, P: Any) -> Any:
    return {"defined": fns.get(inputs["name"]) is not None, "value": P.describe(fns.get(inputs["name"]))}


@dataclass(frozen=True, eq=False)
class Compare(Declared):
    """The student's ``function`` against ``reference`` on the same arguments (see :func:`compare`)."""

    notebook: str
    grade_id: str
    function: str
    reference: Callable[..., Any]
    cases: tuple[Call, ...] = ()
    draw: Callable[[Any], Iterable[Call]] | None = None
    rules: Rules = field(default_factory=Rules)
    check_args: bool = True
    check_grad: bool = False
    args_atol: float = 1e-5
    key: Callable[[Any], Any] | None = None
    mistakes: Mapping[str, Callable[..., Any] | Sequence[Callable[..., Any]]] = field(default_factory=dict)
    raised: Mapping[str, str] = field(default_factory=dict)
    changed: str = ""
    diagnose: Callable[[Any, Any, Call], str | None] | None = None
    substitute: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    visible: tuple[Call, ...] = ()
    visible_atol: float | None = None
    """How far the visible test lets a value be (when looser than ``rules``)."""
    _outcomes: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def uses(self) -> tuple[str, ...]:
        return (self.function,)

    @property
    def tested(self) -> str | None:
        return self.function

    def draw_inputs(self, rng: Any) -> Any:
        drawn = list(self.draw(rng)) if self.draw is not None else []
        cases = [c if isinstance(c, Call) else Call(tuple(c)) for c in [*self.visible, *self.cases, *drawn]]
        encoded = [{"args": probing.encode(list(c.args)), "kwargs": probing.encode(dict(c.kwargs))} for c in cases]
        return {"function": self.function, "cases": encoded, "visible": len(self.visible)}

    def contradicts(self, inputs: Any, observed: Any) -> bool:
        """Whether a visible case's result (not its arguments afterwards) differs from the reference's."""
        loose = self.rules if self.visible_atol is None else replace(self.rules, atol=self.visible_atol)
        strict = replace(self, check_args=False, rules=loose)
        pairs = list(zip(inputs["cases"], observed, strict=True))[: inputs.get("visible", 0)]
        return any(strict.difference(seen, self.outcome(self.reference, case), case) for case, seen in pairs)

    def probe_function(self) -> Callable[..., Any]:
        return probe_calls

    def outcome(self, fn: Callable[..., Any], case: dict[str, Any]) -> dict[str, Any]:
        """What ``fn`` (the reference or a known mistake, run here) does on one case (cached per run)."""
        key = f"{id(fn)}:{json.dumps(case, sort_keys=True)}"
        if key not in self._outcomes:
            self._outcomes[key] = probing.call_case(fn, case)
        return self._outcomes[key]

    def verdict(self, inputs: Any, observed: Any) -> str | None:
        if not isinstance(observed, list) or len(observed) != len(inputs["cases"]):
            return "the grader could not read what the code gave back"
        for case, seen in zip(inputs["cases"], observed, strict=True):
            problem = self.difference(seen, self.outcome(self.reference, case), case)
            if problem:
                return f"{self.label(case)} {problem}. {self.likely(inputs['cases'], observed, seen, case)}"
        return None

    def difference(self, seen: dict[str, Any], want: dict[str, Any], case: dict[str, Any]) -> str | None:
        """How one call's outcome differs from the reference's on the same case (None if it does not)."""
        if "raised" in seen or "raised" in want:
            if "raised" in seen and "raised" in want:
                return None if seen["raised"] == want["raised"] else f"raised {seen['raised']}"
            if "raised" in want:
                return f"should raise {want['raised']}"
            return f"raised {seen['raised']}: {str(seen.get('message', ''))[:200]}"
        got, ref = seen["returned"], want["returned"]
        if not self.check_grad:
            got, ref = without_grad(got), without_grad(ref)
        if self.key is None:
            found = difference(got, ref, self.rules)
        else:
            found = difference(got, ref, self.rules, values=False) or difference(
                probing.describe(self.key(plain(got))), probing.describe(self.key(plain(ref))), self.rules
            )
        if found or not self.check_args:
            return found
        return self.args_difference(seen, want)

    def args_difference(self, seen: dict[str, Any], want: dict[str, Any]) -> str | None:
        names = self.parameter_names()
        rules = Rules(atol=self.args_atol, rtol=self.args_atol)
        pairs = list(zip(names, seen.get("args_after", []), want["args_after"], strict=False))
        pairs += [(k, seen.get("kwargs_after", {}).get(k, {}), v) for k, v in want["kwargs_after"].items()]
        for name, got, ref in pairs:
            if not self.check_grad:
                got, ref = without_grad(got), without_grad(ref)
            found = difference(got, ref, rules)
            if found:
                return f"leaves {name} wrong afterwards: {name} {found}"
        return None

    def parameter_names(self) -> list[str]:
        return list(inspect.signature(self.reference).parameters)

    def label(self, case: dict[str, Any]) -> str:
        """The call as a student would write it: ``relu(1, 0, x)``, then what x was."""
        names, shown, notes = self.parameter_names(), [], []
        for i, arg in enumerate(case["args"]):
            name = names[i] if i < len(names) else f"argument {i + 1}"
            text, note = _show_argument(name, probing.decode(arg))
            shown.append(text)
            notes += [note] if note else []
        shown += [f"{k}={_show_argument(k, probing.decode(v))[0]}" for k, v in case["kwargs"]["dict"].items()]
        return f"{self.function}({', '.join(shown)})" + (f" with {'; '.join(notes)}" if notes else "")

    def likely(
        self, cases: list[dict[str, Any]], observed: list[dict[str, Any]], seen: dict[str, Any], case: dict[str, Any]
    ) -> str:
        """``Likely mistake: ...`` when a known mistake explains what the student's code did, else :data:`NO_MATCH`."""
        if self.changed and "returned" in seen and self.args_difference(seen, self.outcome(self.reference, case)):
            return f"Likely mistake: {self.changed}"
        if "raised" in seen:
            message = f"{seen['raised']}: {seen.get('message', '')}"
            for fragment, line in self.raised.items():
                if fragment in message:
                    return f"Likely mistake: {line}"
        if self.diagnose is not None and "returned" in seen:
            args = probing.decode(case["args"])
            named = self.diagnose(
                plain(seen["returned"]), plain(self.outcome(self.reference, case)["returned"]), Call(tuple(args))
            )
            if named:
                return f"Likely mistake: {named}"
        for line, variants in self.mistakes.items():
            for variant in variants if isinstance(variants, Sequence) else [variants]:
                if all(
                    self.difference(s, self.outcome(variant, c), c) is None
                    for c, s in zip(cases, observed, strict=True)
                ):
                    return f"Likely mistake: {line}"
        return NO_MATCH


def _show_argument(name: str, value: Any) -> tuple[str, str]:
    import torch

    if isinstance(value, torch.Tensor):
        if value.dim() == 0:
            return f"tensor({value.item():.4g})", ""
        if value.numel() <= 5:
            return f"tensor({[round(v, 4) for v in value.reshape(-1).tolist()]})", ""
        return name, f"{name} of shape {tuple(value.shape)} ({str(value.dtype).removeprefix('torch.')})"
    if isinstance(value, float):
        return f"{value:.4g}", ""
    if callable(value):
        return name, f"{name} = {value!r}"
    return repr(value), ""


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


def compare(
    notebook: str,
    grade_id: str,
    *,
    function: str,
    reference: Callable[..., Any],
    cases: Iterable[Call | tuple[Any, ...]] = (),
    draw: Callable[[Any], Iterable[Call]] | None = None,
    atol: float = 1e-5,
    rtol: float = 1e-5,
    check_type: bool = True,
    check_dtype: bool = True,
    check_shape: bool = True,
    check_args: bool = True,
    check_grad: bool = False,
    args_atol: float = 1e-5,
    key: Callable[[Any], Any] | None = None,
    mistakes: Mapping[str, Callable[..., Any] | Sequence[Callable[..., Any]]] | None = None,
    raised: Mapping[str, str] | None = None,
    changed: str = "",
    diagnose: Callable[[Any, Any, Call], str | None] | None = None,
    substitute: Mapping[str, Callable[..., Any]] | None = None,
    visible: Iterable[Call | tuple[Any, ...]] = (),
    visible_atol: float | None = None,
) -> Compare:
    """The student's ``function`` must do what ``reference`` does on every case (see the module docstring).

    ``key`` compares only part of each result (``key(result)``, on plain Python
    values) after the form (type, length, shape) of the whole; ``check_args``
    compares the arguments afterwards (``check_grad`` includes tensors' ``.grad``);
    ``mistakes`` maps a misconception to the known wrong function(s) that make it;
    ``raised`` maps part of an exception's message to the misconception it shows;
    ``changed`` is the misconception when the results are right but an argument is left changed;
    ``diagnose(got, want, case)`` may name one from the plain values. ``visible``
    lists the calls the cell's visible test makes (they are checked first, like
    ``cases``): a notebook whose test passed where one of them fails here is suspect
    (``visible_atol``: the visible test's own tolerance, if it is looser).
    """
    fixed = tuple(c if isinstance(c, Call) else Call(tuple(c)) for c in cases)
    shown = tuple(c if isinstance(c, Call) else Call(tuple(c)) for c in visible)
    rules = Rules(atol=atol, rtol=rtol, check_type=check_type, check_dtype=check_dtype, check_shape=check_shape)
    return Compare(
        notebook,
        grade_id,
        function,
        reference,
        cases=fixed,
        draw=draw,
        rules=rules,
        check_args=check_args,
        check_grad=check_grad,
        args_atol=args_atol,
        key=key,
        mistakes=dict(mistakes or {}),
        raised=dict(raised or {}),
        changed=changed,
        diagnose=diagnose,
        substitute=dict(substitute or {}),
        visible=shown,
        visible_atol=visible_atol,
    )


def value(
    notebook: str, grade_id: str, *, name: str, check: Callable[[Any], str | None], visible: bool = False
) -> Value:
    """The student's ``name`` (a value, not a function) must satisfy ``check(value) is None``.

    ``visible``: the cell's visible test asserts the same (so a failure here where it passed is suspect).
    """
    return Value(notebook, grade_id, name, check, visible=visible)
