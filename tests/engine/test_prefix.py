"""The shared set-up (:mod:`autograder.jail.prefix`): the same grades and outputs with it as without it.

One cohort graded twice, with ``c.Grader.share_prefix`` on (the default) and off: the sample cohort, a
student who inserted a cell before the set-up (it runs in full) and one who edited a locked set-up cell
(nbgrader puts it back, so it shares the prefix again).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from autograder import notebooks
from autograder.course import Course
from autograder.engine.grade import grade
from autograder.engine.prepare import prepare
from autograder.samples import Variant, build_cohort
from demo.cohort import SAMPLE_COHORT
from tests.engine.test_engine import cell_scores
from tests.helpers import released_course

T1 = "task1_fitting"
PREFIX = 6
"""task1_fitting's leading locked code cells: plotting helper, quadratic, data, the two demonstrations, MAE."""


def _insert_before_set_up(nb: nbformat.NotebookNode) -> None:
    nb.cells.insert(0, nbformat.v4.new_code_cell("import numpy as np\nnp.random.seed(99)\nmine = 1"))


def _edit_set_up(nb: nbformat.NotebookNode) -> None:
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup_data")
    cell.source = "x = 'tampered'\n" + cell.source


EDITS = {"inserted_before_set_up": _insert_before_set_up, "edited_set_up": _edit_set_up}


def cohort(root: Path, share: bool) -> Course:
    course = released_course(root, extra_config=f"c.Grader.share_prefix = {share}\n")
    variants = [*SAMPLE_COHORT, *(Variant(name, answers=SAMPLE_COHORT[0].answers) for name in EDITS)]
    build_cohort(variants, course_root=course.root, assignment="week3")
    for name, edit in EDITS.items():
        path = course.submitted_dir / name / "week3" / f"{T1}.ipynb"
        nb = notebooks.read(path)
        edit(nb)
        notebooks.write(nb, path)
    return course


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Course, Course]:
    shared, alone = (cohort(tmp_path_factory.mktemp(f"share{flag}"), flag) for flag in (True, False))
    grade(shared, "week3", workers=2)
    grade(alone, "week3", workers=2)
    return shared, alone


def outputs(course: Course, student: str) -> list[tuple[str | None, list[str]]]:
    """Each code cell of the autograded task1 notebook: its grade id and the types of its outputs."""
    nb = json.loads((course.autograded_dir("week3", student) / f"{T1}.ipynb").read_text())
    return [
        (c["metadata"].get("nbgrader", {}).get("grade_id"), [o["output_type"] for o in c["outputs"]])
        for c in nb["cells"]
        if c["cell_type"] == "code"
    ]


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_the_grader_shares_only_the_releases_own_set_up(both: tuple[Course, Course]) -> None:
    shared, alone = both
    prefixes = {s: prepare(shared, "week3", s).prefix[T1] for s in ("ada_reference", *EDITS)}
    assert prefixes == {"ada_reference": PREFIX, "inserted_before_set_up": 0, "edited_set_up": PREFIX}
    assert prepare(alone, "week3", "ada_reference").prefix[T1] == 0  # c.Grader.share_prefix = False


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_grades_and_outputs_are_the_same_with_and_without_the_shared_set_up(both: tuple[Course, Course]) -> None:
    shared, alone = both
    students = [v.student for v in SAMPLE_COHORT] + list(EDITS)
    for student in students:
        assert cell_scores(shared, student) == cell_scores(alone, student), student
        assert outputs(shared, student) == outputs(alone, student), student
    set_up = outputs(shared, "ada_reference")[:PREFIX]
    assert any("display_data" in kinds for _, kinds in set_up)  # the demonstrations' plots came back
    assert cell_scores(shared, "ada_reference") and sum(cell_scores(shared, "ada_reference").values()) == 29
