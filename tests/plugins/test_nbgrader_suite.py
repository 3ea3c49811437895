"""The referee's own setup: the deselected list names real tests, each with its reason and our test instead."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

from autograder.course import Course
from autograder.plugins import EXECUTE, SAVE_GRADES
from tests.helpers import ROOT
from tests.plugins import nbgrader_suite


def defined_tests(path: Path) -> set[str]:
    """``Class::test`` and ``test`` names defined in a test file."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ClassDef):
            names |= {f"{node.name}::{f.name}" for f in node.body if isinstance(f, ast.FunctionDef)}
        elif isinstance(node, ast.FunctionDef):
            names.add(node.name)
    return names


def test_each_deselected_test_exists_and_says_why_with_our_test_instead() -> None:
    deselected = nbgrader_suite.deselected()
    assert deselected, "nothing deselected: then this list and this test can go"
    package = nbgrader_suite.nbgrader_dir()
    for test_id, reason in deselected.items():
        path, _, name = test_id.partition("::")
        relative = Path(path).relative_to("nbgrader").as_posix()
        assert relative in nbgrader_suite.SUITE, f"{test_id}: not in the files the suite runs"
        assert name in defined_tests(package / relative), f"{test_id}: no such test in the installed nbgrader"
        ours = re.search(r"ours: (\S+?)::(\w+)\)?$", reason)
        assert ours and len(reason) > len(ours.group(0)) + 20, f"{test_id}: say the difference, then 'ours: test'"
        assert ours.group(2) in defined_tests(ROOT / ours.group(1)), f"{test_id}: {ours.group(0)} does not exist"


def test_the_suites_config_sets_the_courses_preprocessor_lists(tmp_path: Path) -> None:
    (tmp_path / "nbgrader_config.py").write_text(nbgrader_suite.engine_config())
    config = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    course = Course.load(ROOT).config
    assert config.Autograde.autograde_preprocessors == course.Autograde.autograde_preprocessors
    assert config.GenerateFeedback.preprocessors == course.GenerateFeedback.preprocessors
    assert {EXECUTE, SAVE_GRADES} <= set(config.Autograde.autograde_preprocessors)
    assert "autograder.reports.feedback.HideHiddenTests" in config.GenerateFeedback.preprocessors
    assert config.Autograde.get("sanitize_preprocessors") == course.Autograde.get("sanitize_preprocessors")


def test_the_suite_runs_the_installed_files_with_the_deselected_ones_left_out(tmp_path: Path) -> None:
    args = nbgrader_suite.command(tmp_path, 2, [])
    package = nbgrader_suite.nbgrader_dir()
    assert [a for a in args if a.endswith(".py")] == [str(package / p) for p in nbgrader_suite.SUITE]
    assert all((package / p).is_file() for p in nbgrader_suite.SUITE)
    deselect = [args[i + 1] for i, a in enumerate(args) if a == "--deselect"]
    assert deselect == list(nbgrader_suite.deselected())
    assert args[args.index("--rootdir") + 1] == str(package.parent)  # node ids start with nbgrader/
