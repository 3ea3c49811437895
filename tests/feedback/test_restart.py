"""``kill -9`` of a real service process while it grades, then a restart: every attempt graded exactly once,
none lost, each one's feedback fetchable; SIGTERM then stops the service by itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.feedback.attempts import State, Store
from tests.feedback.lab import Lab, make_lab
from tests.servers import Proc, family, kill_left

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("feedback")]  # one worker: the template made once
STUDENTS = ("ada", "bo", "cy", "di")


def start(lab: Lab, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "autograder", "--course", str(lab.course.root), "feedback", "serve"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip


def wait_for(what: str, test: object, process: subprocess.Popen[bytes], log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not test():  # type: ignore[operator]
        assert process.poll() is None, f"the service exited: {log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"no {what} in {timeout:.0f} s: {log.read_text()[-3000:]}"
        time.sleep(0.1)


def test_kill_9_while_grading_then_restart_grades_every_attempt_exactly_once(template: Path, tmp_path: Path) -> None:
    extra = "c.FeedbackService.owners_only = False\nc.FeedbackService.attempts = 0\nc.FeedbackService.workers = 1\n"
    lab = make_lab(template, tmp_path, extra)  # one zygote to warm at each start: enough to kill mid-grading
    state = lab.course.root / ".autograder" / "feedback"
    log = tmp_path / "service.log"

    def states() -> list[State]:
        return [a.state for a in Store(state).all()] if state.is_dir() else []

    service = start(lab, log)
    tree: dict[int, Proc] = {}
    try:
        for student in STUDENTS:
            lab.submit(student)
        wait_for("grading", lambda: State.GRADING in states(), service, log)
        tree = family([service.pid])
        os.kill(service.pid, signal.SIGKILL)
        service.wait(10)
        service = start(lab, log)
        done = lambda: len(states()) == len(STUDENTS) and all(a.released for a in Store(state).all())  # noqa: E731
        wait_for("feedback for everyone", done, service, log)
        service.send_signal(signal.SIGTERM)
        assert service.wait(60) == 0, log.read_text()[-3000:]
        left = kill_left(tree)
    finally:
        kill_left(family([service.pid]))
    attempts = Store(state).all()
    assert [(a.student, a.state, a.results) for a in attempts] == [(s, State.GRADED, 1) for s in STUDENTS]
    for student in STUDENTS:
        assert len(lab.fetch_feedback(student)) == 1, student
    assert not left, f"processes of the killed service left running: {[p.cmdline for p in left]}"
