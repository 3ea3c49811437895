"""The package's own exception: a user-facing problem with a one-line message."""

from __future__ import annotations


class AutograderError(Exception):
    """A mistake the user can fix (unknown assignment, missing config, ...).

    The CLI prints ``str(error)`` on one line and exits with status 1.
    """
