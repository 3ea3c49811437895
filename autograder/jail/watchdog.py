"""Inside the sandbox, in the zygote: how much memory a job holds, and stopping all of it.

A job is the forked child and every process it started, wherever they moved
(a new session, a double fork): the zygote is their subreaper, so they all stay
below it. A job's memory is the child's resident memory plus what each other
process holds privately, so plain forks that share the zygote's pages are not
counted many times over.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

RESERVE_BYTES = 96 * 1024 * 1024
"""Memory a job's child keeps in reserve until its results are sent (and the watchdog allows for)."""


def own_rss() -> int:
    """This process's resident memory: a forked child starts with (a shared copy of) it."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def processes() -> dict[int, tuple[int, int]]:
    """``{pid: (parent pid, resident bytes)}`` of every process this one can see."""
    page = os.sysconf("SC_PAGE_SIZE")
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            found[int(entry.name)] = (int(fields[1]), int(fields[21]) * page)
        except (OSError, IndexError, ValueError):
            continue
    return found


def descendants(processes: dict[int, tuple[int, int]], root: int) -> list[int]:
    """Every process below ``root`` (the zygote reaps orphans, so a job's processes all stay below it)."""
    below: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        below.setdefault(parent, []).append(pid)
    found, stack = [], list(below.get(root, []))
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(below.get(pid, []))
    return found


def private_bytes(pid: int, resident: int, inherited: int) -> int:
    """Memory only this process holds: pages it still shares with the zygote or its parent do not count.

    Read from ``smaps_rollup`` (the sandboxed zygote keeps ``CAP_SYS_PTRACE`` for that: a job's process
    changed user, so nobody else may read it); where it cannot be read, an estimate: its resident memory
    less what a fork inherits (``inherited``).
    """
    total = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return max(0, resident - inherited)
    return total


def jobs_rss(child: int, inherited: int) -> int:
    """Memory (bytes) of the running job: the child's resident memory plus what each other process of
    the job holds privately, wherever it moved (a new session, a double fork)."""
    found = processes()
    others = [pid for pid in descendants(found, os.getpid()) if pid != child]
    own = found.get(child, (0, 0))[1]
    return own + sum(private_bytes(pid, found[pid][1], inherited) for pid in others)


def kill_jobs(pid: int) -> None:
    """Kill the job's process group and then every other process left below the zygote; reap them."""
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            target()
    for _ in range(3):
        left = descendants(processes(), os.getpid())
        if not left:
            break
        for other in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(other, signal.SIGKILL)
        reap()


def reap(patience: float = 2.0) -> None:
    """Collect the exit status of every process below the zygote that is gone or going (killed ones
    take a moment to die), so that none lingers as a zombie; stops early when none is left."""
    deadline = time.monotonic() + patience
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        if time.monotonic() > deadline:
            return
        time.sleep(0.01)
