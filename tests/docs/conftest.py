"""The documentation site, built once per test process (the tests of this folder share one xdist group)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.site import build


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("docs") / "html"
    done = build(output)
    assert done.returncode == 0, f"the docs build failed (warnings are errors):\n{done.stderr[-4000:]}"
    return output
