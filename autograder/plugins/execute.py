"""``SandboxedExecute``: nbgrader's ``Execute`` step, run by the grading engine.

Named in ``c.Autograde.autograde_preprocessors`` in place of nbgrader's
``Execute``. It runs the notebook as ``autograder grade`` does, through the
same functions: the files beside it taken by the intake
(:func:`autograder.engine.prepare.take`: plain files only, within
``c.Grader``'s limits), the assignment's plan
(:func:`autograder.engine.seeds.assignment_plan`), a warm zygote of one
:class:`~autograder.engine.runners.ZygotePool` kept for the life of the process
(the sandbox checked once), the hidden tests cut out
(:func:`~autograder.engine.runners.run_notebook`), and what comes back read by
:func:`~autograder.engine.finalize.executed_notebook`. The grader's verdicts go
into ``resources["verdicts"]`` for ``ShowVerdicts`` and ``BatchedSaveAutoGrades``.
Only the scheduling differs: one notebook at a time, as nbgrader asks.

It subclasses nbgrader's ``Execute`` so that its settings apply:
``c.Execute.timeout`` is the cell timeout and ``--no-execute``
(``Execute.enabled = False``) turns it off.
"""

from __future__ import annotations

import atexit
import copy
import json
import os
import threading
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbgrader.preprocessors import Execute
from traitlets.config import Config

from autograder import notebooks, settings
from autograder.course import Course
from autograder.engine import gradebook, seeds
from autograder.engine.engine import Engine
from autograder.engine.finalize import executed_notebook, judge_run, not_run
from autograder.engine.intake import OverLimit, check_shape
from autograder.engine.prepare import locked_code, set_up_prefix, submission_files, take
from autograder.engine.results import RECORD_NAME
from autograder.engine.runners import run_notebook
from autograder.engine.sandbox import Sandbox, ZygoteSpec
from autograder.errors import AutograderError


class _Engines:
    """The grading engines of this process when nbgrader drives (``nbgrader autograde``, the formgrader's
    buttons): one :class:`~autograder.engine.engine.Engine` per course and zygote description, with one worker,
    closed at exit. nbgrader calls :class:`SandboxedExecute` once per notebook and keeps nothing of ours between
    calls, so this registry is what keeps an engine warm from one notebook, or one button, to the next."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._engines: dict[tuple[str, ZygoteSpec], Engine] = {}
        atexit.register(self.close)

    def get(self, course: Course, spec: ZygoteSpec) -> Engine:
        key = (str(course.root), spec)
        with self.lock:
            if key not in self._engines:
                self._engines[key] = Engine(course, workers=1)
            return self._engines[key]

    def close(self) -> None:
        with self.lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.close()


ENGINES = _Engines()


def python_kernel(nb: Any, manager: KernelSpecManager) -> None:
    """Raise unless the notebook's kernel exists and runs Python, the one language the engine runs."""
    name = str(nb.metadata.get("kernelspec", {}).get("name") or "python3")
    name = "python3" if name == "python" else name  # jupyter_client's alias
    try:
        spec = manager.get_kernel_spec(name)
    except NoSuchKernel:
        raise AutograderError(f"the notebook asks for a kernel named {name!r}, which is not installed") from None
    if str(spec.language).lower() != "python":
        raise AutograderError(f"the notebook's kernel {name!r} runs {spec.language}; the grader runs only Python")


def course_of(config: Config, root: str) -> Course:
    """The course nbgrader is converting, with the configuration it runs with."""
    return Course(root=Path(root).resolve(), config=config)


def folder_files(course: Course, folder: Path, name: str) -> dict[str, bytes]:
    """The files beside notebook ``name`` in nbgrader's copy of the submission, taken by the intake (plain
    files within ``c.Grader``'s limits; links and special files refused), less the grading record."""
    taken = take(course, folder, [name])
    if taken.refused:
        raise AutograderError("; ".join(taken.messages()))
    return {path: data for path, data in submission_files(taken).items() if Path(path).name != RECORD_NAME}


def shared_prefix(course: Course, grader: settings.Grader, assignment: str, name: str, nb: Any) -> int:
    """As ``autograder grade`` does: how many leading code cells are the gradebook's locked set-up cells."""
    if not grader.share_prefix:
        return 0
    with gradebook.open_gradebook(course) as gb:
        return set_up_prefix(nb, locked_code(gb.find_notebook(name, assignment)))


class SandboxedExecute(Execute):  # type: ignore[misc]
    """Execute the notebook in the grader's sandboxed zygote, with the grader's probes.

    ``resources["verdicts"]`` gets the grader's verdict on each checked cell
    (when ``c.Grader.checks`` names the assignment's checks).
    """

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        from nbgrader.coursedir import CourseDirectory

        info = resources["nbgrader"]
        name, assignment = info["notebook"], info["assignment"]
        python_kernel(nb, KernelSpecManager(parent=self))
        course = course_of(self.config, CourseDirectory(config=self.config).root)
        grader, limits = settings.load(self.config)
        if not grader.execute_ungraded and not notebooks.has_grade_cells(nb):
            self.log.info("%s/%s: %s has no grade cells: not run (c.Grader.execute_ungraded)",
                          info["student"], assignment, name)  # fmt: skip
            return nb, resources  # as autograder grade: its outputs cannot change a score
        plan = seeds.assignment_plan(course, assignment)
        sandbox = Sandbox.from_settings(grader) if grader.sandbox else None
        spec = ZygoteSpec.from_settings(grader, course.root, sandbox)
        folder = Path(resources.get("metadata", {}).get("path") or os.getcwd())
        sanitized = nbformat.from_dict(copy.deepcopy(nb))
        try:  # the limits autograder grade checks on the file; nbgrader has parsed it already
            check_shape(
                f"{name}.ipynb",
                json.dumps(nb).encode(),  # its shape only: no need to validate again
                max_json_depth=grader.max_json_depth,
                max_cells=grader.max_cells,
            )
        except OverLimit as exc:
            self.log.warning("%s/%s: %s: it was not run", info["student"], assignment, exc)
            if plan is not None:
                resources["verdicts"] = plan.judge(name, None)
            return not_run(sanitized, f"{exc}: it was not run"), resources
        files = folder_files(course, folder, name)
        with ENGINES.get(course, spec).zygote() as zygote:
            probes, references = (plan.probes(name), plan.references(name)) if plan else ([], {})
            run = run_notebook(
                zygote,
                sanitized,
                files,
                limits,
                probes,
                references,
                shared_prefix(course, grader, assignment, name, nb),
            )
        executed, failure = executed_notebook(name, sanitized, run)
        if failure:
            self.log.warning("%s/%s: %s", info["student"], assignment, failure)
        if plan is not None:
            resources["verdicts"] = judge_run(plan, name, run)
        return executed, resources
