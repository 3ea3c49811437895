"""One gradebook transaction for a batch of submissions, one savepoint for each.

Stock nbgrader commits the gradebook about thirty-five times per submission
(each preprocessor opens its own ``Gradebook`` and commits what it changed).
During ``autograder grade`` a :class:`Batch` holds one connection with one
transaction open: each submission's gradebook work runs in a :meth:`Batch.unit`
(a SAVEPOINT: a submission that fails part-way leaves nothing behind), every
gradebook opened on the batch (:meth:`Batch.gradebook`) works on that connection
inside a savepoint of its own, and its commits only release it. The batch commits
every ``c.Grader.batch_submissions`` submissions, and at the end of the run; and
``c.Grader.batch_seconds`` after its first write at the latest, even while the run
only waits for its workers: the transaction holds SQLite's write lock, and another
writer (the formgrader saving a grade) waits for it only so long (5 s, nbgrader's
connections being pysqlite's defaults).

The batch is handed on, never looked up: the engine passes it to the functions
that open the gradebook, and to the preprocessors it runs in their ``resources``
(under :data:`RESOURCE`). nbgrader's steps that open a ``Gradebook`` of their own
run as our subclasses (:mod:`autograder.plugins.cells`,
:mod:`autograder.plugins.scoring`), which open theirs on the batch.

What must not be seen before the gradebook holds it (a submission's record, that
says it is graded; the callbacks that report it) waits in :meth:`Batch.defer`
until the commit: a run killed in the middle of a batch loses that batch whole,
and resuming grades it again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from nbgrader.api import Gradebook
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import scoped_session, sessionmaker

from autograder.errors import AutograderError

log = logging.getLogger(__name__)


class SharedConnection(Connection):
    """The batch's connection, handed to every ``Gradebook`` opened during a unit: their ``close`` disposes
    of their engine, which here must leave the connection open."""

    def dispose(self) -> None:
        """Nothing: the batch closes the connection."""


RESOURCE = "autograder_batch"
"""The key of the open :class:`Batch` in the ``resources`` the engine passes to each preprocessor (absent
under nbgrader's own commands, which open no batch)."""


class Batch:
    """One connection and one transaction on the gradebook at ``url`` for many submissions."""

    def __init__(self, url: str, *, size: int = 50, seconds: float = 2.0) -> None:
        self.url, self.size, self.seconds = url, max(1, size), seconds
        self.engine = sqlalchemy.create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            # pysqlite begins transactions on its own and knows no SAVEPOINT; let SQLAlchemy say when
            event.listen(self.engine, "connect", _no_implicit_transactions)
            event.listen(self.engine, "begin", _begin)
        self.connection = SharedConnection(self.engine)
        self.commits = 0
        self._units = 0
        self._in_unit = False
        self._deferred: list[Callable[[], object]] = []
        self._transaction = self.connection.begin()
        self._written: float | None = None  # when the first unit since the last commit began

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """Commit what the finished units did (an interrupted run keeps them), then close."""
        try:
            self.commit(again=False)
        except Exception as exc:
            if kind is None:
                raise
            # the run is ending on an error or a Ctrl-C that may have cut a query short: one line, no traceback
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            log.warning("the last grading batch could not be committed (%s): its submissions will be graded again",
                        first[:200])  # fmt: skip
        finally:
            self.connection.close()
            self.engine.dispose()

    @contextmanager
    def unit(self) -> Iterator[None]:
        """One submission's gradebook work: kept whole when it ends normally, undone whole if it raises."""
        if self._in_unit:
            raise AutograderError("grading units do not nest")
        self._in_unit = True
        if self._written is None:
            self._written = time.monotonic()
        try:
            with self._savepoint():
                yield
        finally:
            self._in_unit = False

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """A part of a unit that may fail and be done again another way (scoring a notebook, then scoring
        it as not run): undone whole if it raises, so the second way starts from what was there before."""
        if not self._in_unit:
            raise AutograderError("a grading attempt runs inside a grading unit")
        with self._savepoint():
            yield

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        savepoint = self.connection.begin_nested()
        try:
            yield
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise
        else:
            savepoint.commit()

    def defer(self, action: Callable[[], object]) -> None:
        """Run ``action`` once what the units so far did is committed."""
        self._deferred.append(action)

    def done(self) -> None:
        """A submission is finished: commit if the batch is full or due."""
        self._units += 1
        if self._units >= self.size:
            self.commit()
        else:
            self.commit_if_due()

    def due_in(self) -> float | None:
        """Seconds until the batch is due to commit (0: now), or None while it holds no write."""
        if self._written is None:
            return None
        return max(0.0, self._written + self.seconds - time.monotonic())

    def commit_if_due(self) -> None:
        """Commit if the first write since the last commit is ``seconds`` old."""
        if self.due_in() == 0.0:
            self.commit()

    def commit(self, *, again: bool = True) -> None:
        """Commit the batch, run what waited for it, and (``again``) begin the next."""
        self._transaction.commit()
        self.commits += 1
        waiting, self._deferred, self._units, self._written = self._deferred, [], 0, None
        for action in waiting:
            action()
        if again:
            self._transaction = self.connection.begin()

    def adopt(self, gb: Gradebook) -> None:
        """Set up ``gb`` (not initialised) on the batch's connection without nbgrader's set-up: the tables
        and the course exist, since the run checked the assignment is released before it began. Only during
        a unit: what a gradebook writes belongs to one submission."""
        if not self._in_unit:
            raise AutograderError("the gradebook was opened outside a grading unit during a batch")
        gb.engine = self.connection
        gb.db = scoped_session(sessionmaker(autoflush=True, bind=gb.engine, future=True))
        gb.course_id, gb.authenticator = "default_course", None

    def gradebook(self) -> Gradebook:
        """nbgrader's ``Gradebook`` on the batch's connection (see :meth:`adopt`)."""
        gb = Gradebook.__new__(Gradebook)
        self.adopt(gb)
        return gb


def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")
