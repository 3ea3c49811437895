"""Find the course directory, load its nbgrader config and answer questions about it."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

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
        """Load the course at ``root`` (default: the current directory)."""
        root = Path(root or Path.cwd()).resolve()
        if not (root / CONFIG_FILE).is_file():
            raise AutograderError(f"no {CONFIG_FILE} in {root}: run this from the course root or pass --course DIR")
        try:
            config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
        except Exception as exc:  # a syntax error or a failing line in the user's config file
            raise AutograderError(f"{root / CONFIG_FILE} could not be loaded: {exc}") from exc
        config.CourseDirectory.root = str(root)
        ensure_tools_on_path()
        return cls(root=root, config=config)

    @property
    def source_dir(self) -> Path:
        return self.root / "source"

    @property
    def release_dir(self) -> Path:
        return self.root / "release"

    @property
    def submitted_dir(self) -> Path:
        return self.root / "submitted"

    def autograded_dir(self, assignment: str, student: str) -> Path:
        """Where one submission's graded notebooks and grading record go (nbgrader's layout)."""
        return self.root / "autograded" / student / assignment

    def assignments(self) -> list[str]:
        """The assignments that have a folder in ``source/``."""
        if not self.source_dir.is_dir():
            return []
        return sorted(p.name for p in self.source_dir.iterdir() if p.is_dir() and not p.name.startswith("."))

    def require_assignment(self, assignment: str) -> Path:
        """The assignment's source folder, or a one-line error naming the known ones."""
        path = self.source_dir / assignment
        if not assignment or "/" in assignment or not path.is_dir():
            known = ", ".join(self.assignments()) or "none"
            raise AutograderError(f"unknown assignment {assignment!r} (assignments in source/: {known})")
        return path

    def source_notebooks(self, assignment: str) -> list[Path]:
        return sorted(self.require_assignment(assignment).glob("*.ipynb"))

    def submitted_students(self, assignment: str) -> list[str]:
        """Students with a submission folder for ``assignment``, sorted."""
        if not self.submitted_dir.is_dir():
            return []
        return sorted(
            p.name for p in self.submitted_dir.iterdir() if (p / assignment).is_dir() and not p.name.startswith(".")
        )

    def nbgrader_api(self):  # type: ignore[no-untyped-def]
        """nbgrader's Python API for this course (imported lazily: it is slow to import)."""
        ensure_tools_on_path()
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        return NbGraderAPI(coursedir=coursedir, config=self.config)

    def gradebook_url(self) -> str:
        """The gradebook's database URL: nbgrader's ``db_url`` setting, or its default."""
        url = self.config.CourseDirectory.get("db_url")
        return str(url) if url else f"sqlite:///{self.root / 'gradebook.db'}"


def ensure_tools_on_path() -> None:
    """nbgrader runs ``alembic`` and kernels by name: find them next to this Python."""
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + path
