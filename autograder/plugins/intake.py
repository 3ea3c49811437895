"""``IntakeFirst``: the intake runs before ``nbgrader autograde`` reads or copies anything of a submission.

nbgrader 0.9.6's ``Autograde`` converter lists the submission folders
(``init_notebooks``, which only globs names), then creates its exporter
(``c.Autograde.exporter_class``, given the converter as its ``parent``), and
only then, per submission, reads ``timestamp.txt`` and copies the folder,
following links (``init_destination``, ``init_assignment``). Named as the
exporter class::

    c.Autograde.exporter_class = "autograder.plugins.intake.IntakeFirst"

it looks at every listed submission folder through
:func:`autograder.engine.intake.take` (directory descriptors, nothing followed
or opened: only what each entry is) when it is created. A submission holding a
symbolic or hard link, a FIFO, a socket or a device anywhere, ``timestamp.txt``
included, is taken out of the converter's work before nbgrader touches it: it
is that student's ``error`` (logged, and the grading record in
``autograded/STUDENT/ASSIGNMENT/grading.json`` says why), and the other
students are graded. ``nbgrader autograde``, the formgrader's Autograde button
and ``autograder grade`` (whose :func:`~autograder.engine.prepare.prepare`
takes the folder the same way) thus refuse the same submissions.

What it cannot close: an entry swapped for a link between this look and
nbgrader's copy. ``PlainFilesOnly`` (first in ``c.Autograde.sanitize_preprocessors``)
looks again at the copy before anything runs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from nbconvert.exporters import NotebookExporter

from autograder.engine.intake import take
from autograder.engine.results import SubmissionResult, write_record
from autograder.engine.status import Cause, decide


def refusals(folder: Path) -> list[str]:
    """Why ``folder`` cannot be graded (one line per entry that is not a plain file or folder); [] if it can."""
    found = take(folder, notebooks=[], max_notebook_bytes=0, max_file_bytes=0, max_total_bytes=0, max_files=100_000)
    return found.messages()


class IntakeFirst(NotebookExporter):
    """nbgrader's notebook exporter that, when an ``Autograde`` converter creates it, refuses the submissions
    that hold anything but plain files, before the converter reads them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        converter = self.parent
        if converter is not None and isinstance(getattr(converter, "assignments", None), dict):
            self._refuse(converter)

    def _refuse(self, converter: Any) -> None:
        pattern = converter._format_source("(?P<assignment_id>.*)", "(?P<student_id>.*)", escape=True)
        for folder in sorted(converter.assignments):
            problems = refusals(Path(folder))
            if not problems:
                continue
            del converter.assignments[folder]
            match = re.match(pattern, folder)
            if match is None:
                continue
            assignment, student = match.group("assignment_id"), match.group("student_id")
            reason = "; ".join(problems)
            self.log.error("%s/%s is not graded: %s", student, assignment, reason)
            dest = Path(converter._format_dest(assignment, student))
            write_record(SubmissionResult(student, assignment, decide([Cause.REFUSED]), message=reason), dest)
