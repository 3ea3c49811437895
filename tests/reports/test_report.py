"""``autograder report``: feedback pages, grade exports and the cohort report, checked against the gradebook.

One graded course (three students, stock grading) is shared by every test here, across
pytest-xdist workers too (built once, under a file lock): a reference with one manual
grade and comment given, the untouched stub, and a loop that forgets to zero gradients.
A fourth student has only a record, with a status this version does not know.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock
from nbformat import NotebookNode, from_dict
from nbgrader.api import Gradebook
from traitlets.config import Config

from autograder import notebooks
from autograder.course import Course
from autograder.engine.grade import grade
from autograder.engine.release import generate_release
from autograder.engine.results import RECORD_NAME
from autograder.errors import AutograderError
from autograder.reports.build import write_reports
from autograder.reports.exports import CANVAS_COLUMNS, CANVAS_POINTS_POSSIBLE, task_column, write_canvas_csv
from autograder.reports.feedback import HIDDEN_PLACEHOLDER, HideHiddenTests, WrapMessages, generate_feedback
from autograder.reports.model import Cohort, Submission
from autograder.reports.page import message_pattern
from autograder.samples import Variant, build_cohort
from demo.cohort import FORGETS_ZERO_GRAD
from solutions.week3_checks import TASKS
from solutions.week3_checks.misconceptions import LIKELY
from tests.helpers import ROOT, SOURCE, make_course, run_cli

STUDENTS = ("ada", "ben", "cai")
VARIANTS = [
    Variant("ada"),
    Variant("ben", base="stub"),
    Variant("cai", answers={"task1_fitting": {"gradient_descent": FORGETS_ZERO_GRAD}}),
]
UNKNOWN = "zed"
UNKNOWN_STATUS = "sandbox violation"
MANUAL = ("task1b_answer", "task1_fitting", 1.5, "Inputs and labels: right. Say which part plays the weights.")
ARTIFACTS = ROOT / "test-artifacts" / "reports"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def build_graded_course(root: Path) -> None:
    make_course(root, with_release=False)
    course = Course.load(root)
    generate_release(course, "week3")
    build_cohort(VARIANTS, course_root=root, assignment="week3")
    grade(course, "week3", students=list(STUDENTS))
    grade_id, notebook, score, comment = MANUAL
    with Gradebook(course.gradebook_url()) as gb:
        given = gb.find_grade(grade_id, notebook, "week3", "ada")
        given.manual_score, given.needs_manual_grade = score, False  # as the formgrader saves a grade
        gb.find_comment(grade_id, notebook, "week3", "ada").manual_comment = comment
        gb.db.commit()
    (root / "submitted" / UNKNOWN / "week3").mkdir(parents=True)
    record = {"student": UNKNOWN, "assignment": "week3", "status": UNKNOWN_STATUS, "message": "opened a socket"}
    (root / "autograded" / UNKNOWN / "week3").mkdir(parents=True)
    (root / "autograded" / UNKNOWN / "week3" / RECORD_NAME).write_text(json.dumps({**record, "seconds": 0.5}))
    paths = write_reports(course, "week3")
    (root / "written.json").write_text(json.dumps([str(p) for p in paths]))


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """The graded course with its reports written (built once per test run)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "report-course"
    with FileLock(str(shared / "report-course.lock")):
        if not (root / "written.json").exists():
            if root.exists():
                shutil.rmtree(root)
            build_graded_course(root)
    return Course.load(root)


@pytest.fixture(scope="session")
def gb(graded: Course) -> Iterator[Gradebook]:
    with Gradebook(graded.gradebook_url()) as book:
        yield book


