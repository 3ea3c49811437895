"""Sphinx configuration of the documentation site (``make docs``).

The generated reference pages are written first, from the code, by ``build_reference.py`` (as nbgrader's
``docs/source/conf.py`` runs its ``build_docs.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_reference  # noqa: E402

build_reference.write_all()

project = "Week 3 - Neural net foundations"
author = "the course's maintainers"
extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
"""Headings down to ### get anchors, so a link like ``grading.md#resume`` is checked by Sphinx itself."""
exclude_patterns = ["_build", "reference/sandbox-modules.md", "reference/statuses.md"]
html_theme = "alabaster"
html_static_path = ["_static"]
html_theme_options = {"description": "An auto-graded nbgrader course and its grader", "fixed_sidebar": True}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}
suppress_warnings: list[str] = []
