"""A submission is taken in as plain files only, and its notebooks as bounded JSON (autograder.engine.intake)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import stat
import threading
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from autograder.course import Course
from autograder.engine import intake as intake_module
from autograder.engine.intake import Intake, OverLimit, json_shape, read_notebook, take
from autograder.engine.prepare import Job, Refused, prepare
from autograder.samples import Variant
from tests.helpers import released_course

LIMITS = {"max_notebook_bytes": 1_000_000, "max_file_bytes": 1_000_000, "max_total_bytes": 10_000_000, "max_files": 100}
SECRET = b"the course's answer key\n"


def taken(folder: Path, **limits: int) -> Intake:
    """``take`` on ``folder``, failing the test if it does not return within a few seconds (a FIFO read blocks)."""
    out: list[Intake] = []
    args = {**LIMITS, **limits}
    worker = threading.Thread(target=lambda: out.append(take(folder, notebooks=["task1.ipynb"], **args)), daemon=True)
    worker.start()
    worker.join(10)
    assert out, "take() did not return: it waited on something it should never have opened"
    return out[0]


@pytest.fixture
def course_file(tmp_path: Path) -> Path:
    """A file of the course, outside the submission, that the grader's user can read."""
    secret = tmp_path / "course" / "solutions" / "week3.py"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(SECRET)
    return secret


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A submission folder with one notebook and one data file of its own."""
    folder = tmp_path / "submitted" / "alice" / "week3"
    folder.mkdir(parents=True)
    (folder / "task1.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    (folder / "data").mkdir()
    (folder / "data" / "points.csv").write_text("x,y\n1,2\n")
    return folder


def test_plain_files_and_folders_are_taken(folder: Path) -> None:
    intake = taken(folder)
    assert sorted(intake.files) == ["data/points.csv", "task1.ipynb"]
    assert intake.files["data/points.csv"] == b"x,y\n1,2\n"
    assert not intake.refused and not intake.oversized


def test_symlink_beside_the_notebooks_to_a_course_file_is_refused_unread(folder: Path, course_file: Path) -> None:
    (folder / "ref.py").symlink_to(course_file)
    intake = taken(folder)
    assert "ref.py" not in intake.files
    assert SECRET not in intake.files.values()
    assert intake.refused == {"ref.py": "a symbolic link"}
    assert intake.messages() == ["ref.py was refused: it is a symbolic link, and a submission holds only plain files"]
    assert "task1.ipynb" in intake.files, "the rest of the submission is still taken"


@pytest.mark.parametrize("target", ["relative", "inside", "dangling"])
def test_every_symlink_is_refused_wherever_it_points(folder: Path, target: str) -> None:
    link = folder / "data" / "link.csv"
    link.symlink_to({"relative": "../../../../course", "inside": "points.csv", "dangling": "/nonexistent"}[target])
    intake = taken(folder)
    assert intake.refused == {"data/link.csv": "a symbolic link"}
    assert "data/link.csv" not in intake.files


def test_a_symlinked_folder_is_refused_and_not_walked(folder: Path, course_file: Path) -> None:
    (folder / "solutions").symlink_to(course_file.parent, target_is_directory=True)
    intake = taken(folder)
    assert intake.refused == {"solutions": "a symbolic link"}
    assert not any(path.startswith("solutions") for path in intake.files)


def test_a_hard_link_to_a_course_file_is_refused_unread(folder: Path, course_file: Path) -> None:
    os.link(course_file, folder / "ref.py")
    intake = taken(folder)
    assert intake.refused == {"ref.py": "a hard link (2 names for one file)"}
    assert SECRET not in intake.files.values()


def test_a_fifo_is_refused_without_being_opened(folder: Path) -> None:
    os.mkfifo(folder / "timestamp.txt")
    intake = taken(folder)
    assert intake.refused == {"timestamp.txt": "a FIFO"}


def test_a_socket_is_refused(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = folder / "s"
    monkeypatch.chdir(folder)  # a short name: socket paths are limited to about 100 bytes
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("s")
        assert stat.S_ISSOCK(path.lstat().st_mode)
        assert taken(folder).refused == {"s": "a socket"}


def test_a_device_is_refused_without_being_opened(folder: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("making a device node needs root: `make test` runs as root (as the hub's tests need)")
    os.mknod(folder / "zero", 0o666 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero: reading it never ends
    assert taken(folder).refused == {"zero": "a device"}


def test_a_symlinked_submission_folder_is_refused(tmp_path: Path, folder: Path) -> None:
    link = tmp_path / "bob"
    link.symlink_to(folder, target_is_directory=True)
    intake = taken(link)
    assert intake.refused == {"the submission folder": "a symbolic link"} and not intake.files


def test_a_file_swapped_for_a_link_after_listing_is_not_followed(folder: Path, course_file: Path) -> None:
    """The check-then-open race: the name listed as a plain file is a link by the time it is opened."""
    from autograder.engine import intake as module

    listed = (folder / "data" / "points.csv").lstat()
    (folder / "data" / "points.csv").unlink()
    (folder / "data" / "points.csv").symlink_to(course_file)
    fd = os.open(folder / "data", os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert module._read(fd, "points.csv", listed, 1000) is None
    finally:
        os.close(fd)


def test_ignored_names_and_limits(folder: Path) -> None:
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (folder / "big.bin").write_bytes(b"\0" * 2000)
    intake = taken(folder, max_file_bytes=1000)
    assert intake.oversized == {"big.bin": 2000} and "big.bin" not in intake.files
    assert "__pycache__/x.pyc" in intake.files
    assert "__pycache__/x.pyc" not in take(folder, notebooks=[], **LIMITS, ignore=["__pycache__"]).files
    few = taken(folder, max_files=2)
    assert len(few.files) + len(few.refused) <= 3 and any("one entry too many" in w for w in few.refused.values())


def test_the_other_files_share_one_byte_budget_the_notebooks_do_not(folder: Path) -> None:
    for index in range(5):
        (folder / "data" / f"part{index}.bin").write_bytes(b"\0" * 400)
    (folder / "task1.ipynb").write_bytes((folder / "task1.ipynb").read_bytes() + b" " * 3000)
    intake = taken(folder, max_total_bytes=1000)
    assert "task1.ipynb" in intake.files
    assert sorted(intake.oversized) == ["data/part2.bin", "data/part3.bin", "data/part4.bin"]
    assert sum(len(data) for path, data in intake.files.items() if path != "task1.ipynb") <= 1000


# Bounded parsing: hostile notebooks are refused from their bytes, before any parse.


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every JSON text the intake parses, as it parses it (its ``json.loads``, watched)."""
    lengths: list[int] = []

    def loads(data: bytes) -> object:
        lengths.append(len(data))
        return json.loads(data)

    monkeypatch.setattr(intake_module, "json", SimpleNamespace(loads=loads))
    return lengths


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every file the intake opens to read, as it opens it."""
    names: list[str] = []
    real = intake_module._read

    def watched(dir_fd: int, name: str, seen: os.stat_result, limit: int) -> bytes | None:
        names.append(name)
        return real(dir_fd, name, seen, limit)

    monkeypatch.setattr(intake_module, "_read", watched)
    return names


def notebook_bytes(cells: int) -> bytes:
    cell = b'{"cell_type":"raw","metadata":{},"source":""}'
    return b'{"cells":[' + b",".join([cell] * cells) + b'],"metadata":{},"nbformat":4,"nbformat_minor":4}'


def test_an_ordinary_notebook_reads_as_nbformat_would(parsed: list[int]) -> None:
    release = Path(__file__).resolve().parents[2] / "release" / "week3" / "task1_fitting.ipynb"
    data = release.read_bytes()
    nb = read_notebook("task1_fitting.ipynb", data, max_json_depth=64, max_cells=2000)
    assert nb == nbformat.reads(data.decode(), as_version=nbformat.NO_CONVERT)
    assert parsed == [len(data)], "parsed once, and seen parsed"
    assert json_shape(data)[1] == len(json.loads(data)["cells"])


def test_a_million_cells_are_refused_before_parsing(parsed: list[int]) -> None:
    data = b'{"cells":[' + b",".join([b"{}"] * 1_000_000) + b'],"metadata":{},"nbformat":4,"nbformat_minor":5}'
    with pytest.raises(OverLimit, match=r"has 1000000 cells, over the limit of 2000 \(c.Grader.max_cells\)"):
        read_notebook("task1.ipynb", data, max_json_depth=64, max_cells=2000)
    assert parsed == []


def test_deep_nesting_is_refused_before_parsing(parsed: list[int]) -> None:
    data = b'{"cells":[],"metadata":{"x":' + b"[" * 100_000 + b"]" * 100_000 + b'},"nbformat":4,"nbformat_minor":5}'
    with pytest.raises(OverLimit, match=r"nested 100002 levels deep, over the limit of 64 \(c.Grader.max_json_depth\)"):
        read_notebook("task1.ipynb", data, max_json_depth=64, max_cells=2000)
    assert parsed == []


def test_brackets_inside_strings_do_not_count() -> None:
    source = json.dumps("[[[[{{" * 1000 + '"\\' + "]]")
    data = notebook_bytes(3).replace(b'"source":""', b'"source":' + source.encode(), 1)
    assert json_shape(data) == (4, 3)
    assert len(read_notebook("t.ipynb", data, max_json_depth=8, max_cells=3).cells) == 3


def test_cell_count_at_the_limit_passes_and_one_more_is_refused() -> None:
    assert len(read_notebook("t.ipynb", notebook_bytes(50), max_json_depth=64, max_cells=50).cells) == 50
    with pytest.raises(OverLimit):
        read_notebook("t.ipynb", notebook_bytes(51), max_json_depth=64, max_cells=50)


def test_an_oversized_notebook_is_never_read(folder: Path, read: list[str]) -> None:
    (folder / "task1.ipynb").write_bytes(notebook_bytes(10) + b" " * 5000)
    intake = taken(folder, max_notebook_bytes=4096)
    assert "task1.ipynb" not in intake.files and intake.oversized["task1.ipynb"] > 4096
    assert read == ["points.csv"], "only the file within its limit was opened"


# In the grader: prepare() takes the submission through the intake.


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """A released week3 course with one honest stub submission to copy from."""
    return released_course(tmp_path_factory.mktemp("intake"), [Variant("template", base="stub")])


def submit(course: Course, student: str) -> Path:
    """A copy of the stub submission under ``student``'s name."""
    folder = course.submitted_path("week3", student)
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(course.submitted_path("week3", "template"), folder)
    return folder