def text_of(page: Path) -> str:
    """The visible text of an HTML page (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def report_data(course: Course) -> dict[str, Any]:
    page = (course.root / "reports" / "week3" / "index.html").read_text()
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert found, "index.html has no report-data block"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def hidden_names() -> set[str]:
    """Private names (``_descend``, ``_relu_sum``...) that only the source's hidden test regions use."""
    hidden, visible = "", ""
    for path in SOURCE.glob("*.ipynb"):
        for cell in notebooks.read(path).cells:
            parts = re.split(r"### (?:BEGIN|END) HIDDEN TESTS", cell.source)
            visible += "".join(parts[0::2])
            hidden += "".join(parts[1::2])
    return set(re.findall(r"\b_[A-Za-z]\w+", hidden)) - set(re.findall(r"\b_[A-Za-z]\w+", visible))


def gradebook_scores(gb: Gradebook, student: str) -> dict[str, float | None]:
    """``{grade_id: score}`` straight from nbgrader, None for a pending manual grade."""
    sub = gb.find_submission("week3", student)
    return {
        g.name: None if g.needs_manual_grade or (g.auto_score is None and g.manual_score is None) else g.score
        for nb in sub.notebooks
        for g in nb.grades
    }


# ----- feedback pages -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_every_graded_student_gets_a_page_per_notebook(graded: Course) -> None:
    written = {Path(p) for p in json.loads((graded.root / "written.json").read_text())}
    for student in STUDENTS:
        folder = graded.root / "feedback" / student / "week3"
        pages = {folder / f"{p.stem}.html" for p in SOURCE.glob("*.ipynb")}
        assert pages <= written and all(p.is_file() for p in pages), student
        assert not (folder / RECORD_NAME).exists(), "the grading record is not the student's"
    assert not (graded.root / "feedback" / UNKNOWN).exists()
    reports = graded.root / "reports" / "week3"
    assert {reports / "grades.csv", reports / "canvas.csv", reports / "index.html"} <= written


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_feedback_shows_checks_and_messages_but_no_hidden_tests(graded: Course) -> None:
    names = hidden_names()
    for student in STUDENTS:
        for page in (graded.root / "feedback" / student / "week3").glob("*.html"):
            text = text_of(page)
            assert "HIDDEN TESTS" not in text, page
            leaked = sorted(n for n in names if re.search(rf"\b{n}\b", text))
            assert not leaked, f"{page}: hidden test code {leaked}"
    text = text_of(graded.root / "feedback" / "cai" / "week3" / "task1_fitting.html")
    assert "Check that gradient_descent resets the gradient every step." in text
    assert HIDDEN_PLACEHOLDER in text  # where the hidden tests (written from the check) ran, their code not shown
    assert "run_check" not in text
    assert "gradients from earlier steps are still in params.grad" in text  # the visible test's message
    assert LIKELY.accumulated_gradients.likely in text  # the grader's
    assert "Score: 0.0 / 2.0" in text and "Score: 3.0 / 3.0" not in text
    assert "def gradient_descent(loss_fn, params" in text  # the student's code
    assert WrapMessages.css in (graded.root / "feedback" / "cai" / "week3" / "task1_fitting.html").read_text()


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_feedback_shows_manual_grades_and_comments(graded: Course) -> None:
    grade_id, _, score, comment = MANUAL
    page = (graded.root / "feedback" / "ada" / "week3" / "task1_fitting.html").read_text()
    heading = page.index(f'<a name="{grade_id}"></a>')
    assert f"Score: {score} / 2.0" in text_of_fragment(page[heading : heading + 600])
    assert comment in html.unescape(page)
    assert "Not graded yet" in text_of_fragment(page[page.index('<a name="task1e_answer"></a>') :])


