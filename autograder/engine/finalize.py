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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from autograder import notebooks
from autograder.checks import verdicts
from autograder.course import Course
from autograder.engine import gradebook
from autograder.engine.batch import Batch
from autograder.engine.prepare import Job, one_line, resources, run_preprocessors
from autograder.engine.regrade import Regrade
from autograder.engine.results import BY_GRADER, FINALIZE, PREPARE, SubmissionResult, write_record
from autograder.engine.status import RUN_CAUSES, Cause, decide
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


def _diagnose(name: str, nb: Any, expected: set[str], limits_note: str) -> tuple[list[str], set[Cause]]:
    """Faults visible in an executed notebook: cells that hit a limit, test cells that are gone."""
    notes: list[str] = []
    causes: set[Cause] = set()
    present = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    gone = sorted(expected - present)
    if gone:
        notes.append(f"{name}: graded cells deleted from the notebook ({', '.join(gone)}) score 0")
        causes.add(Cause.CELLS_DELETED)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            ename = output.get("ename") if output.get("output_type") == "error" else None
            if ename == "MemoryError":
                notes.append(f"{name}: cell {index} ran out of memory ({limits_note})")
                causes.add(Cause.CELL_OUT_OF_MEMORY)
            elif ename in ("CellTimeout", "KeyboardInterrupt"):
                notes.append(f"{name}: cell {index} ran too long and was interrupted")
                causes.add(Cause.CELL_INTERRUPTED)
            elif output.get("output_type") == "stream" and "output truncated by the grader" in output.get("text", ""):
                notes.append(f"{name}: cell {index} printed too much; the rest of its output was dropped")
    return notes, causes


def _zero_missing(course: Course, assignment: str, student: str, name: str, batch: Batch | None) -> None:
    with gradebook.open_gradebook(course, batch) as gb:
        submission = gb.find_submission_notebook(name, assignment, student)
        for grade in submission.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        gb.db.commit()


