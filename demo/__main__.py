"""``make demo``: release week3, build the sample cohort into submitted/, grade it."""

from __future__ import annotations

import sys
from pathlib import Path

from autograder.cli import main
from autograder.cohort import build_cohort
from demo.cohort import SAMPLE_COHORT

ROOT = Path(__file__).resolve().parent.parent


def run() -> int:
    status = main(["--course", str(ROOT), "release", "week3"])
    if status:
        return status
    build_cohort(SAMPLE_COHORT, course_root=ROOT, assignment="week3")
    print(f"built {len(SAMPLE_COHORT)} sample submissions in {ROOT / 'submitted'}")
    return main(["--course", str(ROOT), "grade", "week3", "--force"])


if __name__ == "__main__":
    sys.exit(run())
