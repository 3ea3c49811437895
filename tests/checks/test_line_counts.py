"""What a week's checks cost to write: lines of ``solutions/week3_checks/`` per auto-graded cell (see
``benchmarks/check_lines.py``); the README quotes the figure, and this keeps it from growing back."""

from __future__ import annotations

import pytest

from benchmarks.check_lines import cells, line_counts
from tests.helpers import ROOT

PER_CELL = 35
"""The most lines a cell's check may cost on average, misconception messages and known mistakes included."""


def test_week3_checks_cost_few_lines_a_cell(capsys: pytest.CaptureFixture[str]) -> None:
    package = ROOT / "solutions" / "week3_checks"
    total, count = sum(line_counts(package).values()), cells(package)
    with capsys.disabled():
        print(f"\nsolutions/week3_checks: {total} lines for {count} auto-graded cells, {total / count:.1f} a cell")
    assert count == 17
    assert total / count <= PER_CELL
