"""Plausible student mistakes, each with the test cells it must lose points on.

Every entry is one submission: the reference answers with one solution cell
replaced. ``loses`` names the auto-graded test cells that must score 0 (all
others must keep full marks) and ``misconception`` the known mistake that each
failing cell's message must name (see ``misconceptions.py``).
"""

from __future__ import annotations

from demo.cohort import FORGETS_ZERO_GRAD
from tests.course.catalogue import Case, Catalogue

T1 = "task1_fitting"
T2 = "task2_relu"

# test cells (grade ids) of task1_fitting
DIRECTIONS = "gradient_sentences_directions"
VALUES = "gradient_sentences_values"
PRINTS_FIRST = "plot_quad_gradients_prints_sentences_first"
DRAWS_PLOT = "plot_quad_gradients_draws_plot"
SLIDERS = "plot_quad_gradients_sliders_update"
RETURNS_LOSSES = "gradient_descent_returns_losses"
QUAD_FIT = "gradient_descent_matches_quad_fit"
RESETS = "gradient_descent_resets_gradients"
LR_STEPS = "gradient_descent_uses_lr_and_steps"
# test cells of task2_relu
RELU_SUM = "triple_relu_matches_sum_of_relus"
RELU_SHAPE = "triple_relu_keeps_shape_and_dtype"
RELU_CURVE = "plot_triple_relu_draws_curve"
RELU_SCATTER = "plot_triple_relu_scatters_data"
FIT = "triple_relu_fit_quality"
LINEAR = "linear_is_unclipped"
TRIPLE_LINEAR = "triple_linear_sums_lines"
COLLAPSE = "equivalent_line_collapses"

DESCENT_CELLS = (QUAD_FIT, RESETS, LR_STEPS)
"""A wrong update or gradient bookkeeping shows in every cell that follows the losses."""

_ = Catalogue()

# --- gradient_sentences: the direction rule -------------------------------------------------


def sentences(advice: str, value: str = "{g:.1f}", g: str = "float(params.grad[i])", index: str = "{i}") -> str:
    """A gradient_sentences cell with one part written differently (a loop over a, b, c as most write it)."""
    return f"""
def gradient_sentences(params):
    sentences = []
    for i, name in enumerate("abc"):
        g = {g}
{advice}
        sentences.append(f"parameter {{name}} {{advice}} because params.grad[{index}] is {value}")
    return sentences
"""


RIGHT_ADVICE = """\
        if g < 0:
            advice = "should be increased"
        elif g > 0:
            advice = "should be decreased"
        else:
            advice = "should stay the same\""""

_.mistake(
    "direction_rule_reversed",
    T1,
    {
        "gradient_sentences": sentences(
            """\
        if g > 0:
            advice = "should be increased"
        elif g < 0:
            advice = "should be decreased"
        else:
            advice = "should stay the same\""""
        )
    },
    loses={DIRECTIONS, VALUES},
    collateral={PRINTS_FIRST},
    misconception="direction_reversed",
    family="direction rule",
)
_.mistake(
    "sign_from_rounded_value",
    T1,
    {
        "gradient_sentences": sentences(
            """\
        g = round(g, 1)
        advice = "should be increased" if g < 0 else "should be decreased" if g > 0 else "should stay the same\"""",
            value="{g}",
        )
    },
    loses={DIRECTIONS, VALUES},
    collateral={PRINTS_FIRST},
    misconception="sign_of_rounded_value",
    family="direction rule",
)
_.mistake(
    "zero_gradient_says_increase",
    T1,
    {
        "gradient_sentences": sentences(
            """\
        if g <= 0:
            advice = "should be increased"
        else:
            advice = "should be decreased\""""
        )
    },
    loses={DIRECTIONS, VALUES},
    misconception="zero_gradient_direction",
    family="direction rule",
)
_.mistake(
    "reads_parameters_not_gradients",
    T1,
    {"gradient_sentences": sentences(RIGHT_ADVICE, g="float(params[i])")},
    loses={DIRECTIONS, VALUES},
    collateral={PRINTS_FIRST},
    misconception="parameter_not_gradient",
    family="direction rule",
)
_.mistake(
    "zeroes_the_gradients_it_reads",
    T1,
    {
        "gradient_sentences": """
def gradient_sentences(params):
    sentences = []
    for i, name in enumerate("abc"):
        g = float(params.grad[i])
        advice = "should be increased" if g < 0 else "should be decreased" if g > 0 else "should stay the same"
        sentences.append(f"parameter {name} {advice} because params.grad[{i}] is {g:.1f}")
    params.grad.zero_()  # tidy up for the next backward()
    return sentences
"""
    },
    loses={DIRECTIONS},
    misconception="mutates_grad",
    family="mutated inputs",
)

