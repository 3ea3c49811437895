"""nbgrader's own commands, with the course's configuration, grade as ``autograder`` does.

Two identical copies of the course with a few students: one graded by the real
``nbgrader autograde`` (and its feedback by ``nbgrader generate_feedback``), the
other by ``autograder grade`` (and ``autograder report``). The gradebooks must
agree cell by cell; student code must have run in the sandbox; the feedback
pages must hold no hidden test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nbgrader.api import Gradebook

from autograder import notebooks
from autograder.course import Course
from autograder.plugins import AUTOGRADE_PREPROCESSORS, EXECUTE, SAVE_GRADES
from autograder.reports.feedback import HIDDEN_PLACEHOLDER
from autograder.samples import Variant, reference_answers
from autograder.settings import Grader, autograde_steps, is_execute_step
from demo.cohort import SAMPLE_COHORT
from tests.helpers import ROOT, SOURCE, copy_solutions, released_course, run_cli, text_of

BIN = Path(sys.executable).parent
STUDENTS = ("ada_reference", "ben_untouched_stub", "cai_forgets_zero_grad", "eli_relu_pairs_mixed")
SPY = "zed_spies"
SPY_CODE = """
import os as _os, socket as _socket
print(f"uid={_os.getuid()} host={_socket.gethostname()}")
try:
    open(SECRET).read()
    print("read the course's source notebook")
except OSError as _exc:
    print(f"cannot read the course's files: {type(_exc).__name__}")
open("written-by-student.txt", "w").write("left behind")
"""

Scores = dict[tuple[str, str, str], tuple[float, bool]]


def run_nbgrader(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real ``nbgrader`` command, as an instructor runs it in the course root."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run(
        [str(BIN / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )


def cohort(root: Path) -> list[Variant]:
    """Some of the sample cohort, and a student whose answer spies on the machine it runs on."""
    reference = reference_answers(SOURCE)["task2_relu"]["triple_relu"]
    secret = str(root / "source" / "week3" / "task2_relu.ipynb")
    spy = SPY_CODE.replace("SECRET", repr(secret)) + reference
    return [v for v in SAMPLE_COHORT if v.student in STUDENTS] + [
        Variant(SPY, answers={"task2_relu": {"triple_relu": spy}})
    ]


pytestmark = pytest.mark.xdist_group("nbgrader_commands")  # one worker: the graded courses are made once


def gradebook_scores(course: Course) -> Scores:
    """Every grade of week 3: ``{(student, notebook, grade id): (score, needs manual grade)}``."""
    found: Scores = {}
    with Gradebook(course.gradebook_url()) as gb:
        for submission in gb.assignment_submissions("week3"):
            for nb in submission.notebooks:
                for grade in nb.grades:
                    found[(submission.student.id, nb.name, grade.name)] = (grade.score, grade.needs_manual_grade)
    return found


@dataclass(frozen=True)
class Graded:
    by_nbgrader: Course
    by_autograder: Course


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    base = tmp_path_factory.mktemp("commands")
    courses = []
    for name in ("nbgrader", "autograder"):
        root = base / name
        courses.append(released_course(root, cohort(root)))
    by_nbgrader, by_autograder = courses
    done = run_nbgrader("autograde", "week3", cwd=by_nbgrader.root)
    assert done.returncode == 0, done.stdout + done.stderr
    done = run_nbgrader("generate_feedback", "week3", cwd=by_nbgrader.root)
    assert done.returncode == 0, done.stdout + done.stderr
    done = run_cli("grade", "week3", cwd=by_autograder.root)
    assert done.returncode == 0, done.stdout + done.stderr
    done = run_cli("report", "week3", cwd=by_autograder.root)
    assert done.returncode == 0, done.stdout + done.stderr
    return Graded(by_nbgrader, by_autograder)


def test_the_engine_reads_nbgraders_lists_minus_the_execute_step() -> None:
    """One source of truth: ``autograder grade`` scores with the course's ``Autograde`` lists."""
    config = Course.load(ROOT).config
    sanitize, autograde = autograde_steps(config)
    assert autograde == list(config.Autograde.autograde_preprocessors)
    assert autograde == AUTOGRADE_PREPROCESSORS, "the engine's default list and the course's have drifted apart"
    assert SAVE_GRADES in autograde
    assert [item for item in autograde if is_execute_step(item)] == [EXECUTE]
    grader = Grader(config=config)
    assert grader.score_preprocessors == [item for item in autograde if item != EXECUTE]
    from nbgrader.converters.autograde import Autograde

    stock = Autograde(config=config)
    assert grader.sanitize_preprocessors == sanitize == list(stock.sanitize_preprocessors)
    assert list(stock.autograde_preprocessors) == autograde


@pytest.mark.slow
def test_nbgrader_autograde_scores_every_cell_as_autograder_grade(graded: Graded) -> None:
    theirs, ours = gradebook_scores(graded.by_nbgrader), gradebook_scores(graded.by_autograder)
    assert set(theirs) == set(ours) and len({student for student, _, _ in ours}) == len(STUDENTS) + 1
    differ = {key: (theirs[key], ours[key]) for key in ours if theirs[key] != ours[key]}
    assert not differ, f"nbgrader autograde vs autograder grade: {differ}"

    def total(student: str) -> float:
        return sum(score for (who, _, _), (score, _) in theirs.items() if who == student)

    assert total("ben_untouched_stub") == 0
    assert total("cai_forgets_zero_grad") < total("ada_reference")
    assert total("eli_relu_pairs_mixed") < total("ada_reference")
    with Gradebook(graded.by_nbgrader.gradebook_url()) as gb:  # the reference gets every automatic point
        submission = gb.find_submission("week3", "ada_reference")
        automatic = [g for nb in submission.notebooks for g in nb.grades if g.auto_score is not None]
        assert automatic and all(g.auto_score == g.max_score for g in automatic)


