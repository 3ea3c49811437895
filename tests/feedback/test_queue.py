"""The service's queue without grading: intake from a real exchange, the owners-only rule, the supersede rule,
the limits (attempts per window, cool-down, the deadline) and the extension in nbgrader's gradebook."""

from __future__ import annotations

import getpass
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.course import Course
from autograder.feedback.attempts import State
from autograder.feedback.limits import Deadlines, Limits, next_slot
from autograder.feedback.pages import state_text
from autograder.feedback.service import FeedbackServer
from autograder.feedback.worker import private_copy
from tests.feedback.lab import ASSIGNMENT, make_lab
from tests.helpers import make_course, run_cli

ME = getpass.getuser()


def test_the_next_slot_keeps_attempts_per_window_and_the_cooldown() -> None:
    limits = Limits(attempts=3, window=600, cooldown=30, stop_at_deadline=True)
    assert next_slot([], 1000, limits) == 1000
    assert next_slot([990], 1000, limits) == 1020  # the cool-down
    assert next_slot([100, 500, 900], 1000, limits) == 1000  # 100 is out of the window
    assert next_slot([500, 700, 900], 1000, limits) == 1100  # three in the last ten minutes: the oldest leaves
    assert next_slot([300, 500, 900], 1000, Limits(0, 600, 0, True)) == 1000  # no limit


def test_the_private_copy_is_kept_until_what_it_is_made_from_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    monkeypatch.setattr("autograder.engine.release.generate_release", lambda course, name: made.append(name))
    root = make_course(tmp_path / "course", with_release=False)
    folder = tmp_path / "state" / "course"

    def append(line: str) -> None:
        with (root / "nbgrader_config.py").open("a") as config:
            config.write(line)

    def kept() -> bool:
        """Start the service's copy again: was the last one kept?"""
        private_copy(Course.load(root), folder, [ASSIGNMENT])
        survived = (folder / "marker").exists()
        (folder / "marker").touch()  # gone when the copy is made again
        return survived

    assert not kept() and made == [ASSIGNMENT] and (folder / ".fingerprint").is_file()
    append('c.Exchange.root = "/elsewhere"\nc.FeedbackService.attempts = 9\n')  # the service's own settings
    assert kept() and made == [ASSIGNMENT]
    assert "/elsewhere" in (folder / "nbgrader_config.py").read_text()  # its config is the course's current one
    assert Course.load(folder).root == folder
    notebook = root / "source" / ASSIGNMENT / "task1_fitting.ipynb"
    changes = {
        "a source notebook": lambda: notebook.write_text(notebook.read_text() + " "),
        "a check": lambda: (root / "solutions" / "new_check.py").write_text("X = 1\n"),
        "a grading setting": lambda: append("c.Grader.workers = 3\n"),
    }
    for what, change in changes.items():
        change()
        assert not kept(), f"{what} changed, yet the copy was kept"
    assert len(made) == 1 + len(changes)


@pytest.mark.slow
@pytest.mark.xdist_group("feedback")  # with the other users of the template: made once
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
@pytest.mark.xdist_group("feedback")  # with the other users of the template: made once
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
