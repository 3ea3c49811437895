"""Feedback while grading runs: a progress bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm

from autograder.engine.results import SubmissionResult


class Progress:
    """Counts finished submissions; shows done/total, rate and ETA."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.bar = (
            tqdm(total=total, file=self.stream, unit="sub", dynamic_ncols=True, desc="grading")
            if self.stream.isatty()
            else None
        )

    def update(self, result: SubmissionResult) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix_str(f"{result.student}: {result.status.value}", refresh=False)
            self.bar.update(1)
            return
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        print(
            f"[{self.done}/{self.total}] {result.student}: {result.status.value} "
            f"{result.auto_score:g}/{result.max_auto_score:g} ({rate:.2f}/s, ETA {eta:.0f} s)",
            file=self.stream,
            flush=True,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
