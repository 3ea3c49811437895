"""A released course made once for the feedback service's tests; each test copies it into a lab of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import released_course


@pytest.fixture(scope="package")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return released_course(tmp_path_factory.mktemp("feedback-template") / "course").root
