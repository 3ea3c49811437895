"""``nbgrader autograde`` with the course's config takes submissions through the intake before it reads them.

A FIFO as ``timestamp.txt`` stalled stock nbgrader's converter (it opens the
file to read the date); a link anywhere was followed when it copied the
folder. With ``c.Autograde.exporter_class = IntakeFirst`` such a submission is
that student's ``error`` on every path (``nbgrader autograde``, the
formgrader's button through nbgrader's API, ``autograder grade``), and the run
goes on with the others.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.course import Course
from autograder.engine.grade import grade
from autograder.engine.results import Status, read_record
from autograder.samples import Variant
from tests.helpers import released_course
from tests.plugins.test_nbgrader_commands import run_nbgrader

pytestmark = pytest.mark.slow

HONEST = "ada_reference"
FIFO = "fifo_timestamp"
LINKED = "linked_deep_inside"


def hostile_course(root: Path) -> Course:
    course = released_course(root, [Variant(HONEST), Variant(FIFO), Variant(LINKED)])
    os.mkfifo(course.submitted_path("week3", FIFO) / "timestamp.txt")
    inner = course.submitted_path("week3", LINKED) / "data" / "more"
    inner.mkdir(parents=True)
    (inner / "answers.json").symlink_to(course.source_path("week3") / "task2_relu.ipynb")
    return course


def record_status(course: Course, student: str) -> tuple[Status, str]:
    record = read_record(course.autograded_dir("week3", student))
    assert record is not None, f"no grading record for {student}"
    return record.status, record.message


def test_nbgrader_autograde_refuses_special_files_without_stalling(tmp_path: Path) -> None:
    course = hostile_course(tmp_path / "course")
    done = run_nbgrader("autograde", "week3", cwd=course.root)
    assert "is not graded" in done.stdout + done.stderr
    status, message = record_status(course, FIFO)
    assert status is Status.ERROR and "timestamp.txt was refused: it is a FIFO" in message
    status, message = record_status(course, LINKED)
    assert status is Status.ERROR and "data/more/answers.json was refused: it is a symbolic link" in message
    assert not (course.autograded_dir("week3", LINKED) / "data").exists(), "nothing of it was copied"
    assert (course.autograded_dir("week3", HONEST) / "task1_fitting.ipynb").is_file()
    from nbgrader.api import Gradebook

    with Gradebook(course.gradebook_url()) as gb:
        assert gb.find_submission("week3", HONEST).code_score == 29


def test_the_formgraders_button_and_autograder_grade_refuse_them_too(tmp_path: Path) -> None:
    course = hostile_course(tmp_path / "course")
    result = course.nbgrader_api().autograde("week3", FIFO, force=True)  # what the Autograde button calls
    assert "timestamp.txt was refused: it is a FIFO" in result["log"]
    assert record_status(course, FIFO)[0] is Status.ERROR
    results = {r.student: r for r in grade(course, "week3", force=True)}
    assert results[FIFO].status is Status.ERROR and "FIFO" in results[FIFO].message
    assert results[LINKED].status is Status.ERROR and "symbolic link" in results[LINKED].message
    assert results[HONEST].auto_score == 29
