"""No attack in the corpus (tests/jail/attacks) raises its own grade or touches anything else.

One sandboxed grading run takes every attack, every baseline (the same submissions without the
attacks) and the two honest students; a second, clean run grades only the baselines; a third
grades the attacked cohort again with ``nbgrader autograde`` and the course's config (our
preprocessors in nbgrader's own command), which must give every student the same total. Each attack's
test then checks that it scored no more than its baseline, on any cell; that it got one of its
expected outcomes; and that everything else is as if it had not been there: the other students'
grades are those of the clean run, no submitted or source file changed, and the gradebook is whole
and agrees with every grading record.

Grading runs in a child process (the ``autograder grade`` command) watched from here, so that an
attack that wedges the grader shows as missing records instead of stalling the test session.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil
import pytest
from nbgrader.api import Gradebook, MissingEntry

from autograder import notebooks
from autograder.course import Course
from autograder.engine import gradebook
from autograder.engine.results import FINALIZE, PREPARE, RECORD_NAME, Status, SubmissionResult, read_record
from autograder.engine.seeds import SECRETS_DIR, inputs_seed
from autograder.reports.exports import write_canvas_csv, write_grades_csv
from autograder.reports.model import load_cohort
from autograder.reports.sanitize import FORMULA_START, NUMBER
from autograder.samples import build_cohort
from tests.engine.test_engine import cell_scores
from tests.helpers import ROOT, released_course, require_sandbox
from tests.jail.attacks import ATTACKS, BASELINES, HONEST, Attack, Submission, limits, pages
from tests.reports.test_sanitize import added_elements, bare, formgrader_html, markup, student_part

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("attacks")]  # its own: the longest module, by far

ASSIGNMENT = "week3"
REFERENCE_POINTS = 29
MEMORY_MB = 800
WORKERS = 2
CONFIG = f"""
c.Grader.sandbox = True
c.Grader.cell_timeout = 10
c.Grader.notebook_timeout = 30
c.Grader.memory_mb = {MEMORY_MB}
c.Grader.processes = 24
"""
HEADROOM = 3 << 30
"""What else may take the machine's memory during a run, beyond the jobs' bounds: the zygotes themselves, the
grader, and the other test worker's grading (the filling attacks try 6 GB each, far beyond)."""
STALLED_AFTER = 90.0
"""Seconds without a new grading record after which a run counts as stuck and is killed."""
MOST_SECONDS = 600.0
"""A run that takes longer than this is killed whatever its progress."""
NBGRADER_SECONDS = 1200.0
"""The same for ``nbgrader autograde``, which grades one notebook at a time (about 4 minutes on a quiet machine)."""

Cells = dict[tuple[str, str], float]


def baseline_student(key: str) -> str:
    return f"baseline_{key}"


@dataclass
class Run:
    """One grading run: its course, and what each student got (None: never graded)."""

    course: Course
    records: dict[str, SubmissionResult | None]
    cells: dict[str, Cells]
    stalled: str = ""
    """Why the run was stopped early, if it was."""
    memory_drop: int = 0
    """How far the machine's available memory fell below where it was when the run started (bytes, sampled)."""
    disk_drop: int = 0
    """The same for the free space of the disk the course and the jobs' staging folders are on."""


@dataclass
class AttackRun:
    attacked: Run
    clean: Run
    collateral: list[str] = field(default_factory=list)
    """What the attacks did to anyone or anything else (empty if nothing)."""


def build(course: Course, students: dict[str, Submission]) -> None:
    """Write each student's submission into submitted/, then make the edits and plant the files some add by hand."""
    build_cohort([s.variant(name) for name, s in students.items()], course_root=course.root, assignment=ASSIGNMENT)
    for name, submission in students.items():
        if submission.edit is not None:
            folder = course.submitted_dir / name / ASSIGNMENT
            built = {path.stem: notebooks.read(path) for path in folder.glob("*.ipynb")}
            submission.edit(built)
            for stem, nb in built.items():
                notebooks.write(nb, folder / f"{stem}.ipynb")
        if submission.plant is not None:
            submission.plant(course.submitted_dir / name / ASSIGNMENT, course.root)


