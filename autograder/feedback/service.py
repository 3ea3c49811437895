"""The feedback service: one loop that takes new attempts from the exchange, applies the limits and grades.

Its life is an executor's: :meth:`FeedbackServer.start` (the private copy made, the engine warm, the state
recovered), :meth:`FeedbackServer.step` any number of times (or :meth:`FeedbackServer.run` until told to stop),
:meth:`FeedbackServer.close`. All grading happens in the thread that started it (the engine's zygotes follow
their starting thread); the status page only reads :attr:`FeedbackServer.store`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from autograder.course import Course
from autograder.engine.results import CheckResult, SubmissionResult
from autograder.errors import AutograderError
from autograder.feedback import inbound, limits
from autograder.feedback.attempts import Attempt, State, Store
from autograder.feedback.config import FeedbackService
from autograder.feedback.pages import clock
from autograder.feedback.worker import Worker, private_copy

log = logging.getLogger(__name__)


def check_dict(check: CheckResult) -> dict[str, object]:
    """What an attempt keeps of one check (never a hidden test's code: the grader's one-line message)."""
    keys = ("notebook", "grade_id", "score", "max_score", "message", "misconception")
    return {key: getattr(check, key) for key in keys}


def released_assignments(course: Course, service: FeedbackService) -> list[str]:
    """The assignments graded on submit: ``c.FeedbackService.assignments``, else every one in ``release/``."""
    found = sorted(p.name for p in course.release_dir.glob("*") if p.is_dir() and any(p.glob("*.ipynb")))
    wanted = list(service.assignments) or found
    missing = sorted(set(wanted) - set(found))
    if missing or not wanted:
        raise AutograderError(f"nothing released to grade on submit: {', '.join(missing) or 'release/ is empty'}")
    return wanted


class FeedbackServer:
    """Grade each new submission of the exchange within seconds, within the instructor's limits."""

    def __init__(
        self, course: Course, exchange: Path, *, scheduler: str | None = None, sandbox: bool | None = None
    ) -> None:
        self.course = course
        self.service = FeedbackService(config=course.config)
        self.limits = limits.Limits.of(self.service)
        self.deadlines = limits.Deadlines(course, self.service)
        self.state = course.root / self.service.state_dir
        self.state.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.state.chmod(0o700)
        self.exchange = exchange
        self.inbound = inbound.inbound_path(exchange, course.coursedir.course_id)
        self.store = Store(self.state)
        self.assignments = released_assignments(course, self.service)
        self.scheduler, self.sandbox = scheduler, sandbox
        self.worker: Worker | None = None
        self.stopping = threading.Event()

    def start(self) -> FeedbackServer:
        """Make the private copy, warm the engine, and finish what a stop left half done."""
        copy = private_copy(self.course, self.state / "course", self.assignments)
        self.worker = Worker(copy, self.state, self.exchange, self.service, scheduler=self.scheduler,
                             sandbox=self.sandbox)  # fmt: skip
        self.worker.start()
        for attempt in self.store.recover():
            log.info("%s: its grading was cut short, grading it again", attempt.folder)
        for attempt in self.store.all():
            if attempt.state is State.GRADED and not attempt.released:
                self._release(attempt)
        return self

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def __enter__(self) -> FeedbackServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()

    def run(self) -> None:
        """Poll and grade until :attr:`stopping` is set."""
        while not self.stopping.is_set():
            if not self.step():
                self.stopping.wait(self.service.poll_seconds)

    def step(self, now: float | None = None) -> int:
        """Take in new folders, then grade what may be graded now: how many attempts were graded."""
        now = time.time() if now is None else now
        self.intake(now)
        ready = self.ready(now)
        if not ready:
            return 0
        assignment = ready[0].assignment
        return self.grade([a for a in ready if a.assignment == assignment], now)

    def intake(self, now: float) -> list[Attempt]:
        """The new folders of ``inbound/`` as attempts (queued, refused or after the deadline)."""
        new = []
        for folder in inbound.scan(self.inbound, self.store.attempts):
            attempt = Attempt(folder.name, folder.student, folder.assignment, folder.timestamp, folder.submitted, now)
            self._admit(attempt, folder.owner)
            self.store.save(attempt)
            new.append(attempt)
        for student in {a.student for a in new if a.state is State.QUEUED}:
            self._supersede(student)
        return new

    def _admit(self, attempt: Attempt, owner: str | None) -> None:
        if self.service.owners_only and owner != attempt.student:
            attempt.state = State.REFUSED
            attempt.message = f"made by account {owner}, not by {attempt.student}: never graded"
            log.error("Not grading %s: it says it is %s's but account %s made it", attempt.folder, attempt.student,
                      owner)  # fmt: skip
        elif attempt.assignment not in self.assignments:
            attempt.state, attempt.message = State.REFUSED, f"{attempt.assignment} is not graded on submit"
        else:
            deadline = self.deadlines.of(attempt.assignment, attempt.student, attempt.found)
            if self.limits.stop_at_deadline and deadline is not None and attempt.submitted > deadline:
                attempt.state = State.CLOSED
                attempt.message = (f"submitted after the deadline ({clock(deadline)}): kept for the final grading, "
                                   "no feedback now")  # fmt: skip

    def _supersede(self, student: str) -> None:
        """Of a student's queued attempts only the newest stays queued; the older are kept, marked superseded."""
        queued = [a for a in self.store.of(student) if a.state is State.QUEUED]
        for older in queued[:-1]:
            older.state = State.SUPERSEDED
            older.message = f"replaced by your newer attempt of {clock(queued[-1].submitted, seconds=True)}"
            self.store.save(older)

    def ready(self, now: float) -> list[Attempt]:
        """The queued attempts that may be graded now (one per student, none of whose is grading), oldest first;
        the others get their ``not_before``."""
        attempts = self.store.all()
        busy = {a.student for a in attempts if a.state is State.GRADING}
        ready = []
        for attempt in attempts:
            if attempt.state is not State.QUEUED or attempt.student in busy:
                continue
            starts = limits.grading_starts(self.store.of(attempt.student))
            slot = limits.next_slot(starts, now, self.limits)
            if slot > now:
                if attempt.not_before != slot:
                    attempt.not_before = slot
                    self.store.save(attempt)
                continue
            busy.add(attempt.student)
            ready.append(attempt)
        return ready

    def grade(self, batch: Sequence[Attempt], now: float) -> int:
        """Grade ``batch`` (one assignment, distinct students), and the attempts that become ready meanwhile, in
        one run of the engine: each attempt's feedback is released as soon as it is graded, so a slow attempt
        (a loop that runs to its time limit) holds back no one else's. How many attempts were graded."""
        assert self.worker is not None, "start() the service first"
        grading: dict[str, Attempt] = {}
        offset = now - time.time()  # the clock ``now`` was read from (the tests' is not the wall clock)
        taken = 0

        def take(attempts: Sequence[Attempt]) -> Sequence[Attempt]:
            nonlocal taken
            for attempt in attempts:
                attempt.state, attempt.started = State.GRADING, time.time() + offset
                self.store.save(attempt)
                grading[attempt.student] = attempt
            taken += len(attempts)
            return attempts

        def more() -> Sequence[Attempt]:
            if self.stopping.is_set():
                return []
            self.intake(time.time() + offset)
            return take([a for a in self.ready(time.time() + offset) if a.assignment == batch[0].assignment])

        def graded(result: SubmissionResult) -> None:
            attempt = grading.pop(result.student, None)
            if attempt is not None:
                self._record(attempt, result, "")
                self._release(attempt)

        error = "no result from the grader"
        try:
            self.worker.grade(take(batch), more=more, on_result=graded)
        except Exception as exc:  # the run failed (the course's copy broken?): each attempt left says why
            log.exception("grading %s failed", sorted(a.folder for a in grading.values()))
            error = f"the grader failed: {exc}"
        for attempt in list(grading.values()):
            self._record(attempt, None, error)
            self._release(attempt)
        return taken

    def _record(self, attempt: Attempt, result: SubmissionResult | None, error: str) -> None:
        attempt.state, attempt.finished, attempt.results = State.GRADED, time.time(), attempt.results + 1
        if result is None:
            attempt.status, attempt.message = "error", error
        else:
            attempt.status, attempt.message = result.status.value, result.message
            attempt.score, attempt.max_score = result.auto_score, result.max_auto_score
            attempt.checks = [check_dict(c) for c in result.checks if c.auto]
        self.store.save(attempt)

    def _release(self, attempt: Attempt) -> None:
        """Write the attempt's pages and release them; a failure is logged and on the attempt, never raised."""
        assert self.worker is not None
        try:
            folder = self.worker.write_pages(attempt)
            attempt.notebooks = self.worker.release(attempt, folder)
        except Exception as exc:
            log.exception("%s: feedback not released", attempt.folder)
            attempt.message = (attempt.message + "; " if attempt.message else "") + f"feedback not released: {exc}"
        attempt.released = True
        self.store.save(attempt)
