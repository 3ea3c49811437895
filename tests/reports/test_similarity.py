"""Similar submissions in the cohort report: who may have shared code.

Unit tests on strings (tiny fixtures named by what must happen to them), then one end-to-end run: the sample
cohort's copied pair, its independent correct pair and an untouched stub, graded in a course copy, then
``write_reports``, reading ``similarity.csv`` and ``index.html``.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from traitlets.config import Config

from autograder.course import Course
from autograder.engine.grade import grade
from autograder.reports import page
from autograder.reports.build import write_reports
from autograder.reports.exports import grades_columns
from autograder.reports.model import Cohort, Submission, load_cohort
from autograder.reports.similarity import (
    COLUMNS,
    MIN_TASK_TOKENS,
    Similarity,
    SimilarityReport,
    compare,
    find_similar,
    tokens,
    write_similarity_csv,
)
from autograder.samples import Variant
from demo.cohort import SIMILARITY_PAIRS
from tests.helpers import ROOT, released_course

WRITES_TWO_HELPERS = """
def scale(values, factor):
    scaled = []
    for value in values:
        scaled.append(value * factor + 1)
    return scaled


def summary(values, factor=2):
    result = scale(values, factor)
    total = sum(result) / len(result)
    spread = max(result) - min(result)
    return {"mean": total, "largest": max(result), "spread": spread, "count": len(result)}
"""

COPIES_IT_RENAMED_AND_REORDERED = """
def summary(xs, k=2):
    out = scale(xs, k)
    avg = sum(out) / len(out)
    spread = max(out) - min(out)
    return {"mean": avg, "largest": max(out), "spread": spread, "count": len(out)}


def scale(xs, k):
    acc = []
    for x in xs:
        acc.append(x * k + 1)
    return acc
"""

WRITES_IT_ANOTHER_WAY = """
import statistics


def summary(values, factor=2):
    result = [v * factor + 1 for v in values]
    return dict(mean=statistics.fmean(result), largest=sorted(result)[-1], count=len(result))
"""

STUB = """
def summary(values, factor=2):
    # YOUR CODE HERE
    raise NotImplementedError()