# --- gradient_sentences: formatting slips -----------------------------------------------------

_.mistake(
    "shows_two_decimals",
    T1,
    {"gradient_sentences": sentences(RIGHT_ADVICE, value="{g:.2f}")},
    loses={VALUES},
    collateral={PRINTS_FIRST},
    misconception="wrong_decimals",
    family="formatting",
)
_.mistake(
    "shows_every_digit",
    T1,
    {"gradient_sentences": sentences(RIGHT_ADVICE, value="{g}", g="params.grad[i].item()")},
    loses={VALUES},
    collateral={PRINTS_FIRST},
    misconception="all_digits",
    family="formatting",
)
_.mistake(
    "shows_the_tensor",
    T1,
    {
        "gradient_sentences": """
def gradient_sentences(params):
    sentences = []
    for i, name in enumerate("abc"):
        g = params.grad[i]
        advice = "should be increased" if g < 0 else "should be decreased" if g > 0 else "should stay the same"
        sentences.append("parameter " + name + " " + advice + " because params.grad[" + str(i) + "] is " + str(g))
    return sentences
"""
    },
    loses={VALUES},
    collateral={PRINTS_FIRST},
    misconception="shows_tensor",
    family="formatting",
)
_.mistake(
    "format_spec_without_f",
    T1,
    {"gradient_sentences": sentences(RIGHT_ADVICE, value="{g:.1}")},
    loses={VALUES},
    collateral={PRINTS_FIRST},
    misconception="significant_digits",
    family="formatting",
)
_.mistake(
    "drops_the_sign",
    T1,
    {"gradient_sentences": sentences(RIGHT_ADVICE, value="{abs(g):.1f}")},
    loses={VALUES},
    collateral={PRINTS_FIRST},
    misconception="sign_dropped",
    family="formatting",
)
_.mistake(
    "cuts_off_instead_of_rounding",
    T1,
    {"gradient_sentences": sentences(RIGHT_ADVICE, value="{int(g * 10) / 10}")},
    loses={VALUES},
    collateral={PRINTS_FIRST},
    misconception="truncated",
    family="formatting",
)
_.mistake(
    "indexes_from_one",
    T1,
    {"gradient_sentences": sentences(RIGHT_ADVICE, index="{i + 1}")},
    loses={VALUES},
    collateral={PRINTS_FIRST},
    misconception="index_from_one",
    family="formatting",
)
_.mistake(
    "returns_one_string",
    T1,
    {
        "gradient_sentences": """
def gradient_sentences(params):
    lines = []
    for i, name in enumerate("abc"):
        g = float(params.grad[i])
        advice = "should be increased" if g < 0 else "should be decreased" if g > 0 else "should stay the same"
        lines.append(f"parameter {name} {advice} because params.grad[{i}] is {g:.1f}")
    return "\\n".join(lines)
"""
    },
    loses={DIRECTIONS, VALUES},
    collateral={PRINTS_FIRST},
    misconception="not_a_list",
    family="formatting",
)

# --- plot_quad_gradients: printing, drawing, sliders ----------------------------------------


def quad_plot(body: str, decorator: str = "@interact(a=1.1, b=1.1, c=1.1)", signature: str = "a, b, c") -> str:
    return f"""
{decorator}
def plot_quad_gradients({signature}):
{body}
"""


PARAMS = """\
    params = torch.tensor([a, b, c], requires_grad=True)
    loss = quad_mae(params)
    loss.backward()
"""
PRINTS = """\
    for sentence in gradient_sentences(params):
        print(sentence)
"""
DRAWS = """\
    plt.scatter(x, y)
    plot_function(mk_quad(a, b, c), title=f"MAE: {loss:.2f}", ylim=(-3, 12))
"""

