"""Similar submissions, who may have shared code: ``reports/ASSIGNMENT/similarity.csv`` and a page section.

Compared: the solution cells (code cells with nbgrader's ``solution: true`` in the instructor's notebooks), read
by grade id from each graded copy in ``autograded/``, each cell with the same cell of the other student. copydetect
tokenises them with pygments (every name becomes ``V``, strings ``S``: renaming changes nothing) and fingerprints
k-grams of that text (reordered functions and lines still match). Left out first, as boilerplate: every code cell
of the release and (``Similarity.reference_is_boilerplate``) the reference answers, so being right is not being
alike; a pair needs ``Similarity.min_matched_tokens`` in common, so a shared one-line slip is not one either. A cell
whose reference answer is shorter than :data:`MIN_TASK_TOKENS` is left out for everyone, and named.

A student's *share*: the part of their own code (what the boilerplate leaves) that the other's also has. A pair's
score: the larger share. Nothing here changes a grade.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import filter_code, get_token_coverage, highlight_overlap
from markupsafe import Markup, escape
from traitlets import Bool, Float, Int
from traitlets.config import Config, Configurable

from autograder import notebooks
from autograder.course import Course
from autograder.errors import AutograderError
from autograder.reports.exports import write_rows
from autograder.reports.sanitize import visible

MIN_TASK_TOKENS = 60
"""A solution cell whose reference answer filters to fewer copydetect tokens (each name, keyword, number or
operator character counts one) is left out: a one-line task is written alike by everyone who gets it right."""
SIMILARITY_CSV = "similarity.csv"
COL_STUDENT_A, COL_STUDENT_B, COL_SCORE = "student_a", "student_b", "score"
COL_SHARE_A, COL_SHARE_B, COL_MATCHED = "share_a", "share_b", "matched_tokens"
COL_NOTEBOOKS, COL_CELLS = "notebooks", "cells"
COLUMNS = (COL_STUDENT_A, COL_STUDENT_B, COL_SCORE, COL_SHARE_A, COL_SHARE_B, COL_MATCHED, COL_NOTEBOOKS, COL_CELLS)
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


class Similarity(Configurable):
    """How the cohort report looks for similar submissions (``c.Similarity.*`` in ``nbgrader_config.py``)."""

    threshold = Float(
        0.5,
        help="A pair is listed when one student's own code (beyond the release and the reference) is at least "
        "this share (0 to 1) of matches in the other's.",
    ).tag(config=True)
    min_matched_tokens = Int(
        120,
        help="Fewest copydetect tokens the two must have in common to be listed: a shared slip of a line or two "
        "in otherwise reference answers is not a pair.",
    ).tag(config=True)
    noise_threshold = Int(
        25, help="copydetect's k: matches shorter than this many tokens are noise and never count."
    ).tag(config=True)
    guarantee_threshold = Int(
        25,
        help="copydetect's guarantee: matches this long are always found. Above noise_threshold, winnowing keeps "
        "fewer fingerprints (faster), and scores then vary a little between runs with Python's hash seed.",
    ).tag(config=True)
    max_cell_chars = Int(
        50_000, help="A cell longer than this many characters is compared on its first ones (bounded work)."
    ).tag(config=True)
    shown = Int(25, help="Pairs shown side by side on the page, the highest first (similarity.csv has all).").tag(
        config=True
    )
    reference_is_boilerplate = Bool(
        True, help="Leave out code that is in the instructor's reference answers, as the release is left out."
    ).tag(config=True)


@dataclass(frozen=True)
class Task:
    """A solution cell of the assignment."""

    notebook: str
    grade_id: str
    reference: str
    """The instructor's answer (the source notebook's cell)."""
    tokens: int
    """Length of the reference answer in copydetect tokens."""

    @property
    def key(self) -> str:
        return f"{self.notebook}/{self.grade_id}"


@dataclass(frozen=True)
class CellView:
    """One cell of a pair, side by side: each student's source and where it matches the other's."""

    key: str
    text: tuple[str, str]
    slices: tuple[np.ndarray, np.ndarray]
    """copydetect's matched slices in each text (starts, ends)."""

    @property
    def code_a(self) -> Markup:
        """Student a's source, escaped, the matches in ``<mark>`` (built only if the page shows it)."""
        return highlighted(self.text[0], self.slices[0])

    @property
    def code_b(self) -> Markup:
        return highlighted(self.text[1], self.slices[1])


@dataclass(frozen=True)
class Pair:
    """Two submissions with much of their own code in common."""

    student_a: str
    student_b: str
    score: float
    """The larger of the two shares."""
    shares: tuple[float, float]
    """For each student, the part of their own code that the other also has, in the same cell."""
    matched_tokens: int
    """copydetect tokens in common (the smaller count of the two sides)."""
    cells: tuple[CellView, ...]
    """The cells with matches, in notebook order."""

    @property
    def cell_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.cells)

    @property
    def notebooks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.key.split("/")[0] for c in self.cells))


