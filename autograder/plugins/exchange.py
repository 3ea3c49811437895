"""nbgrader's collect on a multi-user exchange, taking a submission only from the account it names.

In nbgrader's exchange a submission is a folder ``inbound/STUDENT+ASSIGNMENT+TIMESTAMP+RANDOM`` that the
student's own ``nbgrader submit`` creates, and ``STUDENT`` is whatever the student passed (``--student``):
anyone can submit under another name. nbgrader's collect only warns when the folder's owner is not that
student (``check_owner``) and collects it anyway, the newest submission of a name winning. With
``c.ExchangeFactory.collect = "autograder.plugins.exchange.OwnersOnlyCollect"`` a folder whose owner is not
the account it names is not collected at all (logged as an error), so it can neither grade as someone else
nor hide their own newer submission.
"""

from __future__ import annotations

import os
import pwd
from typing import Any

from nbgrader.exchange.default.collect import ExchangeCollect


def owner_name(path: str) -> str | None:
    """The user name owning ``path`` (not following a link), or None."""
    try:
        return pwd.getpwuid(os.lstat(path).st_uid).pw_name
    except (KeyError, OSError):
        return None


class OwnersOnlyCollect(ExchangeCollect):  # type: ignore[misc]
    """:class:`ExchangeCollect` that ignores every submission folder not owned by the student it names."""

    src_records: list[dict[str, Any]]

    def _path_to_record(self, path: str) -> dict[str, Any]:
        record: dict[str, Any] = super()._path_to_record(path)
        owner = owner_name(path)
        if owner != record["username"]:
            self.log.error(
                "Not collecting %s: it says it is %s's but account %s made it", path, record["username"], owner
            )
            record["username"] = "\0refused:" + record["filename"]  # a group of its own, dropped below
        return record

    def copy_files(self) -> None:
        self.src_records = [r for r in self.src_records if not r["username"].startswith("\0refused:")]
        super().copy_files()
