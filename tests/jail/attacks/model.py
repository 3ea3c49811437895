"""What an attack is, as data: the submission with it, the one without it, and what the grader must make of it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.engine.results import Status
from autograder.samples import Answers, Variant

T1, T2 = "task1_fitting", "task2_relu"
"""The two graded notebooks of week3 (17 and 12 auto points)."""

NotebookEdit = Callable[[dict[str, nbformat.NotebookNode]], None]
"""Changes the built notebooks (by stem) in place: metadata and cell-structure attacks."""
Plant = Callable[[Path, Path], None]
"""Adds to a built submission folder (its path, the course root): links and special files."""

SUSPECT_MESSAGE = "the grader's own checks failed"
"""What the message of a submission whose notebook tests passed where the grader's checks failed says."""


def code(source: str) -> str:
    """A cell's source as written in this package: dedented, no blank lines at either end."""
    return textwrap.dedent(source).strip("\n") + "\n"


@dataclass(frozen=True)
class Submission:
    """What one student hands in: answers on top of a base, and optionally notebooks edited afterwards."""

    base: str = "reference"
    """``"reference"`` or ``"stub"``, as for :class:`autograder.samples.Variant`."""
    answers: Answers = field(default_factory=dict)
    edit: NotebookEdit | None = None
    plant: Plant | None = None

    def variant(self, student: str) -> Variant:
        return Variant(student, base=self.base, answers=self.answers)


@dataclass(frozen=True)
class Attack:
    """One named attack and the outcomes the grader may give it."""

    name: str
    description: str
    """One line: what the student does and what it would win under stock nbgrader."""
    submission: Submission
    baseline: str
    """The key in :data:`tests.jail.attacks.answers.BASELINES` of the same submission without the attack."""
    outcomes: frozenset[Status]
    """Acceptable statuses."""
    says: tuple[str, ...] = ()
    """The message must contain one of these (no requirement if empty)."""
    names: tuple[str, ...] = ()
    """``notebook/grade_id`` of cells the message must name (the cells whose checks caught the attack)."""
    most_seconds: float | None = None
    """The longest its notebooks may take to grade, in all (None: no bound beyond the run's)."""


def merged(*layers: Answers) -> dict[str, dict[str, str]]:
    """The answers of all layers, later ones replacing cells of earlier ones."""
    out: dict[str, dict[str, str]] = {}
    for layer in layers:
        for stem, cells in layer.items():
            out.setdefault(stem, {}).update(cells)
    return out


def prepended(answers: Answers, stem: str, grade_id: str, attack: str) -> dict[str, dict[str, str]]:
    """``answers`` with ``attack`` put at the top of one cell, before the cell's own code."""
    return merged(answers, {stem: {grade_id: code(attack) + "\n\n" + answers[stem][grade_id]}})


def appended(answers: Answers, stem: str, grade_id: str, attack: str) -> dict[str, dict[str, str]]:
    """``answers`` with ``attack`` put at the end of one cell, after the cell's own code."""
    return merged(answers, {stem: {grade_id: answers[stem][grade_id] + "\n\n" + code(attack)}})
