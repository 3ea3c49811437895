"""One gradebook transaction per batch: few commits, a failed submission leaves nothing, a lost batch is lost whole."""

from __future__ import annotations

import contextlib
import math
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from nbconvert.preprocessors import Preprocessor
from nbgrader.api import Gradebook, MissingEntry

from autograder.course import Course
from autograder.engine.batch import Batch
from autograder.engine.grade import grade
from autograder.engine.results import RECORD_NAME, Status
from autograder.errors import AutograderError
from autograder.plugins.lookups import NotebookGradebook
from autograder.samples import Variant, reference_answers
from demo.cohort import SAMPLE_COHORT
from tests.helpers import ROOT, released_course


@pytest.fixture
def gradebook_url(tmp_path: Path) -> str:
    """An empty nbgrader gradebook with the course's tables."""
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    Gradebook(url).close()
    return url


def students(url: str) -> set[str]:
    """The students another connection (another process, as it were) sees in the gradebook."""
    with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
        return {row[0] for row in db.execute("SELECT id FROM student")}


def test_a_unit_that_raises_leaves_nothing_and_the_others_are_kept(gradebook_url: str) -> None:
    with Batch(gradebook_url) as batch:
        with batch.unit(), batch.gradebook() as gb:  # nbgrader's Gradebook, on the batch's connection
            gb.add_student("kept")
        with pytest.raises(RuntimeError), batch.unit():
            with NotebookGradebook(gradebook_url, batch=batch) as gb:
                gb.add_student("half_done")  # committed by nbgrader: only its savepoint is released
            raise RuntimeError("the submission failed after it")
        assert students(gradebook_url) == set()  # nothing is visible before the batch commits
    assert students(gradebook_url) == {"kept"}


def test_an_uncommitted_batch_leaves_nothing_and_runs_nothing_it_deferred(gradebook_url: str) -> None:
    batch = Batch(gradebook_url, size=10)
    ran: list[str] = []
    with batch.unit():
        batch.gradebook().add_student("lost")
    batch.defer(lambda: ran.append("record"))
    batch.done()  # one of ten: not committed
    batch.connection.close()  # the process dies here
    batch.engine.dispose()
    assert students(gradebook_url) == set()
    assert ran == []


def test_a_full_batch_commits_then_runs_what_waited(gradebook_url: str) -> None:
    ran: list[set[str]] = []
    with Batch(gradebook_url, size=2) as batch:
        for name in ("one", "two", "three"):
            with batch.unit():
                batch.gradebook().add_student(name)
            batch.defer(lambda: ran.append(students(gradebook_url)))
            batch.done()
        assert students(gradebook_url) == {"one", "two"}
    assert ran == [{"one", "two"}, {"one", "two"}, {"one", "two", "three"}]
    assert batch.commits == 2


def test_no_gradebook_opens_outside_a_unit_during_a_batch(gradebook_url: str) -> None:
    with Batch(gradebook_url) as batch:
        with pytest.raises(AutograderError, match="outside a grading unit"):
            batch.gradebook()
        with pytest.raises(AutograderError, match="outside a grading unit"):
            NotebookGradebook(gradebook_url, batch=batch)
        with batch.unit(), pytest.raises(AutograderError, match="do not nest"), batch.unit():
            pass


def test_the_engine_runs_ours_in_place_of_nbgraders_steps_that_open_their_own_gradebook() -> None:
    """Named as nbgrader's (by import name or, as in nbgrader's defaults, as classes), the steps that would open
    a connection beside the batch's run as ours, which open the gradebook on it; the others stay as named."""
    from nbgrader import preprocessors as stock
    from traitlets.config import Config

    from autograder.settings import Grader

    config = Config()
    config.Autograde.autograde_preprocessors = [
        "nbgrader.preprocessors.Execute",
        "nbgrader.preprocessors.LimitOutput",
        "nbgrader.preprocessors.SaveAutoGrades",
        "nbgrader.preprocessors.latesubmissions.AssignLatePenalties",
    ]
    grader = Grader(config=config)
    assert grader.score_preprocessors == [
        "nbgrader.preprocessors.LimitOutput",
        "autograder.plugins.scoring.BatchedSaveAutoGrades",
        "autograder.plugins.scoring.AssignLatePenalties",
    ]
    assert grader.sanitize_preprocessors == [  # nbgrader's default list, of classes
        stock.ClearOutput,
        stock.DeduplicateIds,
        "autograder.plugins.cells.OverwriteKernelspec",
        "autograder.plugins.cells.OverwriteCells",
        stock.CheckCellMetadata,
    ]


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_grading_commits_once_per_batch_not_per_step(tmp_path: Path) -> None:
    cohort = SAMPLE_COHORT[:5]
    course: Course = released_course(
        tmp_path / "c", cohort, extra_config="c.Grader.batch_submissions = 2\nc.Grader.batch_seconds = 600\n"
    )
    commits: list[object] = []

    def count(connection: object) -> None:
        commits.append(connection)

    sqlalchemy.event.listen(sqlalchemy.engine.Engine, "commit", count)  # every transaction of every engine
    try:
        results = grade(course, "week3", workers=1)
    finally:
        sqlalchemy.event.remove(sqlalchemy.engine.Engine, "commit", count)
    assert {r.student: r.status for r in results}["ada_reference"] is Status.NEEDS_MANUAL  # written answers
    batches = math.ceil(len(cohort) / 2)
    assert len(commits) <= batches + 2, f"{len(commits)} commits for {len(cohort)} submissions"
    assert all((course.autograded_dir("week3", v.student) / RECORD_NAME).is_file() for v in cohort)
    with Gradebook(course.gradebook_url()) as gb:
        assert len(gb.find_assignment("week3").submissions) == len(cohort)
        with pytest.raises(MissingEntry):
            gb.find_student("nobody")


