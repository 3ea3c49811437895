"""Feedback during the lab, measured on the hub with real accounts: a benchmark, not a timed test.

Usage: ``sudo make bench-feedback`` or ``sudo .venv/bin/python benchmarks/feedback.py [--students 30]``.

It lays out a hub as ``tests/hub`` does (real Unix accounts of its own, JupyterHub on 127.0.0.1, the feedback
service as the hub's managed service run as the instructor), with no limit on attempts in the course's config,
and times each attempt from its student's ``nbgrader submit`` returning to its feedback being fetchable: the
moment every page that student's ``nbgrader fetch_feedback`` looks for (nbgrader's hash of the submission's
secret and the notebook's id) is in the exchange. At the end every student runs ``nbgrader fetch_feedback``
and must find one feedback per attempt.

1. One student alone, ``--attempts`` attempts one after another: the median.
2. A burst: every student submits once within ``--spread`` seconds (the reference, the stub, the sample
   cohort's and the catalogue's mistakes, mixed): p95 and max.
3. A second burst, with ``kill -9`` of the service in its middle; the hub starts it again (JupyterHub restarts
   a managed service that exits): attempts lost (no feedback fetched) and graded twice (a result written
   more than once), over all the attempts of the run.
4. Every on-submit score against ``autograder grade --force`` of the same notebooks (each distinct set of
   notebooks graded once, in a course of its own): the scores that differ.
5. For reference, stock nbgrader's steps for one student (``collect``, ``autograde``, ``generate_feedback``,
   ``release_feedback``) in a copy of the course whose config hands nothing to ``autograder``.

Its last line: ``feedback: single median S s, burst p95 P s, lost L, graded twice T, differ D, stock R s``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.feedback.attempts import Attempt, State, Store  # noqa: E402
from autograder.samples import Variant, build, stock_config  # noqa: E402
from demo.cohort import SAMPLE_COHORT  # noqa: E402
from hub import accounts, deploy, server  # noqa: E402
from hub.accounts import Account  # noqa: E402
from hub.deploy import ASSIGNMENT, COURSE_ID, Deployment  # noqa: E402
from tests.course.catalogue.mistakes import MISTAKES  # noqa: E402

INSTRUCTOR = "fbteacher"
PREFIX = "fbs"
"""Accounts of its own (``fbs01`` ...), so that it never resets those of ``make hub`` or of ``tests/hub``."""
LIMITS = (
    "\n# benchmarks/feedback.py: no limit on attempts, so that every attempt is graded at once\n"
    "c.FeedbackService.attempts = 0\nc.FeedbackService.cooldown_seconds = 0\n"
)
TIMEOUT = 900.0


def variants(count: int) -> list[Variant]:
    """The reference, the stub, the sample cohort's mistakes and the catalogue's, mixed, ``count`` of them."""
    catalogue = [case.variant() for case in MISTAKES]
    step = max(1, len(catalogue) // max(1, count))
    mixed = [*SAMPLE_COHORT[:6], *catalogue[::step]]
    return [mixed[i % len(mixed)] for i in range(count)]


@dataclass
class Submission:
    """One attempt: who, which notebooks, when ``nbgrader submit`` returned and when its feedback was there."""

    student: str
    variant: str
    folder: str = ""
    returned: float = 0.0
    fetchable: float | None = None
    pages: tuple[Path, ...] = ()

    @property
    def latency(self) -> float | None:
        return None if self.fetchable is None else self.fetchable - self.returned


class Bench:
    def __init__(self, deployment: Deployment, hub: server.Hub) -> None:
        self.deployment, self.hub = deployment, hub
        self.inbound = deployment.exchange / COURSE_ID / "inbound"
        self.outbound = deployment.exchange / COURSE_ID / "feedback"
        self.all: list[Submission] = []
        self.lock = threading.Lock()

    def prepare(self, student: Account, variant: Variant) -> None:
        """The student's copy of the assignment, as if fetched and answered (``variant``), owned by them."""
        course = self.deployment.course
        folder = build(replace(variant, student=student.name), source_dir=course / "source" / ASSIGNMENT,
                       release_dir=course / "release" / ASSIGNMENT, dest=student.home / ASSIGNMENT)  # fmt: skip
        for path in [folder, *folder.rglob("*")]:
            os.lchown(path, student.uid, student.gid)

    def submit(self, student: Account, variant: Variant) -> Submission:
        """``nbgrader submit`` as the student; the attempt's inbound folder and feedback pages found."""
        self.prepare(student, variant)
        before = {p.name for p in self.inbound.glob(f"{student.name}+{ASSIGNMENT}+*")}
        self.deployment.run_as(student, "nbgrader", "submit", ASSIGNMENT, cwd=student.home)
        done = Submission(student.name, variant.student, returned=time.time())
        (folder,) = {p.name for p in self.inbound.glob(f"{student.name}+{ASSIGNMENT}+*")} - before
        secret = (self.inbound / folder / "submission_secret.txt").read_text()
        ids = sorted(p.stem for p in (self.inbound / folder).glob("*.ipynb"))
        done.folder = folder
        done.pages = tuple(self.outbound / f"{hashlib.md5((secret + i).encode()).hexdigest()}.html" for i in ids)
        with self.lock:
            self.all.append(done)
        return done

    @staticmethod
    def look(submissions: list[Submission]) -> bool:
        """Stamp each submission whose feedback has just become fetchable; whether all of them are."""
        for s in submissions:
            if s.fetchable is None and s.pages and all(p.exists() for p in s.pages):
                s.fetchable = time.time()
        return all(s.fetchable is not None for s in submissions)

    def wait(self, submissions: list[Submission], timeout: float = TIMEOUT) -> None:
        """Until every one's feedback is fetchable (polled every 0.1 s), or ``timeout``."""
        deadline = time.time() + timeout
        while time.time() < deadline and not self.look(submissions):
            time.sleep(0.1)

    def watch(self, submissions: list[Submission], done: threading.Event) -> threading.Thread:
        """Look at ``submissions`` (a list still growing) every 0.1 s until ``done``, in a thread of its own: an
        attempt's feedback is stamped when it appears, not when the last student's submit has returned."""

        def loop() -> None:
            while not done.wait(0.1):
                with self.lock:
                    now = list(submissions)
                self.look(now)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        return thread

    def burst(
        self, students: list[Account], kinds: list[Variant], spread: float, kill_at: float | None
    ) -> list[Submission]:
        """Each student submits once, the starts spread evenly over ``spread`` seconds; ``kill_at``: seconds
        after the first start, ``kill -9`` of the service."""
        out: list[Submission] = []
        start = time.time() + 1
        errors: list[BaseException] = []

        def one(i: int) -> None:
            time.sleep(max(0.0, start + i * spread / len(students) - time.time()))
            try:
                submission = self.submit(students[i], kinds[i])
                with self.lock:
                    out.append(submission)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(students))]
        for thread in threads:
            thread.start()
        submitted = threading.Event()
        watcher = self.watch(out, submitted)
        killed = None
        if kill_at is not None:
            time.sleep(max(0.0, start + kill_at - time.time()))
            killed = kill_service(self.deployment)
        for thread in threads:
            thread.join()
        submitted.set()
        watcher.join()
        if errors:
            raise errors[0]
        print(f"  {len(out)} submitted in {max(s.returned for s in out) - start:.1f} s", flush=True)
        if killed is not None:
            print(f"  killed the service (pid {killed}) {kill_at:.0f} s into the burst", flush=True)
            print(f"  the hub started it again: pid {wait_service(self.deployment, avoid=killed)}", flush=True)
        self.wait(out)
        return out


