"""The engine knows no assignment: no grade id (or notebook name) of the course's source appears under autograder/.

Everything assignment-specific (checks, task grouping, warm-up, preloads) comes
from the course: its checks module (``c.Grader.checks``) and its settings.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder import notebooks
from tests.helpers import ROOT

PACKAGE = ROOT / "autograder"


def course_names() -> set[str]:
    """Every grade id and notebook name of every assignment in source/."""
    names = set()
    for path in (ROOT / "source").glob("*/*.ipynb"):
        names.add(path.stem)
        names |= set(notebooks.grade_cells(notebooks.read(path)))
    return names


def mentions(names: set[str], files: list[Path]) -> list[str]:
    found = []
    for path in files:
        text = path.read_text()
        for name in sorted(names):
            if re.search(rf"\b{re.escape(name)}\b", text):
                found.append(f"{path.name}: {name}")
    return found


def test_no_grade_id_of_the_course_is_in_the_package() -> None:
    names = course_names()
    assert len(names) > 20, "the course's grade ids should have been found"
    assert mentions(names, sorted(PACKAGE.rglob("*.py"))) == []


def test_the_scan_finds_a_planted_grade_id(tmp_path: Path) -> None:
    planted = tmp_path / "model.py"
    planted.write_text('TASKS = {"2a": ("triple_relu_matches_sum_of_relus",)}\n')
    assert mentions(course_names(), [planted]) == ["model.py: triple_relu_matches_sum_of_relus"]
