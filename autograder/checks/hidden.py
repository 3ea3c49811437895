"""Hidden-test blocks written from the checks' declarations, and what runs them in a plain kernel.

Every auto-graded test cell of an assignment with declared checks carries, in
``source/``, a block that :func:`block` writes from the cell's one declaration
(``autograder release`` rewrites them all, :func:`write_blocks`)::

    ### BEGIN HIDDEN TESTS
    # (what is checked: function, cases, tolerances, misconceptions)
    from autograder.checks.hidden import run_check
    run_check("week4", "softmax", "softmax_sums_to_one")
    ### END HIDDEN TESTS

nbgrader's ``generate_assignment`` strips it from ``release/``, as any hidden test.

* Under stock ``nbgrader autograde`` the block runs in the student's kernel:
  :func:`run_check` draws the same inputs (the assignment's secret), runs the
  same probe on the student's namespace, judges it with the same code and
  raises :class:`GraderCheck` with the grader's message. In the student's
  process, so as tamperable as stock nbgrader always was.
* The engine never runs it: :func:`without_blocks` cuts it from what goes into
  the sandbox, the probe runs where the block stood, and the grader's verdict,
  judged outside, stands in for it.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path
from typing import Any

from autograder.checks.kinds import Declared

BEGIN = "### BEGIN HIDDEN TESTS"
END = "### END HIDDEN TESTS"
BLOCK = re.compile(r"\n*[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.DOTALL)
WIDTH = 110


class GraderCheck(AssertionError):
    """The grader's check of a cell failed; its message is the grader's (the engine's output has this name too)."""


def block(check: Declared, assignment: str, module: str) -> str:
    """The hidden-test block of ``check``'s cell: what it checks, as comments, and the line that runs it."""
    lines = [BEGIN, f"# The grader's check of this cell, written from {module} by `autograder release`: do not edit."]
    for line in check.describe():
        wrapped = textwrap.wrap(line, WIDTH - 4, subsequent_indent="    ") or [""]
        lines += [f"# {part}" for part in wrapped]
    lines += [
        "from autograder.checks.hidden import run_check",
        f"run_check({assignment!r}, {check.notebook!r}, {check.grade_id!r})",
        END,
    ]
    return "\n".join(lines)


def without_blocks(source: str) -> str:
    """``source`` with every hidden-test block cut out (what the student's process may run)."""
    return BLOCK.sub("\n", source).rstrip("\n") if BEGIN in source else source


def with_block(source: str, text: str) -> str:
    """``source`` with its hidden-test block replaced by ``text`` (added at the end if it had none)."""
    return f"{without_blocks(source).rstrip()}\n\n{text}"


def for_sandbox(nb: dict[str, Any]) -> dict[str, Any]:
    """A copy of the notebook (nbformat JSON) to execute: code cells without hidden-test blocks."""
    cells = []
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        cells.append({**cell, "source": without_blocks(source)} if cell.get("cell_type") == "code" else cell)
    return {**nb, "cells": cells}


def write_blocks(source_dir: Path, checks: list[Declared], assignment: str, module: str) -> list[str]:
    """Rewrite the hidden-test block of every checked cell of ``source_dir``'s notebooks; the notebooks changed.

    A check whose grade id is in no notebook, or is not a test cell, is an error: the declaration
    and the notebook must agree.
    """
    from autograder import notebooks
    from autograder.errors import AutograderError

    by_notebook: dict[str, dict[str, Declared]] = {}
    for check in checks:
        by_notebook.setdefault(check.notebook, {})[check.grade_id] = check
    changed = []
    for name, declared in by_notebook.items():
        path = source_dir / f"{name}.ipynb"
        if not path.is_file():
            raise AutograderError(f"the checks of {module} name {name}.ipynb, which is not in {source_dir}")
        nb = notebooks.read(path)
        cells = notebooks.grade_cells(nb)
        edited = False
        for gid, check in declared.items():
            cell = cells.get(gid)
            meta = cell.metadata.get("nbgrader", {}) if cell is not None else {}
            if cell is None or cell.cell_type != "code" or meta.get("solution") or not meta.get("grade"):
                raise AutograderError(f"{module} checks {name}/{gid}, which is not a test cell of {path.name}")
            new = with_block(cell.source, block(check, assignment, module))
            if new != cell.source:
                cell.source, edited = new, True
        if edited:
            notebooks.write(nb, path)
            changed.append(name)
    return changed


# --- in the kernel, under stock nbgrader -------------------------------------------------------------

_PLANS: dict[tuple[str, str, int], Any] = {}


def course_root(start: Path) -> Path:
    """The course root above a notebook's folder: the nearest ancestor with ``nbgrader_config.py``.

    The search starts above ``start`` (the folder the student's files were copied into), so a
    ``nbgrader_config.py`` of the submission's own is never taken for the course's.
    """
    from autograder.course import CONFIG_FILE
    from autograder.errors import AutograderError

    for folder in start.resolve().parents:
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise AutograderError(f"no {CONFIG_FILE} above {start}: the grader's checks need the course")


def run_check(assignment: str, notebook: str, grade_id: str) -> None:
    """Run the grader's check of one cell here, on the caller's namespace; raise :class:`GraderCheck` if it fails."""
    from autograder import settings
    from autograder.checks import plan as planning
    from autograder.course import Course
    from autograder.engine import seeds
    from autograder.jail.probing import run_probe

    course = Course.load(course_root(Path.cwd()))
    grader, limits = settings.load(course.config)
    module = grader.checks.get(assignment)
    if not module:
        raise GraderCheck(f"c.Grader.checks names no checks for {assignment}")
    seed = seeds.inputs_seed(course, assignment)
    key = (str(course.root), module, seed)
    if key not in _PLANS:
        _PLANS[key] = planning.plan(planning.load_checks(module, course.root), seed)
    plan = _PLANS[key]
    probe = next((p for p in plan.probes(notebook) if p.grade_id == grade_id), None)
    if probe is None:
        raise GraderCheck(f"{module} declares no check of {notebook}/{grade_id}")
    namespace = _student_namespace()
    spec = {"grade_id": probe.grade_id, "name": probe.name, "source": probe.source, "inputs": probe.inputs}
    observed = run_probe(spec, namespace, limits.cell_timeout)
    verdict = planning.judge_one(plan.checks[notebook][grade_id], plan.inputs[notebook][grade_id], observed)
    if not verdict.passed:
        raise GraderCheck(verdict.reason)


def _student_namespace() -> dict[str, Any]:
    """The kernel's user namespace (the notebook's globals)."""
    shell = sys.modules.get("IPython")
    ip = shell.get_ipython() if shell is not None else None
    if ip is not None:
        return ip.user_ns  # type: ignore[no-any-return]
    return sys._getframe(2).f_globals
