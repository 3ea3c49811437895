"""The shared set-up of a notebook: its first code cells when they are the source's locked set-up, unchanged.

Every submission of a notebook begins with the same locked set-up cells
(imports, helpers, data, demonstration plots): nbgrader's ``OverwriteCells``
puts them back from the gradebook. A zygote runs such a set-up once and forks
each notebook that begins with it from the state after it
(:mod:`autograder.jail.zygote`); :func:`shared_prefix` tells, from nbgrader's
checksums, whether a sanitized notebook begins with it. A notebook with a cell
inserted before or among them, or one of them moved, runs in full.
``c.Grader.shared_prefix = False`` runs every notebook in full.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

import nbformat
from nbgrader.utils import compute_checksum, is_grade, is_locked, is_solution

from autograder.course import Course

Setup = tuple[tuple[str, str, str], ...]
"""The set-up code cells of a source notebook, in order: (grade id, nbgrader checksum, source)."""


def _is_setup(cell: Any) -> bool:
    return bool(
        cell.cell_type == "code"
        and "nbgrader" in cell.metadata
        and is_locked(cell)
        and not is_grade(cell)
        and not is_solution(cell)
    )


@functools.lru_cache(maxsize=64)
def _read_setup(path: str, mtime: float) -> Setup:
    nb = nbformat.read(path, as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue  # markdown cells do not run
        if not _is_setup(cell):
            break
        cells.append((str(cell.metadata.nbgrader["grade_id"]), compute_checksum(cell), str(cell.source)))
    return tuple(cells)


def source_setup(course: Course, assignment: str, name: str) -> Setup:
    """The locked set-up cells that notebook ``name`` of ``source/`` begins with (none if it has no such file)."""
    path = course.source_path(assignment) / f"{name}.ipynb"
    try:
        return _read_setup(str(path), path.stat().st_mtime)
    except (OSError, ValueError):
        return ()


def shared_prefix(name: str, nb: dict[str, Any], setup: Setup) -> tuple[int, str]:
    """How many of the sanitized notebook's first code cells are ``setup``, unchanged, and a key naming that
    set-up; ``(0, "")`` when the notebook does not begin with all of it (it then runs in full)."""
    if not setup:
        return 0, ""
    code = [cell for cell in nb.get("cells", []) if cell.get("cell_type") == "code"]
    if len(code) < len(setup):
        return 0, ""
    for cell, (grade_id, checksum, _) in zip(code, setup, strict=False):
        node = nbformat.from_dict(cell)
        if node.metadata.get("nbgrader", {}).get("grade_id") != grade_id or not _is_setup(node):
            return 0, ""
        if compute_checksum(node) != checksum:
            return 0, ""
    digest = hashlib.sha256(name.encode())
    for grade_id, _, source in setup:
        digest.update(b"\0" + grade_id.encode() + b"\0" + source.encode())
    return len(setup), digest.hexdigest()[:32]


def prefix_of(course: Course, assignment: str, name: str, nb: dict[str, Any], enabled: bool) -> tuple[int, str]:
    """:func:`shared_prefix` of the notebook against its source; unless ``enabled``, without the key (the zygote
    then runs the set-up in the notebook's own process, and only times it apart)."""
    count, key = shared_prefix(name, nb, source_setup(course, assignment, name))
    return count, key if enabled else ""
