"""The whole nbgrader exchange, end to end, with ``autograder`` grading in the middle (issue 11).

Every step but grading and the reports is nbgrader's own command, run as the instructor (in
the course) or as a student (in a home of their own, so each has their own exchange cache),
on a temporary exchange directory (``c.Exchange.root``). The second test collects an LMS
bulk download with ``nbgrader zip_collect``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import parse_utc

from autograder.course import Course
from autograder.engine.results import Status, read_record
from autograder.samples import Variant, build
from demo.cohort import SAMPLE_COHORT
from tests.helpers import released_course, run_cli

ADA, CAI = SAMPLE_COHORT[0], SAMPLE_COHORT[2]  # the reference, and a loop that forgets to zero gradients
COURSE_ID = "nn-foundations"  # the course's c.CourseDirectory.course_id
NOTEBOOKS = ("task1_fitting", "task2_relu", "task3_architectures")
HIDDEN = "BEGIN HIDDEN TESTS"


def nbgrader(*args: str, cwd: Path, home: Path | None = None) -> str:
    """An nbgrader command as a person runs it in ``cwd``; ``home``: a student's own HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if home is not None:
        env["HOME"] = str(home)
    run = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, f"nbgrader {' '.join(args)}:\n{run.stderr[-3000:]}"
    return run.stdout + run.stderr


def answer(course: Course, variant: Variant, folder: Path, scratch: Path) -> None:
    """Fill in the fetched notebooks in ``folder`` with ``variant``'s answers, as the student would."""
    built = build(variant, source_dir=course.source_path("week3"), release_dir=folder, dest=scratch / variant.student)
    for notebook in built.glob("*.ipynb"):
        shutil.copy(notebook, folder / notebook.name)


def check_grades(course: Course) -> None:
    """The reference gets every auto-graded point, the forgotten zero_grad loses some."""
    ada = read_record(course.autograded_dir("week3", ADA.student))
    cai = read_record(course.autograded_dir("week3", CAI.student))
    assert ada is not None and cai is not None
    assert ada.status in (Status.GRADED, Status.NEEDS_MANUAL), ada.message
    assert ada.auto_score == ada.max_auto_score > 0
    assert 0 < cai.auto_score < cai.max_auto_score


@pytest.mark.slow
@pytest.mark.xdist_group("exchange")
def test_release_fetch_submit_collect_grade_feedback_and_fetch_it_back(tmp_path: Path) -> None:
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    course = released_course(tmp_path / "course", extra_config=f'c.Exchange.root = "{exchange}"\n')
    root = course.root
    nbgrader("release_assignment", "week3", cwd=root)

    homes = {}
    for variant in (ADA, CAI):
        home = homes[variant.student] = tmp_path / "home" / variant.student
        home.mkdir(parents=True)
        student = ["--course", COURSE_ID, f"--Exchange.root={exchange}"]
        nbgrader("fetch_assignment", "week3", *student, cwd=home, home=home)
        assert sorted(p.stem for p in (home / "week3").glob("*.ipynb")) == sorted(NOTEBOOKS)
        answer(course, variant, home / "week3", tmp_path / "scratch")
        nbgrader("submit", "week3", *student, f"--student={variant.student}", cwd=home, home=home)

    nbgrader("collect", "week3", cwd=root)
    for variant in (ADA, CAI):
        collected = course.submitted_path("week3", variant.student)
        assert (collected / "timestamp.txt").is_file() and (collected / "submission_secret.txt").is_file()

    graded = run_cli("grade", "week3", cwd=root)
    assert graded.returncode == 0, graded.stderr
    check_grades(course)
    reported = run_cli("report", "week3", cwd=root)
    assert reported.returncode == 0, reported.stderr

    nbgrader("release_feedback", "week3", cwd=root)
    for variant in (ADA, CAI):
        home = homes[variant.student]
        student = ["--course", COURSE_ID, f"--Exchange.root={exchange}", f"--student={variant.student}"]
        nbgrader("fetch_feedback", "week3", *student, cwd=home, home=home)
        fetched = sorted((home / "week3" / "feedback").glob("*/*.html"))
        assert sorted(p.stem for p in fetched) == sorted(NOTEBOOKS), variant.student
        for page in fetched:
            ours = course.feedback_dir("week3", variant.student) / page.name
            assert page.read_bytes() == ours.read_bytes()  # the page autograder report wrote, as released
            assert HIDDEN not in page.read_text()


ZIP_CONFIG = r"""
c.FileNameCollectorPlugin.named_regexp = (
    r".*week3_(?P<student_id>.+)_attempt_(?P<timestamp>[0-9\-]+)_(?P<file_id>\w+)"  # the LMS's file names
)
"""
ZIP_TIMES = {ADA.student: "2026-11-01-20-00-00", CAI.student: "2026-11-02-08-30-00"}


@pytest.mark.slow
@pytest.mark.xdist_group("exchange")
def test_zip_collect_of_an_lms_bulk_download_grades_as_submitted(tmp_path: Path) -> None:
    course = released_course(tmp_path / "course", extra_config=ZIP_CONFIG)
    root = course.root
    archive = root / "downloaded" / "week3" / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "week3_bulk_download.zip", "w") as bulk:
        for variant in (ADA, CAI):
            built = build(
                variant,
                source_dir=course.source_path("week3"),
                release_dir=course.release_path("week3"),
                dest=tmp_path / "built" / variant.student,
            )
            for notebook in sorted(built.glob("*.ipynb")):
                stamp = ZIP_TIMES[variant.student]
                bulk.write(notebook, f"week3_{variant.student}_attempt_{stamp}_{notebook.name}")

    nbgrader("zip_collect", "week3", cwd=root)
    assert course.submitted_students("week3") == sorted([ADA.student, CAI.student])
    graded = run_cli("grade", "week3", cwd=root)
    assert graded.returncode == 0, graded.stderr
    check_grades(course)
    with Gradebook(course.gradebook_url()) as gb:
        for student, stamp in ZIP_TIMES.items():
            assert gb.find_submission("week3", student).timestamp == parse_utc(stamp)