class ScoresThenFails(Preprocessor):  # type: ignore[misc]
    """A scoring step that writes to the gradebook it is given (the run's open batch), then raises (the first
    time: not on the retry, which scores the notebook as not run)."""

    enabled = True

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        info = resources["nbgrader"]
        retry = any(o.get("ename") == "NotRun" for c in nb.cells for o in c.get("outputs", []))
        if info["notebook"] != "task2_relu" or retry:
            return nb, resources
        with NotebookGradebook.of(resources) as gb:
            grade = gb.find_grade("triple_relu_matches_sum_of_relus", "task2_relu", "week3", info["student"])
            grade.extra_credit = 7.0
            gb.db.commit()  # on the batch's connection: releases this gradebook's savepoint only
        raise RuntimeError("the scoring step broke after writing")


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_a_failed_scoring_attempt_leaves_nothing_for_its_retry(tmp_path: Path) -> None:
    step = f"{ScoresThenFails.__module__}.{ScoresThenFails.__name__}"
    course = released_course(
        tmp_path / "c", SAMPLE_COHORT[:1], extra_config=f"c.Autograde.autograde_preprocessors.append({step!r})\n"
    )
    (result,) = grade(course, "week3", workers=1)
    assert result.status is Status.ERROR
    assert "task2_relu: could not be scored (the scoring step broke after writing)" in result.message
    with Gradebook(course.gradebook_url()) as gb:
        grade_row = gb.find_grade("triple_relu_matches_sum_of_relus", "task2_relu", "week3", "ada_reference")
        assert grade_row.extra_credit is None  # the failed attempt's write was undone with it
        assert grade_row.auto_score == 0  # the retry scored the notebook as not run
        task1 = gb.find_submission_notebook("task1_fitting", "week3", "ada_reference")
        assert task1.score > 0  # the other notebook kept its scores


# What the formgrader does when an instructor saves a grade: nbgrader's Gradebook in a process of its own, on
# pysqlite's defaults (a writer waits 5 s for SQLite's lock, then fails with "database is locked").
FORMGRADER_WRITES = """
import sys, time
from pathlib import Path
from nbgrader.api import Gradebook
url, stop = sys.argv[1], Path(sys.argv[2])
n = 0
while not stop.exists():
    started = time.monotonic()
    with Gradebook(url) as gb:
        gb.add_student(f"ta_note_{n}")
    print(f"{time.monotonic() - started:.3f}", flush=True)
    n += 1
    time.sleep(0.2)
"""

SLOW_ANSWER = """
import time
time.sleep(7)  # longer than a writer waits for SQLite's lock: the grader must not hold it meanwhile
"""


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_the_formgrader_can_save_a_grade_while_a_cohort_is_graded(tmp_path: Path) -> None:
    descent = reference_answers(ROOT / "source" / "week3")["task1_fitting"]["gradient_descent"]
    slow = Variant("kim_slow_answer", answers={"task1_fitting": {"gradient_descent": SLOW_ANSWER + descent}})
    course = released_course(tmp_path / "c", [*SAMPLE_COHORT[:2], slow])
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", FORMGRADER_WRITES, course.gradebook_url(), str(stop)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        results = grade(course, "week3", workers=1)
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err.strip().splitlines()[-1:]
    waits = [float(line) for line in out.split()]
    assert len(waits) >= 10 and max(waits) < 5.0, waits
    assert {r.student for r in results} == {"ada_reference", "ben_untouched_stub", "kim_slow_answer"}
