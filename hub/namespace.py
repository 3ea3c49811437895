"""A mount namespace for the hub where the course's interpreter is reachable by every account, when it is not.

The course's Python may sit in a folder that only root can enter (on this machine the project venv's
interpreter is ``/root/.pyenv/versions/3.11.7``, and ``/root`` is 0700). Changing the modes of ``/root`` would
open root's home to everyone, and another interpreter of the same minor version is not the same Python (the
standard library and ``libpython`` differ by patch release, and packages break: Debian's 3.11.2 fails
soupsieve's selectors in nbconvert). So the hub runs in a mount namespace of its own, in which that folder is
an empty tmpfs holding only the one folder on the way to the interpreter, bound from the real one
(``/root/.pyenv``): the same interpreter at the same path, and nothing else of ``/root``. The host's mounts,
modes and files are unchanged; the namespace lives as long as its holder process (``sleep``), which the hub
stops. Where every account can already reach the interpreter (a checkout made with Debian's ``python3``),
there is no namespace and commands run as they are.
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from hub.environment import VERSION, unreachable_folder
from hub.errors import HubError

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class Namespace:
    """A mount namespace held open by a process (None: the host's own namespace is fine)."""

    holder: subprocess.Popen[bytes] | None
    shown: Path | None = None
    """The folder bound into the tmpfs (``/root/.pyenv``)."""

    def prefix(self, cwd: Path) -> list[str]:
        """What to put before a command to run it in the namespace, in folder ``cwd``."""
        if self.holder is None:
            return []
        return ["nsenter", f"--target={self.holder.pid}", "--mount", f"--wd={cwd}", "--"]

    def close(self) -> None:
        if self.holder is not None and self.holder.poll() is None:
            self.holder.kill()
            self.holder.wait(10)


def interpreter() -> Path:
    return Path(sys.base_prefix) / "bin" / VERSION


def open_namespace(stage: Path) -> Namespace:
    """The namespace the hub's commands run in; ``stage`` is an empty folder to pass the bind through."""
    hidden = unreachable_folder(interpreter())
    if hidden is None:
        return Namespace(holder=None)
    inside = Path(*Path(sys.base_prefix).parts[: len(hidden.parts) + 1])
    if unreachable_folder(inside / "x") not in (None, hidden) or not inside.is_dir():
        raise HubError(f"the course's interpreter {interpreter()} is not readable by the accounts")
    stage.mkdir(parents=True, exist_ok=True)
    script = (
        "set -e;"
        f' mount --bind "{inside}" "{stage}";'
        f' mount -t tmpfs -o mode=0755,size=1m hub-hidden "{hidden}";'
        f' mkdir "{inside}"; mount --bind "{stage}" "{inside}"; umount "{stage}";'
        " echo ready; exec sleep infinity"
    )
    holder = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent,
    )
    assert holder.stdout is not None
    if holder.stdout.readline().strip() != b"ready":
        holder.wait(10)
        error = holder.stderr.read().decode(errors="replace").strip() if holder.stderr else ""
        raise HubError(f"could not make the hub's mount namespace: {error}")
    return Namespace(holder=holder, shown=inside)
