"""The service grading on a warm engine: feedback fetched with nbgrader's own fetch_feedback, one per attempt,
carrying the grader's message and never a hidden test; bad input gets its student's own error, the others are
graded and the service goes on."""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.feedback.attempts import State
from autograder.feedback.service import FeedbackServer
from autograder.reports.feedback import HIDDEN_PLACEHOLDER
from tests.engine.test_dask import worker_of, zygotes
from tests.feedback.lab import (
    FORGETS_ZERO_GRAD,
    ZERO_GRAD_MESSAGE,
    Lab,
    garbage,
    huge,
    link_outside,
    make_lab,
    many_cells,
)
from tests.servers import dask_cluster

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("feedback")]  # one worker: the template made once
KILLS_KERNEL = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"


@pytest.fixture(scope="module")
def lab(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    extra = "c.FeedbackService.owners_only = False\nc.FeedbackService.attempts = 0\nc.FeedbackService.workers = 2\n"
    return make_lab(template, tmp_path_factory.mktemp("feedback-service"), extra)


@pytest.fixture(scope="module")
def server(lab: Lab) -> Iterator[FeedbackServer]:
    (lab.course.root / ".autograder" / "feedback" / "course" / "kept").touch()  # the template's copy (conftest)
    with FeedbackServer(lab.course, lab.exchange) as started:
        yield started


def test_the_service_kept_the_private_copy_made_for_the_template(lab: Lab, server: FeedbackServer) -> None:
    """The lab differs from the template only in the exchange and the service's limits: no release again."""
    assert (server.state / "course" / "kept").exists()


def grade_all(server: FeedbackServer) -> None:
    deadline = time.monotonic() + 300
    server.step()
    while any(a.state in (State.QUEUED, State.GRADING) for a in server.store.all()):
        assert time.monotonic() < deadline
        server.step()


def test_each_attempt_gets_its_own_feedback_with_the_graders_message(lab: Lab, server: FeedbackServer) -> None:
    lab.submit("cai", FORGETS_ZERO_GRAD)
    grade_all(server)
    lab.submit("cai")  # fixed: the reference
    grade_all(server)
    first, second = server.store.of("cai")
    assert (first.state, second.state) == (State.GRADED, State.GRADED)
    assert first.score is not None and second.score == second.max_score and first.score < second.score
    feedback = lab.fetch_feedback("cai")
    assert sorted(feedback) == [first.timestamp, second.timestamp]  # one per attempt, keyed as nbgrader keys it
    page = feedback[first.timestamp]["task1_fitting"]
    assert ZERO_GRAD_MESSAGE in page and "BEGIN HIDDEN TESTS" not in page and "Content-Security-Policy" in page
    assert ZERO_GRAD_MESSAGE not in feedback[second.timestamp]["task1_fitting"]
    with Gradebook(lab.course.gradebook_url()) as gradebook:  # the course's own gradebook is never written
        assert gradebook.students == []


def test_bad_input_is_that_students_own_error_and_the_rest_is_graded(lab: Lab, server: FeedbackServer) -> None:
    limit = server.worker.engine.grader.max_notebook_bytes if server.worker else 0
    lab.submit("not_a_notebook", change=garbage("task1_fitting"))
    lab.submit("ten_thousand_cells", change=many_cells("task1_fitting", 10_000))
    lab.submit("too_big", change=huge("task2_relu", limit + 1))
    lab.submit("kills_its_kernel", change=first_cell("task2_relu", KILLS_KERNEL))
    lab.submit("links_outside")
    lab.submit("fine")
    for attempt_folder in lab.exchange.glob("*/inbound/links_outside+*"):
        link_outside("task1_fitting")(attempt_folder)
    grade_all(server)
    by = {a.student: a for a in server.store.all()}
    killed = by["kills_its_kernel"]
    assert killed.status != "graded" and killed.message and "task2_relu" in killed.message, killed.message
    assert by["fine"].score == by["fine"].max_score
    expected = {"not_a_notebook": "task1_fitting", "ten_thousand_cells": "cells", "too_big": "task2_relu",
                "links_outside": "symbolic link"}  # fmt: skip
    for student, said in expected.items():
        attempt = by[student]
        assert attempt.state is State.GRADED and said in attempt.message, (student, attempt.message)
        pages = lab.fetch_feedback(student)
        assert pages and said in text_of_any(pages), student
    lab.submit("fine")  # the service goes on
    grade_all(server)
    assert [a.state for a in server.store.of("fine")] == [State.GRADED, State.GRADED]


SLOW = "import time\ntime.sleep(25)\n"
"""A first cell that keeps its attempt's worker busy for 25 s (the course's cells may run 60 s)."""


def test_a_slow_attempt_holds_back_no_one_else(lab: Lab, server: FeedbackServer) -> None:
    """One run of the service grades the attempts that arrive while a slow one runs, and releases each one's
    feedback as soon as it is graded: neither a classmate submitting with the slow one nor one submitting later
    waits for it."""
    lab.submit("slow", change=first_cell("task2_relu", SLOW))
    lab.submit("alongside")
    seen: dict[str, object] = {}

    def classmate_submits_later() -> None:
        deadline = time.monotonic() + 120
        while not any(a.state is State.GRADED for a in server.store.of("alongside")):
            if time.monotonic() > deadline:
                return
            time.sleep(0.1)
        seen["slow then"] = [a.state for a in server.store.of("slow")]
        lab.submit("later")

    classmate = threading.Thread(target=classmate_submits_later)
    classmate.start()
    graded = server.step()  # the slow attempt's run: it takes in "later" while "slow" still runs
    classmate.join()
    (slow,), (alongside,), (later,) = (server.store.of(s) for s in ("slow", "alongside", "later"))
    assert seen["slow then"] == [State.GRADING], "the classmate's feedback came before the slow attempt's end"
    assert graded == 3 and all(a.state is State.GRADED for a in (slow, alongside, later))
    assert alongside.finished and later.finished and slow.finished
    assert alongside.finished < later.finished < slow.finished
    assert alongside.score == alongside.max_score and later.score == later.max_score
    assert lab.fetch_feedback("later") and lab.fetch_feedback("slow")


def first_cell(name: str, code: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        nb.cells.insert(0, nbformat.v4.new_code_cell(code))
        nbformat.write(nb, folder / f"{name}.ipynb")

    return change


def text_of_any(pages: dict[str, dict[str, str]]) -> str:
    return " ".join(page for notebooks in pages.values() for page in notebooks.values())


@pytest.mark.dask
def test_on_a_dask_cluster_with_full_detail_the_feedback_is_nbgraders_own_page(template: Path, tmp_path: Path) -> None:
    """``--scheduler`` and ``c.FeedbackService.detail = "full"``: the notebooks run on the workers' zygotes, and
    the student fetches nbgrader's own feedback page (their code, the grader's message; hidden tests hidden)."""
    extra = 'c.FeedbackService.owners_only = False\nc.FeedbackService.detail = "full"\n'
    lab = make_lab(template, tmp_path / "lab", extra)
    with dask_cluster(tmp_path / "dask", workers=1) as cluster:
        with FeedbackServer(lab.course, lab.exchange, scheduler=cluster.address) as server:
            lab.submit("cai", FORGETS_ZERO_GRAD)
            grade_all(server)
            running = cluster.processes_now()
        [attempt] = server.store.of("cai")
    assert attempt.state is State.GRADED and attempt.score is not None and attempt.score < (attempt.max_score or 0)
    found = zygotes(running)
    assert found and {worker_of(z, running, cluster.worker_pids) for z in found} == cluster.worker_pids
    [pages] = lab.fetch_feedback("cai").values()
    text = html.unescape(re.sub(r"<[^>]+>", "", pages["task1_fitting"]))  # its code is highlighted: words in spans
    assert "def gradient_descent" in text, "the full page shows the student's own code"
    assert ZERO_GRAD_MESSAGE in text and HIDDEN_PLACEHOLDER in text and "BEGIN HIDDEN TESTS" not in text
