"""The grader's own checks of Week 3, one declaration per auto-graded test cell (``compare`` with the reference in
:mod:`solutions.week3`, or a ``check`` of a plot), and the tasks for the reports; misconceptions and the known wrong
answers that show them are in ``misconceptions`` and ``mistakes``."""

from __future__ import annotations

from autograder.checks.api import Declared
from solutions.week3_checks import task1_fitting, task2_relu

CHECKS: list[Declared] = [*task1_fitting.CHECKS, *task2_relu.CHECKS]
SENTENCES, PLOT, DESCENT = "gradient_sentences_", "plot_quad_gradients_", "gradient_descent_"
TASKS: dict[str, tuple[str, ...]] = {  # the lab's tasks, each with its grade cells, in the order the reports show them
    "1b": ("task1b_answer",),
    "1d": (*(SENTENCES + s for s in ("directions", "values")),
           *(PLOT + s for s in ("prints_sentences_first", "draws_plot", "sliders_update"))),
    "1e": tuple(DESCENT + s for s in ("returns_losses", "matches_quad_fit", "resets_gradients", "uses_lr_and_steps")),
    "1e written": ("task1e_answer",),
    "2a": ("triple_relu_matches_sum_of_relus", "triple_relu_keeps_shape_and_dtype"),
    "2b/2c fit": ("plot_triple_relu_draws_curve", "plot_triple_relu_scatters_data", "triple_relu_fit_quality"),
    "2d": ("linear_is_unclipped", "triple_linear_sums_lines", "equivalent_line_collapses"),
    "2d written": ("task2d_answer",),
    "2e": ("task2e_answer",),
}  # fmt: skip