def fingerprint(root: Path, *folders: str) -> dict[str, str]:
    """The SHA-256 of every file under the folders."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder in folders
        for path in sorted((root / folder).rglob("*"))
        if path.is_file()
    }


def scores(course: Course, student: str) -> Cells:
    try:
        return {key: score or 0.0 for key, score in cell_scores(course, student).items()}
    except MissingEntry:
        return {}


@dataclass
class Sampler:
    """The machine's available memory and free disk, sampled while a run goes on: how far each fell."""

    folder: Path
    memory_at_start: int = field(default_factory=lambda: psutil.virtual_memory().available)
    disk_at_start: int = 0
    memory_drop: int = 0
    disk_drop: int = 0

    def __post_init__(self) -> None:
        self.disk_at_start = shutil.disk_usage(self.folder).free

    def sample(self) -> None:
        self.memory_drop = max(self.memory_drop, self.memory_at_start - psutil.virtual_memory().available)
        self.disk_drop = max(self.disk_drop, self.disk_at_start - shutil.disk_usage(self.folder).free)


def watch(proc: subprocess.Popen[bytes], records: Path, sampler: Sampler) -> str:
    """Wait for the grading process; kill it (and its zygotes) if no record appears for a while. Why, if killed."""
    started = progressed = time.monotonic()
    done = 0
    while proc.poll() is None:
        for _ in range(4):
            time.sleep(0.25)
            sampler.sample()
        now = len(list(records.glob(f"*/{ASSIGNMENT}/{RECORD_NAME}")))
        if now != done:
            done, progressed = now, time.monotonic()
        stuck = time.monotonic() - progressed > STALLED_AFTER
        if stuck or time.monotonic() - started > MOST_SECONDS:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            why = f"made no progress for {STALLED_AFTER:g} s" if stuck else f"took over {MOST_SECONDS:g} s"
            return f"the run {why} and was killed"
    return ""


def grade_watched(course: Course, students: list[str]) -> Run:
    """``autograder grade`` on the course in a child process, stopped if it makes no progress."""
    records = course.root / "autograded"
    log = course.root / "grading.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--workers", "2"],
            cwd=course.root,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            start_new_session=True,
        )
        sampler = Sampler(Path(tempfile.gettempdir()))
        stalled = watch(proc, records, sampler)
    text = log.read_text(errors="replace")
    if not stalled and proc.returncode != 0:
        stalled = f"autograder grade exited with status {proc.returncode}: {text[-1500:]}"
    run = Run(
        course=course,
        records={s: read_record(records / s / ASSIGNMENT) for s in students},
        cells={s: scores(course, s) for s in students},
        memory_drop=sampler.memory_drop,
        disk_drop=sampler.disk_drop,
    )
    if stalled:
        never = [s for s, record in run.records.items() if record is None]
        warnings = [line for line in text.splitlines() if line.startswith("WARNING")]
        run.stalled = f"{stalled}; never graded: {never}; warnings: {warnings}"
    return run


def refused(record: SubmissionResult) -> bool:
    return record.status is Status.ERROR and not record.checks


def gradebook_problems(run: Run) -> list[str]:
    """What is wrong with the gradebook: damage, foreign objects, missing or extra rows, disagreement with records."""
    problems = []
    path = run.course.root / "gradebook.db"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        (check,) = db.execute("PRAGMA integrity_check").fetchone()
        if check != "ok":
            problems.append(f"gradebook integrity check: {check}")
        foreign = db.execute("SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')").fetchall()
        if foreign:
            problems.append(f"the gradebook has objects nbgrader never made: {foreign}")
    # a submission refused as a whole (timestamp.txt not a plain file) has a record, no checks and no gradebook entry
    graded = {s for s, record in run.records.items() if record is not None and (record.checks or not refused(record))}
    with Gradebook(run.course.gradebook_url()) as gb:
        assignment = gb.find_assignment(ASSIGNMENT)
        cells = sum(len(nb.grade_cells) for nb in assignment.notebooks)
        students = {s.id for s in gb.students}
        submitted = [s.student.id for s in assignment.submissions]
        if not graded <= students <= set(run.records) or len(students) != len(submitted):
            problems.append(
                f"gradebook students {sorted(students)} and submissions {sorted(submitted)} are not those graded"
            )
        for submission in assignment.submissions:
            count = sum(len(nb.grades) for nb in submission.notebooks)
            if count != cells:
                problems.append(f"{submission.student.id} has {count} grades in the gradebook, not {cells}")
    for student in sorted(graded):
        record = run.records[student]
        book = gradebook.read_submission(run.course, ASSIGNMENT, student)
        assert record is not None
        if book is None:
            problems.append(f"{student} has a grading record but no submission in the gradebook")
            continue
        mine = {(c.notebook, c.grade_id): c.score for c in record.checks}
        theirs = {(c.notebook, c.grade_id): c.score for c in book.checks}
        if (record.auto_score, record.score, mine) != (book.auto_score, book.score, theirs):
            problems.append(
                f"{student}: the gradebook says {book.auto_score:g} auto / {book.score:g}, "
                f"its grading record {record.auto_score:g} / {record.score:g} (or the cells differ)"
            )
    return problems


