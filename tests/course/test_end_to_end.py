"""Release, submit, grade, read the gradebook: the whole path in a throw-away course."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder import notebooks
from tests.helpers import SOURCE, make_course, run_cli


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_reference_gets_everything_and_the_stub_nothing(tmp_path: Path) -> None:
    course = make_course(tmp_path / "course", with_release=False)
    released = run_cli("release", "week3", cwd=course)
    assert released.returncode == 0, released.stderr
    release = course / "release" / "week3"
    for path in release.glob("*.ipynb"):
        assert "HIDDEN TESTS" not in path.read_text()
        assert "_relu_sum" not in path.read_text()

    shutil.copytree(SOURCE, course / "submitted" / "reference" / "week3")  # each source notebook as is
    shutil.copytree(release, course / "submitted" / "stub" / "week3")  # the release untouched

    graded = run_cli("grade", "week3", cwd=course)
    assert graded.returncode == 0, graded.stderr
    assert "Traceback" not in graded.stderr

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        reference = gb.find_submission("week3", "reference")
        stub = gb.find_submission("week3", "stub")
        auto_points = sum(
            c.max_score for nb in gb.find_assignment("week3").notebooks for c in nb.grade_cells if c.cell_type == "code"
        )
        assert auto_points == 29
        assert reference.code_score == reference.max_code_score == auto_points
        assert stub.code_score == 0
        for nb in stub.notebooks:
            for grade in nb.grades:
                if grade.cell_type == "code":
                    assert grade.score == 0, grade.name

    rows = {r["student"]: r for r in csv.DictReader((course / "reports" / "week3" / "grades.csv").open())}
    assert float(rows["reference"]["auto_score"]) == 29 and float(rows["stub"]["auto_score"]) == 0
    assert "reference" in graded.stdout and "29/29" in graded.stdout

    # the autograded copies are nbgrader's, each failed check showing the grader's message first
    autograded = notebooks.read(course / "autograded" / "stub" / "week3" / "task2_relu.ipynb")
    first = notebooks.grade_cells(autograded)["triple_relu_matches_sum_of_relus"].outputs[0]
    assert first.output_type == "error" and first.ename == "GraderCheck", first
    assert first.evalue.startswith("triple_relu(1, 0, 0, 0, 0, 0, tensor([-2.0, -1.0, 0.0, 1.0, 2.0])) raised")
