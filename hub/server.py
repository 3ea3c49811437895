"""Run JupyterHub: start it in its folder, wait until it answers, stop it and everything it started."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hub import hubconfig, proxy
from hub.deploy import Deployment
from hub.errors import HubError

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
"""Seconds JupyterHub gets after SIGTERM to stop the servers and the proxy before it is killed."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Hub:
    """A running JupyterHub."""

    process: subprocess.Popen[bytes]
    url: str
    """``http://127.0.0.1:PORT/``: where people log in."""
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """SIGTERM (JupyterHub stops every server and the proxy), then SIGKILL the group if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def start(deployment: Deployment, port: int | None = None) -> Hub:
    """Start JupyterHub for ``deployment`` on 127.0.0.1 (``port``, or a free one) and wait until it answers."""
    command = proxy.ensure()
    port = port or free_port()
    config = hubconfig.write(
        deployment,
        port=port,
        hub_port=free_port(),
        proxy_api_port=free_port(),
        proxy=command,
        feedback_port=free_port(),
    )
    log_path = deployment.root / "jupyterhub.log"
    env = dict(os.environ, PATH=f"{Path(command).parent}:{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*deployment.namespace.prefix(deployment.root), sys.executable, "-m", "jupyterhub", "-f", str(config)],
            cwd=deployment.root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C goes to us; we stop it with SIGTERM
        )
    hub = Hub(process=process, url=f"http://{LOOPBACK}:{port}/", log_path=log_path)
    try:
        _wait(hub)
    except BaseException:
        hub.stop()
        raise
    return hub


def _wait(hub: Hub) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise HubError(f"JupyterHub exited with status {hub.process.returncode}; its log: {hub.log_path}")
        try:
            with urllib.request.urlopen(f"{hub.url}hub/api", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise HubError(f"JupyterHub did not answer within {START_TIMEOUT:.0f} s; its log: {hub.log_path}")


@contextlib.contextmanager
def running(deployment: Deployment, port: int | None = None) -> Iterator[Hub]:
    hub = start(deployment, port)
    try:
        yield hub
    finally:
        hub.stop()
