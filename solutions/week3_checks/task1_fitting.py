"""The grader's checks of ``task1_fitting``: gradient sentences, their sliders, and the optimisation loop."""

from __future__ import annotations

from autograder.verdicts import Check

NOTEBOOK = "task1_fitting"

CHECKS: list[Check] = []
