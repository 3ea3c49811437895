"""A probe's references reach the child only when it asks, after the earlier observations are kept; a reply the
notebook's own code wrote is not graded (see autograder/jail/relay.py and autograder/engine/client.py)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import torch

from autograder.checks import verdicts
from autograder.checks.api import call, compare
from autograder.engine.client import Zygote
from autograder.jail.protocol import Limits, RunResult

pytestmark = [pytest.mark.slow]

LIMITS = Limits(cell_timeout=20, notebook_timeout=60, memory_mb=800)


def shift(x, by):  # type: ignore[no-untyped-def]
    """reference-marker-5e1f"""
    return x + by


def shift_twice(x, by):  # type: ignore[no-untyped-def]
    return shift(shift(x, by), by)


SHIFT = compare("nb", "shift_works", function="shift", reference=shift, cases=[call(torch.tensor([1.0]), 2.0)])
TWICE = compare(
    "nb",
    "twice_works",
    function="twice",
    reference=shift_twice,
    cases=[call(torch.tensor([1.0]), 2.0)],
    substitute={"shift": shift},
)

SCAN = """
import ctypes

_libc = ctypes.CDLL(None)
_libc.memmem.restype = ctypes.c_void_p
_libc.memmem.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t]


def copies_of_the_reference():
    \"\"\"How many copies of the reference's marker this process holds anywhere in its writable memory.\"\"\"
    needle = bytearray(b"reference-")
    needle += b"marker-5e1f"  # built in place: the only copy of the whole marker is this buffer
    own = ctypes.addressof((ctypes.c_char * len(needle)).from_buffer(needle))
    with open("/proc/self/maps") as maps:
        regions = [line.split()[:2] for line in maps]
    hits = 0
    for span, perms in regions:
        if not perms.startswith("rw"):
            continue
        start, end = (int(a, 16) for a in span.split("-"))
        at = start
        while at < end:
            found = _libc.memmem(at, end - at, own, len(needle))
            if not found:
                break
            hits += found != own
            at = found + 1
    return hits


SEEN = []
"""

STUDENT = """
def shift(x, by):
    return x + by


def twice(x, by):
    SEEN.append(copies_of_the_reference())  # while the grader's check runs, with the reference swapped in
    return shift(shift(x, by), by)
"""

TAMPER = """
import gc

for _held in gc.get_objects():  # the child's record of what the probes saw: mark the first check failed
    if isinstance(_held, dict) and "shift_works" in _held and isinstance(_held["shift_works"], dict):
        _held["shift_works"] = {"probe_failed": "tampered after the references came"}
print("during", SEEN, "after", copies_of_the_reference())
"""


def cell(source: str, grade_id: str | None = None) -> dict[str, Any]:
    metadata = {"nbgrader": {"grade_id": grade_id, "grade": True, "points": 1}} if grade_id else {}
    return {
        "cell_type": "code",
        "source": textwrap.dedent(source),
        "metadata": metadata,
        "outputs": [],
        "execution_count": None,
    }


def notebook(*cells: dict[str, Any]) -> dict[str, Any]:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def printed(result: RunResult) -> str:
    assert result.notebook is not None, (result.status, result.message)
    return "".join(o.get("text", "") for c in result.notebook["cells"] for o in c["outputs"])


def test_the_reference_is_nowhere_in_the_child_until_its_probe_asks(zygote: Zygote) -> None:
    plan = verdicts.plan([SHIFT, TWICE], seed=1)
    nb = notebook(
        cell(SCAN + STUDENT),
        cell("pass", "shift_works"),
        cell("print('before', copies_of_the_reference())"),
        cell("pass", "twice_works"),
        cell(TAMPER),
    )
    result = zygote.run(nb, {}, LIMITS, plan.probes("nb"), plan.references("nb"))
    out = printed(result)
    assert "before 0\n" in out, out
    during = out.split("during ", 1)[1].split(" after", 1)[0]
    assert during not in ("[]", "[0]"), out  # the scan sees the reference once it is there: it could fail
    verdict = plan.judge("nb", result.observations)
    assert verdict["twice_works"].passed, verdict
    assert verdict["shift_works"].passed, "the observation kept when the references were sent stands"


def test_a_probe_gets_no_reference_it_was_not_declared_to_swap_in(zygote: Zygote) -> None:
    plan = verdicts.plan([SHIFT, TWICE], seed=1)
    probes = plan.probes("nb")
    nb = notebook(cell(SCAN + STUDENT), cell("pass", "shift_works"), cell("pass", "twice_works"))
    result = zygote.run(nb, {}, LIMITS, probes, {"twice_works": {}})
    assert result.status == "ok", result.message
    assert "the grader sent no reference for shift" in str(result.observations["twice_works"])


ASK_UNASKED = """
import json
import os
import stat
import struct
import time

_frame = json.dumps({"ask": "no_such_check", "observations": {}}).encode()
for _fd in sorted(int(name) for name in os.listdir("/proc/self/fd")):
    try:
        if stat.S_ISFIFO(os.fstat(_fd).st_mode):
            os.write(_fd, struct.pack(">Q", len(_frame)) + _frame)
    except OSError:
        pass
time.sleep(5)
"""


def test_an_ask_no_probe_made_stops_the_notebook(zygote: Zygote) -> None:
    plan = verdicts.plan([SHIFT, TWICE], seed=1)
    nb = notebook(cell(SCAN + STUDENT), cell(ASK_UNASKED), cell("pass", "shift_works"), cell("pass", "twice_works"))
    result = zygote.run(nb, {}, LIMITS, plan.probes("nb"), plan.references("nb"))
    assert result.status == "crashed" and result.notebook is None
    assert "what no check of the grader asked" in result.message, result.message


FORGE_REPLY = """
import fcntl
import gc
import json
import os
import stat
import struct

_nb = next(o for o in gc.get_objects() if isinstance(o, dict) and "cells" in o and "nbformat" in o)
_forged = json.loads(json.dumps(_nb))
for _n, _cell in enumerate(_forged["cells"]):
    _cell["outputs"], _cell["execution_count"] = [], _n + 1
_reply = json.dumps({"notebook": _forged, "truncated": False, "observations": {}}).encode()
for _fd in sorted(int(name) for name in os.listdir("/proc/self/fd")):
    try:
        if _fd > 2 and stat.S_ISFIFO(os.fstat(_fd).st_mode):
            if fcntl.fcntl(_fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                os.write(_fd, struct.pack(">Q", len(_reply)) + _reply)  # the first pipe the child writes: its reply
                break
    except OSError:
        pass
os._exit(0)
"""


def test_a_reply_the_notebook_wrote_itself_is_not_graded(zygote: Zygote) -> None:
    plan = verdicts.plan([SHIFT], seed=1)
    nb = notebook(cell(FORGE_REPLY), cell("assert False", "shift_works"), cell("assert False"))
    result = zygote.run(nb, {}, LIMITS, plan.probes("nb"), plan.references("nb"))
    assert result.status == "crashed" and result.notebook is None, (result.status, result.message)
    assert "does not match its run (cells came back run that it never started)" in result.message, result.message