def prepared(course: Course, student: str) -> Job:
    """``prepare`` for one student, failing the test if it does not return within a minute (a FIFO blocks)."""
    out: list[Job | BaseException] = []

    def run() -> None:
        try:
            out.append(prepare(course, "week3", student))
        except BaseException as exc:  # handed back to the test
            out.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(60)
    assert out, "prepare() did not return: it waited on something it should never have opened"
    if isinstance(out[0], BaseException):
        raise out[0]
    return out[0]


def test_a_symlink_to_a_course_file_never_reaches_the_sandbox(course: Course) -> None:
    """The issue's attack: a link beside the notebooks to the source notebook (solutions and hidden tests)."""
    folder = submit(course, "links_source")
    source = course.source_path("week3") / "task2_relu.ipynb"
    (folder / "answers.json").symlink_to(source)
    job = prepared(course, "links_source")
    assert "answers.json" not in job.files
    assert source.read_bytes() not in job.files.values()
    assert job.refused == ["answers.json was refused: it is a symbolic link, and a submission holds only plain files"]
    assert sorted(job.notebooks) == ["task1_fitting", "task2_relu", "task3_architectures"], "the rest is graded"


def test_a_hard_link_to_a_course_file_never_reaches_the_sandbox(course: Course) -> None:
    folder = submit(course, "hard_links_source")
    source = course.source_path("week3") / "task2_relu.ipynb"
    os.link(source, folder / "answers.json")
    job = prepared(course, "hard_links_source")
    assert source.read_bytes() not in job.files.values()
    assert job.refused and "answers.json" in job.refused[0] and "hard link" in job.refused[0]


