"""Before execution, as ``nbgrader autograde`` does it: register the submission, sanitize its notebooks.

:func:`prepare` reads the submission's ``timestamp.txt``, registers the
submission in the gradebook and runs the sanitizing preprocessors
(``c.Grader.sanitize_preprocessors``: test and locked cells restored from the
gradebook, outputs cleared). The submission's other files come along, and the
non-notebook files of the source assignment replace them (except those in
``c.Autograde.exclude_overwriting``), as stock autograde copies them. The
result is a :class:`Job`, plain data that can run anywhere. Only the main
process runs this, so the gradebook has a single writer. A submission that
cannot be graded at all raises :class:`Refused` with a one-line reason.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbgrader.converters.autograde import Autograde
from nbgrader.utils import find_all_files, parse_utc
from traitlets.config import Config

from autograder import notebooks
from autograder.checks import verdicts
from autograder.course import Course
from autograder.engine import gradebook, intake
from autograder.engine.batch import RESOURCE, Batch
from autograder.errors import AutograderError
from autograder.jail.protocol import Probe
from autograder.settings import Grader

TIMESTAMP_FILE = "timestamp.txt"


class Refused(AutograderError):
    """A submission that cannot be graded at all: its student gets status ``error`` with this reason."""


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
    probes: dict[str, list[Probe]] = field(default_factory=dict)
    """The grader's probes to run in each notebook (see :mod:`autograder.checks.verdicts`)."""
    references: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    """By notebook, then grade id: the reference sources its probes swap in (never sent with the notebook)."""
    timestamp: str | None = None
    """When the student submitted (``timestamp.txt``, ISO 8601 in UTC), if known."""
    refused: list[str] = field(default_factory=list)
    """Entries of the submission folder that were not taken (links, FIFOs, ...), each named: status ``error``."""
    prefix: dict[str, int] = field(default_factory=dict)
    """By notebook: how many leading code cells are the release's locked set-up cells, unchanged."""


def locked_code(source_notebook: Any) -> dict[str, str]:
    """The locked code cells of a notebook of the gradebook (an ``nbgrader.api.Notebook``): grade id -> source."""
    return {c.name: c.source for c in source_notebook.source_cells if c.locked and c.cell_type == "code"}


def set_up_prefix(nb: dict[str, Any], locked: dict[str, str]) -> int:
    """How many of ``nb``'s leading code cells are locked set-up cells of the source (``locked``: grade id ->
    source, from the gradebook), unchanged: the first that is not, or that is a solution or graded cell, ends it."""
    count = 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if meta.get("solution") or meta.get("grade") or locked.get(meta.get("grade_id", "")) != source:
            break
        count += 1
    return count


def resources(course: Course, assignment: str, student: str, name: str, batch: Batch | None = None) -> dict[str, Any]:
    """nbgrader's per-notebook resources, as its converters make them, and the open ``batch`` (if any) for the
    steps that open the gradebook (:data:`autograder.engine.batch.RESOURCE`)."""
    return {
        "unique_key": name,
        "output_files_dir": f"{name}_files",
        "nbgrader": {"student": student, "assignment": assignment, "notebook": name, "db_url": course.gradebook_url()},
        RESOURCE: batch,
    }


def run_preprocessors(preprocessors: list[Any], nb: Any, resources: dict[str, Any], config: Config) -> Any:
    """Run nbgrader preprocessors (classes, or their import names) in order, as nbconvert would."""
    from traitlets.utils.importstring import import_item

    for item in preprocessors:
        cls = import_item(item) if isinstance(item, str) else item
        pp = cls(config=config)
        if getattr(pp, "enabled", True):
            nb, resources = pp.preprocess(nb, resources)
    return nb


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def read_timestamp(folder: Path) -> datetime.datetime | None:
    """The submission time in ``folder/timestamp.txt`` (naive UTC, as nbgrader keeps it); None without one.

    nbgrader's ``CourseDirectory.get_existing_timestamp`` reads it the same way but stops on a
    bad one; here a bad one is :class:`Refused`.
    """
    path = folder / TIMESTAMP_FILE
    try:
        text = intake.read_plain(path, 4096).decode("utf-8", "replace").strip()  # no link followed, no FIFO opened
    except FileNotFoundError:
        return None
    except intake.NotPlain as exc:
        raise Refused(f"{TIMESTAMP_FILE} cannot be read: it is {exc}") from None
    except OSError as exc:
        raise Refused(f"{TIMESTAMP_FILE} cannot be read: {exc.strerror}") from None
    if not text:
        return None
    try:
        return parse_utc(text)  # type: ignore[no-any-return]
    except (ValueError, OverflowError):
        raise Refused(f"{TIMESTAMP_FILE} holds {text[:60]!r}, which is not a date and time") from None


def other_files(course: Course, folder: Path) -> dict[str, Path]:
    """The non-notebook files under ``folder`` (``c.CourseDirectory.ignore`` left out), by relative path."""
    names = find_all_files(str(folder), [*course.coursedir.ignore, "*.ipynb"])
    return {str(Path(name).relative_to(folder)): Path(name) for name in names}


def source_files(course: Course, assignment: str) -> dict[str, bytes]:
    """The source assignment's files that go beside the notebooks, as nbgrader's ``Autograde`` copies
    them: all but the notebooks, ``c.CourseDirectory.ignore`` and ``c.Autograde.exclude_overwriting``."""
    excluded = set(Autograde(config=course.config).exclude_overwriting.get(assignment, []))
    found = other_files(course, course.source_path(assignment))
    return {relative: path.read_bytes() for relative, path in found.items() if relative not in excluded}


