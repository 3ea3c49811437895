"""The reference implementations reproduce the facts of the notebook of the week and the contract."""

from __future__ import annotations

import contextlib
import io
import warnings

import matplotlib
import numpy as np
import pytest
import torch

import solutions.week3 as ref
from demo.cohort import FORGETS_ZERO_GRAD
from solutions.week3_checks.task2_relu import FIT_BELOW

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def test_data_matches_the_notebook_of_the_week() -> None:
    assert ref.x.shape == (20, 1) and ref.x.dtype == torch.float32
    assert ref.y.shape == (20, 1) and ref.y.dtype == torch.float64
    abc = torch.tensor([1.1, 1.1, 1.1], requires_grad=True)
    loss = ref.quad_mae(abc)
    loss.backward()
    assert round(loss.item(), 2) == 2.42
    assert torch.allclose(abc.grad, torch.tensor([-1.35, -0.03, -0.50]), atol=0.01)


def test_making_the_data_emits_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _x, y = ref.make_data()
    assert torch.equal(y, ref.y)


@pytest.mark.parametrize(
    ("grads", "expected"),
    [
        (
            [-1.3, 0.2, -0.5],
            [
                "parameter a should be increased because params.grad[0] is -1.3",
                "parameter b should be decreased because params.grad[1] is 0.2",
                "parameter c should be increased because params.grad[2] is -0.5",
            ],
        ),
        (
            [0.0, -0.03, 12.345],
            [
                "parameter a should stay the same because params.grad[0] is 0.0",
                "parameter b should be increased because params.grad[1] is -0.0",
                "parameter c should be decreased because params.grad[2] is 12.3",
            ],
        ),
    ],
)
def test_gradient_sentences(grads: list[float], expected: list[str]) -> None:
    params = torch.zeros(3, requires_grad=True)
    params.grad = torch.tensor(grads)
    assert ref.gradient_sentences(params) == expected


def test_gradient_descent_zeroes_gradients_unlike_the_notebook_of_the_week() -> None:
    abc = torch.tensor([1.1, 1.1, 1.1], requires_grad=True)
    losses = ref.gradient_descent(ref.quad_mae, abc)
    assert len(losses) == 10 and all(type(v) is float for v in losses)
    assert round(losses[0], 2) == 2.42
    assert round(ref.quad_mae(abc).item(), 2) == 2.21
    # the notebook of the week's loop (no reset) gets much lower, for the wrong reason
    acc = torch.tensor([1.1, 1.1, 1.1], requires_grad=True)
    namespace: dict[str, object] = {"torch": torch}
    exec(FORGETS_ZERO_GRAD, namespace)
    forgets_zero_grad = namespace["gradient_descent"]
    assert callable(forgets_zero_grad)
    forgets_zero_grad(ref.quad_mae, acc)
    assert ref.quad_mae(acc).item() < 2.0


def test_gradient_descent_clears_a_stale_gradient() -> None:
    params = torch.zeros(2, requires_grad=True)
    params.grad = torch.tensor([100.0, 100.0])
    ref.gradient_descent(lambda p: (p**2).sum(), params, lr=0.1, steps=1)
    assert torch.equal(params.detach(), torch.zeros(2))


def test_the_reference_fit_is_under_the_threshold_and_reachable_with_the_sliders() -> None:
    fit = ref.triple_relu_fit
    mae = ref.mae(ref.triple_relu(*fit.values(), ref.x), ref.y).item()
    assert mae < FIT_BELOW
    # default slider ranges of @interact(m1=-1.5, b1=-1.5, m2=1.5, b2=1.5, m3=1.5, b3=1.5)
    assert -4.5 <= fit["m1"] <= 1.5 and -4.5 <= fit["b1"] <= 1.5
    assert all(-1.5 <= fit[k] <= 4.5 for k in ("m2", "b2", "m3", "b3"))


def test_triple_linear_collapses_to_the_equivalent_line() -> None:
    params = (1.5, -2.0, -0.5, 3.0, 2.0, 0.25)
    m, b = ref.equivalent_line(*params)
    xs = torch.linspace(-3, 3, 13)
    assert torch.allclose(ref.triple_linear(*params, xs), m * xs + b)
    assert not torch.allclose(ref.triple_relu(*params, xs), m * xs + b)


def test_plot_quad_gradients_prints_then_draws() -> None:
    plt.close("all")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ref.plot_quad_gradients(1.1, 1.1, 1.1)
    ax = plt.gcf().axes[0]
    assert out.getvalue().splitlines()[0] == "parameter a should be increased because params.grad[0] is -1.4"
    assert ax.get_title() == "MAE: 2.42"
    assert np.allclose(ax.collections[0].get_offsets(), np.column_stack([ref.x.ravel(), ref.y.ravel()]))
    plt.close("all")