@dataclass
class SimilarityReport:
    """What the page's section and ``similarity.csv`` show."""

    settings: Similarity
    compared: list[str] = field(default_factory=list)
    """Students whose code was compared."""
    tasks: list[Task] = field(default_factory=list)
    left_out: list[Task] = field(default_factory=list)
    """Solution cells too short to tell (fewer than :data:`MIN_TASK_TOKENS`)."""
    pairs: list[Pair] = field(default_factory=list)
    """Pairs at or above the threshold, highest score first."""
    min_task_tokens: int = MIN_TASK_TOKENS

    def summary(self) -> dict[str, Any]:
        """The plain data of the page's JSON block (no code)."""
        return {
            "threshold": self.settings.threshold,
            "min_matched_tokens": self.settings.min_matched_tokens,
            "compared": self.compared,
            "tasks": [t.key for t in self.tasks],
            "left_out": [t.key for t in self.left_out],
            "min_task_tokens": self.min_task_tokens,
            "pairs": [
                {
                    "students": [p.student_a, p.student_b],
                    "score": round(p.score, 3),
                    "shares": [round(x, 3) for x in p.shares],
                    "matched_tokens": p.matched_tokens,
                    "cells": list(p.cell_keys),
                }
                for p in self.pairs[: self.settings.shown]
            ],
            "pairs_total": len(self.pairs),
        }


def tokens(source: str, language: str = "python") -> int:
    return len(filter_code(source, "cell", language)[0])


def solution_tasks(course: Course, assignment: str) -> tuple[list[Task], str]:
    """The code solution cells of the instructor's notebooks, in order, and the notebooks' language."""
    tasks, language = [], "python"
    for path in course.source_notebooks(assignment):
        nb = notebooks.read(path)
        language = nb.metadata.get("kernelspec", {}).get("language", language)
        for gid, cell in notebooks.grade_cells(nb).items():
            if cell.cell_type == "code" and cell.metadata["nbgrader"].get("solution"):
                tasks.append(Task(path.stem, gid, cell.source, tokens(cell.source, language)))
    return tasks, language


def release_code(course: Course, assignment: str) -> list[str]:
    """Every code cell of the release: what every student was given."""
    folder = course.release_path(assignment)
    return [c.source for p in sorted(folder.glob("*.ipynb")) for c in notebooks.read(p).cells if c.cell_type == "code"]


def submitted_code(folder: Path, tasks: Sequence[Task], max_chars: int) -> dict[str, str]:
    """``{task key: source}`` (up to ``max_chars`` each) of one graded copy; a notebook that cannot be read
    gives nothing."""
    found: dict[str, str] = {}
    for stem in dict.fromkeys(t.notebook for t in tasks):
        try:
            cells = notebooks.grade_cells(notebooks.read(folder / f"{stem}.ipynb"))
        except AutograderError:
            continue
        found.update(
            {t.key: cells[t.grade_id].source[:max_chars] for t in tasks if t.notebook == stem and t.grade_id in cells}
        )
    return found


Code = Mapping[str, Mapping[str, str]]
"""``{student: {cell key: source}}``: what is compared."""


@dataclass
class Fingerprints:
    """One student's cells, fingerprinted one by one (no k-gram spans two cells)."""

    cells: dict[str, CodeFingerprint]
    coverage: float
    """copydetect tokens of the student's own code: those under a fingerprint left after the boilerplate."""


def fingerprint(text: str, settings: Similarity, boilerplate: set[int], language: str) -> CodeFingerprint:
    """copydetect's fingerprint of ``text`` without the ``boilerplate`` hashes.

    copydetect's own ``boilerplate=`` argument also drops every k-gram that occurs twice in the text
    (``np.intersect1d(..., assume_unique=True)`` on hashes that repeat), so it is removed here instead.
    """
    window = settings.guarantee_threshold - settings.noise_threshold + 1
    fp = CodeFingerprint("cell", settings.noise_threshold, window, language=language, fp=io.StringIO(text))
    fp.hashes -= boilerplate
    fp.hash_idx = {h: i for h, i in fp.hash_idx.items() if h in fp.hashes}
    fp.token_coverage = get_token_coverage(fp.hash_idx, fp.k, len(fp.filtered_code))
    return fp


