"""A killed grader's scratch folders are removed by the next grader; nobody else's folder ever is."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.engine import scratch

MAKE_AND_WAIT = (
    "import sys, time\nfrom autograder.engine.scratch import make_scratch\nprint(make_scratch(), flush=True)\n"
    "time.sleep(float(sys.argv[1]))\n"
)


@pytest.fixture
def tmpdir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary folder of the test's own, for this process and the graders it starts."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    yield tmp_path


def grader(seconds: float) -> tuple[subprocess.Popen[str], Path]:
    """A process that makes a scratch folder (as a grader starting a zygote does) then lives ``seconds``."""
    proc = subprocess.Popen([sys.executable, "-c", MAKE_AND_WAIT, str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, Path(proc.stdout.readline().strip())


def test_a_killed_graders_folder_goes_and_a_living_ones_stays(tmpdir_env: Path) -> None:
    killed, left = grader(60)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert left.is_dir() and left.parent == tmpdir_env
    living, kept = grader(60)
    try:
        assert not left.exists(), "the next grader's scratch folder sweeps the killed one's"
        mine = Path(scratch.make_scratch())
        assert (mine / scratch.OWNER).read_text().split()[0] == str(os.getpid())
        assert kept.is_dir() and mine.is_dir(), "a living grader's folder stays"
    finally:
        living.kill()
        living.wait()
    assert scratch.sweep() == [kept] and sorted(tmpdir_env.iterdir()) == [mine]
    shutil.rmtree(mine)


def test_folders_the_sweep_cannot_vouch_for_are_left_alone(tmpdir_env: Path) -> None:
    killed, other_namespace = grader(60)
    killed.kill()
    killed.wait()
    pid, started, _ = (other_namespace / scratch.OWNER).read_text().split(" ", 2)
    (other_namespace / scratch.OWNER).write_text(f"{pid} {started} pid:[1]")  # made in another PID namespace
    unmarked = tmpdir_env / "sandbox-unmarked"  # made before folders named their maker, or by someone else
    unmarked.mkdir()
    linked = tmpdir_env / "sandbox-link"
    linked.symlink_to(other_namespace)
    garbled = tmpdir_env / "sandbox-garbled"
    garbled.mkdir()
    (garbled / scratch.OWNER).write_bytes(b"\xff\x00 not a pid")
    unvouched = tmpdir_env / "sandbox-unvouched"  # its maker's start time could not be read
    unvouched.mkdir()
    (unvouched / scratch.OWNER).write_text(f"{pid} None {scratch.me().split(' ', 2)[2]}")
    assert scratch.sweep() == []
    assert all(p.exists() for p in (other_namespace, unmarked, linked, garbled, unvouched))
