"""Attacks on the notebook file itself: nbgrader's cell metadata and which cells are there.

A student can edit the .ipynb by hand before submitting. The grader restores what the gradebook
knows (points, locked sources) or refuses the notebook (damaged or deleted grade cells); either
way nothing is gained.
"""

from __future__ import annotations

import copy

import nbformat

from autograder.engine.results import Status
from tests.jail.attacks.answers import WRONG
from tests.jail.attacks.model import T1, T2, Attack, Submission

NEEDS_MANUAL = frozenset({Status.NEEDS_MANUAL})
RESTORED_OR_REFUSED = frozenset({Status.NEEDS_MANUAL, Status.ERROR})

Notebooks = dict[str, nbformat.NotebookNode]


def _nbgrader(cell: nbformat.NotebookNode) -> dict[str, object]:
    meta: dict[str, object] = cell.get("metadata", {}).get("nbgrader", {})
    return meta


def _test_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The auto-graded test cells (graded, not answers)."""
    return [
        c for c in nb.cells if c.cell_type == "code" and _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")
    ]


def _index(nb: nbformat.NotebookNode, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if _nbgrader(c).get("grade_id") == grade_id)


WRONG_FAILS_IN_TASK2 = (
    "triple_relu_matches_sum_of_relus",
    "plot_triple_relu_draws_curve",
    "plot_triple_relu_scatters_data",
    "triple_relu_fit_quality",
    "linear_is_unclipped",
    "triple_linear_sums_lines",
    "equivalent_line_collapses",
)
"""Task 2's test cells that the wrong answers fail."""


def raise_points(notebooks: Notebooks) -> None:
    """Every test cell is worth 100 points."""
    for nb in notebooks.values():
        for cell in _test_cells(nb):
            cell.metadata["nbgrader"]["points"] = 100


def ungrade_failing_tests(notebooks: Notebooks) -> None:
    """The tests the answers fail are no longer graded (nor locked), so they cannot cost points."""
    nb = notebooks[T2]
    for gid in WRONG_FAILS_IN_TASK2:
        meta = nb.cells[_index(nb, gid)].metadata["nbgrader"]
        meta["grade"] = False
        meta["locked"] = False
        meta.pop("points", None)


def grade_an_answer(notebooks: Notebooks) -> None:
    """An answer cell (a right one) becomes an auto-graded cell worth 50 points."""
    for nb, gid in ((notebooks[T1], "gradient_descent"), (notebooks[T2], "triple_relu_fit")):
        meta = nb.cells[_index(nb, gid)].metadata["nbgrader"]
        meta["grade"] = True
        meta["points"] = 50


def delete_failing_tests(notebooks: Notebooks) -> None:
    """The tests the answers fail are gone from the notebook."""
    nb = notebooks[T2]
    for gid in WRONG_FAILS_IN_TASK2:
        del nb.cells[_index(nb, gid)]


def duplicate_tests(notebooks: Notebooks) -> None:
    """Every test cell (they all pass) appears twice, to count twice."""
    for nb in notebooks.values():
        for cell in _test_cells(nb):
            twin = copy.deepcopy(cell)
            twin["id"] = f"{cell.get('id', 'cell')}-twin"  # Jupyter gives a pasted cell a new id; nbgrader ids stay
            nb.cells.insert(nb.cells.index(cell), twin)


def empty_failing_tests(notebooks: Notebooks) -> None:
    """The tests the answers fail are unlocked and their code replaced by `pass`."""
    nb = notebooks[T2]
    for gid in WRONG_FAILS_IN_TASK2:
        cell = nb.cells[_index(nb, gid)]
        cell.source = "pass\n"
        cell.metadata["nbgrader"]["locked"] = False
        cell.metadata.pop("editable", None)
        cell.metadata.pop("deletable", None)


def add_a_bonus_cell(notebooks: Notebooks) -> None:
    """A new auto-graded cell of the student's own, which passes, worth 100 points."""
    cell = nbformat.v4.new_code_cell("assert True\n")
    cell.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "bonus",
        "locked": True,
        "points": 100,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    notebooks[T2].cells.append(cell)


ATTACKS = [
    Attack(
        "raises_test_cell_points",
        "every test cell's nbgrader points set to 100",
        Submission(edit=raise_points),
        "reference",
        NEEDS_MANUAL,
    ),
    Attack(
        "ungrades_failing_tests",
        "the test cells the wrong answers fail get grade: false and locked: false",
        Submission(answers=WRONG, edit=ungrade_failing_tests),
        "wrong",
        RESTORED_OR_REFUSED,
    ),
    Attack(
        "grades_its_own_answers",
        "two right answer cells become auto-graded cells worth 50 points each",
        Submission(edit=grade_an_answer),
        "reference",
        RESTORED_OR_REFUSED,
    ),
    Attack(
        "deletes_failing_tests",
        "the test cells the wrong answers fail are deleted from the notebook",
        Submission(answers=WRONG, edit=delete_failing_tests),
        "wrong",
        frozenset({Status.ERROR}),
        ("graded cells deleted",),
    ),
    Attack(
        "duplicates_tests",
        "every test cell (all pass) is duplicated, ids and all, to count twice (it stopped nbgrader autograde's "
        "whole run: SchemaTooOldError)",
        Submission(edit=duplicate_tests),
        "reference",
        # the copies are plain cells (autograder.plugins.cells): each test counts once; a written answer's copy
        # leaves its cell to be graded by hand
        frozenset({Status.GRADED, Status.NEEDS_MANUAL}),
        (),
    ),
    Attack(
        "empties_failing_tests",
        "the test cells the wrong answers fail are unlocked and replaced by `pass`",
        Submission(answers=WRONG, edit=empty_failing_tests),
        "wrong",
        RESTORED_OR_REFUSED,
    ),
    Attack(
        "adds_a_bonus_test_cell",
        "a new graded cell `assert True` worth 100 points is added at the end of Task 2",
        Submission(edit=add_a_bonus_cell),
        "reference",
        RESTORED_OR_REFUSED,
    ),
]
