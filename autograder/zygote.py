"""A warm fork server: imports done once, a fresh forked child for every notebook.

``python -m autograder.zygote`` imports torch, matplotlib, ipywidgets and
IPython, builds the grading shell (:mod:`autograder.executor`), then serves
jobs read from stdin. For each job it forks a child that gets its own session,
private working directory and resource limits, runs the notebook and sends the
executed notebook back through a pipe. The zygote enforces the wall-clock
limit and the size of what comes back, and kills the child's whole process
group when it is done. The child never shares state with the next one: each
starts from the zygote's clean memory image.

Frames on every pipe are an 8-byte big-endian length followed by JSON.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import secrets
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

HEADER = struct.Struct(">Q")
RESERVE_BYTES = 96 * 1024 * 1024
WATCH_INTERVAL = 0.2
FLOODED = -2
"""Sent on the progress pipe (instead of a cell index) when the notebook's output is first cut."""
PRELOAD = ("numpy", "torch", "matplotlib.pyplot", "ipywidgets", "IPython")
SANDBOX_ENV = "AUTOGRADER_SANDBOX"
"""Set (by :mod:`autograder.sandbox`, to JSON ``{"uid", "gid", "scratch"}``) only inside the sandbox."""


def zygote_env() -> dict[str, str]:
    """The variables the zygote needs on top of (or, in the sandbox, instead of) the grader's environment."""
    return {
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONUNBUFFERED": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }


@functools.cache
def _sandbox() -> dict[str, Any] | None:
    """The sandbox's settings, if this zygote runs in one (pid 2 under bubblewrap's init), else None.

    First called in :func:`serve`, so that the forked children inherit the answer.
    """
    raw = os.environ.get(SANDBOX_ENV)
    if not raw or os.getpid() != 2:
        return None
    try:
        if Path("/proc/1/comm").read_text().strip() != "bwrap":
            return None
    except OSError:
        return None
    settings: dict[str, Any] = json.loads(raw)
    return settings


@dataclass(frozen=True)
class Limits:
    """What one notebook run may use. Defaults are :class:`autograder.settings.GraderSettings`'s."""

    cell_timeout: float = 60.0
    """Seconds one cell may run before it is interrupted."""
    notebook_timeout: float = 300.0
    """Seconds the whole notebook may run before its process is killed."""
    memory_mb: int = 2048
    """Memory (MiB) the child may allocate beyond what the warm zygote already maps."""
    output_bytes: int = 2_000_000
    """Output (text and images) one notebook may produce; the rest is dropped."""
    file_bytes: int = 50_000_000
    """Largest file the child may write."""
    cpu_seconds: float = 300.0
    """CPU time (seconds) each process of the notebook may use."""
    processes: int = 256
    """Processes and threads the notebook may run at once (enforced in the sandbox only)."""


@dataclass
class RunResult:
    """What happened to one notebook run."""

    status: str
    """``ok``, ``timeout``, ``memory``, ``crashed`` (the process died) or ``output_limit``."""
    notebook: dict[str, Any] | None
    """The executed notebook (None if the child died before sending it)."""
    message: str = ""
    seconds: float = 0.0
    last_cell: int = -1
    """Index of the last cell the child started (for a timeout or crash)."""
    observations: dict[str, Any] | None = None
    """What the grader's probes saw, by grade id (see :mod:`autograder.probing`); untrusted plain data."""


def write_frame(stream: IO[bytes], payload: dict[str, Any]) -> None:
    data = json.dumps(payload).encode()
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


MAX_FRAME = 1 << 30


def read_frame(stream: IO[bytes]) -> dict[str, Any] | None:
    """The next frame, or None at the end of the stream; ValueError for one that is not a sane frame."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    (size,) = HEADER.unpack(head)
    if size > MAX_FRAME:
        raise ValueError("a frame larger than the grader accepts")
    data = stream.read(size)
    if len(data) < size:
        return None
    result: dict[str, Any] = json.loads(data)
    return result


# --- inside the zygote ---------------------------------------------------------------


def _vm_size() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _drop_privileges(sandbox: dict[str, Any], workdir: Path, processes: int) -> None:
    """In the sandbox: give the job's folder to the sandbox user, become it (losing every capability), cap processes."""
    import resource

    uid, gid = int(sandbox["uid"]), int(sandbox["gid"])
    if os.getuid() == 0:
        for path in [workdir, *workdir.rglob("*")]:
            os.lchown(path, uid, gid)
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


def _cut_inherited_descriptors(keep: tuple[int, ...]) -> None:
    """Standard streams to /dev/null and every other inherited descriptor closed, except ``keep``.

    The zygote's stdin and stdout are its pipes to the grader: a job must not be able to read the
    next job or write a reply of its own.
    """
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    for entry in os.listdir("/proc/self/fd"):
        fd = int(entry)
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)


