"""Grade a cohort: prepare and score in this process, execute notebooks in parallel elsewhere.

The main process is the only gradebook writer, in one transaction per batch of
submissions (:mod:`autograder.engine.batch`). Notebooks run in fresh processes
forked from warm zygotes (:mod:`autograder.jail.zygote`), on this machine or on
a Dask cluster. A submission counts as graded once its record is written, after
its batch is committed; an interrupted run resumes with the rest.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from autograder import settings
from autograder.course import Course
from autograder.engine import gradebook, regrade, seeds, speedups
from autograder.engine.batch import Batch
from autograder.engine.finalize import finalize
from autograder.engine.lock import course_lock
from autograder.engine.prepare import Job, Refused, prepare, read_timestamp
from autograder.engine.progress import Progress
from autograder.engine.regrade import Regrade
from autograder.engine.results import Status, SubmissionResult, read_record, write_record
from autograder.engine.runners import DaskRunner, LocalRunner, require_sandbox
from autograder.engine.sandbox import Sandbox, ZygoteSpec
from autograder.errors import AutograderError
from autograder.jail.protocol import RunResult

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
    result = SubmissionResult(student=student, assignment=assignment, status=Status.ERROR, message=reason)
    result.seconds = seconds
    write_record(result, course.autograded_dir(assignment, student))
    return result


def unprocessable(exc: Exception) -> str:
    """The one-line reason for a submission the grader failed on (a bug of the grader's, or input it did not
    foresee): it is that submission's error, and the run goes on (``-vv`` logs the traceback)."""
    text = " ".join(str(exc).split())[:200]
    return f"the grader could not process this submission ({type(exc).__name__}: {text}); run with -vv for details"


def grade(
    course: Course,
    assignment: str,
    *,
    students: Sequence[str] | None = None,
    force: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    on_result: Callable[[SubmissionResult], None] | None = None,
    show_progress: bool = False,
    sandbox: bool | None = None,
    seed: int | None = None,
    new_inputs: bool = False,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
) -> list[SubmissionResult]:
    """Grade the selected submissions; those graded since last submitted are skipped unless ``force``, or
    unless one of the checks that graded them changed: then only those cells are graded again
    (:mod:`autograder.engine.regrade`), and the change log says whose points moved.

    Student code runs in a bubblewrap sandbox unless ``sandbox`` is False (None: ``Grader.sandbox``);
    if the sandbox is wanted but cannot be built here, nothing is graded. The check inputs come from
    ``seed``, else from the assignment's secret (:mod:`autograder.engine.seeds`; ``new_inputs``: a new one).
    One run grades a course at a time (:mod:`autograder.engine.lock`): another waits (``wait``) or refuses.
    """
    with course_lock(course, wait=wait, on_wait=on_wait or log.warning):
        return _grade(course, assignment, students=students, force=force, workers=workers, scheduler=scheduler,
                      on_result=on_result, show_progress=show_progress, sandbox=sandbox, seed=seed,
                      new_inputs=new_inputs)  # fmt: skip


