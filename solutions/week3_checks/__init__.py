"""The grader's own checks of Week 3: one declaration per auto-graded test cell, and the tasks for the reports.

Most cells are a :func:`~autograder.checks.api.compare` of the student's function
with :mod:`solutions.week3` on cases drawn per run; the plots are hand-written
:class:`~autograder.checks.api.Check` s. Known wrong answers
(:mod:`solutions.week3_checks.mistakes`) name the misconception in the feedback.
"""

from __future__ import annotations

from autograder.checks.api import Declared
from solutions.week3_checks import task1_fitting, task2_relu

CHECKS: list[Declared] = [*task1_fitting.CHECKS, *task2_relu.CHECKS]

TASKS: dict[str, tuple[str, ...]] = {
    "1b": ("task1b_answer",),
    "1d": (
        "gradient_sentences_directions",
        "gradient_sentences_values",
        "plot_quad_gradients_prints_sentences_first",
        "plot_quad_gradients_draws_plot",
        "plot_quad_gradients_sliders_update",
    ),
    "1e": (
        "gradient_descent_returns_losses",
        "gradient_descent_matches_quad_fit",
        "gradient_descent_resets_gradients",
        "gradient_descent_uses_lr_and_steps",
    ),
    "1e written": ("task1e_answer",),
    "2a": ("triple_relu_matches_sum_of_relus", "triple_relu_keeps_shape_and_dtype"),
    "2b/2c fit": ("plot_triple_relu_draws_curve", "plot_triple_relu_scatters_data", "triple_relu_fit_quality"),
    "2d": ("linear_is_unclipped", "triple_linear_sums_lines", "equivalent_line_collapses"),
    "2d written": ("task2d_answer",),
    "2e": ("task2e_answer",),
}
"""The lab's tasks, each with its grade cells, in the order the reports show them."""