def service_pid(deployment: Deployment) -> int | None:
    """The feedback service's process (``autograder ... feedback serve``, run as the instructor)."""
    for proc in psutil.process_iter(["pid", "username", "cmdline"]):
        cmd = proc.info["cmdline"] or []
        mine = proc.info["username"] == deployment.instructor.name and "feedback" in cmd and "serve" in cmd
        if mine and any(part.endswith("autograder") for part in cmd[:2]):
            return int(proc.info["pid"])
    return None


def wait_service(deployment: Deployment, avoid: int | None = None, timeout: float = 120) -> int:
    deadline = time.time() + timeout
    while time.time() < deadline:
        pid = service_pid(deployment)
        if pid is not None and pid != avoid:
            return pid
        time.sleep(0.2)
    raise SystemExit(f"the feedback service did not (re)start within {timeout:.0f} s")


def kill_service(deployment: Deployment) -> int:
    pid = wait_service(deployment)
    os.kill(pid, signal.SIGKILL)
    return pid


def wait_ready(hub: server.Hub, starts: int = 1, timeout: float = 300) -> None:
    """Until the service's log line "grading new submissions" (in the hub's log) appeared ``starts`` times."""
    deadline = time.time() + timeout
    while hub.log().count("feedback: grading new submissions") < starts:
        if time.time() > deadline:
            raise SystemExit(f"the feedback service did not start: {hub.log()[-3000:]}")
        time.sleep(0.2)


