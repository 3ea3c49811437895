"""The grader's end of a zygote: start it (in its sandbox), send one notebook at a time, check the reply."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from autograder.jail.protocol import (
    ZYGOTE_MODULE,
    Limits,
    Probe,
    Ready,
    RunRequest,
    RunResult,
    Setup,
    read_frame,
    write_frame,
    zygote_env,
)


class Zygote:
    """A client for one zygote process; runs one notebook at a time."""

    def __init__(
        self,
        python: str | None = None,
        command_prefix: list[str] | None = None,
        scratch_dir: str | None = None,
        preload: Sequence[str] = (),
        warm_up: str = "",
    ) -> None:
        self.python = python or sys.executable
        self.preload = tuple(preload)
        """Modules the zygote imports before it forks (``c.Grader.preload``)."""
        self.warm_up = warm_up
        """Code the zygote runs once before it forks, so that no child repeats first-use work."""
        self.command_prefix = command_prefix or []
        self.scratch_dir = scratch_dir
        """Where each job's folder is made (the one folder a sandbox may write); default: the system's temp."""
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = dict(os.environ, **zygote_env())
        env["PYTHONPATH"] += os.pathsep + os.environ.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(
            [*self.command_prefix, self.python, "-m", ZYGOTE_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            write_frame(self.proc.stdin, asdict(Setup(list(self.preload), self.warm_up)))
            Ready(**(read_frame(self.proc.stdout) or {}))
        except (OSError, ValueError, TypeError):
            self.close()
            raise RuntimeError("the grading process did not start") from None

    def run(
        self,
        notebook: dict[str, Any],
        files: dict[str, bytes],
        limits: Limits,
        probes: Sequence[Probe] = (),
        prefix: tuple[int, str] = (0, ""),
    ) -> RunResult:
        """Execute ``notebook`` in a fresh child, in a temporary folder holding ``files``.

        ``probes`` (see :mod:`autograder.jail.probing`) are run after their graded cells; ``prefix``: how many
        first code cells are a shared set-up, and its key (see :class:`~autograder.jail.protocol.RunRequest`).
        """
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        workdir = Path(tempfile.mkdtemp(prefix="grading-", dir=self.scratch_dir))
        try:
            for name, content in files.items():
                target = workdir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            request = RunRequest(secrets.token_hex(8), notebook, str(workdir), limits, list(probes), *prefix)
            try:
                write_frame(self.proc.stdin, request.to_frame())
                result = RunResult.from_reply(read_frame(self.proc.stdout), request.id)
            except (OSError, ValueError, TypeError):
                result = None
            if result is None:  # not this request's reply: this zygote cannot be trusted with the next one
                self.close()
                return RunResult.failed("the grading process stopped unexpectedly")
            return result
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.stdin:
                with contextlib.suppress(OSError):
                    self.proc.stdin.close()
            self.proc.kill()  # it holds nothing worth a clean shutdown, and torch's takes a second
            self.proc.wait()
            self.proc = None
