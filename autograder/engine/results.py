"""The typed result model of a grading run, its record beside the autograded notebooks, and the names
of the grade export's columns (``grades.csv`` itself has one writer, :func:`autograder.reports.exports.write_grades`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path


class Status(StrEnum):
    """What happened to one submission (which one a graded submission gets: :mod:`autograder.engine.status`)."""

    GRADED = "graded"
    NEEDS_MANUAL = "needs manual grading"
    ERROR = "error"
    TIMEOUT = "timeout"
    DISK = "disk"
    """A notebook filled /tmp or its own folder (``c.Grader.tmp_mb``, ``c.Grader.workdir_mb``) and was stopped."""
    SKIPPED = "already graded"
    SUSPECT = "suspect"
    """The notebook's own tests passed where the grader's checks failed: the code may have tampered with them."""
    MISSING = "missing"
    """A student of the roster (the gradebook's students) with no submission."""


@dataclass
class CheckResult:
    """One grade cell of one notebook."""

    notebook: str
    """The notebook's name without ``.ipynb``."""
    grade_id: str
    """nbgrader's grade id of the cell."""
    score: float | None
    """Points earned; ``None`` while a manual grade is pending."""
    max_score: float
    """Points available."""
    auto: bool
    """True for an auto-graded test cell, False for a manually graded answer."""
    message: str = ""
    """For a failed check: what the failure said (the grader's verdict, else the cell's error), one line."""
    misconception: str = ""
    """The misconception the grader's check named (``Likely mistake: ...``), if any."""
    suspect: bool = False
    """The notebook's own test passed where the grader's check failed: it was fooled."""
    judged_by: str = ""
    """Where the score came from: :data:`BY_GRADER` (a declared check, judged outside the student's process),
    :data:`BY_NOTEBOOK` (no declared check: the cell's own outputs, which the student's process wrote, so as
    tamperable as under stock nbgrader) or :data:`BY_HAND` (a written answer)."""
    fingerprint: str = ""
    """The fingerprint of the grader's check that gave the score (:mod:`autograder.checks.fingerprint`); "" for a
    cell without one. A check whose fingerprint is no longer this one is regraded (:mod:`autograder.engine.regrade`)."""


BY_GRADER = "grader"
BY_NOTEBOOK = "notebook"
BY_HAND = "hand"


@dataclass
class SubmissionResult:
    """One student's submission of one assignment."""

    student: str
    assignment: str
    status: Status
    auto_score: float = 0.0
    """Points from the auto-graded checks."""
    max_auto_score: float = 0.0
    score: float = 0.0
    """The final score so far: all points awarded (auto plus any manual grades) less the late penalty,
    as ``nbgrader export`` computes its ``score``."""
    max_score: float = 0.0
    late_penalty: float = 0.0
    """Points taken off for a late submission (nbgrader's ``late_submission_penalty``)."""
    needs_manual: bool = False
    """True while a written answer awaits a person's grade."""
    message: str = ""
    """A one-line explanation for an error or timeout, empty otherwise."""
    seconds: float = 0.0
    """Wall time spent grading this submission."""
    checks: list[CheckResult] = field(default_factory=list)
    seed: int | None = None
    """The seed the grader's check inputs were drawn from (``autograder grade --seed`` reproduces them)."""
    regraded: list[str] = field(default_factory=list)
    """The grade ids this grading scored again because their check had changed (only those cells moved)."""
    stages: dict[str, float] = field(default_factory=dict)
    """Seconds per stage: the main process's (:data:`PREPARE`, :data:`FINALIZE`), then the notebooks' runs,
    summed (:mod:`autograder.jail.timing`). For the benchmark and for finding a slow submission."""


PREPARE = "prepare"
"""The main process taking a submission in: the intake, nbgrader's sanitize steps, the job."""
FINALIZE = "finalize"
"""The main process scoring the runs: the verdicts, nbgrader's scoring steps, the gradebook, the record."""


# Column names of grades.csv (see autograder.reports.exports); the penalty columns are nbgrader export's.
COL_STUDENT = "student"
COL_LAST_NAME = "last_name"
COL_FIRST_NAME = "first_name"
COL_STATUS = "status"
COL_AUTO = "auto_score"
COL_MAX_AUTO = "max_auto_score"
COL_RAW = "raw_score"
COL_PENALTY = "late_submission_penalty"
COL_SCORE = "score"
COL_MAX = "max_score"
COL_MANUAL = "needs_manual_grading"
COL_MESSAGE = "message"


RECORD_NAME = "grading.json"
"""Written last into ``autograded/STUDENT/ASSIGNMENT/``: its presence means the grading is complete."""


def as_dict(result: SubmissionResult) -> dict[str, object]:
    data = asdict(result)
    data["status"] = result.status.value
    return data


def from_dict(data: dict[str, object]) -> SubmissionResult:
    fields = dict(data)
    checks = [CheckResult(**c) for c in fields.pop("checks", [])]  # type: ignore[attr-defined]
    fields["status"] = Status(str(fields["status"]))
    return SubmissionResult(checks=checks, **fields)  # type: ignore[arg-type]


def write_record(result: SubmissionResult, folder: Path) -> Path:
    """Write the result next to the autograded notebooks, atomically (write, fsync, rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / RECORD_NAME
    tmp = folder / f".{RECORD_NAME}.tmp"
    with tmp.open("w") as handle:
        json.dump(as_dict(result), handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    return path


def read_record(folder: Path) -> SubmissionResult | None:
    """The result written by :func:`write_record`, or None if there is none (or it is unreadable)."""
    try:
        return from_dict(json.loads((folder / RECORD_NAME).read_text()))
    except (OSError, ValueError, TypeError, KeyError):
        return None
