"""Every source notebook runs top to bottom, hidden tests included, with no error and nothing on stderr."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from nbformat import NotebookNode

from autograder import notebooks
from tests.helpers import SOURCE, execute, source_folder

SHORTENED = {"TASK3_EPOCHS": "1", "TASK3_IMAGES": "320"}
"""Task 3 trains seven architectures for minutes; its own two settings shorten the same code to seconds."""
TASK3_MODELS = [
    "64 ReLUs",
    "resnet18",
    "mobilenetv3_small_050",
    "efficientnet_b0",
    "convnext_atto",
    "vit_tiny",
    "ghostnet_050",
]


def printed(nb: NotebookNode) -> str:
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream")


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(SOURCE.glob("*.ipynb")), ids=lambda p: p.name)
def test_source_notebook_runs_clean(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SHORTENED.items():
        monkeypatch.setenv(name, value)  # the kernel inherits them
    nb = execute(notebooks.read(path), source_folder(tmp_path))  # hidden tests included
    bad = [
        (i, o.output_type, o.get("name", ""), (o.get("text") or o.get("evalue") or "")[:200])
        for i, cell in enumerate(nb.cells)
        for o in cell.get("outputs", [])
        if o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr")
    ]
    assert bad == []
    if path.stem == "task3_architectures":
        measured = re.findall(r"^(.+): accuracy [\d.]+%, [\d.]+ ms per image", printed(nb), re.M)
        assert measured == TASK3_MODELS, "each architecture is trained and measured once"
        assert "240 training and 80 validation images" in printed(nb), "the shortened run uses the setting"
        plots = [c for c in nb.cells if any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
        assert len(plots) >= 4, "the digits, the comparison, the comparison with your choice, the ReLUs"
