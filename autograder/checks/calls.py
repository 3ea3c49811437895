"""Checks that call the student's function and compare it with the reference (:func:`autograder.checks.api.compare`)."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from autograder.checks.authoring import LIKELY_PREFIX, shown
from autograder.checks.compare import Rules, difference, plain, without_grad
from autograder.checks.kinds import Call, Declared, qualified
from autograder.jail import probing

NO_MATCH = "No known mistake matches."


def probe_calls(fns: dict[str, Any], inputs: Any, P: Any) -> Any:
    return P.run_calls(fns, inputs)


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

    def describe(self) -> list[str]:
        import numpy as np

        drawn = len(list(self.draw(np.random.default_rng(0)))) if self.draw is not None else 0
        counts = [f"{n} {kind}" for n, kind in ((len(self.visible), "visible"), (len(self.cases), "fixed")) if n]
        counts += [f"{drawn} drawn from the course's secret"] if drawn else []
        total = len(self.visible) + len(self.cases) + drawn
        rules = self.rules
        form = [name for name, on in (("type", rules.check_type), ("dtype", rules.check_dtype)) if on]
        form += ["shape" if rules.check_shape else "shapes that broadcast"]
        lines = [
            f"Calls {self.function}({', '.join(self.parameter_names())}) on {total} cases ({', '.join(counts)}) and "
            f"compares each with the reference {qualified(self.reference)} on the same arguments:",
            f"{', '.join(form)} must match; values within atol={rules.atol:g}, rtol={rules.rtol:g}"
            + ("; only part of each result is compared (a key)" if self.key is not None else "")
            + (f"; the arguments afterwards within {self.args_atol:g}" if self.check_args else "")
            + ("; gradients (.grad) included" if self.check_grad else "")
            + ".",
        ]
        if self.visible:
            lines.append(
                "The visible test's calls come first: where the notebook's test passed but one of them fails here, "
                "the submission is flagged suspect."
            )
        lines += self.substitution_lines()
        named = [*self.mistakes, *self.raised.values(), *([self.changed] if self.changed else [])]
        if named or self.diagnose is not None:
            lines.append("Misconceptions it can name:")
            lines += [f"- {shown(line)}" for line in dict.fromkeys(named)]
            if self.diagnose is not None:
                lines.append(f"- and those {qualified(self.diagnose)} tells from the values returned.")
        return lines

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
                return f"leaves {name} wrong: afterwards {name} {found}"
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
            return f"{LIKELY_PREFIX}{self.changed}"
        if "raised" in seen:
            message = f"{seen['raised']}: {seen.get('message', '')}"
            for fragment, line in self.raised.items():
                if fragment in message:
                    return f"{LIKELY_PREFIX}{line}"
        if self.diagnose is not None and "returned" in seen:
            args = probing.decode(case["args"])
            named = self.diagnose(
                plain(seen["returned"]), plain(self.outcome(self.reference, case)["returned"]), Call(tuple(args))
            )
            if named:
                return f"{LIKELY_PREFIX}{named}"
        for line, variants in self.mistakes.items():
            for variant in variants if isinstance(variants, Sequence) else [variants]:
                if all(
                    self.difference(s, self.outcome(variant, c), c) is None
                    for c, s in zip(cases, observed, strict=True)
                ):
                    return f"{LIKELY_PREFIX}{line}"
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
