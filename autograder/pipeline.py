"""The two gradebook stages around execution, done the way ``nbgrader autograde`` does them.

:func:`prepare` registers the submission and sanitizes each notebook with
nbgrader's own preprocessors (test and locked cells restored from the
gradebook, outputs cleared). :func:`finalize` scores the executed notebooks
with nbgrader's own preprocessors (one commit per notebook instead of one per
cell), writes ``autograded/``, and last of all the completion record. Only the
main process runs these, so the gradebook has a single writer.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass, field
from typing import Any, ClassVar

import jsonschema
import nbformat
import sqlalchemy
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader import api as nbgrader_api
from nbgrader import utils as nbgrader_utils
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.nbgraderformat import common as nbgraderformat_common
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from autograder import gradebook, notebooks, verdicts
from autograder.course import Course
from autograder.errors import AutograderError
from autograder.results import Status, SubmissionResult, write_record
from autograder.zygote import RunResult

MAX_EXTRA_FILE_BYTES = 20_000_000


class _CachedSchemaValidation:
    """Stands in for ``jsonschema`` inside nbgrader's metadata validator.

    nbgrader calls ``jsonschema.validate(metadata, schema)`` for every cell,
    which re-checks the (constant) schema each time; this validates against
    the same schema with a validator built once.
    """

    ValidationError = jsonschema.ValidationError
    _validators: ClassVar[dict[int, Any]] = {}

    @classmethod
    def validate(cls, instance: Any, schema: dict[str, Any]) -> None:
        validator = cls._validators.get(id(schema))
        if validator is None:
            validator = cls._validators[id(schema)] = jsonschema.validators.validator_for(schema)(schema)
        validator.validate(instance)


nbgraderformat_common.jsonschema = _CachedSchemaValidation

_ENGINES: dict[str, Any] = {}


def _cached_engine(url: str, **kwargs: Any) -> Any:
    """nbgrader opens a new database engine for every preprocessor; reuse one per URL (it pools connections)."""
    key = f"{url}|{sorted(kwargs.items())}"
    if key not in _ENGINES:
        _ENGINES[key] = sqlalchemy.create_engine(url, **kwargs)
    return _ENGINES[key]


nbgrader_api.create_engine = _cached_engine


def dispose_engines() -> None:
    """Close the pooled connections (at the end of a grading run)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def has_grade_cells(nb: dict[str, Any]) -> bool:
    return any(cell.get("metadata", {}).get("nbgrader", {}).get("grade") for cell in nb.get("cells", []))


SANITIZE = (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata)


class BatchedSaveAutoGrades(SaveAutoGrades):  # type: ignore[misc]
    """nbgrader's SaveAutoGrades, committing once per notebook instead of once per cell.

    A test cell the grader checked itself (``resources["verdicts"]``) scores
    by that verdict, not by its output. Where the two disagree, the cell gets
    one more output saying so (the feedback shows it), and the grade id goes
    into ``resources["disagreements"]``.
    """

    def _add_score(self, cell: Any, resources: Any) -> None:
        gid = cell.metadata["nbgrader"]["grade_id"]
        grade = self.gradebook.find_grade(gid, self.notebook_id, self.assignment_id, self.student_id)
        own, _ = nbgrader_utils.determine_grade(cell, self.log)
        verdict = resources.get("verdicts", {}).get(gid)
        if verdict is not None and cell.cell_type == "code" and not nbgrader_utils.is_solution(cell):
            if own and not verdict.passed:
                resources["disagreements"].append(gid)
                cell.outputs.append(
                    nbformat.v4.new_output(
                        "error",
                        ename="GraderCheck",
                        evalue=verdict.reason,
                        traceback=[f"The grader's own check of this cell failed: {verdict.reason}"],
                    )
                )
            elif verdict.passed and own != grade.max_score:
                note = "The grader's own check of this cell passed; its score counts, not the error above.\n"
                cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=note))
            own = grade.max_score if verdict.passed else 0.0
        grade.auto_score = own
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None

    def preprocess(self, nb: Any, resources: Any) -> Any:
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        self.student_id, self.db_url = info["student"], info["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook:
            session = self.gradebook.db
            commit = session.commit
            session.commit = lambda: None
            try:
                nb, resources = super(SaveAutoGrades, self).preprocess(nb, resources)
            finally:
                session.commit = commit
            session.commit()
        return nb, resources


POSTPROCESS = (
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    BatchedSaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
)


@dataclass
class Job:
    """One submission, ready to execute anywhere: plain data only."""

    student: str
    assignment: str
    notebooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Sanitized notebooks by name, as nbformat JSON."""
    problems: dict[str, str] = field(default_factory=dict)
    """Notebooks that cannot run, by name, with the reason (missing, not valid JSON, ...)."""
    files: dict[str, bytes] = field(default_factory=dict)
    """Other files of the submission, by relative path, for the notebooks' working directory."""
    notes: list[str] = field(default_factory=list)
    """Things worth telling that do not cost points (an extra notebook, ...)."""
    graded_cells: dict[str, set[str]] = field(default_factory=dict)
    """The grade ids each notebook must have, from the gradebook."""
    skip: set[str] = field(default_factory=set)
    """Notebooks not to execute: they have no grade cells, so their outputs cannot change a score."""
    probes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """The grader's probes to run in each notebook (see :mod:`autograder.verdicts`)."""


def _resources(course: Course, assignment: str, student: str, name: str) -> dict[str, Any]:
    return {
        "unique_key": name,
        "output_files_dir": f"{name}_files",
        "nbgrader": {"student": student, "assignment": assignment, "notebook": name, "db_url": course.gradebook_url()},
    }


def _run(preprocessors: tuple[type, ...], nb: Any, resources: dict[str, Any], config: Any) -> Any:
    for cls in preprocessors:
        pp = cls(config=config)
        if getattr(pp, "enabled", True):
            nb, resources = pp.preprocess(nb, resources)
    return nb


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def prepare(
    course: Course,
    assignment: str,
    student: str,
    *,
    execute_ungraded: bool = False,
    plan: verdicts.Plan | None = None,
) -> Job:
    """Register the submission in the gradebook, sanitize its notebooks and attach the grader's probes."""
    coursedir = CourseDirectory(config=course.config)
    folder = course.submitted_dir / student / assignment
    timestamp = coursedir.get_existing_timestamp(str(folder))
    job = Job(student=student, assignment=assignment)
    with gradebook.open_gradebook(course) as gb:
        gb.update_or_create_student(student)
        if timestamp:
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(assignment, student)
        source_notebooks = gb.find_assignment(assignment).notebooks
        names = [nb.name for nb in source_notebooks]
        job.graded_cells = {nb.name: {cell.name for cell in nb.grade_cells} for nb in source_notebooks}
    strays = sorted(p.name for p in folder.glob("*.ipynb") if p.stem not in names)
    if strays:
        job.notes.append(f"notebooks that are not part of {assignment} were ignored: {', '.join(strays)}")
    for name in names:
        path = folder / f"{name}.ipynb"
        if not path.is_file():
            job.problems[name] = f"{name}.ipynb is missing from the submission"
            continue
        try:
            nb = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
            if nb.get("nbformat") != 4:
                raise ValueError("not an nbformat 4 notebook")
        except Exception as exc:
            job.problems[name] = f"{name}.ipynb could not be read: {_one_line(exc)}"
            continue
        try:
            nb = _run(SANITIZE, nb, _resources(course, assignment, student, name), course.config)
            job.notebooks[name] = dict(nb)
            if not execute_ungraded and not has_grade_cells(job.notebooks[name]):
                job.skip.add(name)
            elif plan is not None:
                job.probes[name] = plan.probes(name)
        except Exception as exc:
            job.problems[name] = f"{name}.ipynb has damaged nbgrader cells (duplicated or altered): {_one_line(exc)}"
    for extra in sorted(folder.rglob("*")):
        if extra.is_file() and extra.suffix != ".ipynb" and extra.stat().st_size <= MAX_EXTRA_FILE_BYTES:
            job.files[str(extra.relative_to(folder))] = extra.read_bytes()
    return job


def _not_run(nb: dict[str, Any], reason: str) -> Any:
    """The sanitized notebook with every code cell showing why it did not run (so tests score 0)."""
    node = nbformat.from_dict(nb)
    for cell in node.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("error", ename="NotRun", evalue=reason, traceback=[reason])]
    return node


