"""The grader's own checks of Week 3: one :class:`~autograder.checks.verdicts.Check` per graded test cell.

Each check chooses its inputs here (fixed edge cases from the notebook's
hidden tests plus cases drawn for this run), observes the student's code with
a probe that runs in the student's sandboxed process, and judges what it saw
against :mod:`solutions.week3` on the grader's own copy of the data. A test
(``tests/test_verdicts.py``) replays the mistake catalogue through both the
notebook's tests and these checks: they must agree on every case.
"""

from __future__ import annotations

from autograder.checks.verdicts import Check
from solutions.week3_checks import task1_fitting, task2_relu

CHECKS: list[Check] = [*task1_fitting.CHECKS, *task2_relu.CHECKS]
