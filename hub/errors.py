"""The hub's one exception: a user mistake or a missing prerequisite, shown as one line."""

from __future__ import annotations


class HubError(Exception):
    """Printed as ``hub: MESSAGE`` with exit status 1."""
