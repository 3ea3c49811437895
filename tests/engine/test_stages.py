"""Each stage of the engine through its own function: settings, protocol, prepare, a runner, finalize, progress.

The end-to-end tests grade whole cohorts through ``grade()``; these call one stage at a time, so that a
stage that breaks says so by name.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import pytest
from traitlets.config import Config

from autograder import settings
from autograder.checks import verdicts
from autograder.course import Course
from autograder.engine.finalize import finalize
from autograder.engine.prepare import Job, prepare
from autograder.engine.progress import Progress
from autograder.engine.results import FINALIZE, Status, SubmissionResult
from autograder.engine.runners import LocalRunner
from autograder.engine.sandbox import Sandbox, ZygoteSpec
from autograder.jail import timing
from autograder.jail.protocol import (
    Limits,
    Probe,
    RunRequest,
    RunResult,
    RunStatus,
    encode_frame,
    read_frame,
)
from demo.cohort import SAMPLE_COHORT
from tests.helpers import ROOT, released_course

STUDENTS = ("ada_reference", "ben_untouched_stub")


# --- settings and protocol ------------------------------------------------------------------


def test_limits_come_from_the_settings_with_nbgraders_cell_timeout_as_the_default() -> None:
    config = Config()
    config.Execute.timeout = 42
    config.Grader.notebook_timeout = 100.0
    config.Grader.memory_mb = 700
    _, limits = settings.load(config)
    assert (limits.cell_timeout, limits.notebook_timeout, limits.memory_mb) == (42, 100.0, 700)
    assert limits.cpu_seconds == 100.0  # no CPU limit of its own: the notebook's wall time
    config.Grader.cell_timeout = 5.0
    assert settings.load(config)[1].cell_timeout == 5.0


def test_a_request_survives_its_frame() -> None:
    request = RunRequest(
        "abc", {"cells": []}, "/tmp/x", Limits(memory_mb=300), [Probe("g", "probe", "def probe(): 0", [1])]
    )
    frame = read_frame(io.BytesIO(encode_frame(request.to_frame())))
    assert frame is not None and RunRequest.from_frame(frame) == request


@pytest.mark.parametrize(
    "reply",
    [
        None,
        {"job": "other", "status": "ok", "notebook": {}},
        {"job": "abc", "status": "fine", "notebook": {}},
        {"job": "abc", "status": "ok", "notebook": ["not", "a", "notebook"]},
        {"job": "abc", "status": "ok", "notebook": {}, "observations": "forged"},
        {"job": "abc", "status": "ok", "notebook": {}, "seconds": "soon"},
        {"job": "abc", "status": "ok", "notebook": {}, "last_cell": True},
    ],
    ids=["none", "another_request", "unknown_status", "notebook_list", "observations_text", "seconds_text", "bool"],
)
def test_a_reply_that_is_not_this_requests_is_refused(reply: dict[str, object] | None) -> None:
    assert RunResult.from_reply(reply, "abc") is None


def test_a_valid_reply_is_typed() -> None:
    reply = RunResult(RunStatus.TIMEOUT, None, "too long", 3.0, 7).to_frame("abc")
    result = RunResult.from_reply(reply, "abc")
    assert result is not None and result.status is RunStatus.TIMEOUT and result.last_cell == 7


def test_frames_that_are_not_objects_or_too_large_are_refused() -> None:
    with pytest.raises(ValueError):
        read_frame(io.BytesIO(b"\x00" * 7 + b"\x02" + b"[]"))
    with pytest.raises(ValueError):
        read_frame(io.BytesIO(b"\xff" * 8))
    assert read_frame(io.BytesIO(b"\x00\x00")) is None  # the stream ended


# --- progress -----------------------------------------------------------------------------


def test_progress_without_a_terminal_prints_one_line_per_submission() -> None:
    stream = io.StringIO()
    progress = Progress(2, stream=stream)
    progress.update(
        SubmissionResult(student="ada", assignment="week3", status=Status.GRADED, auto_score=29, max_auto_score=29)
    )
    progress.close()
    line = stream.getvalue().strip()
    assert line.startswith("[1/2] ada: graded 29/29"), line


# --- the executor, in a process of its own ---------------------------------------------------


def test_the_executor_runs_cells_like_a_kernel() -> None:
    program = """
