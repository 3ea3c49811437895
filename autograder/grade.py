"""Grade the submissions in ``submitted/`` into the gradebook.

For now each submission goes through stock ``nbgrader autograde`` (one kernel
per submission, in this process).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from autograder import gradebook
from autograder.course import Course
from autograder.errors import AutograderError
from autograder.release import last_line
from autograder.results import Status, SubmissionResult, read_record, write_record

log = logging.getLogger(__name__)


def select_students(course: Course, assignment: str, students: Sequence[str] | None) -> list[str]:
    """The students to grade: all with a submission, or the ones asked for (each must have one)."""
    course.require_assignment(assignment)
    available = course.submitted_students(assignment)
    if not students:
        if not available:
            raise AutograderError(f"no submissions to grade: nothing in submitted/*/{assignment}")
        return available
    missing = sorted(set(students) - set(available))
    if missing:
        raise AutograderError(f"no submission of {assignment} from {', '.join(missing)} in submitted/")
    return sorted(set(students))


def autograded_dir(course: Course, assignment: str, student: str):  # type: ignore[no-untyped-def]
    return course.root / "autograded" / student / assignment


def already_graded(course: Course, assignment: str, student: str) -> bool:
    """Complete gradings end by writing their record; a folder without one was interrupted."""
    return read_record(autograded_dir(course, assignment, student)) is not None


def grade(
    course: Course,
    assignment: str,
    *,
    students: Sequence[str] | None = None,
    force: bool = False,
    on_result: Callable[[SubmissionResult], None] | None = None,
) -> list[SubmissionResult]:
    """Autograde each selected submission and return what the gradebook then says of it."""
    chosen = select_students(course, assignment, students)
    gradebook.require_released(course, assignment)
    api = course.nbgrader_api()
    results = []
    for student in chosen:
        started = time.monotonic()
        if not force and already_graded(course, assignment, student):
            result = gradebook.read_submission(course, assignment, student)
            if result is not None:
                result.status = Status.SKIPPED
        else:
            outcome = api.autograde(assignment, student, force=True, create=True)
            result = gradebook.read_submission(course, assignment, student)
            if not outcome.get("success") or result is None:
                log.debug("nbgrader log for %s:\n%s", student, outcome.get("log", ""))
                message = last_line(outcome.get("error"), "nbgrader autograde failed")
                result = SubmissionResult(student=student, assignment=assignment, status=Status.ERROR, message=message)
        if result is None:
            result = SubmissionResult(
                student=student,
                assignment=assignment,
                status=Status.ERROR,
                message="graded before, but missing from the gradebook: grade again with --force",
            )
        result.seconds = time.monotonic() - started
        if result.status is not Status.SKIPPED:
            write_record(result, autograded_dir(course, assignment, student))
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
