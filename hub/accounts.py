"""The hub's people as real Unix accounts: created (or reset) by root, each with a password and a private home."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hub.errors import HubError

HOME_MODE = 0o700
"""Nobody else reads a home: a student's work in progress, the instructor's course (source/, checks, gradebook)."""


@dataclass(frozen=True)
class Account:
    """One person on the hub."""

    name: str
    """The Unix user name, which is also the nbgrader student id (the exchange names submissions by it)."""
    password: str
    instructor: bool = False

    @property
    def home(self) -> Path:
        return Path(pwd.getpwnam(self.name).pw_dir)

    @property
    def uid(self) -> int:
        return pwd.getpwnam(self.name).pw_uid

    @property
    def gid(self) -> int:
        return pwd.getpwnam(self.name).pw_gid


def require_root(what: str) -> None:
    """One line, not a traceback, when not run as root."""
    if os.geteuid() != 0:
        raise HubError(
            f"{what} needs root (it creates Unix accounts and runs JupyterHub's PAM login): run it with sudo"
        )


def sample_accounts(instructor: str, students: list[str]) -> list[Account]:
    """The instructor and the students, each with a new random password."""
    people = [(instructor, True), *((s, False) for s in students)]
    return [Account(name, secrets.token_urlsafe(9), instructor=role) for name, role in people]


def _run(*argv: str, stdin: str | None = None) -> None:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HubError(f"{argv[0]} failed: {(done.stderr or done.stdout).strip()}")


def exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def ensure(account: Account, *, fresh_home: bool) -> None:
    """Create the account if it is missing (idempotent), set its password, and make its home private.

    ``fresh_home`` empties the home first (the tests: every run starts from a new term)."""
    if not exists(account.name):
        _run("useradd", "--create-home", "--shell", "/bin/bash", "--user-group", account.name)
    _run("chpasswd", stdin=f"{account.name}:{account.password}\n")
    home = account.home
    if fresh_home:
        stop_processes(account.uid)  # a run killed half-way left them (a feedback service, a server)
    if fresh_home and home.is_dir():
        for entry in home.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, account.uid, account.gid)
    home.chmod(HOME_MODE)


def stop_processes(uid: int) -> list[int]:
    """SIGKILL every process running as ``uid``; the pids killed."""
    killed = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            os.kill(int(entry.name), signal.SIGKILL)
            killed.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return killed


def remove(name: str) -> None:
    """Delete the account and its home, if it exists."""
    if exists(name):
        stop_processes(pwd.getpwnam(name).pw_uid)
        _run("userdel", "--remove", name)


def run_as(
    account: Account,
    argv: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    prefix: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` as the account (``runuser``), with a login-like environment plus ``env``; ``prefix``: what
    runs it (``nsenter`` into the hub's namespace)."""
    base = {
        "HOME": str(account.home),
        "USER": account.name,
        "LOGNAME": account.name,
        "LANG": "C.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
    base.update(env or {})
    command = [
        *(prefix or []),
        "runuser",
        "-u",
        account.name,
        "--",
        "env",
        "-i",
        *(f"{k}={v}" for k, v in base.items()),
        *argv,
    ]
    return subprocess.run(
        command, cwd=cwd or account.home, capture_output=True, text=True, timeout=timeout, check=False
    )