def take(course: Course, folder: Path, names: list[str]) -> intake.Intake:
    """The submission folder's plain files (see :mod:`autograder.engine.intake`), within ``c.Grader``'s limits;
    ``names``: the assignment's notebooks."""
    grader = Grader(config=course.config)
    return intake.take(
        folder,
        notebooks=[f"{name}.ipynb" for name in names],
        max_notebook_bytes=grader.max_notebook_bytes,
        max_file_bytes=grader.max_file_bytes,
        max_total_bytes=grader.max_submission_bytes,
        max_files=grader.max_submission_files,
        ignore=course.coursedir.ignore,
    )


def submission_files(taken: intake.Intake) -> dict[str, bytes]:
    """The submission's own non-notebook files, as taken (plain files within ``c.Grader.max_file_bytes``)."""
    return {relative: data for relative, data in taken.files.items() if not relative.endswith(".ipynb")}


def register(
    course: Course, job: Job, timestamp: datetime.datetime | None, batch: Batch | None = None
) -> dict[str, dict[str, str]]:
    """Register the job's student and submission in the gradebook (on ``batch``, if open), note the grade ids
    each notebook must have; each notebook's locked code cells (:func:`locked_code`), by name, in the
    assignment's order."""
    with gradebook.open_gradebook(course, batch) as gb:
        gb.update_or_create_student(job.student)
        if timestamp:
            gb.update_or_create_submission(job.assignment, job.student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(job.assignment, job.student)
        source_notebooks = gb.find_assignment(job.assignment).notebooks
        job.graded_cells = {nb.name: {cell.name for cell in nb.grade_cells} for nb in source_notebooks}
        return {nb.name: locked_code(nb) for nb in source_notebooks}


def note_left_out(job: Job, taken: intake.Intake, names: list[str]) -> None:
    """Tell, in the job's notes, of the files too large to take and of notebooks not of the assignment."""
    job.refused = taken.messages(besides=[f"{name}.ipynb" for name in names])
    large = sorted(p for p in taken.oversized if p not in {f"{name}.ipynb" for name in names})
    if large:
        job.notes.append(
            "files over c.Grader.max_file_bytes (or c.Grader.max_submission_bytes in all) were left out: "
            + ", ".join(large)
        )
    strays = sorted(p for p in [*taken.files, *taken.oversized] if "/" not in p and p.endswith(".ipynb"))
    strays = [p for p in strays if p.removesuffix(".ipynb") not in names]
    if strays:
        job.notes.append(f"notebooks that are not part of {job.assignment} were ignored: {', '.join(strays)}")


def read_submitted(name: str, taken: intake.Intake, grader: Grader) -> tuple[Any, str]:
    """The submitted notebook ``name`` as read, and ``""``; or None and why it cannot be (refused, too large,
    missing, over a limit of its shape, unreadable)."""
    file = f"{name}.ipynb"
    if file in taken.refused:
        return None, f"{file} was refused: it is {taken.refused[file]}"
    if file in taken.oversized:
        return None, (
            f"{file} is {taken.oversized[file]} bytes, over the limit of {grader.max_notebook_bytes} "
            "(c.Grader.max_notebook_bytes): it was not read"
        )
    if file not in taken.files:
        return None, f"{file} is missing from the submission"
    try:
        nb = intake.read_notebook(
            file, taken.files[file], max_json_depth=grader.max_json_depth, max_cells=grader.max_cells
        )
    except intake.OverLimit as exc:
        return None, str(exc)
    except Exception as exc:
        return None, f"{name}.ipynb could not be read: {one_line(exc)}"
    return nb, ""


def sanitize(
    course: Course, job: Job, name: str, nb: Any, locked: dict[str, str], grader: Grader, batch: Batch | None = None
) -> None:
    """Put ``nb`` through the sanitizing preprocessors into the job, with the length of its set-up prefix."""
    info = resources(course, job.assignment, job.student, name, batch)
    nb = run_preprocessors(grader.sanitize_preprocessors, nb, info, course.config)
    job.notebooks[name] = dict(nb)
    job.prefix[name] = set_up_prefix(job.notebooks[name], locked) if grader.share_prefix else 0


def prepare(
    course: Course,
    assignment: str,
    student: str,
    *,
    execute_ungraded: bool = False,
    plan: verdicts.Plan | None = None,
    batch: Batch | None = None,
) -> Job:
    """Register the submission in the gradebook, sanitize its notebooks and attach the grader's probes
    (``batch``: the engine's open :class:`~autograder.engine.batch.Batch`, where the gradebook work goes)."""
    folder = course.submitted_path(assignment, student)
    timestamp = read_timestamp(folder)
    job = Job(student=student, assignment=assignment, timestamp=timestamp.isoformat() if timestamp else None)
    grader = Grader(config=course.config)
    locked = register(course, job, timestamp, batch)
    names = list(locked)
    taken = take(course, folder, names)
    note_left_out(job, taken, names)
    for name in names:
        nb, problem = read_submitted(name, taken, grader)
        if problem:
            job.problems[name] = problem
            continue
        try:
            sanitize(course, job, name, nb, locked[name], grader, batch)
            if not execute_ungraded and not notebooks.has_grade_cells(job.notebooks[name]):
                job.skip.add(name)
            elif plan is not None:
                job.probes[name] = plan.probes(name)
                job.references[name] = plan.references(name)
        except Exception as exc:
            job.problems[name] = f"{name}.ipynb has damaged nbgrader cells (duplicated or altered): {one_line(exc)}"
    job.files = submission_files(taken) | source_files(course, assignment)
    return job
