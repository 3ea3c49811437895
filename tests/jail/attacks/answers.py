"""The honest answers the attacks are built on, and the baselines they are measured against.

A baseline is an attack's submission without the attack: the same wrong (or unfinished) code,
graded the honest way. An attack must never score more than its baseline, on any cell.
"""

from __future__ import annotations

from autograder.samples import reference_answers
from demo.cohort import FORGETS_ZERO_GRAD
from tests.helpers import SOURCE
from tests.jail.attacks.model import T1, T2, Submission, code, merged

REFERENCE = reference_answers(SOURCE)
"""Every solution cell as the instructor wrote it (29 auto points)."""

STUB = {
    T1: {
        "gradient_sentences": code(
            """
            def gradient_sentences(params):
                # YOUR CODE HERE
                raise NotImplementedError()
            """
        ),
        "plot_quad_gradients": code(
            """
            @interact(a=1.1, b=1.1, c=1.1)
            def plot_quad_gradients(a, b, c):
                # YOUR CODE HERE
                raise NotImplementedError()
            """
        ),
        "gradient_descent": code(
            """
            def gradient_descent(loss_fn, params, lr=0.01, steps=10):
                # YOUR CODE HERE
                raise NotImplementedError()
            """
        ),
    },
    T2: {
        "triple_relu": code(
            """
            def triple_relu(m1, b1, m2, b2, m3, b3, x):
                # YOUR CODE HERE
                raise NotImplementedError()
            """
        ),
        "plot_triple_relu": code(
            """
            @interact(m1=-1.5, b1=-1.5, m2=1.5, b2=1.5, m3=1.5, b3=1.5)
            def plot_triple_relu(m1, b1, m2, b2, m3, b3):
                # YOUR CODE HERE
                raise NotImplementedError()
            """
        ),
        "triple_relu_fit": code(
            """
            # YOUR CODE HERE
            raise NotImplementedError()
            """
        ),
        "linear_swap": code(
            """
            def linear(m, b, x):
                # YOUR CODE HERE
                raise NotImplementedError()


            def triple_linear(m1, b1, m2, b2, m3, b3, x):
                # YOUR CODE HERE
                raise NotImplementedError()


            def equivalent_line(m1, b1, m2, b2, m3, b3):
                # YOUR CODE HERE
                raise NotImplementedError()
            """
        ),
    },
}
"""The solution cells as released: what a student who did nothing hands in (the same as ``base="stub"``)."""

WRONG = {
    T1: {
        "gradient_sentences": code(
            """
            def gradient_sentences(params):
                sentences = []
                for i, name in enumerate("abc"):
                    g = float(params.grad[i])
                    advice = "should be decreased" if g < 0 else "should be increased" if g > 0 else "should stay"
                    sentences.append(f"parameter {name} {advice} because params.grad[{i}] is {g:.1f}")
                return sentences
            """
        ),
        "plot_quad_gradients": code(
            """
            @interact(a=1.1, b=1.1, c=1.1)
            def plot_quad_gradients(a, b, c):
                params = torch.tensor([a, b, c], dtype=torch.float32, requires_grad=True)
                loss = quad_mae(params)
                loss.backward()
                plt.scatter(x, y)
                plot_function(mk_quad(a, b, c), title=f"MAE: {loss}", ylim=(-3, 12))
                for sentence in gradient_sentences(params):
                    print(sentence)
            """
        ),
        "gradient_descent": code(FORGETS_ZERO_GRAD),
    },
    T2: {
        "triple_relu": code(
            """
            def triple_relu(m1, b1, m2, b2, m3, b3, x):
                return rectified_linear(m1, b1, x) + rectified_linear(m2, b2, x)
            """
        ),
        "plot_triple_relu": code(
            """
            @interact(m1=-1.5, b1=-1.5, m2=1.5, b2=1.5, m3=1.5, b3=1.5)
            def plot_triple_relu(m1, b1, m2, b2, m3, b3):
                plot_function(partial(double_relu, m1, b1, m2, b2), title="MAE", ylim=(-3, 13))
            """
        ),
        "triple_relu_fit": code(
            """
            triple_relu_fit = {"m1": -1.5, "b1": -1.5, "m2": 1.5, "b2": 1.5, "m3": 1.5, "b3": 1.5}
            """
        ),
        "linear_swap": code(
            """
            def linear(m, b, x):
                return torch.clip(m * x + b, 0.0)


            def triple_linear(m1, b1, m2, b2, m3, b3, x):
                return rectified_linear(m1, b1, x) + rectified_linear(m2, b2, x) + rectified_linear(m3, b3, x)


            def equivalent_line(m1, b1, m2, b2, m3, b3):
                return m1 + m2 + m3, b1
            """
        ),
    },
}
"""Plausible mistakes in every solution cell, none of which raises: most test cells fail, quietly."""

ZEROS = merged(
    REFERENCE,
    {
        T2: {
            "triple_relu": code(
                """
                def triple_relu(m1, b1, m2, b2, m3, b3, x):
                    return torch.zeros_like(x)
                """
            ),
            "linear_swap": code(
                """
                def linear(m, b, x):
                    return torch.zeros_like(x)


                def triple_linear(m1, b1, m2, b2, m3, b3, x):
                    return torch.zeros_like(x)


                def equivalent_line(m1, b1, m2, b2, m3, b3):
                    return 0.0, 0.0
                """
            ),
        }
    },
)
"""Task 1 done right; Task 2's functions return zeros of the right shape and dtype."""

TENSOR_LOSSES = merged(
    REFERENCE,
    {
        T1: {
            "gradient_descent": code(
                """
                def gradient_descent(loss_fn, params, lr=0.01, steps=10):
                    losses = []
                    for _ in range(steps):
                        if params.grad is not None:
                            params.grad.zero_()
                        loss = loss_fn(params)
                        loss.backward()
                        with torch.no_grad():
                            params -= params.grad * lr
                        losses.append(loss)
                    return losses
                """
            )
        }
    },
)
"""Everything right except that gradient_descent keeps its losses as tensors (forgets ``.item()``)."""

BASELINES: dict[str, Submission] = {
    "reference": Submission(),
    "stub": Submission(base="stub"),
    "wrong": Submission(answers=WRONG),
    "zeros": Submission(answers=ZEROS),
    "tensor_losses": Submission(answers=TENSOR_LOSSES),
}
"""Every baseline an attack is measured against, graded under ``baseline_<key>``."""

HONEST = ("reference", "stub")
"""The honest students: their grades must be exactly what they get when graded on their own."""