def _child(job: dict[str, Any], shell: Any, capture: Any, progress_fd: int, out_fd: int) -> None:
    import resource

    from autograder.executor import run_cells
    from autograder.probing import ProbeSchedule

    os.setsid()
    _cut_inherited_descriptors(keep=(progress_fd, out_fd))
    limits = Limits(**job["limits"])
    workdir = Path(job["workdir"])
    sandbox = _sandbox()
    if sandbox is not None:
        _drop_privileges(sandbox, workdir, limits.processes)
    os.chdir(workdir)
    os.environ["HOME"] = str(workdir)
    os.environ["MPLCONFIGDIR"] = str(workdir / ".matplotlib")
    reserve = bytearray(RESERVE_BYTES)  # released before the results are sent, so sending cannot run out
    address_space = _vm_size() + limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cpu = max(1, int(limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    capture.output_limit = limits.output_bytes

    def on_cell(index: int) -> None:
        os.write(progress_fd, struct.pack(">i", index))

    capture.on_truncate = lambda: os.write(progress_fd, struct.pack(">i", FLOODED))

    schedule = ProbeSchedule(job.get("probes") or [])
    nb = run_cells(shell, capture, job["notebook"], limits.cell_timeout, on_cell, schedule)
    del reserve
    reply = {"notebook": nb, "truncated": capture.truncated, "observations": schedule.observations}
    data = json.dumps(reply).encode()
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        written = os.write(out_fd, view)
        view = view[written:]


def _own_rss() -> int:
    """This process's resident memory: a forked child starts with (a shared copy of) it."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _processes() -> dict[int, tuple[int, int]]:
    """``{pid: (parent pid, resident bytes)}`` of every process this one can see."""
    page = os.sysconf("SC_PAGE_SIZE")
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            found[int(entry.name)] = (int(fields[1]), int(fields[21]) * page)
        except (OSError, IndexError, ValueError):
            continue
    return found


def _descendants(processes: dict[int, tuple[int, int]], root: int) -> list[int]:
    """Every process below ``root`` (the zygote reaps orphans, so a job's processes all stay below it)."""
    below: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        below.setdefault(parent, []).append(pid)
    found, stack = [], list(below.get(root, []))
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(below.get(pid, []))
    return found


def _private_bytes(pid: int, resident: int, inherited: int) -> int:
    """Memory only this process holds: pages it still shares with the zygote or its parent do not count.

    Read from ``smaps_rollup`` (the sandboxed zygote keeps ``CAP_SYS_PTRACE`` for that: a job's process
    changed user, so nobody else may read it); where it cannot be read, an estimate: its resident memory
    less what a fork inherits (``inherited``).
    """
    total = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return max(0, resident - inherited)
    return total


def _jobs_rss(child: int, inherited: int) -> int:
    """Memory (bytes) of the running job: the child's resident memory plus what each other process of
    the job holds privately, wherever it moved (a new session, a double fork)."""
    processes = _processes()
    others = [pid for pid in _descendants(processes, os.getpid()) if pid != child]
    own = processes.get(child, (0, 0))[1]
    return own + sum(_private_bytes(pid, processes[pid][1], inherited) for pid in others)


def _kill_jobs(pid: int) -> None:
    """Kill the job's process group and then every other process left below the zygote; reap them."""
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            target()
    for _ in range(3):
        left = _descendants(_processes(), os.getpid())
        if not left:
            break
        for other in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(other, signal.SIGKILL)
        _reap()


def _reap(patience: float = 2.0) -> None:
    """Collect the exit status of every process below the zygote that is gone or going (killed ones
    take a moment to die), so that none lingers as a zombie; stops early when none is left."""
    deadline = time.monotonic() + patience
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        if time.monotonic() > deadline:
            return
        time.sleep(0.01)


def _become_subreaper() -> None:
    """Orphans of a job (double forks, setsid) become the zygote's children, so the watchdog sees them."""
    import ctypes

    pr_set_child_subreaper = 36
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0)


def _clean_sandbox(sandbox: dict[str, Any]) -> None:
    """After a job in the sandbox: kill every process but this one and init, empty /tmp."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(-1, signal.SIGKILL)  # only this pid namespace: _sandbox() checked that we are pid 2 under bwrap
    _reap()
    scratch = Path(sandbox["scratch"])
    for entry in Path("/tmp").iterdir():
        if entry == scratch or entry in scratch.parents:
            continue  # the mount point of the scratch folder
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()


def _kill_and_wait(pid: int) -> tuple[int, int]:
    """Stop everything the job started; the child's own wait status."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
    waited = os.waitpid(pid, 0)
    _kill_jobs(pid)
    return waited


def _supervise(job: dict[str, Any], shell: Any, capture: Any) -> dict[str, Any]:
    limits = Limits(**job["limits"])
    out_r, out_w = os.pipe()
    prog_r, prog_w = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(out_r)
        os.close(prog_r)
        code = 0
        try:
            _child(job, shell, capture, prog_w, out_w)
        except BaseException:
            import traceback

            traceback.print_exc(file=sys.__stderr__)
            code = 70
        os._exit(code)
    os.close(out_w)
    os.close(prog_w)
    chunks: list[bytes] = []
    received = 0
    cap = limits.output_bytes * 4 + 10_000_000
    last_cell = -1
    flooded = False
    status, message = "ok", ""
    deadline = started + limits.notebook_timeout
    inherited = _own_rss()
    watch_limit = inherited + RESERVE_BYTES + limits.memory_mb * 1024 * 1024
    open_fds = {out_r, prog_r}
    while open_fds:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            status, message = "timeout", f"the notebook ran longer than {limits.notebook_timeout:g} s and was stopped"
            break
        if _jobs_rss(pid, inherited) > watch_limit:
            status = "memory"
            message = f"the notebook used more than {limits.memory_mb} MiB of memory and was stopped"
            break
        ready, _, _ = select.select(list(open_fds), [], [], min(remaining, WATCH_INTERVAL))
        for fd in ready:
            data = os.read(fd, 1 << 20)
            if not data:
                open_fds.discard(fd)
            elif fd == prog_r:
                for (value,) in struct.iter_unpack(">i", data[: len(data) // 4 * 4]):
                    flooded = flooded or value == FLOODED
                    last_cell = value if value >= 0 else last_cell
            else:
                chunks.append(data)
                received += len(data)
                if received > cap:
                    status, message = "output_limit", "the notebook produced more output than the grader accepts"
                    open_fds.clear()
                    break
    _, wait_status = _kill_and_wait(pid)
    os.close(out_r)
    os.close(prog_r)
    sandbox = _sandbox()
    if sandbox is not None:
        _clean_sandbox(sandbox)
    if flooded and status != "ok":
        message += "; it had printed too much output (the rest was dropped)"
    seconds = time.monotonic() - started
    notebook = None
    if status == "ok":
        blob = b"".join(chunks)
        if len(blob) >= HEADER.size and HEADER.unpack(blob[: HEADER.size])[0] == len(blob) - HEADER.size:
            notebook = json.loads(blob[HEADER.size :])
        else:
            status = "crashed"
            if os.WIFSIGNALED(wait_status) and os.WTERMSIG(wait_status) == signal.SIGXCPU:
                status = "timeout"
                message = f"the notebook used more than {limits.cpu_seconds:g} s of CPU time and was stopped"
            elif os.WIFSIGNALED(wait_status):
                message = f"the notebook's process was killed by signal {os.WTERMSIG(wait_status)}"
            else:
                message = f"the notebook's process exited early (status {os.WEXITSTATUS(wait_status)})"
    payload = asdict(RunResult(status=status, notebook=None, message=message, seconds=seconds, last_cell=last_cell))
    if notebook is not None:
        payload["notebook"] = notebook["notebook"]
        payload["observations"] = notebook.get("observations")
        if notebook.get("truncated"):
            payload["message"] = "output was truncated"
    return payload


def serve() -> None:
    """The zygote's main loop: warm up, then one job per frame on stdin until EOF."""
    import importlib

    _sandbox()  # decided here, in the zygote itself, before any fork: see _sandbox
    _become_subreaper()
    for module in PRELOAD:
        importlib.import_module(module)
    import torch

    torch.set_num_threads(1)
    from autograder.executor import Capture, build_shell, warm_up

    capture = Capture(Limits().output_bytes)
    shell = build_shell(capture)
    with contextlib.redirect_stdout(sys.stderr):
        warm_up(shell)
    if _sandbox() is not None:  # no history file: the jobs' user could not write it, the next job could read it
        history = shell.history_manager
        history._stop_save_thread()
        history.using_thread = False
        history.enabled = False
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the frames
    gc.collect()
    gc.freeze()  # what is here now stays shared with every child: their collections skip it, no copy-on-write
    write_frame(stdout, {"ready": True, "pid": os.getpid()})
    while True:
        job = read_frame(stdin)
        if job is None:
            return
        reply = _supervise(job, shell, capture)
        reply["job"] = job.get("id")
        write_frame(stdout, reply)


# --- in the grader -------------------------------------------------------------------


class Zygote:
    """A client for one zygote process; runs one notebook at a time."""

    def __init__(
        self, python: str | None = None, command_prefix: list[str] | None = None, scratch_dir: str | None = None
    ) -> None:
        self.python = python or sys.executable
        self.command_prefix = command_prefix or []
        self.scratch_dir = scratch_dir
        """Where each job's folder is made (the one folder a sandbox may write); default: the system's temp."""
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = dict(os.environ, **zygote_env())
        env["PYTHONPATH"] += os.pathsep + os.environ.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(
            [*self.command_prefix, self.python, "-m", "autograder.zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert self.proc.stdout is not None
        hello = read_frame(self.proc.stdout)
        if not hello or not hello.get("ready"):
            self.close()
            raise RuntimeError("the grading process did not start")

    def run(
        self,
        notebook: dict[str, Any],
        files: dict[str, bytes],
        limits: Limits,
        probes: list[dict[str, Any]] | None = None,
    ) -> RunResult:
        """Execute ``notebook`` in a fresh child, in a temporary folder holding ``files``.

        ``probes`` (see :mod:`autograder.probing`) are run before their graded cells.
        """
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        workdir = Path(tempfile.mkdtemp(prefix="grading-", dir=self.scratch_dir))
        try:
            for name, content in files.items():
                target = workdir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            try:
                job_id = secrets.token_hex(8)
                job = {
                    "id": job_id,
                    "notebook": notebook,
                    "workdir": str(workdir),
                    "limits": asdict(limits),
                    "probes": probes or [],
                }
                write_frame(self.proc.stdin, job)
                reply = read_frame(self.proc.stdout)
                result = None if reply is None or reply.pop("job", None) != job_id else RunResult(**reply)
            except (OSError, ValueError, TypeError):
                result = None
            if result is None:  # not this job's reply: this zygote cannot be trusted with the next one
                self.close()
                return RunResult(status="crashed", notebook=None, message="the grading process stopped unexpectedly")
            return result
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.stdin:
                with contextlib.suppress(OSError):
                    self.proc.stdin.close()
            self.proc.kill()  # it holds nothing worth a clean shutdown, and torch's takes a second
            self.proc.wait()
            self.proc = None


if __name__ == "__main__":
    serve()
