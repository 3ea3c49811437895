"""The seed the grader's check inputs are drawn from: one secret per assignment, kept by the grader.

Regrading an unchanged submission must give the same scores, so the inputs may
not change from run to run; students must not know them in advance, so they
may not be derivable from anything released. Each assignment gets a random
secret, created on first use in ``<course root>/.autograder/secrets/ASSIGNMENT``
(mode 0600, in a folder that ignores itself in git). That folder is neither in
``release/`` nor bound into the sandbox (which sees no course file).
``autograder grade --new-inputs`` draws a new secret on purpose; ``--seed N``
overrides it for one run.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from autograder.checks.plan import Plan
from autograder.course import Course
from autograder.errors import AutograderError

SECRETS_DIR = Path(".autograder") / "secrets"
"""Relative to the course root."""
SECRET_BYTES = 32


def secret_path(course: Course, assignment: str) -> Path:
    """Where the assignment's secret is kept."""
    if not assignment or "/" in assignment or assignment.startswith("."):
        raise AutograderError(f"not an assignment name: {assignment!r}")
    return course.root / SECRETS_DIR / assignment


def _make_private_dir(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    top = folder.parent
    ignore = top / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# the grader's secrets: never commit them\n*\n")


def _write_secret(path: Path) -> bytes:
    """Write a fresh secret atomically, readable by its owner only."""
    _make_private_dir(path.parent)
    secret = secrets.token_bytes(SECRET_BYTES)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret.hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    return secret


def _read_secret(path: Path) -> bytes | None:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AutograderError(f"cannot read the grader's secret {path}: {exc.strerror}") from None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) < 16:
        raise AutograderError(f"{path} is not a secret written by autograder: delete it or use --new-inputs")
    return secret


def _seed(secret: bytes, assignment: str) -> int:
    digest = hashlib.sha256(secret + b"\0" + assignment.encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1  # a non-negative 63-bit integer


def inputs_seed(course: Course, assignment: str) -> int:
    """The seed of ``assignment``'s check inputs: the same on every run until :func:`new_inputs_seed`."""
    path = secret_path(course, assignment)
    secret = _read_secret(path)
    if secret is None:
        secret = _write_secret(path)
    return _seed(secret, assignment)


def new_inputs_seed(course: Course, assignment: str) -> int:
    """Draw a new secret for ``assignment`` (new check inputs from now on) and return its seed."""
    return _seed(_write_secret(secret_path(course, assignment)), assignment)


_PLANS: dict[tuple[str, str, int, tuple[tuple[str, int], ...]], Plan] = {}
PLANS_KEPT = 4
"""How many plans one process keeps (a long-running formgrader sees few assignments and seeds). A cache, not
state: a plan is keyed by everything it is made from, the checks' files as they are now included."""


def checks_files(module: str, course_root: Path) -> tuple[tuple[str, int], ...]:
    """Each file of the checks' top-level package in the course, with its modification time: an edited check
    makes a new plan (and is imported again: :func:`autograder.course.course_on_path`)."""
    package = course_root / module.partition(".")[0]
    found = []
    for path in sorted(package.rglob("*.py")) if package.is_dir() else [package.with_suffix(".py")]:
        try:
            found.append((str(path), path.stat().st_mtime_ns))
        except OSError:
            continue
    return tuple(found)


def assignment_plan(
    course: Course, assignment: str, *, seed: int | None = None, new_inputs: bool = False
) -> Plan | None:
    """The plan of ``assignment``'s checks (``c.Grader.checks``) for this run, or None without checks: inputs
    drawn from ``seed``, else from the assignment's secret (``new_inputs``: a new secret first). The one way
    every path (``autograder grade``, nbgrader's commands, the hidden tests under stock nbgrader) makes it."""
    from autograder.checks.plan import load_checks, plan
    from autograder.settings import Grader

    module = Grader(config=course.config).checks.get(assignment)
    if not module:
        return None
    if seed is None:
        seed = new_inputs_seed(course, assignment) if new_inputs else inputs_seed(course, assignment)
    key = (str(course.root), module, seed, checks_files(module, course.root))
    if key not in _PLANS:
        while len(_PLANS) >= PLANS_KEPT:
            del _PLANS[next(iter(_PLANS))]
        _PLANS[key] = plan(load_checks(module, course.root), seed, course.root)
    return _PLANS[key]
