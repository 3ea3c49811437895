"""Grade exports: ``grades.csv`` (per task) and ``canvas.csv`` (for Canvas's gradebook import).

``grades.csv`` extends the CSV that ``autograder grade`` writes (same columns, same
names, see :mod:`autograder.engine.results`) with one column per task of the lab.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from traitlets import Dict, Enum, Unicode
from traitlets.config import Config, Configurable

from autograder.engine.results import (
    COL_AUTO,
    COL_MANUAL,
    COL_MAX,
    COL_MAX_AUTO,
    COL_MESSAGE,
    COL_SCORE,
    COL_STATUS,
    COL_STUDENT,
)
from autograder.reports.model import Cohort, Submission

# grades.csv: the columns of results.COLUMNS, with the task columns after the status.
COL_TOTAL = COL_SCORE
"""The total so far (auto-graded points plus any manual grades)."""
TASK_COLUMN = "task {task}"
"""A task's column: the points of its checks; empty while any of them awaits a manual grade."""

# canvas.csv: the student columns of a Canvas gradebook export, in the order its import requires.
CANVAS_STUDENT = "Student"
CANVAS_ID = "ID"
CANVAS_SIS_USER_ID = "SIS User ID"
CANVAS_SIS_LOGIN_ID = "SIS Login ID"
CANVAS_SECTION = "Section"
CANVAS_COLUMNS = (CANVAS_STUDENT, CANVAS_ID, CANVAS_SIS_USER_ID, CANVAS_SIS_LOGIN_ID, CANVAS_SECTION)
CANVAS_POINTS_POSSIBLE = "Points Possible"


def points(value: float | None) -> str:
    """A score as a CSV cell: up to three decimals, no trailing zeros; empty for None."""
    return "" if value is None else f"{round(value, 3):g}"


def task_column(task: str) -> str:
    return TASK_COLUMN.format(task=task)


def grades_columns(cohort: Cohort) -> list[str]:
    tasks = [task_column(t) for t in cohort.tasks()]
    return [COL_STUDENT, COL_STATUS, *tasks, COL_AUTO, COL_MAX_AUTO, COL_TOTAL, COL_MAX, COL_MANUAL, COL_MESSAGE]


def task_score(cohort: Cohort, sub: Submission, task: str) -> float | None:
    """The points of ``task``'s checks; None if the submission is not graded or a grade is pending."""
    if not sub.in_gradebook:
        return None
    scores = [sub.scores.get(c.key) for c in cohort.task_checks(task)]
    return None if any(s is None for s in scores) else sum(s for s in scores if s is not None)


def grades_row(cohort: Cohort, sub: Submission) -> dict[str, str]:
    row = {
        COL_STUDENT: sub.student,
        COL_STATUS: sub.status,
        COL_AUTO: points(sub.auto_score),
        COL_MAX_AUTO: points(sub.max_auto_score if sub.in_gradebook else None),
        COL_TOTAL: points(sub.score),
        COL_MAX: points(sub.max_score),
        COL_MANUAL: "yes" if sub.needs_manual else "no",
        COL_MESSAGE: sub.message,
    }
    row.update({task_column(t): points(task_score(cohort, sub, t)) for t in cohort.tasks()})
    return row


def write_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[str] | dict[str, str]]) -> Path:
    """Write a CSV atomically (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(col, "") for col in header] if isinstance(row, dict) else row)
    tmp.replace(path)
    return path


def write_grades_csv(cohort: Cohort, path: Path) -> Path:
    """One row per student: status, points per task, totals (see :func:`grades_columns`)."""
    return write_rows(path, grades_columns(cohort), (grades_row(cohort, s) for s in cohort.submissions))


class CanvasExport(Configurable):
    """How ``reports/ASSIGNMENT/canvas.csv`` names the assignment and identifies students."""

    assignment_columns = Dict(
        key_trait=Unicode(),
        value_trait=Unicode(),
        default_value={},
        help=(
            "The Canvas column header for each nbgrader assignment, as a Canvas gradebook export "
            "writes it: 'Name (canvas assignment id)', e.g. {'week3': 'Week 3 (4821)'}. Without one "
            "the header is the assignment's name: Canvas matches it by title or creates an assignment."
        ),
    ).tag(config=True)

    student_id_column = Enum(
        [CANVAS_SIS_LOGIN_ID, CANVAS_SIS_USER_ID],
        default_value=CANVAS_SIS_LOGIN_ID,
        help="The Canvas column that holds nbgrader's student id.",
    ).tag(config=True)


def canvas_name(sub: Submission) -> str:
    """Canvas's "Student" column is "Last, First"; without names in the gradebook, the student id."""
    if sub.last_name and sub.first_name:
        return f"{sub.last_name}, {sub.first_name}"
    return sub.last_name or sub.first_name or sub.student


def write_canvas_csv(cohort: Cohort, path: Path, config: Config | None = None) -> Path:
    """The scores in the layout of Canvas's gradebook CSV import.

    The layout, as Canvas's importer reads it (canvas-lms ``app/models/gradebook_importer.rb``,
    ``GradebookImporter#parse!``; Canvas Instructor Guide "How do I import grades in the
    Gradebook?", https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807):

    - a header row ``Student, ID, SIS User ID, SIS Login ID, Section``, in that order, then
      one column per assignment headed ``Name (canvas assignment id)`` or just ``Name``;
    - an optional row whose first cell is ``Points Possible`` (the points of new assignments);
    - one row per student, found by Canvas user ``ID``, else ``SIS User ID``, else ``SIS Login ID``,
      else by name; an empty score cell changes nothing.

    ``ID`` is the gradebook's ``lms_user_id`` when set; nbgrader's student id goes in the
    column named by ``CanvasExport.student_id_column``. Scores are the gradebook's totals so far
    (see ``grades.csv`` for which still await a manual grade); a student not in the gradebook
    gets an empty cell.
    """
    settings = CanvasExport(config=config or Config())
    column = settings.assignment_columns.get(cohort.assignment, cohort.assignment)
    header = [*CANVAS_COLUMNS, column]
    rows: list[list[str]] = [[CANVAS_POINTS_POSSIBLE, "", "", "", "", points(cohort.max_score)]]
    for sub in cohort.submissions:
        ids = {CANVAS_SIS_USER_ID: "", CANVAS_SIS_LOGIN_ID: ""}
        ids[settings.student_id_column] = sub.student
        name, lms_id = canvas_name(sub), sub.lms_user_id
        score = points(sub.score if sub.in_gradebook else None)
        rows.append([name, lms_id, ids[CANVAS_SIS_USER_ID], ids[CANVAS_SIS_LOGIN_ID], "", score])
    return write_rows(path, header, rows)