_.mistake(
    "prints_sentences_after_the_plot",
    T1,
    {"plot_quad_gradients": quad_plot(PARAMS + DRAWS + PRINTS)},
    loses={PRINTS_FIRST},
    misconception="printed_after_drawing",
    family="widget",
)
_.mistake(
    "prints_the_list_on_one_line",
    T1,
    {"plot_quad_gradients": quad_plot(PARAMS + "    print(gradient_sentences(params))\n" + DRAWS)},
    loses={PRINTS_FIRST},
    misconception="printed_list",
    family="widget",
)
_.mistake(
    "quad_plot_forgets_the_scatter",
    T1,
    {
        "plot_quad_gradients": quad_plot(
            PARAMS + PRINTS + '    plot_function(mk_quad(a, b, c), title=f"MAE: {loss:.2f}", ylim=(-3, 12))\n'
        )
    },
    loses={DRAWS_PLOT},
    misconception="no_scatter",
    family="widget",
)
_.mistake(
    "title_shows_every_digit_of_the_loss",
    T1,
    {
        "plot_quad_gradients": quad_plot(
            PARAMS
            + PRINTS
            + '    plt.scatter(x, y)\n    plot_function(mk_quad(a, b, c), title=f"MAE: {loss}", ylim=(-3, 12))\n'
        )
    },
    loses={DRAWS_PLOT},
    misconception="all_digits",
    family="formatting",
)
_.mistake(
    "quad_plot_ylim_of_the_by_hand_plot",
    T1,
    {
        "plot_quad_gradients": quad_plot(
            PARAMS
            + PRINTS
            + '    plt.scatter(x, y)\n    plot_function(mk_quad(a, b, c), title=f"MAE: {loss:.2f}", ylim=(-3, 13))\n'
        )
    },
    loses={DRAWS_PLOT},
    misconception="ylim",
    family="widget",
)
_.mistake(
    "plots_a_tensor_that_requires_grad",
    T1,
    {
        "plot_quad_gradients": quad_plot(
            PARAMS
            + PRINTS
            + '    plt.scatter(x, y)\n    plot_function(mk_quad(*params), title=f"MAE: {loss:.2f}", ylim=(-3, 12))\n'
        )
    },
    loses={DRAWS_PLOT, SLIDERS},
    misconception="plot_requires_grad",
    family="widget",
)
_.mistake(
    "reuses_abc_so_gradients_pile_up",
    T1,
    {
        "plot_quad_gradients": quad_plot(
            """\
    with torch.no_grad():
        abc[:] = torch.tensor([a, b, c])
    loss = quad_mae(abc)
    loss.backward()
    for sentence in gradient_sentences(abc):
        print(sentence)
"""
            + DRAWS
        )
    },
    loses={PRINTS_FIRST, SLIDERS},
    misconception="stale_plot_gradients",
    family="gradients never reset",
)
_.mistake(
    "gradients_at_the_starting_values",
    T1,
    {"plot_quad_gradients": quad_plot(PARAMS.replace("[a, b, c]", "[1.1, 1.1, 1.1]") + PRINTS + DRAWS)},
    loses={PRINTS_FIRST, DRAWS_PLOT},
    misconception="slider_ignored",
    family="hyper-parameters hard-coded",
)
_.mistake(
    "interact_decorator_removed",
    T1,
    {"plot_quad_gradients": quad_plot(PARAMS + PRINTS + DRAWS, "# @interact(a=1.1, b=1.1, c=1.1)")},
    loses={SLIDERS},
    misconception="no_decorator",
    family="widget",
)
_.mistake(
    "sliders_start_at_one",
    T1,
    {"plot_quad_gradients": quad_plot(PARAMS + PRINTS + DRAWS, "@interact(a=1.0, b=1.0, c=1.0)")},
    loses={SLIDERS},
    misconception="slider_defaults",
    family="widget",
)

# --- gradient_descent --------------------------------------------------------------------------


def descent(step: str, loop: str = "for _ in range(steps):", record: str = "losses.append(loss.item())") -> str:
    return f"""
def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    losses = []
    {loop}
{step}
        {record}
    return losses
"""


BACKWARD = """\
        loss = loss_fn(params)
        loss.backward()
"""
UPDATE = """\
        with torch.no_grad():
            params -= params.grad * lr
"""
ZERO = """\
        if params.grad is not None:
            params.grad.zero_()
"""

