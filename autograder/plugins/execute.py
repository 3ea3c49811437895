"""``SandboxedExecute``: nbgrader's ``Execute`` step, run by the grading engine.

Named in ``c.Autograde.autograde_preprocessors`` in place of nbgrader's
``Execute``, it sends the sanitized notebook to a warm zygote in the bubblewrap
sandbox (:mod:`autograder.engine.sandbox`), kept for the life of the process,
with the files beside the notebook and the grader's probes of the assignment's
checks (``c.Grader.checks``). What comes back lends only its outputs and
execution counts to the notebook (:func:`executed_notebook`, which ``autograder
grade`` uses too), and the grader's verdicts go into ``resources["verdicts"]``
for :class:`~autograder.plugins.scoring.BatchedSaveAutoGrades`.

It subclasses nbgrader's ``Execute`` so that its settings apply:
``c.Execute.timeout`` is the cell timeout and ``--no-execute``
(``Execute.enabled = False``) turns it off.
"""

from __future__ import annotations

import atexit
import copy
import os
import threading
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbgrader.preprocessors import Execute
from traitlets.config import Config

from autograder import settings
from autograder.checks import verdicts
from autograder.course import Course
from autograder.engine import seeds
from autograder.engine.client import Zygote
from autograder.engine.prepare import other_files
from autograder.engine.results import RECORD_NAME
from autograder.engine.runners import run_notebook
from autograder.engine.sandbox import Sandbox, ZygoteSpec, dispose, new_zygote, sandbox_available
from autograder.errors import AutograderError
from autograder.jail.protocol import RunResult, RunStatus


def not_run(nb: dict[str, Any], reason: str) -> Any:
    """The sanitized notebook with every code cell showing why it did not run (so tests score 0)."""
    node = nbformat.from_dict(copy.deepcopy(nb))
    for cell in node.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("error", ename="NotRun", evalue=reason, traceback=[reason])]
    return node


def with_outputs(sanitized: dict[str, Any], returned: dict[str, Any] | None) -> Any | None:
    """The notebook that was sent, with the outputs the child returned; None if they do not fit it.

    Only outputs and execution counts are taken from the child (which student code could have
    forged), and the result must be a valid notebook: cells, their metadata and their sources are
    the grader's own.
    """
    try:
        theirs = returned["cells"] if isinstance(returned, dict) else None
        node = nbformat.from_dict(copy.deepcopy(sanitized))
        if not isinstance(theirs, list) or len(theirs) != len(node.cells):
            return None
        for cell, other in zip(node.cells, theirs, strict=True):
            if not isinstance(other, dict) or other.get("cell_type") != cell.cell_type:
                return None
            if cell.cell_type == "code":
                count = other.get("execution_count")
                cell.execution_count = count if isinstance(count, int) and not isinstance(count, bool) else None
                cell.outputs = [nbformat.from_dict(o) for o in other.get("outputs", [])]
        nbformat.validate(node)
    except Exception:
        return None
    return node


def executed_notebook(name: str, sanitized: dict[str, Any], run: RunResult) -> tuple[Any, str]:
    """The notebook as executed by ``run`` and ``""``; or, when it did not run (or what came back is
    not this notebook with outputs), the notebook with every code cell showing why, and that reason."""
    if run.status is RunStatus.OK:
        node = with_outputs(sanitized, run.notebook)
        if node is not None:
            return node, ""
        message = "its results came back altered"
    else:
        message = run.message or str(run.status)
    reason = f"{name}: {message}"
    return not_run(sanitized, reason), reason


def judge_run(plan: verdicts.Plan, name: str, run: RunResult) -> dict[str, Any]:
    """The grader's verdict on each checked cell of ``name`` from what ``run``'s probes observed."""
    return plan.judge(name, run.observations if run.status is RunStatus.OK else None)


def folder_files(course: Course, folder: Path, max_bytes: int) -> dict[str, bytes]:
    """The regular files under ``folder`` that go into the sandbox beside its notebooks, by relative path:
    :func:`~autograder.engine.prepare.other_files` less links, the grading record and files over ``max_bytes``."""
    return {
        relative: path.read_bytes()
        for relative, path in other_files(course, folder).items()
        if path.name != RECORD_NAME and path.is_file() and not path.is_symlink() and path.stat().st_size <= max_bytes
    }


class _Zygotes:
    """The warm zygotes of this process, one per :class:`ZygoteSpec`, stopped at exit."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        """Held while a zygote runs a notebook: each runs one at a time."""
        self._zygotes: dict[ZygoteSpec, Zygote] = {}
        self._sandbox_checked: set[Sandbox] = set()
        atexit.register(self.close)

    def get(self, spec: ZygoteSpec) -> Zygote:
        """The zygote for ``spec`` (started now if need be); call with :attr:`lock` held."""
        zygote = self._zygotes.get(spec)
        if zygote is None:
            if spec.sandbox is not None and spec.sandbox not in self._sandbox_checked:
                reason = sandbox_available(spec.sandbox)
                if reason is not None:
                    raise AutograderError(
                        f"cannot sandbox student code: {reason} (c.Grader.sandbox = False grades without one)"
                    )
                self._sandbox_checked.add(spec.sandbox)
            zygote = new_zygote(spec)
            zygote.start()
            self._zygotes[spec] = zygote
        return zygote

    def close(self) -> None:
        for zygote in self._zygotes.values():
            dispose(zygote)
        self._zygotes.clear()


ZYGOTES = _Zygotes()
_PLANS: dict[tuple[str, str, int], verdicts.Plan] = {}


def assignment_plan(course: Course, grader: settings.Grader, assignment: str) -> verdicts.Plan | None:
    """The plan of ``assignment``'s checks (``c.Grader.checks``), inputs drawn from its seed; None without checks."""
    module = grader.checks.get(assignment)
    if not module:
        return None
    seed = seeds.inputs_seed(course, assignment)
    key = (str(course.root), module, seed)
    if key not in _PLANS:
        _PLANS[key] = verdicts.plan(verdicts.load_checks(module, course.root), seed)
    return _PLANS[key]


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
        coursedir = CourseDirectory(config=self.config)
        course = course_of(self.config, coursedir.root)
        grader, limits = settings.load(self.config)
        plan = assignment_plan(course, grader, assignment)
        sandbox = Sandbox.from_settings(grader) if grader.sandbox else None
        spec = ZygoteSpec.from_settings(grader, course.root, sandbox)
        folder = Path(resources.get("metadata", {}).get("path") or os.getcwd())
        files = folder_files(course, folder, grader.max_file_bytes)
        sanitized = nbformat.from_dict(copy.deepcopy(nb))
        with ZYGOTES.lock:
            run = run_notebook(ZYGOTES.get(spec), sanitized, files, limits, plan.probes(name) if plan else [])
        executed, failure = executed_notebook(name, sanitized, run)
        if failure:
            self.log.warning("%s/%s: %s", info["student"], assignment, failure)
        if plan is not None:
            resources["verdicts"] = judge_run(plan, name, run)
        return executed, resources