def test_a_symlinked_notebook_is_refused_by_name(course: Course) -> None:
    folder = submit(course, "links_notebook")
    (folder / "task2_relu.ipynb").unlink()
    (folder / "task2_relu.ipynb").symlink_to(course.source_path("week3") / "task2_relu.ipynb")
    job = prepared(course, "links_notebook")
    assert "task2_relu" not in job.notebooks
    assert job.problems["task2_relu"] == "task2_relu.ipynb was refused: it is a symbolic link"
    assert "task1_fitting" in job.notebooks


def test_a_fifo_as_timestamp_is_that_students_error_not_a_stalled_grader(course: Course) -> None:
    folder = submit(course, "fifo_timestamp")
    os.mkfifo(folder / "timestamp.txt")
    with pytest.raises(Refused, match=r"timestamp\.txt cannot be read: it is a FIFO"):
        prepared(course, "fifo_timestamp")


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        (
            "oversized",
            r"task2_relu.ipynb is \d+ bytes, over the limit of 20000000 \(c.Grader.max_notebook_bytes\): "
            "it was not read",
        ),
        ("deep", r"task2_relu.ipynb is nested \d+ levels deep, over the limit of 64 \(c.Grader.max_json_depth\)"),
        ("many_cells", r"task2_relu.ipynb has 1000000 cells, over the limit of 2000 \(c.Grader.max_cells\)"),
    ],
)
def test_hostile_notebooks_are_refused_unparsed_and_by_name(
    course: Course, kind: str, says: str, parsed: list[int], read: list[str]
) -> None:
    folder = submit(course, kind)
    path = folder / "task2_relu.ipynb"
    if kind == "oversized":
        path.write_bytes(path.read_bytes()[:-2] + b" " * 20_000_001 + b"}\n")
    elif kind == "deep":
        path.write_bytes(path.read_bytes()[:-2] + b', "x": ' + b"[" * 500_000 + b"]" * 500_000 + b"}\n")
    else:  # the smallest cells there are, to stay under the size limit
        path.write_bytes(b'{"cells":[' + b",".join([b"{}"] * 1_000_000) + b'],"nbformat":4,"nbformat_minor":5}')
    job = prepared(course, kind)
    assert re.fullmatch(says, job.problems["task2_relu"]), job.problems
    assert "task1_fitting" in job.notebooks
    size = path.stat().st_size
    assert size not in parsed and len(parsed) == len(job.notebooks), "the others were parsed, the hostile one not"
    assert ("task2_relu.ipynb" in read) is (kind != "oversized"), "an oversized notebook is not even read"


def test_nbgrader_autograde_with_the_step_listed_refuses_a_linked_submission(tmp_path: Path) -> None:
    """``nbgrader autograde`` itself (its real converter through nbgrader's API), with ``PlainFilesOnly`` first
    in ``c.Autograde.sanitize_preprocessors`` and without ``IntakeFirst`` (the second line of defence alone): the
    linked submission is not graded, and the log names the link."""
    from nbgrader.converters.autograde import Autograde

    defaults = [f"{step.__module__}.{step.__name__}" for step in Autograde().sanitize_preprocessors]
    steps = ["autograder.engine.intake.PlainFilesOnly", *defaults]
    course = released_course(
        tmp_path / "course",
        [Variant("links_source", base="stub")],
        extra_config=f"c.Autograde.sanitize_preprocessors = {steps!r}\n"
        'c.Autograde.exporter_class = "nbconvert.exporters.NotebookExporter"\n',  # PlainFilesOnly alone
    )
    folder = course.submitted_path("week3", "links_source")
    (folder / "answers.json").symlink_to(course.source_path("week3") / "task2_relu.ipynb")
    result = course.nbgrader_api().autograde("week3", "links_source", force=True)
    assert not result["success"]
    assert "answers.json was refused: it is a symbolic link" in result["log"]
