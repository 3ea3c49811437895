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
* :class:`OverwriteKernelspec` is nbgrader's, reading the released kernelspec on the
  gradebook it is given.

``autograder grade`` runs the same lists, so a copied cell grades the same on
both paths. There the steps that open the gradebook open it on the engine's open
batch (:meth:`NotebookGradebook.of <autograder.plugins.lookups.NotebookGradebook.of>`),
and the metadata checks validate against a JSON-schema validator built once
(:class:`MetadataValidator`), not once per cell.
"""

from __future__ import annotations

import json
import traceback
from typing import Any, ClassVar

import jsonschema
from nbgrader.nbgraderformat import MetadataValidator as NbgraderMetadataValidator
from nbgrader.nbgraderformat import SchemaTooNewError, SchemaTooOldError, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.preprocessors import CheckCellMetadata as NbgraderCheckCellMetadata
from nbgrader.preprocessors import DeduplicateIds as NbgraderDeduplicateIds
from nbgrader.preprocessors import OverwriteCells as NbgraderOverwriteCells
from nbgrader.preprocessors import OverwriteKernelspec as NbgraderOverwriteKernelspec

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


class CompiledSchema(BaseMetadataValidator):  # type: ignore[misc]
    """The schema part of nbgrader's per-cell check, against a validator built once per schema.

    nbgrader's ``BaseMetadataValidator.validate_cell`` checks the cell's schema version, then calls
    ``jsonschema.validate``, which checks the (constant) schema itself again for every cell before it validates
    the cell. This does the same checks, with the same errors, and checks each schema once. It goes between
    nbgrader's versioned validator and its base (see :class:`MetadataValidator`), so that the versioned
    validator's own checks, which call the base's, run as nbgrader wrote them.
    """

    _compiled: ClassVar[dict[str, Any]] = {}
    """Validators by schema (its JSON text): a schema is checked once per process, whatever reads it."""

    def __init__(self) -> None:
        super().__init__()  # nbgrader's base reads the schema
        key = json.dumps(self.schema, sort_keys=True)
        if key not in self._compiled:
            kind = jsonschema.validators.validator_for(self.schema)
            kind.check_schema(self.schema)
            self._compiled[key] = kind(self.schema)
        self.validator = self._compiled[key]

    def validate_cell(self, cell: Any) -> None:
        if "nbgrader" not in cell.metadata:
            return
        meta = cell.metadata["nbgrader"]
        version, expected = meta.get("schema_version", 0), self.schema_version
        if version < expected:
            raise SchemaTooOldError(f"Outdated schema version: {version} (expected {expected})", version, expected)
        if version > expected:
            raise SchemaTooNewError(f"Schema version is too new: {version} (expected {expected})", version, expected)
        error = jsonschema.exceptions.best_match(self.validator.iter_errors(meta))
        if error is not None:
            raise error


class MetadataValidator(NbgraderMetadataValidator, CompiledSchema):  # type: ignore[misc]
    """nbgrader's ``MetadataValidator`` (its upgrades and every check its own), with the schema checked once.

    Its method order is nbgrader's validator, :class:`CompiledSchema`, nbgrader's base: where nbgrader's
    validator calls its base's ``validate_cell``, :class:`CompiledSchema`'s runs.
    """


class CheckCellMetadata(NbgraderCheckCellMetadata):  # type: ignore[misc]
    """nbgrader's ``CheckCellMetadata``, failing the one notebook (not the run) on a wrong schema version, with
    the schema checked once (:class:`MetadataValidator`)."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        try:
            MetadataValidator().validate_nb(nb)
        except (SchemaTooOldError, SchemaTooNewError) as exc:
            raise DamagedCells(f"a cell's nbgrader metadata is not of this nbgrader's version: {exc}") from None
        except ValidationError:  # as nbgrader's step: the details in the log, a plain message raised
            self.log.error(traceback.format_exc())
            message = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(message)
            raise ValidationError(message) from None
        return nb, resources


class OverwriteKernelspec(NbgraderOverwriteKernelspec):  # type: ignore[misc]
    """nbgrader's ``OverwriteKernelspec`` (its messages its own): the released notebook's kernelspec, if it has
    one, replaces the submission's; read on the gradebook the step is given (:meth:`NotebookGradebook.of`)."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        info = resources["nbgrader"]
        with NotebookGradebook.of(resources) as gb:
            released = gb.find_notebook(info["notebook"], info["assignment"]).kernelspec
        kernelspec = json.loads(released) if released is not None else None
        self.log.debug("Source notebook kernelspec: %s", kernelspec)
        self.log.debug("Submitted notebook kernelspec: %s", nb.metadata.get("kernelspec", None))
        if kernelspec:
            self.log.debug("Overwriting submitted notebook kernelspec: %s", kernelspec)
            nb.metadata["kernelspec"] = kernelspec
        return nb, resources


class OverwriteCells(NbgraderOverwriteCells):  # type: ignore[misc]
    """nbgrader's ``OverwriteCells`` (every step and message its own), with the lookups of one notebook batched."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id, self.db_url = info["notebook"], info["assignment"], info["db_url"]
        self.gradebook = NotebookGradebook.of(resources)
        with self.gradebook:
            nb, resources = super(NbgraderOverwriteCells, self).preprocess(nb, resources)  # each cell
            if self.add_missing_cells:
                nb, resources = self.add_missing_grade_cells(nb, resources)
                nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources
