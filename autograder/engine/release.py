"""Generate the student release of an assignment with nbgrader, and check it leaks nothing."""

from __future__ import annotations

import logging
from pathlib import Path

from autograder import notebooks, settings
from autograder.checks import hidden, plan
from autograder.course import Course
from autograder.engine import gradebook
from autograder.errors import AutograderError

log = logging.getLogger(__name__)

LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME")


def last_line(text: str | None, default: str) -> str:
    """The last non-empty line of a captured traceback or log, for a one-line message."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else default


def leaks(path: Path) -> list[str]:
    """Solution or hidden-test markers left in a release notebook."""
    nb = notebooks.read(path)
    return [
        f"{path.name}: cell {i} contains {marker!r}"
        for i, cell in enumerate(nb.cells)
        for marker in LEAK_MARKERS
        if marker in cell.source
    ]


def write_hidden_tests(course: Course, assignment: str) -> list[str]:
    """Rewrite the hidden-test block of every checked cell in ``source/ASSIGNMENT`` from its declaration
    (``c.Grader.checks``; see :mod:`autograder.checks.hidden`); the notebooks that changed."""
    module = settings.Grader(config=course.config).checks.get(assignment)
    if not module:
        return []
    checks = plan.load_checks(module, course.root)
    return hidden.write_blocks(course.source_path(assignment), checks, assignment, module)


def generate_release(course: Course, assignment: str) -> list[Path]:
    """Write the hidden tests into the source, run nbgrader's ``generate_assignment`` into
    ``release/ASSIGNMENT`` and return its notebooks.

    The generated notebooks are cleaned (see :func:`notebooks.clean`) and checked
    for solution, hidden-test and mark-scheme markers; any left is an error.
    """
    sources = course.source_notebooks(assignment)
    if not sources:
        raise AutograderError(f"source/{assignment} has no notebooks")
    for source in sources:
        notebooks.read(source)  # a malformed source notebook is a one-line error, not a traceback
    for name in write_hidden_tests(course, assignment):
        log.info("hidden tests of %s/%s rewritten from its checks", assignment, name)
    with gradebook.open_gradebook(course):
        pass  # an unreachable database is a one-line error here, not nbgrader's advice to upgrade it
    result = course.nbgrader_api().generate_assignment(assignment, force=True, create=True)
    if not result.get("success"):
        log.debug("nbgrader log:\n%s", result.get("log", ""))
        raise AutograderError(
            f"nbgrader could not generate {assignment}: {last_line(result.get('error'), 'unknown error')}"
        )
    out_dir = course.release_path(assignment)
    released = sorted(out_dir.glob("*.ipynb"))
    for path in released:
        notebooks.write(notebooks.clean(notebooks.read(path)), path)
    found = [problem for path in released for problem in leaks(path)]
    if found:
        raise AutograderError(f"the release of {assignment} leaks solutions or hidden tests: {found[0]}")
    log.info("released %d notebooks to %s", len(released), out_dir)
    return released
