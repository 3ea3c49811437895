"""The sandboxed zygote the jail's tests run notebooks in (one per test module)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from autograder.engine.client import Zygote
from autograder.engine.sandbox import Sandbox, dispose, new_zygote
from tests.helpers import require_sandbox, zygote_spec


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    """A warm zygote in the default sandbox (fails where bubblewrap cannot run)."""
    require_sandbox()
    z = new_zygote(zygote_spec(Sandbox()))
    z.start()
    yield z
    dispose(z)
