"""Attacks through the submission folder itself: links, special files and notebooks too big to parse.

A link in a submission folder (symbolic or hard) points at a file of the grading machine, which
the grader's user can read: under stock nbgrader, and in this grader before the intake, its
contents arrived beside the notebook (or as the notebook), so a submission could read the source
notebook's solutions and score with no code of its own. FIFOs, sockets and devices would block or
flood the grader that opens them; oversized, deeply nested or million-cell notebooks would make
the grader's own process spend unbounded time and memory before any sandbox is involved. Each is
refused by name (status ``error``) and the rest of the submission is graded without it.
"""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import nbformat

from autograder.engine.results import Status
from tests.jail.attacks.model import T2, Attack, Submission, code

ASSIGNMENT = "week3"
REFUSED = frozenset({Status.ERROR})
TASK2_ANSWERS = ("triple_relu", "triple_relu_fit", "linear_swap", "plot_triple_relu")


def copies_solutions_from(path: str) -> dict[str, dict[str, str]]:
    """Task 2's answer cells, each running the source notebook's solution cell of the same grade id from ``path``."""
    template = """
        import json

        with open({path!r}) as _file:
            _cells = json.load(_file)["cells"]
        _mine = [c for c in _cells if c["metadata"].get("nbgrader", {{}}).get("grade_id") == {gid!r}]
        exec("".join(_mine[0]["source"]))
        """
    return {T2: {gid: code(template.format(path=path, gid=gid)) for gid in TASK2_ANSWERS}}


def source_notebook(course_root: Path) -> Path:
    return course_root / "source" / ASSIGNMENT / f"{T2}.ipynb"


def link_source(folder: Path, course_root: Path) -> None:
    (folder / "answers.json").symlink_to(source_notebook(course_root))


def hard_link_source(folder: Path, course_root: Path) -> None:
    os.link(source_notebook(course_root), folder / "answers.json")


def link_source_folder(folder: Path, course_root: Path) -> None:
    (folder / "course").symlink_to(course_root / "source" / ASSIGNMENT, target_is_directory=True)


def link_notebook(folder: Path, course_root: Path) -> None:
    (folder / f"{T2}.ipynb").unlink()
    (folder / f"{T2}.ipynb").symlink_to(source_notebook(course_root))


def fifo(folder: Path, course_root: Path) -> None:
    os.mkfifo(folder / "points.csv")


def fifo_timestamp(folder: Path, course_root: Path) -> None:
    (folder / "timestamp.txt").unlink(missing_ok=True)
    os.mkfifo(folder / "timestamp.txt")


def unix_socket(folder: Path, course_root: Path) -> None:
    here = Path.cwd()
    os.chdir(folder)  # socket paths are limited to about 100 bytes: bind a relative one
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind("points.csv")
    finally:
        os.chdir(here)


def device(folder: Path, course_root: Path) -> None:
    """``/dev/zero`` under another name: reading it never ends (needs root; a FIFO otherwise)."""
    if os.geteuid() == 0:
        os.mknod(folder / "points.csv", 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    else:
        fifo(folder, course_root)


def oversized(notebooks: dict[str, nbformat.NotebookNode]) -> None:
    notebooks[T2].metadata["padding"] = "x" * 21_000_000


def deeply_nested(notebooks: dict[str, nbformat.NotebookNode]) -> None:
    nested: list[object] = []
    for _ in range(200):
        nested = [nested]
    notebooks[T2].metadata["nested"] = nested


def many_cells(notebooks: dict[str, nbformat.NotebookNode]) -> None:
    notebooks[T2].cells.extend(nbformat.v4.new_raw_cell("") for _ in range(5000))


ATTACKS = [
    Attack(
        "links_the_source_notebook",
        "a symbolic link beside the notebooks to the source notebook; Task 2's cells exec its solutions",
        Submission(base="stub", answers=copies_solutions_from("answers.json"), plant=link_source),
        "stub",
        REFUSED,
        ("answers.json was refused: it is a symbolic link",),
    ),
    Attack(
        "hard_links_the_source_notebook",
        "a hard link to the source notebook (a plain file to a naive check); Task 2's cells exec its solutions",
        Submission(base="stub", answers=copies_solutions_from("answers.json"), plant=hard_link_source),
        "stub",
        REFUSED,
        ("answers.json was refused: it is a hard link",),
    ),
    Attack(
        "links_the_source_folder",
        "a symbolic link to the assignment's source folder; Task 2's cells exec the solutions found through it",
        Submission(base="stub", answers=copies_solutions_from(f"course/{T2}.ipynb"), plant=link_source_folder),
        "stub",
        REFUSED,
        ("course was refused: it is a symbolic link",),
    ),
    Attack(
        "links_its_notebook_to_the_source",
        "task2_relu.ipynb is a symbolic link to the source notebook: solutions and hidden tests graded as its own",
        Submission(base="stub", plant=link_notebook),
        "stub",
        REFUSED,
        (f"{T2}.ipynb was refused: it is a symbolic link",),
    ),
    Attack(
        "plants_a_fifo",
        "a FIFO named points.csv beside the notebooks: a grader that reads it waits forever",
        Submission(plant=fifo),
        "reference",
        REFUSED,
        ("points.csv was refused: it is a FIFO",),
    ),
    Attack(
        "fifo_timestamp",
        "timestamp.txt is a FIFO: nbgrader reads it before any step runs, and would wait forever",
        Submission(plant=fifo_timestamp),
        "reference",
        REFUSED,
        ("timestamp.txt cannot be read: it is a FIFO",),
    ),
    Attack(
        "plants_a_socket",
        "a Unix socket named points.csv beside the notebooks",
        Submission(plant=unix_socket),
        "reference",
        REFUSED,
        ("points.csv was refused: it is a socket",),
    ),
    Attack(
        "plants_a_device",
        "/dev/zero as points.csv beside the notebooks: a grader that reads it fills its memory",
        Submission(plant=device),
        "reference",
        REFUSED,
        ("points.csv was refused: it is a device", "points.csv was refused: it is a FIFO"),
    ),
    Attack(
        "oversized_notebook",
        "task2_relu.ipynb padded to 21 MB of metadata: the grader's process parses and validates all of it",
        Submission(edit=oversized),
        "reference",
        REFUSED,
        ("(c.Grader.max_notebook_bytes)",),
    ),
    Attack(
        "deeply_nested_notebook",
        "task2_relu.ipynb with metadata nested 200 lists deep: recursion in the grader's parsers and validators",
        Submission(edit=deeply_nested),
        "reference",
        REFUSED,
        ("(c.Grader.max_json_depth)",),
    ),
    Attack(
        "five_thousand_cells",
        "task2_relu.ipynb with 5000 extra cells: validation and every sanitizer walk them in the grader's process",
        Submission(edit=many_cells),
        "reference",
        REFUSED,
        ("(c.Grader.max_cells)",),
    ),
]
