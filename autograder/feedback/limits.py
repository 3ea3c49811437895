"""When an attempt may be graded: attempts per window, the cool-down, the deadline and a student's extension.

The limits count gradings, not submissions: an attempt over the limit is kept and graded as soon as its window
opens (``not_before``), unless a newer attempt of the same student takes its place first. Extensions live in the
course's own gradebook (nbgrader's ``Gradebook.grant_extension``), so the final grade's late penalty and the
on-submit deadline agree.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from nbgrader.api import Gradebook, MissingEntry

from autograder.course import Course
from autograder.feedback.attempts import Attempt, State
from autograder.feedback.config import FeedbackService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """The numbers of :class:`FeedbackService` that decide when."""

    attempts: int
    window: float
    """Seconds."""
    cooldown: float
    stop_at_deadline: bool

    @classmethod
    def of(cls, service: FeedbackService) -> Limits:
        return cls(service.attempts, 60.0 * service.window_minutes, service.cooldown_seconds, service.stop_at_deadline)


def grading_starts(attempts: Iterable[Attempt]) -> list[float]:
    """When each of these attempts began grading (those graded or grading), oldest first."""
    return sorted(a.started for a in attempts if a.started is not None and a.state in (State.GRADING, State.GRADED))


def next_slot(starts: list[float], now: float, limits: Limits) -> float:
    """The earliest time from ``now`` at which one more grading may start, given earlier ``starts``."""
    when = now
    if starts and limits.cooldown > 0:
        when = max(when, starts[-1] + limits.cooldown)
    if limits.attempts > 0:
        recent = [s for s in starts if s > when - limits.window]
        if len(recent) >= limits.attempts:
            when = max(when, recent[len(recent) - limits.attempts] + limits.window)
    return when


def utc_epoch(moment: dt.datetime) -> float:
    """A naive UTC time (nbgrader's gradebook and timestamps) as seconds since the epoch."""
    return moment.replace(tzinfo=dt.UTC).timestamp() if moment.tzinfo is None else moment.timestamp()


@dataclass
class Deadlines:
    """The deadline of each student for one assignment: the configured one (or the gradebook's due date)
    plus their extension in the gradebook. Read again at most every ``ttl`` seconds."""

    course: Course
    service: FeedbackService
    ttl: float = 5.0

    def __post_init__(self) -> None:
        self._cache: dict[tuple[str, str], tuple[float, float | None]] = {}

    def of(self, assignment: str, student: str, now: float) -> float | None:
        """Seconds since the epoch after which ``student``'s attempts are not graded on submit (None: never)."""
        cached = self._cache.get((assignment, student))
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        value = self._read(assignment, student)
        self._cache[(assignment, student)] = (now, value)
        return value

    def _read(self, assignment: str, student: str) -> float | None:
        configured = self.service.deadline_time()
        base = configured.timestamp() if configured is not None else None  # naive: local time
        extension = dt.timedelta(0)
        try:
            with Gradebook(self.course.gradebook_url()) as gradebook:
                if base is None:
                    due = gradebook.find_assignment(assignment).duedate
                    base = utc_epoch(due) if due is not None else None
                extension = gradebook.find_submission(assignment, student).extension or extension
        except MissingEntry:
            pass
        except Exception as exc:  # the gradebook busy or missing: the configured deadline alone
            log.warning("could not read the deadline of %s for %s: %s", assignment, student, exc)
        return None if base is None else base + extension.total_seconds()


def grant_extension(course: Course, assignment: str, student: str, minutes: float) -> None:
    """Record ``student``'s extension on ``assignment`` in the course's gradebook (0 removes it), with
    nbgrader's ``Gradebook.grant_extension``; the student and an empty submission are added if missing."""
    with Gradebook(course.gradebook_url()) as gradebook:
        gradebook.find_assignment(assignment)  # MissingEntry for an assignment that was never released
        gradebook.update_or_create_student(student)
        try:
            gradebook.find_submission(assignment, student)
        except MissingEntry:
            gradebook.add_submission(assignment, student)
        gradebook.grant_extension(assignment, student, minutes=minutes)
