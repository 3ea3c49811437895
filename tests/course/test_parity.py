"""One grade with or without the engine: stock ``nbgrader autograde`` and ``autograder grade`` agree cell by cell.

Stock is the course's ``nbgrader_config.py`` less every setting that names an
``autograder.`` class (:func:`autograder.samples.stock_config`): nbgrader's own
``Execute`` runs each notebook in a fresh kernel, hidden-test blocks included,
and those blocks run the grader's checks in the student's process
(:mod:`autograder.checks.hidden`). Ours runs the same checks from outside the
sandbox. Both read the same secret, so both draw the same inputs.

The cohort: in ``make test``, the first mistake and the first correct rewrite of
every family of the catalogue (25 cases) and the sample cohort's reference and
stub (its mistakes are the catalogue's); with ``AUTOGRADER_PARITY=all``, the
whole catalogue (66 mistakes, 18 correct rewrites; the README gives that run's
figures) and the whole sample cohort. Either in two halves, one per test
worker. Each catalogue case changes one notebook; only that notebook is
submitted (the others are the reference's, graded in full for the reference
student), which halves stock's time; Task 3 (no grade cells, never run by
ours) is submitted by no one (:func:`autograder.samples.drop_ungraded`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.engine.grade import grade
from autograder.engine.seeds import SECRETS_DIR
from autograder.samples import Variant, drop_ungraded, stock_config
from demo.cohort import SAMPLE_COHORT
from tests.course.catalogue import Case
from tests.course.catalogue.correct import CORRECT
from tests.course.catalogue.mistakes import MISTAKES
from tests.helpers import released_course

ASSIGNMENT = "week3"


def one_per_family(cases: list[Case]) -> list[Case]:
    """The first case of each family."""
    firsts: dict[str, Case] = {}
    for case in cases:
        firsts.setdefault(case.family, case)
    return list(firsts.values())


FULL = os.environ.get("AUTOGRADER_PARITY") == "all"
CASES: list[Case] = MISTAKES + CORRECT if FULL else one_per_family(MISTAKES) + one_per_family(CORRECT)
WHOLE: list[Variant] = [v for v in SAMPLE_COHORT if FULL or v.student in {"ada_reference", "ben_untouched_stub"}]
"""The sample cohort's students graded in full: its reference and its stub (each its every notebook)."""
SHARDS = 2
"""Halves graded side by side, one per test worker when both are free."""

pytestmark = pytest.mark.slow

Scores = dict[tuple[str, str, str], float | None]


def scores(root: Path) -> Scores:
    """Every grade of the gradebook: ``(student, notebook, grade id) -> score``."""
    from nbgrader.api import Gradebook

    found: Scores = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student in gb.students:
            for nb in gb.find_submission(ASSIGNMENT, student.id).notebooks:
                for cell in nb.grades:
                    found[(student.id, nb.name, cell.name)] = cell.score
    return found


def graded_both_ways(tmp: Path, variants: list[Variant], only: dict[str, str]) -> tuple[Scores, Scores]:
    """Grade ``variants`` with ``autograder grade`` and with stock ``nbgrader autograde``; both gradebooks' scores.

    ``only``: for these students, the one notebook submitted (the others are removed before grading).
    """
    course = released_course(tmp / "ours", variants)
    drop_ungraded(course.root, ASSIGNMENT)
    for student, keep in only.items():
        for path in course.submitted_path(ASSIGNMENT, student).glob("*.ipynb"):
            if path.stem != keep:
                path.unlink()
    stock = tmp / "stock"
    shutil.copytree(course.root, stock)  # the same release, gradebook, submissions and secret
    assert (stock / SECRETS_DIR / ASSIGNMENT).is_file() or not (course.root / SECRETS_DIR).exists()
    grade(course, ASSIGNMENT, force=True)
    assert (course.root / SECRETS_DIR / ASSIGNMENT).is_file()
    (stock / SECRETS_DIR).mkdir(parents=True, exist_ok=True)
    shutil.copy(course.root / SECRETS_DIR / ASSIGNMENT, stock / SECRETS_DIR / ASSIGNMENT)
    config = stock / "nbgrader_config.py"
    config.write_text(stock_config(config.read_text()))
    assert "autograder." not in config.read_text()
    nbgrader = Path(sys.executable).with_name("nbgrader")
    done = subprocess.run(
        [str(nbgrader), "autograde", ASSIGNMENT, "--force"], cwd=stock, capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return scores(course.root), scores(stock)


def differences(ours: Scores, stock: Scores, only: dict[str, str]) -> list[str]:
    keys = [k for k in sorted(stock) if k[0] not in only or only[k[0]] == k[1]]
    assert keys and set(keys) <= set(ours)
    return [
        f"{s}/{nb}/{gid}: stock {stock[(s, nb, gid)]}, ours {ours[(s, nb, gid)]}"
        for s, nb, gid in keys
        if stock[(s, nb, gid)] != ours[(s, nb, gid)]
    ]


@pytest.mark.parametrize("shard", range(SHARDS))
def test_stock_nbgrader_and_the_engine_give_the_same_grades(tmp_path: Path, shard: int) -> None:
    cases = CASES[shard::SHARDS]
    variants = [case.variant() for case in cases] + WHOLE[shard::SHARDS]
    only = {case.student: case.notebook for case in cases}
    ours, stock = graded_both_ways(tmp_path, variants, only)
    assert not differences(ours, stock, only)
    lost = {(s, nb) for (s, nb, _), v in stock.items() if s in only and v == 0}
    assert len(lost) >= len([c for c in cases if c.loses]), "every mistake loses points under stock nbgrader too"
