"""The attempts and their durable state: one JSON file per attempt, replaced atomically at each change.

An attempt is one folder of nbgrader's exchange ``inbound/`` (``STUDENT+ASSIGNMENT+TIMESTAMP+RANDOM``): the
exchange is the queue of record and this folder only says how far each attempt got. Every change is written to a
temporary file, flushed to disk and renamed over the old one, so a ``kill -9`` at any moment leaves each attempt
in the state before or after the change, never between. On start, :meth:`Store.recover` puts back in the queue
the attempts whose grading had begun but whose result was never written: an attempt has a result at most once.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class State(StrEnum):
    """How far one attempt got."""

    QUEUED = "queued"
    """Waiting for a grader (``not_before`` set: waiting for its window under the limits)."""
    GRADING = "grading"
    GRADED = "graded"
    """Its result is written; its feedback released (``released``) or about to be."""
    SUPERSEDED = "superseded"
    """A newer attempt of the same student took its place in the queue; kept, never graded on submit."""
    REFUSED = "refused"
    """Not made by the account it names (the owners-only rule): never graded."""
    CLOSED = "after the deadline"
    """Made after the (extended) deadline with ``stop_at_deadline``: kept, not graded on submit."""


PENDING = (State.QUEUED, State.GRADING)
DONE = (State.GRADED, State.SUPERSEDED, State.REFUSED, State.CLOSED)


@dataclass
class Attempt:
    """One submission folder and what the service did with it."""

    folder: str
    """The folder's name in ``inbound/``."""
    student: str
    assignment: str
    timestamp: str
    """nbgrader's timestamp of the submission (its ``timestamp.txt``, as in the folder's name)."""
    submitted: float
    """The same, in seconds since the epoch."""
    found: float
    """When the service first saw the folder."""
    state: State = State.QUEUED
    not_before: float | None = None
    """Over the limits: not graded before this time ("waiting until HH:MM")."""
    started: float | None = None
    finished: float | None = None
    status: str = ""
    """The grader's status (``graded``, ``error``, ``timeout``, ...) once graded."""
    score: float | None = None
    max_score: float | None = None
    message: str = ""
    """One line for the student: why it was not graded, or what went wrong."""
    checks: list[dict[str, Any]] = field(default_factory=list)
    """Each check: ``notebook``, ``grade_id``, ``score``, ``max_score``, ``message``, ``misconception``."""
    notebooks: list[str] = field(default_factory=list)
    """The notebooks whose feedback was released (nbgrader's notebook ids)."""
    released: bool = False
    results: int = 0
    """How many times a grading result was written for it: 1 once graded (the exactly-once evidence)."""

    @property
    def key(self) -> str:
        return key_of(self.folder)


def key_of(folder: str) -> str:
    """A file name for the folder's state (the folder's own name may hold spaces, colons, ``+``)."""
    return hashlib.sha256(folder.encode()).hexdigest()[:32]


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader (or a restart after ``kill -9``) sees all of it or none."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Store:
    """The attempts' state in ``folder`` (``attempts/KEY.json``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "attempts"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.attempts: dict[str, Attempt] = {}
        for path in sorted(self.folder.glob("*.json")):
            attempt = _load(path)
            if attempt is not None:
                self.attempts[attempt.folder] = attempt

    def save(self, attempt: Attempt) -> None:
        self.attempts[attempt.folder] = attempt
        write_atomically(self.folder / f"{attempt.key}.json", json.dumps(asdict(attempt), indent=1))

    def __contains__(self, folder: str) -> bool:
        return folder in self.attempts

    def all(self) -> list[Attempt]:
        """Every attempt, oldest submission first."""
        return sorted(self.attempts.values(), key=lambda a: (a.submitted, a.folder))

    def of(self, student: str) -> list[Attempt]:
        return [a for a in self.all() if a.student == student]

    def recover(self) -> list[Attempt]:
        """After a stop at any moment: attempts caught grading go back in the queue (they have no result yet)."""
        back = [a for a in self.all() if a.state is State.GRADING]
        for attempt in back:
            attempt.state, attempt.started = State.QUEUED, None
            self.save(attempt)
        return back


def _load(path: Path) -> Attempt | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    data["state"] = State(data["state"])
    return Attempt(**data)
