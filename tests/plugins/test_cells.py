"""A copied cell or an edited schema version costs one student, never the class's run.

nbgrader 0.9.6's own ``DeduplicateIds`` and ``CheckCellMetadata`` turn a
copied grade cell into ``SchemaTooOldError``, and its ``Autograde`` converter
stops the whole run on that error: the first two tests show it happening with
nbgrader's steps and not with ours; the last runs ``nbgrader autograde`` with the
course's config on a class where one student copied a cell and one edited a
schema version.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from nbgrader.nbgraderformat import SchemaTooOldError
from nbgrader.preprocessors import CheckCellMetadata as NbgraderCheckCellMetadata
from nbgrader.preprocessors import DeduplicateIds as NbgraderDeduplicateIds

from autograder import notebooks
from autograder.plugins.cells import CheckCellMetadata, DamagedCells, DeduplicateIds
from autograder.samples import Variant
from tests.helpers import SOURCE, released_course
from tests.plugins.test_nbgrader_commands import run_nbgrader

NOTEBOOK = "task1_fitting"
TEST_CELL = "gradient_sentences_directions"


def with_copied_test_cell(path: Path = SOURCE / f"{NOTEBOOK}.ipynb") -> nbformat.NotebookNode:
    nb = notebooks.read(path)
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == TEST_CELL)
    twin = copy.deepcopy(nb.cells[index])
    twin["id"] = "pasted-copy"
    nb.cells.insert(index, twin)
    return nb


def with_schema_version(version: int, path: Path = SOURCE / f"{NOTEBOOK}.ipynb") -> nbformat.NotebookNode:
    nb = notebooks.read(path)
    next(c for c in nb.cells if "nbgrader" in c.metadata).metadata.nbgrader["schema_version"] = version
    return nb


def test_nbgraders_own_steps_turn_a_copied_cell_into_schema_too_old() -> None:
    nb, resources = NbgraderDeduplicateIds().preprocess(with_copied_test_cell(), {})
    with pytest.raises(SchemaTooOldError):
        NbgraderCheckCellMetadata().preprocess(nb, resources)


def test_ours_leave_the_copy_a_plain_cell_and_fail_only_a_wrong_schema_version() -> None:
    nb, resources = DeduplicateIds().preprocess(with_copied_test_cell(), {})
    nb, _ = CheckCellMetadata().preprocess(nb, resources)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert ids.count(TEST_CELL) == 1 and len(ids) == len(set(ids))
    assert "pasted-copy" in [c.get("id") for c in nb.cells if "nbgrader" not in c.metadata], "the copy stays, plain"
    with pytest.raises(DamagedCells, match="not of this nbgrader's version"):
        CheckCellMetadata().preprocess(with_schema_version(1), {})


@pytest.mark.slow
def test_nbgrader_autograde_grades_the_class_past_them(tmp_path: Path) -> None:
    students = ["ada_reference", "bea_copied_a_cell", "cy_edited_the_schema", "dan_reference"]
    course = released_course(tmp_path / "course", [Variant(s) for s in students])
    path = course.submitted_path("week3", "bea_copied_a_cell") / f"{NOTEBOOK}.ipynb"
    notebooks.write(with_copied_test_cell(path), path)
    path = course.submitted_path("week3", "cy_edited_the_schema") / f"{NOTEBOOK}.ipynb"
    notebooks.write(with_schema_version(1, path), path)

    done = run_nbgrader("autograde", "week3", cwd=course.root)
    assert "old version" not in done.stdout + done.stderr, "the run stopped on a schema error"
    from nbgrader.api import Gradebook

    with Gradebook(course.gradebook_url()) as gb:
        totals = {s: gb.find_submission("week3", s).code_score for s in students}
    assert totals["ada_reference"] == totals["dan_reference"] == totals["bea_copied_a_cell"] == 29
    assert totals["cy_edited_the_schema"] < 29
    assert "cy_edited_the_schema" in done.stdout + done.stderr
