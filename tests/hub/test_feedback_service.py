"""Feedback during the lab, on the hub, in Chromium: eve submits the loop that never zeroes its gradients in the
Assignments tab and, without the instructor doing anything, fetches feedback carrying the grader's message for
it; her status page (the hub's managed service, behind its login) shows the attempt; fay gets 403 on it and
fetches nothing of hers; a fourth attempt inside the window shows "waiting until HH:MM"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext

from autograder.feedback.attempts import State, Store
from hub.deploy import ASSIGNMENT, Deployment
from hub.server import Hub
from tests.browser import ui
from tests.feedback.lab import FORGETS_ZERO_GRAD, ZERO_GRAD_MESSAGE
from tests.helpers import text_of
from tests.hub.conftest import by_name
from tests.hub.test_term_in_the_browser import (
    ARTIFACTS,
    answer_and_submit,
    assignments_tab,
    fetched_feedback,
    log_in,
)

pytestmark = [pytest.mark.hub, pytest.mark.xdist_group("hub")]


def attempts(deployment: Deployment, student: str) -> list[State]:
    return [a.state for a in Store(deployment.course / ".autograder" / "feedback").of(student)]


def test_feedback_on_submit(browser: Browser, session: BrowserContext, hub: Hub, deployment: Deployment) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    eve, fay = by_name(deployment, "hubeve"), by_name(deployment, "hubfay")
    answer_and_submit(session, hub, deployment, eve, FORGETS_ZERO_GRAD, ARTIFACTS)
    page = session.new_page()
    page.goto(f"{hub.url}user/{eve.name}/lab")
    ui.wait_until(lambda: attempts(deployment, eve.name) == [State.GRADED] or None, timeout=120, what="graded")
    assignments_tab(page)
    page.locator("#submitted_assignments_list").get_by_role("button", name="Fetch Feedback").first.click()
    feedback = ui.wait_until(lambda: fetched_feedback(eve), what="the fetched feedback")
    assert ZERO_GRAD_MESSAGE in text_of(feedback)

    page.goto(f"{hub.url}services/feedback/")
    page.wait_for_url(f"**/services/feedback/student/{eve.name}")
    shown = page.locator("body").inner_text()
    assert "graded" in shown and "task1_fitting" in shown, shown
    page.screenshot(path=ARTIFACTS / "feedback-status-page.png")

    other = browser.new_context()
    try:
        theirs = log_in(other, hub, fay)
        response = theirs.goto(f"{hub.url}services/feedback/student/{eve.name}")
        assert response is not None and response.status == 403
    finally:
        other.close()
    deployment.run_as(fay, "nbgrader", "fetch_feedback", ASSIGNMENT, cwd=fay.home)
    assert not (fay.home / ASSIGNMENT / "feedback").exists()

    for done in (2, 3):  # two more gradings in the window: three in all
        deployment.run_as(eve, "nbgrader", "submit", ASSIGNMENT, cwd=eve.home)
        ui.wait_until(lambda n=done: attempts(deployment, eve.name) == [State.GRADED] * n or None, timeout=120,
                      what=f"attempt {done} graded")  # fmt: skip
    deployment.run_as(eve, "nbgrader", "submit", ASSIGNMENT, cwd=eve.home)
    ui.wait_until(lambda: len(attempts(deployment, eve.name)) == 4 or None, timeout=30, what="the fourth attempt")
    page.reload()
    assert "waiting until" in page.locator("body").inner_text()
    page.screenshot(path=ARTIFACTS / "feedback-status-waiting.png")
