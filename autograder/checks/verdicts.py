"""The names the engine uses, in one place: declared checks, the run's plan and its verdicts.

See :mod:`autograder.checks.api` (declaring checks), :mod:`autograder.checks.plan`
(drawing inputs, probes, judging) and :mod:`autograder.checks.compare`.
"""

from __future__ import annotations

from autograder.checks.api import Check, Compare, Declared, Value, call, compare, function
from autograder.checks.plan import (
    Plan,
    Verdict,
    judge_one,
    load_checks,
    load_tasks,
    plain_data_problem,
    plan,
    probe_source,
)

__all__ = [
    "Check",
    "Compare",
    "Declared",
    "Plan",
    "Value",
    "Verdict",
    "call",
    "compare",
    "function",
    "judge_one",
    "load_checks",
    "load_tasks",
    "plain_data_problem",
    "plan",
    "probe_source",
]
