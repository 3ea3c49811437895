"""The bubblewrap sandbox around student code: what a notebook can and cannot reach, through the real zygote."""

from __future__ import annotations

import shutil
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autograder.course import Course
from autograder.engine.client import Zygote
from autograder.engine.grade import grade
from autograder.engine.release import generate_release
from autograder.engine.results import Status
from autograder.engine.sandbox import Sandbox, bound_paths, dispose, new_zygote, sandbox_available
from autograder.engine.scratch import make_scratch
from autograder.jail.protocol import Limits, RunResult
from autograder.samples import Variant, build_cohort
from tests.helpers import ROOT, make_course, require_sandbox, run_cli, zygote_spec
from tests.jail.attacks.limits import FILL_THE_FOLDER, FILL_TMP, MEMORY_IN_ESCAPED_CHILDREN

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nbgrader")]

LIMITS = Limits(cell_timeout=20, notebook_timeout=30, memory_mb=500)
SMALL = Sandbox(tmp_mb=32, workdir_mb=32)
"""A sandbox whose /tmp and job folders are small, for the tests that fill them."""
SMALL_LIMITS = Limits(cell_timeout=20, notebook_timeout=30, memory_mb=500, tmp_mb=32, workdir_mb=32)


def notebook(*sources: str) -> dict[str, Any]:
    cells = [
        {"cell_type": "code", "source": textwrap.dedent(s), "metadata": {}, "outputs": [], "execution_count": None}
        for s in sources
    ]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def stdout(result: RunResult) -> str:
    assert result.notebook is not None, (result.status, result.message)
    texts = []
    for cell in result.notebook["cells"]:
        for output in cell["outputs"]:
            assert output["output_type"] != "error", output
            assert output.get("name") != "stderr", output
            texts.append(output.get("text", ""))
    return "".join(texts)


def run(zygote: Zygote, source: str, limits: Limits = LIMITS, files: dict[str, bytes] | None = None) -> str:
    return stdout(zygote.run(notebook(source), files or {}, limits))


TRY_OPEN = """
def attempt(path, mode="r"):
    try:
        with open(path, mode) as handle:
            handle.write("x") if "w" in mode else handle.read(1)
        return "ok"
    except Exception as exc:
        return type(exc).__name__
"""


@pytest.fixture(scope="module")
def small_zygote() -> Iterator[Zygote]:
    require_sandbox(SMALL)
    z = new_zygote(zygote_spec(SMALL))
    z.start()
    yield z
    dispose(z)


def test_the_job_runs_as_nobody_in_its_own_folder(zygote: Zygote) -> None:
    out = run(zygote, "import os\nprint(os.getuid(), os.getcwd(), open('data.csv').read())", files={"data.csv": b"1,2"})
    uid, cwd, data = out.split()
    assert uid == "65534" and data == "1,2"
    assert zygote.scratch_dir is not None and Path(cwd).parent == Path(zygote.scratch_dir)


