"""User mistakes get one line on stderr and exit status 1, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import make_course, run_cli


def assert_one_line_error(result: object, fragment: str) -> None:
    assert result.returncode == 1  # type: ignore[attr-defined]
    err = result.stderr.strip()  # type: ignore[attr-defined]
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("autograder: error: ") and fragment in err, err


def test_missing_config(tmp_path: Path) -> None:
    assert_one_line_error(run_cli("release", "week3", cwd=tmp_path), "no nbgrader_config.py")


def test_unknown_assignment(tmp_path: Path) -> None:
    course = make_course(tmp_path / "c")
    assert_one_line_error(run_cli("release", "week4", cwd=course), "unknown assignment 'week4'")
    assert_one_line_error(run_cli("grade", "week4", cwd=course), "unknown assignment 'week4'")


def test_no_submissions(tmp_path: Path) -> None:
    course = make_course(tmp_path / "c")
    assert_one_line_error(run_cli("grade", "week3", cwd=course), "no submissions")


def test_grading_before_release(tmp_path: Path) -> None:
    course = make_course(tmp_path / "c")
    (course / "submitted" / "ana" / "week3").mkdir(parents=True)
    assert_one_line_error(run_cli("grade", "week3", cwd=course), "run 'autograder release week3' first")


def test_unknown_student(tmp_path: Path) -> None:
    course = make_course(tmp_path / "c")
    (course / "submitted" / "ana" / "week3").mkdir(parents=True)
    assert_one_line_error(run_cli("grade", "week3", "--student", "bob", cwd=course), "from bob")


def test_broken_config_file(tmp_path: Path) -> None:
    course = make_course(tmp_path / "c")
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.Execute.timeout = \n")
    assert_one_line_error(run_cli("release", "week3", cwd=course), "could not be loaded")


@pytest.mark.parametrize("content", ["{not json", '{"cells": 3}'])
def test_malformed_source_notebook(tmp_path: Path, content: str) -> None:
    course = make_course(tmp_path / "c")
    (course / "source" / "week3" / "task1_fitting.ipynb").write_text(content)
    assert_one_line_error(run_cli("release", "week3", cwd=course), "task1_fitting.ipynb: not a valid notebook")


def test_commands_start_without_the_iri_parsers() -> None:
    """Every command skips ``rfc3987_syntax`` (seconds of parser building on import) and nbgrader and
    nbformat validate as before without it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from autograder import cli\n"
        "cli.skip_iri_grammars()\n"
        "import jsonschema, nbformat, nbgrader.api\n"
        "from nbgrader.nbgraderformat import MetadataValidator\n"
        "from autograder import notebooks\n"
        "from tests.helpers import SOURCE\n"
        "nb = notebooks.read(SOURCE / 'task1_fitting.ipynb')\n"
        "nbformat.validate(nb)\n"
        "MetadataValidator().validate_nb(nb)\n"
        "broken = nbformat.from_dict({'cells': 1})\n"
        "try:\n"
        "    nbformat.validate(broken)\n"
        "except nbformat.ValidationError:\n"
        "    print('refused')\n"
        "print(sys.modules.get('rfc3987_syntax', 'absent'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["refused", "None"], done.stdout + done.stderr
