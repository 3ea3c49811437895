"""What a hidden-test block runs under stock nbgrader: the grader's check of one cell, in the student's kernel.

Each block that :func:`autograder.checks.hidden.block` writes ends with
``run_check(assignment, notebook, grade_id)``. Under stock ``nbgrader
autograde`` (nbgrader's own ``Execute``, a kernel per notebook) it runs there:
the course found above the notebook's folder, its config, the assignment's plan
(:func:`autograder.engine.seeds.assignment_plan`: the same secret, so the same
inputs as ``autograder grade``), the same probe on the kernel's namespace, the
same judge. A failing verdict raises :class:`~autograder.checks.hidden.GraderCheck`
with the engine's message, so the cell scores 0 with the same words.

This is as tamperable as stock nbgrader always was: the student's code shares
the process. The engine never runs it (it cuts the block before the sandbox).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from autograder import settings
from autograder.checks.hidden import GraderCheck
from autograder.checks.plan import judge_one
from autograder.course import CONFIG_FILE, Course
from autograder.engine.seeds import assignment_plan
from autograder.errors import AutograderError
from autograder.jail.probing import run_probe


def course_root(start: Path) -> Path:
    """The course root above a notebook's folder: the nearest ancestor with ``nbgrader_config.py``.

    The search starts above ``start`` (the folder the student's files were copied into), so a
    ``nbgrader_config.py`` of the submission's own is never taken for the course's.
    """
    for folder in start.resolve().parents:
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise AutograderError(f"no {CONFIG_FILE} above {start}: the grader's checks need the course")


def run_check(assignment: str, notebook: str, grade_id: str) -> None:
    """Run the grader's check of one cell here, on the kernel's namespace; raise ``GraderCheck`` if it fails."""
    course = Course.load(course_root(Path.cwd()))
    _, limits = settings.load(course.config)
    plan = assignment_plan(course, assignment)
    if plan is None:
        raise GraderCheck(f"c.Grader.checks names no checks for {assignment}")
    probe = next((p for p in plan.probes(notebook) if p.grade_id == grade_id), None)
    if probe is None:
        raise GraderCheck(f"the checks of {assignment} declare none of {notebook}/{grade_id}")
    spec = {"grade_id": probe.grade_id, "name": probe.name, "source": probe.source, "inputs": probe.inputs}
    references = plan.references(notebook)
    observed = run_probe(spec, _kernel_namespace(), limits.cell_timeout, lambda gid: references.get(gid, {}))
    verdict = judge_one(plan.checks[notebook][grade_id], plan.inputs[notebook][grade_id], observed)
    if not verdict.passed:
        raise GraderCheck(verdict.reason)


def _kernel_namespace() -> dict[str, Any]:
    """The kernel's user namespace (the notebook's globals), else the caller's globals."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        return shell.user_ns  # type: ignore[no-any-return]
    return sys._getframe(2).f_globals