def test_no_network(zygote: Zygote) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        out = run(
            zygote,
            f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=5)
                print("connected")
            except OSError as exc:
                print(type(exc).__name__)
            try:
                socket.getaddrinfo("pypi.org", 443)
                print("resolved")
            except OSError as exc:
                print(type(exc).__name__)
            """,
        )
    assert out.split() == ["ConnectionRefusedError", "gaierror"]


def test_course_files_are_out_of_reach(zygote: Zygote, tmp_path: Path) -> None:
    course = make_course(tmp_path / "course")
    (course / "gradebook.db").write_text("grades")
    (course / "autograded" / "ana").mkdir(parents=True)
    (course / "submitted" / "ben" / "week3").mkdir(parents=True)
    (course / "submitted" / "ben" / "week3" / "task1_fitting.ipynb").write_text("{}")
    secrets = [
        course / "source" / "week3" / "task1_fitting.ipynb",
        course / "solutions" / "week3.py",
        course / "gradebook.db",
        course / "submitted" / "ben" / "week3" / "task1_fitting.ipynb",
        ROOT / "solutions" / "week3.py",
        ROOT / "source" / "week3" / "task1_fitting.ipynb",
        ROOT / "nbgrader_config.py",
        Path("/etc/shadow"),
        Path("/root/.bash_history"),
    ]
    out = run(zygote, TRY_OPEN + "".join(f"print(attempt({str(p)!r}))\n" for p in secrets))
    assert all(verdict in ("FileNotFoundError", "PermissionError") for verdict in out.split()), out
    listings = run(zygote, f"import os\nprint(sorted(os.listdir({str(ROOT)!r})))")
    assert listings.strip() == "['.venv', 'autograder']"


def test_no_writes_outside_the_job_folder(zygote: Zygote) -> None:
    assert zygote.scratch_dir is not None
    other_job = Path(zygote.scratch_dir) / "grading-other"
    other_job.mkdir()
    other_zygote = make_scratch()
    targets = [
        other_job / "planted.py",
        Path(zygote.scratch_dir) / "planted.py",
        Path(other_zygote) / "planted.py",
        ROOT / "autograder" / "planted.py",
        ROOT / "planted.py",
        Path(socket.__file__).parent / "planted.py",
        Path(pytest.__file__).parent.parent / "planted.py",
        Path(zygote.scratch_dir) / "home" / "planted.py",  # the zygote's own home
        Path("/usr/lib/planted.py"),
        Path("/etc/planted"),
        Path("/planted"),
        Path("/dev/planted"),
        Path("/dev/shm/planted"),
    ]
    try:
        out = run(
            zygote,
            TRY_OPEN
            + "".join(f"print(attempt({str(p)!r}, 'w'))\n" for p in targets)
            + "print(attempt('mine.txt', 'w'))",
        )
        planted = [p for p in targets if p.exists()]
    finally:
        shutil.rmtree(other_zygote)
    verdicts = out.split()
    assert verdicts[-1] == "ok"
    assert all(v in ("PermissionError", "OSError", "FileNotFoundError") for v in verdicts[:-1]), out
    assert planted == []


def test_tmp_is_private_to_each_job(zygote: Zygote) -> None:
    first = run(
        zygote,
        "import os, tempfile\nopen('/tmp/left.txt', 'w').write('x')\nos.makedirs('/tmp/d/e')\n"
        "os.chmod('/tmp/d', 0)\nprint(tempfile.gettempdir(), len(os.listdir('/tmp')))",
    )
    assert first.split()[0] == "/tmp"
    second = run(zygote, "import os\nprint(os.path.exists('/tmp/left.txt'), os.path.exists('/tmp/d'))")
    assert second.split() == ["False", "False"]


def test_import_solutions_fails(zygote: Zygote) -> None:
    out = run(
        zygote,
        "try:\n    import solutions.week3\n    print('imported')\nexcept Exception as exc:\n"
        "    print(type(exc).__name__)",
    )
    assert out.strip() in ("ModuleNotFoundError", "FileNotFoundError", "ImportError")


FORK_BOMB = """
import os
while True:
    try:
        if os.fork() == 0:
            os.setsid()  # try to escape the job's process group
    except OSError:
        pass
