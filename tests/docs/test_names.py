"""Every path, command and setting the documentation and the README name exists in the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.names import blocks_and_spans, command_problem, dotted_problem, path_problem, problems, setting_problem
from tests.helpers import ROOT

PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_name_on_the_page_exists(page: Path) -> None:
    assert problems(page) == []


def test_the_pages_name_things_to_check() -> None:
    """The checks have something to bite on: settings, modules, paths and commands on the pages."""
    spans = [span for page in PAGES for span in blocks_and_spans(page.read_text())[1]]
    assert sum(span.startswith("c.Grader.") for span in spans) >= 20
    assert sum(span.startswith("autograder.") for span in spans) >= 10
    assert sum(span.startswith("tests/") for span in spans) >= 20


def test_a_name_that_went_away_is_found() -> None:
    assert setting_problem("Grader", "memory_mb") is None
    assert setting_problem("Grader", "memory_megabytes") == "Grader has no option memory_megabytes"
    assert setting_problem("Gradr", "memory_mb") == "no configurable class Gradr"
    assert setting_problem("Exchange", "root") is None
    assert dotted_problem("autograder.checks.plan.Verdict") is None
    assert dotted_problem("autograder.checks.plan.Verdit") == "autograder.checks.plan has no Verdit"
    assert path_problem("autograder/engine/intake.py") is None
    assert path_problem("autograder/engine/intak.py") == "no such file or folder"
    assert path_problem("source/week4/task1.ipynb") is None  # the reader writes it
    assert command_problem("make bench-grading STUDENTS=20") is None
    assert command_problem("sudo make hubb") == "no make target hubb"
    assert command_problem(".venv/bin/autograder grade week3 --force --seed 1  # again") is None
    assert command_problem("autograder grade week3 --forced") == "autograder grade has no option --forced"
    assert command_problem("autograder regrade week3") == "no command autograder regrade"
    assert command_problem(".venv/bin/python -m hub --keep-home") == "python -m hub has no option --keep-home"


def test_the_readme_links_to_files_that_exist() -> None:
    """The README's relative links (into docs/, the screenshot) point at files of the repository; the site's own
    links are checked in the built site."""
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", (ROOT / "README.md").read_text())
    relative = [link for link in links if "://" not in link]
    assert len(relative) >= 10
    assert [link for link in relative if not (ROOT / link).is_file()] == []


def test_the_readme_says_nothing_the_docs_do_not() -> None:
    """Every figure of the README (a ratio, a score, a duration) is on a page of the docs too."""
    figure = re.compile(r"\b\d+(?:\.\d+)?x\b|\b\d+/\d+\b|\b\d+(?:\.\d+)? (?:s|ms|MiB|min)\b")
    docs = " ".join(" ".join(page.read_text().split()) for page in PAGES if page.name != "README.md")
    figures = set(figure.findall(" ".join((ROOT / "README.md").read_text().split())))
    assert figures, "the README shows its headline figures"
    assert sorted(f for f in figures if f not in docs) == []