def text_of_fragment(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_switching_the_setting_off_shows_hidden_tests(graded: Course, tmp_path: Path) -> None:
    copy = tmp_path / "course"
    shutil.copytree(graded.root, copy, ignore=shutil.ignore_patterns("feedback"))
    with (copy / "nbgrader_config.py").open("a") as config:
        config.write("c.StudentFeedback.hide_hidden_tests = False\n")
    [outcome] = generate_feedback(Course.load(copy), "week3", ["cai"])
    assert outcome.pages and not outcome.error
    text = text_of(copy / "feedback" / "cai" / "week3" / "task1_fitting.html")
    assert HIDDEN_PLACEHOLDER not in text and LIKELY.accumulated_gradients.likely in text


def test_hide_hidden_tests_touches_test_cells_only() -> None:
    meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}}
    test = from_dict(
        {
            "cell_type": "code",
            "metadata": meta,
            "source": '"""Check that f works."""\nassert f(1) == 2\n    ### BEGIN HIDDEN TESTS\nassert f(_x) == _y\n'
            "### END HIDDEN TESTS\nprint('done')",
            "outputs": [
                {"output_type": "error", "ename": "AssertionError", "evalue": "f(3) should be 6", "traceback": ["x"]},
                {"output_type": "stream", "name": "stderr", "text": "Warning: slow\n  assert f(_x) == _y\n"},
            ],
        }
    )
    answer = from_dict(
        {
            "cell_type": "code",
            "metadata": {"nbgrader": {"grade": False, "solution": True, "grade_id": "a"}},
            "source": "# ### BEGIN HIDDEN TESTS is just text here",
            "outputs": [],
        }
    )
    nb = from_dict({"cells": [test, answer], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    out, _ = HideHiddenTests().preprocess(nb, {})
    cleaned, untouched = out.cells
    assert cleaned.source.splitlines() == [
        '"""Check that f works."""',
        "assert f(1) == 2",
        "    " + HIDDEN_PLACEHOLDER,
        "print('done')",
    ]
    assert cleaned.outputs[0]["traceback"] == ["AssertionError: f(3) should be 6"]
    assert cleaned.outputs[1]["text"] == "Warning: slow\n"
    assert untouched.source == "# ### BEGIN HIDDEN TESTS is just text here"
    unclosed = from_dict({**test, "source": "### BEGIN HIDDEN TESTS\nassert False"})
    with pytest.raises(RuntimeError, match="No end hidden tests"):
        HideHiddenTests().preprocess_cell(NotebookNode(unclosed), {}, 0)


# ----- grade exports --------------------------------------------------------------------------


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def cell_value(text: str) -> float | None:
    return None if text == "" else float(text)


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_grades_csv_agrees_with_the_gradebook(graded: Course, gb: Gradebook) -> None:
    rows = {r["student"]: r for r in csv.DictReader((graded.root / "reports" / "week3" / "grades.csv").open())}
    assert sorted(rows) == sorted([*STUDENTS, UNKNOWN])
    assert set(rows) == {s.student.id for s in gb.find_assignment("week3").submissions} | {UNKNOWN}
    for student in STUDENTS:
        sub, scores, row = gb.find_submission("week3", student), gradebook_scores(gb, student), rows[student]
        assert float(row["score"]) == pytest.approx(sub.score)
        assert float(row["max_score"]) == pytest.approx(sub.max_score) == 37
        assert float(row["auto_score"]) == pytest.approx(sub.code_score)
        assert row["status"] == ("needs manual grading" if sub.needs_manual_grade else "graded")
        for task, grade_ids in TASKS.items():
            values = [scores[g] for g in grade_ids]
            expected = None if None in values else sum(v for v in values if v is not None)
            assert cell_value(row[task_column(task)]) == pytest.approx(expected), (student, task)
    assert cell_value(rows["ada"][task_column("1b")]) == MANUAL[2]
    assert cell_value(rows["cai"][task_column("1e")]) == 1  # only gradient_descent_returns_losses passes
    assert rows[UNKNOWN]["status"] == UNKNOWN_STATUS and rows[UNKNOWN]["score"] == ""


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_canvas_csv_has_the_import_layout(graded: Course, gb: Gradebook) -> None:
    header, points_row, *rows = read_csv(graded.root / "reports" / "week3" / "canvas.csv")
    assert header == [*CANVAS_COLUMNS, "week3"] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "week3"]
    assert points_row[0] == CANVAS_POINTS_POSSIBLE and float(points_row[-1]) == 37
    by_login = {r[3]: r for r in rows}
    assert sorted(by_login) == sorted([*STUDENTS, UNKNOWN])
    for student in STUDENTS:
        assert float(by_login[student][-1]) == pytest.approx(gb.find_submission("week3", student).score)
    assert by_login[UNKNOWN][-1] == ""


def test_canvas_names_ids_and_assignment_column_follow_the_settings(tmp_path: Path) -> None:
    cohort = Cohort(
        assignment="week3",
        checks=[],
        max_score=37.0,
        submissions=[
            Submission(
                "ana", "graded", in_gradebook=True, score=30.5, first_name="Ana", last_name="Lima", lms_user_id="77"
            ),
            Submission("bo", "error", max_score=37.0),
        ],
    )
    config = Config()
    config.CanvasExport.assignment_columns = {"week3": "Week 3 (4821)"}
    config.CanvasExport.student_id_column = "SIS User ID"
    rows = read_csv(write_canvas_csv(cohort, tmp_path / "canvas.csv", config))
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Week 3 (4821)"],
        ["Points Possible", "", "", "", "", "37"],
        ["Lima, Ana", "77", "ana", "", "", "30.5"],
        ["bo", "", "bo", "", "", ""],
    ]


