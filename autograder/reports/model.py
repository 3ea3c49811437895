"""``autograder report ASSIGNMENT``: feedback pages, grade exports and the cohort report.

Scores come from nbgrader's gradebook (any ``db_url``, through its ``Gradebook``
API); what the gradebook does not hold (each submission's grading status,
failure messages and grading time) comes from the ``grading.json`` records that
``autograder grade`` writes next to the autograded notebooks.

- ``feedback/STUDENT/ASSIGNMENT/*.html``: one page per notebook (:mod:`autograder.reports.feedback`);
- ``reports/ASSIGNMENT/grades.csv`` and ``canvas.csv`` (:mod:`autograder.reports.exports`);
- ``reports/ASSIGNMENT/index.html``: the cohort report (:mod:`autograder.reports.page`).
"""

from __future__ import annotations

import ast
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Grade, Gradebook, MissingEntry

from autograder import notebooks
from autograder.course import Course
from autograder.engine.gradebook import final_score, open_gradebook
from autograder.engine.results import RECORD_NAME, Status
from autograder.engine.status import graded
from autograder.errors import AutograderError

log = logging.getLogger(__name__)


def assignment_tasks(course: Course, assignment: str) -> dict[str, tuple[str, ...]]:
    """The task each grade cell belongs to, from the ``TASKS`` of the assignment's checks module
    (``c.Grader.checks``); a grade id missing there is reported as a task of its own (named by the grade id)."""
    from autograder.checks.plan import load_tasks
    from autograder.settings import Grader

    module = Grader(config=course.config).checks.get(assignment)
    return load_tasks(module, course.root) if module else {}


# Statuses beyond results.Status: a submission with nothing graded, or graded but not in the gradebook.
NOT_GRADED = "not graded yet"
NOT_IN_GRADEBOOK = "missing from the gradebook"
GRADEBOOK_STATUSES = {Status.GRADED.value, Status.NEEDS_MANUAL.value, Status.SKIPPED.value}
"""Record statuses that the gradebook's current state supersedes (manual grading may have happened since)."""

WRITTEN_ANSWER = "written answer, graded by a person"


@dataclass(frozen=True)
class GradedCell:
    """One grade cell of the assignment."""

    notebook: str
    grade_id: str
    task: str
    auto: bool
    max_score: float
    description: str
    """The first docstring line of the source test cell, or :data:`WRITTEN_ANSWER`."""

    @property
    def key(self) -> str:
        return f"{self.notebook}/{self.grade_id}"


@dataclass
class Submission:
    """One student's submission as the gradebook and the grading record describe it."""

    student: str
    status: str
    in_gradebook: bool = False
    score: float | None = None
    """The final score so far: points awarded less the late penalty (``nbgrader export``'s ``score``)."""
    max_score: float = 0.0
    raw_score: float | None = None
    """Points awarded before the late penalty (``nbgrader export``'s ``raw_score``)."""
    late_penalty: float = 0.0
    """Points taken off for lateness (the gradebook's ``late_submission_penalty``)."""
    auto_score: float | None = None
    max_auto_score: float = 0.0
    needs_manual: bool = False
    scores: dict[str, float | None] = field(default_factory=dict)
    """Points per check key; None while a manual grade is pending."""
    messages: dict[str, str] = field(default_factory=dict)
    """Failure message per check key (failed checks only)."""
    message: str = ""
    seconds: float | None = None
    """Wall time of the grading, None without a record."""
    first_name: str = ""
    last_name: str = ""
    lms_user_id: str = ""


@dataclass
class Cohort:
    assignment: str
    checks: list[GradedCell]
    max_score: float
    submissions: list[Submission]

    def tasks(self) -> list[str]:
        """Task names in the order their first grade cell comes in the notebooks."""
        return list(dict.fromkeys(c.task for c in self.checks))

    def task_checks(self, task: str) -> list[GradedCell]:
        return [c for c in self.checks if c.task == task]


@dataclass(frozen=True)
class RecordSummary:
    """The fields of a ``grading.json`` that the reports use (any status string is accepted)."""

    status: str
    message: str
    seconds: float
    messages: dict[str, str]


def summarise_record(folder: Path) -> RecordSummary | None:
    """What the reports need of a ``grading.json``. Unlike :func:`autograder.engine.results.read_record`
    (which the grader uses to resume, and which refuses what it cannot type), any status string is taken:
    a record written by another version still shows its status."""
    try:
        data = json.loads((folder / RECORD_NAME).read_text())
        messages = {f"{c['notebook']}/{c['grade_id']}": str(c.get("message") or "") for c in data.get("checks", [])}
        return RecordSummary(
            str(data["status"]), str(data.get("message") or ""), float(data.get("seconds") or 0), messages
        )
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def first_docstring_line(source: str) -> str:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    doc = ast.get_docstring(tree) if tree.body else None
    return doc.strip().splitlines()[0] if doc else ""


