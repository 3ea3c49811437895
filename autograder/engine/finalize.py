"""After execution, as ``nbgrader autograde`` does it: score the executed notebooks, write ``autograded/``.

:func:`finalize` takes the outputs a zygote returned for a :class:`~autograder.engine.prepare.Job`
(only outputs: cells and sources stay the grader's own), runs the scoring
preprocessors (``c.Autograde.autograde_preprocessors`` after the execute step:
with the grader's verdicts as the scores of checked cells, one commit per
notebook, as ``nbgrader autograde`` runs them, see :mod:`autograder.plugins`), writes
``autograded/STUDENT/ASSIGNMENT/`` and, last of all, the completion record.
"""

from __future__ import annotations

import copy
import shutil
import time
from typing import Any

import nbformat

from autograder import notebooks
from autograder.checks import verdicts
from autograder.course import Course
from autograder.engine import gradebook
from autograder.engine.prepare import Job, one_line, resources, run_preprocessors
from autograder.engine.regrade import Regrade
from autograder.engine.results import BY_GRADER, FINALIZE, PREPARE, Status, SubmissionResult, write_record
from autograder.errors import AutograderError
from autograder.jail.protocol import RunResult, RunStatus
from autograder.settings import Grader


def not_run(nb: dict[str, Any], reason: str) -> Any:
    """The sanitized notebook with every code cell showing why it did not run (so tests score 0)."""
    node = nbformat.from_dict(copy.deepcopy(nb))
    for cell in node.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("error", ename="NotRun", evalue=reason, traceback=[reason])]
    return node


def with_outputs(sanitized: dict[str, Any], returned: dict[str, Any] | None) -> Any | None:
    """The notebook that was sent, with the outputs the child returned; None if they do not fit it.

    Only outputs and execution counts are taken from the child (which student code could have
    forged), and the result must be a valid notebook: cells, their metadata and their sources are
    the grader's own.
    """
    try:
        theirs = returned["cells"] if isinstance(returned, dict) else None
        node = nbformat.from_dict(copy.deepcopy(sanitized))
        if not isinstance(theirs, list) or len(theirs) != len(node.cells):
            return None
        for cell, other in zip(node.cells, theirs, strict=True):
            if not isinstance(other, dict) or other.get("cell_type") != cell.cell_type:
                return None
            if cell.cell_type == "code":
                count = other.get("execution_count")
                cell.execution_count = count if isinstance(count, int) and not isinstance(count, bool) else None
                cell.outputs = [nbformat.from_dict(o) for o in other.get("outputs", [])]
        nbformat.validate(node)
    except Exception:
        return None
    return node


def executed_notebook(name: str, sanitized: dict[str, Any], run: RunResult) -> tuple[Any, str]:
    """The notebook as executed by ``run`` and ``""``; or, when it did not run (or what came back is
    not this notebook with outputs), the notebook with every code cell showing why, and that reason."""
    if run.status is RunStatus.OK:
        node = with_outputs(sanitized, run.notebook)
        if node is not None:
            return node, ""
        message = "its results came back altered"
    else:
        message = run.message or str(run.status)
    reason = f"{name}: {message}"
    return not_run(sanitized, reason), reason


def judge_run(plan: verdicts.Plan, name: str, run: RunResult) -> dict[str, Any]:
    """The grader's verdict on each checked cell of ``name`` from what ``run``'s probes observed."""
    return plan.judge(name, run.observations if run.status is RunStatus.OK else None)


def _diagnose(name: str, nb: Any, expected: set[str], limits_note: str) -> tuple[list[str], Status | None]:
    """Faults visible in an executed notebook: cells that hit a limit, test cells that are gone."""
    notes: list[str] = []
    status: Status | None = None
    present = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    gone = sorted(expected - present)
    if gone:
        notes.append(f"{name}: graded cells deleted from the notebook ({', '.join(gone)}) score 0")
        status = Status.ERROR
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            ename = output.get("ename") if output.get("output_type") == "error" else None
            if ename == "MemoryError":
                notes.append(f"{name}: cell {index} ran out of memory ({limits_note})")
                status = status or Status.ERROR
            elif ename in ("CellTimeout", "KeyboardInterrupt"):
                notes.append(f"{name}: cell {index} ran too long and was interrupted")
                status = Status.TIMEOUT
            elif output.get("output_type") == "stream" and "output truncated by the grader" in output.get("text", ""):
                notes.append(f"{name}: cell {index} printed too much; the rest of its output was dropped")
    return notes, status


