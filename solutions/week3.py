"""Week 3 - Neural net foundations: the shared setup and the reference solutions.

The first half is the setup the notebook of the week defines (locked cells in
every notebook of the assignment). The second half holds the reference
implementation of each graded item of the student contract.
"""

from __future__ import annotations

from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import torch

# --- shared setup (locked cells in the notebooks) ---------------------------


def plot_function(f, title=None, min=-2.1, max=2.1, color="r", ylim=None):
    x = torch.linspace(min, max, 100)[:, None]
    if ylim:
        plt.ylim(ylim)
    plt.plot(x, f(x), color)
    if title is not None:
        plt.title(title)


def f(x):
    return 3 * x**2 + 2 * x + 1


def quad(a, b, c, x):
    return a * x**2 + b * x + c


def mk_quad(a, b, c):
    return partial(quad, a, b, c)


def noise(x, scale):
    return torch.from_numpy(np.random.normal(scale=scale, size=tuple(x.shape)))


def add_noise(x, mult, add):
    return x * (1 + noise(x, mult)) + noise(x, add)


def make_data():
    """The noisy quadratic of the notebook of the week: ``(x, y)``."""
    np.random.seed(42)
    x = torch.linspace(-2, 2, steps=20)[:, None]
    y = add_noise(f(x), 0.15, 1.5)
    return x, y


x, y = make_data()


def mae(preds, acts):
    return (torch.abs(preds - acts)).mean()


def quad_mae(params):
    f = mk_quad(*params)
    return mae(f(x), y)


def rectified_linear(m, b, x):
    y = m * x + b
    return torch.clip(y, 0.0)


def double_relu(m1, b1, m2, b2, x):
    return rectified_linear(m1, b1, x) + rectified_linear(m2, b2, x)


# --- Task 1d: gradient sentences under the sliders ---------------------------


def gradient_sentences(params):
    sentences = []
    for i, name in enumerate("abc"):
        g = float(params.grad[i])
        if g < 0:
            advice = "should be increased"
        elif g > 0:
            advice = "should be decreased"
        else:
            advice = "should stay the same"
        sentences.append(f"parameter {name} {advice} because params.grad[{i}] is {g:.1f}")
    return sentences


def plot_quad_gradients(a, b, c):
    params = torch.tensor([a, b, c], dtype=torch.float32, requires_grad=True)
    loss = quad_mae(params)
    loss.backward()
    for sentence in gradient_sentences(params):
        print(sentence)
    plt.scatter(x, y)
    plot_function(mk_quad(a, b, c), title=f"MAE: {loss:.2f}", ylim=(-3, 12))


# --- Task 1e: the optimisation loop ----------------------------------------------


def gradient_descent(loss_fn, params, lr=0.01, steps=10):
    losses = []
    for _ in range(steps):
        if params.grad is not None:
            params.grad.zero_()
        loss = loss_fn(params)
        loss.backward()
        with torch.no_grad():
            params -= params.grad * lr
        losses.append(loss.item())
    return losses


# --- Task 2a-2c: the sum of three ReLUs, its sliders and a fit -------------------


def triple_relu(m1, b1, m2, b2, m3, b3, x):
    return rectified_linear(m1, b1, x) + rectified_linear(m2, b2, x) + rectified_linear(m3, b3, x)


def plot_triple_relu(m1, b1, m2, b2, m3, b3):
    with torch.no_grad():
        loss = mae(triple_relu(m1, b1, m2, b2, m3, b3, x), y)
    plt.scatter(x, y)
    plot_function(partial(triple_relu, m1, b1, m2, b2, m3, b3), title=f"MAE: {loss:.2f}", ylim=(-3, 13))


triple_relu_fit = {"m1": -4.5, "b1": -1.7, "m2": 2.9, "b2": -1.2, "m3": 3.2, "b3": 0.8}


# --- Task 2d: the linear swap ----------------------------------------------------


def linear(m, b, x):
    return m * x + b


def triple_linear(m1, b1, m2, b2, m3, b3, x):
    return linear(m1, b1, x) + linear(m2, b2, x) + linear(m3, b3, x)


def equivalent_line(m1, b1, m2, b2, m3, b3):
    return m1 + m2 + m3, b1 + b2 + b3
