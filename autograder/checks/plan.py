"""One run's plan: each declared check's inputs drawn from the run's seed, the probes to send, the verdicts.

The engine uses four names: :func:`load_checks` (an assignment's ``CHECKS``),
:func:`plan` (``plan(checks, seed) -> Plan``), :meth:`Plan.probes` (what the
sandbox runs before each graded cell) and :meth:`Plan.judge` (``{grade_id:
Verdict}`` from what the probes observed). Nothing here knows an assignment.
"""

from __future__ import annotations

import importlib
import inspect
import json
import secrets
import textwrap
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from autograder.checks.authoring import LIKELY_PREFIX
from autograder.checks.kinds import Declared, reference_source
from autograder.course import course_on_path
from autograder.errors import AutograderError
from autograder.jail.protocol import Probe

MAX_NODES = 2_000_000
MAX_DEPTH = 40


@dataclass(frozen=True)
class Verdict:
    """The grader's verdict on one graded test cell."""

    passed: bool
    reason: str = ""
    """Why it failed: the message the student sees."""
    contradicts: bool = False
    """A case the cell's visible test tries failed here too: if that test passed in the notebook, something lied."""
    misconception: str = ""
    """The misconception the check named (its ``Likely mistake: ...``), if any."""
    suspect: bool = False
    """Set when scored: the notebook's visible test passed where this verdict failed (it was fooled)."""

    @classmethod
    def failed(cls, reason: str, contradicts: bool = False) -> Verdict:
        named = reason.split(LIKELY_PREFIX, 1)[1].strip() if LIKELY_PREFIX in reason else ""
        return cls(False, reason, contradicts, misconception=named)


@dataclass
class Plan:
    """The checks of one assignment for one run: their inputs, and the probes to send with each notebook."""

    seed: int
    checks: dict[str, dict[str, Declared]] = field(default_factory=dict)
    """By notebook, then grade id, in the notebook's order."""
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    """Each probe's name and source, read once when the run starts."""
    substitutes: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    """By notebook, then grade id: the reference source of each function the check swaps in. Never in a probe:
    the grader sends them to the child only once it holds the observations of every earlier check."""
    root: Path | None = None
    """The course's root: its functions are digested into the checks' fingerprints (see :meth:`fingerprint`)."""
    fingerprints: dict[tuple[str, str], str] = field(default_factory=dict)

    def probes(self, notebook: str) -> list[Probe]:
        """What the child needs to probe ``notebook``: plain data, in the cells' order (the names of the functions
        a probe swaps references in for, never their sources)."""
        found = []
        for gid, check in self.checks.get(notebook, {}).items():
            name, source = self.sources[notebook][gid]
            envelope = {
                "uses": list(check.uses),
                "substitute": sorted(self.substitutes[notebook][gid]),
                "inputs": self.inputs[notebook][gid],
            }
            found.append(Probe(gid, name, source, envelope))
        return found

    def references(self, notebook: str) -> dict[str, dict[str, str]]:
        """The reference sources the probes of ``notebook`` swap in, by grade id (only those that swap any in)."""
        return {gid: dict(subs) for gid, subs in self.substitutes.get(notebook, {}).items() if subs}

    def fingerprint(self, notebook: str, grade_id: str) -> str:
        """What a grade records of the check that gave it (:mod:`autograder.checks.fingerprint`); "" if unchecked."""
        from autograder.checks.fingerprint import fingerprint

        check = self.checks.get(notebook, {}).get(grade_id)
        if check is None:
            return ""
        key = (notebook, grade_id)
        if key not in self.fingerprints:
            self.fingerprints[key] = fingerprint(
                check,
                self.inputs[notebook][grade_id],
                self.sources[notebook][grade_id],
                self.substitutes[notebook][grade_id],
                self.root or Path.cwd(),
            )
        return self.fingerprints[key]

    def judge(self, notebook: str, observations: Mapping[str, Any] | None) -> dict[str, Verdict]:
        """The verdict of every checked cell of ``notebook`` (a cell never probed fails)."""
        observations = observations or {}
        return {
            gid: judge_one(check, self.inputs[notebook][gid], observations.get(gid))
            for gid, check in self.checks.get(notebook, {}).items()
        }


def probe_source(probe: Callable[..., Any]) -> str:
    return textwrap.dedent(inspect.getsource(probe))


