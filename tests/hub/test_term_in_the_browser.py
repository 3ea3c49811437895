"""A whole term on the hub, in Chromium: each person logs in with their Unix password and works in their own
JupyterLab, running as their own Unix user.

A student (cai) fetches week3 from the Assignments tab, puts her answers in (the notebooks she wrote, saved into her
server through its contents API from her logged-in page, as JupyterLab's upload does), runs Task 2 in
JupyterLab and submits; a second (dan) submits a notebook with a typical mistake (the loop that never zeroes the
gradients). The instructor opens the formgrader (in a tab of its own: JupyterHub 4.1 and later forbid the
iframe of the Nbgrader menu), collects, clicks Autograde for each student, gives a written answer its points by
hand, generates and releases the feedback. Each student fetches it from the Assignments tab and sees their own
scores, and dan the grader's message for his mistake. Screenshots of each step go to ``test-artifacts/hub/``.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from playwright.sync_api import Browser, BrowserContext, Page, expect

from autograder.course import Course
from autograder.samples import Variant, build
from demo.cohort import SAMPLE_COHORT
from hub.accounts import Account
from hub.deploy import ASSIGNMENT, Deployment
from hub.server import Hub
from tests.browser import ui
from tests.browser.conftest import PAGE_TIMEOUT_MS, VIEWPORT
from tests.browser.test_instructor_path import click_and_wait
from tests.helpers import ROOT, text_of
from tests.hub.conftest import by_name

pytestmark = [pytest.mark.hub, pytest.mark.xdist_group("hub")]

ARTIFACTS = ROOT / "test-artifacts" / "hub"
MISTAKE = next(v for v in SAMPLE_COHORT if v.student == "cai_forgets_zero_grad")
RUN_IN_LAB = "task2_relu"
WRITTEN_IN = "task1_fitting"
"""The notebook whose first written answer the instructor grades by hand."""


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def log_in(context: BrowserContext, hub: Hub, person: Account) -> Page:
    """The hub's login page, the Unix password, and the person's JupyterLab (started for them)."""
    page = context.new_page()
    page.goto(f"{hub.url}hub/login")
    page.fill("#username_input", person.name)
    page.fill("#password_input", person.password)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{person.name}/lab**", timeout=180_000)
    page.get_by_role("menuitem", name="Nbgrader", exact=True).wait_for(timeout=180_000)
    return page


def assignments_tab(page: Page) -> None:
    ui.menu(page, "Nbgrader", "Assignment List")
    expect(page.locator("#released_assignments_list, #fetched_assignments_list").first).to_be_visible()


def save_through_contents_api(page: Page, hub: Hub, person: Account, path: str, notebook: Path) -> None:
    """What JupyterLab's upload does: PUT the notebook into the person's server, with their session's cookies."""
    xsrf = next(c["value"] for c in page.context.cookies() if c["name"] == "_xsrf")
    body = {"type": "notebook", "format": "json", "content": json.loads(notebook.read_text())}
    response = page.request.put(
        f"{hub.url}user/{person.name}/api/contents/{path}", data=json.dumps(body), headers={"X-XSRFToken": xsrf}
    )
    assert response.ok, response.text()


def answer_and_submit(
    context: BrowserContext, hub: Hub, deployment: Deployment, person: Account, variant: Variant, artifacts: Path
) -> None:
    page = log_in(context, hub, person)
    assignments_tab(page)
    page.locator("#released_assignments_list").get_by_role("button", name="Fetch", exact=True).click()
    fetched = page.locator("#fetched_assignments_list")
    expect(fetched.get_by_text(ASSIGNMENT)).to_be_visible()
    page.screenshot(path=artifacts / f"1-{person.name}-fetched.png")
    built = build(
        variant,
        source_dir=deployment.course / "source" / ASSIGNMENT,
        release_dir=person.home / ASSIGNMENT,
        dest=deployment.root / "built" / person.name,
    )
    for notebook in sorted(built.glob("*.ipynb")):
        save_through_contents_api(page, hub, person, f"{ASSIGNMENT}/{notebook.name}", notebook)
    if not variant.answers:  # the reference (the one who runs a notebook in JupyterLab)
        page.goto(f"{hub.url}user/{person.name}/lab/tree/{ASSIGNMENT}/{RUN_IN_LAB}.ipynb")
        notebook = page.locator(ui.NOTEBOOK)
        expect(notebook).to_be_visible(timeout=ui.RUN_TIMEOUT_MS)
        cells = json.loads((built / f"{RUN_IN_LAB}.ipynb").read_text())["cells"]
        code = sum(c["cell_type"] == "code" for c in cells)
        ui.run_all_cells(page, notebook, code, code)
        assert ui.problems(notebook) == []
        page.screenshot(path=artifacts / f"2-{person.name}-ran-{RUN_IN_LAB}.png")
        page.keyboard.press("ControlOrMeta+s")
        assignments_tab(page)
    fetched = page.locator("#fetched_assignments_list")
    fetched.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#submitted_assignments_list").get_by_text(ASSIGNMENT)).to_be_visible()
    page.screenshot(path=artifacts / f"3-{person.name}-submitted.png")
    page.close()


def manual_score(course: Course, student: Account, grade_id: str) -> float | None:
    with Gradebook(course.gradebook_url()) as gb:
        score: float | None = gb.find_grade(grade_id, WRITTEN_IN, ASSIGNMENT, student.name).manual_score
        return score