@dataclass
class _Scoring:
    """Scoring one submission's notebooks into the gradebook, and what it found on the way."""

    course: Course
    job: Job
    plan: verdicts.Plan | None
    limits_note: str
    batch: Batch | None = None
    """The engine's open batch, where the gradebook work goes (None: nbgrader's own connections)."""
    messages: list[str] = field(default_factory=list)
    causes: set[Cause] = field(default_factory=set)
    """For the submission's status (:func:`autograder.engine.status.decide`)."""
    suspect: list[str] = field(default_factory=list)
    """``notebook/grade_id`` of each check the notebook's own test passed where the grader's check failed."""
    scored: dict[str, Any] = field(default_factory=dict)
    verdicts_of: dict[tuple[str, str], verdicts.Verdict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.score = Grader(config=self.course.config).score_preprocessors

    def start(self) -> Path:
        """An empty ``autograded/`` folder for the submission; what the intake found noted, its missing notebooks
        scored 0."""
        job = self.job
        out_dir = self.course.autograded_dir(job.assignment, job.student)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.mkdir(parents=True)
        self.messages += [*job.problems.values(), *job.refused, *job.notes]
        if job.problems or job.refused:
            self.causes.add(Cause.NOT_TAKEN)
        for name in job.problems:
            _zero_missing(self.course, job.assignment, job.student, name, self.batch)
        return out_dir

    def executed(self, name: str, run: RunResult) -> Any:
        """The notebook as its run left it (as sent, for a notebook skipped), its faults noted."""
        sanitized = self.job.notebooks[name]
        if name in self.job.skip:
            nb = nbformat.from_dict(sanitized)
        else:
            nb, failure = executed_notebook(name, sanitized, run)
            if failure:
                self.messages.append(failure)
                self.causes.add(RUN_CAUSES[run.status])
        notes, causes = _diagnose(name, nb, self.job.graded_cells.get(name, set()), self.limits_note)
        self.messages += notes
        self.causes |= causes
        return nb

    def notebook(self, name: str, run: RunResult) -> Any:
        """Score one notebook (by the grader's verdicts on its run, with a plan); the notebook as scored. One that
        cannot be scored scores 0, every code cell showing why."""
        course, job = self.course, self.job
        nb = self.executed(name, run)
        info = resources(course, job.assignment, job.student, name, self.batch)
        if self.plan is not None and name not in job.skip:
            info["verdicts"] = judge_run(self.plan, name, run)
        try:
            with gradebook.attempt(self.batch):  # a failure part-way leaves none of its writes for the retry
                nb = run_preprocessors(self.score, nb, info, course.config)
        except Exception as exc:  # whatever the notebook held, scoring it must not stop the run
            reason = f"{name}: could not be scored ({one_line(exc)})"
            self.messages.append(reason)
            self.causes.add(Cause.NOT_SCORED)
            info = resources(course, job.assignment, job.student, name, self.batch)
            nb = run_preprocessors(self.score, not_run(job.notebooks[name], reason), info, course.config)
        judged = info.get("verdicts", {})
        self.verdicts_of.update({(name, gid): v for gid, v in judged.items()})
        self.suspect += [f"{name}/{gid}" for gid, v in judged.items() if v.suspect]
        self.scored[name] = nb
        return nb

    def result(self, regrade: Regrade | None) -> SubmissionResult:
        """The submission's result as the gradebook now holds it, with each check's fingerprint and the cells a
        ``regrade`` did not score again carried over; its status and message from what was found."""
        course, job, plan = self.course, self.job, self.plan
        if regrade is not None:
            regrade.restore(course, self.batch)
        result = gradebook.read_submission(
            course, job.assignment, job.student, self.scored, self.verdicts_of, batch=self.batch
        )
        if result is None:
            raise AutograderError(f"{job.student}: the gradebook lost the submission while grading")
        for check in result.checks:
            if plan is not None and check.judged_by == BY_GRADER:
                check.fingerprint = plan.fingerprint(check.notebook, check.grade_id)
        if regrade is not None:
            regrade.carry_over(result)
        messages = self.messages
        if self.suspect:
            self.causes.add(Cause.TAMPERED)
            messages = [
                "the grader's own checks failed where the notebook's tests passed, so the code may have tampered "
                f"with the tests: {', '.join(self.suspect)}",
                *messages,
            ]
        if result.needs_manual:
            self.causes.add(Cause.MANUAL_PENDING)
        result.status = decide(self.causes)
        result.seed = plan.seed if plan is not None else None
        result.message = "; ".join(messages)
        return result


def _stages(runs: dict[str, RunResult], prepared: float, began: float) -> dict[str, float]:
    """Seconds per stage: taking the submission in, the runs' own stages summed, then this finalize."""
    stages = {PREPARE: round(prepared, 4)}
    for run in runs.values():
        for stage, spent in run.stages.items():
            stages[stage] = round(stages.get(stage, 0.0) + spent, 4)
    stages[FINALIZE] = round(time.monotonic() - began, 4)
    return stages


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
    batch: Batch | None = None,
) -> SubmissionResult:
    """Score the executed notebooks into the gradebook, write autograded/, then the record.

    With a ``plan``, checked cells score by the grader's verdicts on what the
    probes observed; a notebook whose tests passed where those verdicts failed
    makes the submission ``suspect``. Each checked cell records its check's fingerprint; a ``regrade`` (some
    checks changed since the last grading) then puts every other cell back as that grading left it.
    The submission's status is :func:`autograder.engine.status.decide`'s, from everything found on the way.
    The record keeps the seconds of each stage: ``prepared`` (spent taking the submission in), the runs'
    (:mod:`autograder.jail.timing`) and this one's. Without ``record``, the caller writes the record (when
    the gradebook transaction holding these scores is committed). ``batch``: the engine's open
    :class:`~autograder.engine.batch.Batch`, where the gradebook work goes.
    """
    began = time.monotonic()
    scoring = _Scoring(course, job, plan, limits_note, batch)
    out_dir = scoring.start()
    for name in job.notebooks:
        nb = scoring.notebook(name, runs.get(name) or RunResult.failed("not executed"))
        notebooks.write(nb, out_dir / f"{name}.ipynb")
    for relative, content in job.files.items():
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    result = scoring.result(regrade)
    result.seconds = seconds
    result.stages = _stages(runs, prepared, began)
    if record:
        write_record(result, out_dir)
    return result