_.mistake(
    "forgets_zero_grad",
    T1,
    {"gradient_descent": FORGETS_ZERO_GRAD},
    loses=DESCENT_CELLS,
    misconception="accumulated_gradients",
    family="gradients never reset",
)
_.mistake(
    "zeroes_grad_once_before_the_loop",
    T1,
    {
        "gradient_descent": """
def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    losses = []
    params.grad = None
    for _ in range(steps):
        loss = loss_fn(params)
        loss.backward()
        with torch.no_grad():
            params -= params.grad * lr
        losses.append(loss.item())
    return losses
"""
    },
    loses=DESCENT_CELLS,
    misconception="accumulated_gradients",
    family="gradients never reset",
)
_.mistake(
    "zeroes_grad_before_the_update",
    T1,
    {"gradient_descent": descent(BACKWARD + "        params.grad.zero_()\n" + UPDATE)},
    loses=DESCENT_CELLS,
    misconception="zeroed_before_update",
    family="update rule",
)
_.mistake(
    "adds_the_gradient",
    T1,
    {"gradient_descent": descent(ZERO + BACKWARD + UPDATE.replace("-=", "+="))},
    loses=DESCENT_CELLS,
    misconception="gradient_ascent",
    family="update rule",
)
_.mistake(
    "applies_lr_twice",
    T1,
    {
        "gradient_descent": descent(
            ZERO
            + BACKWARD
            + "        with torch.no_grad():\n            params.grad *= lr\n            params -= params.grad * lr\n"
        )
    },
    loses=DESCENT_CELLS,
    misconception="lr_twice",
    family="update rule",
)
_.mistake(
    "update_outside_no_grad",
    T1,
    {"gradient_descent": descent(ZERO + BACKWARD + "        params -= params.grad * lr\n")},
    loses={RETURNS_LOSSES, *DESCENT_CELLS},
    misconception="inplace_outside_no_grad",
    family="update rule",
)
_.mistake(
    "makes_a_new_params_tensor",
    T1,
    {
        "gradient_descent": descent(
            BACKWARD
            + "        with torch.no_grad():\n"
            + "            params = params - params.grad * lr\n"
            + "        params.requires_grad_()\n"
        )
    },
    loses=DESCENT_CELLS,
    misconception="params_not_updated",
    family="mutated inputs",
)
_.mistake(
    "hard_codes_lr",
    T1,
    {"gradient_descent": descent(ZERO + BACKWARD + UPDATE.replace("* lr", "* 0.01"))},
    loses={RESETS, LR_STEPS},
    misconception="lr_ignored",
    family="hyper-parameters hard-coded",
)
_.mistake(
    "hard_codes_ten_steps",
    T1,
    {"gradient_descent": descent(ZERO + BACKWARD + UPDATE, loop="for _ in range(10):")},
    loses={RETURNS_LOSSES, RESETS, LR_STEPS},
    misconception="steps_ignored",
    family="hyper-parameters hard-coded",
)
_.mistake(
    "takes_one_step_too_many",
    T1,
    {
        "gradient_descent": """
def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    losses = []
    step = 0
    while step <= steps:
        if params.grad is not None:
            params.grad.zero_()
        loss = loss_fn(params)
        loss.backward()
        with torch.no_grad():
            params -= params.grad * lr
        losses.append(loss.item())
        step += 1
    return losses
"""
    },
    loses={RETURNS_LOSSES, *DESCENT_CELLS},
    misconception="steps_off_by_one",
    family="step count",
)
_.mistake(
    "takes_one_step_too_few",
    T1,
    {"gradient_descent": descent(ZERO + BACKWARD + UPDATE, loop="for step in range(1, steps):")},
    loses={RETURNS_LOSSES, *DESCENT_CELLS},
    misconception="steps_off_by_one",
    family="step count",
)
_.mistake(
    "records_the_loss_after_the_update",
    T1,
    {"gradient_descent": descent(ZERO + BACKWARD + UPDATE, record="losses.append(loss_fn(params).item())")},
    loses={RETURNS_LOSSES, *DESCENT_CELLS},
    misconception="loss_after_update",
    family="wrong loss",
)
_.mistake(
    "ignores_loss_fn",
    T1,
    {"gradient_descent": descent(ZERO + BACKWARD.replace("loss_fn(params)", "quad_mae(params)") + UPDATE)},
    loses={RESETS},
    misconception="loss_fn_ignored",
    family="wrong loss",
)
_.mistake(
    "returns_loss_tensors",
    T1,
    {"gradient_descent": descent(ZERO + BACKWARD + UPDATE, record="losses.append(loss.detach())")},
    loses={RETURNS_LOSSES},
    misconception="losses_not_floats",
    family="shapes and dtypes",
)
_.mistake(
    "rounds_the_losses",
    T1,
    {"gradient_descent": descent(ZERO + BACKWARD + UPDATE, record="losses.append(round(loss.item(), 2))")},
    loses={RETURNS_LOSSES},
    misconception="rounded_losses",
    family="formatting",
)

