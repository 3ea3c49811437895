"""Grade exports: ``grades.csv`` (per task), ``canvas.csv`` (for Canvas's gradebook import) and ``changes.csv``
(the scores a changed check moved).

Both are written from the gradebook (:func:`autograder.reports.model.load_cohort`), one row
per student of the roster or with a submission; ``grades.csv`` has one writer,
:func:`write_grades`, whether ``autograder grade`` or ``autograder report`` calls it. Scores are
final scores, after the late penalty, as ``nbgrader export`` gives them.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path

from traitlets import Bool, Dict, Enum, Unicode
from traitlets.config import Config, Configurable

from autograder.course import Course
from autograder.engine import regrade
from autograder.engine.regrade import Change, ChangeRun
from autograder.engine.results import (
    COL_AUTO,
    COL_FIRST_NAME,
    COL_LAST_NAME,
    COL_MANUAL,
    COL_MAX,
    COL_MAX_AUTO,
    COL_MESSAGE,
    COL_PENALTY,
    COL_RAW,
    COL_SCORE,
    COL_STATUS,
    COL_STUDENT,
    Status,
)
from autograder.reports.model import Cohort, Submission, load_cohort
from autograder.reports.sanitize import csv_cell

# grades.csv: the column names of autograder.engine.results, with the task columns after the status.
COL_TOTAL = COL_SCORE
"""The final score so far: auto-graded points plus any manual grades, less the late penalty."""
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
    return [
        COL_STUDENT,
        COL_LAST_NAME,
        COL_FIRST_NAME,
        COL_STATUS,
        *tasks,
        COL_AUTO,
        COL_MAX_AUTO,
        COL_RAW,
        COL_PENALTY,
        COL_TOTAL,
        COL_MAX,
        COL_MANUAL,
        COL_MESSAGE,
    ]


def is_missing(sub: Submission) -> bool:
    """A student of the roster who submitted nothing (``nbgrader export`` gives them 0)."""
    return sub.status == Status.MISSING.value


def task_score(cohort: Cohort, sub: Submission, task: str) -> float | None:
    """The points of ``task``'s checks; None if the submission is not graded or a grade is pending."""
    if not sub.in_gradebook:
        return None
    scores = [sub.scores.get(c.key) for c in cohort.task_checks(task)]
    return None if any(s is None for s in scores) else sum(s for s in scores if s is not None)


def grades_row(cohort: Cohort, sub: Submission) -> dict[str, str]:
    graded = sub.in_gradebook
    row = {
        COL_STUDENT: sub.student,
        COL_LAST_NAME: sub.last_name,
        COL_FIRST_NAME: sub.first_name,
        COL_STATUS: sub.status,
        COL_AUTO: points(sub.auto_score),
        COL_MAX_AUTO: points(sub.max_auto_score if graded else None),
        COL_RAW: points(sub.raw_score if graded else None),
        COL_PENALTY: points(sub.late_penalty if graded else None),
        COL_TOTAL: points(0.0 if is_missing(sub) else sub.score),
        COL_MAX: points(sub.max_score),
        COL_MANUAL: "yes" if sub.needs_manual else "no",
        COL_MESSAGE: sub.message,
    }
    row.update({task_column(t): points(task_score(cohort, sub, t)) for t in cohort.tasks()})
    return row


def write_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[str] | dict[str, str]]) -> Path:
    """Write a CSV atomically (a temporary file, then a rename); no cell can start a spreadsheet formula.

    Every cell goes through :func:`autograder.reports.sanitize.csv_cell`: student ids, names and
    messages that start with ``= + - @``, a tab or a carriage return get a leading ``'``; numbers stay.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([csv_cell(cell) for cell in header])
        for row in rows:
            cells = [row.get(col, "") for col in header] if isinstance(row, dict) else row
            writer.writerow([csv_cell(cell) for cell in cells])
    tmp.replace(path)
    return path


def write_grades_csv(cohort: Cohort, path: Path) -> Path:
    """One row per student: status, points per task, totals (see :func:`grades_columns`)."""
    return write_rows(path, grades_columns(cohort), (grades_row(cohort, s) for s in cohort.submissions))


GRADES_CSV = "grades.csv"


def write_grades(course: Course, assignment: str, path: Path | None = None, cohort: Cohort | None = None) -> Path:
    """Write ``grades.csv`` (default: ``reports/ASSIGNMENT/grades.csv``) from the gradebook: the one writer.

    Every student is in it, whoever was graded last: it is rebuilt from the gradebook each time.
    """
    if cohort is None:
        cohort = load_cohort(course, assignment)
    return write_grades_csv(cohort, path or course.reports_dir(assignment) / GRADES_CSV)


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

    missing_as_zero = Bool(
        True,
        help=(
            "Give a student of the roster who submitted nothing 0 points (as nbgrader export does). "
            "False leaves the cell empty, and Canvas then keeps whatever score it had."
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
    column named by ``CanvasExport.student_id_column``. Scores are the gradebook's final scores so
    far, after any late penalty (see ``grades.csv`` for which still await a manual grade); a student
    of the roster who submitted nothing gets 0 (``CanvasExport.missing_as_zero``), a submission not
    graded yet an empty cell.
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
        if is_missing(sub) and settings.missing_as_zero:
            score = points(0.0)
        rows.append([name, lms_id, ids[CANVAS_SIS_USER_ID], ids[CANVAS_SIS_LOGIN_ID], "", score])
    return write_rows(path, header, rows)


CHANGES_CSV = "changes.csv"
CHANGES_COLUMNS = tuple(f.name for f in dataclasses.fields(Change))
"""The columns of ``changes.csv``: the fields of :class:`autograder.engine.regrade.Change`, in order."""


def change_rows(runs: Sequence[ChangeRun]) -> list[list[str]]:
    """The rows of ``changes.csv``: every cell a changed check moved, the latest run first."""
    return [
        [points(v) if isinstance(v, float | None) else str(v) for v in dataclasses.astuple(change)]
        for run in reversed(runs)
        for change in run.changes
    ]


def write_changes_csv(course: Course, assignment: str, path: Path | None = None) -> Path:
    """``reports/ASSIGNMENT/changes.csv`` from the change log (:mod:`autograder.engine.regrade`); only its header
    until a changed check moved a score."""
    path = path or course.reports_dir(assignment) / CHANGES_CSV
    return write_rows(path, CHANGES_COLUMNS, change_rows(regrade.read_log(course, assignment)))
