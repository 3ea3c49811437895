"""Speed-ups of nbgrader for grading many notebooks in one process, installed explicitly by the grader.

:func:`install` makes nbgrader's cell-metadata validator build its JSON schema
validator once (not once per cell) and lets nbgrader's gradebooks share one
database engine per URL (not one per preprocessor), or a batch's connection. Nothing is patched at
import time: the grading loop calls :func:`install` and, at the end,
:func:`dispose_engines`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import jsonschema
import sqlalchemy
from nbgrader import api as nbgrader_api
from nbgrader.nbgraderformat import common as nbgraderformat_common

from autograder.engine import batch


class _CachedSchemaValidation:
    """Stands in for ``jsonschema`` inside nbgrader's metadata validator.

    nbgrader calls ``jsonschema.validate(metadata, schema)`` for every cell,
    which re-checks the (constant) schema each time; this validates against
    the same schema with a validator built once.
    """

    ValidationError = jsonschema.ValidationError
    _validators: ClassVar[dict[int, Any]] = {}

    @classmethod
    def validate(cls, instance: Any, schema: dict[str, Any]) -> None:
        validator = cls._validators.get(id(schema))
        if validator is None:
            validator = cls._validators[id(schema)] = jsonschema.validators.validator_for(schema)(schema)
        validator.validate(instance)


_ENGINES: dict[str, Any] = {}


def _cached_engine(url: str, **kwargs: Any) -> Any:
    """nbgrader opens a new database engine for every preprocessor; reuse one per URL (it pools connections),
    or, while a :class:`~autograder.engine.batch.Batch` is open on the URL, its connection."""
    open_batch = batch.active(str(url))
    if open_batch is not None:
        return open_batch.shared()
    key = f"{url}|{sorted(kwargs.items())}"
    if key not in _ENGINES:
        _ENGINES[key] = sqlalchemy.create_engine(url, **kwargs)
    return _ENGINES[key]


def install() -> None:
    """Install both speed-ups (idempotent)."""
    nbgraderformat_common.jsonschema = _CachedSchemaValidation
    nbgrader_api.create_engine = _cached_engine


def dispose_engines() -> None:
    """Close the pooled connections (at the end of a grading run)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()
