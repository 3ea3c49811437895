"""Inside the sandbox, in the zygote: how much memory and file space a job holds, and stopping all of it.

A job is the forked child and every process it started, wherever they moved
(a new session, a double fork): the zygote is their subreaper, so they all stay
below it. A job's memory is the child's resident memory plus what each other
process holds privately, so plain forks that share the zygote's pages are not
counted many times over, plus the files it keeps in the sandbox (they are in
memory: each place a job may write is a size-limited tmpfs, a :class:`Space`).
Memory that neither would show (``memfd_create``, System V shared memory) the
job cannot make (:func:`forbid_unseen_memory`).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import signal
import struct
import time
from dataclasses import dataclass
from pathlib import Path

RESERVE_BYTES = 96 * 1024 * 1024
"""Memory a job's child keeps in reserve until its results are sent (and the watchdog allows for)."""
INODE_BYTES = 1024
"""What each file, folder or link costs besides its data: the kernel's memory for it on a tmpfs (measured: about
1 KiB), and the same is counted on disk, so that a million empty files are not free."""
FULL_SLACK = 1024 * 1024
"""A space counts as full when less than this is left (the kernel refuses the write that would not fit)."""


SPARED: set[int] = set()
"""Processes below this one that belong to no job (the zygote's prefix holders, :mod:`autograder.jail.prefix`):
neither measured nor killed with a job."""


def inherited_rss() -> int:
    """This process's resident anonymous memory: what a forked child's resident size starts from.

    Not its file-backed pages (the libraries it mapped: 300 MB and more with torch's CUDA build): a fork does
    not copy their page table entries, so they count in a child's resident size only as the child touches
    them. Counting them here would let every job keep that much more than ``c.Grader.memory_mb``.
    """
    return anonymous_rss("self") or 0


def anonymous_rss(pid: int | str) -> int | None:
    """The resident memory of process ``pid`` that no file backs (``statm``'s resident less its shared pages:
    the heap, the stacks, copied-on-write pages), or None if it is gone. Pages of mapped files are not the
    job's to hold (the kernel drops them when memory is short); its files in /tmp are counted where they are."""
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
        return max(0, int(fields[1]) - int(fields[2])) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return None


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


def descendants(processes: dict[int, tuple[int, int]], root: int, spared: set[int] | None = None) -> list[int]:
    """Every process below ``root`` (the zygote reaps orphans, so a job's processes all stay below it), but the
    ``spared`` ones (default :data:`SPARED`) and theirs."""
    spared = SPARED if spared is None else spared
    below: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        below.setdefault(parent, []).append(pid)
    found, stack = [], list(below.get(root, []))
    while stack:
        pid = stack.pop()
        if pid in spared:
            continue
        found.append(pid)
        stack.extend(below.get(pid, []))
    return found


def children(parent: int) -> list[int]:
    return [pid for pid, (ppid, _) in processes().items() if ppid == parent]


def kill_all_but(spare: set[int]) -> None:
    """In the sandbox's own pid namespace, after a job: kill every process but ``spare`` and reap them."""
    for _ in range(5):
        left = [pid for pid in processes() if pid not in spare and pid != os.getpid()]
        if not left:
            return
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        reap()


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
    """Memory (bytes) of the running job: the child's resident anonymous memory (as :func:`inherited_rss`, its
    baseline, counts it) plus what each other process of the job holds privately, wherever it moved (a new
    session, a double fork)."""
    found = processes()
    others = [pid for pid in descendants(found, os.getpid()) if pid != child]
    own = anonymous_rss(child)
    if own is None:
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


@dataclass(frozen=True)
class Space:
    """A place where a job writes files, and its bound."""

    path: str
    bound: int
    """Bytes the job may keep there (data plus :data:`INODE_BYTES` per entry)."""
    what: str
    """How a message names it: ``/tmp``, ``its folder``."""
    setting: str
    """The setting that gives the bound (``c.Grader.tmp_mb``)."""
    mounted: bool
    """A size-limited tmpfs of its own (in memory, measured at once), else a folder on disk (walked)."""

    def used(self) -> int:
        """Bytes held there now (for a folder on disk, counting stops once past the bound)."""
        if not self.mounted:
            return folder_bytes(self.path, self.bound + FULL_SLACK)
        fs = os.statvfs(self.path)
        return (fs.f_blocks - fs.f_bfree) * fs.f_frsize + (fs.f_files - fs.f_ffree) * INODE_BYTES

    def limit(self) -> int:
        """The bound, or the mount's own size if it is smaller."""
        if not self.mounted:
            return self.bound
        fs = os.statvfs(self.path)
        return min(self.bound, fs.f_blocks * fs.f_frsize)

    def full(self, used: int) -> bool:
        return used >= self.limit() - FULL_SLACK


def folder_bytes(path: str, enough: int) -> int:
    """The size of everything under ``path`` (data blocks plus :data:`INODE_BYTES` an entry), links not followed;
    the walk stops once past ``enough``, so that a folder of a million files costs one bounded walk."""
    total, stack = 0, [path]
    while stack and total < enough:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    total += entry.stat(follow_symlinks=False).st_blocks * 512 + INODE_BYTES
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                except OSError:
                    continue
    return total


_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_UNSEEN_MEMORY_CALLS = {"x86_64": (319, 29), "aarch64": (279, 194)}
"""``memfd_create`` and ``shmget``: memory in no process's resident size and on no file system the job can see."""


def forbid_unseen_memory() -> bool:
    """In a job's process, before student code: ``memfd_create`` and ``shmget`` fail (ENOSYS, as where they do not
    exist: libraries fall back to files, which are bounded), and so does every system call of another
    architecture's table (the 32-bit one, x32), which would reach them by other numbers. A seccomp filter, kept
    by every process the job starts. False where it cannot be installed (not Linux on x86_64 or aarch64)."""
    machine = platform.machine()
    if machine not in _AUDIT_ARCH:
        return False
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, refuse = 0x7FFF0000, 0x00050000 | 38  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | ENOSYS
    memfd, shmget = _UNSEEN_MEMORY_CALLS[machine]
    program = [
        (ld, 0, 0, 4),  # the architecture
        (jeq, 0, 5, _AUDIT_ARCH[machine]),
        (ld, 0, 0, 0),  # the system call's number
        (jge, 3, 0, 0x40000000),  # x32 numbers
        (jeq, 2, 0, memfd),
        (jeq, 1, 0, shmget),
        (ret, 0, 0, allow),
        (ret, 0, 0, refuse),
    ]
    code = b"".join(struct.pack("HBBI", *instruction) for instruction in program)
    filters = ctypes.create_string_buffer(code, len(code))

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = Program(len(program), ctypes.addressof(filters))
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if prctl(pr_set_no_new_privs, 1, None, 0, 0) != 0:
        return False
    return bool(prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.addressof(prog), 0, 0) == 0)