def others_problems(attacked: Run, clean: Run) -> list[str]:
    """How the students who did not attack fared next to the attacks, compared with the clean run."""
    problems = []
    reference = clean.records[baseline_student("reference")]
    if reference is None or reference.auto_score != REFERENCE_POINTS:
        problems.append(f"the reference alone scored {reference and reference.auto_score}, not {REFERENCE_POINTS}")
    for key in BASELINES:
        student = baseline_student(key)
        alone, beside = clean.records[student], attacked.records[student]
        who = f"{'honest student' if key in HONEST else 'baseline'} {student}"
        if alone is None or beside is None:
            problems.append(f"{who} was not graded ({'clean' if alone is None else 'attacked'} run)")
        elif (beside.status, beside.auto_score) != (alone.status, alone.auto_score):
            problems.append(
                f"{who} got {beside.status.value} {beside.auto_score:g} next to the attacks, "
                f"{alone.status.value} {alone.auto_score:g} alone ({beside.message or 'no message'})"
            )
        elif attacked.cells[student] != clean.cells[student]:
            problems.append(f"{who}'s cell scores differ next to the attacks from alone")
    return problems


def share_secret(course: Course, into: Course) -> None:
    """The same secret in both courses: the grader draws the same check inputs, so the same submission is judged
    the same."""
    shutil.copytree(course.root / SECRETS_DIR, into.root / SECRETS_DIR, dirs_exist_ok=True)


def attacked_course(folder: Path, attacks: list[Attack] = ATTACKS) -> tuple[Course, dict[str, Submission]]:
    """A released course with ``attacks``, every baseline and the honest students submitted."""
    baselines = {baseline_student(key): submission for key, submission in BASELINES.items()}
    course = released_course(folder, extra_config=CONFIG)
    students = {**baselines, **{attack.name: attack.submission for attack in attacks}}
    build(course, students)
    return course, students


@pytest.fixture(scope="module")
def attack_run(tmp_path_factory: pytest.TempPathFactory) -> AttackRun:
    require_sandbox()
    baselines = {baseline_student(key): submission for key, submission in BASELINES.items()}

    clean = released_course(tmp_path_factory.mktemp("clean"), extra_config=CONFIG)
    inputs_seed(clean, ASSIGNMENT)  # writes the secret
    build(clean, baselines)
    clean_run = grade_watched(clean, list(baselines))

    course, students = attacked_course(tmp_path_factory.mktemp("attacked"))
    share_secret(clean, course)
    before = fingerprint(course.root, "submitted", "source")
    attacked = grade_watched(course, sorted(students))
    after = fingerprint(course.root, "submitted", "source")

    collateral = [attacked.stalled] if attacked.stalled else []
    if clean_run.stalled:
        collateral.append(f"clean run: {clean_run.stalled}")
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    if changed:
        collateral.append(f"files changed, appeared or disappeared: {changed}")
    collateral += gradebook_problems(attacked)
    collateral += others_problems(attacked, clean_run)
    return AttackRun(attacked, clean_run, collateral)


