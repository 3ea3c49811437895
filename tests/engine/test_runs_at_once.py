"""One course, one grading run at a time: a second ``autograder grade`` waits its turn and says so, or refuses in
one line with ``--no-wait``; Ctrl-C ends a run with one line and nothing left running, and the next run resumes.
Every student ends graded exactly once in the gradebook, as after one clean run."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from autograder.samples import Variant, reference_answers
from tests.helpers import SOURCE, released_course, run_cli

REFERENCE_TRIPLE_RELU = reference_answers(SOURCE)["task2_relu"]["triple_relu"]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("runs_at_once")]

SLOW = "import time\ntime.sleep(10)  # the run still holds the course while the test starts a second one\n"
COHORT = [
    *(Variant(f"s{i}_reference", base="reference") for i in range(4)),
    Variant("s4_stub", base="stub"),
    Variant("s5_slow_reference", answers={"task2_relu": {"triple_relu": SLOW + REFERENCE_TRIPLE_RELU}}),
]
"""Graded in name order by one worker: the slow one last, so that the first run outlasts a second's start."""
EXPECTED = {v.student: (0 if v.base == "stub" else 29) for v in COHORT}


def start(course: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", "week3", "--workers", "1", *extra],
        cwd=course,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_first_grade(run: subprocess.Popen[str], timeout: float = 180) -> str:
    """Read the run's progress (on stderr) until it shows one graded submission (it then holds the lock)."""
    assert run.stderr is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = run.stderr.readline()
        seen += line
        if line.startswith("[1/"):
            return seen
        if not line and run.poll() is not None:
            break
    raise AssertionError(f"no submission graded: {seen}")


def gradebook_scores(course: Path) -> dict[str, list[float]]:
    """Each student's auto score per submission row in the gradebook (a student graded twice has two)."""
    query = (
        "select s.student_id, sum(g.auto_score) from submitted_assignment s join submitted_notebook n"
        " on n.assignment_id = s.id join grade g on g.notebook_id = n.id group by s.id"
    )
    with sqlite3.connect(course / "gradebook.db") as db:
        found: dict[str, list[float]] = {}
        for student, score in db.execute(query):
            found.setdefault(student, []).append(score)
    return found


def test_a_second_run_waits_its_turn_and_a_no_wait_run_refuses(tmp_path: Path) -> None:
    course = released_course(tmp_path / "course", COHORT).root
    first = start(course)
    wait_for_first_grade(first)
    refused = run_cli("grade", "week3", "--no-wait", cwd=course)
    second = start(course)
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    _, err2 = second.communicate(timeout=600)
    assert second.returncode == 0, err2
    assert refused.returncode == 1
    assert refused.stderr.startswith("autograder: error: another grading run holds this course (pid ")
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "another grading run holds this course" in err2 and "waiting for it to end" in err2
    assert "Traceback" not in err + err2
    assert {s: scores for s, scores in gradebook_scores(course).items()} == {s: [p] for s, p in EXPECTED.items()}


def test_ctrl_c_ends_with_one_line_and_nothing_running_and_the_next_run_resumes(tmp_path: Path) -> None:
    course = released_course(tmp_path / "course", COHORT).root
    run = start(course)
    wait_for_first_grade(run)
    children = psutil.Process(run.pid).children(recursive=True)
    assert children, "no grading processes to stop"
    run.send_signal(signal.SIGINT)
    time.sleep(0.05)
    run.send_signal(signal.SIGINT)  # impatient: a second Ctrl-C while it stops
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130
    assert err.strip().splitlines()[-1] == "autograder: interrupted", err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"left running: {[p.cmdline()[:3] for p in alive]}"
    resumed = run_cli("grade", "week3", cwd=course)
    assert resumed.returncode == 0, resumed.stderr
    assert {s: scores for s, scores in gradebook_scores(course).items()} == {s: [p] for s, p in EXPECTED.items()}
