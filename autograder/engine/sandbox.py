"""A bubblewrap sandbox around the zygote, so that student code sees and changes almost nothing.

The zygote (:mod:`autograder.jail.zygote`) runs under ``bwrap`` with no network and
new IPC, PID, UTS and cgroup namespaces. Its file system is a fresh tmpfs holding
read-only binds of only what Python needs: the system's ``/usr`` (and the
``/bin``, ``/lib`` links), a few files of ``/etc``, the interpreter's prefix and
base prefix, and the ``autograder`` package folder. Not the course: ``source/``,
``solutions/``, the gradebook, ``autograded/`` and ``submitted/`` do not exist in
there. The root and ``/dev`` are read-only. Every place a job can write is a
size-limited tmpfs (memory, no disk), emptied after every job: ``/tmp``
(``Grader.tmp_mb``) and the job's folder (``Grader.workdir_mb``), into which the
zygote copies the files the grader leaves in the zygote's scratch folder on disk
(read-only in there; :mod:`autograder.engine.scratch`). The zygote's own home is a small tmpfs too.

Run as root, the zygote keeps only the capabilities it needs to hand each job to
an unprivileged user (``Grader.sandbox_uid``, by default ``nobody``): every job's
process gives up all privileges before running student code, so it cannot signal
or trace the zygote, and ``RLIMIT_NPROC`` binds it (a fork bomb stops at the
limit). After each job the zygote kills every other process of its namespace.
Run as another user, bubblewrap adds a user namespace and the job keeps that uid.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.course import course_on_path
from autograder.engine.client import Zygote
from autograder.engine.scratch import make_scratch
from autograder.errors import AutograderError
from autograder.jail.protocol import SANDBOX_ENV, zygote_env
from autograder.settings import Grader

MIB = 1024 * 1024
HOME_BYTES = 64 * MIB
"""Size of the zygote's own home (its IPython profile and matplotlib's font cache); the jobs' user cannot write
there when the grader runs as root."""
PACKAGE_DIR = Path(__file__).resolve().parents[1]
PACKAGE_FOLDERS = ("site-packages", "dist-packages")
"""Folders of installed packages on the grader's path (a ``.pth`` file may add one outside the prefix): read-only."""
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_PATHS = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/localtime",
    "/etc/fonts",
    "/etc/alternatives",
)
ROOT_CAPABILITIES = (
    "CAP_SETUID",
    "CAP_SETGID",
    "CAP_CHOWN",
    "CAP_KILL",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_SYS_PTRACE",
)
"""What the zygote keeps when run as root (each job drops them all): switch user, hand over and clean up files,
and read the memory maps of a job's processes (they changed user) for the memory watchdog."""


USERNS_HINT = (
    "; as a user other than root the sandbox needs unprivileged user namespaces: as root, allow them with"
    " `sysctl -w user.max_user_namespaces=15000` (and `kernel.unprivileged_userns_clone=1` where that exists,"
    " `kernel.apparmor_restrict_unprivileged_userns=0` on Ubuntu 24.04), or grade as root"
)
"""What to change when bubblewrap fails for a user other than root (the instructor's own server on a hub)."""


@dataclass(frozen=True)
class Sandbox:
    """How to build the sandbox (see :class:`autograder.settings.Grader`)."""

    bwrap: str = "bwrap"
    """The bubblewrap program."""
    uid: int = 65534
    """The user that student code runs as (when the grader runs as root)."""
    gid: int = 65534
    tmp_mb: int = 512
    """Size of ``/tmp`` (MiB), a tmpfs."""
    workdir_mb: int = 512
    """Size of a job's folder (MiB), a tmpfs."""

    @classmethod
    def from_settings(cls, grader: Grader) -> Sandbox:
        """The sandbox the settings describe (whether or not it is enabled)."""
        return cls(
            bwrap=grader.bwrap,
            uid=grader.sandbox_uid,
            gid=grader.sandbox_gid,
            tmp_mb=grader.tmp_mb,
            workdir_mb=grader.workdir_mb,
        )


