"""The Python environment every account's server runs in: readable by all of them, without the course's secrets.

A hub's users run one shared environment (JupyterLab, nbgrader, torch, ``autograder``), so it must be readable
by every account, and it must not hold what students may not see: ``solutions/`` (the reference and the
grader's checks) stays in the instructor's course folder only. The project's own ``.venv`` may be neither: on
this machine its interpreter is under ``/root`` (mode 0700), and its editable install of the project puts the
checkout's ``solutions/`` on the path. So the hub builds its own small environment in its folder:

- ``env/``: a venv over the project venv's own interpreter (reachable by the accounts in the hub's mount
  namespace, ``hub/namespace.py``, where it is not on the host), whose one path file adds the project venv's
  ``site-packages`` (its third-party packages: nothing is copied, and the path file's entry is not scanned
  for ``.pth`` files, so the editable install of the checkout is not active);
- ``lib/autograder/``: a copy of the grader package (the engine knows no assignment: nothing secret);
- ``env/bin/``: the project venv's console scripts (``nbgrader``, ``alembic``, ``autograder``, ...) with
  their first line pointing at this interpreter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from hub.errors import HubError

PACKAGE = Path(__file__).resolve().parents[1] / "autograder"
VERSION = f"python{sys.version_info.major}.{sys.version_info.minor}"


@dataclass(frozen=True)
class Environment:
    """The hub's environment, built in ``root``."""

    root: Path
    """The hub's folder: ``env/`` and ``lib/`` are in it."""

    @property
    def python(self) -> Path:
        return self.root / "env" / "bin" / "python"

    @property
    def bin(self) -> Path:
        return self.root / "env" / "bin"

    @property
    def lib(self) -> Path:
        """On every server's path: the ``autograder`` package."""
        return self.root / "lib"

    @property
    def project_prefix(self) -> Path:
        """The project venv whose packages (and Jupyter data: lab extensions, server config) the hub uses."""
        return Path(sys.prefix)

    def jupyter_path(self) -> str:
        """``JUPYTER_PATH``: the project venv's lab extensions, nbconvert templates and kernel spec."""
        return str(self.project_prefix / "share" / "jupyter")

    def jupyter_config(self) -> str:
        """The project venv's Jupyter server configuration (which server extensions are installed)."""
        return str(self.project_prefix / "etc" / "jupyter")


def unreachable_folder(path: Path) -> Path | None:
    """The first folder above ``path`` (symlinks followed) that a user other than its owner cannot enter."""
    real = Path(os.path.realpath(path))
    for folder in reversed(real.parents):
        if not os.stat(folder).st_mode & 0o001:
            return folder
    return None


def readable_by_all(path: Path) -> bool:
    """Whether a user who is neither owner nor in the group can read ``path`` (symlinks followed)."""
    real = Path(os.path.realpath(path))
    return unreachable_folder(real) is None and bool(os.stat(real).st_mode & 0o004)


def build(root: Path) -> Environment:
    """Build (or rebuild) the environment in ``root``: seconds, nothing large is copied."""
    env = Environment(root)
    site_packages = Path(sysconfig.get_paths()["purelib"])
    if not readable_by_all(site_packages / "nbgrader" / "__init__.py"):
        raise HubError(f"the project's packages in {site_packages} are not readable by the course's accounts")
    interpreter = Path(sys.base_prefix) / "bin" / VERSION
    shutil.rmtree(root / "env", ignore_errors=True)
    made = subprocess.run(
        [str(interpreter), "-m", "venv", "--without-pip", str(root / "env")],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        raise HubError(f"could not make the hub's venv with {interpreter}: {made.stderr.strip()}")
    own_site = root / "env" / "lib" / VERSION / "site-packages"
    (own_site / "course-hub.pth").write_text(f"{env.lib}\n{site_packages}\n")
    shutil.rmtree(env.lib, ignore_errors=True)
    shutil.copytree(PACKAGE, env.lib / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    _rewrite_scripts(Path(sys.prefix) / "bin", env.bin)
    for path in (root, root / "env", env.lib):
        path.chmod(0o755)
    return env


def _rewrite_scripts(source: Path, dest: Path) -> None:
    """Copy each console script of the project venv with its first line pointing at the hub's interpreter."""
    for script in sorted(source.iterdir()):
        if not script.is_file() or script.is_symlink() or (dest / script.name).exists():
            continue
        with script.open("rb") as fh:
            first = fh.readline()
        if not first.startswith(b"#!") or b"python" not in first:
            continue
        body = script.read_bytes().split(b"\n", 1)[1]
        target = dest / script.name
        target.write_bytes(b"#!" + str(dest / "python").encode() + b"\n" + body)
        target.chmod(0o755)
