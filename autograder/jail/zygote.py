"""The zygote: a warm fork server inside the sandbox, a fresh forked child for every notebook.

``python -m autograder.jail.zygote`` imports the libraries the course preloads,
builds the grading shell (:mod:`autograder.jail.executor`), then serves
:class:`~autograder.jail.protocol.RunRequest` frames read from stdin. For each
it forks a child that gets its own session, private working directory and
resource limits, runs the notebook and sends the executed notebook back
through a pipe. The zygote enforces the wall-clock limit, the memory limit
(:mod:`autograder.jail.watchdog`), the space of /tmp and of the job's folder
and the size of what comes back, and kills everything the job started when it
is done. No child shares state with the next one: each starts from the
zygote's clean memory image.

In the sandbox the job's folder is a size-limited tmpfs of the zygote's own
(``sandbox["job"]``): the zygote copies the files the grader put in the
request's folder into it before each job and empties it, and /tmp, after.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import select
import shutil
import signal
import struct
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autograder.jail import watchdog
from autograder.jail.protocol import (
    HEADER,
    SANDBOX_ENV,
    Limits,
    Ready,
    RunRequest,
    RunResult,
    RunStatus,
    Setup,
    read_frame,
    write_frame,
)

RESERVE_BYTES = watchdog.RESERVE_BYTES
WATCH_INTERVAL = 0.2
FLOODED = -2
"""Sent on the progress pipe (instead of a cell index) when the notebook's output is first cut."""


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


