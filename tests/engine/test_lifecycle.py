"""The engine's lifecycle: start once, grade, grade again warm (no zygote starts again), close, nothing left."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from autograder.engine.engine import Engine
from autograder.errors import AutograderError
from autograder.samples import Variant
from tests.helpers import released_course

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nbgrader")]

COHORT = [Variant("ada_reference", base="reference"), Variant("ben_stub", base="stub")]


def scratch_folders(engine: Engine) -> list[Path]:
    """The scratch folders of the engine's zygotes (other tests' zygotes may come and go meanwhile)."""
    assert engine.runner is not None and hasattr(engine.runner, "pool")
    return [Path(z.scratch_dir) for z in engine.runner.pool._all if z.scratch_dir]


def test_start_grade_grade_again_warm_and_close_leaving_nothing(tmp_path: Path) -> None:
    course = released_course(tmp_path / "course", COHORT)
    me = psutil.Process()
    with Engine(course, workers=2) as engine:
        engine.start(warm=True)
        scratch = scratch_folders(engine)
        assert len(scratch) == 2 and all(folder.is_dir() for folder in scratch)
        zygotes = {p.pid for p in me.children()}
        assert len(zygotes) == 2, "warm: both zygotes started before the first job"
        first = {r.student: r.auto_score for r in engine.grade("week3")}
        assert first == {"ada_reference": 29.0, "ben_stub": 0.0}
        again = {r.student: r.auto_score for r in engine.grade("week3", force=True)}
        assert again == first
        assert {p.pid for p in me.children()} == zygotes, "the second run started zygotes again"
    assert engine.closed and engine.runner is None
    assert not me.children(), "a zygote outlived the engine"
    assert not any(folder.exists() for folder in scratch), "a scratch folder outlived the engine"
    engine.close()  # idempotent
    with pytest.raises(AutograderError, match="closed"):
        engine.grade("week3")
