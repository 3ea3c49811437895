"""The service's queue without grading: intake from a real exchange, the owners-only rule, the supersede rule,
the limits (attempts per window, cool-down, the deadline) and the extension in nbgrader's gradebook."""

from __future__ import annotations

import getpass
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.feedback.attempts import State
from autograder.feedback.limits import Deadlines, Limits, next_slot
from autograder.feedback.pages import state_text
from autograder.feedback.service import FeedbackServer
from tests.feedback.lab import ASSIGNMENT, make_lab
from tests.helpers import run_cli

ME = getpass.getuser()


def test_the_next_slot_keeps_attempts_per_window_and_the_cooldown() -> None:
    limits = Limits(attempts=3, window=600, cooldown=30, stop_at_deadline=True)
    assert next_slot([], 1000, limits) == 1000
    assert next_slot([990], 1000, limits) == 1020  # the cool-down
    assert next_slot([100, 500, 900], 1000, limits) == 1000  # 100 is out of the window
    assert next_slot([500, 700, 900], 1000, limits) == 1100  # three in the last ten minutes: the oldest leaves
    assert next_slot([300, 500, 900], 1000, Limits(0, 600, 0, True)) == 1000  # no limit


@pytest.mark.slow
def test_intake_owners_only_supersede_and_waiting(
    template: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lab = make_lab(template, tmp_path, "c.FeedbackService.attempts = 3\nc.FeedbackService.window_minutes = 10\n")
    server = FeedbackServer(lab.course, lab.exchange)
    lab.submit(ME)
    lab.submit(ME)
    lab.submit("mallory")  # made by this account, in mallory's name
    now = time.time()
    server.intake(now)
    mine = server.store.of(ME)
    assert [a.state for a in mine] == [State.SUPERSEDED, State.QUEUED]
    assert "replaced by your newer attempt" in mine[0].message
    (mallory,) = server.store.of("mallory")
    assert mallory.state is State.REFUSED and f"made by account {ME}" in mallory.message
    assert "Not grading" in caplog.text
    assert server.ready(now) == [mine[1]]

    for attempt in mine:  # as if three gradings had started in the last minutes
        attempt.state, attempt.started = State.GRADED, now - 120
        server.store.save(attempt)
    lab.submit(ME)
    lab.submit(ME)
    server.intake(now)
    fourth = server.store.of(ME)[-1]
    server.store.of(ME)[-2].started = now - 100
    server.store.of(ME)[-2].state = State.GRADED
    assert server.ready(now) == []
    assert fourth.not_before == pytest.approx(now - 120 + 600)
    assert state_text(fourth, now).startswith("waiting until ")
    assert server.ready(now + 600) == [fourth]  # its window opens: graded then


@pytest.mark.slow
def test_after_the_deadline_kept_not_graded_unless_extended(template: Path, tmp_path: Path) -> None:
    lab = make_lab(
        template, tmp_path, 'c.FeedbackService.deadline = "2001-01-01 00:00"\nc.FeedbackService.owners_only = False\n'
    )
    server = FeedbackServer(lab.course, lab.exchange)
    lab.submit("ada")
    done = run_cli("--course", str(lab.course.root), "feedback", "extend", ASSIGNMENT, "bo", "--minutes",
                   str(60 * 24 * 365 * 100), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Gradebook(lab.course.gradebook_url()) as gradebook:
        assert gradebook.find_submission(ASSIGNMENT, "bo").extension is not None
    lab.submit("bo")
    server.deadlines = Deadlines(lab.course, server.service)
    server.intake(time.time())
    (ada,) = server.store.of("ada")
    (bo,) = server.store.of("bo")
    assert ada.state is State.CLOSED and "after the deadline" in ada.message
    assert bo.state is State.QUEUED
