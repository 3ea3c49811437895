"""Build every report of an assignment from the gradebook: feedback pages, the CSV exports, the cohort page."""

from __future__ import annotations

import logging
from pathlib import Path

from autograder.course import Course
from autograder.engine import regrade
from autograder.reports import exports, feedback, page, similarity
from autograder.reports.model import load_cohort

log = logging.getLogger(__name__)


def reports_dir(course: Course, assignment: str) -> Path:
    return course.reports_dir(assignment)


def write_reports(course: Course, assignment: str) -> list[Path]:
    """Write the feedback pages, ``grades.csv``, ``canvas.csv``, ``similarity.csv``, ``changes.csv`` and
    ``index.html``; return their paths."""
    cohort = load_cohort(course, assignment)
    outdir = reports_dir(course, assignment)
    outdir.mkdir(parents=True, exist_ok=True)
    graded = [s.student for s in cohort.submissions if s.in_gradebook]
    outcomes = feedback.generate_feedback(course, assignment, graded)
    for outcome in outcomes:
        if outcome.error:
            log.warning("no feedback for %s: %s", outcome.student, outcome.error)
    written = [page for outcome in outcomes for page in outcome.pages]
    written.append(exports.write_grades(course, assignment, cohort=cohort))
    written.append(exports.write_canvas_csv(cohort, outdir / "canvas.csv", course.config))
    similar = similarity.find_similar(course, assignment, graded)
    written.append(similarity.write_similarity_csv(similar, outdir / similarity.SIMILARITY_CSV))
    written.append(exports.write_changes_csv(course, assignment, outdir / exports.CHANGES_CSV))
    changes = regrade.read_log(course, assignment)
    written.append(page.write_index(cohort, outdir / "index.html", outcomes, similar, changes))
    return written
