"""One grade with or without the shared set-up: catalogue cases, a student cell inserted before the set-up and a
set-up cell moved, graded with ``c.Grader.shared_prefix`` on and off, compared cell by cell.

By default one mistake and one correct rewrite of a few families of the catalogue;
``AUTOGRADER_PREFIX=all`` grades the whole catalogue both ways.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from autograder.course import Course
from autograder.engine import gradebook, setup_cells
from autograder.engine.grade import grade
from autograder.samples import Variant
from tests.course.catalogue import variants
from tests.course.catalogue.correct import CORRECT
from tests.course.catalogue.mistakes import MISTAKES
from tests.helpers import released_course

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nbgrader")]

FULL = os.environ.get("AUTOGRADER_PREFIX") == "all"
CASES = MISTAKES + CORRECT if FULL else MISTAKES[:3] + CORRECT[:1]
INSERTS = "zed_inserts_cell_before_setup"
MOVES = "yan_moves_a_setup_cell"


def submitted(course: Course, student: str, name: str) -> Path:
    return course.submitted_path("week3", student) / f"{name}.ipynb"


def tamper(course: Course) -> None:
    """A code cell of the student's own before task 1's set-up; task 2's data cell moved above its helpers."""
    path = submitted(course, INSERTS, "task1_fitting")
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("mine = 'before the set-up'\nprint(mine)", id="mine-first"))
    nbformat.write(nb, path)
    path = submitted(course, MOVES, "task2_relu")
    nb = nbformat.read(path, as_version=4)
    ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells]
    data = nb.cells.pop(ids.index("setup_data"))
    nb.cells.insert(ids.index("setup_plotting") + 1, data)
    nbformat.write(nb, path)


def outputs(course: Course, student: str) -> dict[str, list[str]]:
    """Each autograded notebook's cells as text, widget model ids (new in every run) left out."""
    found = {}
    for path in sorted(course.autograded_dir("week3", student).glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        found[path.stem] = [re.sub(r'"model_id": "[0-9a-f]+"', "", json.dumps(c, sort_keys=True)) for c in cells]
    return found


def test_grades_and_outputs_are_the_same_with_or_without_the_shared_set_up(tmp_path: Path) -> None:
    cohort = [*variants(CASES), Variant(INSERTS), Variant(MOVES)]
    courses = {}
    for shared in (True, False):
        course = released_course(tmp_path / str(shared), cohort, extra_config=f"c.Grader.shared_prefix = {shared}\n")
        tamper(course)
        grade(course, "week3")
        courses[shared] = course
    differing = []
    for variant in cohort:
        a, b = (gradebook.read_submission(courses[s], "week3", variant.student) for s in (True, False))
        assert a is not None and b is not None
        if [(c.grade_id, c.score, c.message) for c in a.checks] != [(c.grade_id, c.score, c.message) for c in b.checks]:
            differing.append(f"{variant.student}: scores or messages differ")
        for name, cells in outputs(courses[True], variant.student).items():
            theirs = outputs(courses[False], variant.student)[name]
            pairs = enumerate(zip(cells, theirs, strict=True))
            differing += [f"{variant.student}/{name} cell {i}" for i, (x, y) in pairs if x != y]
    assert differing == []
    inserted = outputs(courses[True], INSERTS)["task1_fitting"][0]
    assert "before the set-up" in inserted and '"execution_count": 1' in inserted


def test_a_notebook_with_a_cell_before_or_among_the_set_up_runs_in_full(tmp_path: Path) -> None:
    course = released_course(tmp_path, [Variant("ada"), Variant(INSERTS), Variant(MOVES)])
    tamper(course)

    def prefix(student: str, name: str) -> int:
        nb = nbformat.read(submitted(course, student, name), as_version=4)
        return setup_cells.shared_prefix(name, nb, setup_cells.source_setup(course, "week3", name))[0]

    assert prefix("ada", "task1_fitting") == 6 and prefix("ada", "task2_relu") == 6
    assert prefix(INSERTS, "task1_fitting") == 0 and prefix(INSERTS, "task2_relu") == 6
    assert prefix(MOVES, "task2_relu") == 0
