"""Scoring by the grader's verdicts: nbgrader's ``SaveAutoGrades``, one commit per notebook; and nbgrader's
``AssignLatePenalties``.

Both ``autograder grade`` (:mod:`autograder.engine.finalize`) and ``nbgrader
autograde`` (after :class:`~autograder.plugins.execute.SandboxedExecute`) run them,
from ``Autograde.autograde_preprocessors``. Each opens the gradebook it is given
(:meth:`NotebookGradebook.of`): during ``autograder grade``, the engine's open batch.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from nbgrader import utils as nbgrader_utils
from nbgrader.preprocessors import AssignLatePenalties as NbgraderAssignLatePenalties
from nbgrader.preprocessors import SaveAutoGrades

from autograder.checks.messages import grader_output
from autograder.plugins.lookups import NotebookGradebook


class BatchedSaveAutoGrades(SaveAutoGrades):  # type: ignore[misc]
    """nbgrader's SaveAutoGrades, committing once per notebook instead of once per cell, finding the
    notebook's grades and comments with one query each (:class:`NotebookGradebook`).

    A test cell the grader checked itself (``resources["verdicts"]``) scores
    as stock nbgrader scores it with its hidden-test block: full marks only if
    its visible test passed and the grader's verdict passed. Where the visible
    test passed a case the grader saw fail (it was fooled), the cell gets one
    more output saying so and its verdict is marked ``suspect``.
    """

    def _add_score(self, cell: Any, resources: Any) -> None:
        gid = cell.metadata["nbgrader"]["grade_id"]
        grade = self.gradebook.find_grade(gid, self.notebook_id, self.assignment_id, self.student_id)
        own, _ = nbgrader_utils.determine_grade(cell, self.log)
        verdict = resources.get("verdicts", {}).get(gid)
        if verdict is not None and cell.cell_type == "code" and not nbgrader_utils.is_solution(cell):
            if own and not verdict.passed:  # ShowVerdicts left the message out: the visible test was fooled
                resources["verdicts"][gid] = replace(verdict, suspect=True)
                cell.outputs.append(grader_output(verdict.reason))
            own = grade.max_score if verdict.passed and own == grade.max_score else 0.0
        grade.auto_score = own
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None

    def preprocess(self, nb: Any, resources: Any) -> Any:
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        self.student_id, self.db_url = info["student"], info["db_url"]
        self.gradebook = NotebookGradebook.of(resources)
        with self.gradebook:
            session = self.gradebook.db
            commit = session.commit
            session.commit = lambda: None
            try:
                nb, resources = super(SaveAutoGrades, self).preprocess(nb, resources)
            finally:
                session.commit = commit
            session.commit()
        return nb, resources


class AssignLatePenalties(NbgraderAssignLatePenalties):  # type: ignore[misc]
    """nbgrader's ``AssignLatePenalties`` (its plugin, ``c.AssignLatePenalties.plugin_class``, its bounds on the
    penalty and its messages), on the gradebook the step is given (:meth:`NotebookGradebook.of`)."""

    def preprocess(self, nb: Any, resources: Any) -> Any:
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        self.student_id, self.db_url = info["student"], info["db_url"]
        self.init_plugin()
        self.gradebook = NotebookGradebook.of(resources)
        with self.gradebook:
            nb, resources = super(NbgraderAssignLatePenalties, self).preprocess(nb, resources)  # each cell, as is
            submission = self.gradebook.find_submission(self.assignment_id, self.student_id)
            notebook = self.gradebook.find_submission_notebook(self.notebook_id, self.assignment_id, self.student_id)
            notebook.late_submission_penalty = None  # no penalty unless this grading finds one
            late = submission.total_seconds_late
            if late > 0:
                self.log.warning("%s is %s seconds late", submission, late)
                penalty = self.plugin_inst.late_submission_penalty(self.student_id, notebook.score, late)
                self.log.warning("Late submission penalty: %s", penalty)
                if penalty is not None:
                    notebook.late_submission_penalty = self._check_late_penalty(notebook, penalty)
            self.gradebook.db.commit()
        return nb, resources
