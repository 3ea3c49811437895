"""The product installs as a wheel: the engine, not the course's answers. A fresh virtual environment outside the
repo (under the system's temporary folder) grades the sample cohort from it, and its sandbox shows no answer key."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from autograder.samples import Variant, build_cohort
from demo.cohort import SAMPLE_COHORT
from tests.helpers import ROOT, make_course
from tests.jail.attacks.answers import REFERENCE
from tests.jail.attacks.model import merged

pytestmark = pytest.mark.slow

STUDENTS = {"ada_reference": 29.0, "ben_untouched_stub": 0.0}


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done.stdout


def copy_tracked(dest: Path) -> Path:
    """A copy of the repository's tracked files (as a clone would have them, uncommitted edits included)."""
    for name in run("git", "ls-files", cwd=ROOT).splitlines():
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def build_wheel(dest: Path) -> Path:
    """The wheel of the committed files (a copy of the tracked tree, so the repo gets no build/ folder)."""
    tree = copy_tracked(dest / "tree")
    run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", dest, tree, cwd=dest
    )
    (wheel,) = dest.glob("*.whl")
    return wheel


KEY_THIEF = """
try:
    from solutions.week3 import triple_relu  # the answer key, if the sandbox shows it anywhere
except Exception as exc:
    print(f"no answer key here: {exc!r}")

    def triple_relu(m1, b1, m2, b2, m3, b3, x):
        return x * 0
"""
"""A student who takes the reference's ``triple_relu`` from wherever the sandbox might show it."""

LOOK_FOR_PRIVATE = """
import os
names = {"solutions", "week3_checks", "gradebook.db", ".autograder", "nbgrader_config.py", "submitted"}
found = []
for top in sorted(set(os.listdir("/")) - {"proc", "sys", "dev"}):
    for folder, dirs, files in os.walk("/" + top):
        found += [os.path.join(folder, n) for n in dirs + files if n in names]
print([path for path in found if "/site-packages/nbgrader/" not in path])  # nbgrader's own examples and tests
"""
"""Walks every folder the sandbox shows and names what belongs to the course or its grader."""


def test_the_wheel_carries_the_engine_not_the_course(tmp_path: Path) -> None:
    names = set(zipfile.ZipFile(build_wheel(tmp_path / "dist")).namelist())
    for needed in (
        "autograder/jail/zygote.py",
        "autograder/jail/protocol.py",
        "autograder/engine/grade.py",
        "autograder/checks/__init__.py",
        "autograder/reports/page_template.py",
    ):
        assert needed in names, f"{needed} is not in the wheel"
    assert not [name for name in names if name.startswith("solutions/")], "the wheel ships the course's answers"


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment (under the system's temporary folder) with the wheel installed, not editable."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(tmp_path / "dist")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    # The dependencies (torch, nbgrader, ...) come from this environment's site-packages, read-only;
    # the product itself only from the wheel.
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = run(python, "-c", "import autograder; print(autograder.__file__)", cwd=tmp_path)
    assert str(ROOT) not in where and where.startswith(str(venv)), where
    return venv


def test_from_the_wheel_the_sandbox_shows_no_answer_key(wheel_venv: Path, tmp_path: Path) -> None:
    course = make_course(tmp_path / "course", with_release=False)
    (course / "gradebook.db").write_bytes(b"")
    walk = (
        "import json, sys\n"
        "from autograder.engine.sandbox import Sandbox, ZygoteSpec, dispose, new_zygote\n"
        "from autograder.jail.protocol import Limits\n"
        "cell = {'cell_type': 'code', 'source': sys.argv[1], 'metadata': {}, 'outputs': [], 'execution_count': None}\n"
        "z = new_zygote(ZygoteSpec(Sandbox()))\n"
        "z.start()\n"
        "r = z.run({'cells': [cell], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}, {}, Limits())\n"
        "dispose(z)\n"
        "print(json.dumps([o.get('text', o.get('evalue')) for o in r.notebook['cells'][0]['outputs']]))\n"
    )
    out = run(wheel_venv / "bin" / "python", "-c", walk, LOOK_FOR_PRIVATE, cwd=course)
    assert out.strip() == '["[]\\n"]', f"the sandbox shows: {out}"


def test_from_the_wheel_the_course_grades_and_a_key_thief_gains_nothing(wheel_venv: Path, tmp_path: Path) -> None:
    course = make_course(tmp_path / "course", with_release=False)
    env = {**os.environ, "PATH": f"{wheel_venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    run(wheel_venv / "bin" / "autograder", "release", "week3", cwd=course, env=env)
    reference = next(v for v in SAMPLE_COHORT if v.student == "ada_reference")
    thief = Variant("eve_key_thief", answers=merged(REFERENCE, {"task2_relu": {"triple_relu": KEY_THIEF}}))
    cohort = [v for v in SAMPLE_COHORT if v.student in STUDENTS] + [thief]
    assert reference in cohort
    build_cohort(cohort, course_root=course, assignment="week3")
    out = run(wheel_venv / "bin" / "autograder", "grade", "week3", "--workers", "1", cwd=course, env=env)
    for student, auto in STUDENTS.items():
        line = next(line for line in out.splitlines() if line.startswith(student))
        assert f"{auto:g}/29" in line, out
    line = next(line for line in out.splitlines() if line.startswith("eve_key_thief"))
    assert int(line.split()[1].split("/")[0]) < 29, f"the key thief scored like the reference: {line}"
    graded = (course / "autograded" / "eve_key_thief" / "week3" / "task2_relu.ipynb").read_text()
    assert "no answer key here: ModuleNotFoundError" in graded


def test_an_environment_holding_the_checks_is_refused_in_one_line(wheel_venv: Path, tmp_path: Path) -> None:
    course = make_course(tmp_path / "course", with_release=False)
    site = run(wheel_venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
               cwd=tmp_path).strip()  # fmt: skip
    shutil.copytree(ROOT / "solutions", Path(site, "solutions"))
    try:
        done = subprocess.run([str(wheel_venv / "bin" / "autograder"), "release", "week3"], cwd=course,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        build_cohort([v for v in SAMPLE_COHORT if v.student == "ada_reference"], course_root=course,
                     assignment="week3")  # fmt: skip
        done = subprocess.run([str(wheel_venv / "bin" / "autograder"), "grade", "week3"], cwd=course,
                              capture_output=True, text=True, check=False)  # fmt: skip
    finally:
        shutil.rmtree(Path(site, "solutions"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "a copy of the course's checks (solutions)" in done.stderr and "uninstall it" in done.stderr
