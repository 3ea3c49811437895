"""Catalogues of submissions whose grades we know in advance.

Each :class:`Case` is one student's answer to one notebook: the source of some
solution cells, on top of the reference answers. ``mistakes.MISTAKES`` holds
plausible wrong answers, each tagged with the test cells that must lose points
and the misconception the failure message must name; ``correct.CORRECT`` holds
right answers written differently, which must get full marks. Adding a case is
adding one entry to either list.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from autograder.samples import Variant

MISTAKE_PREFIX = "m_"
CORRECT_PREFIX = "ok_"


@dataclass(frozen=True)
class Case:
    """One fixture submission: some solution cells of one notebook, replaced."""

    name: str
    """What the outcome is, e.g. ``forgets_zero_grad``: unique within its catalogue."""
    notebook: str
    """The notebook's stem, e.g. ``task1_fitting``."""
    answers: Mapping[str, str]
    """``{solution cell grade id: its new source}``; every other cell is the reference's."""
    loses: frozenset[str] = frozenset()
    """The auto-graded test cells (grade ids) that must lose points; empty for a correct answer."""
    misconception: str = ""
    """The key in ``misconceptions.MISCONCEPTIONS`` whose line each failing cell's message must contain."""
    family: str = ""
    """The kind of mistake or of rewriting, for reports."""
    collateral: frozenset[str] = frozenset()
    """Later test cells that lose points too, because their own visible asserts call the mistaken function (as
    under stock nbgrader): the grader's check there passes (the reference stands in after the function's own
    checks), so they name no misconception. Only the whole notebook's score shows them."""

    @property
    def student(self) -> str:
        return (MISTAKE_PREFIX if self.loses else CORRECT_PREFIX) + self.name

    def sources(self) -> dict[str, str]:
        """The answers as they go into the notebook: dedented, no blank lines at either end."""
        return {gid: textwrap.dedent(src).strip("\n") + "\n" for gid, src in self.answers.items()}

    def variant(self) -> Variant:
        return Variant(self.student, base="reference", answers={self.notebook: self.sources()})


@dataclass
class Catalogue:
    """A list of cases being declared, with the one-line helpers that declare them."""

    cases: list[Case] = field(default_factory=list)

    def mistake(
        self,
        name: str,
        notebook: str,
        answers: Mapping[str, str],
        *,
        loses: Iterable[str],
        misconception: str,
        family: str,
        collateral: Iterable[str] = (),
    ) -> None:
        self.cases.append(
            Case(name, notebook, dict(answers), frozenset(loses), misconception, family, frozenset(collateral))
        )

    def correct(self, name: str, notebook: str, answers: Mapping[str, str], *, family: str) -> None:
        self.cases.append(Case(name, notebook, dict(answers), family=family))


def variants(cases: Iterable[Case]) -> list[Variant]:
    """The cohort to build for these cases, one student each."""
    return [case.variant() for case in cases]
