"""Correct answers written differently from the reference: each must get full marks.

Every entry is one submission: the reference answers with the named solution
cells replaced by another right way to write them.
"""

from __future__ import annotations

from tests.course.catalogue import Case, Catalogue

T1 = "task1_fitting"
T2 = "task2_relu"

_ = Catalogue()

# --- gradient_sentences ---------------------------------------------------------------------------

_.correct(
    "sentences_with_format_builtin",
    T1,
    {
        "gradient_sentences": """
def gradient_sentences(params):
    out = []
    for i, (name, g) in enumerate(zip(["a", "b", "c"], params.grad.tolist())):
        if g < 0:
            word = "increased"
        elif g > 0:
            word = "decreased"
        else:
            shown = format(g, ".1f")
            out.append("parameter " + name + " should stay the same because params.grad[" + str(i) + "] is " + shown)
            continue
        out.append("parameter {} should be {} because params.grad[{}] is {}".format(name, word, i, format(g, ".1f")))
    return out
"""
    },
    family="string formatting",
)
_.correct(
    "sentences_with_percent_and_sign",
    T1,
    {
        "gradient_sentences": """
ADVICE = {-1: "should be increased", 0: "should stay the same", 1: "should be decreased"}


def gradient_sentences(params):
    grads = params.grad
    return [
        "parameter %s %s because params.grad[%d] is %.1f" % (name, ADVICE[int(torch.sign(grads[i]))], i, grads[i])
        for i, name in enumerate("abc")
    ]
"""
    },
    family="string formatting",
)
_.correct(
    "sentences_round_then_str",
    T1,
    {
        "gradient_sentences": """
def direction(g):
    if g == 0:
        return "stay the same"
    return "be increased" if g < 0 else "be decreased"


def gradient_sentences(params):
    sentences = []
    for i in range(3):
        g = params.grad[i].item()
        shown = str(round(g, 1))  # direction from g itself, rounding only for display
        sentences.append(f"parameter {'abc'[i]} should {direction(g)} because params.grad[{i}] is {shown}")
    return sentences
"""
    },
    family="string formatting",
)

# --- plot_quad_gradients ---------------------------------------------------------------------------

_.correct(
    "quad_plot_under_no_grad_with_extra_print",
    T1,
    {
        "plot_quad_gradients": """
@interact(a=1.1, b=1.1, c=1.1)
def plot_quad_gradients(a, b, c):
    params = torch.tensor([a, b, c])
    params.requires_grad_()
    loss = quad_mae(params)
    loss.backward()
    print("\\n".join(gradient_sentences(params)))
    print(f"loss={loss:.2f}")
    with torch.no_grad():
        plt.scatter(x, y)
        plot_function(mk_quad(*params), ylim=(-3, 12), title="MAE: %.2f" % loss.item())
"""
    },
    family="plotting idiom",
)
_.correct(
    "quad_plot_autograd_grad_in_float64",
    T1,
    {
        "plot_quad_gradients": """
@interact(a=1.1, b=1.1, c=1.1)
def plot_quad_gradients(a, b, c):
    params = torch.tensor([a, b, c], dtype=torch.float64, requires_grad=True)
    loss = quad_mae(params)
    (params.grad,) = torch.autograd.grad(loss, params)
    for line in gradient_sentences(params):
        print(line)
    ax = plt.gca()
    ax.scatter(x.numpy(), y.numpy())
    plot_function(lambda xs: quad(a, b, c, xs), title=f"MAE: {loss.item():.2f}", ylim=(-3, 12))
"""
    },
    family="gradient idiom",
)

# --- gradient_descent --------------------------------------------------------------------------------

_.correct(
    "descent_sets_grad_to_none_after_update",
    T1,
    {
        "gradient_descent": """
def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    losses = []
    for i in range(steps):
        loss = loss_fn(params)
        loss.backward()
        with torch.no_grad():
            params.sub_(lr * params.grad)
        params.grad = None
        losses.append(float(loss))
    return losses
"""
    },
    family="gradient reset",
)
_.correct(
    "descent_updates_data_and_zeroes_after",
    T1,
    {
        "gradient_descent": """
def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    losses = []
    for step in range(steps):
        loss = loss_fn(params)
        losses.append(loss.item())
        loss.backward()
        params.data -= lr * params.grad.data
        params.grad.zero_()
    return losses
"""
    },
    family="gradient reset",
)
_.correct(
    "descent_while_autograd_grad_with_print",
    T1,
    {
        "gradient_descent": """
def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    losses = []
    i = 0
    while i < steps:
        loss = loss_fn(params)
        (grad,) = torch.autograd.grad(loss, [params])
        with torch.no_grad():
            params -= grad * lr
        losses.append(loss.item())
        print(f"step={i}; loss={loss:.2f}")
        i += 1
    return losses
"""
    },
    family="loop form",
)
_.correct(
    "descent_comprehension_over_a_helper",
    T1,
    {
        "gradient_descent": """
def descent_step(loss_fn, params, lr):
    params.grad = None
    loss = loss_fn(params)
    loss.backward()
    with torch.no_grad():
        params -= params.grad * lr
    return loss.item()


def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    return [descent_step(loss_fn, params, lr) for _ in range(steps)]
"""
    },
    family="loop form",
)

