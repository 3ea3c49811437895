"""The misconceptions a catalogued mistake's failure messages must name, by key.

They are Week 3's own, each declared once with its key in
``solutions/week3_checks/misconceptions.py`` (the checks name them from there),
plus ``unknown``: a message that names no known mistake. A mistake in
``mistakes.py`` names one key; every test cell it fails must name that
misconception (a template's fields may be filled in any way).
"""

from __future__ import annotations

from autograder.checks.authoring import Misconception
from autograder.checks.calls import NO_MATCH
from solutions.week3_checks.misconceptions import LIKELY

MISCONCEPTIONS: dict[str, Misconception] = {**LIKELY, "unknown": Misconception("unknown", NO_MATCH.rstrip("."))}
