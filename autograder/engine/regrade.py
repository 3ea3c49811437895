"""After a check changed: regrade exactly the cells whose check changed, keep the rest, report what moved.

Every auto-graded cell's :class:`~autograder.engine.results.CheckResult` records the
fingerprint of the check that gave it (:mod:`autograder.checks.fingerprint`). A
submission graded since it was last submitted is graded again, without
``--force``, when one of its checks' fingerprints is not the plan's
(:func:`changed_cells`). The notebook runs again (the changed checks need
fresh observations), and then every other cell is put back as it was: its
auto score and its needs-manual-grading flag in the gradebook
(:meth:`Regrade.restore`), its message in the record (:meth:`Regrade.carry_over`).
Manual scores and comments are never touched (nbgrader's ``SaveAutoGrades``
writes only auto scores and auto comments).

Each run that regraded for a changed check appends its :class:`Change` rows to
the assignment's change log (``.autograder/changes/ASSIGNMENT.json``, beside the
secrets): the source of ``reports/ASSIGNMENT/changes.csv`` and of the cohort page's section.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.checks.plan import Plan
from autograder.course import Course
from autograder.engine import gradebook
from autograder.engine.batch import Batch
from autograder.engine.results import CheckResult, SubmissionResult

CHANGES_DIR = Path(".autograder") / "changes"
"""Relative to the course root."""
Cell = tuple[str, str]
"""``(notebook, grade_id)``."""


def changed_cells(record: SubmissionResult, plan: Plan | None) -> set[Cell]:
    """The auto-graded cells of ``record`` whose check is not the one that graded them."""
    now = (lambda nb, gid: plan.fingerprint(nb, gid)) if plan is not None else (lambda nb, gid: "")
    return {(c.notebook, c.grade_id) for c in record.checks if c.auto and c.fingerprint != now(c.notebook, c.grade_id)}


@dataclass(frozen=True)
class Kept:
    """A cell's auto score and review flag in the gradebook before the regrade."""

    auto_score: float | None
    needs_manual_grade: bool


@dataclass
class Regrade:
    """One submission graded again because some of its checks changed."""

    old: SubmissionResult
    changed: set[Cell]
    kept: dict[Cell, Kept] = field(default_factory=dict)

    @classmethod
    def start(cls, course: Course, old: SubmissionResult, changed: set[Cell]) -> Regrade:
        """Read what the gradebook holds of the cells that stay as they are."""
        kept = {}
        with gradebook.open_gradebook(course) as gb:
            submission = gb.find_submission(old.assignment, old.student)
            for nb in submission.notebooks:
                for grade in nb.grades:
                    if (nb.name, grade.name) not in changed:
                        kept[(nb.name, grade.name)] = Kept(grade.auto_score, bool(grade.needs_manual_grade))
        return cls(old, changed, kept)

    def restore(self, course: Course, batch: Batch | None = None) -> None:
        """Put the unchanged cells' auto scores and review flags back, in one transaction (on ``batch``, if open)."""
        with gradebook.open_gradebook(course, batch) as gb:
            submission = gb.find_submission(self.old.assignment, self.old.student)
            for nb in submission.notebooks:
                for grade in nb.grades:
                    kept = self.kept.get((nb.name, grade.name))
                    if kept is not None:
                        grade.auto_score, grade.needs_manual_grade = kept.auto_score, kept.needs_manual_grade
            gb.db.commit()

    def carry_over(self, result: SubmissionResult) -> None:
        """The unchanged cells' messages and flags as the last grading gave them (the scores are the gradebook's)."""
        result.regraded = sorted({gid for _, gid in self.changed})
        before = {(c.notebook, c.grade_id): c for c in self.old.checks}
        for index, check in enumerate(result.checks):
            old = before.get((check.notebook, check.grade_id))
            if old is not None and (check.notebook, check.grade_id) not in self.changed:
                result.checks[index] = CheckResult(**{**asdict(old), "score": check.score})

    def changes(self, result: SubmissionResult, when: str) -> list[Change]:
        """The changed cells whose points moved."""
        before = {(c.notebook, c.grade_id): c for c in self.old.checks}
        found = []
        for check in result.checks:
            old = before.get((check.notebook, check.grade_id))
            if old is None or (check.notebook, check.grade_id) not in self.changed or old.score == check.score:
                continue
            cell = Change(when, result.student, check.notebook, check.grade_id, old.score, check.score,
                          check.max_score, old.fingerprint, check.fingerprint)  # fmt: skip
            found.append(cell)
        return found


@dataclass(frozen=True)
class Change:
    """One cell of one student whose points a changed check moved (a row of ``changes.csv``)."""

    regraded_at: str
    student: str
    notebook: str
    grade_id: str
    old_points: float | None
    new_points: float | None
    max_points: float
    old_check: str
    """The fingerprint of the check that gave the old points ("" for a grade from before fingerprints)."""
    new_check: str


@dataclass
class ChangeRun:
    """One grading run that regraded cells for changed checks."""

    regraded_at: str
    checks: list[str]
    """The grade ids whose check changed, in any submission of the run."""
    regraded: int
    """How many submissions were graded again for them."""
    changes: list[Change] = field(default_factory=list)


def now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()


def log_path(course: Course, assignment: str) -> Path:
    return course.root / CHANGES_DIR / f"{assignment}.json"


def read_log(course: Course, assignment: str) -> list[ChangeRun]:
    """The assignment's change log, oldest run first (empty if none or unreadable)."""
    try:
        data = json.loads(log_path(course, assignment).read_text())
        return [
            ChangeRun(r["regraded_at"], list(r["checks"]), int(r["regraded"]), [Change(**c) for c in r["changes"]])
            for r in data
        ]
    except (OSError, ValueError, TypeError, KeyError):
        return []


def append_log(course: Course, assignment: str, run: ChangeRun) -> Path:
    """Add ``run`` to the change log (atomically: write, fsync, rename)."""
    path = log_path(course, assignment)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    runs = [*read_log(course, assignment), run]
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w") as handle:
        json.dump([asdict(r) for r in runs], handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    return path


def changed_checks(regrades: Iterable[Regrade]) -> list[str]:
    return sorted({gid for r in regrades for _, gid in r.changed})
