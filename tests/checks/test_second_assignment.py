"""A second assignment proves the engine knows none: nbgrader's own documentation example ``ps1``.

The example course ships with nbgrader (``docs/source/user_guide``: ``source/ps1``
and the submissions of ``bitdiddle`` and ``hacker``); it is read from the
installed package and copied into a throw-away course. ``autograder grade ps1``
must give every cell the score stock ``nbgrader autograde`` gives it, both
without checks and with a few declared ones (a checks module the test writes).
The declared checks swap in no reference (``substitute``): ps1's own tests let
bitdiddle's wrong ``squares`` cost ``sum_of_squares`` its cell too, and so do they.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbgrader
import pytest
from nbgrader.api import Gradebook

from autograder.engine.results import BY_GRADER, BY_NOTEBOOK
from tests.helpers import ROOT, run_cli

USER_GUIDE = Path(nbgrader.__file__).parent / "docs" / "source" / "user_guide"
STUDENTS = ("bitdiddle", "hacker")
CHECKS = '''
"""The grader's checks of ps1: a few lines per auto-graded cell."""

from autograder.checks.api import call, compare


def squares(n):
    if n < 1:
        raise ValueError("n must be greater than or equal to 1")
    return [i**2 for i in range(1, n + 1)]


def sum_of_squares(n):
    return sum(squares(n))


SOME = [call(1), call(2), call(10), call(11)]
CHECKS = [
    compare("problem1", "correct_squares", function="squares", reference=squares, visible=SOME,
            draw=lambda rng: [call(int(n)) for n in rng.integers(1, 40, size=3)]),
    compare("problem1", "squares_invalid_input", function="squares", reference=squares, visible=[call(0), call(-4)]),
    compare("problem1", "correct_sum_of_squares", function="sum_of_squares", reference=sum_of_squares, visible=SOME),
]
TASKS = {"squares": ("correct_squares", "squares_invalid_input"), "sums": ("correct_sum_of_squares",)}
'''

Scores = dict[tuple[str, str, str], float | None]


def engine_settings() -> str:
    """Our course config's ``c.Autograde.autograde_preprocessors`` (the engine's steps), nothing of week3's."""
    tree = ast.parse((ROOT / "nbgrader_config.py").read_text())
    kept = [
        n for n in tree.body if isinstance(n, ast.Assign) and "autograde_preprocessors" in ast.unparse(n.targets[0])
    ]
    return "\n".join(ast.unparse(n) for n in kept) + "\n"


def ps1_course(root: Path, config: str) -> Path:
    (root / "source").mkdir(parents=True)
    shutil.copytree(USER_GUIDE / "source" / "ps1", root / "source" / "ps1")
    for student in STUDENTS:
        shutil.copytree(USER_GUIDE / "submitted" / student / "ps1", root / "submitted" / student / "ps1")
    (root / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n" + config)
    return root


def scores(root: Path) -> Scores:
    found: Scores = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student in STUDENTS:
            for nb in gb.find_submission("ps1", student).notebooks:
                for grade in nb.grades:
                    found[(student, nb.name, grade.name)] = grade.auto_score
    return found


def nbgrader_cli(*args: str, cwd: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.fixture(scope="module")
def stock(tmp_path_factory: pytest.TempPathFactory) -> Scores:
    root = ps1_course(tmp_path_factory.mktemp("stock"), "")
    nbgrader_cli("generate_assignment", "ps1", cwd=root)
    nbgrader_cli("autograde", "ps1", cwd=root)
    return scores(root)


def ours(root: Path, config: str) -> Scores:
    ps1_course(root, engine_settings() + config)
    for step in (("release", "ps1"), ("grade", "ps1")):
        result = run_cli(*step, cwd=root)
        assert result.returncode == 0, result.stderr[-2000:]
    return scores(root)


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_ps1_without_checks_scores_as_stock_nbgrader(stock: Scores, tmp_path: Path) -> None:
    assert any(score == 0 for score in stock.values()), "the example's hacker should lose points somewhere"
    assert ours(tmp_path / "course", "") == stock
    record = json.loads((tmp_path / "course" / "autograded" / "hacker" / "ps1" / "grading.json").read_text())
    judged = {c["judged_by"] for c in record["checks"] if c["auto"]}
    assert judged == {BY_NOTEBOOK}, "with no declared check a cell's score comes from the notebook's own outputs"


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader")
def test_ps1_with_declared_checks_scores_as_stock_nbgrader(stock: Scores, tmp_path: Path) -> None:
    root = tmp_path / "course"
    root.mkdir()
    (root / "ps1_checks.py").write_text(CHECKS)
    assert ours(root, 'c.Grader.checks = {"ps1": "ps1_checks"}\n') == stock
    record = json.loads((root / "autograded" / "hacker" / "ps1" / "grading.json").read_text())
    assert record["seed"] is not None, "the declared checks were not used"
    assert BY_GRADER in {c["judged_by"] for c in record["checks"] if c["auto"]}