def source_cells(course: Course, assignment: str) -> dict[str, list[tuple[str, str]]]:
    """``{notebook: [(grade_id, description), ...]}`` in cell order, from the instructor notebooks."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in course.source_notebooks(assignment):
        cells = notebooks.grade_cells(notebooks.read(path))
        found[path.stem] = [
            (gid, first_docstring_line(c.source) if c.cell_type == "code" else WRITTEN_ANSWER)
            for gid, c in cells.items()
        ]
    return found


def require_gradebook(course: Course) -> None:
    url = course.gradebook_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise AutograderError(f"no gradebook at {url.removeprefix('sqlite:///')}: release and grade first")


def assignment_checks(gb: Gradebook, course: Course, assignment: str) -> list[GradedCell]:
    try:
        master = gb.find_assignment(assignment)
    except MissingEntry:
        raise AutograderError(f"{assignment} is not in the gradebook: release and grade it first") from None
    order = source_cells(course, assignment)
    task_of = {gid: task for task, gids in assignment_tasks(course, assignment).items() for gid in gids}
    checks = []
    for nb in sorted(master.notebooks, key=lambda n: (list(order).index(n.name) if n.name in order else 99, n.name)):
        described = dict(order.get(nb.name, []))
        position = list(described)
        solutions = {c.name for c in nb.solution_cells}
        for cell in sorted(nb.grade_cells, key=lambda c: position.index(c.name) if c.name in position else 999):
            auto = cell.cell_type == "code" and cell.name not in solutions
            checks.append(
                GradedCell(
                    notebook=nb.name,
                    grade_id=cell.name,
                    task=task_of.get(cell.name, cell.name),
                    auto=auto,
                    max_score=float(cell.max_score),
                    description=described.get(cell.name, "") or ("" if auto else WRITTEN_ANSWER),
                )
            )
    return checks


def is_pending(grade: Grade) -> bool:
    """A manual grade still to give: no manual score, and nbgrader flags it (or has no score at all)."""
    return grade.manual_score is None and bool(grade.needs_manual_grade or grade.auto_score is None)


def gradebook_submission(gb: Gradebook, assignment: str, student: str) -> Submission | None:
    try:
        sub = gb.find_submission(assignment, student)
    except MissingEntry:
        return None
    scores: dict[str, float | None] = {}
    for nb in sub.notebooks:
        for grade in nb.grades:
            scores[f"{nb.name}/{grade.name}"] = None if is_pending(grade) else float(grade.score)
    person = sub.student
    return Submission(
        student=student,
        status=graded(bool(sub.needs_manual_grade)).value,
        in_gradebook=True,
        score=final_score(sub),
        raw_score=float(sub.score),
        late_penalty=float(sub.late_submission_penalty or 0.0),
        max_score=float(sub.max_score),
        auto_score=float(sub.code_score),
        max_auto_score=float(sub.max_code_score),
        needs_manual=bool(sub.needs_manual_grade),
        scores=scores,
        first_name=person.first_name or "",
        last_name=person.last_name or "",
        lms_user_id=person.lms_user_id or "",
    )


def load_cohort(course: Course, assignment: str) -> Cohort:
    """Everything the reports show, read from the gradebook and the grading records."""
    course.require_assignment(assignment)
    require_gradebook(course)
    with open_gradebook(course) as gb:
        checks = assignment_checks(gb, course, assignment)
        master = gb.find_assignment(assignment)
        max_score = float(master.max_score)
        in_gradebook = [s.student.id for s in master.submissions]
        recorded = [
            s
            for s in course.graded_students(assignment)
            if (course.autograded_dir(assignment, s) / RECORD_NAME).is_file()
        ]
        if not in_gradebook and not recorded:
            raise AutograderError(f"nothing graded yet: run 'autograder grade {assignment}' first")
        roster = {person.id: person for person in gb.students}
        submitted = set(course.submitted_students(assignment))
        students = sorted(set(in_gradebook) | set(recorded) | submitted | set(roster))
        submissions = []
        for student in students:
            record = summarise_record(course.autograded_dir(assignment, student))
            sub = gradebook_submission(gb, assignment, student)
            if sub is None:
                status = NOT_GRADED if record is None else record.status
                if status in GRADEBOOK_STATUSES:
                    status = NOT_IN_GRADEBOOK
                if record is None and student not in submitted:
                    status = Status.MISSING.value
                sub = Submission(student=student, status=status, max_score=max_score)
                if student in roster:
                    person = roster[student]
                    sub.first_name, sub.last_name = person.first_name or "", person.last_name or ""
                    sub.lms_user_id = person.lms_user_id or ""
            elif record and record.status not in GRADEBOOK_STATUSES:
                sub.status = record.status  # an error, a timeout, a sandbox violation... outranks the scores
            if record:
                sub.message, sub.seconds = record.message, record.seconds
                sub.messages = {
                    k: m for k, m in record.messages.items() if m and not passed(sub.scores.get(k), checks, k)
                }
            submissions.append(sub)
    return Cohort(assignment=assignment, checks=checks, max_score=max_score, submissions=submissions)


def passed(score: float | None, checks: list[GradedCell], key: str) -> bool:
    """Full marks on the check ``key``."""
    check = next((c for c in checks if c.key == key), None)
    return score is not None and check is not None and score >= check.max_score - 1e-9
