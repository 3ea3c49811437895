"""JupyterHub's proxy: the npm package configurable-http-proxy, installed into the checkout (``.hub/node/``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hub.errors import HubError

PACKAGE = "configurable-http-proxy"
VERSION = "4.6.3"
"""The last release that supports Node 20 (Debian's ``nodejs``; 5.x wants Node 22)."""
PREFIX = Path(__file__).resolve().parents[1] / ".hub" / "node"


def command() -> Path:
    return PREFIX / "node_modules" / ".bin" / PACKAGE


def installed_version() -> str | None:
    if not command().exists():
        return None
    done = subprocess.run([str(command()), "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def ensure() -> Path:
    """The proxy's program, installed with npm first if it is missing or another version."""
    if installed_version() == VERSION:
        return command()
    if shutil.which("npm") is None:
        raise HubError("npm is not installed (Debian: apt-get install nodejs npm): the hub's proxy needs it")
    PREFIX.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            "npm",
            "install",
            "--prefix",
            str(PREFIX),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            f"{PACKAGE}@{VERSION}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 or installed_version() != VERSION:
        raise HubError(f"npm could not install {PACKAGE}@{VERSION}: {(done.stderr or done.stdout).strip()[-300:]}")
    return command()
