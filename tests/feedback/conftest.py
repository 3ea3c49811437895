"""A released course made once for the feedback service's tests, with the service's private copy of it made
once too; each test copies it into a lab of its own. The copy's fingerprint leaves out where the exchange is and
the service's limits, so a lab's service keeps the copy (no release generated again) unless a test changes the
course itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.feedback.config import FeedbackService
from autograder.feedback.worker import private_copy
from tests.feedback.lab import ASSIGNMENT
from tests.helpers import released_course


@pytest.fixture(scope="package")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = released_course(tmp_path_factory.mktemp("feedback-template") / "course")
    private_copy(course, course.root / FeedbackService(config=course.config).state_dir / "course", [ASSIGNMENT])
    return course.root
