"""A job cannot stop its own watchdog: whatever it stops, it ends soon after the cell timeout, and the next job runs.

In the sandbox (as root) a job can only signal its own processes: a job that stops itself is ended by the
zygote's per-step deadline. A zygote that a job did stop (possible without the sandbox, or where the job runs
as the zygote's own user) is seen from the grader, killed and started afresh.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from autograder.engine.client import POLL_SECONDS, Zygote
from autograder.engine.sandbox import dispose, new_zygote
from autograder.jail.monitor import STEP_GRACE
from autograder.jail.protocol import Limits, RunStatus
from tests.helpers import zygote_spec
from tests.jail.test_sandbox import notebook, run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nbgrader")]

LIMITS = Limits(cell_timeout=4, notebook_timeout=120, memory_mb=500)
SLACK = 6.0
"""Seconds a busy machine may add."""

STOP_ITSELF = "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)"
STOP_THE_PARENT = "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\nimport time\ntime.sleep(60)"


@pytest.fixture
def plain_zygote() -> Iterator[Zygote]:
    zygote = new_zygote(zygote_spec(None))
    zygote.start()
    yield zygote
    dispose(zygote)


def timed(zygote: Zygote, source: str) -> tuple[float, RunStatus, str]:
    started = time.monotonic()
    result = zygote.run(notebook("print('before')", source, "print('after')"), {}, LIMITS)
    return time.monotonic() - started, result.status, result.message


def test_a_job_that_stops_itself_times_out_after_its_cell_not_its_notebook(plain_zygote: Zygote) -> None:
    seconds, status, message = timed(plain_zygote, STOP_ITSELF)
    assert status is RunStatus.TIMEOUT, message
    assert "cell 2 ran longer than 4 s" in message
    assert seconds < LIMITS.cell_timeout + STEP_GRACE + SLACK, seconds
    assert run(plain_zygote, "print(6 * 7)").strip() == "42"


def test_in_the_sandbox_too(zygote: Zygote) -> None:  # the fixture fails where there is no sandbox
    seconds, status, message = timed(zygote, STOP_ITSELF)
    assert status is RunStatus.TIMEOUT, message
    assert seconds < LIMITS.cell_timeout + STEP_GRACE + SLACK, seconds
    assert run(zygote, "print(6 * 7)").strip() == "42"


def test_a_stopped_zygote_is_killed_and_replaced(plain_zygote: Zygote) -> None:
    seconds, status, message = timed(plain_zygote, STOP_THE_PARENT)
    assert status is RunStatus.CRASHED
    assert message == "the notebook stopped the grader's process (SIGSTOP) and was stopped"
    assert seconds < 2 * POLL_SECONDS + SLACK, seconds
    assert run(plain_zygote, "print(6 * 7)").strip() == "42"