_.mistake(
    "adds_momentum_nobody_asked_for",
    T1,
    {
        "gradient_descent": """
def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    losses, velocity = [], torch.zeros_like(params)
    for _ in range(steps):
        params.grad = None
        loss = loss_fn(params)
        loss.backward()
        with torch.no_grad():
            velocity = 0.9 * velocity + params.grad
            params -= lr * velocity
        losses.append(loss.item())
    return losses
"""
    },
    loses=DESCENT_CELLS,
    misconception="unknown",
    family="no known misconception",
)

# --- triple_relu ---------------------------------------------------------------------------------


def relu_sum(body: str) -> str:
    return f"""
def triple_relu(m1, b1, m2, b2, m3, b3, x):
{body}
"""


_.mistake(
    "clips_after_summing",
    T2,
    {"triple_relu": relu_sum("    return torch.clip(m1 * x + b1 + m2 * x + b2 + m3 * x + b3, 0.0)")},
    loses={RELU_SUM, RELU_SHAPE},
    misconception="clip_after_sum",
    family="ReLU composition",
)
_.mistake(
    "torch_max_instead_of_clip",
    T2,
    {
        "triple_relu": relu_sum(
            """\
    def relu(m, b):
        return torch.max(m * x + b, 0)

    return relu(m1, b1) + relu(m2, b2) + relu(m3, b3)"""
        )
    },
    loses={RELU_SUM, RELU_SHAPE},
    collateral={RELU_CURVE, RELU_SCATTER},
    misconception="reduce_max",
    family="ReLU composition",
)
_.mistake(
    "clips_from_above",
    T2,
    {
        "triple_relu": relu_sum(
            """\
    def relu(m, b):
        return torch.clamp(m * x + b, max=0.0)

    return relu(m1, b1) + relu(m2, b2) + relu(m3, b3)"""
        )
    },
    loses={RELU_SUM, RELU_SHAPE},
    misconception="clip_from_above",
    family="ReLU composition",
)
_.mistake(
    "forgets_to_clip",
    T2,
    {"triple_relu": relu_sum("    return (m1 * x + b1) + (m2 * x + b2) + (m3 * x + b3)")},
    loses={RELU_SUM, RELU_SHAPE},
    misconception="not_clipped",
    family="ReLU composition",
)
_.mistake(
    "relu_pairs_mixed_up",
    T2,
    {
        "triple_relu": relu_sum(
            "    return rectified_linear(m1, b2, x) + rectified_linear(m2, b1, x) + rectified_linear(m3, b3, x)"
        )
    },
    loses={RELU_SUM, RELU_SHAPE},
    misconception="pairs_mixed",
    family="parameter pairing",
)
_.mistake(
    "third_relu_missing",
    T2,
    {"triple_relu": relu_sum("    return rectified_linear(m1, b1, x) + rectified_linear(m2, b2, x)")},
    loses={RELU_SUM, RELU_SHAPE},
    misconception="missing_relu",
    family="missing terms",
)
_.mistake(
    "second_relu_used_twice",
    T2,
    {
        "triple_relu": relu_sum(
            "    return rectified_linear(m1, b1, x) + rectified_linear(m2, b2, x) + rectified_linear(m2, b2, x)"
        )
    },
    loses={RELU_SUM, RELU_SHAPE},
    misconception="missing_relu",
    family="missing terms",
)
_.mistake(
    "converts_x_to_float32",
    T2,
    {
        "triple_relu": relu_sum(
            "    x = x.float()\n    return double_relu(m1, b1, m2, b2, x) + rectified_linear(m3, b3, x)"
        )
    },
    loses={RELU_SHAPE},
    misconception="dtype_changed",
    family="shapes and dtypes",
)
_.mistake(
    "squeezes_x",
    T2,
    {
        "triple_relu": relu_sum(
            "    x = x.squeeze()\n"
            "    return rectified_linear(m1, b1, x) + rectified_linear(m2, b2, x) + rectified_linear(m3, b3, x)"
        )
    },
    loses={RELU_SHAPE},
    misconception="shape_changed",
    family="shapes and dtypes",
)

