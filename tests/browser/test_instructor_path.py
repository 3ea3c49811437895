"""An instructor in JupyterLab: after release, submissions and grading, the formgrader shows the grades.

The course copy is released and two students of the sample cohort are graded
with ``autograder`` before JupyterLab starts (grading all six takes a minute);
the other four are submitted but not graded. The formgrader is opened as an
instructor would, from JupyterLab's Nbgrader menu, and what it shows is
compared with nbgrader's gradebook. Then the formgrader's own Autograde and
Generate Feedback buttons grade a third student, who must get the gradebook
scores ``autograder grade`` gives on a copy of the course. The tests share one
xdist group (grading is the slow part): they run in order on one worker.
"""

from __future__ import annotations

import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from playwright.sync_api import FrameLocator, Page, expect

from autograder.samples import build_cohort
from demo.cohort import SAMPLE_COHORT
from tests.browser import ui
from tests.browser.lab import JupyterLab, running
from tests.helpers import make_course, run_cli, text_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ASSIGNMENT = "week3"
GRADED = ("ada_reference", "cai_forgets_zero_grad")
"""The reference (every auto-graded point) and a typical mistake (some points lost)."""
BY_BUTTON = "eli_relu_pairs_mixed"
"""Graded with the formgrader's Autograde button, and its feedback with Generate Feedback."""


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course copy: released by the CLI, the sample cohort submitted, two of them graded."""
    course = make_course(tmp_path_factory.mktemp("instructor-course") / "course", with_release=False)
    released = run_cli("release", ASSIGNMENT, cwd=course)
    assert released.returncode == 0, released.stderr
    build_cohort(SAMPLE_COHORT, course_root=course, assignment=ASSIGNMENT)
    graded = run_cli("grade", ASSIGNMENT, *(f"--student={s}" for s in GRADED), cwd=course)
    assert graded.returncode == 0, graded.stderr
    return course


@pytest.fixture(scope="module")
def lab(course: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    with running(course, tmp_path_factory.mktemp("instructor-lab")) as server:
        yield server


def gradebook_rows(course: Path) -> dict[str, tuple[str, str]]:
    """``{student: (status, score)}`` as the formgrader should show them, from the gradebook and ``submitted/``."""
    rows = {v.student: ("needs autograding", "") for v in SAMPLE_COHORT}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            status = "needs manual grading" if sub.needs_manual_grade else "graded"
            rows[sub.student_id] = (status, f"{round(sub.score, 2):g} / {round(sub.max_score, 2):g}")
    return rows


def check_formgrader_is_served(lab: JupyterLab) -> None:
    """nbgrader's server extension loaded, and its page answers (after a redirect)."""
    assert "nbgrader.server_extensions.formgrader | extension was successfully loaded" in lab.log()
    request = urllib.request.Request(f"{lab.base_url}formgrader", headers={"Authorization": f"token {lab.token}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # redirected to the assignments page
        assert response.status == 200
        assert response.url.endswith("/formgrader/manage_assignments")
        assert "Manage Assignments" in response.read().decode()


def open_formgrader(page: Page, lab: JupyterLab) -> FrameLocator:
    """Nbgrader > Formgrader in JupyterLab's menu bar: the formgrader in a tab of its own."""
    page.goto(lab.url("lab?reset"))
    page.get_by_role("menuitem", name="Nbgrader", exact=True).wait_for()
    extensions = page.evaluate(
        "() => JSON.parse(document.getElementById('jupyter-config-data').textContent)"
        ".federated_extensions.map((e) => e.name)"
    )
    assert "@jupyter/nbgrader" in extensions
    ui.menu(page, "Nbgrader", "Formgrader")
    return page.frame_locator("#formgrader-iframe iframe")


def test_formgrader_shows_week3_and_the_graded_scores(
    page: Page, lab: JupyterLab, course: Path, artifacts: Path
) -> None:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # graded for real: full and partial marks
        reference, mistaken = (gb.find_submission(ASSIGNMENT, s) for s in GRADED)
        assert reference.code_score == reference.max_code_score > mistaken.code_score > 0
    expected = gradebook_rows(course)
    assert [expected[s][0] for s in GRADED] == ["needs manual grading"] * 2  # the written answers
    check_formgrader_is_served(lab)

    formgrader = open_formgrader(page, lab)
    assignments = formgrader.locator("#main-table tr")
    expect(assignments).to_have_count(1)
    expect(assignments.locator(".name")).to_have_text(ASSIGNMENT)
    expect(assignments.locator(".num-submissions")).to_have_text(str(len(SAMPLE_COHORT)))

    assignments.locator(".num-submissions a").click()
    expect(formgrader.get_by_role("heading", name="Manage Submissions")).to_be_visible()
    rows = formgrader.locator("#main-table tr")
    expect(rows).to_have_count(len(SAMPLE_COHORT))
    expect(rows.locator(".score").filter(has_text="/")).to_have_count(len(GRADED))  # scores filled in
    shown = {
        row.locator(".student-id").inner_text().strip(): (
            row.locator(".status").inner_text().strip(),
            row.locator(".score").inner_text().strip(),
        )
        for row in rows.all()
    }
    assert shown == expected
    page.screenshot(path=artifacts / "formgrader_week3_submissions.png")

    formgrader.get_by_role("link", name="Manual Grading").click()
    expect(formgrader.get_by_role("heading", name="Manual Grading")).to_be_visible()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        average = gb.average_assignment_score(ASSIGNMENT)
        maximum = gb.find_assignment(ASSIGNMENT).max_score
    row = formgrader.locator("#main-table tr")
    expect(row).to_have_count(1)
    expect(row.locator(".score")).to_have_text(f"{round(average, 2):g} / {round(maximum, 2):g}")


@pytest.fixture(scope="module")
def graded_by_cli(course: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the course (same gradebook, same check inputs) where ``autograder grade`` grades
    :data:`BY_BUTTON`, taken before the formgrader touches the course."""
    mirror = tmp_path_factory.mktemp("instructor-mirror") / "course"
    shutil.copytree(course, mirror)
    graded = run_cli("grade", ASSIGNMENT, f"--student={BY_BUTTON}", cwd=mirror)
    assert graded.returncode == 0, graded.stderr
    return mirror


def cell_scores(course: Path, student: str) -> dict[tuple[str, str], tuple[float, bool]]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(ASSIGNMENT, student)
        return {(nb.name, g.name): (g.score, g.needs_manual_grade) for nb in submission.notebooks for g in nb.grades}


def click_and_wait(formgrader: FrameLocator, student: str, button: str) -> None:
    """Click one of the student's buttons in Manage Submissions and wait for nbgrader's success dialog."""
    row = formgrader.locator("#main-table tr").filter(has=formgrader.locator(".student-id", has_text=student))
    row.locator(f"{button} a").click()
    dialog = formgrader.locator("#success-modal, #error-modal")
    expect(dialog).to_be_visible(timeout=300_000)
    assert dialog.get_attribute("id") == "success-modal", dialog.inner_text()
    dialog.locator("button.close").last.click()
    expect(dialog).to_have_count(0)


def test_formgrader_buttons_grade_and_give_feedback_as_autograder(
    page: Page, lab: JupyterLab, course: Path, graded_by_cli: Path, artifacts: Path
) -> None:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert not [s for s in gb.find_assignment(ASSIGNMENT).submissions if s.student_id == BY_BUTTON]
    formgrader = open_formgrader(page, lab)
    formgrader.locator("#main-table tr .num-submissions a").click()
    expect(formgrader.get_by_role("heading", name="Manage Submissions")).to_be_visible()

    click_and_wait(formgrader, BY_BUTTON, ".autograde")
    expected = cell_scores(graded_by_cli, BY_BUTTON)
    assert cell_scores(course, BY_BUTTON) == expected
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # graded for real: points kept and points lost
        submission = gb.find_submission(ASSIGNMENT, BY_BUTTON)
        assert 0 < submission.code_score < submission.max_code_score
    row = formgrader.locator("#main-table tr").filter(has=formgrader.locator(".student-id", has_text=BY_BUTTON))
    expect(row.locator(".score")).to_contain_text("/")
    page.screenshot(path=artifacts / "formgrader_autograde_button.png")

    click_and_wait(formgrader, BY_BUTTON, ".generate-feedback")
    pages = sorted((course / "feedback" / BY_BUTTON / ASSIGNMENT).glob("*.html"))
    assert {p.stem for p in pages} == {p.stem for p in (course / "source" / ASSIGNMENT).glob("*.ipynb")}
    for feedback in pages:
        text = text_of(feedback)
        assert "HIDDEN TESTS" not in text, feedback
        assert "Score:" in text, feedback
