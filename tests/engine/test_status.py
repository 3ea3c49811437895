"""The status precedence (:mod:`autograder.engine.status`), one test per row: each cause alone gives its status,
it wins over every cause below it and loses to every cause above it; each way a run can end has its cause."""

from __future__ import annotations

import pytest

from autograder.engine.results import Status
from autograder.engine.status import PRECEDENCE, RUN_CAUSES, Cause, decide, graded
from autograder.jail.protocol import RunStatus

ROWS = list(PRECEDENCE.items())

ORDER = [
    "RUN_TIMEOUT",
    "RUN_DISK",
    "RUN_MEMORY",
    "RUN_CRASHED",
    "RUN_OUTPUT_LIMIT",
    "RUN_ALTERED",
    "NOT_SCORED",
    "NOT_TAKEN",
    "REFUSED",
    "CELL_INTERRUPTED",
    "CELLS_DELETED",
    "CELL_OUT_OF_MEMORY",
    "TAMPERED",
    "MANUAL_PENDING",
]
"""The table's order written out again: a row that moves fails here first."""

GIVES: dict[Status, set[Cause]] = {
    Status.TIMEOUT: {Cause.RUN_TIMEOUT, Cause.CELL_INTERRUPTED},
    Status.DISK: {Cause.RUN_DISK},
    Status.SUSPECT: {Cause.TAMPERED},
    Status.NEEDS_MANUAL: {Cause.MANUAL_PENDING},
}
"""The causes that give each status other than ``error`` (every other cause gives ``error``)."""


def expected(cause: Cause) -> Status:
    return next((status for status, causes in GIVES.items() if cause in causes), Status.ERROR)


def test_the_table_has_every_cause_once_in_this_order() -> None:
    assert [cause.name for cause in PRECEDENCE] == ORDER
    assert set(PRECEDENCE) == set(Cause)


def test_nothing_found_is_graded() -> None:
    assert decide([]) is Status.GRADED


@pytest.mark.parametrize(("cause", "status"), ROWS, ids=[cause.name for cause, _ in ROWS])
def test_a_cause_alone_gives_its_status(cause: Cause, status: Status) -> None:
    assert decide([cause]) is status is expected(cause)


@pytest.mark.parametrize("row", range(len(ROWS)), ids=[cause.name for cause, _ in ROWS])
def test_a_cause_wins_over_those_below_and_loses_to_those_above(row: int) -> None:
    cause, status = ROWS[row]
    for below, _ in ROWS[row + 1 :]:
        assert decide([below, cause]) is status, below
        assert decide({cause, below, *(c for c, _ in ROWS[row + 1 :])}) is status
    for above, above_status in ROWS[:row]:
        assert decide([cause, above]) is above_status, above


@pytest.mark.parametrize("run_status", list(RunStatus), ids=[status.name for status in RunStatus])
def test_every_way_a_run_ends_without_its_notebook_has_a_cause(run_status: RunStatus) -> None:
    expected = {
        RunStatus.OK: Status.ERROR,  # it ended, but what came back was not the notebook sent
        RunStatus.TIMEOUT: Status.TIMEOUT,
        RunStatus.DISK: Status.DISK,
        RunStatus.MEMORY: Status.ERROR,
        RunStatus.CRASHED: Status.ERROR,
        RunStatus.OUTPUT_LIMIT: Status.ERROR,
    }[run_status]
    assert decide([RUN_CAUSES[run_status]]) is expected


def test_a_run_that_stopped_outranks_what_any_notebook_shows() -> None:
    """A notebook stopped for time in one notebook, a cell interrupted or a deleted cell in another: the run."""
    assert decide([Cause.CELLS_DELETED, Cause.RUN_TIMEOUT]) is Status.TIMEOUT
    assert decide([Cause.CELL_INTERRUPTED, Cause.RUN_CRASHED]) is Status.ERROR
    assert decide([Cause.TAMPERED, Cause.NOT_TAKEN, Cause.MANUAL_PENDING]) is Status.ERROR


@pytest.mark.parametrize(("needs_manual", "status"), [(False, Status.GRADED), (True, Status.NEEDS_MANUAL)])
def test_the_gradebooks_view_of_a_graded_submission(needs_manual: bool, status: Status) -> None:
    assert graded(needs_manual) is status
