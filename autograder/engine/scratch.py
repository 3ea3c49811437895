"""Each zygote's scratch folder on the host, and the sweep that removes those a killed grader left behind.

A scratch folder (``$TMPDIR/sandbox-*``) holds the mount points of a zygote's home and job folder and the
grader's copy of each job's files; :func:`autograder.engine.sandbox.dispose` removes it with its zygote. A
grader that is killed (``kill -9``, the hub restarting its service, a Dask worker ended with its cluster) never
disposes: its folders stay. So each folder names its maker (:data:`OWNER`: the process id, the process's start
time and its PID namespace), and every new scratch folder is made after a sweep that removes the folders of this
account whose maker is gone. A folder without that file, of another account, or made in another PID namespace
(where the number names another process) is never touched.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "sandbox-"
OWNER = ".owner"
"""The file of a scratch folder that names the process that made it: ``PID START NAMESPACE``."""


def _started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from ``/proc``), or None if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat_file:
            fields = stat_file.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[19] if len(fields) > 19 else None


def _namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def me() -> str:
    """This process, as :data:`OWNER` names it."""
    return f"{os.getpid()} {_started(os.getpid())} {_namespace()}"


def abandoned(folder: Path) -> bool:
    """Whether ``folder`` is a scratch folder of this account whose maker, in this PID namespace, is gone."""
    try:
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            return False
        pid, started, namespace = (folder / OWNER).read_text(encoding="ascii").split(" ", 2)
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    if not (pid.isdigit() and started.isdigit()) or not _namespace() or namespace.strip() != _namespace():
        return False  # made where /proc could not vouch for its maker, or in another PID namespace
    return _started(int(pid)) != started


def sweep(where: Path | None = None) -> list[Path]:
    """Remove the abandoned scratch folders of ``where`` (the temporary folder); the ones removed."""
    where = Path(where or tempfile.gettempdir())
    removed = []
    for folder in where.glob(PREFIX + "*"):
        if abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    if removed:
        log.info("removed %d scratch folders that killed graders left in %s", len(removed), where)
    return removed


def make_scratch() -> str:
    """A new host folder for one zygote (read-only in its sandbox): the jobs' user may enter it, not list it. It
    holds the mount points of the zygote's home and of the job's folder, and the grader's copy of each job's files."""
    sweep()
    scratch = tempfile.mkdtemp(prefix=PREFIX)
    os.chmod(scratch, 0o711)
    fd = os.open(os.path.join(scratch, OWNER), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as owner:
        owner.write(me())
    for mount_point in ("home", "job"):
        os.mkdir(os.path.join(scratch, mount_point), 0o700)
    _seed_matplotlib(Path(scratch) / ".matplotlib")
    return scratch


def _seed_matplotlib(target: Path) -> None:
    """Copy matplotlib's font cache in, so that a zygote does not rebuild it at each start."""
    cache = Path(os.environ.get("MPLCONFIGDIR") or Path.home() / ".cache" / "matplotlib")
    target.mkdir()
    for font_list in cache.glob("fontlist-*.json"):
        shutil.copy(font_list, target / font_list.name)
