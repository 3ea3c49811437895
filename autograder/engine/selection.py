"""Which submissions a grading run takes, and the record of one it cannot grade."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from autograder.course import Course
from autograder.engine.prepare import Refused, read_timestamp
from autograder.engine.results import Status, SubmissionResult, read_record, write_record
from autograder.engine.status import Cause, decide
from autograder.errors import AutograderError

log = logging.getLogger(__name__)


def select_students(course: Course, assignment: str, students: Sequence[str] | None) -> list[str]:
    """The students to grade: all with a submission, or the ones asked for (each must have one)."""
    course.require_assignment(assignment)
    available = course.submitted_students(assignment)
    where = os.path.relpath(course.submitted_path(assignment, "*"), course.root)
    if not students:
        if not available:
            raise AutograderError(f"no submissions to grade: nothing in {where}")
        return available
    missing = sorted(set(students) - set(available))
    if missing:
        raise AutograderError(f"no submission of {assignment} from {', '.join(missing)} in {where}")
    return sorted(set(students))


def up_to_date_record(course: Course, assignment: str, student: str) -> SubmissionResult | None:
    """The grading record of a submission graded since it was last submitted, else None (grade it).

    As stock ``nbgrader autograde``: a ``timestamp.txt`` newer than the graded one means a
    resubmission (``nbgrader collect --update``). An unreadable timestamp is graded again, to
    report it again.
    """
    record = read_record(course.autograded_dir(assignment, student))
    if record is None or (record.status is Status.ERROR and not record.checks):
        return None  # never graded, or refused before grading
    try:
        submitted = read_timestamp(course.submitted_path(assignment, student))
        graded = read_timestamp(course.autograded_dir(assignment, student))  # copied there when graded
    except Refused:
        return None
    if submitted is not None and (graded is None or submitted > graded):
        log.info("%s resubmitted %s (%s): grading it again", student, assignment, submitted.isoformat())
        return None
    return record


def refused(course: Course, assignment: str, student: str, reason: str, seconds: float) -> SubmissionResult:
    """The result of a submission :func:`prepare` refused; its record says why (the gradebook is untouched)."""
    log.warning("%s: not graded: %s", student, reason)
    result = SubmissionResult(student=student, assignment=assignment, status=decide([Cause.REFUSED]), message=reason)
    result.seconds = seconds
    write_record(result, course.autograded_dir(assignment, student))
    return result


def unprocessable(exc: Exception) -> str:
    """The one-line reason for a submission the grader failed on (a bug of the grader's, or input it did not
    foresee): it is that submission's error, and the run goes on (``-vv`` logs the traceback)."""
    text = " ".join(str(exc).split())[:200]
    return f"the grader could not process this submission ({type(exc).__name__}: {text}); run with -vv for details"