"""


def test_fork_bomb_is_contained(zygote: Zygote) -> None:
    limits = Limits(cell_timeout=5, notebook_timeout=6, memory_mb=500, processes=24)
    result = zygote.run(notebook(FORK_BOMB), {}, limits)
    assert result.status in ("timeout", "crashed", "memory"), result
    out = run(zygote, "import os\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))")
    survivors = [pid for pid in eval(out) if pid > 2]  # 1: bubblewrap's init, 2: the zygote
    assert len(survivors) == 1, out  # only this job's own process


def test_memory_of_escaped_children_counts_but_forks_sharing_pages_do_not(zygote: Zygote) -> None:
    limits = Limits(cell_timeout=20, notebook_timeout=20, memory_mb=800, processes=24)  # as in the attack corpus
    bomb = zygote.run(notebook(MEMORY_IN_ESCAPED_CHILDREN), {}, limits)
    assert bomb.status == "memory", bomb
    # Eight children that only share the zygote's pages (imports done) hold almost nothing of their own.
    forks = "import os, time\nfor _ in range(8):\n    if os.fork() == 0:\n        time.sleep(3)\n        os._exit(0)\n"
    result = zygote.run(notebook(forks + "time.sleep(3)\nprint('done')"), {}, limits)
    assert result.status == "ok" and "done" in stdout(result), result


def test_a_job_starts_clean_after_the_zygotes_warm_up(zygote: Zygote) -> None:
    state = (
        "import matplotlib.pyplot as plt\nfrom matplotlib_inline.backend_inline import show\n"
        "from ipywidgets.widgets.widget import _instances\n"
        "print(plt.get_fignums(), len(show._to_draw), len(_instances))"
    )
    plot = "plt.plot([1, 2, 3])\nplt.title('one')"
    result = zygote.run(notebook(state, plot), {}, LIMITS)
    assert result.notebook is not None, result
    first, second = (cell["outputs"] for cell in result.notebook["cells"])
    assert [o.get("text") for o in first] == ["[] 0 0\n"], first
    images = [o for o in second if o["output_type"] == "display_data" and "image/png" in o["data"]]
    assert len(images) == 1 and [o["output_type"] for o in second].count("display_data") == 1, second


def test_cpu_time_limit(zygote: Zygote) -> None:
    limits = Limits(cell_timeout=30, notebook_timeout=30, memory_mb=500, cpu_seconds=1)
    result = zygote.run(notebook("while True:\n    pass"), {}, limits)
    assert result.status == "timeout" and "CPU time" in result.message, result


def test_sandbox_unavailable_gives_a_reason() -> None:
    reason = sandbox_available(Sandbox(bwrap="/nonexistent/bwrap"))
    assert reason is not None and "\n" not in reason and "/nonexistent/bwrap" in reason


def test_a_missing_sandbox_fails_its_tests_rather_than_skipping_them() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"cannot be built here.*/nonexistent/bwrap"):
        require_sandbox(Sandbox(bwrap="/nonexistent/bwrap"))


def test_grading_refuses_without_a_sandbox(tmp_path: Path) -> None:
    course = make_course(tmp_path / "course")
    with (course / "nbgrader_config.py").open("a") as handle:
        handle.write('\nc.Grader.bwrap = "/nonexistent/bwrap"\n')  # the sandbox is on by default
    generate_release(Course.load(course), "week3")
    build_cohort([Variant("ref")], course_root=course, assignment="week3")
    result = run_cli("grade", "week3", cwd=course)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot sandbox student code" in lines[0] and "--no-sandbox" in lines[0]
    assert not (course / "autograded").exists()


def test_reference_gets_full_marks_in_the_sandbox_and_no_sandbox_warns(tmp_path: Path) -> None:
    require_sandbox()
    course_root = make_course(tmp_path / "course", with_release=False)
    course = Course.load(course_root)
    generate_release(course, "week3")
    build_cohort([Variant("ref")], course_root=course_root, assignment="week3")
    [result] = grade(course, "week3", workers=1, sandbox=True)
    assert result.status == Status.NEEDS_MANUAL and result.auto_score == 29, result.message

    cli = run_cli("grade", "week3", "--force", "--no-sandbox", cwd=course_root)
    assert cli.returncode == 0, cli.stderr
    assert "warning: graded WITHOUT a sandbox (--no-sandbox): student code could read or change files" in cli.stdout
    assert "29/29" in cli.stdout


HOLD = "\nimport time\ntime.sleep(20)\nprint('held')"
"""After filling: hold on to it (the notebook would carry on, its files kept)."""
SPACE_USED = """
import os
def used(path):
    fs = os.statvfs(path)
    return (fs.f_blocks - fs.f_bfree) * fs.f_frsize, fs.f_files - fs.f_ffree
