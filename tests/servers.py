"""Real servers for the tests, on loopback only, and the courses they grade.

:func:`postgres_server` and :func:`dask_cluster` are context managers that
stop every process they started when they exit, also after a failure.
Processes are found through ``/proc``: a snapshot of a process tree taken
before stopping it tells afterwards what was left running.

The PostgreSQL and Dask tests compare their scores with those of the same
cohort graded here with the default SQLite gradebook and local workers:
:func:`sqlite_baseline` grades it once per test run (shared by xdist workers).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from filelock import FileLock
from nbgrader.api import Gradebook

from autograder.course import Course
from autograder.samples import Variant
from demo.cohort import SAMPLE_COHORT
from tests.helpers import ROOT, released_course, run_cli

LOOPBACK = "127.0.0.1"
VENV_BIN = Path(sys.executable).parent
STOP_TIMEOUT = 15.0
"""Seconds a server gets to exit after SIGTERM (or ``pg_ctl stop``) before it is killed."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


# --- processes, from /proc -----------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    """One process as ``/proc/PID/stat`` describes it."""

    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str
    start: int
    """Start time in clock ticks since boot: with the pid, it names the process (pids are reused)."""
    cmdline: str


def read_proc(pid: int) -> Proc | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name in parentheses may hold spaces
    return Proc(
        pid=pid,
        ppid=int(fields[1]),
        pgid=int(fields[2]),
        sid=int(fields[3]),
        state=fields[0],
        start=int(fields[19]),
        cmdline=cmdline,
    )


def all_processes() -> dict[int, Proc]:
    found = (read_proc(int(entry)) for entry in os.listdir("/proc") if entry.isdigit())
    return {p.pid: p for p in found if p is not None}


def family(roots: Iterable[int]) -> dict[int, Proc]:
    """The live processes descended from ``roots``, or in their process groups or sessions (roots included)."""
    procs = all_processes()
    leaders = {pid for pid in roots if pid in procs}
    members = {pid for pid, p in procs.items() if p.pgid in leaders or p.sid in leaders} | leaders
    while True:
        children = {pid for pid, p in procs.items() if p.ppid in members} - members
        if not children:
            return {pid: procs[pid] for pid in members}
        members |= children


def still_running(snapshot: Mapping[int, Proc]) -> list[Proc]:
    """The processes of ``snapshot`` that are still alive (zombies count as gone)."""
    left = []
    for old in snapshot.values():
        now = read_proc(old.pid)
        if now is not None and now.start == old.start and now.state != "Z":
            left.append(now)
    return left


