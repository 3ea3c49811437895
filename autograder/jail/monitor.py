"""The zygote's watch over one running job: its pipes, its deadlines, its limits, and the reply it sends.

The zygote forks a child for each job (:mod:`autograder.jail.zygote`), then a :class:`Monitor` waits on the
child's three pipes (its progress marks, its questions for the grader, its reply) and stops it when it runs
past the notebook's limit or one step's, fills /tmp or its folder, uses too much memory, asks something it may
not or sends more than the grader accepts. What it saw becomes the job's :class:`RunResult`.
"""

from __future__ import annotations

import json
import os
import select
import signal
import struct
import time
from typing import Any

from autograder.jail import relay, timing, watchdog
from autograder.jail.protocol import HEADER, Limits, RunResult, RunStatus

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


def timeout_message(limits: Limits, whole: bool, last_cell: int) -> str:
    """Why a job was stopped for time: the whole notebook's limit, or one step's (a cell or its check)."""
    if whole:
        return f"the notebook ran longer than {limits.notebook_timeout:g} s and was stopped"
    where = f"cell {last_cell + 1}" if last_cell >= 0 else "the notebook's start"
    return (
        f"{where} ran longer than {limits.cell_timeout:g} s (c.Execute.timeout) without answering the grader's"
        " timer and was stopped"
    )


def ended_early(limits: Limits, wait_status: int) -> tuple[RunStatus, str]:
    """Why a child that closed its pipes without a whole reply ended: out of CPU time, a signal, or an exit."""
    if os.WIFSIGNALED(wait_status) and os.WTERMSIG(wait_status) == signal.SIGXCPU:
        return RunStatus.TIMEOUT, f"the notebook used more than {limits.cpu_seconds:g} s of CPU time and was stopped"
    if os.WIFSIGNALED(wait_status):
        return RunStatus.CRASHED, f"the notebook's process was killed by signal {os.WTERMSIG(wait_status)}"
    return RunStatus.CRASHED, f"the notebook's process exited early (status {os.WEXITSTATUS(wait_status)})"


