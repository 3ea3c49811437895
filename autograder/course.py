"""Find the course directory, load its nbgrader config and answer questions about it."""

from __future__ import annotations

import contextlib
import functools
import glob
import importlib
import logging
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.errors import AutograderError

CONFIG_FILE = "nbgrader_config.py"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Course:
    """An nbgrader course directory with its loaded configuration."""

    root: Path
    """The course root: the folder holding ``nbgrader_config.py`` and ``source/``."""
    config: Config
    """The traitlets config from ``nbgrader_config.py``, with the root filled in."""

    @classmethod
    def load(cls, root: Path | str | None = None) -> Course:
        """Load the course whose ``nbgrader_config.py`` is in ``root`` (default: the current directory).

        The course root is ``c.CourseDirectory.root`` when the config sets it (relative to the
        config's folder), else that folder.
        """
        folder = Path(root or Path.cwd()).resolve()
        if not (folder / CONFIG_FILE).is_file():
            raise AutograderError(f"no {CONFIG_FILE} in {folder}: run this from the course root or pass --course DIR")
        try:
            config = PyFileConfigLoader(CONFIG_FILE, path=str(folder)).load_config()
        except Exception as exc:  # a syntax error or a failing line in the user's config file
            raise AutograderError(f"{folder / CONFIG_FILE} could not be loaded: {exc}") from exc
        configured = config.CourseDirectory.get("root")
        course_root = (folder / str(configured)).resolve() if configured else folder
        config.CourseDirectory.root = str(course_root)
        ensure_tools_on_path()
        return cls(root=course_root, config=config)

    @functools.cached_property
    def coursedir(self) -> CourseDirectory:
        """nbgrader's ``CourseDirectory`` for this course: the one source of every path below."""
        return CourseDirectory(config=self.config)

    def path(self, step: str, student: str, assignment: str) -> Path:
        """nbgrader's ``CourseDirectory.format_path`` (its ``directory_structure``) as a Path."""
        return Path(os.path.normpath(self.coursedir.format_path(step, student, assignment)))

    @property
    def source_dir(self) -> Path:
        """The folder of the source assignments (``c.CourseDirectory.source_directory``)."""
        return Path(self.coursedir.root, self.coursedir.source_directory)

    @property
    def release_dir(self) -> Path:
        """The folder of the released assignments (``c.CourseDirectory.release_directory``)."""
        return Path(self.coursedir.root, self.coursedir.release_directory)

    @property
    def submitted_dir(self) -> Path:
        """The folder of the submissions (``c.CourseDirectory.submitted_directory``)."""
        return Path(self.coursedir.root, self.coursedir.submitted_directory)

    def source_path(self, assignment: str) -> Path:
        """The instructor's version of ``assignment``."""
        return self.path(self.coursedir.source_directory, ".", assignment)

    def release_path(self, assignment: str) -> Path:
        """The students' version of ``assignment``."""
        return self.path(self.coursedir.release_directory, ".", assignment)

    def submitted_path(self, assignment: str, student: str) -> Path:
        """One student's submission of ``assignment``."""
        return self.path(self.coursedir.submitted_directory, student, assignment)

    def autograded_dir(self, assignment: str, student: str) -> Path:
        """Where one submission's graded notebooks and grading record go (nbgrader's layout)."""
        return self.path(self.coursedir.autograded_directory, student, assignment)

    def feedback_dir(self, assignment: str, student: str) -> Path:
        """Where one submission's feedback pages go."""
        return self.path(self.coursedir.feedback_directory, student, assignment)

    def reports_dir(self, assignment: str) -> Path:
        """Where the grade exports and the cohort page of ``assignment`` go (``reports/ASSIGNMENT``)."""
        return self.root / "reports" / assignment

    def assignments(self) -> list[str]:
        """The assignments that have a folder of source notebooks."""
        pattern = self.coursedir.format_path(self.coursedir.source_directory, ".", "*")
        return sorted(
            name
            for p in glob.glob(pattern)
            if Path(p).is_dir() and not (name := self._assignment_of(p)).startswith(".") and name
        )

    def _assignment_of(self, path: str) -> str:
        regex = self.coursedir.format_path(
            self.coursedir.source_directory, ".", "(?P<assignment_id>[^/]+)", escape=True
        )
        found = re.fullmatch(regex, path)
        return found.group("assignment_id") if found else ""

    def require_assignment(self, assignment: str) -> Path:
        """The assignment's source folder, or a one-line error naming the known ones."""
        if (
            not assignment
            or "/" in assignment
            or assignment.startswith(".")
            or not self.source_path(assignment).is_dir()
        ):
            known = ", ".join(self.assignments()) or "none"
            raise AutograderError(f"unknown assignment {assignment!r} (assignments in source/: {known})")
        return self.source_path(assignment)

    def source_notebooks(self, assignment: str) -> list[Path]:
        return sorted(self.require_assignment(assignment).glob("*.ipynb"))

    def submitted_students(self, assignment: str) -> list[str]:
        """Students with a submission folder for ``assignment``, sorted."""
        return self.students_in(self.coursedir.submitted_directory, assignment)

    def graded_students(self, assignment: str) -> list[str]:
        """Students with an autograded folder for ``assignment``, sorted."""
        return self.students_in(self.coursedir.autograded_directory, assignment)

    def students_in(self, step: str, assignment: str) -> list[str]:
        """Students with a folder for ``assignment`` in the nbgrader step ``step``, sorted."""
        pattern = self.coursedir.format_path(step, "*", glob.escape(assignment))
        regex = self.coursedir.format_path(step, "(?P<student_id>[^/]+)", re.escape(assignment), escape=True)
        found = set()
        for path in glob.glob(pattern):
            match = re.fullmatch(regex, path)
            if match and Path(path).is_dir() and not match.group("student_id").startswith("."):
                found.add(match.group("student_id"))
        return sorted(found)

    def nbgrader_api(self):  # type: ignore[no-untyped-def]
        """nbgrader's Python API for this course (imported lazily: it is slow to import)."""
        ensure_tools_on_path()
        from nbgrader.apps import NbGraderAPI

        return NbGraderAPI(coursedir=CourseDirectory(config=self.config), config=self.config)

    def gradebook_url(self) -> str:
        """The gradebook's database URL: nbgrader's ``db_url`` setting, or its default (in the root)."""
        return str(self.coursedir.db_url)


