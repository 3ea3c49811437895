"""Hidden-test blocks written from the checks' declarations, and what runs them in a plain kernel.

Every auto-graded test cell of an assignment with declared checks carries, in
``source/``, a block that :func:`block` writes from the cell's one declaration
(``autograder release`` rewrites them all, :func:`write_blocks`)::

    ### BEGIN HIDDEN TESTS
    # (what is checked: function, cases, tolerances, misconceptions)
    from autograder.plugins.hidden_tests import run_check
    run_check("week4", "softmax", "softmax_sums_to_one")
    ### END HIDDEN TESTS

nbgrader's ``generate_assignment`` strips it from ``release/``, as any hidden test.

* Under stock ``nbgrader autograde`` the block runs in the student's kernel:
  :func:`autograder.plugins.hidden_tests.run_check` draws the same inputs (the assignment's secret), runs the
  same probe on the student's namespace, judges it with the same code and
  raises :class:`GraderCheck` with the grader's message. In the student's
  process, so as tamperable as stock nbgrader always was.
* The engine never runs it: :func:`without_blocks` cuts it from what goes into
  the sandbox, the probe runs where the block stood, and the grader's verdict,
  judged outside, stands in for it.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Collection
from pathlib import Path
from typing import Any

from autograder.checks.kinds import Declared

BEGIN = "### BEGIN HIDDEN TESTS"
END = "### END HIDDEN TESTS"
BLOCK = re.compile(r"\n*[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.DOTALL)
WIDTH = 110
RUNNER = "autograder.plugins.hidden_tests"
"""The module whose ``run_check`` a block calls (stock nbgrader's side, not the engine's)."""


class GraderCheck(AssertionError):
    """The grader's check of a cell failed; its message is the grader's (the engine's output has this name too)."""


def block(check: Declared, assignment: str, module: str) -> str:
    """The hidden-test block of ``check``'s cell: what it checks, as comments, and the line that runs it."""
    lines = [BEGIN, f"# The grader's check of this cell, written from {module} by `autograder release`: do not edit."]
    for line in check.describe():
        wrapped = textwrap.wrap(line, WIDTH - 4, subsequent_indent="    ") or [""]
        lines += [f"# {part}" for part in wrapped]
    lines += [
        f"from {RUNNER} import run_check",
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


def for_sandbox(nb: dict[str, Any], checked: Collection[str]) -> dict[str, Any]:
    """A copy of the notebook (nbformat JSON) to execute: the cells the grader checks (``checked`` grade ids)
    without their hidden-test blocks, since the grader's verdicts stand in for them. Other hidden tests (an
    assignment without declared checks, as nbgrader's own examples) stay and run, as under stock nbgrader."""
    cells = []
    for cell in nb.get("cells", []):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.get("cell_type") == "code" and gid in checked:
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            cell = {**cell, "source": without_blocks(source)}
        cells.append(cell)
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
