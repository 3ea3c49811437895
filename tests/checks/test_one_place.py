"""One place to change a check: edit a threshold or a case in the checks module alone, and the scores follow.

The course's checks module is copied into a throw-away course and edited
there (``python -m autograder`` runs in the course, so the copy is the one
imported). An honest student's grade moves with the edit, and is never flagged
``suspect``: the notebook's test cell has nothing to disagree with.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder.course import Course
from autograder.engine import gradebook
from autograder.engine.results import Status
from autograder.samples import Variant
from tests.helpers import ROOT, released_course, run_cli

T2 = "task2_relu"
CLOSE_FIT = 'triple_relu_fit = {"m1": -4.5, "b1": -1.7, "m2": 2.9, "b2": -1.2, "m3": 3.2, "b3": 2.0}\n'
"""MAE 1.57 on the data: just above the threshold of 1.5."""
EQUIVALENT_LINE = """
def linear(m, b, x):
    return m * x + b


def triple_linear(m1, b1, m2, b2, m3, b3, x):
    return linear(m1, b1, x) + linear(m2, b2, x) + linear(m3, b3, x)


def equivalent_line(m1, b1, m2, b2, m3, b3):
    m, b = m1 + m2 + m3, b1 + b2 + b3
    return (m, b) if abs(m) < 50 else (0.0, 0.0)
"""
"""Right on every case the checks try today; wrong for lines steeper than 50."""
STUDENTS = [
    Variant("close_fit", answers={T2: {"triple_relu_fit": CLOSE_FIT}}),
    Variant("steep_lines_wrong", answers={T2: {"linear_swap": EQUIVALENT_LINE}}),
]


def edit(course: Course, old: str, new: str) -> None:
    path = course.root / "solutions" / "week3_checks" / "task2_relu.py"
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def graded(course: Course) -> dict[str, tuple[Status, dict[str, float]]]:
    result = run_cli("grade", "week3", "--force", cwd=course.root)
    assert result.returncode == 0, result.stderr
    found = {}
    for variant in STUDENTS:
        record = gradebook.read_submission(course, "week3", variant.student)
        assert record is not None
        found[variant.student] = (record.status, {c.grade_id: c.score or 0.0 for c in record.checks if c.auto})
    return found


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_a_check_changed_in_its_one_place_changes_the_scores(tmp_path: Path) -> None:
    course = released_course(tmp_path / "course", STUDENTS)
    shutil.copytree(ROOT / "solutions", course.root / "solutions", ignore=shutil.ignore_patterns("__pycache__"))

    before = graded(course)
    assert before["close_fit"][1]["triple_relu_fit_quality"] == 0
    assert before["steep_lines_wrong"][1]["equivalent_line_collapses"] == 2

    edit(course, "FIT_BELOW = 1.5", "FIT_BELOW = 1.6")  # relax the threshold of 2c
    edit(  # one more case for equivalent_line
        course,
        "cases=[call(*p) for p in seeded(13, 30, 3.0)],",
        "cases=[call(1.0, 2.0, 3.0, 4.0, 50.0, 6.0), *[call(*p) for p in seeded(13, 30, 3.0)]],",
    )
    after = graded(course)
    assert after["close_fit"][1]["triple_relu_fit_quality"] == 2
    assert after["steep_lines_wrong"][1]["equivalent_line_collapses"] == 0
    for student, (status, _) in {**before, **after}.items():
        assert status in (Status.GRADED, Status.NEEDS_MANUAL), student  # never suspect
    changed = {
        (student, gid)
        for student in after
        for gid, score in after[student][1].items()
        if score != before[student][1][gid]
    }
    assert changed == {("close_fit", "triple_relu_fit_quality"), ("steep_lines_wrong", "equivalent_line_collapses")}
