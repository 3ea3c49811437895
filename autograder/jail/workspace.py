"""The job's folders in the sandbox: filled before a job, measured while it runs, emptied after.

In the sandbox a job writes to /tmp and to its own folder, each a size-limited tmpfs of the zygote's
(``sandbox["job"]``): the zygote copies the files the grader left for the job into its folder first
(:func:`fill`), watches both (:func:`spaces`, :mod:`autograder.jail.watchdog`), then kills every process
the job left and empties both (:func:`clean`). Outside the sandbox the job's folder is on disk.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from autograder.jail import watchdog
from autograder.jail.protocol import Limits


def clean(sandbox: dict[str, Any]) -> None:
    """After a job in the sandbox: kill every process but this one and init, empty /tmp and the job's folder."""
    # only this pid namespace (the zygote checked that it is pid 2 under bwrap): all but init, the zygote
    # and its prefix holders (here, or, in a holder, the zygote's children: it runs no job of its own meanwhile)
    holders = watchdog.SPARED if os.getpid() == 2 else set(watchdog.children(2))
    watchdog.kill_all_but({1, 2, *holders})
    binds = [Path(sandbox["scratch"]), *map(Path, sandbox.get("binds", []))]
    empty(Path("/tmp"), keep=set(binds))  # the mount points under /tmp stay (a checkout or a venv in /tmp)
    empty(Path(sandbox["job"]))
    for path in binds:  # the folders above them as bubblewrap made them, whatever a job of the same user did
        for parent in path.parents:
            if parent.is_relative_to("/tmp") and parent != Path("/tmp"):
                with contextlib.suppress(OSError):
                    parent.chmod(0o755)


def binds_intact(sandbox: dict[str, Any]) -> bool:
    """Whether every folder the sandbox showed at start is still where it was (a job of the grader's own user
    could move the folders above one that lies in /tmp)."""
    return all(os.path.isdir(path) for path in sandbox.get("binds", []))


def empty(folder: Path, keep: set[Path] | frozenset[Path] = frozenset()) -> None:
    """Remove everything in ``folder`` but the paths in ``keep`` and the folders above them, whatever modes the
    job left on its folders."""
    for entry in folder.iterdir():
        if entry in keep:
            continue
        if any(entry in path.parents for path in keep):
            empty(entry, keep)
            continue
        if not entry.is_dir() or entry.is_symlink():
            with contextlib.suppress(OSError):
                entry.unlink()
            continue
        with contextlib.suppress(OSError):
            entry.chmod(0o700)
        for parent, names, _ in os.walk(entry):  # folders it may not list or enter (without root's override)
            for name in names:
                path = os.path.join(parent, name)
                if not os.path.islink(path):
                    with contextlib.suppress(OSError):
                        os.chmod(path, 0o700)
        shutil.rmtree(entry, ignore_errors=True)


def spaces(limits: Limits, sandbox: dict[str, Any] | None, workdir: Path) -> list[watchdog.Space]:
    """Where the job writes files, with their bounds: in the sandbox /tmp and its folder (tmpfs mounts), else its
    folder on disk (/tmp is then the machine's, and not measured)."""
    mounted = sandbox is not None
    folder = watchdog.Space(str(workdir), limits.workdir_mb << 20, "its folder", "c.Grader.workdir_mb", mounted)
    if not mounted:
        return [folder]
    return [watchdog.Space("/tmp", limits.tmp_mb << 20, "/tmp", "c.Grader.tmp_mb", mounted), folder]


def fill(folder: Path, staging: Path) -> str:
    """Copy the job's files, which the grader left in ``staging``, into its folder; what went wrong, if anything."""
    try:
        shutil.copytree(staging, folder, symlinks=True, dirs_exist_ok=True)
    except (OSError, shutil.Error) as exc:
        return f"the submission's files do not fit in the notebook's folder (c.Grader.workdir_mb): {exc}"[:300]
    return ""
