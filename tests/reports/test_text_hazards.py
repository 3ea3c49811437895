"""Any bytes a student produces are that student's problem alone: text hazards go through every output.

One cohort, graded and reported as a user runs them (``autograder grade``, ``autograder report``): a student whose
code prints lone surrogates, NULs, control characters, right-to-left overrides and an enormous line; one whose
notebook file itself holds them (a markdown cell and metadata); one whose name does; and the reference as the
control. Everyone is graded as their answers deserve, and every file the grader wrote (autograded notebooks,
feedback pages, CSV exports, the cohort report, the similarity report) is valid UTF-8 with the hazards replaced
visibly (U+FFFD) wherever a person reads them.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path

import pytest

from autograder import notebooks
from autograder.samples import Variant
from tests.helpers import released_course, run_cli
from tests.jail.attacks.answers import REFERENCE
from tests.jail.attacks.limits import after_task2

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hazards")]

PRINTS_HAZARDS = r"""
from IPython.display import display

print("lone surrogates: [\udc80] [\ud800]; a real pair: [\U0001F600]")
print("NUL [\x00] bell [\x07] vertical tab [\x0b] colour [\x1b[31mred\x1b[0m] delete [\x7f]")
print("right-to-left override: [\u202egnp.exe] isolate [\u2067x\u2069] mark [\u200f]")
print("=HYPERLINK(\"http://example.com\",\"click\")")
print("x" * 200_000)
display({"text/plain": "plain [\udc80] [\x00]", "text/html": "<b>html [\udc80] [\x00] [\u202e]</b>"}, raw=True)
"""
HAZARD_TEXT = "markdown [\udc80] [\x00] [\u202eevil] [\x07]"
NAMED = "\u202e=1+1"
"""A student id starting with a right-to-left override and a formula."""
COHORT = [
    Variant("ada_reference", base="reference", answers=REFERENCE),
    Variant("eve_prints_hazards", answers=after_task2(PRINTS_HAZARDS)),
    Variant("mal_notebook_hazards", base="reference", answers=REFERENCE),
    Variant(NAMED, base="reference", answers=REFERENCE),
]
INVISIBLE_IN_READ_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def plant_hazards(notebook: Path) -> None:
    """Put the hazards into the notebook file itself: a markdown cell and the notebook's metadata."""
    nb = notebooks.read(notebook)
    nb.cells[0].source = HAZARD_TEXT
    nb.metadata["hazard"] = HAZARD_TEXT
    text = json.dumps(nb)  # ASCII, the lone surrogate and the NUL as JSON escapes: a file any editor could save
    assert "\\udc80" in text and "\\u0000" in text
    notebook.write_text(text)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = released_course(tmp_path_factory.mktemp("hazards") / "course", COHORT)
    plant_hazards(course.submitted_dir / "mal_notebook_hazards" / "week3" / "task1_fitting.ipynb")
    for command in (("grade", "week3"), ("report", "week3")):
        done = run_cli(*command, cwd=course.root)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return course.root


def written(root: Path) -> list[Path]:
    return [p for folder in ("autograded", "feedback", "reports") for p in (root / folder).rglob("*") if p.is_file()]


def test_every_student_is_graded_as_the_answers_deserve(graded: Path) -> None:
    with sqlite3.connect(graded / "gradebook.db") as db:
        students = {row[0] for row in db.execute("select student_id from submitted_assignment")}
    assert students == {v.student for v in COHORT}
    with (graded / "reports" / "week3" / "grades.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    autos = {row["student"]: row["auto_score"] for row in rows}
    assert len(autos) == len(COHORT)
    assert set(autos.values()) == {"29"}, autos


def test_every_file_written_is_utf8_without_nul(graded: Path) -> None:
    files = written(graded)
    assert len(files) > 10
    for path in files:
        data = path.read_bytes()
        data.decode("utf-8")  # strict: raises on anything UTF-8 cannot hold
        assert b"\x00" not in data, path
        if path.suffix == ".ipynb":
            json.loads(data)


def test_the_hazards_show_as_replacement_characters_where_people_read(graded: Path) -> None:
    pages = [p for p in written(graded) if p.suffix in (".html", ".csv")]
    assert pages
    for path in pages:
        text = path.read_text(encoding="utf-8")
        found = INVISIBLE_IN_READ_TEXT.search(text)
        assert found is None, f"{path}: {found[0]!r} near {text[max(0, found.start() - 40) : found.end() + 40]!r}"
    autograded = (graded / "autograded" / "eve_prints_hazards" / "week3" / "task2_relu.ipynb").read_text("utf-8")
    assert "lone surrogates: [\ufffd] [\ufffd]; a real pair: [\U0001f600]" in autograded
    feedback = next((graded / "feedback" / "eve_prints_hazards").rglob("task2_relu.html")).read_text("utf-8")
    assert "right-to-left override: [\ufffdgnp.exe]" in feedback


def test_no_csv_cell_starts_a_formula(graded: Path) -> None:
    for path in (graded / "reports" / "week3").glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                assert not any(cell.startswith(("=", "+", "@")) for cell in row), (path, row)