def _zero_missing(course: Course, assignment: str, student: str, name: str) -> None:
    with gradebook.open_gradebook(course) as gb:
        submission = gb.find_submission_notebook(name, assignment, student)
        for grade in submission.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        gb.db.commit()


def finalize(
    course: Course,
    job: Job,
    runs: dict[str, RunResult],
    seconds: float,
    limits_note: str = "memory limit",
    plan: verdicts.Plan | None = None,
    regrade: Regrade | None = None,
    prepared: float = 0.0,
    record: bool = True,
) -> SubmissionResult:
    """Score the executed notebooks into the gradebook, write autograded/, then the record.

    With a ``plan``, checked cells score by the grader's verdicts on what the
    probes observed; a notebook whose tests passed where those verdicts failed
    makes the submission ``suspect``. Each checked cell records its check's fingerprint; a ``regrade`` (some
    checks changed since the last grading) then puts every other cell back as that grading left it.
    The record keeps the seconds of each stage: ``prepared`` (spent taking the submission in), the runs'
    (:mod:`autograder.jail.timing`) and this one's. Without ``record``, the caller writes the record (when
    the gradebook transaction holding these scores is committed).
    """
    began = time.monotonic()
    score = Grader(config=course.config).score_preprocessors
    out_dir = course.autograded_dir(job.assignment, job.student)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    messages = list(job.problems.values()) + job.refused
    status = Status.ERROR if job.problems or job.refused else Status.GRADED
    messages += job.notes
    suspect: list[str] = []
    scored: dict[str, Any] = {}
    verdicts_of: dict[tuple[str, str], verdicts.Verdict] = {}
    for name in job.problems:
        _zero_missing(course, job.assignment, job.student, name)
    for name, sanitized in job.notebooks.items():
        run = runs.get(name) or RunResult.failed("not executed")
        if name in job.skip:
            nb = nbformat.from_dict(sanitized)
        else:
            nb, failure = executed_notebook(name, sanitized, run)
            if failure:
                messages.append(failure)
                status = {RunStatus.TIMEOUT: Status.TIMEOUT, RunStatus.DISK: Status.DISK}.get(run.status, Status.ERROR)
        notes, noted = _diagnose(name, nb, job.graded_cells.get(name, set()), limits_note)
        messages += notes
        if noted is not None and status is Status.GRADED:
            status = noted
        info = resources(course, job.assignment, job.student, name)
        if plan is not None and name not in job.skip:
            info["verdicts"] = judge_run(plan, name, run)
        try:
            with gradebook.attempt(course):  # a failure part-way leaves none of its writes for the retry
                nb = run_preprocessors(score, nb, info, course.config)
        except Exception as exc:  # whatever the notebook held, scoring it must not stop the run
            reason = f"{name}: could not be scored ({one_line(exc)})"
            messages.append(reason)
            status = Status.ERROR
            info = resources(course, job.assignment, job.student, name)
            nb = run_preprocessors(score, not_run(sanitized, reason), info, course.config)
        judged = info.get("verdicts", {})
        verdicts_of.update({(name, gid): v for gid, v in judged.items()})
        suspect += [f"{name}/{gid}" for gid, v in judged.items() if v.suspect]
        notebooks.write(nb, out_dir / f"{name}.ipynb")
        scored[name] = nb
    for relative, content in job.files.items():
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    if regrade is not None:
        regrade.restore(course)
    result = gradebook.read_submission(course, job.assignment, job.student, scored, verdicts_of)
    if result is None:
        raise AutograderError(f"{job.student}: the gradebook lost the submission while grading")
    for check in result.checks:
        if plan is not None and check.judged_by == BY_GRADER:
            check.fingerprint = plan.fingerprint(check.notebook, check.grade_id)
    if regrade is not None:
        regrade.carry_over(result)
    if suspect:
        messages.insert(
            0,
            "the grader's own checks failed where the notebook's tests passed, so the code may have tampered "
            f"with the tests: {', '.join(suspect)}",
        )
        if status is Status.GRADED:
            status = Status.SUSPECT
    if status is not Status.GRADED:
        result.status = status
    result.seed = plan.seed if plan is not None else None
    result.message = "; ".join(messages)
    result.seconds = seconds
    result.stages = {PREPARE: round(prepared, 4)}
    for run in runs.values():
        for stage, spent in run.stages.items():
            result.stages[stage] = round(result.stages.get(stage, 0.0) + spent, 4)
    result.stages[FINALIZE] = round(time.monotonic() - began, 4)
    if record:
        write_record(result, out_dir)
    return result
