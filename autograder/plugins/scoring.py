"""Scoring by the grader's verdicts: nbgrader's ``SaveAutoGrades``, one commit per notebook.

Both ``autograder grade`` (:mod:`autograder.engine.finalize`) and ``nbgrader
autograde`` (after :class:`~autograder.plugins.execute.SandboxedExecute`) run it,
from ``Autograde.autograde_preprocessors``.
"""

from __future__ import annotations

from typing import Any

import nbformat
from nbgrader import utils as nbgrader_utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades


class BatchedSaveAutoGrades(SaveAutoGrades):  # type: ignore[misc]
    """nbgrader's SaveAutoGrades, committing once per notebook instead of once per cell.

    A test cell the grader checked itself (``resources["verdicts"]``) scores
    by that verdict, not by its output. Where the two disagree, the cell gets
    one more output saying so (the feedback shows it), and the grade id goes
    into ``resources["disagreements"]``.
    """

    def _add_score(self, cell: Any, resources: Any) -> None:
        gid = cell.metadata["nbgrader"]["grade_id"]
        grade = self.gradebook.find_grade(gid, self.notebook_id, self.assignment_id, self.student_id)
        own, _ = nbgrader_utils.determine_grade(cell, self.log)
        verdict = resources.get("verdicts", {}).get(gid)
        if verdict is not None and cell.cell_type == "code" and not nbgrader_utils.is_solution(cell):
            if own and not verdict.passed:
                resources.setdefault("disagreements", []).append(gid)
                cell.outputs.append(
                    nbformat.v4.new_output(
                        "error",
                        ename="GraderCheck",
                        evalue=verdict.reason,
                        traceback=[f"The grader's own check of this cell failed: {verdict.reason}"],
                    )
                )
            elif verdict.passed and own != grade.max_score:
                note = "The grader's own check of this cell passed; its score counts, not the error above.\n"
                cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=note))
            own = grade.max_score if verdict.passed else 0.0
        grade.auto_score = own
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None

    def preprocess(self, nb: Any, resources: Any) -> Any:
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        self.student_id, self.db_url = info["student"], info["db_url"]
        self.gradebook = Gradebook(self.db_url)
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
