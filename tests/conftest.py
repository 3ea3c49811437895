from __future__ import annotations

import os

# Kernels started by the tests must not pick up a display or a GUI backend.
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")

# nbgrader runs `alembic` by name when it creates a gradebook: find it next to this Python.
from autograder.course import ensure_tools_on_path

ensure_tools_on_path()
