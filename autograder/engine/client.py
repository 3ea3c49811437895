"""The grader's end of a zygote: start it (in its sandbox), send one notebook at a time, check the reply."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from autograder.jail.probing import ProbeSchedule
from autograder.jail.protocol import (
    ZYGOTE_MODULE,
    Ask,
    Limits,
    Probe,
    Ready,
    References,
    RunRequest,
    RunResult,
    RunStatus,
    Setup,
    read_frame,
    write_frame,
    zygote_env,
)

REPLY_GRACE = 15.0
"""Seconds past the notebook timeout that the grader waits for a zygote's reply before it kills the zygote: the
zygote's own watch ends every job before that, unless a job managed to stop the zygote itself."""
POLL_SECONDS = 0.5
"""How often the grader looks whether the zygote is still running while it waits for a reply."""


def _children(pid: int) -> list[int]:
    """The children of ``pid`` (empty if it is gone)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return found


def _stopped(pid: int) -> bool:
    """Whether ``pid`` is stopped by a signal or traced (state T or t in /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :][:1] in ("T", "t")


class Zygote:
    """A client for one zygote process; runs one notebook at a time."""

    def __init__(
        self,
        python: str | None = None,
        command_prefix: list[str] | None = None,
        scratch_dir: str | None = None,
        preload: Sequence[str] = (),
        warm_up: str = "",
    ) -> None:
        self.python = python or sys.executable
        self.preload = tuple(preload)
        """Modules the zygote imports before it forks (``c.Grader.preload``)."""
        self.warm_up = warm_up
        """Code the zygote runs once before it forks, so that no child repeats first-use work."""
        self.command_prefix = command_prefix or []
        self.scratch_dir = scratch_dir
        """Where each job's folder is made (the one folder a sandbox may write); default: the system's temp."""
        self.proc: subprocess.Popen[bytes] | None = None
        self.own_pids: list[int] = []
        self.stalled = ""
        """Why the last run's zygote was killed while the grader waited (empty: it was not)."""

    def start(self) -> None:
        """Start the zygote and wait until it is warm."""
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the zygote without waiting for it (:meth:`wait_ready` does): several warm up at once. Call it from
        a thread that outlives the zygote: bubblewrap's ``--die-with-parent`` follows the thread that started it."""
        env = dict(os.environ, **zygote_env())
        env["PYTHONPATH"] += os.pathsep + os.environ.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(
            [*self.command_prefix, self.python, "-m", ZYGOTE_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert self.proc.stdin is not None
        try:
            write_frame(self.proc.stdin, asdict(Setup(list(self.preload), self.warm_up)))
        except OSError:
            self.close()
            raise RuntimeError("the grading process did not start") from None

    def wait_ready(self) -> None:
        """Wait until the launched zygote says it is warm."""
        assert self.proc is not None and self.proc.stdout is not None
        try:
            Ready(**(read_frame(self.proc.stdout) or {}))
        except (OSError, ValueError, TypeError):
            self.close()
            raise RuntimeError("the grading process did not start") from None
        self.own_pids = self._own_pids()

    def _own_pids(self) -> list[int]:
        """The host pids of the zygote itself and, in a sandbox, of bubblewrap's processes above it: the processes
        whose stop would stall grading (a job's own processes are the zygote's to watch)."""
        assert self.proc is not None
        pids, level = [self.proc.pid], [self.proc.pid]
        for _ in range(2 if self.command_prefix else 0):  # bwrap, its init (pid 1 inside), the zygote (pid 2)
            level = [child for pid in level for child in _children(pid)][:1]
            pids += level
        return pids

    @contextlib.contextmanager
    def _watched(self, limits: Limits) -> Any:
        """While the block waits for a reply: kill the zygote if it is stopped (a job sent it SIGSTOP) or has not
        answered long after the notebook's time limit, so the read in the block ends; ``self.stalled`` says why."""
        done = threading.Event()
        self.stalled = ""
        deadline = time.monotonic() + limits.notebook_timeout + REPLY_GRACE

        def watch() -> None:
            while not done.wait(POLL_SECONDS):
                if any(_stopped(pid) for pid in self.own_pids):
                    self.stalled = "the notebook stopped the grader's process (SIGSTOP) and was stopped"
                elif time.monotonic() > deadline:
                    self.stalled = f"the grader's process did not answer within {limits.notebook_timeout:g} s"
                if self.stalled and self.proc is not None:
                    with contextlib.suppress(OSError):
                        self.proc.kill()
                    return

        watcher = threading.Thread(target=watch, name="zygote-watch", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            done.set()
            watcher.join()

    def run(
        self,
        notebook: dict[str, Any],
        files: dict[str, bytes],
        limits: Limits,
        probes: Sequence[Probe] = (),
        references: Mapping[str, Mapping[str, str]] | None = None,
        prefix: int = 0,
    ) -> RunResult:
        """Execute ``notebook`` in a fresh child, in a temporary folder holding ``files``.

        ``probes`` (see :mod:`autograder.jail.probing`) are run after their graded cells. A probe
        that swaps references in gets its sources from ``references`` (by grade id) only when it
        asks, and only after every earlier probe's observation is here and kept (see
        :mod:`autograder.jail.relay`).
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
            request = RunRequest(secrets.token_hex(8), notebook, str(workdir), limits, list(probes), prefix)
            try:
                with self._watched(limits):
                    write_frame(self.proc.stdin, request.to_frame())
                    result = self._answer_asks(request, references or {})
            except (OSError, ValueError, TypeError):
                result = None
            if result is None:  # not this request's reply: this zygote cannot be trusted with the next one
                self.close()
                return RunResult.failed(self.stalled or "the grading process stopped unexpectedly")
            return checked_reply(request, result)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _answer_asks(self, request: RunRequest, references: Mapping[str, Mapping[str, str]]) -> RunResult | None:
        """Read frames until the run's result, answering each ask; the result, with the kept observations."""
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        order = [probe.grade_id for probe in request.probes]
        kept: dict[str, Any] = {}
        while True:
            frame = read_frame(self.proc.stdout)
            ask = Ask.from_frame(frame, request.id) if frame is not None and "ask" in frame else None
            if ask is None:
                result = RunResult.from_reply(frame, request.id)
                if result is not None and result.observations is not None:
                    later = {gid: seen for gid, seen in result.observations.items() if gid not in kept}
                    result.observations = later | {gid: seen for gid, seen in kept.items() if seen is not None}
                return result
            sources: dict[str, str] = {}
            if ask.grade_id in order and ask.grade_id not in kept:
                for gid in order[: order.index(ask.grade_id)]:  # final from now on, whatever comes later
                    kept.setdefault(gid, ask.observations.get(gid))
                sources = dict(references.get(ask.grade_id, {}))
            write_frame(self.proc.stdin, References(sources).to_frame())

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.stdin:
                with contextlib.suppress(OSError):
                    self.proc.stdin.close()
            self.proc.kill()  # it holds nothing worth a clean shutdown, and torch's takes a second
            self.proc.wait()
            self.proc = None


def checked_reply(request: RunRequest, result: RunResult) -> RunResult:
    """``result``, or a crash if its reply betrays that the notebook's own code wrote it: a code cell that comes
    back run though the child never said it started it, or no observation of a probe that was due (its cell
    started, in the grader's order). The child's own words, so a careful forger passes: see the README's threat
    model."""
    if result.status is not RunStatus.OK or result.notebook is None:
        return result
    cells = request.notebook.get("cells", [])
    came_back = result.notebook.get("cells", [])
    started = set(result.started)
    run = [i for i, cell in enumerate(came_back) if cell.get("cell_type") == "code" and cell.get("execution_count")]
    problem = ""
    if any(i not in started for i in run):
        problem = "cells came back run that it never started"
    else:
        schedule = ProbeSchedule([{"grade_id": probe.grade_id} for probe in request.probes])
        for index in result.started:
            cell = cells[index] if 0 <= index < len(cells) else {}
            due = schedule.due(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"))
            if due is not None and due["grade_id"] not in (result.observations or {}):
                problem = f"the grader's check of {due['grade_id']} was due and never reported"
                break
    if not problem:
        return result
    return RunResult(
        RunStatus.CRASHED,
        None,
        f"the notebook's reply does not match its run ({problem}): it was not graded from it",
        result.seconds,
        result.last_cell,
    )
