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
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from autograder.jail import prefix, relay, timing, watchdog
from autograder.jail.protocol import (
    HEADER,
    SANDBOX_ENV,
    Limits,
    Ready,
    RunRequest,
    RunResult,
    RunStatus,
    Setup,
    encode_frame,
    read_frame,
    write_frame,
)

RESERVE_BYTES = watchdog.RESERVE_BYTES
WATCH_INTERVAL = 0.2
FLOODED = -2
"""Sent on the progress pipe (instead of a cell index) when the notebook's output is first cut."""
PROBING = -3
"""Sent on the progress pipe when the probe of the cell last started begins (for :mod:`timing`)."""
MAX_STARTED = 100_000
"""Most cell starts kept for the reply (a notebook has at most ``c.Grader.max_cells`` cells)."""
STEP_GRACE = 5.0
"""Seconds past the cell timeout that a cell or probe may go without a sign of life before the zygote kills its
process: the job's own timer may not fire (the job stopped itself with SIGSTOP, or swallowed the interrupt)."""


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
    references: tuple[int, int],
    skip: int = 0,
) -> None:
    import resource
    import tempfile

    from autograder.jail.executor import run_cells
    from autograder.jail.probing import ProbeSchedule

    os.setsid()
    _cut_inherited_descriptors(keep=(progress_fd, out_fd, *references))
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

    def on_probe() -> None:
        os.write(progress_fd, struct.pack(">i", PROBING))

    schedule = ProbeSchedule([asdict(probe) for probe in job.probes])
    schedule.fetch = relay.asker(job.id, references, schedule.observations)
    nb = run_cells(shell, capture, job.notebook, limits.cell_timeout, on_cell, schedule, on_probe, skip)
    del reserve
    reply = {"notebook": nb, "truncated": capture.truncated, "observations": schedule.observations}
    relay.write_all(out_fd, encode_frame(reply))


def _become_subreaper() -> None:
    """Orphans of a job (double forks, setsid) become the zygote's children, so the watchdog sees them."""
    import ctypes

    pr_set_child_subreaper = 36
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0)


def _clean_sandbox(sandbox: dict[str, Any]) -> None:
    """After a job in the sandbox: kill every process but this one and init, empty /tmp and the job's folder."""
    # only this pid namespace (_sandbox() checked that the zygote is pid 2 under bwrap): all but init, the zygote
    # and its prefix holders (here, or, in a holder, the zygote's children: it runs no job of its own meanwhile)
    holders = watchdog.SPARED if os.getpid() == 2 else set(watchdog.children(2))
    watchdog.kill_all_but({1, 2, *holders})
    binds = [Path(sandbox["scratch"]), *map(Path, sandbox.get("binds", []))]
    _empty(Path("/tmp"), keep=set(binds))  # the mount points under /tmp stay (a checkout or a venv in /tmp)
    _empty(Path(sandbox["job"]))
    for path in binds:  # the folders above them as bubblewrap made them, whatever a job of the same user did
        for parent in path.parents:
            if parent.is_relative_to("/tmp") and parent != Path("/tmp"):
                with contextlib.suppress(OSError):
                    parent.chmod(0o755)


def binds_intact(sandbox: dict[str, Any]) -> bool:
    """Whether every folder the sandbox showed at start is still where it was (a job of the grader's own user
    could move the folders above one that lies in /tmp)."""
    return all(os.path.isdir(path) for path in sandbox.get("binds", []))


def _empty(folder: Path, keep: set[Path] | frozenset[Path] = frozenset()) -> None:
    """Remove everything in ``folder`` but the paths in ``keep`` and the folders above them, whatever modes the
    job left on its folders."""
    for entry in folder.iterdir():
        if entry in keep:
            continue
        if any(entry in path.parents for path in keep):
            _empty(entry, keep)
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


def _timeout_message(limits: Limits, whole: bool, last_cell: int) -> str:
    """Why a job was stopped for time: the whole notebook's limit, or one step's (a cell or its check)."""
    if whole:
        return f"the notebook ran longer than {limits.notebook_timeout:g} s and was stopped"
    where = f"cell {last_cell + 1}" if last_cell >= 0 else "the notebook's start"
    return (
        f"{where} ran longer than {limits.cell_timeout:g} s (c.Execute.timeout) without answering the grader's"
        " timer and was stopped"
    )


