"""The sample cohort of ``make demo``: the reference, the untouched stub and typical mistakes."""

from __future__ import annotations

from autograder.samples import Variant

FORGETS_ZERO_GRAD = """
def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    losses = []
    for _ in range(steps):
        loss = loss_fn(params)
        loss.backward()
        with torch.no_grad():
            params -= params.grad * lr
        losses.append(loss.item())
    return losses
"""
"""The week's best-known mistake, and the one copy of it: the loop never resets ``params.grad``, so each step
follows the sum of every gradient so far. The sample cohort's ``cai``, the catalogue's ``forgets_zero_grad``,
the attacks' wrong answers and the tests import it from here."""

SIGN_FROM_ROUNDED_VALUE = """
def gradient_sentences(params):
    sentences = []
    for i, name in enumerate("abc"):
        g = round(float(params.grad[i]), 1)
        advice = "should be increased" if g < 0 else "should be decreased" if g > 0 else "should stay the same"
        sentences.append(f"parameter {name} {advice} because params.grad[{i}] is {g}")
    return sentences
"""

RELU_PAIRS_MIXED_UP = """
def triple_relu(m1, b1, m2, b2, m3, b3, x):
    return rectified_linear(m1, b2, x) + rectified_linear(m2, b1, x) + rectified_linear(m3, b3, x)
"""

ONLY_SLOPES_ADDED = """
def linear(m, b, x):
    return m * x + b


def triple_linear(m1, b1, m2, b2, m3, b3, x):
    return linear(m1, b1, x) + linear(m2, b2, x) + linear(m3, b3, x)


def equivalent_line(m1, b1, m2, b2, m3, b3):
    return m1 + m2 + m3, b1
"""

SAMPLE_COHORT = [
    Variant("ada_reference"),
    Variant("ben_untouched_stub", base="stub"),
    Variant("cai_forgets_zero_grad", answers={"task1_fitting": {"gradient_descent": FORGETS_ZERO_GRAD}}),
    Variant("dev_sign_from_rounded", answers={"task1_fitting": {"gradient_sentences": SIGN_FROM_ROUNDED_VALUE}}),
    Variant("eli_relu_pairs_mixed", answers={"task2_relu": {"triple_relu": RELU_PAIRS_MIXED_UP}}),
    Variant("fay_only_slopes_added", answers={"task2_relu": {"linear_swap": ONLY_SLOPES_ADDED}}),
]

# --- for the similarity section of the report: a copied pair and an independent pair ---------------------------
# gus wrote his own answers (the loss recorded after each step is a real mistake); hal copied them, renamed the
# variables and reordered the lines and helper functions. ivy and jon each wrote correct answers of their own.

GUS_SENTENCES = """
def describe(letter, position, slope):
    if slope > 0:
        verdict = "should be decreased"
    elif slope < 0:
        verdict = "should be increased"
    else:
        verdict = "should stay the same"
    return f"parameter {letter} {verdict} because params.grad[{position}] is {slope:.1f}"


def gradient_sentences(params):
    slopes = params.grad.detach().tolist()
    return [describe(letter, position, slopes[position]) for position, letter in enumerate(["a", "b", "c"])]
"""

GUS_QUAD_PLOT = """
@interact(a=1.1, b=1.1, c=1.1)
def plot_quad_gradients(a, b, c):
    coeffs = torch.tensor([a, b, c]).requires_grad_(True)
    error = quad_mae(coeffs)
    error.backward()
    print(*gradient_sentences(coeffs), sep="\\n")
    heading = "MAE: " + format(error.item(), ".2f")
    plt.scatter(x.numpy(), y.numpy(), marker="x")
    plot_function(lambda t: quad(a, b, c, t), title=heading, ylim=(-3, 12))
"""

GUS_DESCENT_LOSS_AFTER_STEP = """
def take_step(loss_fn, params, lr):
    loss = loss_fn(params)
    loss.backward()
    with torch.no_grad():
        params -= lr * params.grad
        params.grad.zero_()


def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    history = []
    for step in range(steps):
        take_step(loss_fn, params, lr)
        history.append(float(loss_fn(params)))
    return history
"""

