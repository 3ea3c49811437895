"""Lay out a hub for the course: the environment, the exchange, each role's Jupyter settings, the course copy.

Everything is written in the hub's folder (``--dir``, default ``/srv/nn-foundations-hub``) and the
instructor's home; nothing in ``/etc``, so other Jupyter users of the machine are not affected. The files,
as the README's "Run the course on a hub" lists them:

- ``exchange/``: nbgrader's exchange root, mode 1777 (nbgrader's docs: readable and writable by all; the
  sticky bit on top so that no student can rename or remove the course's folder and put up a fake one);
- ``etc/jupyter/nbgrader_config.py``: for every account, the course id and ``c.Exchange.root``
  (in place of ``/etc/jupyter/nbgrader_config.py``);
- ``etc/student/`` and ``etc/instructor/``: each role's server extensions (``jupyter_server_config.json``)
  and lab plugins (``labconfig/page_config.json``), and the instructor's ``nbgrader_config.py``
  (``c.CourseDirectory.root``, the collect that checks owners);
- ``~INSTRUCTOR/nn-foundations/``: the course (config, ``source/``, ``solutions/``), owned by the
  instructor in a private home, released by the instructor: ``autograder release`` then nbgrader's
  ``release_assignment``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hub import environment
from hub.accounts import Account, run_as
from hub.errors import HubError
from hub.namespace import Namespace, open_namespace

ROOT = Path(__file__).resolve().parents[1]
COURSE_ID = "nn-foundations"
"""The course's ``c.CourseDirectory.course_id`` (in ``nbgrader_config.py``)."""
COURSE_FOLDER = COURSE_ID
ASSIGNMENT = "week3"
COURSE_FILES = ("nbgrader_config.py", "source", "solutions")
"""What the instructor's copy of the course holds (the release and the gradebook are generated in it)."""

SERVER_EXTENSIONS = {
    "student": {
        "nbgrader.server_extensions.assignment_list": True,
        "nbgrader.server_extensions.validate_assignment": True,
        "nbgrader.server_extensions.formgrader": False,
        "nbgrader.server_extensions.course_list": False,
    },
    "instructor": {
        "nbgrader.server_extensions.assignment_list": True,
        "nbgrader.server_extensions.validate_assignment": True,
        "nbgrader.server_extensions.formgrader": True,
        "nbgrader.server_extensions.course_list": True,
    },
}
"""nbgrader's table for its extensions (docs: "Using nbgrader with JupyterHub"): Assignments for students;
Formgrader and Courses for the instructor."""
LAB_PLUGINS_OFF = {
    "student": ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:create-assignment"],
    "instructor": [],
}


