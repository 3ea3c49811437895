"""The grader's own options: traitlets that live in ``nbgrader_config.py`` beside nbgrader's.

For example::

    c.Grader.workers = 4            # parallel grading processes
    c.Grader.notebook_timeout = 120 # seconds per notebook
    c.Grader.memory_mb = 1024       # MiB per notebook
"""

from __future__ import annotations

from typing import Any

from traitlets import Bool, Dict, Float, Int, List, Unicode
from traitlets.config import Config, Configurable

from autograder.jail.protocol import Limits

EXECUTE = "autograder.plugins.execute.SandboxedExecute"
SAVE_GRADES = "autograder.plugins.scoring.BatchedSaveAutoGrades"

AUTOGRADE_PREPROCESSORS = [
    EXECUTE,
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "autograder.checks.messages.ShowVerdicts",
    SAVE_GRADES,
    "autograder.plugins.scoring.AssignLatePenalties",
    "autograder.plugins.cells.CheckCellMetadata",  # a wrong schema version fails this student, not the run
]
"""nbgrader's own ``Autograde.autograde_preprocessors``, with our steps in place of ``Execute``,
``SaveAutoGrades``, ``AssignLatePenalties`` and ``CheckCellMetadata`` (and the grader's messages shown before
scoring): what ``autograder grade`` uses when the course's config does not set the list."""

BATCH_AWARE = {
    "nbgrader.preprocessors.OverwriteKernelspec": "autograder.plugins.cells.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells": "autograder.plugins.cells.OverwriteCells",
    "nbgrader.preprocessors.SaveAutoGrades": SAVE_GRADES,
    "nbgrader.preprocessors.AssignLatePenalties": "autograder.plugins.scoring.AssignLatePenalties",
}
"""nbgrader's steps that open a ``Gradebook`` of their own, and ours that open the one they are given.

``autograder grade`` writes the gradebook in one open transaction per batch of submissions
(:mod:`autograder.engine.batch`), which it passes to its steps; nbgrader's own steps would open another
connection instead, and wait for the batch's write lock (SQLite) or not see the submission the batch has just
registered (PostgreSQL). So the engine runs ours wherever a course's lists name nbgrader's (``SaveAutoGrades``
becomes ``BatchedSaveAutoGrades``: the same scores where the grader has no check of the cell)."""

FEEDBACK_PREPROCESSORS = [
    "autograder.reports.feedback.FeedbackGrades",
    "autograder.reports.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "autograder.reports.feedback.WrapMessages",
]
"""``GenerateFeedback.preprocessors`` of ``autograder report``, unless the course's config sets the list."""


def autograde_steps(config: Config) -> tuple[list[Any], list[Any]]:
    """nbgrader's ``Autograde.sanitize_preprocessors`` and ``Autograde.autograde_preprocessors`` as the course
    configures them (the latter defaulting to :data:`autograder.plugins.AUTOGRADE_PREPROCESSORS`): the one
    source of both ``nbgrader autograde``'s steps and ``autograder grade``'s."""
    from nbgrader.converters.autograde import Autograde

    configured = Autograde(config=config)
    autograde = configured.autograde_preprocessors if "autograde_preprocessors" in config.Autograde else None
    return list(configured.sanitize_preprocessors), list(autograde or AUTOGRADE_PREPROCESSORS)


def is_execute_step(item: Any) -> bool:
    """Whether ``item`` (a preprocessor class or its import name) executes the notebook."""
    from nbconvert.preprocessors import ExecutePreprocessor
    from traitlets.utils.importstring import import_item

    cls = import_item(item) if isinstance(item, str) else item
    return isinstance(cls, type) and issubclass(cls, ExecutePreprocessor)


def batch_aware(steps: list[Any]) -> list[Any]:
    """``steps`` (preprocessor classes, or their import names) with ours in place of nbgrader's
    (:data:`BATCH_AWARE`), however the course names them."""
    from traitlets.utils.importstring import import_item

    ours = {import_item(stock): step for stock, step in BATCH_AWARE.items()}
    return [ours.get(import_item(item) if isinstance(item, str) else item, item) for item in steps]