def test_every_grade_cell_of_the_course_belongs_to_a_task() -> None:
    grade_ids = [
        gid
        for path in sorted(SOURCE.glob("*.ipynb"))
        for gid, cell in notebooks.grade_cells(notebooks.read(path)).items()
        if cell.metadata["nbgrader"].get("grade")
    ]
    assert sorted(grade_ids) == sorted(gid for gids in TASKS.values() for gid in gids)


# ----- the cohort report ----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_report_numbers_agree_with_the_gradebook(graded: Course, gb: Gradebook) -> None:
    data = report_data(graded)
    subs = {s.student.id: s for s in gb.find_assignment("week3").submissions}
    scores = {s: subs[s].score for s in subs}
    assert data["scores"] == pytest.approx(scores)
    assert data["max_score"] == gb.find_assignment("week3").max_score
    assert data["in_gradebook"] == len(subs) and data["submissions"] == len(subs) + 1
    values = list(scores.values())
    assert data["score_stats"]["mean"] == pytest.approx(statistics.fmean(values), abs=1e-3)
    assert data["score_stats"]["median"] == pytest.approx(statistics.median(values))
    assert (data["score_stats"]["min"], data["score_stats"]["max"]) == (min(values), max(values))
    assert sum(data["score_histogram"]["counts"]) == len(values)

    per_student = {s: gradebook_scores(gb, s) for s in subs}
    max_points = {c.name: c.max_score for nb in gb.find_assignment("week3").notebooks for c in nb.grade_cells}
    for check in data["checks"]:
        got = [per_student[s][check["grade_id"]] for s in subs]
        assert check["graded"] == sum(v is not None for v in got), check["key"]
        assert check["passed"] == sum(v is not None and v >= max_points[check["grade_id"]] for v in got)
    for task in data["tasks"]:
        ids = TASKS[task["task"]]
        complete = [s for s in subs if all(per_student[s][g] is not None for g in ids)]
        assert task["graded"] == len(complete)
        assert task["passed"] == sum(all(per_student[s][g] >= max_points[g] for g in ids) for s in complete)

    for m in data["misconceptions"]:
        grade_id = m["check"].split("/")[1]
        assert m["count"] == len(m["students"]) > 0
        assert all(per_student[s][grade_id] < max_points[grade_id] for s in m["students"]), m
    top = {(m["check"], tuple(m["students"])) for m in data["misconceptions"]}
    assert ("task1_fitting/gradient_descent_resets_gradients", ("cai",)) in top

    attention = {a["student"]: a["status"] for a in data["attention"]}
    assert attention[UNKNOWN] == UNKNOWN_STATUS
    for student, sub in subs.items():
        assert (student in attention) == bool(sub.needs_manual_grade), student

    records = {s: json.loads((graded.root / "autograded" / s / "week3" / RECORD_NAME).read_text()) for s in subs}
    assert data["seconds"] == pytest.approx({s: r["seconds"] for s, r in records.items()} | {UNKNOWN: 0.5}, abs=1e-3)
    assert data["seconds_stats"]["count"] == len(subs) + 1


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_rendered_rows_show_the_same_numbers(graded: Course) -> None:
    data = report_data(graded)
    page = (graded.root / "reports" / "week3" / "index.html").read_text()
    rows = dict(re.findall(r'<tr data-student="([^"]+)" data-score="([^"]*)">', page))
    assert rows == {
        s: ("\N{EN DASH}" if v is None else f"{v:g}") for s, v in (data["scores"] | {UNKNOWN: None}).items()
    }
    for check in data["checks"]:
        assert f'data-check="{check["key"]}" data-passed="{check["passed"]}" data-graded="{check["graded"]}"' in page
        assert f"{check['passed']} / {check['graded']}" in page
    assert page.count('<img id="plot-') == 4 and page.count("data:image/png;base64,") == 4


