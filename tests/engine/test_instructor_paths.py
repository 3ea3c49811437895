"""Every path an instructor takes gives the grade stock nbgrader gives (issue 11).

One course is graded once for the module, laid out as an instructor's course is after
``nbgrader collect``, with nbgrader's settings changed where an instructor may change them:
submissions in ``collected/``, graded notebooks in ``graded/``, feedback in ``returned/``, a due
date, a ``timestamp.txt`` in each submission, ``c.LateSubmissionPlugin.penalty_method = "zero"``,
and two files beside the notebooks in ``source/week3`` (``helper.py`` listed in
``c.Autograde.exclude_overwriting``). Students, from the demo's sample cohort:

- ``ada_reference``, on time; ``cai_forgets_zero_grad``, a day late;
- ``ben_untouched_stub``, whose ``timestamp.txt`` reads ``next tuesday``;
- ``ada_reads_files``: the reference, whose ``triple_relu`` answer first asserts what stock
  autograde guarantees (the source's ``data.csv`` in its folder, its own ``helper.py``,
  ``NBGRADER_EXECUTION=autograde``), so a missing guarantee costs the ``triple_relu`` checks.

Tests that grade again change the course; each uses its own student for what it checks. They
share one pytest-xdist group, so the course is graded once per run.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import json
import os
import re
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import parse_utc

from autograder.course import Course
from autograder.engine import seeds
from autograder.engine.grade import grade
from autograder.engine.results import RECORD_NAME, Status, SubmissionResult, read_record
from autograder.reports import exports, page
from autograder.reports.model import load_cohort
from autograder.samples import build_cohort, reference_answers
from demo.cohort import SAMPLE_COHORT
from tests.helpers import SOURCE, released_course, run_cli
from tests.servers import dask_cluster

ADA, BEN, CAI = "ada_reference", "ben_untouched_stub", "cai_forgets_zero_grad"
FILES = "ada_reads_files"
GUS = "gus_never_submitted"
DUE = "2026-11-02 09:00:00 UTC"
ON_TIME = "2026-11-01 20:00:00.000000 UTC"
LATE = "2026-11-03 09:00:00.000000 UTC"

CONFIG = """
c.CourseDirectory.submitted_directory = "collected"
c.CourseDirectory.autograded_directory = "graded"
c.CourseDirectory.feedback_directory = "returned"
c.Autograde.exclude_overwriting = {"week3": ["helper.py"]}
c.LateSubmissionPlugin.penalty_method = "zero"
c.Grader.workers = 2
"""

SOURCE_DATA = "x,y\nfrom the source\n"
READS_FILES = """import os
assert os.environ.get("NBGRADER_EXECUTION") == "autograde", "NBGRADER_EXECUTION is not 'autograde'"
assert open("data.csv").read() == "x,y\\nfrom the source\\n", "data.csv is not the source's copy"
assert open("helper.py").read() == "ORIGIN = 'student'\\n", "helper.py (exclude_overwriting) is not the student's"
"""


@dataclass
class Graded:
    course: Course
    run: subprocess.CompletedProcess[str]
    """``autograder grade week3`` as the instructor ran it."""
    first: dict[str, SubmissionResult]
    """Each student's grading record right after that run."""


def reads_files_variant() -> Any:
    reference = reference_answers(SOURCE)["task2_relu"]["triple_relu"]
    ada = SAMPLE_COHORT[0]
    return dataclasses.replace(ada, student=FILES, answers={"task2_relu": {"triple_relu": READS_FILES + reference}})


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    root = tmp_path_factory.mktemp("instructor") / "course"
    course = released_course(root, extra_config=CONFIG)
    (root / "source" / "week3" / "data.csv").write_text(SOURCE_DATA)
    (root / "source" / "week3" / "helper.py").write_text("ORIGIN = 'source'\n")
    cohort = [SAMPLE_COHORT[0], SAMPLE_COHORT[1], SAMPLE_COHORT[2], reads_files_variant()]
    build_cohort(cohort, course_root=root, assignment="week3")
    (root / "submitted").rename(root / "collected")
    for student, stamp in [(ADA, ON_TIME), (FILES, ON_TIME), (BEN, "next tuesday"), (CAI, LATE)]:
        (root / "collected" / student / "week3" / "timestamp.txt").write_text(stamp + "\n")
    (root / "collected" / FILES / "week3" / "data.csv").write_text("x,y\nfrom the student\n")
    (root / "collected" / FILES / "week3" / "helper.py").write_text("ORIGIN = 'student'\n")
    with Gradebook(course.gradebook_url()) as gb:
        gb.update_or_create_assignment("week3", duedate=parse_utc(DUE))
    run = run_cli("grade", "week3", cwd=root)
    first = {s: read_record(root / "graded" / s / "week3") for s in (ADA, BEN, CAI, FILES)}
    return Graded(course, run, {s: r for s, r in first.items() if r is not None})


