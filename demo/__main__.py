"""``make demo``: release week3, build the sample cohort into submitted/, grade it, write the reports."""

from __future__ import annotations

import sys
from pathlib import Path

from autograder.cli import main
from autograder.samples import build_cohort
from demo.cohort import SAMPLE_COHORT, SIMILARITY_PAIRS

ROOT = Path(__file__).resolve().parent.parent


def run() -> int:
    status = main(["--course", str(ROOT), "release", "week3"])
    if status:
        return status
    cohort = SAMPLE_COHORT + SIMILARITY_PAIRS  # the pairs: a copy the cohort report must find, and one it must not
    build_cohort(cohort, course_root=ROOT, assignment="week3")
    print(f"built {len(cohort)} sample submissions in {ROOT / 'submitted'}")
    status = main(["--course", str(ROOT), "grade", "week3", "--force"])
    if status:
        return status
    return report()


def report() -> int:
    """Write the feedback pages, the grade exports and the cohort report, and say where they are."""
    status = main(["--course", str(ROOT), "report", "week3"])
    if not status:
        print(f"cohort report: {(ROOT / 'reports' / 'week3' / 'index.html').as_uri()}")
        print(f"grade exports: {ROOT / 'reports' / 'week3'} (grades.csv, canvas.csv, similarity.csv)")
        print(f"feedback pages for students: {ROOT / 'feedback'}/STUDENT/week3/*.html")
    return status


if __name__ == "__main__":
    sys.exit(run())