def ensure_tools_on_path() -> None:
    """nbgrader runs ``alembic`` and kernels by name: find them next to this Python."""
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + path


@contextlib.contextmanager
def course_on_path(course_root: Path, module_name: str = "") -> Iterator[None]:
    """Import with the course root first on the path: how the course's own modules (its checks, its warm-up)
    are found, before the installed ones of the same name.

    With ``module_name``, its top-level package is first forgotten if what an earlier import left in
    ``sys.modules`` came from elsewhere (another course, a checkout) or was edited since: a long-lived
    process (the engine, the feedback service, a test run) grades with this course's checks as they are now.
    """
    root = str(course_root)
    package = module_name.partition(".")[0]
    if package and _stale(package, course_root):
        for name in _modules(package):
            _LOADED.pop(getattr(sys.modules.pop(name), "__file__", None) or "", None)
        importlib.invalidate_caches()
    added = root not in sys.path
    if added:
        sys.path.insert(0, root)
    try:
        yield
    finally:
        if added:
            sys.path.remove(root)
        for name in _modules(package) if package else ():
            file = getattr(sys.modules[name], "__file__", None)
            if file and file not in _LOADED:
                _LOADED[file] = _mtime(file)


_LOADED: dict[str, int] = {}
"""The modification time of each course module's file when :func:`course_on_path` saw it imported."""


def _modules(package: str) -> list[str]:
    return [n for n in list(sys.modules) if n == package or n.startswith(package + ".")]


def _mtime(file: str) -> int:
    try:
        return os.stat(file).st_mtime_ns
    except OSError:
        return -1


def _stale(package: str, course_root: Path) -> bool:
    """Whether a module of ``package`` in ``sys.modules`` is not this course's file as it is now."""
    inside = str(course_root.resolve()) + os.sep
    for name in _modules(package):
        file = getattr(sys.modules[name], "__file__", None)
        if not file or not str(Path(file).resolve()).startswith(inside) or _LOADED.get(file) != _mtime(file):
            return True
    return False
