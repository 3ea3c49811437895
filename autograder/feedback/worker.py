"""Grading attempts on a warm engine, in the service's private copy of the course, and releasing the feedback.

The copy (``STATE/course``) has the course's config, ``source/``, ``solutions/`` and a release generated from
them, but a gradebook and ``submitted/`` of its own (kept from one start to the next while what it is made
from is unchanged: :func:`fingerprint`): grading on submit never writes the course's gradebook, and
``autograder grade`` after collect never sees these runs. Its check inputs come from a secret of its own
(``STATE/onsubmit.secret``), not the assignment's (:mod:`autograder.engine.seeds`), so no number of attempts maps
the final grading's inputs. Feedback pages are released with nbgrader's ``ExchangeReleaseFeedback``, one per
notebook of the attempt, keyed as nbgrader keys them (the submission's secret and the notebook's id): the
student's ``nbgrader fetch_feedback`` and the Assignments tab find them under the attempt's timestamp.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from traitlets.config import Config

from autograder.course import CONFIG_FILE, Course
from autograder.engine.engine import Engine
from autograder.engine.results import SubmissionResult
from autograder.feedback import pages
from autograder.feedback.attempts import Attempt
from autograder.feedback.config import FeedbackService
from autograder.feedback.inbound import SECRET, TIMESTAMP, copy_submission, read_small

log = logging.getLogger(__name__)

COPIED = ("source", "solutions")


FINGERPRINT = ".fingerprint"
"""The copy's file that names what it was made from (:func:`fingerprint`), written once the copy is complete."""
SERVICE_ONLY = ("c.Exchange.", "c.FeedbackService.")
"""Settings that never change the release or the grading (where the exchange is, the service's own limits)."""


def release_config(text: str) -> str:
    """The course's config without the settings of :data:`SERVICE_ONLY` (the text itself if it does not parse)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    tree.body = [
        node for node in tree.body
        if not (isinstance(node, ast.Assign) and ast.unparse(node.targets[0]).startswith(SERVICE_ONLY))
    ]  # fmt: skip
    return ast.unparse(tree)


def fingerprint(course: Course, assignments: Sequence[str]) -> str:
    """What the private copy is made from: the course's config (but for :data:`SERVICE_ONLY`), every file of
    ``source/`` and ``solutions/``, the assignments, and the code that generates a release (this package and
    nbgrader). Equal fingerprints: the copy made last time is the copy that would be made now."""
    import nbgrader

    import autograder

    digest = hashlib.sha256(b"private copy 1\0")
    digest.update("\0".join(assignments).encode() + b"\0" + nbgrader.__version__.encode() + b"\0")
    digest.update(release_config((course.root / CONFIG_FILE).read_text(encoding="utf-8")).encode())
    trees = [(name, course.root / name) for name in COPIED] + [("code", Path(autograder.__file__).parent)]
    for label, top in trees:
        for path in sorted(top.rglob("*")) if top.is_dir() else []:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(f"\0{label}/{path.relative_to(top)}\0{path.stat().st_size}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def write_config(course: Course, folder: Path) -> None:
    """The copy's ``nbgrader_config.py``: the course's, with the copy's own root and gradebook."""
    config = (course.root / CONFIG_FILE).read_text(encoding="utf-8")
    config += (
        "\n# The feedback service's private copy (autograder/feedback/worker.py): its own root and gradebook\n"
        f"c.CourseDirectory.root = {str(folder)!r}\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(folder / 'gradebook.db')!r}\n"
        "c.Grader.batch_submissions = 1  # each attempt's result (and feedback) as soon as it is graded\n"
    )
    (folder / CONFIG_FILE).write_text(config, encoding="utf-8")


