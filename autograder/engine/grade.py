"""Grade a cohort: ``autograder grade`` as one short life of an :class:`~autograder.engine.engine.Engine`.

The main process is the only gradebook writer, in one transaction per batch of
submissions (:mod:`autograder.engine.batch`). Notebooks run in fresh processes
forked from warm zygotes (:mod:`autograder.jail.zygote`), on this machine or on
a Dask cluster. A submission counts as graded once its record is written, after
its batch is committed; an interrupted run resumes with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from autograder.course import Course
from autograder.engine.engine import Engine, OnResult
from autograder.engine.results import SubmissionResult


def grade(
    course: Course,
    assignment: str,
    *,
    students: Sequence[str] | None = None,
    force: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    on_result: OnResult | None = None,
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
    with Engine(course, workers=workers, scheduler=scheduler, sandbox=sandbox) as engine:
        return engine.grade(assignment, students=students, force=force, on_result=on_result,
                            show_progress=show_progress, seed=seed, new_inputs=new_inputs, wait=wait,
                            on_wait=on_wait)  # fmt: skip