"""

REFERENCE = WRITES_TWO_HELPERS
SLIPS_THE_SAME_LINE = WRITES_TWO_HELPERS.replace("        scaled.append(value * factor + 1)\n", "")
"""The reference less one line: two students with that slip share only the few tokens around it."""

CELL = "nb/summary"


def one_cell(**students: str) -> dict[str, dict[str, str]]:
    return {student: {CELL: code} for student, code in students.items()}


def test_a_copy_with_renamed_variables_and_reordered_functions_still_matches() -> None:
    pairs = compare(one_cell(original=WRITES_TWO_HELPERS, copy=COPIES_IT_RENAMED_AND_REORDERED), [STUB])
    assert [(p.student_a, p.student_b) for p in pairs] == [("copy", "original")]
    assert pairs[0].score >= 0.8 and min(pairs[0].shares) >= 0.8, pairs[0].shares
    assert pairs[0].cell_keys == (CELL,) and "<mark>" in pairs[0].cells[0].code_a


def test_code_written_another_way_is_not_a_pair() -> None:
    assert compare(one_cell(original=WRITES_TWO_HELPERS, other=WRITES_IT_ANOTHER_WAY), [STUB]) == []


def test_untouched_stubs_and_reference_answers_are_not_pairs() -> None:
    students = one_cell(stub_1=STUB, stub_2=STUB, reference_1=REFERENCE, reference_2=REFERENCE)
    assert compare(students, [STUB, REFERENCE]) == []
    without_boilerplate = compare(students, [], Similarity(min_matched_tokens=0))
    assert {(p.student_a, p.student_b) for p in without_boilerplate} == {
        ("reference_1", "reference_2"),
        ("stub_1", "stub_2"),
    }, "the boilerplate is what keeps them apart"


def test_the_same_slip_in_reference_answers_is_not_a_pair() -> None:
    students = one_cell(slips_1=SLIPS_THE_SAME_LINE, slips_2=SLIPS_THE_SAME_LINE)
    assert compare(students, [STUB, REFERENCE]) == []
    (pair,) = compare(students, [STUB, REFERENCE], Similarity(min_matched_tokens=0))
    assert pair.score == pytest.approx(1.0) and pair.matched_tokens < Similarity().min_matched_tokens


def test_the_settings_come_from_the_config() -> None:
    config = Config()
    config.Similarity.min_matched_tokens = 1000
    students = one_cell(original=WRITES_TWO_HELPERS, copy=COPIES_IT_RENAMED_AND_REORDERED)
    assert len(compare(students, [STUB])) == 1
    assert compare(students, [STUB], Similarity(config=config)) == []


def hostile_report(tmp_path: Path) -> tuple[SimilarityReport, Path]:
    students = {'=HYPERLINK("http://x","y")': WRITES_TWO_HELPERS, "<script>alert(1)</script>": REFERENCE}
    pairs = compare(one_cell(**students), [STUB])
    assert len(pairs) == 1
    report = SimilarityReport(Similarity(), compared=sorted(students), pairs=pairs)
    return report, write_similarity_csv(report, tmp_path / "similarity.csv")


def test_similarity_csv_neutralises_a_student_id_that_is_a_formula(tmp_path: Path) -> None:
    _, path = hostile_report(tmp_path)
    header, *rows = list(csv.reader(path.open(newline="")))
    assert tuple(header) == COLUMNS and len(rows) == 1
    assert '\'=HYPERLINK("http://x","y")' in rows[0][:2]
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]


def test_the_page_escapes_student_ids_and_code(tmp_path: Path) -> None:
    report, _ = hostile_report(tmp_path)
    cohort = Cohort("week3", [], 29.0, [Submission(s, "graded", True, 1.0, 29.0) for s in report.compared])
    summary = page.summarise(cohort)
    html = page.render(summary, {}, page.plots(summary), report)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    shown = re.findall(r'<pre class="similar-code">(.*?)</pre>', html, re.S)
    assert len(shown) == 2 and all("<mark>" in code for code in shown)
    assert {tag for code in shown for tag in re.findall(r"</?(\w+)", code)} == {"mark"}


def test_a_task_too_short_to_tell_is_left_out_and_named() -> None:
    report = find_similar(Course.load(ROOT), "week3", [])
    short = {"task2_relu/triple_relu", "task2_relu/triple_relu_fit"}
    assert {t.key for t in report.left_out} == short and all(t.tokens < MIN_TASK_TOKENS for t in report.left_out)
    assert {t.key for t in report.tasks}.isdisjoint(short) and len(report.tasks) == 5
    assert tokens("return m * x + b") < MIN_TASK_TOKENS
    cohort = Cohort("week3", [], 29.0, [])
    html = page.render(page.summarise(cohort), {}, page.plots(page.summarise(cohort)), report)
    left_out = html[html.index("Left out, too short to tell") :]
    assert all(f"<code>{key}</code>" in left_out[:400] for key in short)


# ----- end to end -----------------------------------------------------------------------------

STUB_STUDENT = "kim_untouched_stub"
COPIED = ("gus_own_answers", "hal_copies_gus")
INDEPENDENT = ("ivy_correct_own_way", "jon_correct_other_way")
SCORES = {COPIED[0]: 21.0, COPIED[1]: 19.0, INDEPENDENT[0]: 29.0, INDEPENDENT[1]: 29.0, STUB_STUDENT: 0.0}
"""Graded for real: gus records the loss after each step (8 points), hal's reordering also prints after plotting."""


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_the_report_ranks_the_copied_pair_first_and_leaves_the_others_out(tmp_path: Path) -> None:
    assert {v.student for v in SIMILARITY_PAIRS} == {*COPIED, *INDEPENDENT}
    course = released_course(tmp_path / "course", [*SIMILARITY_PAIRS, Variant(STUB_STUDENT, base="stub")])
    grade(course, "week3")
    write_reports(course, "week3")
    cohort = load_cohort(course, "week3")
    assert {s.student: s.score for s in cohort.submissions} == SCORES, "nothing here changes a grade"
    reports = course.reports_dir("week3")
    with (reports / "grades.csv").open(newline="") as handle:
        assert next(csv.reader(handle)) == grades_columns(cohort), "grades.csv keeps its columns"

    with (reports / "similarity.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "no pair listed"
    assert (rows[0]["student_a"], rows[0]["student_b"]) == COPIED
    assert float(rows[0]["score"]) >= Similarity().threshold and rows[0]["notebooks"] == "task1_fitting task2_relu"
    listed = {frozenset((r["student_a"], r["student_b"])) for r in rows}
    assert frozenset(INDEPENDENT) not in listed
    assert not [pair for pair in listed if STUB_STUDENT in pair]

    html = (reports / "index.html").read_text()
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert found
    data = json.loads(found.group(1))["similarity"]
    assert data["pairs"][0]["students"] == list(COPIED) and len(data["pairs"]) == len(rows)
    assert set(data["compared"]) == set(SCORES)
    assert data["left_out"] == ["task2_relu/triple_relu", "task2_relu/triple_relu_fit"]
    assert '<tr data-similar-rank="1" data-similar-score="' + rows[0]["score"] + '">' in html
    assert '<a href="similarity.csv">' in html

    stricter = Config()
    stricter.Similarity.threshold = 0.99
    assert find_similar(course, "week3", list(SCORES), stricter).pairs == []
