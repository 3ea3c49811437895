"""The product installs as a wheel: a fresh virtual environment outside the repo grades the sample cohort from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from autograder.samples import build_cohort
from demo.cohort import SAMPLE_COHORT
from tests.helpers import ROOT, make_course

pytestmark = pytest.mark.slow

STUDENTS = {"ada_reference": 29.0, "ben_untouched_stub": 0.0}


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done.stdout


def build_wheel(dest: Path) -> Path:
    """The wheel of the committed files (a copy of the tracked tree, so the repo gets no build/ folder)."""
    tree = dest / "tree"
    for name in run("git", "ls-files", cwd=ROOT).splitlines():
        if (ROOT / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tree / name)
    run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", dest, tree, cwd=dest
    )
    (wheel,) = dest.glob("*.whl")
    return wheel


def test_a_wheel_holds_everything_grading_needs_and_grades_the_sample_cohort(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "autograder/jail/zygote.py",
        "autograder/jail/protocol.py",
        "autograder/engine/grade.py",
        "autograder/checks/__init__.py",
        "autograder/reports/page_template.py",
        "solutions/week3.py",
        "solutions/week3_checks/__init__.py",
        "solutions/warm_up.py",
    ):
        assert needed in names, f"{needed} is not in {wheel.name}"

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    # The dependencies (torch, nbgrader, ...) come from this environment's site-packages, read-only;
    # the product itself (autograder, solutions) only from the wheel.
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = run(
        python,
        "-c",
        "import autograder, solutions.week3_checks as c; print(autograder.__file__, c.__file__)",
        cwd=tmp_path,
    )
    assert str(ROOT) not in where and all(p.startswith(str(venv)) for p in where.split()), where

    course = make_course(tmp_path / "course", with_release=False)
    assert not (course / "solutions").exists()
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    run(venv / "bin" / "autograder", "release", "week3", cwd=course, env=env)
    build_cohort([v for v in SAMPLE_COHORT if v.student in STUDENTS], course_root=course, assignment="week3")
    out = run(venv / "bin" / "autograder", "grade", "week3", "--workers", "1", cwd=course, env=env)
    for student, auto in STUDENTS.items():
        line = next(line for line in out.splitlines() if line.startswith(student))
        assert f"{auto:g}/29" in line, out
