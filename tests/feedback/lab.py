"""A lab on a temporary exchange for the feedback service's tests: the course released into it, students
submitting and fetching feedback with nbgrader's own exchange classes (``ExchangeSubmit``,
``ExchangeFetchFeedback``), each student with a home and an exchange cache of their own."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default.fetch_feedback import ExchangeFetchFeedback
from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment
from nbgrader.exchange.default.submit import ExchangeSubmit
from traitlets.config import Config

from autograder.course import Course
from autograder.samples import Variant, build
from demo.cohort import SAMPLE_COHORT

COURSE_ID = "nn-foundations"
ASSIGNMENT = "week3"
REFERENCE = SAMPLE_COHORT[0]
FORGETS_ZERO_GRAD = next(v for v in SAMPLE_COHORT if v.student == "cai_forgets_zero_grad")
ZERO_GRAD_MESSAGE = "backward() adds, so reset it every step"
"""What the grader's check says of the loop that never zeroes its gradients."""


@dataclass
class Lab:
    course: Course
    exchange: Path
    homes: Path

    def config(self, student: str, **extra: str) -> Config:
        config = Config()
        config.Exchange.root = str(self.exchange)
        config.Exchange.assignment_dir = str(self.home(student))
        config.Exchange.cache = str(self.home(student) / ".nbgrader_cache")
        config.CourseDirectory.course_id = COURSE_ID
        config.CourseDirectory.assignment_id = ASSIGNMENT
        config.CourseDirectory.student_id = student
        for key, value in extra.items():
            setattr(config.CourseDirectory, key, value)
        return config

    def home(self, student: str) -> Path:
        home = self.homes / student
        home.mkdir(parents=True, exist_ok=True)
        return home

    def submit(self, student: str, variant: Variant = REFERENCE, change: Callable[[Path], None] | None = None) -> None:
        """``student`` writes ``variant``'s answers into their copy (``change`` then alters the folder) and runs
        nbgrader's submit."""
        folder = self.home(student) / ASSIGNMENT
        build(variant, source_dir=self.course.source_path(ASSIGNMENT), release_dir=self.course.release_path(ASSIGNMENT),
              dest=folder)  # fmt: skip
        if change is not None:
            change(folder)
        run(ExchangeSubmit, self.config(student))

    def fetch_feedback(self, student: str) -> dict[str, dict[str, str]]:
        """nbgrader's fetch_feedback for ``student``: each attempt's timestamp -> notebook -> page."""
        run(ExchangeFetchFeedback, self.config(student))
        root = self.home(student) / ASSIGNMENT / "feedback"
        if not root.is_dir():
            return {}
        return {d.name: {p.stem: p.read_text() for p in d.glob("*.html")} for d in sorted(root.iterdir())}


def run(kind: type, config: Config) -> None:
    coursedir = CourseDirectory(config=config)
    kind(coursedir=coursedir, authenticator=Authenticator(config=config), config=config).start()


def make_lab(template: Path, dest: Path, extra_config: str = "") -> Lab:
    """A copy of the released course ``template`` in ``dest`` with an exchange of its own, released into it."""
    shutil.copytree(template, dest / "course")
    exchange = dest / "exchange"
    exchange.mkdir()
    with (dest / "course" / "nbgrader_config.py").open("a") as config:
        config.write(f'c.Exchange.root = "{exchange}"\n{extra_config}')
    course = Course.load(dest / "course")
    config = Config(course.config)
    config.CourseDirectory.assignment_id = ASSIGNMENT
    run(ExchangeReleaseAssignment, config)
    return Lab(course, exchange, dest / "homes")


def garbage(name: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        (folder / f"{name}.ipynb").write_bytes(b"\x00\xffthis is not a notebook")

    return change


def many_cells(name: str, cells: int) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        nb.cells.extend(nbformat.v4.new_code_cell("1") for _ in range(cells))
        nbformat.write(nb, folder / f"{name}.ipynb")

    return change


def huge(name: str, size: int) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        with (folder / f"{name}.ipynb").open("r+b") as notebook:
            notebook.truncate(size)

    return change


def link_outside(name: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        (folder / f"{name}.ipynb").unlink()
        (folder / f"{name}.ipynb").symlink_to("/etc/passwd")

    return change
