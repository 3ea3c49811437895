"""nbgrader's cell-metadata steps, made safe for one student to get wrong without stopping the class.

In nbgrader 0.9.6 a submission with two cells of the same grade id (a copied
cell: an honest slip in JupyterLab, or an attempt to count a test twice) makes
``DeduplicateIds`` set the later copies' ``nbgrader`` metadata to ``{}``, which
``CheckCellMetadata`` then reads as schema version 0 and raises
``SchemaTooOldError``; the ``Autograde`` converter answers that error by
stopping the whole run, every later student ungraded. So does a cell whose
``schema_version`` a student edited. Named in place of nbgrader's own steps in
``c.Autograde.sanitize_preprocessors`` and ``autograde_preprocessors``:

* :class:`DeduplicateIds` does what nbgrader's does and then removes the empty
  metadata it leaves: the copies become plain cells, the first of each id is
  graded as usual;
* :class:`CheckCellMetadata` fails only this submission when a cell's schema
  version is wrong (a plain error, which nbgrader reports for this student and
  goes on), never the run;
* :class:`OverwriteCells` is nbgrader's, finding the notebook's source cells with
  one query (:class:`~autograder.plugins.lookups.NotebookGradebook`), not two per cell.

``autograder grade`` runs the same lists, so a copied cell grades the same on
both paths.
"""

from __future__ import annotations

from typing import Any

from nbgrader.nbgraderformat import SchemaTooNewError, SchemaTooOldError
from nbgrader.preprocessors import CheckCellMetadata as NbgraderCheckCellMetadata
from nbgrader.preprocessors import DeduplicateIds as NbgraderDeduplicateIds
from nbgrader.preprocessors import OverwriteCells as NbgraderOverwriteCells

from autograder.plugins.lookups import NotebookGradebook


class DamagedCells(ValueError):
    """A cell's nbgrader metadata is of another schema version: this notebook cannot be graded."""


class DeduplicateIds(NbgraderDeduplicateIds):  # type: ignore[misc]
    """nbgrader's ``DeduplicateIds``, leaving the copies of a grade id as plain cells (no empty metadata)."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        nb, resources = super().preprocess(nb, resources)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", None) == {}:
                del cell.metadata["nbgrader"]
        return nb, resources


class CheckCellMetadata(NbgraderCheckCellMetadata):  # type: ignore[misc]
    """nbgrader's ``CheckCellMetadata``, failing the one notebook (not the run) on a wrong schema version."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        try:
            return super().preprocess(nb, resources)  # type: ignore[no-any-return]
        except (SchemaTooOldError, SchemaTooNewError) as exc:
            raise DamagedCells(f"a cell's nbgrader metadata is not of this nbgrader's version: {exc}") from None


class OverwriteCells(NbgraderOverwriteCells):  # type: ignore[misc]
    """nbgrader's ``OverwriteCells`` (every step and message its own), with the lookups of one notebook batched."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id, self.db_url = info["notebook"], info["assignment"], info["db_url"]
        self.gradebook = NotebookGradebook(self.db_url)
        with self.gradebook:
            nb, resources = super(NbgraderOverwriteCells, self).preprocess(nb, resources)  # each cell
            if self.add_missing_cells:
                nb, resources = self.add_missing_grade_cells(nb, resources)
                nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources
