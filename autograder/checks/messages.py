"""Putting the grader's verdicts into the autograded notebook, where nbgrader and the feedback read them.

:class:`ShowVerdicts` runs after execution, just before scoring
(``c.Autograde.autograde_preprocessors``, before ``BatchedSaveAutoGrades``). For
each checked test cell whose verdict failed, it puts the grader's message first
among the cell's outputs, as an error: the cell then scores 0 in nbgrader's own
terms, the gradebook's message and the feedback page show why, in the words of
the check (``Likely mistake: ...`` included).

One case is left alone: the cell's own (visible) test passed in the student's
process while the grader found one of the very cases that test tries failing.
The test was fooled, so the scoring step flags the submission ``suspect``.
"""

from __future__ import annotations

from typing import Any

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils as nbgrader_utils
from traitlets import Bool

GRADER_CHECK = "GraderCheck"
"""The ``ename`` of the error output that carries the grader's message."""


def grader_output(reason: str) -> Any:
    return nbformat.v4.new_output(
        "error", ename=GRADER_CHECK, evalue=reason, traceback=[f"The grader's check of this cell failed: {reason}"]
    )


class ShowVerdicts(Preprocessor):
    """Each failing verdict becomes the first output of its cell (unless the cell's test was fooled)."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        verdicts = resources.get("verdicts") or {}
        if cell.cell_type != "code" or not nbgrader_utils.is_grade(cell) or nbgrader_utils.is_solution(cell):
            return cell, resources
        verdict = verdicts.get(cell.metadata["nbgrader"]["grade_id"])
        if verdict is None or verdict.passed:
            return cell, resources
        own, _ = nbgrader_utils.determine_grade(cell, self.log)
        if own and verdict.contradicts:
            return cell, resources
        cell.outputs.insert(0, grader_output(verdict.reason))
        return cell, resources