def gains(attack: Attack, run: Run) -> list[str]:
    """The points the attack won over its baseline: in total, and cell by cell."""
    mine, base = run.records[attack.name], run.records[baseline_student(attack.baseline)]
    if mine is None or base is None:
        missing = attack.name if mine is None else baseline_student(attack.baseline)
        return [f"{missing} has no grading record: it was never graded"]
    problems = []
    if mine.auto_score > base.auto_score:
        problems.append(f"scored {mine.auto_score:g}, more than its baseline's {base.auto_score:g}")
    baseline_cells = run.cells[baseline_student(attack.baseline)]
    won = {
        f"{nb}/{gid}": score
        for (nb, gid), score in run.cells[attack.name].items()
        if score > baseline_cells.get((nb, gid), 0.0)
    }
    if won:
        problems.append(f"cells scored above the baseline: {won}")
    return problems


def outcome_problems(attack: Attack, run: Run) -> list[str]:
    result = run.records[attack.name]
    if result is None:
        return []
    problems = []
    if result.status not in attack.outcomes:
        expected = " or ".join(sorted(s.value for s in attack.outcomes))
        problems.append(f"status {result.status.value!r}, expected {expected}: {result.message or 'no message'}")
    if attack.says and not any(phrase in result.message for phrase in attack.says):
        problems.append(f"the message says none of {attack.says}: {result.message or 'no message'}")
    ran = sum(seconds for stage, seconds in result.stages.items() if stage not in (PREPARE, FINALIZE))
    if attack.most_seconds is not None and ran > attack.most_seconds:
        problems.append(f"its notebooks ran {ran:.0f} s in all, more than {attack.most_seconds:g} s")
    unnamed = [cell for cell in attack.names if cell not in result.message]
    if unnamed:
        problems.append(f"the message does not name {unnamed}: {result.message or 'no message'}")
    return problems


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_attack_gains_nothing_and_touches_nothing(attack: Attack, attack_run: AttackRun) -> None:
    problems = gains(attack, attack_run.attacked) + outcome_problems(attack, attack_run.attacked)
    problems += attack_run.collateral
    assert not problems, f"{attack.name} ({attack.description}):\n" + "\n".join(problems)


@pytest.mark.parametrize("name", pages.RENDERED)
def test_attack_renders_inert_in_the_formgrader(name: str, attack_run: AttackRun) -> None:
    """Its graded notebooks, rendered as the formgrader renders them with the course's sanitizer line, keep
    no executable markup (``tests/browser/test_hostile_content.py`` shows in Chromium that nothing runs)."""
    folder = attack_run.attacked.course.autograded_dir(ASSIGNMENT, name)
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        page = formgrader_html(nb)
        acting, added = markup(student_part(page))[1], added_elements(page, formgrader_html(bare(nb)))
        assert acting == [] and added == [], f"{path.name}: {acting} {added}"


