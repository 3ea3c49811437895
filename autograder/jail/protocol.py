"""The one protocol between the grader and a zygote: typed messages, framed as JSON.

Both sides import this module, and nothing else of each other. Every frame on
a pipe is an 8-byte big-endian length followed by JSON. The grader sends a
:class:`RunRequest` per notebook and gets one :class:`RunResult` back, which it
validates with :meth:`RunResult.from_reply` (the zygote shares a process tree
with student code, so a reply is untrusted until it has been checked).

Between the two, each probe that swaps references in sends an :class:`Ask`
(the observations made so far, and its grade id); the grader keeps those
observations as final and answers with a :class:`References` frame, which
the zygote passes to the child unread and then wipes.
"""

from __future__ import annotations

import json
import re
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
    """How many of the notebook's leading code cells are the release's locked set-up cells, unchanged (the
    grader compared them with the gradebook's): the zygote may run those once for every notebook that
    starts with them (:mod:`autograder.jail.prefix`)."""

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
            prefix=int(frame.get("prefix", 0)),
        )


@dataclass(frozen=True)
class Ask:
    """A probe that swaps references in asks for them, with every observation the child has made so far."""

    job: str
    grade_id: str
    observations: dict[str, Any]

    def to_frame(self) -> dict[str, Any]:
        return {"ask": self.grade_id, "job": self.job, "observations": self.observations}

    @classmethod
    def from_frame(cls, frame: dict[str, Any], request_id: str) -> Ask | None:
        """The ask in ``frame``, if it is one for ``request_id`` (its observations still untrusted)."""
        gid, observations = frame.get("ask"), frame.get("observations")
        if frame.get("job") != request_id or not isinstance(gid, str) or not isinstance(observations, dict):
            return None
        return cls(request_id, gid, observations)


@dataclass(frozen=True)
class References:
    """The grader's answer to an :class:`Ask`: the reference source of each function the probe swaps in."""

    sources: dict[str, str]

    def to_frame(self) -> dict[str, Any]:
        return {"references": self.sources}

    @classmethod
    def from_frame(cls, frame: dict[str, Any] | None) -> dict[str, str]:
        """In the child: the sources, or none if the frame is not a :class:`References` one."""
        sources = (frame or {}).get("references")
        if not isinstance(sources, dict):
            return {}
        return {k: v for k, v in sources.items() if isinstance(k, str) and isinstance(v, str)}


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
    started: list[int] = field(default_factory=list)
    """Indices of the cells the child said it started, in order (to check a reply against)."""
    stages: dict[str, float] = field(default_factory=dict)
    """Seconds per stage of the run (:mod:`autograder.jail.timing`), stamped by the supervisor."""

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
        started = frame.get("started", [])
        if notebook is not None and not isinstance(notebook, dict):
            return None
        if observations is not None and not isinstance(observations, dict):
            return None
        if not isinstance(message, str) or type(seconds) not in (int, float) or type(last_cell) is not int:
            return None
        if not isinstance(started, list) or not all(type(i) is int for i in started):
            return None
        stages = frame.get("stages", {})
        if not isinstance(stages, dict) or not all(type(s) in (int, float) for s in stages.values()):
            return None
        return cls(status, notebook, message, float(seconds), last_cell, observations, started, stages)

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


UNWRITABLE = re.compile("[\ud800-\udfff\x00]")
"""What a notebook's text may hold in memory but no file, database or page can take as it is: code points of
lone surrogates (``print("\\udc80")``; UTF-8 cannot encode them) and NUL (PostgreSQL's text refuses it)."""
REPLACEMENT = "\ufffd"
"""What each of them becomes: the visible replacement character."""


def scrub(value: Any) -> Any:
    """``value`` with every :data:`UNWRITABLE` character of its strings (keys too) replaced by U+FFFD, in place for
    dicts and lists: whatever bytes a submission produced, the grader can write them anywhere."""
    if isinstance(value, str):
        return UNWRITABLE.sub(REPLACEMENT, value)
    if isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = scrub(item)
    elif isinstance(value, dict):
        for key in list(value):
            item = scrub(value[key])
            if isinstance(key, str) and UNWRITABLE.search(key):
                del value[key]
                key = scrub(key)
            value[key] = item
    return value


def may_need_scrub(data: bytes) -> bool:
    """Whether JSON text ``data`` may hold a lone surrogate or a NUL (only as escapes: JSON's UTF-8 cannot)."""
    return b"\\u0000" in data or b"\\ud" in data or b"\\uD" in data


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
    return scrub(result) if may_need_scrub(data) else result
