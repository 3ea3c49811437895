"""A corpus of named attacks on the grader: submissions that try to raise their own grade or touch anything else.

Each :class:`~tests.jail.attacks.model.Attack` is data: a submission with the attack in it, the name of
its baseline (the same submission without the attack, in :data:`~tests.jail.attacks.answers.BASELINES`)
and the outcomes the grader may give it. Each is written as a determined student would write it:
under stock nbgrader it would gain points or do damage. ``tests/jail/test_attacks.py`` grades them all,
their baselines and the honest students in one sandboxed run.
"""

from __future__ import annotations

from tests.jail.attacks import escapes, files, in_process, limits, pages, structure
from tests.jail.attacks.answers import BASELINES, HONEST
from tests.jail.attacks.model import Attack, Submission

ATTACKS: list[Attack] = [
    *in_process.ATTACKS,
    *escapes.ATTACKS,
    *limits.ATTACKS,
    *structure.ATTACKS,
    *files.ATTACKS,
    *pages.ATTACKS,
]

__all__ = ["ATTACKS", "BASELINES", "HONEST", "Attack", "Submission"]
