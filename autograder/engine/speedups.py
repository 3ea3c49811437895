"""Speed-ups of nbgrader for grading many notebooks in one process, installed explicitly by the grader.

:func:`install` makes nbgrader's cell-metadata validator build its JSON schema
validator once (not once per cell), lets nbgrader's gradebooks share one
database engine per URL (not one per preprocessor) and skip the table check
on an engine already checked, and makes the per-cell look-ups of
``OverwriteCells`` and ``SaveAutoGrades`` (``find_source_cell``,
``find_grade``, ``find_comment``) one query per notebook. Nothing is patched
at import time: the grading loop calls :func:`install` and, at the end,
:func:`dispose_engines`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import jsonschema
import sqlalchemy
import sqlalchemy.orm
from nbgrader import api as nbgrader_api
from nbgrader.nbgraderformat import common as nbgraderformat_common


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
    """nbgrader opens a new database engine for every preprocessor; reuse one per URL (it pools connections)."""
    key = f"{url}|{sorted(kwargs.items())}"
    if key not in _ENGINES:
        _ENGINES[key] = sqlalchemy.create_engine(url, **kwargs)
    return _ENGINES[key]


_CHECKED: set[int] = set()
"""Engines whose tables nbgrader's ``Gradebook`` made sure of: the next gradebook on one skips the check."""


def _gradebook_init(self: Any, db_url: str, *args: Any, **kwargs: Any) -> None:
    engine = _cached_engine(db_url, echo=False, future=True)
    if id(engine) not in _CHECKED:
        _ORIGINAL["__init__"](self, db_url, *args, **kwargs)
        _CHECKED.add(id(engine))
        return
    self.engine = engine
    self.db = sqlalchemy.orm.scoped_session(sqlalchemy.orm.sessionmaker(autoflush=True, bind=engine, future=True))
    course_id = kwargs.get("course_id", args[0] if args else "default_course")
    self.check_course(course_id=course_id)
    self.course_id = course_id
    self.authenticator = kwargs.get("authenticator", args[1] if len(args) > 1 else None)


def _memo(self: Any, kind: str, key: tuple[str, ...], load: Any) -> dict[str, Any]:
    cache = self.__dict__.setdefault("_autograder_lookups", {})
    if (kind, key) not in cache:
        cache[(kind, key)] = load()
    return cache[(kind, key)]  # type: ignore[no-any-return]


def _find_source_cell(self: Any, name: str, notebook: str, assignment: str) -> Any:
    api = nbgrader_api

    def load() -> dict[str, Any]:
        rows = (
            self.db.query(api.SourceCell)
            .join(api.Notebook, api.Notebook.id == api.SourceCell.notebook_id)
            .join(api.Assignment, api.Assignment.id == api.Notebook.assignment_id)
            .filter(api.Notebook.name == notebook, api.Assignment.name == assignment)
        )
        return {row.name: row for row in rows}

    found = _memo(self, "source", (notebook, assignment), load).get(name)
    return found if found is not None else _ORIGINAL["find_source_cell"](self, name, notebook, assignment)


def _submitted(self: Any, kind: Any, notebook: str, assignment: str, student: str) -> dict[str, Any]:
    """Every ``kind`` (Grade or Comment) of one submitted notebook, by its cell's name, in one query."""
    api = nbgrader_api
    rows = (
        self.db.query(kind, api.BaseCell.name)
        .join(api.BaseCell, api.BaseCell.id == kind.cell_id)
        .join(api.SubmittedNotebook, api.SubmittedNotebook.id == kind.notebook_id)
        .join(api.Notebook, api.Notebook.id == api.SubmittedNotebook.notebook_id)
        .join(api.SubmittedAssignment, api.SubmittedAssignment.id == api.SubmittedNotebook.assignment_id)
        .join(api.Assignment, api.Assignment.id == api.SubmittedAssignment.assignment_id)
        .join(api.Student, api.Student.id == api.SubmittedAssignment.student_id)
        .filter(api.Notebook.name == notebook, api.Assignment.name == assignment, api.Student.id == student)
    )
    return {name: row for row, name in rows}


def _find_grade(self: Any, grade_cell: str, notebook: str, assignment: str, student: str) -> Any:
    key = (notebook, assignment, student)
    found = _memo(self, "grade", key, lambda: _submitted(self, nbgrader_api.Grade, *key)).get(grade_cell)
    return found if found is not None else _ORIGINAL["find_grade"](self, grade_cell, notebook, assignment, student)


def _find_comment(self: Any, solution_cell: str, notebook: str, assignment: str, student: str) -> Any:
    key = (notebook, assignment, student)
    found = _memo(self, "comment", key, lambda: _submitted(self, nbgrader_api.Comment, *key)).get(solution_cell)
    if found is not None:
        return found
    return _ORIGINAL["find_comment"](self, solution_cell, notebook, assignment, student)


_ORIGINAL: dict[str, Any] = {}
_PATCHES = {
    "__init__": _gradebook_init,
    "find_source_cell": _find_source_cell,
    "find_grade": _find_grade,
    "find_comment": _find_comment,
}


def install() -> None:
    """Install the speed-ups (idempotent)."""
    nbgraderformat_common.jsonschema = _CachedSchemaValidation
    nbgrader_api.create_engine = _cached_engine
    for name, patch in _PATCHES.items():
        _ORIGINAL.setdefault(name, getattr(nbgrader_api.Gradebook, name))
        setattr(nbgrader_api.Gradebook, name, patch)


def dispose_engines() -> None:
    """Close the pooled connections (at the end of a grading run)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()
    _CHECKED.clear()
