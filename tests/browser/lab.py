"""A JupyterLab server on loopback for the browser tests, isolated in a temporary folder.

The server runs the venv's JupyterLab with nbgrader's lab and server extensions,
serves a course copy (its ``nbgrader_config.py`` is read from the working
directory, as the formgrader expects), keeps every Jupyter/IPython config,
runtime, data, settings and workspace file under ``workdir``, and talks to its
kernels over Unix sockets. :meth:`JupyterLab.stop` ends the server and every
process it started, and says which ones would not die.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

STARTUP_TIMEOUT = 90.0
"""Seconds for the server to answer (a cold start on a busy 2-core machine takes ~5)."""
TERM_TIMEOUT = 20.0
"""Seconds between SIGTERM (the server shuts its kernels down) and SIGKILL."""

# JupyterLab's own calls home: news and update checks in the notification centre.
NOTIFICATION_SETTINGS = {"fetchNews": "false", "checkForUpdates": False}


def lab_environment(workdir: Path) -> dict[str, str]:
    """The environment for ``jupyter`` commands: the venv first, every per-user folder in ``workdir``."""
    config = workdir / "jupyter-config"
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_RUNTIME_DIR=str(workdir / "jupyter-runtime"),
        JUPYTER_DATA_DIR=str(workdir / "jupyter-data"),
        JUPYTERLAB_SETTINGS_DIR=str(config / "lab" / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(config / "lab" / "workspaces"),
        IPYTHONDIR=str(workdir / "ipython"),
        JUPYTER_PLATFORM_DIRS="0",
        PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    )
    # The test process's own backend choice is what ipykernel would pick anyway; keep it explicit.
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return env


def write_user_settings(workdir: Path) -> None:
    """Settings a lab user would have after answering "No" to the news pop-up."""
    path = workdir / "jupyter-config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    path.mkdir(parents=True, exist_ok=True)
    (path / "notification.jupyterlab-settings").write_text(json.dumps(NOTIFICATION_SETTINGS))


@dataclass
class JupyterLab:
    """A running server: its process, address and token."""

    process: subprocess.Popen[bytes]
    root: Path
    workdir: Path
    log_path: Path
    base_url: str = ""
    token: str = field(default_factory=lambda: secrets.token_hex(24), repr=False)

    def url(self, path: str = "lab") -> str:
        """A URL on the server that logs the browser in with the token."""
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path.lstrip('/')}{sep}token={self.token}"

    def api(self, path: str, method: str = "GET") -> Any:
        """Call the server's REST API with the token; the decoded JSON (or None)."""
        request = urllib.request.Request(
            f"{self.base_url}{path.lstrip('/')}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def shutdown_kernels(self) -> None:
        """End the sessions the browser opened (each notebook's kernel), as File > Shut Down would."""
        for session in self.api("api/sessions"):
            self.api(f"api/sessions/{session['id']}", method="DELETE")

    def descendants(self) -> list[psutil.Process]:
        try:
            return list(psutil.Process(self.process.pid).children(recursive=True))
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> list[psutil.Process]:
        """SIGTERM, then SIGKILL after a while; then kill whatever the server left. Returns survivors."""
        started = self.descendants()  # kernels run in sessions of their own: find them before the server goes
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=TERM_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        _, alive = psutil.wait_procs(started, timeout=5)
        for proc in alive:
            with suppress(psutil.NoSuchProcess):
                proc.kill()
        _, alive = psutil.wait_procs(alive, timeout=5)
        return list(alive)


def server_command(lab_root: Path, workdir: Path, token: str) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=0",  # the server binds a free port and writes it to its runtime file
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={lab_root}",
        "--LabApp.extension_manager=readonly",  # no PyPI queries from the extension manager
        # kernels on Unix sockets: no TCP ports to race for with parallel test workers
        "--KernelManager.transport=ipc",
        f"--KernelManager.ip={workdir / 'kernel-ipc' / 'k'}",
        # a safety net if the test process is killed before its finalizers run
        "--MappingKernelManager.cull_idle_timeout=600",
        "--MappingKernelManager.cull_interval=60",
        "--ServerApp.shutdown_no_activity_timeout=900",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    return command


def start(lab_root: Path, workdir: Path) -> JupyterLab:
    """Start JupyterLab on ``lab_root`` (also its working directory) and wait until it answers."""
    for sub in ("jupyter-config", "jupyter-runtime", "jupyter-data", "ipython", "kernel-ipc"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    write_user_settings(workdir)
    log_path = workdir / "jupyterlab.log"
    token = secrets.token_hex(24)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            server_command(lab_root, workdir, token),
            cwd=lab_root,
            env=lab_environment(workdir),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the terminal goes to pytest, which then stops the server
        )
    lab = JupyterLab(process=process, root=lab_root, workdir=workdir, log_path=log_path, token=token)
    try:
        lab.base_url = _wait_until_serving(lab)
    except BaseException:
        lab.stop()
        raise
    return lab


def _wait_until_serving(lab: JupyterLab) -> str:
    info_file = lab.workdir / "jupyter-runtime" / f"jpserver-{lab.process.pid}.json"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with status {lab.process.returncode}:\n{lab.log()[-3000:]}")
        if info_file.exists():
            try:
                info = json.loads(info_file.read_text())
                base_url = f"http://127.0.0.1:{info['port']}{info['base_url']}"
                lab.base_url = base_url
                lab.api("api/status")
                return base_url
            except (ValueError, KeyError, OSError, urllib.error.URLError):
                pass  # written but not complete yet, or not answering yet
        time.sleep(0.2)
    raise RuntimeError(f"JupyterLab did not answer within {STARTUP_TIMEOUT:.0f} s:\n{lab.log()[-3000:]}")


@contextmanager
def running(lab_root: Path, workdir: Path) -> Iterator[JupyterLab]:
    """A server for the ``with`` block; afterwards no process of it is left (or the block fails)."""
    lab = start(lab_root, workdir)
    try:
        yield lab
    finally:
        survivors = lab.stop()
    assert not survivors, f"processes of JupyterLab left running: {[(p.pid, p.name()) for p in survivors]}"
    assert lab.process.returncode is not None
