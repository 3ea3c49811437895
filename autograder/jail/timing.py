"""Where a notebook's run spent its time, measured by the zygote's supervisor from the child's progress marks.

The child says when each code cell starts and when a grader's probe starts
(after its cell); the supervisor stamps each mark on arrival, so a child that
lies about its marks can only mislabel its own seconds. The seconds are for
the benchmark and the instructor's diagnosis, never for a grade.
"""

from __future__ import annotations

import time
from typing import Any

START = "start"
"""From the job's arrival to its first cell: filling the job's folder, the fork, the child's limits."""
LOCKED = "locked cells"
"""The instructor's read-only cells: imports, helpers, data, demonstrations."""
STUDENT = "student cells"
"""Cells the student answers (nbgrader's solution cells)."""
TESTS = "test cells"
"""The notebook's visible tests (auto-graded cells, their hidden-test blocks cut out)."""
CHECKS = "checks"
"""The grader's probes, right after their cells."""
STAGES = (START, LOCKED, STUDENT, TESTS, CHECKS)


def cell_stage(cell: dict[str, Any]) -> str:
    meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
    if meta.get("solution"):
        return STUDENT
    return TESTS if meta.get("grade") else LOCKED


class Timeline:
    """Marks as they arrive: a cell's start, or the start of the probe of the cell last started."""

    def __init__(self, notebook: dict[str, Any]) -> None:
        self.started = time.monotonic()
        cells = notebook.get("cells", []) if isinstance(notebook, dict) else []
        self._stage_of = [cell_stage(c) for c in cells] if isinstance(cells, list) else []
        self._current = START
        self._since = self.started
        self.seconds = dict.fromkeys(STAGES, 0.0)

    def _switch(self, stage: str) -> None:
        now = time.monotonic()
        self.seconds[self._current] += now - self._since
        self._current, self._since = stage, now

    def cell(self, index: int) -> None:
        self._switch(self._stage_of[index] if 0 <= index < len(self._stage_of) else LOCKED)

    def probe(self) -> None:
        self._switch(CHECKS)

    def close(self) -> dict[str, float]:
        """The seconds per stage; the time after the last mark counts to the stage it began."""
        self._switch(self._current)
        return {stage: round(s, 4) for stage, s in self.seconds.items()}
