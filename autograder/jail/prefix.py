"""The shared set-up, run once per zygote: a holder process per prefix, forking each notebook that starts with it.

Most notebooks of a cohort begin with the same locked set-up cells (imports,
helpers, the data, the demonstrations), which nbgrader puts back as the
release has them. The grader says how many leading code cells of a notebook
are those cells, unchanged (``RunRequest.prefix``, compared with the
gradebook's source cells, never taken from the student's word). The zygote
then hands the job to a *holder*: a fork of itself that ran exactly those
cells once, and that forks each such job's child from the state after them.
The child runs the rest; the holder's supervisor puts the prefix's outputs
into the notebook it returns, as if the child had run them.

A prefix that fails, prints an error or writes a file is not shared: its
notebooks run in full, as do notebooks whose prefix is not the release's (a
cell inserted or edited among the set-up cells). The holder runs as the
zygote does (instructor code, before any privilege is dropped); its jobs run
as every other job.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from autograder.jail import watchdog
from autograder.jail.protocol import RunRequest, RunResult, RunStatus, read_frame, write_frame

MAX_HOLDERS = 4
"""Holders kept per zygote (one per notebook of an assignment, usually); the oldest goes first."""

Supervise = Callable[[RunRequest, "Shared | None"], dict[str, Any]]


@dataclass(frozen=True)
class Shared:
    """What a holder ran before forking the job: its code cells' indices in the job's notebook, their outputs."""

    cells: list[int]
    outputs: list[tuple[list[Any], int | None]]

    def fill(self, notebook: dict[str, Any]) -> None:
        """Put the prefix's outputs and execution counts into the notebook the child returned."""
        cells = notebook.get("cells", [])
        for index, (outputs, count) in zip(self.cells, self.outputs, strict=True):
            if 0 <= index < len(cells) and isinstance(cells[index], dict):
                cells[index]["outputs"] = copy.deepcopy(outputs)
                cells[index]["execution_count"] = count


def code_cells(notebook: dict[str, Any]) -> list[int]:
    return [i for i, c in enumerate(notebook.get("cells", [])) if c.get("cell_type") == "code"]


def key(job: RunRequest) -> str:
    cells = job.notebook.get("cells", [])
    sources = [str(cells[i].get("source", "")) for i in code_cells(job.notebook)[: job.prefix]]
    return hashlib.sha256("\0".join(sources).encode()).hexdigest()


@dataclass
class Holder:
    pid: int
    requests: IO[bytes]
    replies: IO[bytes]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.requests.close()
            self.replies.close()
        with contextlib.suppress(ChildProcessError, ProcessLookupError):
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        watchdog.SPARED.discard(self.pid)


class Holders:
    """The zygote's holders, by prefix; a job that none can take is run by the zygote itself (None)."""

    def __init__(self, shell: Any, capture: Any, supervise: Supervise, become_subreaper: Callable[[], None]) -> None:
        self.shell, self.capture, self.supervise = shell, capture, supervise
        self.become_subreaper = become_subreaper
        self.holders: dict[str, Holder] = {}
        self.unshared: set[str] = set()

    def run(self, job: RunRequest) -> dict[str, Any] | None:
        if job.prefix <= 0:
            return None
        name = key(job)
        if name in self.unshared:
            return None
        holder = self.holders.get(name) or self._start(job, name)
        if holder is None:
            return None
        try:
            write_frame(holder.requests, job.to_frame())
            reply = read_frame(holder.replies)
        except (OSError, ValueError):
            reply = None
        if reply is None:  # the holder is gone: this job counts as crashed, the next one starts a new holder
            holder.close()
            del self.holders[name]
            return RunResult(RunStatus.CRASHED, None, "the grading process stopped unexpectedly").to_frame(job.id)
        return reply

    def _start(self, job: RunRequest, name: str) -> Holder | None:
        while len(self.holders) >= MAX_HOLDERS:
            self.holders.pop(next(iter(self.holders))).close()
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(request_w)
            os.close(reply_r)
            code = 0
            try:
                self._serve(job, os.fdopen(request_r, "rb"), os.fdopen(reply_w, "wb"))
            except BaseException:
                code = 70
            os._exit(code)
        os.close(request_r)
        os.close(reply_w)
        holder = Holder(pid, os.fdopen(request_w, "wb"), os.fdopen(reply_r, "rb"))
        ready = holder.replies.read(1)
        if ready != b"1":
            holder.close()
            self.unshared.add(name)
            return None
        watchdog.SPARED.add(pid)
        self.holders[name] = holder
        return holder

    def _serve(self, first: RunRequest, requests: IO[bytes], replies: IO[bytes]) -> None:
        """In the holder: run the prefix once, say whether it can be shared, then supervise one job per frame."""
        from autograder.jail.executor import run_cells

        for other in self.holders.values():
            with contextlib.suppress(OSError):
                other.requests.close()
                other.replies.close()
        watchdog.SPARED.clear()
        self.become_subreaper()
        indices = code_cells(first.notebook)[: first.prefix]
        prefix = {"cells": [copy.deepcopy(first.notebook["cells"][i]) for i in indices]}
        folder = tempfile.mkdtemp(prefix="prefix-")
        here = os.getcwd()
        os.chdir(folder)
        try:
            run_cells(self.shell, self.capture, prefix, first.limits.cell_timeout)
        finally:
            os.chdir(here)
        wrote = bool(os.listdir(folder))
        with contextlib.suppress(OSError):
            os.rmdir(folder)
        failed = any(o.get("output_type") == "error" for c in prefix["cells"] for o in c.get("outputs", []))
        if failed or wrote or self.capture.truncated:
            replies.write(b"0")
            replies.flush()
            return
        outputs = [(c.get("outputs", []), c.get("execution_count")) for c in prefix["cells"]]
        gc.collect()
        gc.freeze()
        replies.write(b"1")
        replies.flush()
        while True:
            frame = read_frame(requests)
            if frame is None:
                return
            job = RunRequest.from_frame(frame)
            shared = Shared(code_cells(job.notebook)[: job.prefix], outputs)
            write_frame(replies, self.supervise(job, shared))

    def close(self) -> None:
        for holder in self.holders.values():
            holder.close()
        self.holders.clear()