def _supervise(
    job: RunRequest, shell: Any, capture: Any, grader: tuple[int, IO[bytes]], shared: prefix.Shared | None = None
) -> dict[str, Any]:
    """Run the job in a fresh child and watch it; its reply. ``shared``: this is a prefix holder, which ran the
    notebook's first code cells already (the child skips them, their outputs are put back here)."""
    limits = job.limits
    sandbox = _sandbox()
    timeline = timing.Timeline(job.notebook)
    started = timeline.started
    workdir = Path(sandbox["job"]) if sandbox is not None else Path(job.workdir)
    if sandbox is not None:
        refused = _fill(workdir, Path(job.workdir))
        if refused:
            _clean_sandbox(sandbox)
            return RunResult(RunStatus.DISK, None, message=refused, seconds=time.monotonic() - started).to_frame(job.id)
    spaces = _spaces(limits, sandbox, workdir)
    out_r, out_w = os.pipe()
    prog_r, prog_w = os.pipe()
    ask_r, ask_w = os.pipe()
    answer_r, answer_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        for fd in (out_r, prog_r, ask_r, answer_w):
            os.close(fd)
        code = 0
        try:
            _child(job, workdir, shell, capture, prog_w, out_w, (ask_w, answer_r), len(shared.cells) if shared else 0)
        except BaseException:
            import traceback

            traceback.print_exc(file=sys.__stderr__)
            code = 70
        os._exit(code)
    for fd in (out_w, prog_w, ask_w, answer_r):
        os.close(fd)
    askers = {probe.grade_id for probe in job.probes if probe.inputs.get("substitute")}
    references = relay.Relay(job.id, askers, grader, answer_w)
    cells_started: list[int] = []
    chunks: list[bytes] = []
    received = 0
    cap = limits.output_bytes * 4 + 10_000_000
    last_cell = -1
    flooded = False
    status, message = RunStatus.OK, ""
    deadline = started + limits.notebook_timeout
    step_deadline = started + limits.cell_timeout + STEP_GRACE
    inherited = watchdog.own_rss()
    watch_limit = inherited + RESERVE_BYTES + limits.memory_mb * 1024 * 1024
    open_fds = {out_r, prog_r, ask_r}
    while open_fds:
        now = time.monotonic()
        remaining = min(deadline, step_deadline) - now
        if remaining <= 0:
            status, message = RunStatus.TIMEOUT, _timeout_message(limits, now >= deadline, last_cell)
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
        if ready:  # a sign of life: the child started a cell or a probe, asked, or is sending its reply
            step_deadline = time.monotonic() + limits.cell_timeout + STEP_GRACE
        for fd in ready:
            data = os.read(fd, 1 << 20)
            if not data:
                open_fds.discard(fd)
            elif fd == prog_r:
                for (value,) in struct.iter_unpack(">i", data[: len(data) // 4 * 4]):
                    flooded = flooded or value == FLOODED
                    last_cell = value if value >= 0 else last_cell
                    if value >= 0:
                        timeline.cell(value)
                    elif value == PROBING:
                        timeline.probe()
                    if value >= 0 and len(cells_started) < MAX_STARTED:
                        cells_started.append(value)
            elif fd == ask_r:
                problem = references.feed(data)
                if problem:
                    status, message = RunStatus.CRASHED, f"{problem} and was stopped"
                    open_fds.clear()
                    break
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
    for fd in (out_r, prog_r, ask_r, answer_w):
        os.close(fd)
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
    stages = timeline.close()
    payload = RunResult(status, None, message, seconds, last_cell, started=cells_started, stages=stages).to_frame(
        job.id
    )
    if notebook is not None:
        payload["notebook"] = notebook["notebook"]
        if shared is not None and isinstance(payload["notebook"], dict):
            shared.fill(payload["notebook"])
            payload["started"] = [*shared.cells, *payload["started"]]
        payload["observations"] = notebook.get("observations")
        if notebook.get("truncated"):
            payload["message"] = "output was truncated"
    return payload


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
    grader = (stdin.fileno(), stdout)
    holders = prefix.Holders(
        shell, capture, lambda job, shared: _supervise(job, shell, capture, grader, shared), _become_subreaper
    )
    try:
        while True:
            frame = read_frame(stdin)
            if frame is None:
                return
            job = RunRequest.from_frame(frame)
            reply = holders.run(job)
            write_frame(stdout, reply if reply is not None else _supervise(job, shell, capture, grader))
            if sandbox is not None and not binds_intact(sandbox):  # a job hid what the next one imports from:
                return  # the grader starts a new zygote for the next job
    finally:
        holders.close()


if __name__ == "__main__":
    serve()