class Monitor:
    """What the zygote knows of one running child while it waits on its pipes: the deadlines (the notebook's, and
    the current step's, moved on by every sign of life), the cells it started, the reply received so far, and
    why it was stopped (:attr:`status` is no longer ``OK`` once it is to be stopped)."""

    def __init__(
        self,
        limits: Limits,
        pid: int,
        timeline: timing.Timeline,
        spaces: list[watchdog.Space],
        references: relay.Relay,
        pipes: tuple[int, int, int],
    ) -> None:
        self.limits, self.pid, self.timeline, self.spaces, self.references = limits, pid, timeline, spaces, references
        self.output_fd, self.progress_fd, self.ask_fd = pipes
        """The read ends of the child's pipes: its reply, its progress marks, its questions for the grader."""
        self.open_fds = set(pipes)
        self.status, self.message = RunStatus.OK, ""
        self.last_cell = -1
        self.flooded = False
        self.cells_started: list[int] = []
        self.chunks: list[bytes] = []
        self.received = 0
        self.cap = limits.output_bytes * 4 + 10_000_000
        """The most bytes of reply accepted."""
        self.deadline = timeline.started + limits.notebook_timeout
        self.step_deadline = timeline.started + limits.cell_timeout + STEP_GRACE
        self.inherited = watchdog.inherited_rss()
        self.memory_limit = self.inherited + RESERVE_BYTES + limits.memory_mb * 1024 * 1024

    @property
    def stopped(self) -> bool:
        return self.status is not RunStatus.OK

    def stop(self, status: RunStatus, message: str) -> None:
        self.status, self.message = status, message

    def watch(self) -> None:
        """Wait on the child's pipes until it has closed them all, or it is to be stopped."""
        while self.open_fds and not self.stopped:
            remaining = self.check_limits()
            if self.stopped:
                return
            ready, _, _ = select.select(list(self.open_fds), [], [], min(remaining, WATCH_INTERVAL))
            self.on_ready(ready)

    def check_limits(self) -> float:
        """Stop the child if it is past a deadline, or over its space or its memory; the seconds to the next
        deadline."""
        now = time.monotonic()
        remaining = min(self.deadline, self.step_deadline) - now
        if remaining <= 0:
            self.stop(RunStatus.TIMEOUT, timeout_message(self.limits, now >= self.deadline, self.last_cell))
            return remaining
        used = [space.used() for space in self.spaces]
        full = [space for space, held in zip(self.spaces, used, strict=True) if space.full(held)]
        if full:
            space = full[0]
            self.stop(
                RunStatus.DISK,
                f"the notebook filled {space.what} ({space.limit() / 2**20:g} MiB, {space.setting}) and was stopped",
            )
            return remaining
        in_memory = sum(held for space, held in zip(self.spaces, used, strict=True) if space.mounted)
        if watchdog.jobs_rss(self.pid, self.inherited) + in_memory > self.memory_limit:
            message = f"the notebook used more than {self.limits.memory_mb} MiB of memory"
            message += (
                " (its files in /tmp and its folder included) and was stopped" if in_memory else " and was stopped"
            )
            self.stop(RunStatus.MEMORY, message)
        return remaining

    def on_ready(self, ready: list[int]) -> None:
        """Read what the child sent on each ready pipe; any of it is a sign of life (a cell or a probe started, a
        question asked, the reply being sent), which gives the current step a new deadline."""
        if ready:
            self.step_deadline = time.monotonic() + self.limits.cell_timeout + STEP_GRACE
        for fd in ready:
            data = os.read(fd, 1 << 20)
            if not data:
                self.open_fds.discard(fd)
            elif fd == self.progress_fd:
                self.on_progress(data)
            elif fd == self.ask_fd:
                self.on_ask(data)
            else:
                self.on_output(data)
            if self.stopped:
                return

    def on_progress(self, data: bytes) -> None:
        """Progress marks: a cell's index as it starts, :data:`FLOODED` or :data:`PROBING`."""
        for (value,) in struct.iter_unpack(">i", data[: len(data) // 4 * 4]):
            self.flooded = self.flooded or value == FLOODED
            if value >= 0:
                self.last_cell = value
                self.timeline.cell(value)
                if len(self.cells_started) < MAX_STARTED:
                    self.cells_started.append(value)
            elif value == PROBING:
                self.timeline.probe()

    def on_ask(self, data: bytes) -> None:
        """A question for the grader (a reference input), relayed; a question it may not ask stops the child."""
        problem = self.references.feed(data)
        if problem:
            self.stop(RunStatus.CRASHED, f"{problem} and was stopped")

    def on_output(self, data: bytes) -> None:
        self.chunks.append(data)
        self.received += len(data)
        if self.received > self.cap:
            self.stop(RunStatus.OUTPUT_LIMIT, "the notebook produced more output than the grader accepts")

    def outcome(self, wait_status: int) -> tuple[RunResult, dict[str, Any] | None]:
        """Once the child is gone (``wait_status``): the run's result without its notebook, and the child's reply
        (the executed notebook, its observations) when it sent a whole one and was not stopped."""
        status, message = self.status, self.message
        if self.flooded and status is not RunStatus.OK:
            message += "; it had printed too much output (the rest was dropped)"
        stages = self.timeline.close()  # before the seconds: the stages never add up to more than the run
        seconds = time.monotonic() - self.timeline.started
        reply = None
        if status is RunStatus.OK:
            blob = b"".join(self.chunks)
            if len(blob) >= HEADER.size and HEADER.unpack(blob[: HEADER.size])[0] == len(blob) - HEADER.size:
                reply = json.loads(blob[HEADER.size :])
            else:
                status, message = ended_early(self.limits, wait_status)
        result = RunResult(status, None, message, seconds, self.last_cell, started=self.cells_started, stages=stages)
        return result, reply