def fetched_feedback(person: Account) -> Path | None:
    """The Task 1 feedback page nbgrader's fetch_feedback put in the person's home, once it is there."""
    pages = sorted((person.home / ASSIGNMENT / "feedback").glob("*/task1_fitting.html"))
    return pages[-1] if pages else None


def mistake_lines(graded: Path) -> list[str]:
    """The "Likely mistake: ..." lines the grader's messages put in the outputs of an autograded notebook."""
    text = json.dumps(json.loads(graded.read_text())["cells"])
    return sorted(set(re.findall(r"Likely mistake: [^\\\"]+", text)))


def test_a_term_on_the_hub(
    browser: Browser, hub: Hub, deployment: Deployment, artifacts: Path, session: BrowserContext
) -> None:
    # students of their own: test_isolation's term has ana and ben fetch and submit on the command line
    ana, ben, teacher = by_name(deployment, "hubcai"), by_name(deployment, "hubdan"), deployment.instructor
    answer_and_submit(session, hub, deployment, ana, Variant(ana.name, base="reference"), artifacts)
    with browser.new_context(viewport=VIEWPORT) as other:  # type: ignore[arg-type]
        answer_and_submit(other, hub, deployment, ben, Variant(ben.name, answers=MISTAKE.answers), artifacts)

    with browser.new_context(viewport=VIEWPORT) as context:  # type: ignore[arg-type]
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        page = log_in(context, hub, teacher)
        page.goto(f"{hub.url}user/{teacher.name}/formgrader/manage_assignments")
        formgrader = page.main_frame
        row = page.locator("#main-table tr").filter(has_text=ASSIGNMENT)
        row.locator(".collect a").click()
        dialog = page.locator("#success-modal, #error-modal")
        expect(dialog).to_be_visible(timeout=120_000)
        assert dialog.get_attribute("id") == "success-modal", dialog.inner_text()
        page.screenshot(path=artifacts / "4-instructor-collected.png")
        dialog.locator("button.close").last.click()
        page.goto(f"{hub.url}user/{teacher.name}/formgrader/manage_submissions/{ASSIGNMENT}")
        for student in (ana, ben):
            click_and_wait(formgrader, student.name, ".autograde")  # type: ignore[arg-type]
        page.screenshot(path=artifacts / "5-instructor-autograded.png")

        course = Course.load(deployment.course)
        with Gradebook(course.gradebook_url()) as gb:
            notebook = gb.find_submission_notebook(WRITTEN_IN, ASSIGNMENT, ana.name)
            written = next(g for g in notebook.grades if g.needs_manual_grade)  # the first written answer
            name, maximum, submission_id = written.name, written.max_score, notebook.id
        page.goto(f"{hub.url}user/{teacher.name}/formgrader/submissions/{submission_id}/")
        page.wait_for_selector("#notebook-container")
        page.wait_for_load_state("networkidle")  # the formgrader's models loaded: a change is saved
        score = page.locator(f"input.score[id='{name}']")  # the formgrader's score box of that grade cell
        for _ in range(3):
            score.fill(f"{maximum:g}")
            score.press("Tab")  # the formgrader saves a score when its box loses focus
            with contextlib.suppress(AssertionError):
                ui.wait_until(lambda: manual_score(course, ana, name) == maximum or None, timeout=20, what="saved")
                break
        assert manual_score(course, ana, name) == maximum, "the hand-given score was not saved"
        page.screenshot(path=artifacts / "6-instructor-graded-by-hand.png")

        page.goto(f"{hub.url}user/{teacher.name}/formgrader/manage_assignments")
        for button in (".generate-feedback", ".release-feedback"):
            page.locator("#main-table tr").filter(has_text=ASSIGNMENT).locator(f"{button} a").click()
            dialog = page.locator("#success-modal, #error-modal")
            expect(dialog).to_be_visible(timeout=300_000)
            assert dialog.get_attribute("id") == "success-modal", dialog.inner_text()
            dialog.locator("button.close").last.click()
            expect(dialog).to_have_count(0)
        page.screenshot(path=artifacts / "7-instructor-released-feedback.png")

    named = mistake_lines(course.autograded_dir(ASSIGNMENT, ben.name) / "task1_fitting.ipynb")
    assert named, "the grader named no misconception for ben's mistake"
    for person, context in ((ana, session), (ben, None)):
        own = context or browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
        try:
            page = log_in(own, hub, person) if context is None else own.new_page()
            if context is not None:
                page.goto(f"{hub.url}user/{person.name}/lab")
            assignments_tab(page)
            page.locator("#submitted_assignments_list").get_by_role("button", name="Fetch Feedback").first.click()
            feedback = ui.wait_until(lambda p=person: fetched_feedback(p), what="the fetched feedback")
            relative = feedback.relative_to(person.home)
            page.goto(f"{hub.url}user/{person.name}/files/{relative}")
            page.screenshot(path=artifacts / f"8-{person.name}-feedback.png", full_page=False)
            shown = page.locator("body").inner_text()
            with Gradebook(course.gradebook_url()) as gb:
                notebook = gb.find_submission_notebook("task1_fitting", ASSIGNMENT, person.name)
                expected = (notebook.score, notebook.max_score)
            score = re.search(r"Score:\s*([0-9.]+)\s*/\s*([0-9.]+)", shown)
            assert score is not None, shown[:500]
            assert (float(score[1]), float(score[2])) == pytest.approx(expected), person.name
            if person is ben:
                assert any(line in text_of(feedback) for line in named), named
        finally:
            if context is None:
                own.close()
