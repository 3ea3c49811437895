"""A probe's references, from the grader to the child only when it asks, and only through the zygote.

A check that swaps in the reference of a function already graded (a plot
check draws with the reference of a function graded in an earlier cell) needs that
reference's source in the child. It is never in the job the child starts
with. When such a probe runs, the child sends an *ask* on its own pipe: the
probe's grade id and every observation it has made so far. The zygote
(:class:`Relay`) checks that the ask names a probe that swaps references in,
once, and passes it up to the grader, which keeps those observations as final
(nothing the child says later replaces them) and answers with the sources.
The zygote reads that answer straight from its standard input into a buffer
of its own, writes it to the child's answer pipe and wipes the buffer: it
never parses the sources, so no copy of them is left in the zygote's memory
for a later child (forked from it) to find.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable
from typing import IO, Any

from autograder.jail.protocol import HEADER, MAX_FRAME, Ask, References, encode_frame, write_frame

MAX_ASK_BYTES = 64 << 20
"""Most bytes of asks one notebook may send (its observations are at most 2 MB a probe)."""
PIPE_BYTES = 1 << 20


def write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_exact(fd: int, buffer: bytearray) -> bool:
    """Fill ``buffer`` from ``fd``, reading straight into it (no copy elsewhere); False at the end of the stream."""
    view, got = memoryview(buffer), 0
    while got < len(buffer):
        n = os.readv(fd, [view[got:]])
        if n == 0:
            return False
        got += n
    return True


def asker(job_id: str, channel: tuple[int, int], observations: dict[str, Any]) -> Callable[[str], dict[str, str]]:
    """In the child: the probes' ``fetch`` (see :func:`autograder.jail.probing.run_probe`) over ``channel`` (the
    ask pipe's write end, the answer pipe's read end), sending ``observations`` as they are then."""
    ask_fd, answer_fd = channel

    def fetch(grade_id: str) -> dict[str, str]:
        write_all(ask_fd, encode_frame(Ask(job_id, grade_id, observations).to_frame()))
        head = bytearray(HEADER.size)
        if not read_exact(answer_fd, head):
            return {}
        body = bytearray(HEADER.unpack(head)[0])
        if not read_exact(answer_fd, body):
            return {}
        return References.from_frame(json.loads(body))

    return fetch


class Relay:
    """The zygote's end: asks from one child up to the grader, the grader's answers down to the child."""

    def __init__(self, job_id: str, askers: set[str], grader: tuple[int, IO[bytes]], answer_fd: int) -> None:
        self.job_id = job_id
        self.askers = set(askers)
        """Grade ids of the probes that swap references in: each may ask once."""
        self.grader_in, self.grader_out = grader
        self.answer_fd = answer_fd
        self.pending = bytearray()
        self.received = 0
        with_size = getattr(fcntl, "F_SETPIPE_SZ", None)
        if with_size is not None:
            with contextlib.suppress(OSError):
                fcntl.fcntl(answer_fd, with_size, PIPE_BYTES)
        fcntl.fcntl(answer_fd, fcntl.F_SETFL, fcntl.fcntl(answer_fd, fcntl.F_GETFL) | os.O_NONBLOCK)

    def feed(self, data: bytes) -> str:
        """Take bytes the child wrote on its ask pipe; relay each whole ask. What went wrong, if anything."""
        self.received += len(data)
        if self.received > MAX_ASK_BYTES:
            return "the notebook sent the grader more than it accepts"
        self.pending += data
        while len(self.pending) >= HEADER.size:
            (size,) = HEADER.unpack(self.pending[: HEADER.size])
            if size > MAX_ASK_BYTES:
                return "the notebook sent the grader more than it accepts"
            if len(self.pending) < HEADER.size + size:
                return ""
            body = bytes(self.pending[HEADER.size : HEADER.size + size])
            del self.pending[: HEADER.size + size]
            problem = self._relay(body)
            if problem:
                return problem
        return ""

    def _relay(self, body: bytes) -> str:
        try:
            frame = json.loads(body)
        except ValueError:
            frame = None
        ask = Ask.from_frame(frame, self.job_id) if isinstance(frame, dict) else None
        if ask is None or ask.grade_id not in self.askers:
            return "the notebook wrote to the grader's channel what no check of the grader asked"
        self.askers.discard(ask.grade_id)
        write_frame(self.grader_out, ask.to_frame())
        head = bytearray(HEADER.size)
        if not read_exact(self.grader_in, head):
            return "the grader did not answer"
        (size,) = HEADER.unpack(head)
        if size > MAX_FRAME:
            return "the grader's answer was too big"
        answer = bytearray(size)
        try:
            if not read_exact(self.grader_in, answer):
                return "the grader did not answer"
            write_all(self.answer_fd, head)
            write_all(self.answer_fd, answer)
        except BlockingIOError:
            return "the notebook did not take the grader's answer"
        finally:
            answer[:] = bytes(size)  # wiped: the next child is forked from this memory
        return ""
