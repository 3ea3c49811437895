"""Isolation between the hub's accounts, tested with the accounts themselves (``runuser``) on the hub's exchange.

A term runs on the command line first, as on the hub (each command as its person): the students fetch and
submit, one of them also submits under a classmate's name, the instructor collects, grades with ``autograder
grade`` (sandboxed, as the instructor's own user), writes the feedback and releases it, and the students fetch
it. Then each wall is tried from the wrong account, and the instructor grades hostile submissions from the
attack corpus while everything outside them is watched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from nbgrader.api import Gradebook, MissingEntry

from autograder.course import Course
from autograder.samples import Variant, build
from hub.accounts import Account, run_as
from hub.deploy import ASSIGNMENT, COURSE_ID, Deployment
from tests.hub.conftest import by_name
from tests.jail.attacks import ATTACKS
from tests.jail.test_attacks import build as build_attacks
from tests.jail.test_attacks import fingerprint

pytestmark = [pytest.mark.hub, pytest.mark.xdist_group("hub")]

COURSE = ["--course", COURSE_ID]
HOSTILE = ("rewrites_the_gradebook", "wipes_classmates_notebooks")
"""Attacks on what is around the submission: the gradebook and the classmates' files."""


@dataclass(frozen=True)
class Term:
    """The exchange after the command-line term."""

    deployment: Deployment
    ana: Account
    """Submitted the reference, fetched her feedback."""
    ben: Account
    """Submitted his own (the untouched stub), then another one as ana."""
    fetched: dict[str, str]
    """What ``nbgrader fetch_feedback`` said to each."""

    @property
    def course_exchange(self) -> Path:
        return self.deployment.exchange / COURSE_ID


def fill_in(deployment: Deployment, student: Account, variant: Variant) -> None:
    """Put ``variant``'s answers into the student's fetched notebooks, owned by the student (as if typed)."""
    folder = student.home / ASSIGNMENT
    scratch = deployment.root / "scratch" / student.name
    built = build(variant, source_dir=deployment.course / "source" / ASSIGNMENT, release_dir=folder, dest=scratch)
    for notebook in built.glob("*.ipynb"):
        shutil.copy(notebook, folder / notebook.name)
        os.chown(folder / notebook.name, student.uid, student.gid)
    shutil.rmtree(scratch)


@pytest.fixture(scope="module")
def term(deployment: Deployment) -> Iterator[Term]:
    ana, ben = by_name(deployment, "hubana"), by_name(deployment, "hubben")
    teacher, course = deployment.instructor, deployment.course
    for student, variant in ((ana, Variant(ana.name, base="reference")), (ben, Variant(ben.name, base="stub"))):
        deployment.run_as(student, "nbgrader", "fetch_assignment", ASSIGNMENT, *COURSE)
        fill_in(deployment, student, variant)
        deployment.run_as(student, "nbgrader", "submit", ASSIGNMENT, *COURSE)
    deployment.run_as(ben, "nbgrader", "submit", ASSIGNMENT, *COURSE, f"--student={ana.name}")  # newer than hers
    collected = deployment.run_as(teacher, "nbgrader", "collect", ASSIGNMENT, "--update", cwd=course)
    assert f"it says it is {ana.name}'s but account {ben.name} made it" in collected, collected
    deployment.run_as(teacher, "autograder", "grade", ASSIGNMENT, cwd=course)
    deployment.run_as(teacher, "autograder", "report", ASSIGNMENT, cwd=course)
    deployment.run_as(teacher, "nbgrader", "release_feedback", ASSIGNMENT, cwd=course)
    fetched = {s.name: deployment.run_as(s, "nbgrader", "fetch_feedback", ASSIGNMENT, *COURSE) for s in (ana, ben)}
    yield Term(deployment, ana, ben, fetched)


def attempt(account: Account, script: str) -> str:
    """Run Python ``script`` as ``account``; what it printed (its last line: ``allowed`` or ``denied ...``)."""
    done = run_as(account, ["/usr/bin/python3", "-c", script])
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def reads(account: Account, path: Path) -> str:
    return attempt(
        account,
        f"""
try:
    import os
    p = {str(path)!r}
    os.listdir(p) if os.path.isdir(p) else open(p, 'rb').read()
    print('allowed')
except OSError as e:
    print('denied', type(e).__name__)
""",
    )


def writes(account: Account, path: Path) -> str:
    """Try to create a file in folder ``path``, or to open file ``path`` for writing."""
    return attempt(
        account,
        f"""
try:
    import os
    p = {str(path)!r}
    open(os.path.join(p, 'planted') if os.path.isdir(p) else p, 'ab').close()
    print('allowed')
except OSError as e:
    print('denied', type(e).__name__)
""",
    )


def test_the_submission_under_another_name_was_not_collected(term: Term) -> None:
    course = Course.load(term.deployment.course)
    collected = course.submitted_path(ASSIGNMENT, term.ana.name)
    secret = (collected / "submission_secret.txt").read_text()
    inbound = term.course_exchange / "inbound"
    owners = {p.name: p.stat().st_uid for p in inbound.iterdir() if (p / "submission_secret.txt").read_text() == secret}
    assert list(owners.values()) == [term.ana.uid]  # the collected one is the one ana's own account made
    assert len([p for p in inbound.iterdir() if p.name.startswith(f"{term.ana.name}+")]) == 2  # ben's was there
    with Gradebook(course.gradebook_url()) as gb:
        ana = gb.find_submission(ASSIGNMENT, term.ana.name)
        assert ana.code_score == ana.max_code_score > 0  # her reference, not ben's stub


