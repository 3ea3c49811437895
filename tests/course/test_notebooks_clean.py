"""Committed notebooks are clean: no outputs, no execution counts, minimal metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder import notebooks
from tests.helpers import ROOT

COMMITTED = sorted((ROOT / "source").rglob("*.ipynb")) + sorted((ROOT / "release").rglob("*.ipynb"))


def test_there_are_notebooks_to_check() -> None:
    assert len(COMMITTED) >= 6


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_notebook_is_clean(path: Path) -> None:
    assert notebooks.problems(notebooks.read(path)) == []


def test_clean_strips_what_the_check_finds() -> None:
    nb = notebooks.read(ROOT / "source" / "week3" / "task1_fitting.ipynb")
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells[2].metadata["collapsed"] = True
    nb.cells[2].outputs = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    nb.cells[2].execution_count = 3
    assert len(notebooks.problems(nb)) == 4
    assert notebooks.problems(notebooks.clean(nb)) == []
