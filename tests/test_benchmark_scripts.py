"""Every benchmark script is a command a user runs: ``--help`` explains it, a bad argument gets one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(p for p in (ROOT / "benchmarks").glob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_help_explains_and_a_bad_argument_gets_one_line(script: Path) -> None:
    shown = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert shown.returncode == 0 and shown.stdout.startswith("usage:"), shown.stderr[-2000:]
    bad = subprocess.run([sys.executable, script, "--no-such-option"], capture_output=True, text=True, timeout=120,
                         cwd=ROOT)  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr, bad.stderr[-2000:]
    assert bad.stderr.strip().splitlines()[-1].startswith(f"{script.name}: error:"), bad.stderr