@dataclass(frozen=True)
class Deployment:
    """A laid-out hub."""

    root: Path
    env: environment.Environment
    accounts: tuple[Account, ...]
    namespace: Namespace
    """Where the accounts' commands and servers run (see ``hub/namespace.py``)."""

    def close(self) -> None:
        self.namespace.close()

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def instructor(self) -> Account:
        return next(a for a in self.accounts if a.instructor)

    @property
    def students(self) -> list[Account]:
        return [a for a in self.accounts if not a.instructor]

    @property
    def course(self) -> Path:
        return self.instructor.home / COURSE_FOLDER

    def config_dir(self, role: str) -> Path:
        return self.root / "etc" / role

    def jupyter_config_path(self, account: Account) -> str:
        """``JUPYTER_CONFIG_PATH`` of the account's server and commands: its role first, then the hub's."""
        role = "instructor" if account.instructor else "student"
        dirs = [self.config_dir(role), self.root / "etc" / "jupyter", Path(self.env.jupyter_config())]
        return os.pathsep.join(map(str, dirs))

    def user_env(self, account: Account) -> dict[str, str]:
        """The environment of the account's server (and of commands run as it by the tests)."""
        return {
            "PATH": f"{self.env.bin}:/usr/local/bin:/usr/bin:/bin",
            "JUPYTER_PATH": self.env.jupyter_path(),
            "JUPYTER_CONFIG_PATH": self.jupyter_config_path(account),
        }

    def run(
        self, account: Account, argv: list[str], *, cwd: Path | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` as ``account`` in the hub's namespace, with the environment of the account's server."""
        return run_as(
            account,
            argv,
            cwd=cwd,
            env=self.user_env(account),
            timeout=timeout,
            prefix=self.namespace.prefix(cwd or account.home),
        )

    def run_as(self, account: Account, *argv: str, cwd: Path | None = None, timeout: float = 600) -> str:
        """Run a command of the hub's environment as ``account``; its output, or a HubError."""
        done = self.run(account, [str(self.env.bin / argv[0]), *argv[1:]], cwd=cwd, timeout=timeout)
        if done.returncode != 0:
            raise HubError(
                f"`{' '.join(argv)}` as {account.name} failed: {(done.stderr or done.stdout).strip()[-2000:]}"
            )
        return done.stdout + done.stderr


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def write_role_configs(root: Path, exchange: Path, course: Path) -> None:
    etc = root / "etc"
    (etc / "jupyter").mkdir(parents=True, exist_ok=True)
    (etc / "jupyter" / "nbgrader_config.py").write_text(
        "# Every account of the hub: the course and the exchange (nbgrader's /etc/jupyter/nbgrader_config.py)\n"
        "c = get_config()  # noqa: F821\n"
        f'c.CourseDirectory.course_id = "{COURSE_ID}"\n'
        f'c.Exchange.root = "{exchange}"  # mode 1777\n'
    )
    for role, extensions in SERVER_EXTENSIONS.items():
        write_json(etc / role / "jupyter_server_config.json", {"ServerApp": {"jpserver_extensions": extensions}})
        write_json(
            etc / role / "labconfig" / "page_config.json",
            {"disabledExtensions": dict.fromkeys(LAB_PLUGINS_OFF[role], True)},
        )
    (etc / "instructor" / "nbgrader_config.py").write_text(
        "# The instructor's nbgrader: where the course is, and a collect that checks who made each submission\n"
        "c = get_config()  # noqa: F821\n"
        f'c.CourseDirectory.root = "{course}"\n'
        'c.ExchangeFactory.collect = "autograder.plugins.exchange.OwnersOnlyCollect"\n'
    )
    for path in [etc, *etc.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def make_exchange(exchange: Path) -> None:
    """nbgrader's exchange root: readable and writable by all (its docs), sticky (ours)."""
    if exchange.exists():
        shutil.rmtree(exchange)
    exchange.mkdir(parents=True)
    exchange.chmod(0o1777)


def copy_course(deployment: Deployment) -> None:
    """The course, copied from this checkout into the instructor's home, owned by the instructor."""
    course, who = deployment.course, deployment.instructor
    if course.exists():
        shutil.rmtree(course)
    course.mkdir()
    for name in COURSE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, course / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, course / name)
    for path in [course, *course.rglob("*")]:
        os.lchown(path, who.uid, who.gid)


def deploy(root: Path, accounts: list[Account], *, release: bool = True) -> Deployment:
    """Lay out the hub in ``root`` for ``accounts`` (which exist): returns what was made."""
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    env = environment.build(root)
    deployment = Deployment(root=root, env=env, accounts=tuple(accounts), namespace=open_namespace(root / ".stage"))
    try:
        make_exchange(deployment.exchange)
        write_role_configs(root, deployment.exchange, deployment.course)
        copy_course(deployment)
        if release:
            deployment.run_as(deployment.instructor, "autograder", "release", ASSIGNMENT, cwd=deployment.course)
            deployment.run_as(
                deployment.instructor, "nbgrader", "release_assignment", ASSIGNMENT, cwd=deployment.course
            )
    except BaseException:
        deployment.close()
        raise
    return deployment
