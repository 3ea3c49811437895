"""The sandboxed zygote the jail's tests run notebooks in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from autograder.engine.client import Zygote
from autograder.engine.sandbox import Sandbox, dispose, new_zygote, sandbox_available
from tests.helpers import zygote_spec


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    """A warm zygote of the course's own settings, in the default sandbox, for one test module."""
    reason = sandbox_available()
    if reason is not None:
        pytest.skip(f"no sandbox here: {reason}")
    z = new_zygote(zygote_spec(Sandbox()))
    z.start()
    yield z
    dispose(z)