def table_line(stdout: str, student: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith(student + " "))


def read_rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def cell_scores(course: Course, student: str) -> dict[tuple[str, str], float]:
    with Gradebook(course.gradebook_url()) as gb:
        sub = gb.find_submission("week3", student)
        return {(nb.name, g.name): g.score for nb in sub.notebooks for g in nb.grades}


def nbgrader(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A real nbgrader command, run as an instructor would in the course."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


# --- timestamps and resubmissions --------------------------------------------------------


@pytest.mark.slow
@pytest.mark.xdist_group("instructor_paths")
def test_an_unreadable_timestamp_is_that_students_error_and_the_run_goes_on(graded: Graded) -> None:
    run = graded.run
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr and "AttributeError" not in run.stderr
    line = table_line(run.stdout, BEN)
    assert "error" in line and "timestamp.txt holds 'next tuesday'" in line
    assert graded.first[BEN].status is Status.ERROR
    assert graded.first[CAI].status is not Status.ERROR  # graded after ben, in name order
    assert "4 submissions:" in run.stdout
    rows = read_rows(graded.course.root / "reports" / "week3" / "grades.csv")
    assert rows[BEN]["status"] == "error" and "next tuesday" in rows[BEN]["message"]


@pytest.mark.slow
@pytest.mark.xdist_group("instructor_paths")
def test_a_resubmission_is_graded_again_without_force(graded: Graded) -> None:
    course, root = graded.course, graded.course.root
    assert {r.student: r.status for r in grade(course, "week3", students=[ADA])}[ADA] is Status.SKIPPED
    (root / "collected" / ADA / "week3" / "timestamp.txt").write_text("2026-11-01 21:00:00.000000 UTC\n")
    again = {r.student: r for r in grade(course, "week3", students=[ADA, CAI])}
    assert again[ADA].status is not Status.SKIPPED, "a newer timestamp.txt is a resubmission: grade it"
    assert again[CAI].status is Status.SKIPPED  # unchanged: not graded again
    assert (root / "graded" / ADA / "week3" / "timestamp.txt").read_text().startswith("2026-11-01 21:00")
    assert {r.student: r.status for r in grade(course, "week3", students=[ADA])}[ADA] is Status.SKIPPED
    assert [(c.grade_id, c.score) for c in again[ADA].checks] == [
        (c.grade_id, c.score) for c in graded.first[ADA].checks
    ]


# --- files, environment and directories as stock autograde -------------------------------


@pytest.mark.slow
@pytest.mark.xdist_group("instructor_paths")
def test_source_files_and_nbgrader_execution_are_there_when_a_notebook_runs(graded: Graded) -> None:
    files, reference = graded.first[FILES], graded.first[ADA]
    lost = [c.grade_id for c in files.checks if c.auto and c.score != c.max_score]
    assert not lost, f"the notebook did not find what stock autograde gives it: {files.checks[0].message or lost}"
    assert files.auto_score == reference.auto_score > 0
    out = graded.course.root / "graded" / FILES / "week3"
    assert (out / "data.csv").read_text() == SOURCE_DATA  # as stock: the source's copy, not the student's
    assert (out / "helper.py").read_text() == "ORIGIN = 'student'\n"  # in exclude_overwriting: the student's


@pytest.mark.slow
@pytest.mark.dask
@pytest.mark.xdist_group("instructor_paths")
def test_on_a_dask_worker_the_notebook_finds_the_same_files_and_environment(graded: Graded, tmp_path: Path) -> None:
    with dask_cluster(tmp_path / "dask", workers=1) as cluster:
        [result] = grade(graded.course, "week3", students=[FILES], force=True, scheduler=cluster.address)
    auto = [(c.grade_id, c.score) for c in result.checks if c.auto]
    assert auto == [(c.grade_id, c.score) for c in graded.first[FILES].checks if c.auto]
    assert result.auto_score == graded.first[ADA].auto_score


@pytest.mark.slow
@pytest.mark.xdist_group("instructor_paths")
def test_nbgraders_directory_settings_are_honoured(graded: Graded) -> None:
    root = graded.course.root
    assert not (root / "submitted").exists() and not (root / "autograded").exists()
    assert sorted(p.parent.parent.name for p in root.glob(f"graded/*/week3/{RECORD_NAME}")) == sorted(
        [ADA, BEN, CAI, FILES]
    )
    assert (root / "graded" / CAI / "week3" / "task1_fitting.ipynb").is_file()
    result = run_cli("report", "week3", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (root / "returned" / ADA / "week3" / "task1_fitting.html").is_file()
    assert f"feedback pages in {root / 'returned'}" in result.stdout and "wrote 0 " not in result.stdout
    assert not (root / "feedback").exists()


def test_course_root_and_directories_come_from_nbgraders_course_directory(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        'c.CourseDirectory.root = "../course"\n'
        'c.CourseDirectory.source_directory = "instructor"\n'
        'c.CourseDirectory.release_directory = "out"\n'
        'c.CourseDirectory.submitted_directory = "in"\n'
        'c.CourseDirectory.directory_structure = "{nbgrader_step}/{assignment_id}/{student_id}"\n'
    )
    (tmp_path / "course" / "instructor" / "week3").mkdir(parents=True)
    for student in ("ada", "ben"):
        (tmp_path / "course" / "in" / "week3" / student).mkdir(parents=True)
    course = Course.load(tmp_path / "config")
    coursedir = CourseDirectory(config=course.config)
    assert course.root == tmp_path / "course" == Path(coursedir.root)
    assert course.gradebook_url() == f"sqlite:///{tmp_path / 'course' / 'gradebook.db'}"
    assert course.assignments() == ["week3"]
    assert course.release_path("week3") == tmp_path / "course" / "out" / "week3"
    assert course.submitted_students("week3") == ["ada", "ben"]
    assert course.submitted_path("week3", "ada") == tmp_path / "course" / "in" / "week3" / "ada"
    assert course.autograded_dir("week3", "ada") == tmp_path / "course" / "autograded" / "week3" / "ada"


# --- reproducible regrades ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.xdist_group("instructor_paths")
def test_regrading_an_unchanged_submission_gives_the_same_checks_without_seed(graded: Graded) -> None:
    course = graded.course
    secret = course.root / ".autograder" / "secrets" / "week3"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert (course.root / ".autograder" / ".gitignore").read_text().strip().endswith("*")
    assert course.release_dir not in secret.parents
    before = graded.first[CAI]
    [again] = grade(course, "week3", students=[CAI], force=True)
    assert again.seed == before.seed == seeds.inputs_seed(course, "week3")
    assert [(c.grade_id, c.score, c.message) for c in again.checks] == [
        (c.grade_id, c.score, c.message) for c in before.checks
    ]
    [fresh] = grade(course, "week3", students=[CAI], force=True, new_inputs=True)
    assert fresh.seed != before.seed and fresh.seed == seeds.inputs_seed(course, "week3")


# --- the roster, and one writer of grades.csv ---------------------------------------------


@pytest.mark.slow
@pytest.mark.xdist_group("instructor_paths")
def test_roster_students_without_a_submission_are_in_both_csvs(graded: Graded, tmp_path: Path) -> None:
    course, root = graded.course, graded.course.root
    roster = tmp_path / "roster.csv"
    roster.write_text(f"id,first_name,last_name,email\n{GUS},Gus,Grant,gus@example.org\n{ADA},Ada,Lovelace,\n")
    nbgrader("db", "student", "import", str(roster), cwd=root)
    cohort = load_cohort(course, "week3")
    rows = read_rows(exports.write_grades(course, "week3", cohort=cohort))
    assert rows[GUS]["status"] == "missing" and rows[GUS]["score"] == "0"
    assert (rows[GUS]["last_name"], rows[GUS]["first_name"]) == ("Grant", "Gus")
    canvas = tmp_path / "canvas.csv"
    exports.write_canvas_csv(cohort, canvas, course.config)
    by_login = {row[3]: row for row in csv.reader(canvas.open())}
    assert by_login[GUS][0] == "Grant, Gus" and by_login[GUS][-1] == "0"
    assert by_login[ADA][0] == "Lovelace, Ada"
    blank = copy.deepcopy(course.config)
    blank.CanvasExport.missing_as_zero = False
    exports.write_canvas_csv(cohort, canvas, blank)
    assert {row[3]: row for row in csv.reader(canvas.open())}[GUS][-1] == ""


@pytest.mark.slow
@pytest.mark.xdist_group("instructor_paths")
def test_grading_one_student_keeps_every_row_and_manual_grade_of_grades_csv(graded: Graded) -> None:
    course, root = graded.course, graded.course.root
    with Gradebook(course.gradebook_url()) as gb:
        given = gb.find_grade("task1b_answer", "task1_fitting", "week3", FILES)
        given.manual_score, given.needs_manual_grade = 1.5, False  # as the formgrader saves a grade
        gb.db.commit()
    run = run_cli("grade", "week3", "--student", CAI, "--force", cwd=root)
    assert run.returncode == 0, run.stderr
    rows = read_rows(root / "reports" / "week3" / "grades.csv")
    assert {ADA, BEN, CAI, FILES} <= set(rows)
    assert rows[FILES][exports.task_column("1b")] == "1.5"
    with Gradebook(course.gradebook_url()) as gb:
        assert float(rows[FILES]["score"]) == pytest.approx(gb.find_submission("week3", FILES).score)
    assert set(rows) == {s.student for s in load_cohort(course, "week3").submissions}


# --- late penalties wherever a score is shown ---------------------------------------------

CUSTOM_PLUGIN = '''
from nbgrader.plugins import LateSubmissionPlugin


class HalfOffWhenLate(LateSubmissionPlugin):
    """Half of each late notebook's points off."""

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        return score / 2


c.AssignLatePenalties.plugin_class = HalfOffWhenLate
'''
POLICIES = {
    "none": ('c.LateSubmissionPlugin.penalty_method = "none"\n', lambda raw: raw),
    "zero": ('c.LateSubmissionPlugin.penalty_method = "zero"\n', lambda raw: 0.0),
    "custom": (CUSTOM_PLUGIN, lambda raw: raw / 2),
}


def page_scores(path: Path) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', path.read_text(), re.S)
    assert found
    data: dict[str, Any] = json.loads(found.group(1))
    return data


@pytest.mark.slow
@pytest.mark.xdist_group("instructor_paths")
@pytest.mark.parametrize("policy", list(POLICIES))
def test_late_penalties_are_in_every_score_as_nbgrader_export_has_them(
    graded: Graded, policy: str, tmp_path: Path
) -> None:
    root = graded.course.root
    config_lines, expected = POLICIES[policy]
    original = (root / "nbgrader_config.py").read_text()
    try:
        (root / "nbgrader_config.py").write_text(original + config_lines)
        run = run_cli("grade", "week3", "--student", CAI, "--force", cwd=root)
        assert run.returncode == 0, run.stderr
        course = Course.load(root)
        nbgrader("export", "--to", str(tmp_path / "export.csv"), cwd=root)
        cohort = load_cohort(course, "week3")
        exports.write_canvas_csv(cohort, tmp_path / "canvas.csv", course.config)
        shown = page_scores(page.write_index(cohort, tmp_path / "index.html", []))
    finally:
        (root / "nbgrader_config.py").write_text(original)
    export = {row["student_id"]: row for row in csv.DictReader((tmp_path / "export.csv").open())}
    grades = read_rows(root / "reports" / "week3" / "grades.csv")
    canvas = {row[3]: row[-1] for row in csv.reader((tmp_path / "canvas.csv").open())}
    raw = float(export[CAI]["raw_score"])
    assert raw > 0 and float(export[CAI]["score"]) == pytest.approx(expected(raw))
    for student in (ADA, CAI):
        final, penalty = float(export[student]["score"]), float(export[student]["late_submission_penalty"])
        assert float(grades[student]["score"]) == pytest.approx(final), (policy, student)
        assert float(grades[student]["late_submission_penalty"]) == pytest.approx(penalty), (policy, student)
        assert float(grades[student]["raw_score"]) == pytest.approx(float(export[student]["raw_score"]))
        assert float(canvas[student]) == pytest.approx(final), (policy, student)
        assert shown["scores"][student] == pytest.approx(final), (policy, student)
    assert f" {float(export[CAI]['score']):g}/" in table_line(run.stdout, CAI), run.stdout
    assert float(export[ADA]["late_submission_penalty"]) == 0