print(used("/tmp"), used("."), sorted(os.listdir("/tmp")), sorted(os.listdir(".")))
"""


@pytest.mark.parametrize(
    ("attack", "what", "setting"),
    [(FILL_TMP, "/tmp", "c.Grader.tmp_mb"), (FILL_THE_FOLDER, "its folder", "workdir_mb")],
)
def test_a_job_that_fills_tmp_or_its_folder_is_stopped_and_its_files_go(
    small_zygote: Zygote, attack: str, what: str, setting: str
) -> None:
    """The kernel refuses what does not fit (32 MiB here), and the zygote stops the job as soon as it sees the space
    full, well before it would have finished holding it; the next job finds /tmp and its folder empty."""
    result = small_zygote.run(notebook(attack + HOLD), {}, SMALL_LIMITS)
    assert result.status == "disk" and f"filled {what} (32 MiB" in result.message, result
    assert setting in result.message and result.seconds < 15, result
    used = run(small_zygote, SPACE_USED, SMALL_LIMITS, files={"data.csv": b"1,2"})
    tmp = Path("/tmp")
    mounted = {m for m in (Path(small_zygote.scratch_dir), *map(Path, bound_paths())) if tmp in m.parents}
    on_tmpfs = {  # the mount points under /tmp (a checkout there: its venv too) and the folders above them
        a for m in mounted for a in (m, *m.parents) if tmp in a.parents and not any(o in a.parents for o in mounted)
    }
    in_tmp = sorted(a.name for a in on_tmpfs if a.parent == tmp)
    expected = f"(0, {1 + len(on_tmpfs)}) (4096, 2) {in_tmp} ['data.csv']"  # mount points kept, one small file
    assert used.strip().endswith(expected), used


def test_a_million_empty_files_count(small_zygote: Zygote) -> None:
    """Empty files take no data blocks, but each costs the kernel about 1 KiB: they count, at that rate."""
    files = "import os\nfor i in range(1_000_000):\n    open(f'/tmp/{i}', 'w').close()"
    result = small_zygote.run(notebook(files), {}, SMALL_LIMITS)
    assert result.status == "disk" and "filled /tmp" in result.message, result


def test_files_in_tmp_count_as_memory(zygote: Zygote) -> None:
    """/tmp is memory: what a job keeps there counts into its memory limit with what its processes hold (the
    limit allows the child a reserve of watchdog.RESERVE_BYTES besides: 320 MB is past both)."""
    limits = Limits(cell_timeout=20, notebook_timeout=30, memory_mb=150)
    keep = "for i in range(16):\n    open(f'/tmp/{i}', 'wb').write(b'x' * 20_000_000)"
    result = zygote.run(notebook(keep + HOLD), {}, limits)
    assert result.status == "memory" and "its files in /tmp and its folder included" in result.message, result


def test_a_submission_larger_than_its_folder_is_not_run(small_zygote: Zygote) -> None:
    result = small_zygote.run(notebook("print('ran')"), {"data.bin": b"x" * 40_000_000}, SMALL_LIMITS)
    assert result.status == "disk" and "do not fit in the notebook's folder" in result.message, result
    assert run(small_zygote, "import os\nprint(os.listdir('.'))", SMALL_LIMITS).strip() == "[]"


def test_memory_no_watchdog_sees_cannot_be_made(zygote: Zygote) -> None:
    """memfd_create and System V shared memory would hold memory in no process's resident size and on no file
    system of the job: they are refused, in the job's process and in those it starts."""
    out = run(
        zygote,
        """
        import ctypes, os, subprocess, sys
        def attempt(call):
            try:
                call()
                return "made"
            except OSError as exc:
                return exc.errno
        libc = ctypes.CDLL(None, use_errno=True)
        print(attempt(lambda: os.memfd_create("hog")), libc.shmget(0, 1 << 20, 0o1600), ctypes.get_errno())
        child = "import os\\ntry:\\n    os.memfd_create('hog')\\nexcept OSError as exc:\\n    print(exc.errno)"
        print(subprocess.run([sys.executable, "-c", child], capture_output=True, text=True).stdout.strip())
        """,
    )
    assert out.split() == ["38", "-1", "38", "38"], out


def test_without_the_sandbox_the_folder_is_measured(tmp_path: Path) -> None:
    """No sandbox: the job's folder is on disk, walked every 0.2 s and bounded the same; temporary files go there."""
    unsandboxed = new_zygote(zygote_spec(None))
    try:
        temp = run(
            unsandboxed, "import os, tempfile\nprint(tempfile.gettempdir() == os.path.join(os.getcwd(), '.tmp'))"
        )
        assert temp.strip() == "True"
        result = unsandboxed.run(notebook(FILL_THE_FOLDER + HOLD), {}, SMALL_LIMITS)
        assert result.status == "disk" and "filled its folder (32 MiB, c.Grader.workdir_mb)" in result.message, result
    finally:
        dispose(unsandboxed)