import json
from autograder.jail.executor import Capture, build_shell, run_cells
capture = Capture(10**6)
shell = build_shell(capture)
nb = {"cells": [
    {"cell_type": "code", "source": "x = 6 * 7\\nprint('hi')\\nx", "metadata": {}, "outputs": []},
    {"cell_type": "markdown", "source": "text", "metadata": {}},
    {"cell_type": "code", "source": "assert x == 41, 'not 41'", "metadata": {}, "outputs": []},
], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
out = run_cells(shell, capture, nb, 10)
print(json.dumps([c.get("outputs") for c in out["cells"]]))
"""
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    first, markdown, second = __import__("json").loads(done.stdout.strip().splitlines()[-1])
    assert markdown is None
    assert {"output_type": "stream", "name": "stdout", "text": "hi\n"} in first
    assert any(o["output_type"] == "execute_result" and o["data"]["text/plain"] == "42" for o in first)
    assert [o["ename"] for o in second if o["output_type"] == "error"] == ["AssertionError"]


# --- prepare, a runner, finalize ------------------------------------------------------------


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    return released_course(tmp_path_factory.mktemp("stages"), [v for v in SAMPLE_COHORT if v.student in STUDENTS])


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_prepare_then_a_local_runner_then_finalize_grade_a_submission(course: Course) -> None:
    grader, limits = settings.load(course.config)
    plan = verdicts.plan(verdicts.load_checks(grader.checks["week3"], course.root), seed=1)
    jobs: list[Job] = [prepare(course, "week3", s, plan=plan) for s in STUDENTS]
    for job in jobs:
        assert set(job.notebooks) == {"task1_fitting", "task2_relu", "task3_architectures"}
        assert job.skip == {"task3_architectures"}  # no grade cells: not run
        assert job.probes["task1_fitting"] and all(isinstance(p, Probe) for p in job.probes["task1_fitting"])
        assert not job.problems
    runner = LocalRunner(1, limits, ZygoteSpec.from_settings(grader, course.root, Sandbox.from_settings(grader)))
    try:
        started = time.monotonic()
        runs = {job.student: runner.submit(job).result(timeout=300) for job in jobs}
    finally:
        runner.close()
    for job in jobs:
        assert set(runs[job.student]) == {"task1_fitting", "task2_relu"}
        assert all(run.status is RunStatus.OK for run in runs[job.student].values())
        for run in runs[job.student].values():  # the supervisor says where the run's time went
            assert set(run.stages) == set(timing.STAGES)
            assert run.stages[timing.LOCKED] > 0 and run.stages[timing.CHECKS] > 0
            assert sum(run.stages.values()) <= run.seconds + 0.01
    results = {
        job.student: finalize(course, job, runs[job.student], time.monotonic() - started, plan=plan) for job in jobs
    }
    assert results["ada_reference"].auto_score == 29 and results["ben_untouched_stub"].auto_score == 0
    ada = results["ada_reference"].stages
    assert ada[FINALIZE] > 0 and ada[timing.CHECKS] == pytest.approx(
        sum(run.stages[timing.CHECKS] for run in runs["ada_reference"].values()), abs=1e-3
    )
    for student in STUDENTS:
        assert (course.autograded_dir("week3", student) / "grading.json").is_file()


def test_a_runs_seconds_go_to_the_stage_of_the_cell_that_spent_them() -> None:
    def cell(**nbgrader: object) -> dict[str, object]:
        return {"cell_type": "code", "metadata": {"nbgrader": nbgrader}}

    nb = {"cells": [cell(locked=True), cell(solution=True), cell(grade=True, locked=True), {"cell_type": "markdown"}]}
    timeline = timing.Timeline(nb)
    for mark, pause in ((0, 0.05), (1, 0.3), (2, 0.05), (-1, 0.2)):
        timeline.probe() if mark < 0 else timeline.cell(mark)
        time.sleep(pause)
    spent = timeline.close()
    assert max(spent, key=spent.__getitem__) == timing.STUDENT and spent[timing.STUDENT] >= 0.3
    assert spent[timing.CHECKS] >= 0.2 and spent[timing.LOCKED] >= 0.05 and spent[timing.TESTS] >= 0.05


def test_prepare_names_a_missing_notebook_and_a_stray_one(course: Course, tmp_path: Path) -> None:
    folder = course.submitted_path("week3", "ada_reference")
    moved = folder / "task2_relu.ipynb"
    stray = folder / "my_notes.ipynb"
    content = moved.read_bytes()
    moved.rename(tmp_path / "task2_relu.ipynb")
    stray.write_bytes(content)
    try:
        job = prepare(course, "week3", "ada_reference")
    finally:
        (tmp_path / "task2_relu.ipynb").rename(moved)
        stray.unlink()
    assert "task2_relu.ipynb is missing" in job.problems["task2_relu"]
    assert any("my_notes.ipynb" in note for note in job.notes)
