"""Build submissions from the release: the reference, the untouched stub, and variants.

A *variant* names, per notebook, the new source of some student-editable
cells (by grade id). Everything else comes from the release, as a student who
fetched it and filled in those cells would submit it. The demo's sample
cohort, the benchmarks and the test catalogues are all built this way.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from autograder import notebooks

Answers = Mapping[str, Mapping[str, str]]
"""``{notebook stem: {grade_id: cell source}}``."""


@dataclass(frozen=True)
class Variant:
    """One submission to build."""

    student: str
    """The student id (the folder name under ``submitted/``)."""
    base: str = "reference"
    """``"reference"`` (every answer from ``source/``) or ``"stub"`` (the release as fetched)."""
    answers: Answers = field(default_factory=dict)
    """Cells to replace on top of the base."""


def reference_answers(source_dir: Path) -> dict[str, dict[str, str]]:
    """The solution cells of the instructor notebooks, as the reference student's answers."""
    answers: dict[str, dict[str, str]] = {}
    for path in sorted(source_dir.glob("*.ipynb")):
        cells = notebooks.grade_cells(notebooks.read(path))
        answers[path.stem] = {gid: c.source for gid, c in cells.items() if c.metadata["nbgrader"].get("solution")}
    return answers


def build(variant: Variant, *, source_dir: Path, release_dir: Path, dest: Path) -> Path:
    """Write ``variant``'s notebooks into ``dest`` (replaced if it exists) and return it."""
    answers: dict[str, dict[str, str]] = {}
    if variant.base == "reference":
        answers = reference_answers(source_dir)
    elif variant.base != "stub":
        raise ValueError(f"unknown base {variant.base!r}")
    for stem, cells in variant.answers.items():
        answers.setdefault(stem, {}).update(cells)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for path in sorted(release_dir.glob("*.ipynb")):
        nb = notebooks.read(path)
        replace = answers.get(path.stem, {})
        unknown = set(replace) - set(notebooks.grade_cells(nb))
        if unknown:
            raise ValueError(f"{variant.student}: {path.name} has no cell {sorted(unknown)}")
        for gid, cell in notebooks.grade_cells(nb).items():
            if gid in replace:
                cell.source = replace[gid]
        notebooks.write(nb, dest / path.name)
    return dest


def build_cohort(variants: list[Variant], *, course_root: Path, assignment: str) -> list[Path]:
    """Build every variant into ``submitted/STUDENT/ASSIGNMENT`` of the course."""
    source_dir = course_root / "source" / assignment
    release_dir = course_root / "release" / assignment
    return [
        build(
            v, source_dir=source_dir, release_dir=release_dir, dest=course_root / "submitted" / v.student / assignment
        )
        for v in variants
    ]


def drop_ungraded(course_root: Path, assignment: str) -> None:
    """Remove the notebooks without grade cells (Week 3's optional Task 3) from every submission of the course:
    ``autograder grade`` never runs them (``c.Grader.execute_ungraded``), stock nbgrader would train Task 3's
    models for each student, and neither gives them a point. For comparing the two on the same work."""
    for path in sorted(course_root.glob(f"submitted/*/{assignment}/*.ipynb")):
        if not notebooks.has_grade_cells(notebooks.read(path)):
            path.unlink()


def stock_config(text: str) -> str:
    """A course's ``nbgrader_config.py`` as stock nbgrader would have it: every setting that hands one of
    nbgrader's own steps to ``autograder`` (a value naming an ``autograder.`` class) left out.

    For comparisons with stock nbgrader (the parity test, the benchmark): the rest of the course's
    configuration stays, so both grade the same assignment in the same way but for the engine.
    """
    tree = ast.parse(text)
    tree.body = [
        node for node in tree.body if not (isinstance(node, ast.Assign) and "autograder." in ast.unparse(node.value))
    ]
    return ast.unparse(tree) + "\n"
