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
request's folder into it before each job and empties it, and /tmp, after
(:mod:`autograder.jail.workspace`). :mod:`autograder.jail.monitor` watches each running child.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import shutil
import signal
import struct
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from autograder.jail import prefix, relay, timing, watchdog, workspace
from autograder.jail.monitor import FLOODED, PROBING, RESERVE_BYTES, Monitor
from autograder.jail.protocol import (
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


def _kill_and_wait(pid: int) -> tuple[int, int]:
    """Stop everything the job started; the child's own wait status."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
    waited = os.waitpid(pid, 0)
    watchdog.kill_jobs(pid)
    return waited


def _fork(job: RunRequest, workdir: Path, shell: Any, capture: Any, pipes: _Pipes, skip: int) -> int:
    """Fork the job's child, which runs the notebook (skipping its first ``skip`` code cells) and exits; its pid.

    Each side closes the ends of ``pipes`` that are the other's."""
    pid = os.fork()
    if pid == 0:  # the child
        for fd in pipes.parent_ends():
            os.close(fd)
        code = 0
        try:
            _child(job, workdir, shell, capture, pipes.progress[1], pipes.output[1], pipes.references, skip)
        except BaseException:
            import traceback

            traceback.print_exc(file=sys.__stderr__)
            code = 70
        os._exit(code)
    for fd in pipes.child_ends():
        os.close(fd)
    return pid


class _Pipes:
    """The pipes between the zygote and a job's child, each ``(read end, write end)``: the child's reply, its
    progress marks, its questions for the grader and the grader's answers."""

    def __init__(self) -> None:
        self.output, self.progress, self.ask, self.answer = os.pipe(), os.pipe(), os.pipe(), os.pipe()

    @property
    def references(self) -> tuple[int, int]:
        """The child's ends of the question and answer pipes."""
        return self.ask[1], self.answer[0]

    def parent_ends(self) -> tuple[int, ...]:
        return self.output[0], self.progress[0], self.ask[0], self.answer[1]

    def child_ends(self) -> tuple[int, ...]:
        return self.output[1], self.progress[1], self.ask[1], self.answer[0]


def _supervise(
    job: RunRequest, shell: Any, capture: Any, grader: tuple[int, IO[bytes]], shared: prefix.Shared | None = None
) -> dict[str, Any]:
    """Run the job in a fresh child and watch it; its reply. ``shared``: this is a prefix holder, which ran the
    notebook's first code cells already (the child skips them, their outputs are put back here)."""
    sandbox = _sandbox()
    timeline = timing.Timeline(job.notebook)
    workdir = Path(sandbox["job"]) if sandbox is not None else Path(job.workdir)
    if sandbox is not None:
        refused = workspace.fill(workdir, Path(job.workdir))
        if refused:
            workspace.clean(sandbox)
            seconds = time.monotonic() - timeline.started
            return RunResult(RunStatus.DISK, None, message=refused, seconds=seconds).to_frame(job.id)
    pipes = _Pipes()
    pid = _fork(job, workdir, shell, capture, pipes, len(shared.cells) if shared else 0)
    askers = {probe.grade_id for probe in job.probes if probe.inputs.get("substitute")}
    references = relay.Relay(job.id, askers, grader, pipes.answer[1])
    spaces = workspace.spaces(job.limits, sandbox, workdir)
    watch = Monitor(job.limits, pid, timeline, spaces, references, (pipes.output[0], pipes.progress[0], pipes.ask[0]))
    watch.watch()
    _, wait_status = _kill_and_wait(pid)
    for fd in pipes.parent_ends():
        os.close(fd)
    if sandbox is not None:
        workspace.clean(sandbox)
    result, reply = watch.outcome(wait_status)
    return _payload(job.id, result, reply, shared)


def _payload(
    job_id: str, result: RunResult, reply: dict[str, Any] | None, shared: prefix.Shared | None
) -> dict[str, Any]:
    """The frame that answers the job: ``result``, with the child's ``reply`` (the executed notebook, with the
    outputs of the cells a prefix holder ran put back, and the probes' observations) if it sent one."""
    payload = result.to_frame(job_id)
    if reply is not None:
        payload["notebook"] = reply["notebook"]
        if shared is not None and isinstance(payload["notebook"], dict):
            shared.fill(payload["notebook"])
            payload["started"] = [*shared.cells, *payload["started"]]
        payload["observations"] = reply.get("observations")
        if reply.get("truncated"):
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
            if sandbox is not None and not workspace.binds_intact(sandbox):  # a job hid what the next one imports from:
                return  # the grader starts a new zygote for the next job
    finally:
        holders.close()


if __name__ == "__main__":
    serve()