def test_no_exported_cell_is_a_formula(attack_run: AttackRun, tmp_path: Path) -> None:
    """grades.csv and canvas.csv of the attacked run: every cell a spreadsheet would run is neutralised."""
    course = attack_run.attacked.course
    cohort = load_cohort(course, ASSIGNMENT)
    rows = []
    for path in (write_grades_csv(cohort, tmp_path / "grades.csv"), write_canvas_csv(cohort, tmp_path / "canvas.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows += list(csv.reader(handle))
    cells = [cell for row in rows for cell in row]
    assert "'" + pages.FORMULA_ID in cells
    assert not [c for c in cells if c.lstrip(" \n").startswith(FORMULA_START) and not NUMBER.fullmatch(c)]


def test_the_machine_keeps_its_memory_and_disk(attack_run: AttackRun, capsys: pytest.CaptureFixture[str]) -> None:
    """Whatever the attacks wrote where (6 GB into /tmp, 6 GB into their folders), the machine's available memory
    and free disk never fell by more than the jobs' bounds times the workers, and what else a run needs."""
    run = attack_run.attacked
    gib = 1 << 30
    bound = WORKERS * (MEMORY_MB << 20) + HEADROOM
    with capsys.disabled():
        print(f"\nattacks: available memory fell by at most {run.memory_drop / gib:.2f} GiB (bound "
              f"{bound / gib:.2f}), free disk by {run.disk_drop / gib:.2f} GiB "
              f"(bound {HEADROOM / gib:.2f})")  # fmt: skip
    assert run.memory_drop <= bound, f"available memory fell by {run.memory_drop / gib:.1f} GiB"
    assert run.disk_drop <= HEADROOM, f"free disk fell by {run.disk_drop / gib:.1f} GiB"


@dataclass
class NbgraderRun:
    """``nbgrader autograde`` with the course's config on the attacked cohort: each student's total (None: not in the
    gradebook) and the grading records it wrote (for the submissions it refused)."""

    totals: dict[str, float | None]
    records: dict[str, SubmissionResult | None]
    failure: str = ""


def gradebook_totals(course: Course, students: list[str]) -> dict[str, float | None]:
    totals: dict[str, float | None] = {}
    with Gradebook(course.gradebook_url()) as gb:
        for student in students:
            try:
                totals[student] = gb.find_submission(ASSIGNMENT, student).score
            except MissingEntry:
                totals[student] = None
    return totals


SLOW_BY_DESIGN = {a.name for a in limits.ATTACKS} - {"sleeps_past_the_timeout", "memory_bomb"}
"""The attacks on the sandbox's limits that take their whole limit (a loop, a stopped process, a flood): the same
zygote stops them on both paths (this module's run and ``tests/jail/test_sandbox.py`` show it), and nbgrader's
command grades one notebook at a time, so they would cost it minutes; one timeout and one memory bomb stay."""
THROUGH_NBGRADER = [a for a in ATTACKS if a.name not in SLOW_BY_DESIGN]


@pytest.fixture(scope="module")
def nbgrader_run(attack_run: AttackRun, tmp_path_factory: pytest.TempPathFactory) -> NbgraderRun:
    course, students = attacked_course(tmp_path_factory.mktemp("nbgrader"), THROUGH_NBGRADER)
    share_secret(attack_run.clean.course, course)
    nbgrader = Path(sys.executable).with_name("nbgrader")
    log = course.root / "nbgrader.log"
    failure = ""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(nbgrader), "autograde", ASSIGNMENT],
            cwd=course.root,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            start_new_session=True,
        )
        try:
            proc.wait(timeout=NBGRADER_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            failure = f"nbgrader autograde took over {NBGRADER_SECONDS:g} s and was killed"
    # nbgrader autograde exits 1 when any submission failed (an attack's old metadata, a refused one): expected here
    names = sorted(students)
    records = {s: read_record(course.root / "autograded" / s / ASSIGNMENT) for s in names}
    return NbgraderRun(gradebook_totals(course, names), records, failure)


def test_nbgrader_autograde_scores_every_student_as_autograder_grade(
    attack_run: AttackRun, nbgrader_run: NbgraderRun
) -> None:
    """One pipeline: nbgrader's own command, with the course's config, gives every attack (but those
    :data:`SLOW_BY_DESIGN`) and every honest student the total ``autograder grade`` gives. One deliberate
    difference: a submission that the intake refuses an entry of (a link, a FIFO, a socket, a device) is ``error``
    on both, but nbgrader's command cannot grade the rest of it (nbgrader's copy of the folder would follow the
    link or read the FIFO before any step of ours), so it is not graded there at all (no score: 0), where
    ``autograder grade`` grades the rest."""
    assert not nbgrader_run.failure, nbgrader_run.failure
    baseline_of = {a.name: baseline_student(a.baseline) for a in ATTACKS}
    differ, refused = [], []
    for student, total in nbgrader_run.totals.items():
        ours = attack_run.attacked.records[student]
        record = nbgrader_run.records[student]
        if total is None and record is not None and record.status is Status.ERROR and "was refused" in record.message:
            refused.append(student)
            assert ours is not None and ours.status is Status.ERROR, f"{student}: refused by nbgrader's path only"
            continue
        if Status.TIMEOUT in {r.status for r in (ours, record) if r is not None}:
            # stopped by a wall-clock limit: where it stopped depends on the machine's load at the time, so the two
            # runs may cut it at different cells; neither may score above the same submission without the attack
            base = attack_run.clean.records.get(baseline_of.get(student, student))
            assert base is not None
            assert (total or 0) <= base.auto_score and (ours is None or ours.auto_score <= base.auto_score), student
            continue
        if ours is None or total != ours.auto_score:
            differ.append(f"{student}: nbgrader autograde {total}, autograder grade {ours and ours.auto_score}")
    assert differ == [], "\n".join(differ)
    planted = {a.name for a in ATTACKS if a.submission.plant is not None and a.outcomes == {Status.ERROR}}
    assert set(refused) == planted