class Grader(Configurable):
    """Options of ``autograder grade``."""

    workers = Int(0, help="Notebooks graded at once on this machine (0: one per CPU core).").tag(config=True)
    cell_timeout = Float(
        0.0, help="Seconds one cell may run before it is interrupted (0: nbgrader's Execute.timeout)."
    ).tag(config=True)
    notebook_timeout = Float(300.0, help="Seconds one notebook may run before its process is killed.").tag(config=True)
    memory_mb = Int(2048, help="Memory (MiB) one notebook may allocate.").tag(config=True)
    output_bytes = Int(2_000_000, help="Output (bytes of text and images) kept per notebook.").tag(config=True)
    file_bytes = Int(50_000_000, help="Largest file a notebook may write, in bytes.").tag(config=True)
    cpu_seconds = Float(0.0, help="CPU seconds each process of a notebook may use (0: the notebook timeout).").tag(
        config=True
    )
    processes = Int(256, help="Processes and threads one notebook may run at once (in the sandbox).").tag(config=True)
    tmp_mb = Int(
        512,
        help="Size (MiB) of /tmp in the sandbox: a file system in memory of each zygote's own, emptied after "
        "every notebook. What a notebook keeps there also counts into c.Grader.memory_mb; one that fills it is "
        "stopped (status disk). Without the sandbox /tmp is the machine's, and not bounded.",
    ).tag(config=True)
    workdir_mb = Int(
        512,
        help="Size (MiB) of a notebook's own folder: the submission's files plus all it writes there. In the "
        "sandbox a file system in memory (counted into c.Grader.memory_mb, like /tmp); without it a folder on "
        "disk, measured every 0.2 s. A notebook that fills it is stopped (status disk).",
    ).tag(config=True)
    sandbox = Bool(
        True,
        help="Run student code in a bubblewrap sandbox: no network, no course files, one writable folder. "
        "Grading refuses to start if the sandbox cannot be built (autograder grade --no-sandbox opts out).",
    ).tag(config=True)
    bwrap = Unicode("bwrap", help="The bubblewrap program.").tag(config=True)
    sandbox_uid = Int(65534, help="The user student code runs as in the sandbox, when grading as root.").tag(
        config=True
    )
    sandbox_gid = Int(65534, help="The group student code runs as in the sandbox, when grading as root.").tag(
        config=True
    )
    checks = Dict(
        {},
        help="The grader's own checks of each assignment: {assignment: module}, the module defining CHECKS "
        "(see autograder.checks.verdicts). Checked test cells score by the grader's verdicts, not by their outputs.",
    ).tag(config=True)
    preload = List(
        ["numpy", "IPython"], help="Modules each grading zygote imports once, before it forks a process per notebook."
    ).tag(config=True)
    warm_up = Unicode(
        "",
        help="A Python module (found with the course root first on the path) whose code each zygote runs once "
        "before forking, so that no notebook's process repeats first-use work (a first figure, a first backward pass).",
    ).tag(config=True)
    share_prefix = Bool(
        True,
        help="Run a notebook's leading locked set-up cells, when unchanged from the release, once per zygote "
        "and start each such notebook from the state after them (False: every notebook runs in full).",
    ).tag(config=True)
    batch_submissions = Int(
        50,
        help="Submissions whose gradebook writes autograder grade commits in one transaction (each submission "
        "in a savepoint of its own); a run stopped part-way grades the uncommitted ones again.",
    ).tag(config=True)
    batch_seconds = Float(
        2.0,
        help="Longest autograder grade holds its gradebook transaction open after its first write, however few "
        "submissions are in it: SQLite's write lock is held meanwhile, and another writer (the formgrader saving "
        "a grade) waits for it at most 5 s.",
    ).tag(config=True)
    execute_ungraded = Bool(
        False, help="Also run notebooks that have no grade cells (their outputs cannot change a score)."
    ).tag(config=True)
    max_notebook_bytes = Int(
        20_000_000, help="Largest notebook (bytes) the grader reads; a larger one is not read and scores 0."
    ).tag(config=True)
    max_json_depth = Int(64, help="Deepest JSON nesting of a notebook the grader parses (checked before parsing).").tag(
        config=True
    )
    max_cells = Int(2000, help="Most cells a notebook may have to be graded (counted before parsing).").tag(config=True)
    max_file_bytes = Int(
        20_000_000, help="Largest other file of a submission taken to the sandbox; a larger one is left out."
    ).tag(config=True)
    max_submission_bytes = Int(
        100_000_000, help="Total bytes of a submission's other files taken to the sandbox; files beyond are left out."
    ).tag(config=True)
    max_submission_files = Int(
        1000, help="Most files and folders of one submission the grader looks at; beyond, the rest is refused."
    ).tag(config=True)

    @property
    def sanitize_preprocessors(self) -> list[Any]:
        """The steps before execution: ``c.Autograde.sanitize_preprocessors`` (see :func:`batch_aware`)."""
        return batch_aware(autograde_steps(self.config)[0])

    @property
    def score_preprocessors(self) -> list[Any]:
        """The steps after execution: ``c.Autograde.autograde_preprocessors`` without its execute step (the
        engine's runners execute the notebooks; see :func:`batch_aware`)."""
        return batch_aware([item for item in autograde_steps(self.config)[1] if not is_execute_step(item)])


def load(config: Config) -> tuple[Grader, Limits]:
    """The grader's settings and the per-notebook limits they imply."""
    grader = Grader(config=config)
    cell_timeout = grader.cell_timeout or float(config.Execute.get("timeout", 30) or 30)
    limits = Limits(
        cell_timeout=cell_timeout,
        notebook_timeout=grader.notebook_timeout,
        memory_mb=grader.memory_mb,
        output_bytes=grader.output_bytes,
        file_bytes=grader.file_bytes,
        cpu_seconds=grader.cpu_seconds or grader.notebook_timeout,
        processes=grader.processes,
        tmp_mb=grader.tmp_mb,
        workdir_mb=grader.workdir_mb,
    )
    return grader, limits
