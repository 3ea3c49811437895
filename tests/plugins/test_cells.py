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


def tampered(path: Path) -> nbformat.NotebookNode:
    """A submitted notebook that changed what ``OverwriteCells`` puts back: a locked cell's source, a grade
    cell's points and a cell's type."""
    nb = notebooks.read(path)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    locked = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("locked") and c.cell_type == "code")
    locked.source += "\nprint('changed')"
    graded[0].metadata.nbgrader["points"] = 99
    written = next(c for c in graded if c.cell_type == "markdown")
    written.cell_type = "raw"
    return nb


def test_overwrite_cells_puts_back_what_nbgraders_does_with_one_query_a_kind(tmp_path: Path) -> None:
    """Ours and nbgrader's ``OverwriteCells`` make the same notebook of a tampered submission; ours asks
    the gradebook a fixed number of queries however many cells the notebook has, nbgrader's two a cell."""
    import sqlalchemy
    from nbgrader.preprocessors import OverwriteCells as NbgraderOverwriteCells

    from autograder.plugins.cells import OverwriteCells

    course = released_course(tmp_path / "course")
    source = course.root / "source" / "week3" / "task2_relu.ipynb"
    resources = {"nbgrader": {"db_url": course.gradebook_url(), "assignment": "week3", "notebook": "task2_relu"}}
    queries: list[str] = []
    made: dict[str, nbformat.NotebookNode] = {}
    asked: dict[str, int] = {}
    for name, step in (("nbgrader", NbgraderOverwriteCells), ("ours", OverwriteCells)):
        queries.clear()
        listen = lambda *args: queries.append(args[2])  # noqa: E731
        sqlalchemy.event.listen(sqlalchemy.engine.Engine, "before_cursor_execute", listen)
        try:
            made[name], _ = step().preprocess(tampered(source), copy.deepcopy(resources))
        finally:
            sqlalchemy.event.remove(sqlalchemy.engine.Engine, "before_cursor_execute", listen)
        asked[name] = sum(q.startswith("SELECT") and "sqlite_master" not in q for q in queries)  # not the schema's
    assert made["ours"] == made["nbgrader"]
    assert "print('changed')" not in str(made["ours"]) and '"points": 99' not in str(made["ours"])
    cells = len(made["ours"].cells)
    assert asked["ours"] <= 4 < cells <= asked["nbgrader"], asked