def test_misconceptions_are_grouped_without_numbers() -> None:
    a = "AssertionError: the loss after ten steps should be about 2.21; it was 1.4628."
    b = "AssertionError: the loss after ten steps should be about 2.21; it was -0.5."
    assert (
        message_pattern(a)
        == message_pattern(b)
        == ("AssertionError: the loss after ten steps should be about #; it was #.")
    )
    assert message_pattern("losses were [4.9, 4.5, 3.9]") == message_pattern("losses were [1.0, 2.0]")
    assert message_pattern("x of dtype float64 at m1") == "x of dtype float64 at m1"


# ----- user mistakes --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_nothing_graded_yet(graded: Course, tmp_path: Path) -> None:
    copy = tmp_path / "course"
    shutil.copytree(graded.root, copy, ignore=shutil.ignore_patterns("autograded", "feedback", "reports"))
    course = Course.load(copy)
    with Gradebook(course.gradebook_url()) as book:
        for student in STUDENTS:
            book.remove_submission("week3", student)
    with pytest.raises(AutograderError, match="nothing graded yet: run 'autograder grade week3' first"):
        write_reports(course, "week3")


def test_unknown_assignment_and_missing_gradebook(tmp_path: Path) -> None:
    course = Course.load(make_course(tmp_path / "c"))
    with pytest.raises(AutograderError, match="unknown assignment 'week9'"):
        write_reports(course, "week9")
    with pytest.raises(AutograderError, match="no gradebook at"):
        write_reports(course, "week3")
    assert not (course.root / "gradebook.db").exists(), "reporting must not create a gradebook"
    result = run_cli("report", "week3", cwd=course.root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"autograder: error: no gradebook at {course.root / 'gradebook.db'}: release and grade first"
    ]


# ----- in a browser ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_report_page_renders_in_chromium(graded: Course) -> None:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "no /usr/bin/chromium: run 'bash scripts/system-deps.sh'"
    index = graded.root / "reports" / "week3" / "index.html"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(index.as_uri())
            images = page.evaluate("Array.from(document.images).map(i => [i.id, i.complete, i.naturalWidth])")
            data = page.evaluate("JSON.parse(document.getElementById('report-data').textContent)")
            rows = page.evaluate("document.querySelectorAll('tr[data-student]').length")
            page.screenshot(path=str(ARTIFACTS / "index.png"), full_page=True)
        finally:
            browser.close()
    assert [i[0] for i in images] == ["plot-scores", "plot-tasks", "plot-checks", "plot-seconds"]
    assert all(complete and width > 0 for _, complete, width in images), images
    assert data == report_data(graded) and rows == data["submissions"]
