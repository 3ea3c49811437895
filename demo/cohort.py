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
