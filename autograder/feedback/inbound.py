"""Intake from nbgrader's exchange: new folders of ``{exchange}/{course_id}/inbound/``, who made them, their files.

nbgrader's ``submit`` names a folder ``STUDENT+ASSIGNMENT+TIMESTAMP+RANDOM`` and writes ``timestamp.txt`` and
``submission_secret.txt`` into it, in that order (the secret keys the feedback that ``fetch_feedback`` looks for:
a folder is taken in once it is there, the notebooks and the timestamp then complete). The folder is
polled for, every ``c.FeedbackService.poll_seconds``: listing one folder of a few hundred entries costs well under
a millisecond, and works the same on NFS where inotify does not. The owners-only rule is the one of
:class:`autograder.plugins.exchange.OwnersOnlyCollect`: a folder not owned by the account it names is never graded.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path

from nbgrader.utils import parse_utc

from autograder.plugins.exchange import owner_name

TIMESTAMP = "timestamp.txt"
SECRET = "submission_secret.txt"
MAX_ENTRIES = 2000
"""At most this many files and folders of one submission are copied; the rest are left out."""


@dataclass(frozen=True)
class Folder:
    """One submission folder in ``inbound/``, parsed from its name."""

    name: str
    student: str
    assignment: str
    timestamp: str
    submitted: float
    owner: str | None


def inbound_path(exchange: Path, course_id: str) -> Path:
    return exchange / course_id / "inbound"


def parse(inbound: Path, name: str) -> Folder | None:
    """The folder ``name`` if it is a complete submission (None: not one, or still being written)."""
    parts = name.split("+")
    if len(parts) not in (3, 4) or not all(parts[:3]) or name.startswith("."):
        return None
    path = inbound / name
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode) or not os.path.lexists(path / SECRET):
            return None
        submitted = parse_utc(parts[2]).timestamp()
    except (OSError, ValueError, TypeError):
        return None
    return Folder(name, parts[0], parts[1], parts[2], submitted, owner_name(str(path)))


def scan(inbound: Path, known: Container[str]) -> list[Folder]:
    """The complete submission folders in ``inbound`` not in ``known``, oldest first."""
    try:
        names = [entry.name for entry in os.scandir(inbound) if entry.name not in known]
    except FileNotFoundError:
        return []
    found = [folder for name in names if (folder := parse(inbound, name)) is not None]
    return sorted(found, key=lambda f: (f.submitted, f.name))


def read_small(path: Path, limit: int = 4096) -> str:
    """A small text file of the submission (its timestamp or secret), never following a link."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        return handle.read(limit).decode("utf-8", errors="replace").strip()


def copy_submission(source: Path, dest: Path, max_bytes: int) -> list[str]:
    """Copy a submission folder for grading: plain files and folders as they are, links as links (the engine's
    intake refuses them with a message naming each), nothing else (FIFOs, devices: named in the notes returned).
    A file over ``max_bytes`` (the grader's largest) is not read: an empty file of its size stands in, so that
    the engine refuses it by its size, as it would the original. Nothing is ever followed or opened but a plain
    file."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    notes: list[str] = []
    count = 0
    for folder, dirs, files in os.walk(source, followlinks=False):
        relative = Path(folder).relative_to(source)
        for name in [*dirs, *files]:
            count += 1
            if count > MAX_ENTRIES:
                notes.append(f"the submission has over {MAX_ENTRIES} files: the rest were left out")
                return notes
            _copy_entry(Path(folder) / name, dest / relative / name, relative / name, notes, max_bytes)
    return notes


def _copy_entry(path: Path, target: Path, shown: Path, notes: list[str], max_bytes: int) -> None:
    info = os.lstat(path)
    if stat.S_ISREG(info.st_mode) and info.st_size > max_bytes:
        with target.open("wb") as out:
            out.truncate(info.st_size)
    elif stat.S_ISDIR(info.st_mode):
        target.mkdir(exist_ok=True)
    elif stat.S_ISLNK(info.st_mode):
        os.symlink(os.readlink(path), target)
    elif stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
        notes.append(f"{shown} was left out: it is a hard link (the same file is also somewhere else)")
    elif stat.S_ISREG(info.st_mode):
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as src, target.open("wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    else:
        notes.append(f"{shown} was left out: it is not a plain file")