def _executed(sanitized: dict[str, Any], returned: dict[str, Any] | None) -> Any | None:
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
) -> SubmissionResult:
    """Score the executed notebooks into the gradebook, write autograded/, then the record.

    With a ``plan``, checked cells score by the grader's verdicts on what the
    probes observed; a notebook whose tests passed where those verdicts failed
    makes the submission ``suspect``.
    """
    out_dir = course.autograded_dir(job.assignment, job.student)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    messages = list(job.problems.values())
    status = Status.ERROR if job.problems else Status.GRADED
    messages += job.notes
    suspect: list[str] = []
    scored: dict[str, Any] = {}
    for name in job.problems:
        _zero_missing(course, job.assignment, job.student, name)
    for name, sanitized in job.notebooks.items():
        run = runs.get(name) or RunResult(status="crashed", notebook=None, message="not executed")
        if name in job.skip:
            nb = nbformat.from_dict(sanitized)
        elif run.status == "ok" and (executed := _executed(sanitized, run.notebook)) is not None:
            nb = executed
        else:
            if run.status == "ok":  # it ran, but what came back is not this notebook with outputs
                run = RunResult(status="crashed", notebook=None, message="its results came back altered")
            reason = f"{name}: {run.message or run.status}"
            messages.append(reason)
            status = Status.TIMEOUT if run.status == "timeout" else Status.ERROR
            nb = _not_run(sanitized, reason)
        notes, noted = _diagnose(name, nb, job.graded_cells.get(name, set()), limits_note)
        messages += notes
        if noted is not None and status is Status.GRADED:
            status = noted
        resources = _resources(course, job.assignment, job.student, name)
        if plan is not None and name not in job.skip:
            observed = run.observations if run.status == "ok" else None
            resources["verdicts"] = plan.judge(name, observed)
            resources["disagreements"] = []
        try:
            nb = _run(POSTPROCESS, nb, resources, course.config)
        except Exception as exc:  # whatever the notebook held, scoring it must not stop the run
            reason = f"{name}: could not be scored ({_one_line(exc)})"
            messages.append(reason)
            status = Status.ERROR
            resources = _resources(course, job.assignment, job.student, name)
            nb = _run(POSTPROCESS, _not_run(sanitized, reason), resources, course.config)
        suspect += [f"{name}/{gid}" for gid in resources.get("disagreements", [])]
        notebooks.write(nb, out_dir / f"{name}.ipynb")
        scored[name] = nb
    for relative, content in job.files.items():
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    result = gradebook.read_submission(course, job.assignment, job.student, scored)
    if result is None:
        raise AutograderError(f"{job.student}: the gradebook lost the submission while grading")
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
    write_record(result, out_dir)
    return result
