"""Every source notebook runs top to bottom, hidden tests included, with no error and nothing on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder import notebooks
from tests.helpers import SOURCE, execute, source_folder


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(SOURCE.glob("*.ipynb")), ids=lambda p: p.name)
def test_source_notebook_runs_clean(path: Path, tmp_path: Path) -> None:
    nb = execute(notebooks.read(path), source_folder(tmp_path))  # hidden tests included
    bad = [
        (i, o.output_type, o.get("name", ""), (o.get("text") or o.get("evalue") or "")[:200])
        for i, cell in enumerate(nb.cells)
        for o in cell.get("outputs", [])
        if o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr")
    ]
    assert bad == []
