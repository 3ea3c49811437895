"""A gradebook that answers nbgrader's per-cell lookups of one notebook from one query each.

nbgrader's preprocessors look cells up one at a time: ``OverwriteCells`` asks for
each cell's source cell and graded cell, ``SaveAutoGrades`` for each cell's grade
and comment, every lookup a query of two to six joins. :class:`NotebookGradebook`
loads, on the first lookup of a kind, every row of that kind in the notebook,
keyed by cell name, and answers the later lookups from it. The rows are the
session's own objects, so what a preprocessor changes in them is committed as
before; a name that is not among them (a cell the gradebook does not know) goes to
nbgrader's own lookup, which raises nbgrader's ``MissingEntry``.
"""

from __future__ import annotations

from typing import Any

from nbgrader.api import (
    Assignment,
    BaseCell,
    Comment,
    Grade,
    Gradebook,
    GradeCell,
    Notebook,
    SourceCell,
    SubmittedAssignment,
    SubmittedNotebook,
    TaskCell,
)

from autograder.engine.batch import RESOURCE, Batch


class NotebookGradebook(Gradebook):  # type: ignore[misc]
    """nbgrader's ``Gradebook``, finding source cells, graded cells, grades and comments by notebook."""

    def __init__(self, db_url: str, *args: Any, batch: Batch | None = None, **kwargs: Any) -> None:
        """On ``batch``'s connection, without nbgrader's set-up, when a batch is open (during ``autograder
        grade``); else nbgrader's own ``Gradebook(db_url, ...)``."""
        self._loaded: dict[tuple[Any, ...], dict[str, Any]] = {}
        if batch is not None:
            batch.adopt(self)
        else:
            super().__init__(db_url, *args, **kwargs)

    @classmethod
    def of(cls, resources: Any) -> NotebookGradebook:
        """The gradebook a preprocessor opens for the notebook its ``resources`` describe: ``db_url``'s, on the
        engine's open batch when ``resources`` carry one (:data:`autograder.engine.batch.RESOURCE`)."""
        return cls(resources["nbgrader"]["db_url"], batch=resources.get(RESOURCE))

    def _released(self, model: Any, notebook: str, assignment: str) -> dict[str, Any]:
        """Every ``model`` row (source, grade or task cell) of the released notebook, by name."""
        key = (model, notebook, assignment)
        if key not in self._loaded:
            rows = (
                self.db.query(model.name, model)
                .join(Notebook, Notebook.id == model.notebook_id)
                .join(Assignment, Assignment.id == Notebook.assignment_id)
                .filter(Notebook.name == notebook, Assignment.name == assignment)
            )
            self._loaded[key] = dict(rows.all())
        return self._loaded[key]

    def _submitted(self, model: Any, notebook: str, assignment: str, student: str) -> dict[str, Any]:
        """Every ``model`` row (grade or comment) of a student's submitted notebook, by its cell's name."""
        key = (model, notebook, assignment, student)
        if key not in self._loaded:
            rows = (
                self.db.query(BaseCell.name, model)
                .join(BaseCell, BaseCell.id == model.cell_id)
                .join(SubmittedNotebook, SubmittedNotebook.id == model.notebook_id)
                .join(Notebook, Notebook.id == SubmittedNotebook.notebook_id)
                .join(SubmittedAssignment, SubmittedAssignment.id == SubmittedNotebook.assignment_id)
                .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
                .filter(Notebook.name == notebook, Assignment.name == assignment)
                .filter(SubmittedAssignment.student_id == student)
            )
            self._loaded[key] = dict(rows.all())
        return self._loaded[key]

    def find_source_cell(self, name: str, notebook: str, assignment: str) -> Any:
        found = self._released(SourceCell, notebook, assignment).get(name)
        return found if found is not None else super().find_source_cell(name, notebook, assignment)

    def find_graded_cell(self, name: str, notebook: str, assignment: str) -> Any:
        found = self._released(GradeCell, notebook, assignment).get(name)
        if found is None:
            found = self._released(TaskCell, notebook, assignment).get(name)
        return found if found is not None else super().find_graded_cell(name, notebook, assignment)

    def find_grade(self, grade_cell: str, notebook: str, assignment: str, student: str) -> Any:
        found = self._submitted(Grade, notebook, assignment, student).get(grade_cell)
        return found if found is not None else super().find_grade(grade_cell, notebook, assignment, student)

    def find_comment(self, solution_cell: str, notebook: str, assignment: str, student: str) -> Any:
        found = self._submitted(Comment, notebook, assignment, student).get(solution_cell)
        return found if found is not None else super().find_comment(solution_cell, notebook, assignment, student)
