"""Read scores back from nbgrader's gradebook (SQLite by default, any ``db_url``)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbformat import NotebookNode
from nbgrader.api import Gradebook, MissingEntry, SubmittedAssignment
from sqlalchemy.engine import make_url

from autograder import notebooks
from autograder.checks.messages import GRADER_CHECK
from autograder.course import Course
from autograder.engine.batch import Batch
from autograder.engine.results import BY_GRADER, BY_HAND, BY_NOTEBOOK, CheckResult, SubmissionResult
from autograder.engine.status import graded
from autograder.errors import AutograderError


def safe_url(url: str) -> str:
    """The database URL with any password masked, for messages."""
    try:
        return str(make_url(url).render_as_string(hide_password=True))
    except Exception:
        return "the configured db_url"


def open_gradebook(course: Course, batch: Batch | None = None) -> Gradebook:
    """nbgrader's ``Gradebook`` of the course: on ``batch``'s connection when one is open (during
    ``autograder grade``), else a connection of its own."""
    if batch is not None:
        return batch.gradebook()
    try:
        return Gradebook(course.gradebook_url())
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        first = first.replace(course.gradebook_url(), safe_url(course.gradebook_url()))
        raise AutograderError(f"cannot open the gradebook at {safe_url(course.gradebook_url())}: {first}") from None


def attempt(batch: Batch | None) -> contextlib.AbstractContextManager[None]:
    """Gradebook work that is undone whole if it raises, when a batch is open (:meth:`Batch.attempt`)."""
    return batch.attempt() if batch is not None else contextlib.nullcontext()


def require_released(course: Course, assignment: str) -> None:
    """The assignment must be in the gradebook (``autograder release`` puts it there)."""
    url = course.gradebook_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise AutograderError(f"there is no gradebook yet: run 'autograder release {assignment}' first")
    with open_gradebook(course) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise AutograderError(
                f"{assignment} is not in the gradebook yet: run 'autograder release {assignment}' first"
            ) from None


def _autograded_notebooks(course: Course, assignment: str, student: str) -> dict[str, NotebookNode]:
    found = {}
    for path in sorted(course.autograded_dir(assignment, student).glob("*.ipynb")):
        with contextlib.suppress(AutograderError):
            found[path.stem] = notebooks.read(path)
    return found


def failure_messages(
    course: Course, assignment: str, student: str, scored: Mapping[str, NotebookNode] | None = None
) -> dict[tuple[str, str], str]:
    """``{(notebook, grade_id): message}`` for the test cells that failed in the autograded notebooks
    (``scored``: those notebooks by name, when the caller has them; else read from ``autograded/``)."""
    messages: dict[tuple[str, str], str] = {}
    if scored is None:
        scored = _autograded_notebooks(course, assignment, student)
    for name, nb in sorted(scored.items()):
        for gid, cell in notebooks.grade_cells(nb).items():
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    text = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
                elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                    text = "wrote to stderr: " + str(output.get("text", "")).strip()
                else:
                    continue
                messages.setdefault((name, gid), " ".join(text.split())[:500])
    return messages


def final_score(submission: SubmittedAssignment) -> float:
    """The score less the late penalty, as ``nbgrader export`` computes it."""
    return max(0.0, float(submission.score) - float(submission.late_submission_penalty or 0.0))


def read_submission(
    course: Course,
    assignment: str,
    student: str,
    scored: Mapping[str, NotebookNode] | None = None,
    verdicts: Mapping[tuple[str, str], Any] | None = None,
    batch: Batch | None = None,
) -> SubmissionResult | None:
    """The gradebook's scores for one submission (read on ``batch``, if open), or None if it has not been graded
    (``scored``: see :func:`failure_messages`). A cell the grader checked (``verdicts``, by notebook and grade
    id) takes its message, misconception and suspect flag from its verdict; only other cells' messages are read
    from outputs."""
    verdicts = verdicts or {}
    with open_gradebook(course, batch) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        checks = []
        messages = failure_messages(course, assignment, student, scored)
        for nb in submission.notebooks:
            for grade in nb.grades:
                score = grade.score if (grade.auto_score is not None or grade.manual_score is not None) else None
                failed = (
                    score is not None and score < grade.max_score
                )  # an error the grader's check overruled is no failure
                verdict = verdicts.get((nb.name, grade.name))
                message = messages.get((nb.name, grade.name), "") if failed else ""
                if verdict is not None and not verdict.passed:
                    message = f"{GRADER_CHECK}: {verdict.reason}"
                checks.append(
                    CheckResult(
                        notebook=nb.name,
                        grade_id=grade.name,
                        score=score,
                        max_score=float(grade.max_score),
                        auto=grade.cell_type == "code",
                        message=" ".join(message.split())[:500] if failed else "",
                        misconception=verdict.misconception if verdict is not None else "",
                        suspect=bool(verdict is not None and verdict.suspect),
                        judged_by=BY_HAND
                        if grade.cell_type != "code"
                        else (BY_GRADER if verdict is not None else BY_NOTEBOOK),
                    )
                )
        return SubmissionResult(
            student=student,
            assignment=assignment,
            status=graded(bool(submission.needs_manual_grade)),
            auto_score=float(submission.code_score),
            max_auto_score=float(submission.max_code_score),
            score=final_score(submission),
            max_score=float(submission.max_score),
            late_penalty=float(submission.late_submission_penalty or 0.0),
            needs_manual=bool(submission.needs_manual_grade),
            checks=checks,
        )
