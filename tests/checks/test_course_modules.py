"""A long-lived process grades with this course's checks as they are now: not a copy that an earlier import
(another course, the checkout, the test process itself) left in ``sys.modules``, nor the file before an edit."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from autograder.checks.plan import load_module
from tests.helpers import ROOT, copy_solutions

CHECKS = "solutions.week3_checks"


@pytest.fixture
def two_courses(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "first", tmp_path / "second"
    copy_solutions(first)
    copy_solutions(second)
    return first, second


def test_checks_imported_from_the_checkout_are_imported_again_from_the_course(two_courses: tuple[Path, Path]) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        __import__(CHECKS)  # as a test or a notebook in the same process does
    finally:
        sys.path.remove(str(ROOT))
    first, second = two_courses
    assert Path(load_module(CHECKS, first).__file__ or "").is_relative_to(first)
    assert load_module(CHECKS, first) is load_module(CHECKS, first)  # unchanged: not imported again
    assert Path(load_module(CHECKS, second).__file__ or "").is_relative_to(second)


def test_a_check_edited_while_the_process_runs_is_read_again(two_courses: tuple[Path, Path]) -> None:
    course, _ = two_courses
    module = f"{CHECKS}.task2_relu"
    assert not hasattr(load_module(module, course), "EDITED")
    edited = course / "solutions" / "week3_checks" / "task2_relu.py"
    edited.write_text(edited.read_text() + "\nEDITED = True\n")
    later = edited.stat().st_mtime_ns + 1_000_000_000
    os.utime(edited, ns=(later, later))  # a second later, as an instructor's edit is
    assert load_module(module, course).EDITED is True


def test_a_missing_course_copy_is_not_replaced_by_the_checkout(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    shutil.rmtree(tmp_path / "solutions" / "week3_checks")
    from autograder.errors import AutograderError

    with pytest.raises(AutograderError, match="cannot load the grader's checks"):
        load_module(CHECKS, tmp_path)