def judge_one(check: Declared, inputs: Any, observed: Any) -> Verdict:
    if observed is None:
        return Verdict.failed("the grader could not check this cell: the code did not reach it", True)
    problem = plain_data_problem(observed)
    if problem:
        return Verdict.failed(f"the grader could not read what the code gave back: {problem}")
    if isinstance(observed, dict) and "probe_failed" in observed:
        return Verdict.failed(f"the grader's check could not run: {observed['probe_failed']}", True)
    try:
        reason = check.verdict(inputs, observed)
        contradicts = reason is not None and check.contradicts(inputs, observed)
    except Exception as exc:  # an observation of the wrong shape: whatever it is, it is not a pass
        return Verdict.failed(f"the grader could not make sense of what the code gave back ({type(exc).__name__})")
    return Verdict(True) if reason is None else Verdict.failed(reason, contradicts)


def plain_data_problem(value: Any) -> str | None:
    """Why ``value`` is not plain JSON data of a sane size (None if it is)."""
    scalars = (type(None), bool, int, float, str)
    stack: list[tuple[Any, int]] = [(value, 0)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            return "nested too deeply"
        kind = type(item)
        if kind in scalars:
            pass
        elif kind is list or kind is dict:
            if kind is dict and not all(type(k) is str for k in item):
                return "a mapping with keys that are not text"
            if item and depth + 1 > MAX_DEPTH:
                return "nested too deeply"
            children = item if kind is list else item.values()
            plain = [v for v in children if type(v) not in scalars]  # numbers and text need no visit
            nodes += len(item) - len(plain)
            stack.extend((v, depth + 1) for v in plain)
        else:
            return f"a value of type {kind.__name__}"
        if nodes > MAX_NODES:
            return "too big"
    return None


def load_module(module_name: str, course_root: Path) -> ModuleType:
    """The assignment's checks module, imported with the course root first on the path."""
    try:
        with course_on_path(course_root, module_name):
            return importlib.import_module(module_name)
    except Exception as exc:
        raise AutograderError(f"cannot load the grader's checks {module_name!r}: {exc}") from None


def load_checks(module_name: str, course_root: Path) -> list[Declared]:
    """The ``CHECKS`` list of the module (see :mod:`autograder.checks.api`)."""
    checks = getattr(load_module(module_name, course_root), "CHECKS", None)
    if not isinstance(checks, list) or not all(isinstance(c, Declared) for c in checks):
        raise AutograderError(f"{module_name} should define CHECKS, a list of checks from autograder.checks.api")
    return checks


def load_tasks(module_name: str, course_root: Path) -> dict[str, tuple[str, ...]]:
    """The module's ``TASKS`` (``{task: grade ids}``, for the reports), or none."""
    tasks = getattr(load_module(module_name, course_root), "TASKS", {})
    return {str(task): tuple(gids) for task, gids in tasks.items()}


def _check_substitution_order(checks: list[Declared]) -> None:
    """A check may swap in the reference of a function only after that function's own checks have run."""
    for position, check in enumerate(checks):
        for name in check.substitute:
            later = [c.grade_id for c in checks[position:] if c.notebook == check.notebook and c.tested == name]
            if later:
                raise AutograderError(
                    f"the check {check.grade_id} substitutes {name}, whose own check {later[0]} comes after it"
                )


def plan(checks: list[Declared], seed: int | None = None, root: Path | None = None) -> Plan:
    """This run's plan: a seed (new unless given), and each check's inputs drawn from it (``root``: the course's)."""
    import numpy as np

    _check_substitution_order(checks)
    seed = secrets.randbits(32) if seed is None else seed
    result = Plan(seed=seed, root=root)
    for check in checks:
        nb, gid = check.notebook, check.grade_id
        rng = np.random.default_rng([seed, zlib.crc32(f"{nb}/{gid}".encode())])
        inputs = check.draw_inputs(rng)
        problem = plain_data_problem(inputs)
        if problem:
            raise AutograderError(f"the inputs of the check {gid} are not plain data: {problem}")
        result.checks.setdefault(nb, {})[gid] = check
        result.inputs.setdefault(nb, {})[gid] = json.loads(json.dumps(inputs))
        result.sources.setdefault(nb, {})[gid] = check.probe_code()
        subs = {name: reference_source(fn) for name, fn in check.substitute.items()}
        result.substitutes.setdefault(nb, {})[gid] = subs
    return result
