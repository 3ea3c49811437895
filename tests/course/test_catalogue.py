"""The grading is right: known mistakes lose points where they should, with the right feedback, and
correct answers written differently get full marks.

The catalogues are in ``tests/course/catalogue``. Two levels:

- the catalogue itself is well formed (no kernel);
- end to end: release, build the whole cohort into ``submitted/`` (each case submits only the notebook it
  changes: notebooks are graded apart, and the parity test grades whole submissions), ``grade()``, read the
  gradebook; each case fails exactly its tagged test cells, naming its misconception.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import notebooks
from autograder.course import Course
from autograder.engine import gradebook
from autograder.engine.grade import grade
from autograder.engine.release import generate_release
from autograder.samples import build_cohort, reference_answers
from tests.course.catalogue import Case, variants
from tests.course.catalogue.correct import CORRECT
from tests.course.catalogue.misconceptions import MISCONCEPTIONS
from tests.course.catalogue.mistakes import MISTAKES
from tests.helpers import GRADED_NOTEBOOKS, SOURCE, make_course

ASSIGNMENT = "week3"
CASES = MISTAKES + CORRECT
REFERENCE = reference_answers(SOURCE)


def graded_test_cells(stem: str) -> set[str]:
    """The auto-graded test cells of an instructor notebook."""
    cells = notebooks.grade_cells(notebooks.read(SOURCE / f"{stem}.ipynb"))
    return {
        gid
        for gid, c in cells.items()
        if c.cell_type == "code" and c.metadata["nbgrader"].get("grade") and not c.metadata["nbgrader"].get("solution")
    }


TEST_CELLS = {stem: graded_test_cells(stem) for stem in GRADED_NOTEBOOKS}


# --- the catalogue is well formed ----------------------------------------------------------------


def test_catalogue_is_large_and_names_are_unique() -> None:
    assert len(MISTAKES) >= 30 and len(CORRECT) >= 12
    students = [case.student for case in CASES]
    assert len(students) == len(set(students))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.student)
def test_case_is_well_formed(case: Case) -> None:
    assert case.notebook in GRADED_NOTEBOOKS
    for gid, source in case.sources().items():
        assert gid in REFERENCE[case.notebook], f"{gid} is not a solution cell of {case.notebook}"
        assert source != REFERENCE[case.notebook][gid], "the same as the reference"
        ast.parse(source)
    assert case.loses <= TEST_CELLS[case.notebook]
    assert case.collateral <= TEST_CELLS[case.notebook] - case.loses
    assert not case.collateral or case.loses, "a correct answer loses nothing, collateral included"
    if case.loses:
        assert case.misconception in MISCONCEPTIONS
    else:
        assert not case.misconception


def test_every_test_cell_has_mistakes_that_fail_it() -> None:
    tagged = {gid for case in MISTAKES for gid in case.loses}
    assert tagged == set().union(*TEST_CELLS.values())


def test_every_solution_cell_has_correct_variants() -> None:
    rewritten = {(case.notebook, gid) for case in CORRECT for gid in case.answers}
    graded = {(stem, gid) for stem in GRADED_NOTEBOOKS for gid in REFERENCE[stem] if gid in _code_solution_cells(stem)}
    assert rewritten == graded


def _code_solution_cells(stem: str) -> set[str]:
    cells = notebooks.grade_cells(notebooks.read(SOURCE / f"{stem}.ipynb"))
    return {gid for gid, c in cells.items() if c.cell_type == "code" and c.metadata["nbgrader"].get("solution")}


# --- what is wrong with how a case was graded -----------------------------------------------------------------


def problems(case: Case, lost: set[str], messages: dict[str, str]) -> list[str]:
    """What is wrong with how a case was graded: empty when it lost exactly its tagged cells (and their collateral),
    saying why."""
    found, expected = [], case.loses | case.collateral
    if lost != expected:
        missed, extra = sorted(expected - lost), sorted(lost - expected)
        found.append(f"{case.student}: still passed {missed}" if missed else f"{case.student}: also lost {extra}")
        found += [f"    {gid}: {messages.get(gid, '')}" for gid in extra]
    if case.loses:
        line = MISCONCEPTIONS[case.misconception]
        for gid in sorted(lost & set(case.loses)):
            if not line.found_in(messages.get(gid, "")):
                found.append(f"{case.student}: {gid} does not say {line!r}; it says {messages.get(gid, '')!r}")
    return found


# --- end to end: release, submit, grade(), gradebook -----------------------------------------------------


@dataclass
class Score:
    """How the grading did on the catalogues."""

    mistakes: int = 0
    caught: int = 0
    """Mistakes that lost points somewhere."""
    exact: int = 0
    """Mistakes that lost points on exactly their tagged cells, each naming the misconception."""
    correct: int = 0
    false_failures: int = 0
    """Correct variants that lost points."""

    def summary(self, seconds: float) -> str:
        return (
            f"mutation score: {self.caught}/{self.mistakes} mistakes caught "
            f"({100 * self.caught / max(self.mistakes, 1):.0f}%), {self.exact}/{self.mistakes} exactly on their "
            f"tagged cells with their misconception named; false failures: {self.false_failures}/{self.correct} "
            f"correct variants ({100 * self.false_failures / max(self.correct, 1):.0f}%); graded in {seconds:.0f} s"
        )


def grade_cases(course: Course, cases: Iterable[Case]) -> tuple[Score, list[str]]:
    score, found = Score(), []
    for case in cases:
        result = gradebook.read_submission(course, ASSIGNMENT, case.student)
        if result is None:
            found.append(f"{case.student}: not in the gradebook")
            continue
        auto = [c for c in result.checks if c.auto]
        lost = {c.grade_id for c in auto if c.notebook == case.notebook and (c.score or 0) < c.max_score}
        messages = {c.grade_id: c.message for c in auto if c.notebook == case.notebook}
        wrong = problems(case, lost, messages)
        if case.loses:
            score.mistakes += 1
            score.caught += bool(lost)
            score.exact += not wrong
        else:
            score.correct += 1
            score.false_failures += bool(lost)
        found += wrong
    return score, found


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_catalogues_graded_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_course(tmp_path / "course", with_release=False)
    course = Course.load(root)
    generate_release(course, ASSIGNMENT)
    for path in (root / "release" / ASSIGNMENT).glob("*.ipynb"):
        assert "HIDDEN TESTS" not in path.read_text()
    for case, folder in zip(CASES, build_cohort(variants(CASES), course_root=root, assignment=ASSIGNMENT), strict=True):
        for path in folder.glob("*.ipynb"):  # each case changes one notebook: only that one is submitted
            if path.stem != case.notebook:
                path.unlink()

    started = time.monotonic()
    results = grade(course, ASSIGNMENT)
    seconds = time.monotonic() - started
    assert sorted(r.student for r in results) == sorted(case.student for case in CASES)

    score, found = grade_cases(course, CASES)
    with capsys.disabled():
        print(f"\n{score.summary(seconds)}")
    assert found == [], "\n".join([score.summary(seconds), *found])
    assert score.caught == score.exact == score.mistakes and score.false_failures == 0