def _read_only(path: str) -> list[str]:
    """Bind ``path`` read-only at the same place, or recreate it as the same symlink (``/lib -> usr/lib``)."""
    if os.path.islink(path):
        return ["--symlink", os.readlink(path), path]
    return ["--ro-bind", path, path]


def bwrap_prefix(sandbox: Sandbox, scratch_dir: str, python: str | None = None) -> list[str]:
    """The ``bwrap`` command line (up to the program) that runs a zygote in ``scratch_dir`` (made by
    :func:`make_scratch`), writing only in size-limited tmpfs mounts."""
    python = python or sys.executable
    root = os.geteuid() == 0
    args = [sandbox.bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    if root:
        args += ["--cap-drop", "ALL"]
        for capability in ROOT_CAPABILITIES:
            args += ["--cap-add", capability]
    else:
        args += ["--unshare-user", "--cap-drop", "ALL"]
    args += ["--die-with-parent", "--new-session", "--hostname", "sandbox"]
    args += ["--tmpfs", "/", "--proc", "/proc", "--dev", "/dev"]
    args += ["--perms", "1777", "--size", str(sandbox.tmp_mb * MIB), "--tmpfs", "/tmp"]
    for path in SYSTEM_PATHS + ETC_PATHS:
        if os.path.lexists(path):
            args += _read_only(path)
    binds = [*bound_paths(python), scratch_dir]
    made = {"/", "/tmp"}
    for path in binds:
        for parent in reversed(Path(path).parents):  # bubblewrap would make them private (0700)
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", path, path]
    home, job = os.path.join(scratch_dir, "home"), os.path.join(scratch_dir, "job")
    args += ["--perms", "0755", "--size", str(HOME_BYTES), "--tmpfs", home]
    args += ["--perms", "0700", "--size", str(sandbox.workdir_mb * MIB), "--tmpfs", job]
    args += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", scratch_dir]
    settings = {"uid": sandbox.uid, "gid": sandbox.gid, "scratch": scratch_dir, "job": job, "home": home}
    settings["binds"] = binds  # kept when the zygote empties /tmp after each job (a checkout under /tmp)
    env = {
        **zygote_env(),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": home,
        "TMPDIR": "/tmp",
        "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
        SANDBOX_ENV: json.dumps(settings),
    }
    args.append("--clearenv")
    for name, value in env.items():
        args += ["--setenv", name, value]
    return args


def bound_paths(python: str | None = None) -> list[str]:
    """The host folders the sandbox shows (read-only) besides the system's: the interpreter's prefixes, the
    folders of installed packages on the path, and the ``autograder`` package. Nothing else of the host."""
    python = python or sys.executable
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(python)))}
    prefixes |= {os.path.realpath(p) for p in sys.path if p.endswith(PACKAGE_FOLDERS) and os.path.isdir(p)}
    return [*sorted(p for p in prefixes if not p.startswith(SYSTEM_PATHS)), str(PACKAGE_DIR)]


@dataclass(frozen=True)
class ZygoteSpec:
    """How to start a grading zygote: plain data, so that a Dask worker can start its own."""

    sandbox: Sandbox | None = None
    """The sandbox to start it in (None: no sandbox)."""
    preload: tuple[str, ...] = ()
    warm_up: str = ""

    @classmethod
    def from_settings(cls, grader: Grader, course_root: Path, sandbox: Sandbox | None) -> ZygoteSpec:
        """The zygotes ``c.Grader`` describes for the course at ``course_root``; raises if their sandbox would
        show the course's answers (:func:`require_private`)."""
        if sandbox is not None:
            require_private(course_root, list(grader.checks.values()))
            require_readable()
        return cls(sandbox, tuple(grader.preload), module_source(grader.warm_up, course_root) if grader.warm_up else "")


