"""Probes every assignment can use for plots and sliders (sent as source into the sandbox, so self-contained).

A probe receives the student's functions by its parameters' names (or, for
these generic ones, in the order the check's ``uses`` lists them), then its
inputs (attributes of the check's inputs dataclass) and ``P``, the sandbox's
:mod:`autograder.jail.probing`. It returns plain data: the typed dicts of
:mod:`autograder.checks.authoring`.
"""

from __future__ import annotations

from typing import Any

from autograder.checks.authoring import Cases, Moved, Moves, Plots, SliderMoves


def plots(fn: Any, inputs: Cases, P: Any) -> Plots:
    """``fn(*case)`` on fresh figures for each case (what it printed, raised, drew), its sliders, the first again."""
    seen = [P.observe(lambda case=case: fn(*case)) for case in inputs.cases]
    again = P.observe(lambda: fn(*inputs.cases[0])) if inputs.cases else None
    return {"sliders": P.sliders(fn), "plots": seen, "again": again}


def slider_moves(fn: Any, inputs: Moves, P: Any) -> SliderMoves:
    """For each move: ``fn`` called directly with the moved values (twice), and what moving the slider showed."""
    sliders = P.sliders(fn)
    moves: list[Moved] = []
    for index, value in inputs.moves if sliders is not None else []:
        values = list(inputs.start)
        values[int(index)] = value
        direct = P.observe(lambda values=values: fn(*values))
        again = P.observe(lambda values=values: fn(*values))
        moves.append({"direct": direct, "again": again, "moved": P.move_slider(fn, int(index), value)})
    return {"sliders": sliders, "moves": moves}