GUS_RELU_PLOT = """
@interact(m1=-1.5, b1=-1.5, m2=1.5, b2=1.5, m3=1.5, b3=1.5)
def plot_triple_relu(m1, b1, m2, b2, m3, b3):
    model = lambda inputs: triple_relu(m1, b1, m2, b2, m3, b3, inputs)
    error = float(mae(model(x), y))
    plt.scatter(x[:, 0], y[:, 0], c="tab:blue")
    plot_function(model, title="MAE: %.2f" % error, ylim=(-3, 13))
"""

GUS_SWAP = """
def equivalent_line(m1, b1, m2, b2, m3, b3):
    slopes, intercepts = (m1, m2, m3), (b1, b2, b3)
    return sum(slopes), sum(intercepts)


def linear(m, b, x):
    return x * m + b


def triple_linear(m1, b1, m2, b2, m3, b3, x):
    total = linear(m1, b1, x)
    for m, b in ((m2, b2), (m3, b3)):
        total = total + linear(m, b, x)
    return total
"""

HAL_SENTENCES = """
def gradient_sentences(p):
    grads = p.grad.detach().tolist()
    return [explain(ch, idx, grads[idx]) for idx, ch in enumerate(["a", "b", "c"])]


def explain(ch, idx, g):
    if g > 0:
        msg = "should be decreased"
    elif g < 0:
        msg = "should be increased"
    else:
        msg = "should stay the same"
    return f"parameter {ch} {msg} because params.grad[{idx}] is {g:.1f}"
"""

HAL_QUAD_PLOT = """
@interact(a=1.1, b=1.1, c=1.1)
def plot_quad_gradients(a, b, c):
    w = torch.tensor([a, b, c]).requires_grad_(True)
    e = quad_mae(w)
    e.backward()
    plt.scatter(x.numpy(), y.numpy(), marker="x")
    print(*gradient_sentences(w), sep="\\n")
    t = "MAE: " + format(e.item(), ".2f")
    plot_function(lambda v: quad(a, b, c, v), title=t, ylim=(-3, 12))
"""

HAL_DESCENT_LOSS_AFTER_STEP = """
def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    out = []
    for k in range(steps):
        one_update(loss_fn, params, lr)
        out.append(float(loss_fn(params)))
    return out


def one_update(f, w, rate):
    l = f(w)
    l.backward()
    with torch.no_grad():
        w -= rate * w.grad
        w.grad.zero_()
"""

HAL_RELU_PLOT = """
@interact(m1=-1.5, b1=-1.5, m2=1.5, b2=1.5, m3=1.5, b3=1.5)
def plot_triple_relu(m1, b1, m2, b2, m3, b3):
    f = lambda t: triple_relu(m1, b1, m2, b2, m3, b3, t)
    plt.scatter(x[:, 0], y[:, 0], c="tab:blue")
    err = float(mae(f(x), y))
    plot_function(f, title="MAE: %.2f" % err, ylim=(-3, 13))
"""

HAL_SWAP = """
def linear(m, b, x):
    return x * m + b


def triple_linear(m1, b1, m2, b2, m3, b3, x):
    acc = linear(m1, b1, x)
    for m, b in ((m2, b2), (m3, b3)):
        acc = acc + linear(m, b, x)
    return acc


def equivalent_line(m1, b1, m2, b2, m3, b3):
    ms, bs = (m1, m2, m3), (b1, b2, b3)
    return sum(ms), sum(bs)
"""

IVY_SENTENCES = """
WORDS = {True: "should be increased", False: "should be decreased"}


def gradient_sentences(params):
    result = []
    for i, g in enumerate(params.grad):
        g = g.item()
        advice = "should stay the same" if g == 0 else WORDS[g < 0]
        result.append("parameter " + "abc"[i] + f" {advice} because params.grad[{i}] is {g:.1f}")
    return result
"""

