"""The engine's lifecycle: start once, grade, grade again warm (no zygote starts again), close, nothing left;
nothing of nbgrader replaced, before, during or after."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import Any, ClassVar

import psutil
import pytest
from nbconvert.preprocessors import Preprocessor

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
        with engine.zygote() as lent:  # as nbgrader's own commands borrow one, notebook by notebook
            assert lent.proc is not None and lent.proc.pid in zygotes, "a zygote was started for the loan"
    assert engine.closed and engine.runner is None
    assert not me.children(), "a zygote outlived the engine"
    assert not any(folder.exists() for folder in scratch), "a scratch folder outlived the engine"
    engine.close()  # idempotent
    with pytest.raises(AutograderError, match="closed"):
        engine.grade("week3")


def nbgrader_names() -> dict[str, Any]:
    """What a grader could replace in nbgrader to change how its steps reach the gradebook or check cells: every
    module attribute of ``nbgrader.api``, its metadata validators' modules and every module of its preprocessors
    (their ``Gradebook``, ``create_engine``, ``jsonschema``, ``MetadataValidator``...), and the methods of
    ``Gradebook`` and of the metadata validators, by qualified name."""
    import nbgrader.api
    import nbgrader.nbgraderformat.common
    import nbgrader.nbgraderformat.v3
    import nbgrader.preprocessors

    modules = [nbgrader.api, nbgrader.nbgraderformat, nbgrader.nbgraderformat.common, nbgrader.nbgraderformat.v3]
    for info in pkgutil.iter_modules(nbgrader.preprocessors.__path__, "nbgrader.preprocessors."):
        modules.append(importlib.import_module(info.name))
    found = {f"{m.__name__}.{name}": value for m in modules for name, value in vars(m).items() if name[:2] != "__"}
    for cls in (nbgrader.api.Gradebook, nbgrader.nbgraderformat.common.BaseMetadataValidator,
                nbgrader.nbgraderformat.v3.MetadataValidatorV3):  # fmt: skip
        found |= {f"{cls.__qualname__}.{name}": fn for name, fn in vars(cls).items() if inspect.isfunction(fn)}
    assert "nbgrader.api.create_engine" in found and "nbgrader.nbgraderformat.common.jsonschema" in found
    assert "nbgrader.preprocessors.latesubmissions.Gradebook" in found
    return found


def replaced(before: dict[str, Any]) -> list[str]:
    """The names of ``before`` that are not the same objects now."""
    now = nbgrader_names()
    return sorted(name for name, value in before.items() if now.get(name) is not value)


class LooksAtNbgrader(Preprocessor):  # type: ignore[misc]
    """A step the engine runs among its own: notes, while a notebook is graded, what of nbgrader is replaced."""

    enabled = True
    before: ClassVar[dict[str, Any]] = {}
    seen: ClassVar[list[list[str]]] = []

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        self.seen.append(replaced(self.before))
        return nb, resources


def test_grading_replaces_nothing_of_nbgrader(tmp_path: Path) -> None:
    """Not before the engine starts, not while its steps run (sanitizing and scoring), not after it closed: the
    engine hands its gradebook transaction to its steps rather than rerouting nbgrader's."""
    step = f"{LooksAtNbgrader.__module__}.{LooksAtNbgrader.__name__}"
    course = released_course(
        tmp_path / "course",
        COHORT[:1],
        extra_config=f"c.Autograde.sanitize_preprocessors.append({step!r})\n"
        f"c.Autograde.autograde_preprocessors.append({step!r})\n",
    )
    LooksAtNbgrader.before, LooksAtNbgrader.seen = nbgrader_names(), []
    with Engine(course, workers=1) as engine:
        (result,) = engine.grade("week3")
        assert replaced(LooksAtNbgrader.before) == []
    assert result.auto_score == 29.0
    assert len(LooksAtNbgrader.seen) >= 4, "the step ran for each graded notebook, sanitizing and scoring"
    assert LooksAtNbgrader.seen == [[]] * len(LooksAtNbgrader.seen)
    assert replaced(LooksAtNbgrader.before) == []