@pytest.mark.slow
def test_a_notebook_without_grade_cells_is_not_run_by_either_command(graded: Graded) -> None:
    """``c.Grader.execute_ungraded`` (off) holds for both: Task 3 (optional, no points) is not trained for every
    student, while the graded notebooks beside it are run."""
    released = (ROOT / "release" / "week3").glob("*.ipynb")
    ungraded = [p.stem for p in released if not notebooks.has_grade_cells(notebooks.read(p))]
    assert ungraded == ["task3_architectures"]
    for course in (graded.by_nbgrader, graded.by_autograder):
        folder = course.autograded_dir("week3", "ada_reference")
        ran = {p.stem: any(c.get("outputs") for c in notebooks.read(p).cells) for p in folder.glob("*.ipynb")}
        assert ran == {"task1_fitting": True, "task2_relu": True, "task3_architectures": False}, course.root


@pytest.mark.slow
def test_student_code_runs_in_the_sandbox_under_nbgrader_autograde(graded: Graded) -> None:
    folder = graded.by_nbgrader.autograded_dir("week3", SPY)
    nb = notebooks.read(folder / "task2_relu.ipynb")
    [cell] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "triple_relu"]
    printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    assert "host=sandbox" in printed, printed
    if os.geteuid() == 0:
        assert f"uid={Grader().sandbox_uid}" in printed, printed
    assert "cannot read the course's files: FileNotFoundError" in printed, printed
    assert "read the course's source notebook" not in printed
    # deliberately unlike stock nbgrader (its test_side_effects): what student code writes stays in the sandbox
    assert not list(graded.by_nbgrader.root.rglob("written-by-student.txt"))


@pytest.mark.slow
def test_nbgrader_generate_feedback_shows_the_scores_of_autograder_report(graded: Graded) -> None:
    for student in (*STUDENTS, SPY):
        theirs = graded.by_nbgrader.root / "feedback" / student / "week3"
        ours = graded.by_autograder.root / "feedback" / student / "week3"
        pages = sorted(p.name for p in theirs.glob("*.html"))
        assert pages == sorted(f"{p.stem}.html" for p in SOURCE.glob("*.ipynb")), student
        shown: list[str] = []
        for name in pages:
            text = text_of(theirs / name)
            assert "HIDDEN TESTS" not in text, f"{student}/{name}"
            score_lines = [line.strip() for line in text.splitlines() if line.strip().startswith("Score:")]
            shown += score_lines
            assert score_lines == [
                line.strip() for line in text_of(ours / name).splitlines() if line.strip().startswith("Score:")
            ], f"{student}/{name}: the scores shown differ from autograder report's"
        assert shown, f"{student}: no score shown"


def hidden_lines(nb: Any) -> set[str]:
    """Lines of code that only the hidden test regions of ``nb`` hold."""
    hidden, visible = set(), set()
    for cell in nb.cells:
        parts = re.split(r"### (?:BEGIN|END) HIDDEN TESTS", cell.source)
        visible |= {line.strip() for part in parts[0::2] for line in part.splitlines()}
        hidden |= {line.strip() for part in parts[1::2] for line in part.splitlines()}
    return {line for line in hidden - visible if line}


@pytest.mark.slow
def test_nbgrader_generate_feedback_hides_the_hidden_tests_of_nbgraders_own_example(tmp_path: Path) -> None:
    """nbgrader's ``test-hidden-tests.ipynb`` (read from the installed package): visible tests pass, hidden ones
    fail; with the course's config, the feedback shows neither the hidden code nor tracebacks quoting it."""
    import nbgrader

    example = Path(nbgrader.__file__).parent / "tests" / "apps" / "files" / "test-hidden-tests.ipynb"
    root = tmp_path / "course"
    (root / "source" / "squares").mkdir(parents=True)
    config = (ROOT / "nbgrader_config.py").read_text()
    config += 'c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}  # as nbgrader\'s test\n'
    (root / "nbgrader_config.py").write_text(config)
    copy_solutions(root)  # the config's warm-up and checks live in the course's solutions/
    shutil.copy(example, root / "source" / "squares" / "p1.ipynb")
    hidden = hidden_lines(notebooks.read(example))
    assert len(hidden) >= 4
    for step in (("generate_assignment", "squares"), None, ("autograde", "squares"), ("generate_feedback", "squares")):
        if step is None:  # a student hands in the release untouched
            (root / "submitted" / "foo" / "squares").mkdir(parents=True)
            shutil.copy(root / "release" / "squares" / "p1.ipynb", root / "submitted" / "foo" / "squares")
            continue
        done = run_nbgrader(*step, cwd=root)
        assert done.returncode == 0, done.stdout + done.stderr
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:  # as nbgrader's test_hidden_tests_single_notebook
        assert gb.find_submission_notebook("p1", "squares", "foo").score == 1.5
    text = text_of(root / "feedback" / "foo" / "squares" / "p1.html")
    assert "HIDDEN TESTS" not in text
    assert HIDDEN_PLACEHOLDER in text
    assert "AssertionError" in text  # the hidden test's failure shows, not its code
    leaked = sorted(line for line in hidden if line in text)
    assert not leaked, f"hidden test code in the feedback: {leaked}"
