"""One grading run per course at a time: a second one waits its turn (saying so) or refuses in one line.

The lock is an ``flock`` on ``<course root>/.autograder/grading.lock``, so it goes when its holder does, however
it ends (``kill -9`` included): no stale lock to clear by hand. The file names the holder (pid, start time) for
the line the next run prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from autograder.course import Course
from autograder.errors import AutograderError

LOCK_FILE = Path(".autograder") / "grading.lock"
"""Relative to the course root."""


def lock_path(course: Course) -> Path:
    return course.root / LOCK_FILE


def _holder(handle: int) -> str:
    """Who holds the lock, as its file says (pid and start time), for a one-line message."""
    with contextlib.suppress(OSError):
        text = os.pread(handle, 200, 0).decode(errors="replace").split()
        if len(text) >= 2:
            return f"pid {text[0]}, started {text[1]}"
    return "holder unknown"


@contextlib.contextmanager
def course_lock(course: Course, *, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the course's grading lock for the block. Another run holds it: wait (``on_wait`` gets one line
    saying so) or, if not ``wait``, raise :class:`AutograderError` in one line."""
    path = lock_path(course)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            if not wait:
                raise AutograderError(
                    f"another grading run holds this course ({holder}): try again when it ends, or leave out"
                    " --no-wait to wait for it"
                ) from None
            if on_wait is not None:
                on_wait(f"another grading run holds this course ({holder}): waiting for it to end (Ctrl-C stops)")
            fcntl.flock(handle, fcntl.LOCK_EX)
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"{os.getpid()} {time.strftime('%H:%M:%S')}\n".encode(), 0)
        yield
    finally:
        os.close(handle)  # releases the lock
