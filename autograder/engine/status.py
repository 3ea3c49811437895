"""The one rule that gives a submission its status: what was found while grading it (a :class:`Cause`), and which
finding wins when there are several (:data:`PRECEDENCE`, first row first).

:mod:`autograder.engine.finalize` collects the causes of every notebook of a submission (how its run ended, what
its executed cells show, whether it could be scored, the grader's verdicts) and the gradebook's pending manual
grades, then asks :func:`decide`; a submission refused whole before grading, and the gradebook's own view of a
graded submission, go through :func:`decide` as well. Every cause is still reported in the submission's message:
the status names the one that matters most.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from autograder.engine.results import Status
from autograder.jail.protocol import RunStatus


class Cause(StrEnum):
    """Something found while grading a submission that bears on its status."""

    RUN_TIMEOUT = "run timeout"
    """A notebook's process was stopped for time: the notebook's limit, a step's silence, or its CPU time."""
    RUN_DISK = "run disk"
    """A notebook filled /tmp or its own folder and was stopped."""
    RUN_MEMORY = "run memory"
    """A notebook's processes used more memory than the limit and were stopped."""
    RUN_CRASHED = "run crashed"
    """A notebook's process died, asked the grader what it may not, or was never run."""
    RUN_OUTPUT_LIMIT = "run output limit"
    """A notebook sent back more than the grader accepts."""
    RUN_ALTERED = "run altered"
    """A notebook's run ended but what came back was not that notebook with outputs."""
    NOT_SCORED = "not scored"
    """nbgrader's scoring steps failed on a notebook (it scores 0)."""
    NOT_TAKEN = "not taken"
    """A notebook of the assignment was missing, refused, unreadable or damaged at intake, or a file was refused."""
    REFUSED = "refused"
    """The whole submission was refused before grading (nothing of it is in the gradebook)."""
    CELL_INTERRUPTED = "cell interrupted"
    """A cell ran past the cell timeout and was interrupted; the notebook went on."""
    CELLS_DELETED = "cells deleted"
    """Graded cells were deleted from a notebook (they score 0)."""
    CELL_OUT_OF_MEMORY = "cell out of memory"
    """A cell raised ``MemoryError``; the notebook went on."""
    TAMPERED = "tampered"
    """The grader's checks failed where the notebook's own tests passed: the code may have tampered with them."""
    MANUAL_PENDING = "manual pending"
    """A written answer awaits a person's grade."""


PRECEDENCE: dict[Cause, Status] = {
    Cause.RUN_TIMEOUT: Status.TIMEOUT,
    Cause.RUN_DISK: Status.DISK,
    Cause.RUN_MEMORY: Status.ERROR,
    Cause.RUN_CRASHED: Status.ERROR,
    Cause.RUN_OUTPUT_LIMIT: Status.ERROR,
    Cause.RUN_ALTERED: Status.ERROR,
    Cause.NOT_SCORED: Status.ERROR,
    Cause.NOT_TAKEN: Status.ERROR,
    Cause.REFUSED: Status.ERROR,
    Cause.CELL_INTERRUPTED: Status.TIMEOUT,
    Cause.CELLS_DELETED: Status.ERROR,
    Cause.CELL_OUT_OF_MEMORY: Status.ERROR,
    Cause.TAMPERED: Status.SUSPECT,
    Cause.MANUAL_PENDING: Status.NEEDS_MANUAL,
}
"""Each cause's status, in order of precedence: of the causes found in a submission (in any of its notebooks), the
first in this table gives the status; none gives :attr:`Status.GRADED`. A notebook that did not run to its end
outranks what its cells show, and either outranks a suspicion of tampering or a pending manual grade."""

RUN_CAUSES: dict[RunStatus, Cause] = {
    RunStatus.TIMEOUT: Cause.RUN_TIMEOUT,
    RunStatus.DISK: Cause.RUN_DISK,
    RunStatus.MEMORY: Cause.RUN_MEMORY,
    RunStatus.CRASHED: Cause.RUN_CRASHED,
    RunStatus.OUTPUT_LIMIT: Cause.RUN_OUTPUT_LIMIT,
    RunStatus.OK: Cause.RUN_ALTERED,
}
"""The cause of a notebook's run that gave no executed notebook, by how the run ended (an ``OK`` run gives none
only when what came back was not the notebook sent)."""


def decide(causes: Iterable[Cause]) -> Status:
    """A submission's status from every cause found while grading it (:data:`PRECEDENCE`)."""
    found = set(causes)
    return next((status for cause, status in PRECEDENCE.items() if cause in found), Status.GRADED)


def graded(needs_manual: bool) -> Status:
    """The status of a submission the gradebook holds, from its scores alone."""
    return decide([Cause.MANUAL_PENDING] if needs_manual else [])