def kill_left(snapshot: Mapping[int, Proc], grace: float = 3.0, timeout: float = 5.0) -> list[Proc]:
    """SIGKILL what is left of ``snapshot`` after ``grace`` seconds; return what was left then.

    The grace lets processes that die with their parent (``PR_SET_PDEATHSIG``) go first.
    """
    deadline = time.monotonic() + grace
    while still_running(snapshot) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = still_running(snapshot)
    for proc in left:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while still_running(snapshot) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def stop_groups(procs: Iterable[subprocess.Popen[bytes]], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM the process group of each (each leads its own), then SIGKILL the groups still there."""
    procs = list(procs)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for proc in procs:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, sig)
        deadline = time.monotonic() + timeout
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
        if all(proc.returncode is not None for proc in procs):
            # the leaders are gone; their groups may not be (a child that ignored SIGTERM)
            for proc in procs:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
            return


def listening(pids: Iterable[int]) -> list[tuple[str, int, int]]:
    """The TCP sockets the processes ``pids`` listen on, as ``(address, port, pid)``."""
    inodes: dict[str, int] = {}
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, PermissionError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes[target[8:-1]] = pid
    found = []
    for table, af in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state != "0A" or inode not in inodes:  # 0A: LISTEN
                    continue
                address, port = local.split(":")
                raw = bytes.fromhex(address)
                raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))  # little-endian words
                found.append((socket.inet_ntop(af, raw), int(port, 16), inodes[inode]))
    return found


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"({path} was not written)"


# --- PostgreSQL ----------------------------------------------------------------------


def postgres_bindir() -> Path:
    """Where ``initdb``, ``pg_ctl`` and ``createdb`` are: Debian's newest ``/usr/lib/postgresql/N/bin``, or PATH."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if candidates:
        return candidates[-1].parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent  # a symlink in /usr/local/bin: createdb is next to the target
    raise RuntimeError("PostgreSQL is not installed (no initdb): run `bash scripts/system-deps.sh` as root")


def _as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the ``postgres`` system user."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _run(argv: list[str], what: str, timeout: float = 120) -> None:
    done = subprocess.run(_as_postgres(argv), capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()}")


@dataclass
class Postgres:
    """A running PostgreSQL server of a test."""

    port: int
    data: Path
    database: str

    def url(self, driver: str | None = "psycopg2") -> str:
        """``postgresql+DRIVER://postgres@127.0.0.1:PORT/DATABASE``, for nbgrader's ``db_url``.

        The driver is explicit by default: for a bare ``postgresql://`` SQLAlchemy
        2.1 picks psycopg 3, while this project installs psycopg2.
        """
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://postgres@{LOOPBACK}:{self.port}/{self.database}"


@contextlib.contextmanager
def postgres_server(database: str = "gradebook") -> Iterator[Postgres]:
    """A fresh PostgreSQL server on 127.0.0.1 (trust auth, sockets in its own temp folder), then stopped."""
    bindir = postgres_bindir()
    base = Path(tempfile.mkdtemp(prefix="pg-"))  # not pytest's tmp_path: the postgres user must reach it
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
    data, log = base / "data", base / "server.log"
    port = free_port()
    server = Postgres(port=port, data=data, database=database)
    try:
        _run(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
            "initdb",
        )
        options = f"-h {LOOPBACK} -p {port} -k {base} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try:
            _run(
                [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start"],
                "pg_ctl start",
            )
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\nserver log:\n{tail(log)}") from None
        _run([str(bindir / "createdb"), "-h", LOOPBACK, "-p", str(port), "-U", "postgres", database], "createdb")
        yield server
    finally:
        stop_postgres(bindir, data)
        shutil.rmtree(base, ignore_errors=True)


def postmaster_pid(data: Path) -> int | None:
    try:
        return int((data / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def stop_postgres(bindir: Path, data: Path) -> list[Proc]:
    """``pg_ctl stop -m immediate``, then SIGKILL whatever of the server is left; returns what was left."""
    pid = postmaster_pid(data)
    if pid is None:
        return []
    snapshot = family([pid])  # the postmaster and its children (each child runs in a session of its own)
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run(
            _as_postgres(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", str(int(STOP_TIMEOUT)), "stop"]
            ),
            capture_output=True,
            timeout=STOP_TIMEOUT + 5,
            check=False,
        )
    return kill_left(snapshot)


# --- Dask ----------------------------------------------------------------------------

LOOPBACK_HTTP = ("--dashboard-address", f"{LOOPBACK}:0")
"""Without the dashboard, scheduler and workers still serve /health and /metrics, by default on every interface."""


@dataclass
class DaskCluster:
    """A running ``dask scheduler`` and its ``dask worker`` processes."""

    address: str
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    left_running: list[Proc] = field(default_factory=list)
    """After the cluster stopped: the processes that survived SIGTERM/SIGKILL of their process groups."""
    stopped: dict[int, Proc] = field(default_factory=dict)
    """After the cluster stopped: every process it had just before (scheduler, nannies, workers, zygotes)."""

    @property
    def worker_pids(self) -> set[int]:
        """The ``dask worker`` commands (each a nanny, with the worker process under it)."""
        return {p.pid for p in self.processes if "worker" in p.args}

    def processes_now(self) -> dict[int, Proc]:
        """The scheduler, the workers and everything they started."""
        return family(p.pid for p in self.processes)

    def logs_text(self) -> str:
        return "\n".join(f"--- {log.name}\n{tail(log)}" for log in sorted(self.logs.glob("*.log")))


def _spawn(argv: list[str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    with log.open("wb") as out:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # its own process group: stopping it takes its children along
        )


def _wait_for_workers(cluster: DaskCluster, count: int, timeout: float) -> None:
    from distributed import Client

    deadline = time.monotonic() + timeout
    while True:
        dead = [p.args for p in cluster.processes if p.poll() is not None]
        if dead:
            raise RuntimeError(f"a Dask process exited early: {dead}\n{cluster.logs_text()}")
        try:
            with Client(cluster.address, timeout=5) as client:
                if len(client.scheduler_info().get("workers", {})) >= count:
                    return
        except OSError:
            pass  # the scheduler is not listening yet
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Dask cluster did not get {count} workers in {timeout:g} s\n{cluster.logs_text()}")
        time.sleep(0.5)


@contextlib.contextmanager
def dask_cluster(workdir: Path, workers: int = 2, timeout: float = 60) -> Iterator[DaskCluster]:
    """``dask scheduler`` and ``workers`` one-thread ``dask worker`` processes on 127.0.0.1, then stopped.

    On exit every process group is sent SIGTERM, then SIGKILL after a timeout;
    the processes that outlived that are recorded in ``left_running`` (and killed).
    Should the test process die without that (SIGKILL), the scheduler exits after
    10 idle minutes (``--idle-timeout``) and the workers a minute later (``--death-timeout``).
    """
    dask = str(VENV_BIN / "dask")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cluster = DaskCluster(address=f"tcp://{LOOPBACK}:{port}", logs=workdir)
    try:
        argv = [dask, "scheduler", "--host", LOOPBACK, "--port", str(port), "--no-dashboard", *LOOPBACK_HTTP,
                "--idle-timeout", "600s"]  # fmt: skip
        cluster.processes.append(_spawn(argv, workdir / "scheduler.log", workdir))
        for i in range(workers):
            scratch = workdir / f"worker-{i}"
            scratch.mkdir()
            argv = [dask, "worker", cluster.address, "--nthreads", "1", "--no-dashboard", *LOOPBACK_HTTP,
                    "--host", LOOPBACK, "--name", f"worker-{i}", "--local-directory", str(scratch),
                    "--death-timeout", "60"]  # fmt: skip
            cluster.processes.append(_spawn(argv, workdir / f"worker-{i}.log", workdir))
        _wait_for_workers(cluster, workers, timeout)
        yield cluster
    finally:
        cluster.stopped = cluster.processes_now()
        stop_groups(cluster.processes)
        cluster.left_running = kill_left(cluster.stopped)


# --- courses -------------------------------------------------------------------------

ASSIGNMENT = "week3"
COHORT: list[Variant] = [
    v
    for v in SAMPLE_COHORT
    if v.student in {"ada_reference", "ben_untouched_stub", "cai_forgets_zero_grad", "eli_relu_pairs_mixed"}
]
"""The reference, the stub and two mistakes (one per graded notebook)."""

Scores = dict[tuple[str, str, str], tuple[float | None, float, str]]
"""``{(student, notebook, grade_id): (score, max_score, cell_type)}``: every grade cell of every submission."""


def grade_cli(course: Course, *options: str) -> str:
    """``autograder grade week3 OPTIONS`` in the course, which must succeed; returns its output."""
    started = time.monotonic()
    graded = run_cli("grade", ASSIGNMENT, *options, cwd=course.root)
    assert graded.returncode == 0, graded.stderr
    assert "Traceback" not in graded.stderr, graded.stderr
    print(f"autograder grade {' '.join(options)} in {course.root.name}: {time.monotonic() - started:.1f} s")
    return graded.stdout


def scores(url: str) -> Scores:
    """Every grade cell's score in the gradebook at ``url``."""
    with Gradebook(url) as gb:
        return {
            (submission.student.id, nb.name, grade.name): (grade.score, float(grade.max_score), grade.cell_type)
            for submission in gb.find_assignment(ASSIGNMENT).submissions
            for nb in submission.notebooks
            for grade in nb.grades
        }


def only(scores: Scores, students: Iterable[str]) -> Scores:
    chosen = set(students)
    return {key: value for key, value in scores.items() if key[0] in chosen}


def auto_scores(scores: Scores) -> dict[str, float]:
    """Each student's auto-graded points."""
    totals: dict[str, float] = {}
    for (student, _, _), (score, _, cell_type) in scores.items():
        totals[student] = totals.get(student, 0.0) + ((score or 0.0) if cell_type == "code" else 0.0)
    return totals


def assert_spread_out(scores: Scores) -> None:
    """The comparison means something: the notebooks ran and the cohort's scores differ as they should."""
    auto = auto_scores(scores)
    max_auto = sum(
        m for (student, _, _), (_, m, kind) in scores.items() if student == "ada_reference" and kind == "code"
    )
    assert max_auto == 29 and auto["ada_reference"] == max_auto, auto
    mistakes = [auto[v.student] for v in COHORT if v.answers and v.student in auto]
    assert mistakes and all(auto["ben_untouched_stub"] < m < max_auto for m in mistakes), auto


DONE = ".done"
"""Written last into a shared course: it is complete."""


def shared_course(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Course:
    """A course built once per test run, also across xdist workers (in a folder they share, under a lock)."""
    base = factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / name
    with FileLock(str(shared / f"{name}.lock")):
        if not (root / DONE).exists():
            if root.exists():
                shutil.rmtree(root)
            build(root)
            (root / DONE).touch()
    return Course.load(root)


def copy_course(template: Course, dest: Path) -> Course:
    shutil.copytree(template.root, dest, ignore=shutil.ignore_patterns(DONE))
    return Course.load(dest)


def template_course(factory: pytest.TempPathFactory) -> Course:
    """The course released (SQLite gradebook) with :data:`COHORT` submitted, ungraded: copy it, do not grade it."""
    return shared_course(factory, "servers-template", lambda root: released_course(root, COHORT))


def sqlite_baseline(factory: pytest.TempPathFactory) -> Scores:
    """:data:`COHORT` graded with the default SQLite gradebook by two local workers (once per test run)."""

    def build(root: Path) -> None:
        grade_cli(copy_course(template_course(factory), root), "--workers", "2")

    course = shared_course(factory, "servers-sqlite-baseline", build)
    baseline = scores(course.gradebook_url())
    assert_spread_out(baseline)
    return baseline
