"""Grades are right wherever a user puts the checkout and its environment: under /tmp, under /var/tmp, or in a
folder only its owner can read, with the shared prefix on and off.

Each location gets a copy of the tracked files and a virtual environment inside it (a hard-linked copy of this
one, with the copy of the package installed into it), as ``git clone`` and ``make install`` there would give.
The cohort is graded by one worker, so that one zygote runs every job: a zygote that broke its own mounts after
its first job (a checkout under /tmp graded 17/29, then 0/29) would show here.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.engine.sandbox import unreadable
from autograder.samples import Variant, build_cohort
from demo.cohort import SAMPLE_COHORT
from tests.engine.test_wheel import copy_tracked, run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("locations")]

REFERENCE = next(v for v in SAMPLE_COHORT if v.student == "ada_reference")
COHORT = [REFERENCE, next(v for v in SAMPLE_COHORT if v.student == "ben_untouched_stub"),
          Variant("cal_reference_again", base="reference")]  # fmt: skip
EXPECTED = {"ada_reference": 29, "ben_untouched_stub": 0, "cal_reference_again": 29}


def install_checkout(folder: Path) -> Path:
    """A copy of the tracked files in ``folder`` with its own environment, the package installed from there."""
    checkout = copy_tracked(folder / "checkout")
    venv = checkout / ".venv"
    try:
        run("cp", "-al", sys.prefix, venv, cwd=folder)  # hard links: seconds, and no extra space
    except AssertionError:
        shutil.copytree(sys.prefix, venv, symlinks=True)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", checkout, cwd=checkout)
    where = run(python, "-c", "import autograder; print(autograder.__file__)", cwd=folder)
    assert where.startswith(str(checkout)), where
    return checkout


def grade(checkout: Path, share_prefix: bool) -> dict[str, int]:
    """The auto scores of the cohort, graded from the checkout's own environment."""
    config = checkout / "nbgrader_config.py"
    config.write_text(config.read_text() + f"c.Grader.share_prefix = {share_prefix}\n")
    out = run(checkout / ".venv" / "bin" / "autograder", "grade", "week3", "--force", "--workers", "1", cwd=checkout)
    scores = {}
    for line in out.splitlines():
        if line.split(" ")[0] in EXPECTED:
            scores[line.split()[0]] = int(line.split()[1].split("/")[0])
    return scores


@pytest.fixture(params=["tmp", "private_home_in_var_tmp"])
def checkout(request: pytest.FixtureRequest) -> Iterator[Path]:
    if request.param == "tmp":
        home = Path(tempfile.mkdtemp(prefix="autograder-", dir="/tmp"))
    else:
        home = Path(tempfile.mkdtemp(prefix="home-", dir="/var/tmp"))
        home.chmod(0o700)  # only its owner may read it, as a home folder often is
    try:
        checkout = install_checkout(home)
        run(checkout / ".venv" / "bin" / "autograder", "release", "week3", cwd=checkout)
        build_cohort(COHORT, course_root=checkout, assignment="week3")
        yield checkout
    finally:
        shutil.rmtree(home, ignore_errors=True)


PREFIX_MODES = {"tmp": (False, True), "private_home_in_var_tmp": (True,)}
"""Both ways under /tmp, where the bug was; one way in a home only its owner can read, under /var/tmp (the
suite's time is counted)."""


def test_the_reference_gets_full_marks_and_the_stub_none_wherever_it_is_installed(
    checkout: Path, request: pytest.FixtureRequest
) -> None:
    for share_prefix in PREFIX_MODES[request.node.callspec.params["checkout"]]:
        assert grade(checkout, share_prefix) == EXPECTED, f"share_prefix = {share_prefix}"


def test_an_environment_the_sandbox_user_cannot_read_is_named(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    (site / "readable").mkdir(parents=True)
    (site / "readable" / "__init__.py").write_text("")
    assert unreadable([str(site)]) is None
    private = site / "private_package"
    private.mkdir(mode=0o700)  # as pip leaves it under umask 077
    private.chmod(0o700)
    assert unreadable([str(site)]) == str(private)