def fetch_all(bench: Bench, students: list[Account]) -> int:
    """Every student's ``nbgrader fetch_feedback``: the attempts whose feedback it did not bring (lost)."""
    lost = 0
    for student in students:
        bench.deployment.run_as(student, "nbgrader", "fetch_feedback", ASSIGNMENT, cwd=student.home)
        fetched = student.home / ASSIGNMENT / "feedback"
        got = {d.name for d in fetched.iterdir()} if fetched.is_dir() else set()
        for s in (s for s in bench.all if s.student == student.name):
            timestamp = s.folder.split("+")[2]
            lost += timestamp not in got or not all((fetched / timestamp / f"{p}.html").exists() for p in ids(bench, s))
    return lost


def ids(bench: Bench, submission: Submission) -> list[str]:
    return sorted(p.stem for p in (bench.inbound / submission.folder).glob("*.ipynb"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def graded_scores(bench: Bench, workdir: Path) -> tuple[int, int, list[str]]:
    """Grade each distinct attempt's notebooks with ``autograder grade --force`` in a course of its own and
    compare with the on-submit scores: (attempts compared, distinct gradings, the differences)."""
    store = Store(bench.deployment.course / ".autograder" / "feedback")
    course = workdir / "regrade"
    course.mkdir()
    for name in deploy.COURSE_FILES:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, course / name)
    run([str(Path(sys.executable).parent / "autograder"), "release", ASSIGNMENT], course)
    by_content: dict[str, list[Attempt]] = {}
    for s in bench.all:
        folder = bench.inbound / s.folder
        notebooks = sorted(folder.glob("*.ipynb"))
        key = hashlib.sha256(b"".join(p.name.encode() + b"\0" + p.read_bytes() for p in notebooks)).hexdigest()[:12]
        if key not in by_content:
            dest = course / "submitted" / f"c{key}" / ASSIGNMENT
            dest.mkdir(parents=True)
            for path in notebooks:
                shutil.copy(path, dest / path.name)
        by_content.setdefault(key, []).append(store.attempts[s.folder])
    out = workdir / "grades.csv"
    run([str(Path(sys.executable).parent / "autograder"), "grade", ASSIGNMENT, "--force", "--csv", str(out)], course)
    with out.open() as handle:
        final = {row["student"]: float(row["auto_score"]) for row in csv.DictReader(handle)}
    differ = []
    for key, attempts in by_content.items():
        for attempt in attempts:
            if attempt.score is None or abs(attempt.score - final[f"c{key}"]) > 1e-6:
                differ.append(f"{attempt.folder}: on submit {attempt.score}, autograder grade {final[f'c{key}']}")
    return sum(len(a) for a in by_content.values()), len(by_content), differ


def run(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, env=quiet_env(cwd))
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {(done.stderr or done.stdout)[-3000:]}")
    return time.perf_counter() - started


def quiet_env(cwd: Path) -> dict[str, str]:
    """No Jupyter config but the course's own (root's ``~/.jupyter`` and ``/etc/jupyter`` left out)."""
    empty = cwd.parent / "jupyter-config"
    empty.mkdir(exist_ok=True)
    return dict(os.environ, JUPYTER_CONFIG_DIR=str(empty), JUPYTER_CONFIG_PATH=str(empty))


def stock_steps(workdir: Path) -> dict[str, float]:
    """Stock nbgrader's four steps for one student, in a course whose config hands nothing to ``autograder``."""
    from nbgrader.exchange.default.submit import ExchangeSubmit
    from traitlets.config import Config

    from autograder.course import Course
    from autograder.engine.release import generate_release
    from tests.feedback.lab import run as run_exchange

    course, exchange = workdir / "stock", workdir / "stock-exchange"
    course.mkdir()
    exchange.mkdir()
    for name in deploy.COURSE_FILES:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, course / name)
    generate_release(Course.load(course), ASSIGNMENT)  # the hidden tests written from the checks, as ours has them
    config = course / "nbgrader_config.py"
    config.write_text(stock_config(config.read_text()) + f'c.Exchange.root = "{exchange}"\n')
    bindir = Path(sys.executable).parent
    run([str(bindir / "nbgrader"), "release_assignment", ASSIGNMENT], course)
    home = workdir / "stock-student"
    build(SAMPLE_COHORT[2], source_dir=course / "source" / ASSIGNMENT, release_dir=course / "release" / ASSIGNMENT,
          dest=home / ASSIGNMENT)  # fmt: skip
    submit = Config()
    submit.Exchange.root, submit.Exchange.assignment_dir = str(exchange), str(home)
    submit.Exchange.cache = str(home / ".cache")
    submit.CourseDirectory.course_id, submit.CourseDirectory.assignment_id = COURSE_ID, ASSIGNMENT
    submit.CourseDirectory.student_id = "stock_student"
    run_exchange(ExchangeSubmit, submit)
    steps = ("collect", "autograde", "generate_feedback", "release_feedback")
    return {step: run([str(bindir / "nbgrader"), step, ASSIGNMENT], course) for step in steps}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30, help="students in each burst (accounts made)")
    parser.add_argument("--attempts", type=int, default=10, help="attempts of the student alone")
    parser.add_argument("--spread", type=float, default=30.0, help="seconds over which a burst's submits start")
    args = parser.parse_args(argv)
    accounts.require_root("benchmarks/feedback.py")
    names = [f"{PREFIX}{i:02d}" for i in range(1, args.students + 1)]
    people = accounts.sample_accounts(INSTRUCTOR, names)
    kinds = variants(args.students)
    print(f"machine: {psutil.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {args.students} student accounts",
          flush=True)  # fmt: skip
    root = Path(tempfile.mkdtemp(prefix="bench-feedback-"))
    workdir = Path(tempfile.mkdtemp(prefix="bench-feedback-work-"))
    try:
        started = time.perf_counter()
        for person in people:
            accounts.ensure(person, fresh_home=True)
        deployment = deploy.deploy(root, people)
        with (deployment.course / "nbgrader_config.py").open("a") as config:
            config.write(LIMITS)
        print(f"accounts and hub laid out in {time.perf_counter() - started:.0f} s", flush=True)
        try:
            with server.running(deployment) as hub:
                bench = Bench(deployment, hub)
                figures = measure(bench, deployment, hub, kinds, args)
        finally:
            deployment.close()
        stock = stock_steps(workdir)
        print("stock nbgrader, one student: " + ", ".join(f"{k} {v:.1f} s" for k, v in stock.items()))
        compared, distinct, differ = graded_scores(bench, workdir)
        print(f"scores: {compared} on-submit scores against autograder grade --force ({distinct} distinct sets "
              f"of notebooks): {len(differ)} differ")  # fmt: skip
        for line in differ:
            print(f"  differs: {line}")
        print(
            f"feedback: single median {figures.single:.1f} s, burst p95 {figures.p95:.1f} s, "
            f"lost {figures.lost}, graded twice {figures.twice}, differ {len(differ)}, "
            f"stock {sum(stock.values()):.1f} s"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
        for person in people:
            accounts.remove(person.name)
    return 0


@dataclass
class Figures:
    single: float
    p95: float
    lost: int
    twice: int


def measure(
    bench: Bench, deployment: Deployment, hub: server.Hub, kinds: list[Variant], args: argparse.Namespace
) -> Figures:
    """Phases 1-3 on the running hub: the figures, and the bench (its submissions) for the scores."""
    students = deployment.students
    wait_ready(hub)
    print("the service is warm; 1. one student alone", flush=True)
    alone = []
    for i in range(args.attempts):
        alone.append(bench.submit(students[0], kinds[i % len(kinds)]))
        bench.wait(alone[-1:], timeout=300)
    single = [s.latency for s in alone if s.latency is not None]
    print(f"  {len(single)}/{args.attempts} attempts: " + " ".join(f"{x:.1f}" for x in single), flush=True)
    print(f"2. a burst: {len(students)} students within {args.spread:.0f} s", flush=True)
    first = bench.burst(students, kinds, args.spread, kill_at=None)
    burst = [s.latency for s in first if s.latency is not None]
    print(f"  {len(burst)}/{len(first)} with feedback: p95 {percentile(burst, 0.95):.1f} s, max {max(burst):.1f} s, "
          f"median {statistics.median(burst):.1f} s", flush=True)  # fmt: skip
    print("3. a second burst, kill -9 of the service in its middle", flush=True)
    second = bench.burst(students, kinds[len(kinds) // 2 :] + kinds[: len(kinds) // 2], args.spread, args.spread / 2)
    late = [s.latency for s in second if s.latency is not None]
    print(f"  {len(late)}/{len(second)} with feedback: p95 {percentile(late, 0.95):.1f} s, max {max(late):.1f} s",
          flush=True)  # fmt: skip
    lost = fetch_all(bench, students)
    attempts = Store(deployment.course / ".autograder" / "feedback").attempts
    twice = sum(1 for s in bench.all if s.folder in attempts and attempts[s.folder].results > 1)
    ungraded = [
        s.folder for s in bench.all if attempts.get(s.folder) is None or attempts[s.folder].state != State.GRADED
    ]
    print(f"  over all {len(bench.all)} attempts: lost {lost} (fetch_feedback), graded twice {twice}, "
          f"not graded {len(ungraded)}", flush=True)  # fmt: skip
    return Figures(statistics.median(single), percentile(burst, 0.95), lost, twice)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