# --- triple_relu ---------------------------------------------------------------------------------------

_.correct(
    "relu_with_functional_relu",
    T2,
    {
        "triple_relu": """
import torch.nn.functional as F


def triple_relu(m1, b1, m2, b2, m3, b3, x):
    return F.relu(m1 * x + b1) + F.relu(m2 * x + b2) + F.relu(m3 * x + b3)
"""
    },
    family="ReLU formulation",
)
_.correct(
    "relu_with_torch_maximum_loop",
    T2,
    {
        "triple_relu": """
def triple_relu(m1, b1, m2, b2, m3, b3, x):
    total = torch.zeros_like(x)
    for m, b in [(m1, b1), (m2, b2), (m3, b3)]:
        line = m * x + b
        total = total + torch.maximum(line, torch.zeros_like(line))
    return total
"""
    },
    family="ReLU formulation",
)
_.correct(
    "relu_with_clamp_and_sum",
    T2,
    {
        "triple_relu": """
def triple_relu(m1, b1, m2, b2, m3, b3, x):
    return sum((m * x + b).clamp(min=0) for m, b in ((m1, b1), (m2, b2), (m3, b3)))
"""
    },
    family="ReLU formulation",
)
_.correct(
    "relu_with_where",
    T2,
    {
        "triple_relu": """
def relu(t):
    return torch.where(t > 0, t, 0.0)


def triple_relu(m1, b1, m2, b2, m3, b3, x):
    return relu(m1 * x + b1) + relu(m2 * x + b2) + relu(m3 * x + b3)
"""
    },
    family="ReLU formulation",
)
_.correct(
    "relu_from_abs_and_double_relu",
    T2,
    {
        "triple_relu": """
def triple_relu(m1, b1, m2, b2, m3, b3, x):
    line = m3 * x + b3
    return double_relu(m1, b1, m2, b2, x) + (line + line.abs()) / 2
"""
    },
    family="ReLU formulation",
)

# --- plot_triple_relu, triple_relu_fit ------------------------------------------------------------------

_.correct(
    "relu_plot_on_gca_with_numpy",
    T2,
    {
        "plot_triple_relu": """
@interact(m1=-1.5, b1=-1.5, m2=1.5, b2=1.5, m3=1.5, b3=1.5)
def plot_triple_relu(m1, b1, m2, b2, m3, b3):
    model = partial(triple_relu, m1, b1, m2, b2, m3, b3)
    ax = plt.gca()
    ax.scatter(x.numpy(), y.numpy(), s=12)
    plot_function(model, ylim=(-3, 13))
    ax.set_title("MAE: {:.2f}".format(float(mae(model(x), y))))
"""
    },
    family="plotting idiom",
)
_.correct(
    "fit_with_other_values_as_ints",
    T2,
    {"triple_relu_fit": "triple_relu_fit = dict(m1=-4, b1=-2, m2=3, b2=-1, m3=np.float32(3.0), b3=torch.tensor(1.0))"},
    family="input types",
)

# --- linear, triple_linear, equivalent_line -----------------------------------------------------------------

_.correct(
    "swap_line_found_by_evaluating",
    T2,
    {
        "linear_swap": """
def linear(m, b, x):
    return b + m * x


def triple_linear(m1, b1, m2, b2, m3, b3, x):
    return sum(linear(m, b, x) for m, b in ((m1, b1), (m2, b2), (m3, b3)))


def equivalent_line(m1, b1, m2, b2, m3, b3):
    at_zero = triple_linear(m1, b1, m2, b2, m3, b3, 0.0)
    at_one = triple_linear(m1, b1, m2, b2, m3, b3, 1.0)
    return at_one - at_zero, at_zero
"""
    },
    family="helper functions",
)
_.correct(
    "swap_with_torch_ops",
    T2,
    {
        "linear_swap": """
def linear(m, b, x):
    return torch.add(torch.mul(x, m), b)


def triple_linear(m1, b1, m2, b2, m3, b3, x):
    lines = [linear(m, b, x) for m, b in zip((m1, m2, m3), (b1, b2, b3))]
    return lines[0] + lines[1] + lines[2]


def equivalent_line(m1, b1, m2, b2, m3, b3):
    return sum([m1, m2, m3]), sum([b1, b2, b3])
"""
    },
    family="input types",
)

CORRECT: list[Case] = _.cases
