"""What every Python start-up of the course pays for: nothing slow at import.

Every ``nbgrader`` command, every student's ``nbgrader submit`` and ``fetch_feedback`` on the hub and every
``autograder`` command import nbformat, which imports jsonschema. jsonschema 4.25 made its ``format-nongpl``
extra (which jupyter-events asks for) import ``rfc3987_syntax``, which builds a grammar at import: about 1.5 s of
CPU more for each of those processes (measured: ``nbgrader submit --help`` 2.3-2.7 s of CPU, 0.9 s without it). On
the hub's two cores, 30 students submitting at once paid it 30 times. ``pyproject.toml`` keeps jsonschema below
4.25; this test fails if anything brings the import back.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

SLOW_AT_IMPORT = ("rfc3987_syntax", "lark")
"""Modules that do seconds of work when imported, and that nothing of the course needs."""


@pytest.mark.parametrize("module", ["nbgrader.apps", "autograder.cli", "nbgrader.server_extensions.formgrader"])
def test_no_module_that_is_slow_to_import_is_imported(module: str) -> None:
    code = f"import sys, {module}; print(' '.join(sorted(m for m in {SLOW_AT_IMPORT!r} if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [], f"importing {module} imports {done.stdout.strip()}"