def test_a_student_cannot_list_or_change_the_inbound_or_the_feedback(term: Term) -> None:
    exchange, ben = term.course_exchange, term.ben
    assert reads(ben, exchange / "inbound") == "denied PermissionError"  # submissions' names are not listable
    assert reads(ben, exchange / "feedback") == "denied PermissionError"
    assert writes(ben, exchange / "feedback") == "denied PermissionError"
    assert writes(ben, exchange / "outbound" / ASSIGNMENT) == "denied PermissionError"
    assert writes(ben, exchange / "outbound" / ASSIGNMENT / "task1_fitting.ipynb") == "denied PermissionError"
    for page in (exchange / "feedback").iterdir():
        assert writes(ben, page) == "denied PermissionError"
    renamed = attempt(
        ben,
        f"""
import os
try:
    os.rename({str(exchange)!r}, {str(exchange) + "-old"!r})
    print('allowed')
except OSError as e:
    print('denied', type(e).__name__)
""",
    )
    assert renamed == "denied PermissionError"  # the sticky exchange root: no fake course in its place


def test_a_student_cannot_read_a_classmates_work_or_feedback(term: Term) -> None:
    ana, ben = term.ana, term.ben
    fetched = sorted((ana.home / ASSIGNMENT / "feedback").glob("*/*.html"))
    assert {p.stem for p in fetched} == {"task1_fitting", "task2_relu", "task3_architectures"}, term.fetched
    assert reads(ana, fetched[0]) == "allowed"
    for path in (ana.home, ana.home / ASSIGNMENT, fetched[0], ana.home / ".local" / "share" / "jupyter"):
        assert reads(ben, path) == "denied PermissionError", path
        assert writes(ben, path) == "denied PermissionError", path


def test_a_student_cannot_read_the_course_the_gradebook_or_the_checks(term: Term) -> None:
    course, ben = term.deployment.course, term.ben
    for path in (
        course,
        course / "source" / ASSIGNMENT / "task1_fitting.ipynb",
        course / "gradebook.db",
        course / "solutions" / "week3_checks" / "__init__.py",
        course / ".autograder" / "secrets" / ASSIGNMENT,
        course / "submitted" / term.ana.name / ASSIGNMENT / "task1_fitting.ipynb",
    ):
        assert (course / path).exists()
        assert reads(ben, path) == "denied PermissionError", path
    python = str(term.deployment.env.python)
    imported = term.deployment.run(ben, [python, "-c", "import solutions"])
    assert "No module named 'solutions'" in imported.stderr  # not in the environment students' servers run
    assert term.deployment.run(ben, [python, "-c", "import autograder, nbgrader"]).returncode == 0


def test_grading_hostile_submissions_as_the_instructor_changes_nothing_outside_them(term: Term) -> None:
    deployment, teacher = term.deployment, term.deployment.instructor
    course = Course.load(deployment.course)
    attacks = {f"hostile_{a.name}": a.submission for a in ATTACKS if a.name in HOSTILE}
    assert len(attacks) == len(HOSTILE)
    build_attacks(course, attacks)
    for path in [course.submitted_dir, *course.submitted_dir.rglob("*")]:
        os.lchown(path, teacher.uid, teacher.gid)
    watched = {
        "exchange": fingerprint(deployment.root, "exchange"),
        "homes": {s.name: fingerprint(s.home, ".") for s in deployment.students},
        "course": fingerprint(course.root, "source", "solutions", "release", "submitted", "feedback"),
        "hub": fingerprint(deployment.root, "env", "lib", "etc"),
    }
    try:
        before = scores(course)
        deployment.run_as(
            teacher, "autograder", "grade", ASSIGNMENT, *(f"--student={s}" for s in attacks), cwd=course.root
        )
        after = {
            "exchange": fingerprint(deployment.root, "exchange"),
            "homes": {s.name: fingerprint(s.home, ".") for s in deployment.students},
            "course": fingerprint(course.root, "source", "solutions", "release", "submitted", "feedback"),
            "hub": fingerprint(deployment.root, "env", "lib", "etc"),
        }
        assert after == watched
        now = scores(course)
        assert {s: now[s] for s in before} == before  # the classmates' grades as they were
        assert (
            now["hostile_rewrites_the_gradebook"] < now[term.ana.name]
        )  # its wrong answers, not the full marks it wrote

    finally:  # the term in the browser then generates everyone's feedback: these have no timestamp.txt
        remove_students(course, list(attacks))


def remove_students(course: Course, students: list[str]) -> None:
    """Take students out of the course: their folders and their rows in the gradebook."""
    with Gradebook(course.gradebook_url()) as gb:
        for student in students:
            with contextlib.suppress(MissingEntry):
                gb.remove_student(student)
    for student in students:
        for folder in (course.submitted_dir, course.root / "autograded", course.root / "feedback"):
            shutil.rmtree(folder / student, ignore_errors=True)


def scores(course: Course) -> dict[str, float]:
    with Gradebook(course.gradebook_url()) as gb:
        return {s.student_id: s.code_score for s in gb.find_assignment(ASSIGNMENT).submissions}
