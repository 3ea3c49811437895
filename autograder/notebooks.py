"""Read, clean and compare notebooks with nbformat.

A committed notebook is *clean*: no outputs, no execution counts, notebook
metadata cut to the kernelspec, cell metadata cut to nbgrader's keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from autograder.errors import AutograderError
from autograder.jail.protocol import scrub

KEPT_NOTEBOOK_METADATA = ("kernelspec",)
KEPT_CELL_METADATA = ("nbgrader",)


def read(path: Path) -> NotebookNode:
    """Read a notebook, turning malformed input into a one-line error."""
    try:
        nb: NotebookNode = nbformat.read(str(path), as_version=4)
        return scrub(nb)  # type: ignore[no-any-return]
    except FileNotFoundError as exc:
        raise AutograderError(f"{path}: no such notebook") from exc
    except (json.JSONDecodeError, nbformat.reader.NotJSONError, UnicodeDecodeError) as exc:
        raise AutograderError(f"{path}: not a valid notebook (not JSON)") from exc
    except Exception as exc:
        raise AutograderError(f"{path}: not a valid notebook ({type(exc).__name__})") from exc


def clean(nb: NotebookNode) -> NotebookNode:
    """Strip outputs, execution counts and all metadata that is not kernelspec or nbgrader."""
    nb.metadata = nbformat.from_dict({k: nb.metadata[k] for k in KEPT_NOTEBOOK_METADATA if k in nb.metadata})
    for cell in nb.cells:
        cell.metadata = nbformat.from_dict({k: cell.metadata[k] for k in KEPT_CELL_METADATA if k in cell.metadata})
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if "attachments" in cell and not cell["attachments"]:
            del cell["attachments"]
    return nb


def problems(nb: NotebookNode) -> list[str]:
    """Why a notebook is not clean; empty when it is."""
    found = []
    extra = sorted(set(nb.metadata) - set(KEPT_NOTEBOOK_METADATA))
    if extra:
        found.append(f"notebook metadata has {extra}")
    for i, cell in enumerate(nb.cells):
        extra = sorted(set(cell.metadata) - set(KEPT_CELL_METADATA))
        if extra:
            found.append(f"cell {i} metadata has {extra}")
        if cell.cell_type == "code" and cell.get("outputs"):
            found.append(f"cell {i} has outputs")
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            found.append(f"cell {i} has an execution count")
    return found


def comparable(nb: NotebookNode) -> dict[str, Any]:
    """A plain-data form of a notebook for comparisons: cell ids are dropped."""
    data: dict[str, Any] = json.loads(nbformat.writes(nb))
    for cell in data["cells"]:
        cell.pop("id", None)
    return data


def write(nb: NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def has_grade_cells(nb: Mapping[str, Any]) -> bool:
    """Whether any cell of ``nb`` (a notebook or its plain dict) gives points: a notebook without one (Week 3's
    optional Task 3) cannot change a score."""
    return any(cell.get("metadata", {}).get("nbgrader", {}).get("grade") for cell in nb.get("cells", []))


def grade_cells(nb: NotebookNode) -> dict[str, NotebookNode]:
    """The cells that nbgrader tracks (any with a grade_id), by grade id."""
    cells = {}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid:
            cells[gid] = cell
    return cells