def private_copy(course: Course, folder: Path, assignments: Sequence[str]) -> Course:
    """The course copied into ``folder`` (config, source, solutions; a release generated in it, and so a
    gradebook of its own). It follows the course's current checks: the copy of the last start is kept only
    if its :func:`fingerprint` is the course's now (a restart then skips generating the release again);
    otherwise it is made afresh. Its config is written at every start."""
    from autograder.engine.release import generate_release

    wanted = fingerprint(course, assignments)
    stamp = folder / FINGERPRINT
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == wanted:
        write_config(course, folder)
        log.info("feedback: the private copy in %s is up to date: kept", folder)
        return Course.load(folder)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name in COPIED:
        if (course.root / name).is_dir():
            shutil.copytree(course.root / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    write_config(course, folder)
    copy = Course.load(folder)
    for assignment in assignments:
        generate_release(copy, assignment)
    stamp.write_text(wanted + "\n", encoding="utf-8")  # last: a copy cut short is never taken for complete
    return copy


def onsubmit_seed(state: Path, assignment: str) -> int:
    """The seed of on-submit check inputs: from ``STATE/onsubmit.secret`` (made once, owner-only)."""
    path = state / "onsubmit.secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    secret = bytes.fromhex(path.read_text().strip())
    digest = hashlib.sha256(secret + b"\0onsubmit\0" + assignment.encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


class Worker:
    """Grades batches of attempts (at most one per student) on one warm engine."""

    def __init__(
        self, copy: Course, state: Path, exchange: Path, service: FeedbackService, *, scheduler: str | None = None,
        sandbox: bool | None = None,
    ) -> None:  # fmt: skip
        self.copy, self.state, self.exchange, self.service = copy, state, exchange, service
        self.engine = Engine(copy, workers=service.workers or None, scheduler=scheduler, sandbox=sandbox)

    @property
    def largest(self) -> int:
        """The largest file the grader reads (``c.Grader.max_notebook_bytes``, ``c.Grader.max_file_bytes``)."""
        return max(self.engine.grader.max_notebook_bytes, self.engine.grader.max_file_bytes)

    def start(self) -> None:
        self.engine.start(warm=True)

    def close(self) -> None:
        self.engine.close()

    def inbound_folder(self, attempt: Attempt) -> Path:
        return self.exchange / str(self.copy.coursedir.course_id) / "inbound" / attempt.folder

    def grade(
        self, attempts: Sequence[Attempt], *, more: Callable[[], Sequence[Attempt]] | None = None,
        on_result: Callable[[SubmissionResult], None] | None = None,
    ) -> None:  # fmt: skip
        """Grade ``attempts`` (one assignment, distinct students) and those ``more`` gives while they are graded
        (of the same assignment, of students not being graded), handing each student's result to ``on_result``
        as soon as it is committed."""
        assignment = attempts[0].assignment
        notes: dict[str, list[str]] = {}

        def take(batch: Sequence[Attempt]) -> list[str]:
            for attempt in batch:
                dest = self.copy.submitted_path(assignment, attempt.student)
                notes[attempt.student] = copy_submission(self.inbound_folder(attempt), dest, self.largest)
                shutil.rmtree(self.copy.autograded_dir(assignment, attempt.student), ignore_errors=True)
            return [a.student for a in batch]

        def done(result: SubmissionResult) -> None:
            lines = notes.pop(result.student, [])
            if lines:
                result.message = "; ".join([*lines, result.message] if result.message else lines)
            if on_result is not None:
                on_result(result)

        self.engine.grade(
            assignment, students=take(attempts), force=True, seed=onsubmit_seed(self.state, assignment),
            on_result=done, more=(lambda: take(more())) if more is not None else None,
            more_seconds=self.service.poll_seconds,
        )  # fmt: skip

    def write_pages(self, attempt: Attempt) -> Path:
        """Write the attempt's feedback pages (one per notebook it holds) into ``STATE/pages/KEY``."""
        folder = self.state / "pages" / attempt.key
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        full = self._full_pages(attempt) if self.service.detail == "full" else {}
        for notebook in self.notebook_ids(attempt):
            page = full.get(notebook) or pages.feedback_page(attempt, notebook, self.service.detail)
            (folder / f"{notebook}.html").write_text(page, encoding="utf-8")
        return folder

    def notebook_ids(self, attempt: Attempt) -> list[str]:
        """The notebooks at the top of the attempt's folder: ``fetch_feedback`` looks for one page each."""
        try:
            names = [e.name for e in os.scandir(self.inbound_folder(attempt)) if e.name.endswith(".ipynb")]
        except OSError:
            return []
        return sorted(name[: -len(".ipynb")] for name in names)

    def _full_pages(self, attempt: Attempt) -> dict[str, str]:
        """nbgrader's own feedback pages (hidden tests hidden), when the attempt got as far as being graded."""
        from autograder.reports.feedback import generate_feedback

        if not attempt.checks:
            return {}
        outcome = generate_feedback(self.copy, attempt.assignment, [attempt.student])[0]
        return {page.stem: page.read_text(encoding="utf-8") for page in outcome.pages}

    def release(self, attempt: Attempt, folder: Path) -> list[str]:
        """Release the pages in ``folder`` with nbgrader's ``ExchangeReleaseFeedback``; the notebook ids."""
        from nbgrader.auth import Authenticator
        from nbgrader.coursedir import CourseDirectory
        from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback

        config = Config(self.copy.config)
        config.Exchange.root = str(self.exchange)
        config.CourseDirectory.student_id = attempt.student
        config.CourseDirectory.assignment_id = attempt.assignment
        coursedir = CourseDirectory(config=config)
        out = self.copy.feedback_dir(attempt.assignment, attempt.student)
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(folder, out)
        source = self.inbound_folder(attempt)
        (out / TIMESTAMP).write_text(read_small(source / TIMESTAMP), encoding="utf-8")
        (out / SECRET).write_text(read_small(source / SECRET), encoding="utf-8")
        releaser = ExchangeReleaseFeedback(coursedir=coursedir, authenticator=Authenticator(config=config),
                                           config=config)  # fmt: skip
        releaser.start()
        return sorted(p.stem for p in folder.glob("*.html"))
