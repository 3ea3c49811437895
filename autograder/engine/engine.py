"""The grading engine: one long-lived object per course that grades any number of runs on warm zygotes.

:class:`Engine` is started once with the course's configuration: it checks the sandbox, holds the runner (a pool
of warm zygotes here, or a Dask client) and closes it all at the end, like ``concurrent.futures.Executor`` or
``distributed.Client``::

    with Engine(course, workers=2) as engine:
        engine.grade("week3")                       # the cohort
        engine.grade("week3", students=["ada"])     # later, warm: no zygote starts again

``autograder grade`` is a short life of one engine (:func:`autograder.engine.grade.grade`); the feedback
service keeps one for the whole lab. Each :meth:`Engine.grade` holds the course's grading lock
(:mod:`autograder.engine.lock`) and writes the gradebook in batches (:mod:`autograder.engine.batch`); nothing
of the engine's state lives in module globals.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from autograder import settings
from autograder.checks.plan import Plan
from autograder.course import Course
from autograder.engine import gradebook, regrade, seeds
from autograder.engine.batch import Batch
from autograder.engine.client import Zygote
from autograder.engine.finalize import finalize
from autograder.engine.lock import course_lock
from autograder.engine.prepare import Job, Refused, prepare
from autograder.engine.progress import Progress
from autograder.engine.regrade import Regrade
from autograder.engine.results import Status, SubmissionResult, write_record
from autograder.engine.runners import DaskRunner, LocalRunner, require_sandbox
from autograder.engine.sandbox import Sandbox, ZygoteSpec
from autograder.engine.selection import refused, select_students, unprocessable, up_to_date_record
from autograder.errors import AutograderError
from autograder.jail.protocol import RunResult

log = logging.getLogger(__name__)

OnResult = Callable[[SubmissionResult], None]
More = Callable[[], Sequence[str]]
"""Asked for students to grade next in a run that is going on (:meth:`Engine.grade`'s ``more``)."""
MORE_SECONDS = 0.5
"""How often, at most, a run asks ``more`` for students by default."""


@dataclass
class _Run:
    """One :meth:`Engine.grade` call in progress."""

    assignment: str
    plan: Plan | None
    on_result: OnResult | None
    progress: Progress | None
    results: list[SubmissionResult] = field(default_factory=list)
    regrades: dict[str, Regrade] = field(default_factory=dict)
    moved: list[regrade.Change] = field(default_factory=list)
    when: str = field(default_factory=regrade.now)
    in_flight: dict[Any, tuple[Job, float, float]] = field(default_factory=dict)
    more: Callable[[], list[str]] | None = None
    """Students to grade next, asked for while a worker could take them (:meth:`Engine.grade`'s ``more``)."""
    more_seconds: float = MORE_SECONDS

    def wake(self, due: float | None) -> float | None:
        """How long to wait for a job to finish: until the batch is due, and no longer than ``more_seconds`` while
        ``more`` may have students."""
        if self.more is None:
            return due
        return self.more_seconds if due is None else min(due, self.more_seconds)

    def report(self, result: SubmissionResult) -> None:
        self.results.append(result)
        if self.on_result is not None:
            self.on_result(result)

    def count(self, result: SubmissionResult) -> None:
        if self.progress is not None:
            self.progress.update(result)


class Engine:
    """A warm grader for one course: start once, grade many times, close."""

    def __init__(
        self, course: Course, *, workers: int | None = None, scheduler: str | None = None, sandbox: bool | None = None
    ) -> None:
        """``sandbox``: None follows ``c.Grader.sandbox``; a sandbox that is wanted but cannot be built here
        raises :class:`AutograderError` now, before anything is graded."""
        self.course = course
        self.grader, self.limits = settings.load(course.config)
        self.jail = (
            Sandbox.from_settings(self.grader) if (self.grader.sandbox if sandbox is None else sandbox) else None
        )
        require_sandbox(self.jail)
        self.spec = ZygoteSpec.from_settings(self.grader, course.root, self.jail)
        self.workers = workers or self.grader.workers or os.cpu_count() or 1
        self.scheduler = scheduler
        self.runner: LocalRunner | DaskRunner | None = None
        self.closed = False

    def start(self, *, warm: bool = False) -> Engine:
        """Start the runner (idempotent); ``warm``: start its zygotes now rather than at their first job."""
        if self.closed:
            raise AutograderError("this grading engine is closed")
        if self.runner is None:
            if self.scheduler:
                self.runner = DaskRunner(self.scheduler, self.limits, self.spec)
            else:
                self.runner = LocalRunner(self.workers, self.limits, self.spec)
        if warm and isinstance(self.runner, LocalRunner):
            self.runner.pool.warm(self.workers)
        return self

    def close(self) -> None:
        """Stop every zygote and connection the engine holds (idempotent)."""
        if self.runner is not None:
            self.runner.close()
            self.runner = None
        self.closed = True

    @contextlib.contextmanager
    def zygote(self) -> Iterator[Zygote]:
        """One warm zygote of the engine's pool, for the calling thread until the block ends: how nbgrader's own
        commands run one notebook at a time (:class:`autograder.plugins.execute.SandboxedExecute`)."""
        self.start()
        if not isinstance(self.runner, LocalRunner):
            raise AutograderError("only an engine grading on this machine lends a zygote (not one on Dask)")
        with self.runner.pool.zygote() as zygote:
            yield zygote

    def __enter__(self) -> Engine:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()

    def grade(
        self,
        assignment: str,
        *,
        students: Sequence[str] | None = None,
        force: bool = False,
        on_result: OnResult | None = None,
        show_progress: bool = False,
        seed: int | None = None,
        new_inputs: bool = False,
        wait: bool = True,
        on_wait: Callable[[str], None] | None = None,
        more: More | None = None,
        more_seconds: float = MORE_SECONDS,
    ) -> list[SubmissionResult]:
        """Grade the selected submissions (see :func:`autograder.engine.grade.grade`), sorted by student.

        ``more``: asked, at most every ``more_seconds`` while a worker could take a job and none is waiting, for
        students to grade next in this same run (the feedback service feeds it the attempts that arrive while
        others are graded: a slow one never holds back the rest); the run ends when nothing is left to grade
        and ``more`` gives no one.
        """
        self.start()
        with course_lock(self.course, wait=wait, on_wait=on_wait or log.warning):
            chosen = select_students(self.course, assignment, students)
            gradebook.require_released(self.course, assignment)
            plan = seeds.assignment_plan(self.course, assignment, seed=seed, new_inputs=new_inputs)
            run = _Run(assignment, plan, on_result, None)
            todo = self._todo(run, chosen, force)
            if more is not None:
                run.more = lambda: self._todo(run, sorted(set(more())), force)
                run.more_seconds = more_seconds
            if todo or more is not None:
                run.progress = Progress(len(todo)) if show_progress else None
                try:
                    self._grade_all(run, todo)
                finally:
                    self._end(run)
        return sorted(run.results, key=lambda r: r.student)

    def _todo(self, run: _Run, chosen: list[str], force: bool) -> list[str]:
        """The students to grade now; the others' records go into ``run.results`` as skipped."""
        todo = []
        for student in chosen:
            record = None if force else up_to_date_record(self.course, run.assignment, student)
            changed = regrade.changed_cells(record, run.plan) if record is not None else set()
            if record is not None and not changed:
                record.status = Status.SKIPPED
                run.results.append(record)
                continue
            if record is not None:
                log.info("%s: grading again the cells whose check changed (%s)", student, sorted(g for _, g in changed))
                run.regrades[student] = Regrade.start(self.course, record, changed)
            todo.append(student)
        if todo and run.plan is None:
            log.warning("no grader-side checks for %s (c.Grader.checks): scores come from the notebooks' outputs",
                        run.assignment)  # fmt: skip
        return todo

    def _grade_all(self, run: _Run, todo: list[str]) -> None:
        """Keep the runner busy with prepared jobs and score each as it comes back, in gradebook batches."""
        runner = self.runner
        assert runner is not None
        pending = iter(todo)
        with Batch(self.course.gradebook_url(), size=self.grader.batch_submissions,
                   seconds=self.grader.batch_seconds) as batch:  # fmt: skip
            while True:
                while len(run.in_flight) < 2 * runner.workers:
                    student = next(pending, None)
                    if student is None and run.more is not None and len(run.in_flight) < runner.workers:
                        pending = iter(run.more())
                        student = next(pending, None)
                    if student is None:
                        break
                    self._submit(run, batch, runner, student)
                if not run.in_flight:
                    return
                finished = runner.wait_any(run.in_flight, timeout=run.wake(batch.due_in()))
                batch.commit_if_due()  # while the workers run on, the gradebook's write lock is not held long
                for future in finished:
                    self._score(run, batch, future)

    def _submit(self, run: _Run, batch: Batch, runner: LocalRunner | DaskRunner, student: str) -> None:
        """Prepare one submission and hand its job to the runner; a refused one gets its record now."""
        started = time.monotonic()
        try:
            with batch.unit():
                job = prepare(self.course, run.assignment, student, execute_ungraded=self.grader.execute_ungraded,
                              plan=run.plan, batch=batch)  # fmt: skip
        except Exception as exc:  # nothing of it is in the gradebook: its record says why
            reason = str(exc) if isinstance(exc, Refused) else unprocessable(exc)
            if not isinstance(exc, Refused):
                log.debug("%s: not graded", student, exc_info=True)
            result = refused(self.course, run.assignment, student, reason, time.monotonic() - started)
            run.report(result)
            run.count(result)
            return
        run.in_flight[runner.submit(job)] = (job, started, time.monotonic() - started)

    def _score(self, run: _Run, batch: Batch, future: Any) -> None:
        """Score one finished job in its own savepoint; its record and callbacks wait for the batch's commit."""
        job, started, prepared = run.in_flight.pop(future)
        try:
            runs: dict[str, RunResult] = future.result()
        except Exception as exc:  # a worker lost: every notebook of this submission counts as crashed
            log.warning("%s: execution failed: %s", job.student, exc)
            runs = {name: RunResult.failed(f"worker failed: {exc}") for name in job.notebooks}
        again = run.regrades.get(job.student)
        try:
            with batch.unit():
                result = finalize(self.course, job, runs, time.monotonic() - started, plan=run.plan, regrade=again,
                                  prepared=prepared, record=False, batch=batch)  # fmt: skip
        except Exception as exc:  # nothing of it stays in the gradebook (its savepoint is rolled back)
            log.debug("%s: not graded", job.student, exc_info=True)
            reason = unprocessable(exc)
            result = refused(self.course, run.assignment, job.student, reason, time.monotonic() - started)
            run.report(result)
        else:
            batch.defer(partial(write_record, result, self.course.autograded_dir(run.assignment, job.student)))
            batch.defer(partial(run.report, result))
            if again is not None:
                batch.defer(partial(run.moved.extend, again.changes(result, run.when)))
        run.count(result)
        batch.done()

    def _end(self, run: _Run) -> None:
        """After a run, finished or not: the progress line closed, the regrade log written."""
        if run.progress is not None:
            run.progress.close()
        if run.regrades:  # what was regraded is logged even if the run stopped part-way
            changed = regrade.changed_checks(run.regrades.values())
            regrade.append_log(self.course, run.assignment,
                               regrade.ChangeRun(run.when, changed, len(run.regrades), run.moved))  # fmt: skip
