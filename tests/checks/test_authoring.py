"""The authoring API on a tiny plot check, in this process: misconceptions by key, typed inputs, a probe that
receives the student's function by its parameter's name, a judge that asserts, the notebook inferred."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from autograder.checks import verdicts
from autograder.checks.api import call, check, compare
from autograder.checks.authoring import Misconceptions, template
from autograder.checks.figures import draws, one_axes
from autograder.jail.probing import run_probe

LIKELY = Misconceptions(doubled="the height was doubled.", missing=template("level {n} is missing: draw all {n}."))


@dataclass(frozen=True)
class Levels:
    heights: list[float]


def levels(rng: np.random.Generator) -> Levels:
    return Levels([1.0, round(float(rng.uniform(2, 3)), 2)])


def probe_levels(draw_level: Any, inputs: Levels, P: Any) -> Any:
    return {"plots": [P.observe(lambda h=h: draw_level(h)) for h in inputs.heights]}


def judge_levels(inputs: Levels, observed: Any) -> None:
    """draw_level(h) draws the horizontal line y = h."""
    assert isinstance(inputs, Levels), "the judge receives the inputs' dataclass"
    for h, seen in zip(inputs.heights, observed["plots"], strict=True):
        ax = one_axes(seen, f"draw_level({h})")
        doubled = draws(ax, lambda xs, h=h: np.full_like(xs, 2 * h))
        assert draws(ax, lambda xs, h=h: np.full_like(xs, h)), f"draw_level({h}) should draw y = {h}. " + (
            LIKELY.doubled.likely if doubled else "No known mistake matches."
        )


CHECK = check("draws_level", inputs=levels, probe=probe_levels, judge=judge_levels)


def line_at(scale: float) -> Any:
    def draw_level(h: float) -> None:
        xs = np.linspace(-3, 3, 30)
        plt.plot(xs, np.full_like(xs, scale * h))

    return draw_level


def judged(namespace: dict[str, Any]) -> verdicts.Verdict:
    plan = verdicts.plan([CHECK], seed=4)
    (probe,) = plan.probes(CHECK.notebook)
    return plan.judge(CHECK.notebook, {CHECK.grade_id: run_probe(asdict(probe), namespace, 60)})[CHECK.grade_id]


def test_a_check_is_declared_with_what_cannot_be_inferred() -> None:
    assert (CHECK.notebook, CHECK.grade_id, CHECK.uses) == ("test_authoring", "draws_level", ("draw_level",))
    declared = compare("doubles", reference=line_at, cases=[call(1.0)])
    assert (declared.notebook, declared.function) == ("test_authoring", "line_at")
    assert compare("nb", "doubles", reference=line_at).notebook == "nb"


def test_the_probe_gets_the_function_by_name_and_the_judge_says_why() -> None:
    assert judged({"draw_level": line_at(1.0)}).passed
    wrong = judged({"draw_level": line_at(2.0)})
    assert not wrong.passed and LIKELY.doubled.likely in wrong.reason
    assert LIKELY.key_of(wrong.reason) == "doubled"
    assert "is not callable" in judged({"draw_level": 3}).reason or not judged({"draw_level": 3}).passed


def test_a_template_misconception_keeps_its_key_whatever_fills_it() -> None:
    filled = LIKELY.missing.fill(n=3)
    assert (filled.key, str(filled)) == ("missing", "level 3 is missing: draw all 3.")
    assert LIKELY.missing.found_in(f"Likely mistake: {filled}")
    assert not LIKELY.missing.found_in("level 3 is drawn twice")
    assert LIKELY.key_of("nothing known") is None


def test_the_hidden_test_block_lists_the_misconceptions_the_judge_names_by_key() -> None:
    assert "- doubled: the height was doubled." in CHECK.describe()