def boilerplate_hashes(sources: Iterable[str], settings: Similarity, language: str) -> set[int]:
    """Every k-gram hash of the boilerplate (window 1, as copydetect does)."""
    found: set[int] = set()
    for text in sources:
        found |= CodeFingerprint(
            "boilerplate", settings.noise_threshold, 1, language=language, fp=io.StringIO(text)
        ).hashes
    return found


def highlighted(text: str, slices: np.ndarray) -> Markup:
    """``text`` escaped, the matched slices in ``<mark>`` (copydetect's helper escapes each part)."""
    text = visible(text)  # same length: the slices still fit
    if slices.size == 0:
        return escape(text)
    clipped = np.clip(slices[:, np.argsort(slices[0])], 0, len(text)).astype(int)
    marked, _ = highlight_overlap(text, clipped, MARK_OPEN, MARK_CLOSE, escape_html=True)
    return Markup(marked)


def compare_pair(a: str, b: str, fa: Fingerprints, fb: Fingerprints, settings: Similarity) -> Pair | None:
    """The pair, if it reaches the threshold: the matches of each cell with the same cell of the other."""
    overlap = [0.0, 0.0]
    views: list[CellView] = []
    for key in fa.cells.keys() & fb.cells.keys():
        ca, cb = fa.cells[key], fb.cells[key]
        if ca.hashes.isdisjoint(cb.hashes):
            continue
        tokens_a, (_, share_b), slices = compare_files(ca, cb)
        overlap[0] += tokens_a
        overlap[1] += share_b * cb.token_coverage
        views.append(CellView(key, (ca.raw_code, cb.raw_code), slices))
    shares = (
        float(overlap[0] / fa.coverage) if fa.coverage else 0.0,
        float(overlap[1] / fb.coverage) if fb.coverage else 0.0,
    )
    matched = round(min(overlap))
    if max(shares) < settings.threshold or matched < settings.min_matched_tokens:
        return None
    order = list(fa.cells)
    cells = tuple(sorted(views, key=lambda v: order.index(v.key)))
    return Pair(a, b, max(shares), shares, matched, cells)


def compare(
    code: Code, boilerplate: Iterable[str] = (), settings: Similarity | None = None, language: str = "python"
) -> list[Pair]:
    """Every pair of students in ``code`` at or above the threshold, highest score first."""
    settings = settings or Similarity()
    excluded = boilerplate_hashes(boilerplate, settings, language)
    prints: dict[str, Fingerprints] = {}
    known: dict[str, CodeFingerprint] = {}  # one fingerprint per distinct text (untouched cells are alike)
    for student, cells in sorted(code.items()):
        for text in set(cells.values()) - known.keys():
            known[text] = fingerprint(text, settings, excluded, language)
        fps = {key: known[text] for key, text in cells.items()}
        prints[student] = Fingerprints(fps, sum(fp.token_coverage for fp in fps.values()))
    own = [(student, fp) for student, fp in prints.items() if fp.coverage]  # no own code: in no pair
    found = (compare_pair(a, b, fa, fb, settings) for (a, fa), (b, fb) in itertools.combinations(own, 2))
    return sorted((p for p in found if p), key=lambda p: (-p.score, p.student_a, p.student_b))


def find_similar(
    course: Course, assignment: str, students: Iterable[str], config: Config | None = None
) -> SimilarityReport:
    """Compare the graded copies of ``students``' solution cells (see the module's docstring)."""
    settings = Similarity(config=config if config is not None else course.config)
    tasks, language = solution_tasks(course, assignment)
    kept = [t for t in tasks if t.tokens >= MIN_TASK_TOKENS]
    report = SimilarityReport(settings, tasks=kept, left_out=[t for t in tasks if t not in kept])
    code = {s: submitted_code(course.autograded_dir(assignment, s), kept, settings.max_cell_chars) for s in students}
    code = {s: cells for s, cells in code.items() if cells}
    report.compared = sorted(code)
    boilerplate = release_code(course, assignment)
    if settings.reference_is_boilerplate:
        boilerplate += [t.reference for t in tasks]
    report.pairs = compare(code, boilerplate, settings, language)
    return report


def write_similarity_csv(report: SimilarityReport, path: Path) -> Path:
    """One row per listed pair, highest score first; no cell can start a spreadsheet formula."""
    rows = [
        {
            COL_STUDENT_A: p.student_a,
            COL_STUDENT_B: p.student_b,
            COL_SCORE: f"{p.score:.3f}",
            COL_SHARE_A: f"{p.shares[0]:.3f}",
            COL_SHARE_B: f"{p.shares[1]:.3f}",
            COL_MATCHED: str(p.matched_tokens),
            COL_NOTEBOOKS: " ".join(p.notebooks),
            COL_CELLS: " ".join(p.cell_keys),
        }
        for p in report.pairs
    ]
    return write_rows(path, COLUMNS, rows)