def _child(
    job: RunRequest,
    workdir: Path,
    shell: Any,
    capture: Any,
    progress_fd: int,
    out_fd: int,
    prefix: _Prefix | None = None,
) -> None:
    import resource
    import tempfile

    from autograder.jail.probing import ProbeSchedule

    os.setsid()
    _cut_inherited_descriptors(keep=(progress_fd, out_fd))
    limits = job.limits
    sandbox = _sandbox()
    if sandbox is not None:
        _drop_privileges(sandbox, workdir, limits.processes)
        watchdog.forbid_unseen_memory()
    else:  # /tmp is the machine's: temporary files go to the job's folder, which is measured
        (workdir / ".tmp").mkdir(exist_ok=True)
        os.environ["TMPDIR"] = tempfile.tempdir = str(workdir / ".tmp")
    os.chdir(workdir)
    os.environ["HOME"] = str(workdir)
    os.environ["MPLCONFIGDIR"] = str(workdir / ".matplotlib")
    os.environ["NBGRADER_EXECUTION"] = "autograde"  # as nbgrader's Execute sets it: notebooks may skip slow work
    reserve = bytearray(RESERVE_BYTES)  # released before the results are sent, so sending cannot run out
    address_space = _vm_size() - (prefix.mapped if prefix is not None else 0) + limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cpu = max(1, int(limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    capture.output_limit = limits.output_bytes

    def on_cell(index: int) -> None:
        os.write(progress_fd, struct.pack(">i", index))

    capture.on_truncate = lambda: os.write(progress_fd, struct.pack(">i", FLOODED))

    schedule = ProbeSchedule([asdict(probe) for probe in job.probes])
    timings: dict[str, float] = {}
    nb = _run_job_cells(job, shell, capture, on_cell, schedule, prefix, timings)
    del reserve
    reply = {"notebook": nb, "truncated": capture.truncated, "observations": schedule.observations, "timings": timings}
    data = json.dumps(reply).encode()
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        written = os.write(out_fd, view)
        view = view[written:]


def _become_subreaper() -> None:
    """Orphans of a job (double forks, setsid) become the zygote's children, so the watchdog sees them."""
    import ctypes

    pr_set_child_subreaper = 36
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0)


def _clean_sandbox(sandbox: dict[str, Any]) -> None:
    """After a job in the sandbox: kill every process but this one and init, empty /tmp and the job's folder."""
    if _HOLDERS or _IN_HOLDER:  # the zygote and the holders of shared set-ups stay
        _kill_jobs_sparing(sandbox)
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(-1, signal.SIGKILL)  # only this pid namespace: _sandbox() checked that we are pid 2 under bwrap
    watchdog.reap()
    scratch = Path(sandbox["scratch"])
    _empty(Path("/tmp"), keep={scratch, *scratch.parents})  # the mount point of the scratch folder stays
    _empty(Path(sandbox["job"]))


def _empty(folder: Path, keep: set[Path] | frozenset[Path] = frozenset()) -> None:
    """Remove everything in ``folder`` but ``keep``, whatever modes the job left on its folders."""
    for entry in folder.iterdir():
        if entry in keep:
            continue
        if not entry.is_dir() or entry.is_symlink():
            with contextlib.suppress(OSError):
                entry.unlink()
            continue
        with contextlib.suppress(OSError):
            entry.chmod(0o700)
        for parent, names, _ in os.walk(entry):  # folders it may not list or enter (without root's override)
            for name in names:
                path = os.path.join(parent, name)
                if not os.path.islink(path):
                    with contextlib.suppress(OSError):
                        os.chmod(path, 0o700)
        shutil.rmtree(entry, ignore_errors=True)


def _spaces(limits: Limits, sandbox: dict[str, Any] | None, workdir: Path) -> list[watchdog.Space]:
    """Where the job writes files, with their bounds: in the sandbox /tmp and its folder (tmpfs mounts), else its
    folder on disk (/tmp is then the machine's, and not measured)."""
    mounted = sandbox is not None
    folder = watchdog.Space(str(workdir), limits.workdir_mb << 20, "its folder", "c.Grader.workdir_mb", mounted)
    if not mounted:
        return [folder]
    return [watchdog.Space("/tmp", limits.tmp_mb << 20, "/tmp", "c.Grader.tmp_mb", mounted), folder]


def _fill(folder: Path, staging: Path) -> str:
    """Copy the job's files, which the grader left in ``staging``, into its folder; what went wrong, if anything."""
    try:
        shutil.copytree(staging, folder, symlinks=True, dirs_exist_ok=True)
    except (OSError, shutil.Error) as exc:
        return f"the submission's files do not fit in the notebook's folder (c.Grader.workdir_mb): {exc}"[:300]
    return ""


def _kill_and_wait(pid: int) -> tuple[int, int]:
    """Stop everything the job started; the child's own wait status."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
    waited = os.waitpid(pid, 0)
    watchdog.kill_jobs(pid)
    return waited


def _supervise(job: RunRequest, shell: Any, capture: Any, prefix: _Prefix | None = None) -> dict[str, Any]:
    limits = job.limits
    sandbox = _sandbox()
    started = time.monotonic()
    workdir = Path(sandbox["job"]) if sandbox is not None else Path(job.workdir)
    if sandbox is not None:
        refused = _fill(workdir, Path(job.workdir))
        if refused:
            _clean_sandbox(sandbox)
            return RunResult(RunStatus.DISK, None, message=refused, seconds=time.monotonic() - started).to_frame(job.id)
    spaces = _spaces(limits, sandbox, workdir)
    out_r, out_w = os.pipe()
    prog_r, prog_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(out_r)
        os.close(prog_r)
        code = 0
        try:
            _child(job, workdir, shell, capture, prog_w, out_w, prefix)
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
    status, message = RunStatus.OK, ""
    deadline = started + limits.notebook_timeout
    inherited = watchdog.own_rss()
    watch_limit = inherited + RESERVE_BYTES + limits.memory_mb * 1024 * 1024
    open_fds = {out_r, prog_r}
    while open_fds:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            status, message = (
                RunStatus.TIMEOUT,
                f"the notebook ran longer than {limits.notebook_timeout:g} s and was stopped",
            )
            break
        used = [space.used() for space in spaces]
        full = [space for space, held in zip(spaces, used, strict=True) if space.full(held)]
        if full:
            status = RunStatus.DISK
            space = full[0]
            message = (
                f"the notebook filled {space.what} ({space.limit() / 2**20:g} MiB, {space.setting}) and was stopped"
            )
            break
        in_memory = sum(held for space, held in zip(spaces, used, strict=True) if space.mounted)
        if watchdog.jobs_rss(pid, inherited) + in_memory > watch_limit:
            status = RunStatus.MEMORY
            message = f"the notebook used more than {limits.memory_mb} MiB of memory"
            message += (
                " (its files in /tmp and its folder included) and was stopped" if in_memory else " and was stopped"
            )
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
                    status, message = (
                        RunStatus.OUTPUT_LIMIT,
                        "the notebook produced more output than the grader accepts",
                    )
                    open_fds.clear()
                    break
    _, wait_status = _kill_and_wait(pid)
    os.close(out_r)
    os.close(prog_r)
    if sandbox is not None:
        _clean_sandbox(sandbox)
    if flooded and status is not RunStatus.OK:
        message += "; it had printed too much output (the rest was dropped)"
    seconds = time.monotonic() - started
    notebook = None
    if status is RunStatus.OK:
        blob = b"".join(chunks)
        if len(blob) >= HEADER.size and HEADER.unpack(blob[: HEADER.size])[0] == len(blob) - HEADER.size:
            notebook = json.loads(blob[HEADER.size :])
        else:
            status = RunStatus.CRASHED
            if os.WIFSIGNALED(wait_status) and os.WTERMSIG(wait_status) == signal.SIGXCPU:
                status = RunStatus.TIMEOUT
                message = f"the notebook used more than {limits.cpu_seconds:g} s of CPU time and was stopped"
            elif os.WIFSIGNALED(wait_status):
                message = f"the notebook's process was killed by signal {os.WTERMSIG(wait_status)}"
            else:
                message = f"the notebook's process exited early (status {os.WEXITSTATUS(wait_status)})"
    payload = RunResult(status, None, message=message, seconds=seconds, last_cell=last_cell).to_frame(job.id)
    if notebook is not None:
        payload["notebook"] = notebook["notebook"]
        payload["observations"] = notebook.get("observations")
        payload["timings"] = notebook.get("timings") or {}
        if notebook.get("truncated"):
            payload["message"] = "output was truncated"
    return payload


# The shared set-up. A notebook whose first code cells are the course's locked set-up cells, unchanged (the
# grader checked them against source/ and says how many, RunRequest.prefix), is not run from the clean zygote:
# a holder, forked from the clean zygote once per set-up (RunRequest.prefix_key), runs those cells, as a job
# would, and then supervises every such notebook, forked from the state after them. The set-up's outputs and
# execution counts are put into each notebook as if it had run them. The holder runs only course code, as the
# warm-up does; a set-up that fails, floods its output or leaves files where a job would see them is not shared
# (each notebook then runs in full).


@dataclass
class _Prefix:
    """The set-up as one holder ran it."""

    cells: list[tuple[int, list[dict[str, Any]]]]
    """Execution count and outputs of each set-up code cell, in order."""
    seconds: float
    mapped: int
    """Bytes of address space the set-up mapped: counted into each job's memory limit, as in a full run."""


@dataclass
class _Holder:
    pid: int
    requests: Any
    replies: Any
    seconds: float
    """How long the set-up took; reported with the first notebook the holder ran."""


_HOLDERS: dict[int, _Holder] = {}
"""The zygote's holders, by pid: the clean-up after a job spares them."""
_BY_KEY: dict[str, _Holder | None] = {}
"""The holder of each set-up; None for a set-up that cannot be shared (every such notebook runs in full)."""
_IN_HOLDER = False
"""True in a holder: its clean-up after a job spares the zygote and the other holders."""


def _prefix_end(nb: dict[str, Any], count: int) -> int | None:
    """The index of the cell after the notebook's first ``count`` code cells; None if it has fewer."""
    seen = 0
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code":
            seen += 1
            if seen == count:
                return index + 1
    return None


def _attach(nb: dict[str, Any], prefix: _Prefix) -> None:
    """Give the notebook's set-up cells the outputs and execution counts of the holder's run."""
    code = [cell for cell in nb.get("cells", []) if cell.get("cell_type") == "code"]
    for cell, (count, outputs) in zip(code, prefix.cells, strict=False):
        cell["execution_count"] = count
        cell["outputs"] = json.loads(json.dumps(outputs))


def _run_job_cells(
    job: RunRequest,
    shell: Any,
    capture: Any,
    on_cell: Any,
    schedule: Any,
    prefix: _Prefix | None,
    timings: dict[str, float],
) -> dict[str, Any]:
    """In a job's child: run the notebook, its set-up taken from ``prefix`` when the holder ran it; the seconds
    of each stage into ``timings``."""
    from autograder.jail.executor import run_cells

    nb, timeout = job.notebook, job.limits.cell_timeout
    end = _prefix_end(nb, job.prefix) if job.prefix > 0 else None
    started = time.perf_counter()
    if end is not None and prefix is not None:
        _attach(nb, prefix)
    elif end is not None:  # the set-up, run here: timed apart
        run_cells(shell, capture, nb, timeout, on_cell, schedule, stop=end, timings=timings)
        timings["prefix"] = time.perf_counter() - started
    rest = time.perf_counter()
    run_cells(shell, capture, nb, timeout, on_cell, schedule, start=end or 0, timings=timings)
    timings["cells"] = time.perf_counter() - rest - timings.get("probes", 0.0)
    return nb


def _run_prefix(job: RunRequest, shell: Any, capture: Any) -> _Prefix | None:
    """In a new holder: run the notebook's set-up cells in an empty folder of its own, as a job's child would;
    None if the set-up cannot be shared (an error, output cut, files left in its folder or in /tmp)."""
    import tempfile

    from autograder.jail.executor import run_cells

    end = _prefix_end(job.notebook, job.prefix)
    if end is None:
        return None
    sandbox = _sandbox()
    folder = Path(tempfile.mkdtemp(prefix="setup-", dir=sandbox["home"] if sandbox is not None else None))
    tmp_before = set(os.listdir("/tmp")) if sandbox is not None else set()
    os.chdir(folder)
    os.environ["HOME"] = str(folder)
    os.environ["MPLCONFIGDIR"] = str(folder / ".matplotlib")
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    capture.output_limit = job.limits.output_bytes
    nb = json.loads(json.dumps({"cells": job.notebook["cells"][:end]}))
    mapped = _vm_size()
    started = time.perf_counter()
    run_cells(shell, capture, nb, job.limits.cell_timeout, stop=end)
    seconds = time.perf_counter() - started
    code = [cell for cell in nb["cells"] if cell.get("cell_type") == "code"]
    failed = any(o.get("output_type") == "error" for cell in code for o in cell["outputs"])
    left = {entry.name for entry in folder.iterdir()} - {".matplotlib", ".tmp"}
    if sandbox is not None and set(os.listdir("/tmp")) != tmp_before:
        left.add("/tmp")
    shutil.rmtree(folder, ignore_errors=True)
    if failed or left or capture.truncated:
        return None
    gc.collect()
    gc.freeze()  # the set-up's objects stay shared with every job
    return _Prefix([(cell["execution_count"], cell["outputs"]) for cell in code], seconds, _vm_size() - mapped)


def _holder_main(job: RunRequest, shell: Any, capture: Any, requests_fd: int, replies_fd: int) -> None:
    """A holder: run the set-up, say whether it can be shared, then supervise one job per request."""
    global _IN_HOLDER
    _IN_HOLDER = True
    for holder in _HOLDERS.values():  # the other holders' pipes are none of this one's business
        holder.requests.close()
        holder.replies.close()
    _HOLDERS.clear()
    watchdog.SPARED.clear()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):  # the zygote's pipes to the grader
        os.dup2(null, fd)
    _become_subreaper()
    with contextlib.suppress(AttributeError, OSError):  # gone with the zygote
        ctypes_prctl = __import__("ctypes").CDLL(None, use_errno=True).prctl
        ctypes_prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    requests, replies = os.fdopen(requests_fd, "rb"), os.fdopen(replies_fd, "wb")
    prefix = _run_prefix(job, shell, capture)
    write_frame(replies, {"shared": prefix is not None, "seconds": prefix.seconds if prefix is not None else 0.0})
    if prefix is None:
        return
    while True:
        frame = read_frame(requests)
        if frame is None:
            return
        write_frame(replies, _supervise(RunRequest.from_frame(frame), shell, capture, prefix))