def require_private(course_root: Path, checks: list[str]) -> None:
    """Raise, in one line, if a folder the sandbox shows holds the course (its answers, checks, secrets and
    gradebook) or a copy of its checks' package installed into the grader's environment."""
    course_root = Path(os.path.realpath(course_root))
    private = {course_root: "the course folder"}
    for name in checks:
        origin = _origin(name, course_root)
        if origin is not None:
            private[Path(os.path.realpath(origin))] = f"the checks {name!r}"
    tops = {name.split(".")[0] for name in checks}
    for bound in map(Path, bound_paths()):
        for path, what in private.items():
            if path == bound or bound in path.parents:
                raise AutograderError(
                    f"the sandbox would show student code {what} ({path}): it shows {bound}, the grader's"
                    " Python or packages; put the course and the grader's environment in separate folders"
                )
        for top in sorted(tops):
            for copy in (bound / top, bound / f"{top}.py"):
                if copy.exists() and Path(os.path.realpath(copy)) != course_root / top:
                    raise AutograderError(
                        f"{copy} is a copy of the course's checks ({top}) in the grader's environment, which the"
                        f" sandbox shows: uninstall it (the course's own {top}/ is the one used)"
                    )


def unreadable(folders: list[str]) -> str | None:
    """The first file or folder, in ``folders`` or one level in, that users other than its owner cannot read (or
    enter): the sandbox's user would fail to import from it. None if all can. A sample, not a walk: an
    environment installed under a private umask (077) shows on its first package."""
    for folder in folders:
        try:
            entries = [folder, *(os.path.join(folder, name) for name in os.listdir(folder))]
        except OSError:
            continue
        for path in entries:
            try:
                mode = os.stat(path).st_mode
            except OSError:
                continue
            needed = 0o005 if stat.S_ISDIR(mode) else 0o004
            if mode & needed != needed:
                return path
    return None


def require_readable() -> None:
    """Raise, in one line, if grading as root and the sandbox's user could not read the grader's packages."""
    if os.geteuid() != 0:
        return  # the jobs run as the grader's own user
    path = unreadable(bound_paths())
    if path is not None:
        raise AutograderError(
            f"student code runs as another user, who cannot read {path} (installed with a private umask?):"
            " make the grader's environment readable to all (chmod -R a+rX) or reinstall it with umask 022"
        )


def _origin(name: str, course_root: Path) -> str | None:
    """Where module ``name`` is found with the course root first on the path (None: nowhere)."""
    import importlib.util

    try:
        with course_on_path(course_root, name):
            spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None


def module_source(name: str, course_root: Path) -> str:
    """The source of module ``name``, found with the course root first on the path (as checks modules are)."""
    origin = _origin(name, course_root)
    if origin is None or not origin.endswith(".py"):
        raise AutograderError(f"cannot find the warm-up module {name!r} (c.Grader.warm_up)")
    return Path(origin).read_text()


def new_zygote(spec: ZygoteSpec) -> Zygote:
    """A (not yet started) zygote, in a new sandbox if ``spec`` has one; :func:`dispose` removes its scratch folder."""
    if spec.sandbox is None:
        return Zygote(preload=spec.preload, warm_up=spec.warm_up)
    scratch = make_scratch()
    return Zygote(
        command_prefix=bwrap_prefix(spec.sandbox, scratch),
        scratch_dir=scratch,
        preload=spec.preload,
        warm_up=spec.warm_up,
    )


def dispose(zygote: Zygote) -> None:
    """Stop ``zygote`` and remove its scratch folder, if it has one."""
    zygote.close()
    if zygote.scratch_dir:
        shutil.rmtree(zygote.scratch_dir, ignore_errors=True)


def sandbox_available(sandbox: Sandbox | None = None) -> str | None:
    """None if bubblewrap can build the sandbox here, else the reason in one line."""
    sandbox = sandbox or Sandbox()
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux (this is {sys.platform})"
    if shutil.which(sandbox.bwrap) is None:
        return f"bubblewrap ({sandbox.bwrap}) is not installed (Debian: apt-get install bubblewrap)"
    scratch = make_scratch()
    try:
        command = [*bwrap_prefix(sandbox, scratch), sys.executable, "-c", "pass"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap does not run: {exc}"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        reason = f"bubblewrap does not work here: {lines[-1] if lines else f'exit status {done.returncode}'}"
        return reason + (USERNS_HINT if os.geteuid() != 0 else "")
    return None
