"""Fixing a check after release, in its one place: ``autograder grade`` (no ``--force``) regrades only the cells
whose check changed, keeps every manual grade, and says whose points moved (``changes.csv``, the cohort page).

The course's checks module is copied into a throw-away course and edited there (``python -m autograder``
runs in the course, so the copy is the one imported). An honest student's grade moves with the edit, and is
never flagged ``suspect``: the notebook's test cell has nothing to disagree with.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.course import Course
from autograder.engine.results import BY_GRADER, Status, read_record
from autograder.samples import Variant
from demo.cohort import ONLY_SLOPES_ADDED
from tests.helpers import ROOT, released_course, run_cli

pytestmark = pytest.mark.slow

THRESHOLD = "FIT_BELOW = 1.5\n"
RELAXED = "FIT_BELOW = 2.0\n"
CHECKS_FILE = Path("solutions") / "week3_checks" / "task2_relu.py"
FIT = "triple_relu_fit_quality"
WRITTEN = ("task1_fitting", "task1b_answer")
LINEAR = "def linear(m, b, x):\n"


def fit(**changed: float) -> str:
    values = {"m1": -4.5, "b1": -1.7, "m2": 2.9, "b2": -1.2, "m3": 3.2, "b3": 0.8} | changed
    return f"triple_relu_fit = {values!r}\n"


EQUIVALENT_LINE = (
    ONLY_SLOPES_ADDED.split("def equivalent_line")[0]
    + """def equivalent_line(m1, b1, m2, b2, m3, b3):
    m, b = m1 + m2 + m3, b1 + b2 + b3
    return (m, b) if abs(m) < 50 else (0.0, 0.0)
