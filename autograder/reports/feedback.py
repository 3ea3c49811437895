"""Students' feedback pages: nbgrader's ``generate_feedback``, without the hidden tests.

nbgrader 0.9's ``GenerateFeedback`` converts each autograded notebook to HTML
with two preprocessors, ``GetGrades`` (scores and comments from the gradebook)
and ``CSSHTMLHeaderPreprocessor``, and shows hidden tests by design: the
autograded notebooks hold the source's test cells, hidden regions included,
and a failing hidden assertion's traceback quotes them again. With
``StudentFeedback.hide_hidden_tests`` on (the default), :class:`HideHiddenTests`
joins that list: it replaces each ``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN
TESTS`` region of a test cell by one comment line and cuts a test cell's error
output to its last line (``AssertionError: <message>``). The check's docstring,
its points and its message still show.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from pathlib import Path
from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor
from traitlets import Bool, Unicode
from traitlets.config import Configurable

from autograder.course import Course
from autograder.engine.release import last_line
from autograder.engine.results import RECORD_NAME
from autograder.plugins import FEEDBACK_PREPROCESSORS
from autograder.reports.model import is_pending
from autograder.reports.sanitize import SANITIZER, with_csp

log = logging.getLogger(__name__)

HIDDEN_PLACEHOLDER = "# (hidden tests ran here: their code is not shown; a failure's message is below)"


class StudentFeedback(Configurable):
    """The feedback pages that ``autograder report`` writes into ``feedback/STUDENT/ASSIGNMENT``."""

    hide_hidden_tests = Bool(
        True,
        help=(
            "Keep the source of hidden tests (### BEGIN HIDDEN TESTS .. ### END HIDDEN TESTS) and the "
            "tracebacks of failing test cells out of students' feedback pages. Each check's description "
            "(the first line of its docstring), points and failure message still show."
        ),
    ).tag(config=True)


def is_test_cell(cell: NotebookNode) -> bool:
    """An auto-graded test cell: a grade cell holding code that is not a student's answer."""
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


class HideHiddenTests(ClearHiddenTests):  # type: ignore[misc]
    """Remove hidden test regions, and what would quote them, from the test cells of a notebook.

    Unlike nbgrader's ``ClearHiddenTests`` (which it extends for its delimiter settings), it
    touches only test cells, leaves a placeholder line where a region was, and also cuts
    the cell's tracebacks to their last line and drops stderr lines that repeat hidden code.
    """

    placeholder = Unicode(HIDDEN_PLACEHOLDER, help="The line that stands for a removed hidden region.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        if not StudentFeedback(config=self.config).hide_hidden_tests:
            return nb, resources
        return super().preprocess(nb, resources)  # type: ignore[no-any-return]

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], cell_index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if not is_test_cell(cell):
            return cell, resources
        kept, hidden = self.split_source(cell.source)
        cell.source = "\n".join(kept)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
            elif output.get("output_type") == "stream" and output.get("name") == "stderr" and hidden:
                lines = str(output.get("text", "")).splitlines(keepends=True)
                output["text"] = "".join(line for line in lines if line.strip() not in hidden)
        return cell, resources

    def split_source(self, source: str) -> tuple[list[str], set[str]]:
        """The lines to show (a placeholder per hidden region) and the stripped hidden lines."""
        kept: list[str] = []
        hidden: set[str] = set()
        inside = False
        for line in source.split("\n"):
            if self.begin_test_delimeter in line:
                if inside:
                    raise RuntimeError("Encountered nested begin hidden tests statements")
                inside = True
                indent = line[: len(line) - len(line.lstrip())]
                kept.append(indent + self.placeholder)
            elif self.end_test_delimeter in line:
                inside = False
            elif inside:
                if line.strip():
                    hidden.add(line.strip())
            else:
                kept.append(line)
        if inside:
            raise RuntimeError("No end hidden tests statement found")
        return kept, hidden


class FeedbackGrades(GetGrades):  # type: ignore[misc]
    """nbgrader's ``GetGrades``, plus a note on answers that no one has graded yet.

    The feedback template shows a pending manual grade as a score of 0; the note in
    the cell's comment box says it is not graded yet.
    """

    pending_note = Unicode(
        "Not graded yet: a person will read this answer and give its points.",
        help="The comment shown under an answer whose manual grade is still pending.",
    ).tag(config=True)

    def _get_score(self, cell: NotebookNode, resources: dict[str, Any]) -> None:
        super()._get_score(cell, resources)
        grade = self.gradebook.find_grade(
            cell.metadata["nbgrader"]["grade_id"], self.notebook_id, self.assignment_id, self.student_id
        )
        if is_pending(grade) and not cell.metadata.nbgrader.get("comment"):
            cell.metadata.nbgrader["comment"] = self.pending_note


class WrapMessages(NbGraderPreprocessor):  # type: ignore[misc]
    """Wrap long lines of error and stderr outputs, so that a check's whole message is on screen.

    Runs after ``CSSHTMLHeaderPreprocessor``, which replaces the page's inline CSS.
    """

    css = "div.output_error pre, div.output_stderr pre { white-space: pre-wrap; overflow-wrap: anywhere; }"

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        resources.setdefault("inlining", {}).setdefault("css", []).append(self.css)
        return nb, resources


def feedback_course(course: Course) -> Course:
    """The course with ``GenerateFeedback.preprocessors`` as its config sets them (as ``nbgrader
    generate_feedback`` runs them), or :data:`autograder.plugins.FEEDBACK_PREPROCESSORS`."""
    config = copy.deepcopy(course.config)
    if "preprocessors" not in config.GenerateFeedback:
        config.GenerateFeedback.preprocessors = list(FEEDBACK_PREPROCESSORS)
    exporting = list(config.HTMLExporter.get("preprocessors", []))
    if SANITIZER not in exporting:  # student content is made inert on every page, whatever the course lists
        config.HTMLExporter.preprocessors = [*exporting, SANITIZER]
    return dataclasses.replace(course, config=config)


def feedback_dir(course: Course, assignment: str, student: str) -> Path:
    return course.feedback_dir(assignment, student)


@dataclasses.dataclass(frozen=True)
class FeedbackOutcome:
    """The pages written for one student, or why there are none."""

    student: str
    pages: list[Path]
    error: str = ""


def generate_feedback(course: Course, assignment: str, students: list[str]) -> list[FeedbackOutcome]:
    """Write ``feedback/STUDENT/ASSIGNMENT/*.html`` for each student (replacing earlier pages)."""
    api = feedback_course(course).nbgrader_api()
    outcomes = []
    for student in students:
        result = api.generate_feedback(assignment, student_id=student, force=True)
        folder = feedback_dir(course, assignment, student)
        (folder / RECORD_NAME).unlink(missing_ok=True)  # nbgrader copies it along: it is ours, not the student's
        pages = sorted(folder.glob("*.html"))
        for page in pages:
            page.write_text(with_csp(page.read_text(encoding="utf-8")), encoding="utf-8")
        if result.get("success") and pages:
            outcomes.append(FeedbackOutcome(student, pages))
        else:
            log.debug("nbgrader log for %s's feedback:\n%s", student, result.get("log", ""))
            error = last_line(result.get("error"), "nbgrader generate_feedback failed")
            outcomes.append(FeedbackOutcome(student, [], error))
    return outcomes
