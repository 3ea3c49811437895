"""Shared test helpers: a throw-away course, the CLI, and executing notebooks with given answers."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from autograder import notebooks, settings
from autograder.course import Course
from autograder.engine.sandbox import Sandbox, ZygoteSpec, sandbox_available
from autograder.samples import Variant, build_cohort

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source" / "week3"
RELEASE = ROOT / "release" / "week3"
GRADED_NOTEBOOKS = ("task1_fitting", "task2_relu")


def make_course(dest: Path, *, with_release: bool = True) -> Path:
    """A copy of the course (config, source, solutions, optionally release) in ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(ROOT / "source", dest / "source")
    copy_solutions(dest)
    if with_release:
        shutil.copytree(ROOT / "release", dest / "release")
    return dest


def copy_solutions(course_root: Path) -> None:
    """The course's ``solutions/`` (reference, checks, warm-up) into ``course_root``, where its config finds them:
    the installed package carries the engine only."""
    shutil.copytree(ROOT / "solutions", course_root / "solutions", ignore=shutil.ignore_patterns("__pycache__"))


def source_folder(dest: Path) -> Path:
    """``source/week3`` of a fresh copy of the course in ``dest``: where an instructor runs a source notebook
    (its hidden tests find the course above it)."""
    return make_course(dest, with_release=False) / "source" / "week3"


def released_course(
    dest: Path, variants: Sequence[Variant] = (), *, extra_config: str = "", db_url: str | None = None
) -> Course:
    """A copy of the course, ``extra_config`` (and ``db_url``) appended to its config, released, with
    ``variants`` submitted. The one way the tests make a course to grade."""
    from autograder.engine.release import generate_release

    root = make_course(dest, with_release=False)
    if db_url is not None:
        extra_config += f'c.CourseDirectory.db_url = "{db_url}"\n'
    if extra_config:
        with (root / "nbgrader_config.py").open("a") as config:
            config.write(extra_config)
    course = Course.load(root)
    generate_release(course, "week3")
    if variants:
        build_cohort(list(variants), course_root=root, assignment="week3")
    return course


def require_sandbox(sandbox: Sandbox | None = None) -> None:
    """Fail, not skip, where bubblewrap cannot build the sandbox: `make test` installs it (`make system-deps`), and a
    test of the sandbox that quietly does not run proves nothing."""
    if (reason := sandbox_available(sandbox)) is not None:
        pytest.fail(f"the sandbox cannot be built here, so its tests cannot run: {reason} (see `make system-deps`)")


def zygote_spec(sandbox: Sandbox | None = None) -> ZygoteSpec:
    """The zygotes the course's own settings describe (its preloads and warm-up), in ``sandbox``."""
    grader, _ = settings.load(Course.load(ROOT).config)
    return ZygoteSpec.from_settings(grader, ROOT, sandbox)


def run_cli(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``autograder`` as a user would, in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 120) -> nbformat.NotebookNode:
    """Run a notebook in a fresh kernel in ``cwd``.

    The kernel talks over Unix sockets in ``cwd``: kernels started at the same
    moment by parallel test workers can race for the same TCP ports.
    """
    km = KernelManager(kernel_name="python3", transport="ipc")
    km.ip = str(cwd / "kernel-ipc")
    try:
        client = NotebookClient(
            nb, km=km, timeout=timeout, allow_errors=True, resources={"metadata": {"path": str(cwd)}}
        )
        client.execute()
    finally:
        if km.has_kernel:  # nbclient leaves running a kernel it did not start itself
            km.shutdown_kernel(now=True)
    return nb


def cell_passed(cell: nbformat.NotebookNode) -> bool:
    """nbgrader's rule for a test cell: full marks unless it shows an error or writes to stderr."""
    return not any(
        o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr") for o in cell.get("outputs", [])
    )


def grade_in_kernel(stem: str, answers: Mapping[str, str], cwd: Path) -> dict[str, bool]:
    """Execute the instructor notebook ``stem`` with some solution cells replaced.

    Returns pass/fail for each auto-graded test cell: what nbgrader would give
    a submission with those answers, without the gradebook round trip.
    """
    nb = notebooks.read(SOURCE / f"{stem}.ipynb")
    cells = notebooks.grade_cells(nb)
    for gid, source in answers.items():
        assert cells[gid].metadata["nbgrader"]["solution"], f"{gid} is not a solution cell"
        cells[gid].source = source
    execute(nb, cwd)
    return {
        gid: cell_passed(c)
        for gid, c in notebooks.grade_cells(nb).items()
        if c.metadata["nbgrader"].get("grade") and c.cell_type == "code"
    }


def text_of(page: Path) -> str:
    """The visible text of an HTML page (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
