"""release/ is generated from source/, leaks nothing, and has not drifted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder import notebooks
from autograder.checks import hidden
from autograder.course import Course
from autograder.engine.release import generate_release, leaks
from tests.helpers import RELEASE, SOURCE, make_course

HIDDEN_ONLY = ("BEGIN HIDDEN TESTS", "run_check", "_trusted", "manual_seed(2024)")
"""Nothing of the grader's checks is in a released notebook: no hidden tests or helpers, none of their cases."""


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = make_course(tmp_path_factory.mktemp("course"), with_release=False)
    generate_release(Course.load(course), "week3")
    return course / "release" / "week3"


def test_committed_release_matches_a_fresh_one(fresh_release: Path) -> None:
    fresh = sorted(p.name for p in fresh_release.glob("*.ipynb"))
    assert fresh == sorted(p.name for p in RELEASE.glob("*.ipynb")) == sorted(p.name for p in SOURCE.glob("*.ipynb"))
    for name in fresh:
        assert notebooks.comparable(notebooks.read(RELEASE / name)) == notebooks.comparable(
            notebooks.read(fresh_release / name)
        ), f"release/week3/{name} has drifted: run 'make release' and commit"


@pytest.mark.parametrize("path", sorted(RELEASE.glob("*.ipynb")), ids=lambda p: p.name)
def test_release_has_no_solutions_or_hidden_tests(path: Path) -> None:
    assert leaks(path) == []
    text = path.read_text()
    for marker in HIDDEN_ONLY:
        assert marker not in text
    for gid, cell in notebooks.grade_cells(notebooks.read(path)).items():
        meta = cell.metadata["nbgrader"]
        if meta.get("solution") and cell.cell_type == "code":
            assert "raise NotImplementedError()" in cell.source, gid


@pytest.mark.parametrize("path", sorted(SOURCE.glob("*.ipynb")), ids=lambda p: p.name)
def test_source_test_cells_are_what_students_see_and_their_hidden_tests(path: Path) -> None:
    """A source test cell is its release cell, then the hidden-test block written from its check."""
    released = notebooks.grade_cells(notebooks.read(RELEASE / path.name))
    for gid, cell in notebooks.grade_cells(notebooks.read(path)).items():
        meta = cell.metadata["nbgrader"]
        if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":
            assert hidden.without_blocks(cell.source).rstrip() == released[gid].source.rstrip(), gid
            assert "manual_seed(2024)" not in cell.source and "_trusted" not in cell.source


@pytest.mark.parametrize("path", sorted(SOURCE.glob("*.ipynb")), ids=lambda p: p.name)
def test_grade_cells_are_readable_and_documented(path: Path) -> None:
    for gid, cell in notebooks.grade_cells(notebooks.read(path)).items():
        assert gid.replace("_", "").isalnum() and gid == gid.lower() and not gid.startswith("cell-"), gid
        meta = cell.metadata["nbgrader"]
        if meta.get("grade") and cell.cell_type == "code":
            first = cell.source.splitlines()[0]
            assert first.startswith('"""Check that ') and first.endswith('"""'), gid
            assert meta["points"] > 0


def test_def_lines_stay_visible_in_the_release() -> None:
    text = json.dumps(notebooks.comparable(notebooks.read(RELEASE / "task1_fitting.ipynb")))
    for line in (
        "def gradient_sentences(params):",
        "def plot_quad_gradients(a, b, c):",
        "def gradient_descent(loss_fn, params, lr=0.01, steps=10):",
        "@interact(a=1.1, b=1.1, c=1.1)",
    ):
        assert line in text


def test_leak_check_finds_markers(tmp_path: Path) -> None:
    nb = notebooks.read(RELEASE / "task2_relu.ipynb")
    nb.cells[-1].source += "\n### BEGIN HIDDEN TESTS\nsecret\n### END HIDDEN TESTS"
    notebooks.write(nb, tmp_path / "leaky.ipynb")
    assert leaks(tmp_path / "leaky.ipynb") == [
        f"leaky.ipynb: cell {len(nb.cells) - 1} contains 'BEGIN HIDDEN TESTS'",
        f"leaky.ipynb: cell {len(nb.cells) - 1} contains 'END HIDDEN TESTS'",
    ]
