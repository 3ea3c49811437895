"""Release and grade the Week 3 nbgrader course.

One module per stage: :mod:`course` finds the course and its nbgrader config,
:mod:`release` generates the student version, :mod:`grade` grades submissions
into the gradebook, :mod:`results` holds the typed result model, and
:mod:`cli` is the thin command-line layer over them.
"""

from __future__ import annotations

from autograder.errors import AutograderError

__all__ = ["AutograderError"]