_.mistake(
    "leaky_relu_instead_of_relu",
    T2,
    {
        "triple_relu": relu_sum(
            """\
    def leaky(m, b):
        line = m * x + b
        return torch.where(line > 0, line, 0.1 * line)

    return leaky(m1, b1) + leaky(m2, b2) + leaky(m3, b3)"""
        )
    },
    loses={RELU_SUM, RELU_SHAPE},
    misconception="unknown",
    family="no known misconception",
)

# --- plot_triple_relu -----------------------------------------------------------------------------


def relu_plot(body: str) -> str:
    return f"""
@interact(m1=-1.5, b1=-1.5, m2=1.5, b2=1.5, m3=1.5, b3=1.5)
def plot_triple_relu(m1, b1, m2, b2, m3, b3):
{body}
"""


RELU_LOSS = "    loss = mae(triple_relu(m1, b1, m2, b2, m3, b3, x), y)\n"
RELU_CURVE_LINE = (
    '    plot_function(partial(triple_relu, m1, b1, m2, b2, m3, b3), title=f"MAE: {loss:.2f}", ylim=(-3, 13))\n'
)

_.mistake(
    "relu_plot_forgets_the_scatter",
    T2,
    {"plot_triple_relu": relu_plot(RELU_LOSS + RELU_CURVE_LINE)},
    loses={RELU_SCATTER},
    misconception="no_scatter",
    family="widget",
)
_.mistake(
    "scatters_the_noise_free_quadratic",
    T2,
    {"plot_triple_relu": relu_plot(RELU_LOSS + "    plt.scatter(x, f(x))\n" + RELU_CURVE_LINE)},
    loses={RELU_SCATTER},
    misconception="noise_free_scatter",
    family="widget",
)
_.mistake(
    "sliders_named_a_to_f",
    T2,
    {
        "plot_triple_relu": """
@interact(a=-1.5, b=-1.5, c=1.5, d=1.5, e=1.5, f=1.5)
def plot_triple_relu(a, b, c, d, e, f):
    loss = mae(triple_relu(a, b, c, d, e, f, x), y)
    plt.scatter(x, y)
    plot_function(partial(triple_relu, a, b, c, d, e, f), title=f"MAE: {loss:.2f}", ylim=(-3, 13))
"""
    },
    loses={RELU_CURVE},
    misconception="slider_names",
    family="widget",
)
_.mistake(
    "title_shows_the_squared_error",
    T2,
    {
        "plot_triple_relu": relu_plot(
            "    loss = ((triple_relu(m1, b1, m2, b2, m3, b3, x) - y) ** 2).mean()\n"
            + "    plt.scatter(x, y)\n"
            + RELU_CURVE_LINE
        )
    },
    loses={RELU_CURVE},
    misconception="title_mse",
    family="wrong loss",
)
_.mistake(
    "plots_double_relu",
    T2,
    {
        "plot_triple_relu": relu_plot(
            RELU_LOSS
            + "    plt.scatter(x, y)\n"
            + '    plot_function(partial(double_relu, m1, b1, m2, b2), title=f"MAE: {loss:.2f}", ylim=(-3, 13))\n'
        )
    },
    loses={RELU_CURVE},
    misconception="plots_two_relus",
    family="missing terms",
)

# --- triple_relu_fit ------------------------------------------------------------------------------