def _grade(
    course: Course,
    assignment: str,
    *,
    students: Sequence[str] | None,
    force: bool,
    workers: int | None,
    scheduler: str | None,
    on_result: Callable[[SubmissionResult], None] | None,
    show_progress: bool,
    sandbox: bool | None,
    seed: int | None,
    new_inputs: bool,
) -> list[SubmissionResult]:
    chosen = select_students(course, assignment, students)
    gradebook.require_released(course, assignment)
    grader, limits = settings.load(course.config)
    jail = Sandbox.from_settings(grader) if (grader.sandbox if sandbox is None else sandbox) else None
    require_sandbox(jail)
    plan = seeds.assignment_plan(course, assignment, seed=seed, new_inputs=new_inputs)
    results: list[SubmissionResult] = []
    todo = []
    regrades: dict[str, Regrade] = {}
    for student in chosen:
        record = None if force else up_to_date_record(course, assignment, student)
        changed = regrade.changed_cells(record, plan) if record is not None else set()
        if record is not None and not changed:
            record.status = Status.SKIPPED
            results.append(record)
            continue
        if record is not None:
            log.info("%s: grading again the cells whose check changed (%s)", student, sorted(g for _, g in changed))
            regrades[student] = Regrade.start(course, record, changed)
        todo.append(student)
    if not todo:
        return results
    if plan is None:
        log.warning(
            "no grader-side checks for %s (c.Grader.checks): scores come from the notebooks' outputs", assignment
        )
    moved: list[regrade.Change] = []
    when = regrade.now()

    speedups.install()
    spec = ZygoteSpec.from_settings(grader, course.root, jail)
    count = workers or grader.workers or os.cpu_count() or 1
    runner: LocalRunner | DaskRunner = (
        DaskRunner(scheduler, limits, spec) if scheduler else LocalRunner(count, limits, spec)
    )
    progress = Progress(len(todo)) if show_progress else None

    def report(result: SubmissionResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    in_flight: dict[Any, tuple[Job, float, float]] = {}
    pending = iter(todo)
    try:
        with Batch(course.gradebook_url(), size=grader.batch_submissions, seconds=grader.batch_seconds) as batch:
            while True:
                while len(in_flight) < 2 * runner.workers:
                    upcoming = next(pending, None)
                    if upcoming is None:
                        break
                    student = upcoming
                    started = time.monotonic()
                    try:
                        with batch.unit():
                            job = prepare(
                                course, assignment, student, execute_ungraded=grader.execute_ungraded, plan=plan
                            )
                    except Refused as exc:  # nothing of it is in the gradebook: its record says why, now
                        result = refused(course, assignment, student, str(exc), time.monotonic() - started)
                        report(result)
                        if progress is not None:
                            progress.update(result)
                        continue
                    except Exception as exc:  # a submission the grader cannot take in: its own error, the run goes on
                        log.debug("%s: not graded", student, exc_info=True)
                        result = refused(course, assignment, student, unprocessable(exc), time.monotonic() - started)
                        report(result)
                        if progress is not None:
                            progress.update(result)
                        continue
                    in_flight[runner.submit(job)] = (job, started, time.monotonic() - started)
                if not in_flight:
                    break
                finished = runner.wait_any(in_flight, timeout=batch.due_in())
                batch.commit_if_due()  # while the workers run on, the gradebook's write lock is not held long
                for future in finished:
                    job, started, prepared = in_flight.pop(future)
                    try:
                        runs: dict[str, RunResult] = future.result()
                    except Exception as exc:  # a worker lost: every notebook of this submission counts as crashed
                        log.warning("%s: execution failed: %s", job.student, exc)
                        runs = {name: RunResult.failed(f"worker failed: {exc}") for name in job.notebooks}
                    again = regrades.get(job.student)
                    try:
                        with batch.unit():
                            result = finalize(course, job, runs, time.monotonic() - started, plan=plan,
                                              regrade=again, prepared=prepared, record=False)  # fmt: skip
                    except Exception as exc:  # nothing of it stays in the gradebook (its savepoint is rolled back)
                        log.debug("%s: not graded", job.student, exc_info=True)
                        result = refused(
                            course, assignment, job.student, unprocessable(exc), time.monotonic() - started
                        )
                        report(result)
                        if progress is not None:
                            progress.update(result)
                        batch.done()
                        continue
                    batch.defer(partial(write_record, result, course.autograded_dir(assignment, job.student)))
                    batch.defer(partial(report, result))
                    if again is not None:
                        batch.defer(partial(moved.extend, again.changes(result, when)))
                    if progress is not None:
                        progress.update(result)
                    batch.done()
    finally:
        runner.close()
        speedups.dispose_engines()
        if progress is not None:
            progress.close()
        if regrades:  # what was regraded is logged even if the run stopped part-way
            run = regrade.ChangeRun(when, regrade.changed_checks(regrades.values()), len(regrades), moved)
            regrade.append_log(course, assignment, run)
    return sorted(results, key=lambda r: r.student)