"""
)
"""Right on every case the checks try today; wrong for lines steeper than 50."""
CASES = "cases=[call(*p) for p in seeded(13, 30, 3.0)],"
MORE_CASES = "cases=[call(1.0, 2.0, 3.0, 4.0, 50.0, 6.0), *[call(*p) for p in seeded(13, 30, 3.0)]],"
COLLAPSES = "equivalent_line_collapses"
COHORT = [
    Variant("ada_reference"),  # MAE 1.16: passes either way
    Variant("near_threshold", answers={"task2_relu": {"triple_relu_fit": fit(m3=1.7)}}),  # 1.65: only when relaxed
    Variant("far_off", answers={"task2_relu": {"triple_relu_fit": fit(m1=0.0, b1=0.0, m3=0.0)}}),  # fails either way
    Variant("steep_lines_wrong", answers={"task2_relu": {"linear_swap": EQUIVALENT_LINE}}),
]


def scores(course: Course) -> dict[str, dict[str, float | None]]:
    found: dict[str, dict[str, float | None]] = {}
    for variant in COHORT:
        record = read_record(course.autograded_dir("week3", variant.student))
        assert record is not None, variant.student
        found[variant.student] = {f"{c.notebook}/{c.grade_id}": c.score for c in record.checks}
    return found


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def grade(course: Course) -> str:
    done = run_cli("grade", "week3", cwd=course.root)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_relaxing_a_threshold_moves_only_the_students_near_it(tmp_path: Path) -> None:
    course = released_course(tmp_path / "course", COHORT)
    checks_file = course.root / CHECKS_FILE
    assert THRESHOLD in checks_file.read_text()
    grade(course)
    before = scores(course)
    assert before["near_threshold"][f"task2_relu/{FIT}"] == 0
    record = read_record(course.autograded_dir("week3", "ada_reference"))
    assert record is not None
    graded_by_checks = [c for c in record.checks if c.judged_by == BY_GRADER]
    assert graded_by_checks and all(len(c.fingerprint) == 16 for c in graded_by_checks)

    with Gradebook(course.gradebook_url()) as gb:  # an instructor grades a written answer, as the formgrader saves it
        grade_row = gb.find_grade(WRITTEN[1], WRITTEN[0], "week3", "ada_reference")
        grade_row.manual_score, grade_row.needs_manual_grade = 1.5, False
        gb.find_comment(WRITTEN[1], WRITTEN[0], "week3", "ada_reference").manual_comment = "well argued"
        gb.db.commit()
    assert "already graded" in grade(course)  # nothing changed: nothing graded again

    text = checks_file.read_text()
    assert text.count(THRESHOLD) == 1 and text.count(CASES) == 1
    checks_file.write_text(text.replace(THRESHOLD, RELAXED).replace(CASES, MORE_CASES))  # 2c relaxed, a case added
    out = grade(course)
    assert f"checks changed since the last grading: {COLLAPSES}, {FIT}" in out
    assert "2 students' points moved" in out
    after = scores(course)
    assert after["near_threshold"][f"task2_relu/{FIT}"] == 2  # the fit cell's points
    assert after["steep_lines_wrong"][f"task2_relu/{COLLAPSES}"] == 0
    before["near_threshold"][f"task2_relu/{FIT}"] = 2
    before["steep_lines_wrong"][f"task2_relu/{COLLAPSES}"] = 0
    before["ada_reference"]["/".join(WRITTEN)] = 1.5  # the manual grade, now in the record
    assert after == before, "only the cell of the changed check may move"
    for variant in COHORT:
        again = read_record(course.autograded_dir("week3", variant.student))
        assert again is not None and again.regraded == [COLLAPSES, FIT], variant.student
        assert again.status in (Status.GRADED, Status.NEEDS_MANUAL), variant.student  # never suspect

    with Gradebook(course.gradebook_url()) as gb:
        kept = gb.find_grade(WRITTEN[1], WRITTEN[0], "week3", "ada_reference")
        assert (kept.manual_score, kept.needs_manual_grade) == (1.5, False)
        assert gb.find_comment(WRITTEN[1], WRITTEN[0], "week3", "ada_reference").manual_comment == "well argued"

    changes = csv_rows(course.reports_dir("week3") / "changes.csv")
    assert sorted((r["student"], r["grade_id"], r["old_points"], r["new_points"]) for r in changes) == [
        ("near_threshold", FIT, "0", "2"),
        ("steep_lines_wrong", COLLAPSES, "2", "0"),
    ]
    assert changes[0]["old_check"] != changes[0]["new_check"]
    graded = {r["student"]: r for r in csv_rows(course.reports_dir("week3") / "grades.csv")}
    assert float(graded["near_threshold"]["score"]) == sum(s or 0 for s in after["near_threshold"].values())

    done = run_cli("report", "week3", cwd=course.root)
    assert done.returncode == 0, done.stderr
    canvas = csv_rows(course.reports_dir("week3") / "canvas.csv")
    near = next(r for r in canvas if "near_threshold" in json.dumps(r))
    assert str(sum(s or 0 for s in after["near_threshold"].values())).rstrip("0").rstrip(".") in near.values()
    page = (course.reports_dir("week3") / "index.html").read_text()
    assert 'data-changed="near_threshold"' in page and 'data-changed="far_off"' not in page
    assert "already graded" in grade(course)  # the fix is recorded: the next run grades nothing again


FINGERPRINTS = """
import json, sys
from pathlib import Path
from autograder.checks.plan import load_checks, plan
root = Path(sys.argv[1])
made = plan(load_checks("solutions.week3_checks", root), int(sys.argv[2]), root)
print(json.dumps({gid: made.fingerprint(nb, gid) for nb, checks in made.checks.items() for gid in checks}))
"""


def fingerprints(root: Path, seed: int = 1) -> dict[str, str]:
    """The fingerprint of every check of the course at ``root``, in a fresh interpreter (as each run has)."""
    done = subprocess.run([sys.executable, "-c", FINGERPRINTS, str(root), str(seed)], cwd=root, capture_output=True,
                          text=True, check=False, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    found: dict[str, str] = json.loads(done.stdout)
    return found


def test_a_fingerprint_follows_what_decides_the_verdict(tmp_path: Path) -> None:
    """Moving a check in its file leaves its fingerprint; a new threshold, new inputs or a new reference change it."""
    root = tmp_path / "course"
    shutil.copytree(ROOT / "solutions", root / "solutions")
    checks_file = root / CHECKS_FILE
    first = fingerprints(root)
    assert len(first) == 17 and fingerprints(root) == first
    reseeded = fingerprints(root, seed=2)  # new inputs: every check that draws some is new; the fit check draws none
    assert {g for g in first if first[g] == reseeded[g]} == {FIT}
    checks_file.write_text("\n\n# two lines down\n" + checks_file.read_text())
    assert fingerprints(root) == first
    checks_file.write_text(checks_file.read_text().replace(THRESHOLD, RELAXED))
    relaxed = fingerprints(root)
    assert {g for g in first if first[g] != relaxed[g]} == {FIT}
    reference = root / "solutions" / "week3.py"
    reference.write_text(reference.read_text().replace(LINEAR, LINEAR + "    m = m + 0\n"))
    changed = {g for g, f in fingerprints(root).items() if relaxed[g] != f}
    assert "linear_is_unclipped" in changed and "gradient_sentences_values" not in changed
