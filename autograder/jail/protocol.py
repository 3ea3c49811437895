"""The one protocol between the grader and a zygote: typed messages, framed as JSON.

Both sides import this module, and nothing else of each other. Every frame on
a pipe is an 8-byte big-endian length followed by JSON. The grader sends a
:class:`RunRequest` per notebook and gets one :class:`RunResult` back, which it
validates with :meth:`RunResult.from_reply` (the zygote shares a process tree
with student code, so a reply is untrusted until it has been checked).
"""

from __future__ import annotations

import json
import struct
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

HEADER = struct.Struct(">Q")
MAX_FRAME = 1 << 30
SANDBOX_ENV = "AUTOGRADER_SANDBOX"
"""Set (by :mod:`autograder.engine.sandbox`) only in the sandbox: JSON ``{"uid", "gid", "scratch", "job", "home"}``."""
ZYGOTE_MODULE = "autograder.jail.zygote"
"""What the grader runs (``python -m``) to start a zygote."""


STAGES = ("prefix", "cells", "probes")
"""What a zygote times in a run: the shared set-up (only in the run that ran it), the other cells, the probes."""


class RunStatus(StrEnum):
    """How one notebook run ended."""

    OK = "ok"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    CRASHED = "crashed"
    """The process died, or what came back was not a reply to this request."""
    OUTPUT_LIMIT = "output_limit"
    DISK = "disk"
    """The notebook filled /tmp or its own folder (``Limits.tmp_mb``, ``Limits.workdir_mb``)."""


@dataclass(frozen=True)
class Limits:
    """What one notebook run may use. Defaults are :class:`autograder.settings.Grader`'s."""

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
    tmp_mb: int = 512
    """What the notebook may keep in /tmp (MiB; in the sandbox only, where /tmp is its own)."""
    workdir_mb: int = 512
    """What the notebook's folder may hold (MiB): the submission's files and all it writes there."""


@dataclass(frozen=True)
class Setup:
    """The first frame a zygote reads: what to do once, before it forks a process per notebook."""

    preload: list[str] = field(default_factory=list)
    """Modules to import (``c.Grader.preload``)."""
    warm_up: str = ""
    """Code to run once in the grading shell (the file ``c.Grader.warm_up``)."""


@dataclass(frozen=True)
class Ready:
    """The zygote's answer to :class:`Setup`, once it is warm."""

    pid: int


@dataclass(frozen=True)
class Probe:
    """The grader's probe of one graded test cell, run right after it (see :mod:`autograder.jail.probing`)."""

    grade_id: str
    name: str
    """The probe function's name in ``source``."""
    source: str
    inputs: Any
    """This run's cases: plain JSON data."""


@dataclass(frozen=True)
class RunRequest:
    """Run one notebook in a fresh child of the zygote."""

    id: str
    """Echoed in the reply, so that a reply to another request is never taken for this one's."""
    notebook: dict[str, Any]
    workdir: str
    limits: Limits
    probes: list[Probe] = field(default_factory=list)
    prefix: int = 0
    """How many of the notebook's first code cells are the course's shared set-up (the grader checked them
    against ``source/``): a zygote may run them once and fork this notebook from the state after them."""
    prefix_key: str = ""
    """Names that set-up (a hash of its sources): notebooks with the same key share one run of it. Empty: the
    set-up runs in the notebook's own process (``c.Grader.shared_prefix = False``), timed apart."""

    def to_frame(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_frame(cls, frame: dict[str, Any]) -> RunRequest:
        """In the zygote: the request the grader sent (trusted: it comes from the grader)."""
        return cls(
            id=str(frame["id"]),
            notebook=frame["notebook"],
            workdir=str(frame["workdir"]),
            limits=Limits(**frame["limits"]),
            probes=[Probe(**p) for p in frame.get("probes") or []],
            prefix=int(frame.get("prefix") or 0),
            prefix_key=str(frame.get("prefix_key") or ""),
        )


@dataclass
class RunResult:
    """What happened to one notebook run."""

    status: RunStatus
    notebook: dict[str, Any] | None
    """The executed notebook (None if the child died before sending it)."""
    message: str = ""
    seconds: float = 0.0
    last_cell: int = -1
    """Index of the last cell the child started (for a timeout or crash)."""
    observations: dict[str, Any] | None = None
    """What the grader's probes saw, by grade id (see :mod:`autograder.jail.probing`); untrusted plain data."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds the zygote spent per stage (:data:`STAGES`), for the benchmark; untrusted, never scored."""

    def to_frame(self, request_id: str) -> dict[str, Any]:
        return {**asdict(self), "status": self.status.value, "job": request_id}

    @classmethod
    def from_reply(cls, frame: dict[str, Any] | None, request_id: str) -> RunResult | None:
        """The reply to ``request_id``, validated; None if it is not one (wrong id, fields or types)."""
        if not isinstance(frame, dict) or frame.get("job") != request_id:
            return None
        try:
            status = RunStatus(frame["status"])
        except (KeyError, ValueError):
            return None
        notebook, observations = frame.get("notebook"), frame.get("observations")
        message, seconds, last_cell = frame.get("message", ""), frame.get("seconds", 0.0), frame.get("last_cell", -1)
        if notebook is not None and not isinstance(notebook, dict):
            return None
        if observations is not None and not isinstance(observations, dict):
            return None
        if not isinstance(message, str) or type(seconds) not in (int, float) or type(last_cell) is not int:
            return None
        timings = frame.get("timings") or {}
        if not isinstance(timings, dict) or any(
            name not in STAGES or type(value) not in (int, float) for name, value in timings.items()
        ):
            return None
        return cls(status, notebook, message, float(seconds), last_cell, observations, {**timings})

    @classmethod
    def failed(cls, message: str) -> RunResult:
        return cls(status=RunStatus.CRASHED, notebook=None, message=message)


def zygote_env() -> dict[str, str]:
    """The variables the zygote needs on top of (or, in the sandbox, instead of) the grader's environment."""
    return {
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONUNBUFFERED": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }


def encode_frame(payload: dict[str, Any]) -> bytes:
    data = json.dumps(payload).encode()
    return HEADER.pack(len(data)) + data


def write_frame(stream: IO[bytes], payload: dict[str, Any]) -> None:
    stream.write(encode_frame(payload))
    stream.flush()


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
    result = json.loads(data)
    if not isinstance(result, dict):
        raise ValueError("a frame that is not a JSON object")
    return result