def _start_holder(job: RunRequest, shell: Any, capture: Any) -> _Holder | None:
    """Fork a holder for the job's set-up and wait until it has run it; None if it cannot be shared."""
    requests_r, requests_w = os.pipe()
    replies_r, replies_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(requests_w)
        os.close(replies_r)
        code = 0
        try:
            _holder_main(job, shell, capture, requests_r, replies_w)
        except BaseException:
            import traceback

            traceback.print_exc(file=sys.__stderr__)
            code = 70
        os._exit(code)
    os.close(requests_r)
    os.close(replies_w)
    holder = _Holder(pid, os.fdopen(requests_w, "wb"), os.fdopen(replies_r, "rb"), 0.0)
    _HOLDERS[pid] = holder
    watchdog.SPARED.add(pid)
    ready, _, _ = select.select([holder.replies], [], [], job.limits.notebook_timeout)
    ack = None
    if ready:
        with contextlib.suppress(OSError, ValueError):
            ack = read_frame(holder.replies)
    if not isinstance(ack, dict) or not ack.get("shared"):
        _stop_holder(holder)
        return None
    holder.seconds = float(ack.get("seconds") or 0.0)
    return holder


def _stop_holder(holder: _Holder) -> None:
    _HOLDERS.pop(holder.pid, None)
    watchdog.SPARED.discard(holder.pid)
    for stream in (holder.requests, holder.replies):
        with contextlib.suppress(OSError):
            stream.close()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(holder.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(holder.pid, 0)


def _run_shared(job: RunRequest, shell: Any, capture: Any) -> dict[str, Any] | None:
    """The reply to a job whose notebook begins with a shared set-up, run by that set-up's holder (started on
    first use); None where the set-up cannot be shared or its holder failed: the job then runs in full."""
    if job.prefix_key not in _BY_KEY:
        _BY_KEY[job.prefix_key] = _start_holder(job, shell, capture)
    holder = _BY_KEY[job.prefix_key]
    if holder is None:
        return None
    reply = None
    try:
        write_frame(holder.requests, job.to_frame())
        reply = read_frame(holder.replies)
    except (OSError, ValueError):
        reply = None
    if not isinstance(reply, dict):
        _BY_KEY[job.prefix_key] = None
        _stop_holder(holder)
        return None
    if holder.seconds:  # the set-up's time, once
        reply["timings"] = {**(reply.get("timings") or {}), "prefix": holder.seconds}
        holder.seconds = 0.0
    return reply


def _kill_jobs_sparing(sandbox: dict[str, Any]) -> None:
    """Kill every process of the jobs, but not the zygote or a holder: as root, everything the sandbox's user
    runs (every job's process became that user); then whatever is left below this process."""
    if os.getuid() == 0:
        helper = os.fork()
        if helper == 0:
            try:
                os.setgroups([])
                os.setgid(int(sandbox["gid"]))
                os.setuid(int(sandbox["uid"]))
                os.kill(-1, signal.SIGKILL)  # all the user's processes but this one
            finally:
                os._exit(0)
        os.waitpid(helper, 0)
    for _ in range(50):
        left = watchdog.descendants(watchdog.processes(), os.getpid())  # the holders are spared
        if not left:
            return
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        watchdog.reap(patience=0.2)


def serve() -> None:
    """The zygote's main loop: warm up, then one job per frame on stdin until EOF."""
    import importlib

    sandbox = _sandbox()  # decided here, in the zygote itself, before any fork: see _sandbox
    seed = Path(sandbox["scratch"], ".matplotlib") if sandbox is not None else None
    if seed is not None and seed.is_dir() and "MPLCONFIGDIR" in os.environ:  # the font cache, into a writable home
        shutil.copytree(seed, os.environ["MPLCONFIGDIR"], dirs_exist_ok=True)
    _become_subreaper()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    setup = Setup(**(read_frame(stdin) or {}))
    for module in setup.preload:
        importlib.import_module(module)
    from autograder.jail.executor import Capture, build_shell, warm_up

    capture = Capture(Limits().output_bytes)
    shell = build_shell(capture)
    with contextlib.redirect_stdout(sys.stderr):
        warm_up(shell, setup.warm_up)
    if _sandbox() is not None:  # no history file: the jobs' user could not write it, the next job could read it
        history = shell.history_manager
        history._stop_save_thread()
        history.using_thread = False
        history.enabled = False
    sys.stdout = sys.stderr  # stray prints must not corrupt the frames
    gc.collect()
    gc.freeze()  # what is here now stays shared with every child: their collections skip it, no copy-on-write
    write_frame(stdout, asdict(Ready(os.getpid())))
    while True:
        frame = read_frame(stdin)
        if frame is None:
            return
        job = RunRequest.from_frame(frame)
        reply = _run_shared(job, shell, capture) if job.prefix > 0 and job.prefix_key else None
        write_frame(stdout, reply if reply is not None else _supervise(job, shell, capture))


if __name__ == "__main__":
    serve()