IVY_DESCENT = """
def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    recorded = []
    while len(recorded) < steps:
        params.grad = None
        current = loss_fn(params)
        current.backward()
        params.data.sub_(lr * params.grad)
        recorded.append(current.item())
    return recorded
"""

IVY_SWAP = """
def linear(m, b, x):
    return b + m * x


def triple_linear(m1, b1, m2, b2, m3, b3, x):
    return sum(linear(*mb, x) for mb in [(m1, b1), (m2, b2), (m3, b3)])


def equivalent_line(m1, b1, m2, b2, m3, b3):
    slope = triple_linear(m1, 0, m2, 0, m3, 0, 1)
    return slope, b1 + b2 + b3
"""

JON_SENTENCES = """
def gradient_sentences(params):
    names = ["a", "b", "c"]
    lines = []
    for index in range(len(names)):
        value = params.grad[index].item()
        if value == 0:
            change = "stay the same"
        else:
            change = "be increased" if value < 0 else "be decreased"
        lines.append("parameter %s should %s because params.grad[%d] is %.1f" % (names[index], change, index, value))
    return lines
"""

JON_DESCENT = """
def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    def one_step():
        value = loss_fn(params)
        grad = torch.autograd.grad(value, params)[0]
        with torch.no_grad():
            params.add_(grad, alpha=-lr)
        return value.item()

    return [one_step() for _ in range(steps)]
"""

JON_SWAP = """
def linear(m, b, x):
    return m * x + b


def triple_linear(m1, b1, m2, b2, m3, b3, x):
    ms, bs = [m1, m2, m3], [b1, b2, b3]
    return linear(sum(ms), sum(bs), x)


def equivalent_line(m1, b1, m2, b2, m3, b3):
    return (m1 + m2 + m3, b1 + b2 + b3)
"""

NOTEBOOK_OF = {
    "gradient_sentences": "task1_fitting",
    "plot_quad_gradients": "task1_fitting",
    "gradient_descent": "task1_fitting",
    "plot_triple_relu": "task2_relu",
    "linear_swap": "task2_relu",
}
COPIED_CELLS = ("gradient_sentences", "plot_quad_gradients", "gradient_descent", "plot_triple_relu", "linear_swap")
OWN_WAY_CELLS = ("gradient_sentences", "gradient_descent", "linear_swap")


def answers(grade_ids: tuple[str, ...], sources: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """``{notebook: {grade_id: source}}`` for a Variant."""
    found: dict[str, dict[str, str]] = {}
    for grade_id, source in zip(grade_ids, sources, strict=True):
        found.setdefault(NOTEBOOK_OF[grade_id], {})[grade_id] = source
    return found


GUS = (GUS_SENTENCES, GUS_QUAD_PLOT, GUS_DESCENT_LOSS_AFTER_STEP, GUS_RELU_PLOT, GUS_SWAP)
HAL = (HAL_SENTENCES, HAL_QUAD_PLOT, HAL_DESCENT_LOSS_AFTER_STEP, HAL_RELU_PLOT, HAL_SWAP)
SIMILARITY_PAIRS = [
    Variant("gus_own_answers", answers=answers(COPIED_CELLS, GUS)),
    Variant("hal_copies_gus", answers=answers(COPIED_CELLS, HAL)),
    Variant("ivy_correct_own_way", answers=answers(OWN_WAY_CELLS, (IVY_SENTENCES, IVY_DESCENT, IVY_SWAP))),
    Variant("jon_correct_other_way", answers=answers(OWN_WAY_CELLS, (JON_SENTENCES, JON_DESCENT, JON_SWAP))),
]
"""Two pairs for the similarity section: hal copied gus (ranked first), ivy and jon did not copy (not listed).
Kept out of :data:`SAMPLE_COHORT`, which the parity test, the grading benchmark and the browser tests use;
``make demo`` grades both lists."""