_.mistake(
    "fit_left_at_the_slider_defaults",
    T2,
    {"triple_relu_fit": "triple_relu_fit = dict(m1=-1.5, b1=-1.5, m2=1.5, b2=1.5, m3=1.5, b3=1.5)"},
    loses={FIT},
    misconception="fit_defaults",
    family="fit",
)
_.mistake(
    "fit_just_misses_the_threshold",
    T2,
    {"triple_relu_fit": 'triple_relu_fit = {"m1": -4.5, "b1": -1.7, "m2": 2.9, "b2": -1.2, "m3": 3.2, "b3": 2.0}'},
    loses={FIT},
    misconception="fit_near_miss",
    family="fit",
)
_.mistake(
    "fit_slopes_and_intercepts_swapped",
    T2,
    {"triple_relu_fit": 'triple_relu_fit = {"m1": -1.7, "b1": -4.5, "m2": -1.2, "b2": 2.9, "m3": 0.8, "b3": 3.2}'},
    loses={FIT},
    misconception="fit_swapped",
    family="parameter pairing",
)
_.mistake(
    "fit_as_a_tuple",
    T2,
    {"triple_relu_fit": "triple_relu_fit = (-4.5, -1.7, 2.9, -1.2, 3.2, 0.8)  # m1, b1, m2, b2, m3, b3"},
    loses={FIT},
    misconception="fit_not_dict",
    family="shapes and dtypes",
)

# --- linear, triple_linear, equivalent_line -------------------------------------------------------


def swap(
    linear: str = "m * x + b",
    triple: str = "linear(m1, b1, x) + linear(m2, b2, x) + linear(m3, b3, x)",
    line: str = "m1 + m2 + m3, b1 + b2 + b3",
) -> str:
    return f"""
def linear(m, b, x):
    return {linear}


def triple_linear(m1, b1, m2, b2, m3, b3, x):
    return {triple}


def equivalent_line(m1, b1, m2, b2, m3, b3):
    return {line}
"""


_.mistake(
    "linear_still_clipped",
    T2,
    {"linear_swap": swap(linear="torch.clip(m * x + b, 0.0)")},
    loses={LINEAR},
    collateral={TRIPLE_LINEAR},
    misconception="linear_clipped",
    family="linear swap halfway",
)
_.mistake(
    "triple_linear_still_rectified",
    T2,
    {
        "linear_swap": swap(
            triple="rectified_linear(m1, b1, x) + rectified_linear(m2, b2, x) + rectified_linear(m3, b3, x)"
        )
    },
    loses={TRIPLE_LINEAR},
    misconception="swap_halfway",
    family="linear swap halfway",
)
_.mistake(
    "third_term_still_rectified",
    T2,
    {"linear_swap": swap(triple="linear(m1, b1, x) + linear(m2, b2, x) + rectified_linear(m3, b3, x)")},
    loses={TRIPLE_LINEAR},
    misconception="swap_halfway",
    family="linear swap halfway",
)
_.mistake(
    "linear_changes_x_in_place",
    T2,
    {
        "linear_swap": """
def linear(m, b, x):
    x *= m
    x += b
    return x


def triple_linear(m1, b1, m2, b2, m3, b3, x):
    return linear(m1, b1, x) + linear(m2, b2, x) + linear(m3, b3, x)


def equivalent_line(m1, b1, m2, b2, m3, b3):
    return m1 + m2 + m3, b1 + b2 + b3
"""
    },
    loses={LINEAR},
    misconception="linear_mutates",
    family="mutated inputs",
)
_.mistake(
    "collapsed_line_keeps_only_the_first_intercept",
    T2,
    {"linear_swap": swap(line="m1 + m2 + m3, b1")},
    loses={COLLAPSE},
    misconception="intercepts_add",
    family="collapsed-line arithmetic",
)
_.mistake(
    "collapsed_line_averages",
    T2,
    {"linear_swap": swap(line="(m1 + m2 + m3) / 3, (b1 + b2 + b3) / 3")},
    loses={COLLAPSE},
    misconception="averaged",
    family="collapsed-line arithmetic",
)
_.mistake(
    "collapsed_line_returns_b_then_m",
    T2,
    {"linear_swap": swap(line="b1 + b2 + b3, m1 + m2 + m3")},
    loses={COLLAPSE},
    misconception="pair_order",
    family="collapsed-line arithmetic",
)
_.mistake(
    "collapsed_line_drops_a_slope",
    T2,
    {"linear_swap": swap(line="m1 + m2, b1 + b2 + b3")},
    loses={COLLAPSE},
    misconception="slopes_add",
    family="collapsed-line arithmetic",
)

MISTAKES: list[Case] = _.cases
