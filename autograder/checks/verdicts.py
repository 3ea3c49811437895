"""The grader's own verdicts: inputs chosen at grading time, observations as plain data, judged here.

An assignment's checks live in a module named by ``c.Grader.checks`` (for
Week 3, :mod:`solutions.week3_checks`). Each :class:`Check` belongs to one
graded test cell and has three parts:

* ``inputs(rng)``, run here: the cases for this run (plain data), drawn from
  a generator seeded per run and per cell, so a run can be reproduced from
  its seed (recorded with every submission);
* ``probe(ns, inputs, P)``, shipped as source into the student's (sandboxed)
  process and run just before the cell (see :mod:`autograder.jail.probing`, the
  ``P`` it gets): calls the student's functions and returns what they did;
* ``judge(inputs, observed)``, run here with the reference implementations
  and the grader's own copy of the data: ``None`` when the cell passes, else
  a one-line reason.

The gradebook score of a checked cell is the judge's verdict. The cell's own
output (the student-visible test) is kept for feedback.
"""

from __future__ import annotations

import importlib
import inspect
import json
import secrets
import sys
import textwrap
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from autograder.errors import AutograderError
from autograder.jail.protocol import Probe

Observation = Any
Judge = Callable[[Any, Observation], "str | None"]

MAX_NODES = 2_000_000
MAX_DEPTH = 40


@dataclass(frozen=True)
class Check:
    """The grader's check of one graded test cell."""

    notebook: str
    grade_id: str
    inputs: Callable[[Any], Any]
    """``inputs(rng: numpy.random.Generator)``: this run's cases, as plain data."""
    probe: Callable[[dict[str, Any], Any, ModuleType], Any]
    """Runs in the student's process; must be a self-contained top-level function (it is sent as source)."""
    judge: Judge
    """``judge(inputs, observed)``: None if the cell passes, else why not (one line)."""


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str = ""


@dataclass
class Plan:
    """The checks of one assignment for one run: their inputs, and the probes to send with each notebook."""

    seed: int
    checks: dict[str, dict[str, Check]] = field(default_factory=dict)
    """By notebook, then grade id, in the notebook's order."""
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, dict[str, str]] = field(default_factory=dict)
    """Each probe's source, read once when the run starts."""

    def probes(self, notebook: str) -> list[Probe]:
        """What the child needs to probe ``notebook``: plain data, in the cells' order."""
        return [
            Probe(gid, check.probe.__name__, self.sources[notebook][gid], self.inputs[notebook][gid])
            for gid, check in self.checks.get(notebook, {}).items()
        ]

    def judge(self, notebook: str, observations: Mapping[str, Any] | None) -> dict[str, Verdict]:
        """The verdict of every checked cell of ``notebook`` (a cell never probed fails)."""
        observations = observations or {}
        verdicts = {}
        for gid, check in self.checks.get(notebook, {}).items():
            verdicts[gid] = judge_one(check, self.inputs[notebook][gid], observations.get(gid))
        return verdicts


def probe_source(probe: Callable[..., Any]) -> str:
    return textwrap.dedent(inspect.getsource(probe))


def judge_one(check: Check, inputs: Any, observed: Any) -> Verdict:
    if observed is None:
        return Verdict(False, "the grader could not check this cell: the code did not reach it")
    problem = plain_data_problem(observed)
    if problem:
        return Verdict(False, f"the grader could not read what the code gave back: {problem}")
    if isinstance(observed, dict) and "probe_failed" in observed:
        return Verdict(False, f"the grader's check could not run: {observed['probe_failed']}")
    try:
        reason = check.judge(inputs, observed)
    except Exception as exc:  # an observation of the wrong shape: whatever it is, it is not a pass
        return Verdict(False, f"the grader could not make sense of what the code gave back ({type(exc).__name__})")
    return Verdict(reason is None, reason or "")


def plain_data_problem(value: Any) -> str | None:
    """Why ``value`` is not plain JSON data of a sane size (None if it is)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return "too big"
        if depth > MAX_DEPTH:
            return "nested too deeply"
        if item is None or type(item) in (bool, int, float, str):
            continue
        if type(item) is list:
            stack.extend((v, depth + 1) for v in item)
        elif type(item) is dict:
            if not all(type(k) is str for k in item):
                return "a mapping with keys that are not text"
            stack.extend((v, depth + 1) for v in item.values())
        else:
            return f"a value of type {type(item).__name__}"
    return None


def load_checks(module_name: str, course_root: Path) -> list[Check]:
    """The ``CHECKS`` list of the module (imported with the course root first on the path)."""
    root = str(course_root)
    added = root not in sys.path
    if added:
        sys.path.insert(0, root)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise AutograderError(f"cannot load the grader's checks {module_name!r}: {exc}") from None
    finally:
        if added:
            sys.path.remove(root)
    checks = getattr(module, "CHECKS", None)
    if not isinstance(checks, list) or not all(isinstance(c, Check) for c in checks):
        raise AutograderError(f"{module_name} should define CHECKS, a list of autograder.checks.verdicts.Check")
    return checks


def plan(checks: list[Check], seed: int | None = None) -> Plan:
    """This run's plan: a seed (new unless given), and each check's inputs drawn from it."""
    import numpy as np

    seed = secrets.randbits(32) if seed is None else seed
    result = Plan(seed=seed)
    for check in checks:
        rng = np.random.default_rng([seed, zlib.crc32(f"{check.notebook}/{check.grade_id}".encode())])
        inputs = check.inputs(rng)
        problem = plain_data_problem(inputs)
        if problem:
            raise AutograderError(f"the inputs of the check {check.grade_id} are not plain data: {problem}")
        result.checks.setdefault(check.notebook, {})[check.grade_id] = check
        result.inputs.setdefault(check.notebook, {})[check.grade_id] = json.loads(json.dumps(inputs))
        result.sources.setdefault(check.notebook, {})[check.grade_id] = probe_source(check.probe)
    return result
