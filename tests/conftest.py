from __future__ import annotations

import os

# Kernels started by the tests must not pick up a display or a GUI backend.
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
# Task 3 (ungraded) trains image models for minutes; every kernel the tests start, stock nbgrader's included (it
# runs every notebook of a submission), runs it shortened by its own two settings: the same code, seconds.
os.environ.setdefault("TASK3_EPOCHS", "1")
os.environ.setdefault("TASK3_IMAGES", "64")

# nbgrader runs `alembic` by name when it creates a gradebook: find it next to this Python.
from autograder.course import ensure_tools_on_path

ensure_tools_on_path()
