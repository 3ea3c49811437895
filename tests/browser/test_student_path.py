"""A student in JupyterLab: run the notebook, move the sliders, read what the widgets show.

A student who has done the lab opens the instructor notebooks' solutions
without their hidden tests, as nbgrader releases them (the hidden tests'
probes move the sliders from the kernel, which no student's kernel does: a
race of their messages with the browser's made this test flaky). What the
widgets show is checked against ``solutions.week3``: the
sentences as text, the figure pixel for pixel (the reference draws it here
exactly as the kernel does, so the MAE in its title is checked too).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from playwright.sync_api import Locator, Page, expect

from autograder import notebooks
from autograder.checks import hidden
from solutions import week3
from tests.browser import figures, ui
from tests.browser.lab import JupyterLab, running
from tests.helpers import make_course

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """JupyterLab serving a fresh copy of the course."""
    workdir = tmp_path_factory.mktemp("student-lab")
    course = make_course(workdir / "course")
    for path in (course / "source" / "week3").glob("*.ipynb"):
        nb = notebooks.read(path)
        for cell in nb.cells:
            cell.source = hidden.without_blocks(cell.source)
        notebooks.write(nb, path)
    with running(course, workdir) as server:
        yield server


@pytest.fixture(autouse=True)
def _shut_down_kernels(lab: JupyterLab) -> Iterator[None]:
    yield
    lab.shutdown_kernels()


def code_cells(path: Path) -> tuple[int, int]:
    """How many code cells the notebook has, and how many of them Run All executes (the non-blank ones)."""
    cells = [c for c in notebooks.read(path).cells if c.cell_type == "code"]
    return len(cells), sum(bool(c.source.strip()) for c in cells)


def open_and_run(page: Page, lab: JupyterLab, stem: str) -> Locator:
    path = f"source/week3/{stem}.ipynb"
    notebook = ui.open_notebook(page, lab, path)
    ui.run_all_cells(page, notebook, *code_cells(lab.root / path))
    assert ui.problems(notebook) == [], "Run All showed errors or wrote to stderr"
    return notebook


@dataclass(frozen=True)
class Shown:
    """What an ``@interact`` widget settled on, and the reference values it matched."""

    values: list[float]
    lines: list[str]
    png: bytes
    loss: float


def settle(widget: Locator, lines: list[str], reference_png: bytes, *, what: str) -> bytes:
    """Wait until the widget prints ``lines`` and shows ``reference_png``'s pixels; the PNG it shows."""
    seen: dict[str, object] = {}

    def probe() -> bytes | None:
        text, png = ui.output_text(widget), ui.output_png(widget)
        seen.update(lines=text.splitlines(), png=png)
        if png is not None and text.splitlines() == lines and figures.same_pixels(png, reference_png):
            return png
        return None

    try:
        return ui.wait_until(probe, timeout=60, what=what)
    except AssertionError:
        assert seen["lines"] == lines, f"{what}: the printed lines"
        name = re.sub(r"[^\w.=-]+", "_", what)
        if isinstance(seen["png"], bytes):
            (ui.ARTIFACTS / f"FAILED-{name}-shown.png").write_bytes(seen["png"])
        (ui.ARTIFACTS / f"FAILED-{name}-reference.png").write_bytes(reference_png)
        raise AssertionError(f"{what}: the figure is not the reference figure (both in {ui.ARTIFACTS})") from None


def quad_reference(values: list[float]) -> tuple[list[str], float]:
    """What ``plot_quad_gradients`` prints, and its MAE, for the slider values (as the kernel computes them)."""
    params = torch.tensor(values, dtype=torch.float32, requires_grad=True)
    loss = week3.quad_mae(params)
    loss.backward()
    return week3.gradient_sentences(params), loss.item()


def quad_shown(widget: Locator, what: str) -> Shown:
    values = ui.slider_values(widget)
    lines, loss = quad_reference(values)
    png = settle(widget, lines, figures.draw(week3.plot_quad_gradients, *values), what=f"{what} (a, b, c = {values})")
    return Shown(values=values, lines=lines, png=png, loss=loss)


def grid(handle: Locator) -> list[float]:
    """The values a slider's handle can take (ipywidgets' step of 0.1 for these sliders)."""
    low, high = float(handle.get_attribute("aria-valuemin") or 0), float(handle.get_attribute("aria-valuemax") or 0)
    return [round(low + k / 10, 1) for k in range(round((high - low) * 10) + 1)]


def pick_a(values: list[float], shown: list[str], choices: list[float]) -> float:
    """A value for slider a whose sentences differ from ``shown``, and change again one step to the right."""
    _, b, c = values
    for a in sorted(choices[:-1], key=lambda v: abs(v - 2.6)):  # 2.6 when it will do: the curve then fits the data
        here, right = quad_reference([a, b, c])[0], quad_reference([a + 0.1, b, c])[0]
        if here != shown and right != here:
            return a
    raise AssertionError(f"no value of a changes the sentences twice with b, c = {b}, {c}")


def test_task1d_sentences_and_mae_follow_slider_a(page: Page, lab: JupyterLab, artifacts: Path) -> None:
    notebook = open_and_run(page, lab, "task1_fitting")
    widget = ui.interact_widget(notebook, "def plot_quad_gradients(a, b, c):")
    assert ui.slider_labels(widget) == ["a", "b", "c"]

    # Run All may leave the sliders where a test cell moved them, and what the widget shows right after it
    # depends on timing while the browser echoes values to the kernel (sometimes an empty, transparent
    # figure). The checks start at the first move.
    # A test cell may also move b and c just before, and their readouts follow a moment later: a start whose b
    # and c the kernel then changed was not what the widget showed, so it starts again from what it shows now.
    for _ in range(3):
        start = ui.slider_values(widget)
        start_lines, start_png = ui.output_text(widget).splitlines(), ui.output_png(widget)
        a = pick_a(start, start_lines, grid(ui.slider(widget, "a").locator(".noUi-handle")))

        ui.type_into_readout(widget, "a", f"{a:.1f}")
        expect(ui.slider(widget, "a").locator(".widget-readout")).to_have_text(f"{a:.2f}")
        typed = quad_shown(widget, f"after typing {a:.1f} next to slider a")
        assert typed.values[0] == pytest.approx(a)
        for _ in range(50):
            if ui.slider_values(widget)[1:] == pytest.approx(typed.values[1:]):
                break
            page.wait_for_timeout(200)
        assert ui.slider_values(widget)[1:] == pytest.approx(typed.values[1:]), "the figure is not of the sliders shown"
        if typed.values[1:] == pytest.approx(start[1:]):
            break
    assert typed.lines != start_lines, "the sentences did not change"
    assert start_png is None or not figures.same_pixels(typed.png, start_png), "the figure did not change"

    ui.press_on_handle(widget, "a", "ArrowRight")
    expect(ui.slider(widget, "a").locator(".widget-readout")).to_have_text(f"{a + 0.1:.2f}")
    stepped = quad_shown(widget, "after ArrowRight on slider a")
    assert stepped.values == [pytest.approx(a + 0.1), *typed.values[1:]]
    assert stepped.lines != typed.lines, "the sentences did not change"
    assert f"{stepped.loss:.2f}" != f"{typed.loss:.2f}"
    # the pixel comparison sees the title: the same figure titled with the previous MAE would not match
    stale_title = figures.draw(week3.plot_quad_gradients, *stepped.values, title=f"MAE: {typed.loss:.2f}")
    assert not figures.same_pixels(stepped.png, stale_title)

    # the sentences stand above the figure, in the widget's output area
    text_box = widget.locator(f".widget-output {ui.STDOUT}").bounding_box()
    image_box = widget.locator(f".widget-output {ui.PNG} img").bounding_box()
    assert text_box is not None and image_box is not None
    assert text_box["y"] + text_box["height"] <= image_box["y"] + 1, (text_box, image_box)

    ui.show(widget)
    page.screenshot(path=artifacts / "task1d_plot_quad_gradients.png")


def test_task2bc_six_sliders_draw_the_data_and_the_relus(page: Page, lab: JupyterLab, artifacts: Path) -> None:
    notebook = open_and_run(page, lab, "task2_relu")
    widget = ui.interact_widget(notebook, "def plot_triple_relu(m1, b1, m2, b2, m3, b3):")
    assert ui.slider_labels(widget) == ["m1", "b1", "m2", "b2", "m3", "b3"]
    assert len(ui.slider_readouts(widget)) == 6

    # as in 1d, the figure right after Run All depends on timing: the checks start at the first move
    start, start_png = ui.slider_values(widget), ui.output_png(widget)
    m3 = 3.0 if abs(start[4] - 3.0) > 0.05 else 2.0
    ui.type_into_readout(widget, "m3", f"{m3:.1f}")
    expect(ui.slider(widget, "m3").locator(".widget-readout")).to_have_text(f"{m3:.2f}")
    values = ui.slider_values(widget)
    assert values[4] == pytest.approx(m3) and values[:4] + values[5:] == start[:4] + start[5:]
    png = settle(widget, [], figures.draw(week3.plot_triple_relu, *values), what=f"the figure for {values}")
    assert start_png is None or not figures.same_pixels(png, start_png), "the figure did not change"

    # what the figure shows: a blue point for each data point within 2b's y-limits (-3, 13), and a red curve
    visible = int(((week3.y >= -3) & (week3.y <= 13)).sum())
    assert visible == 19  # the point at x = 2 is above 13
    blue = figures.mask(png, figures.SCATTER_BLUE)
    red = figures.mask(png, figures.LINE_RED)
    assert figures.column_runs(blue) == visible, "the data points are not all drawn in blue, side by side"
    assert blue.sum() > visible * 20, "the blue blobs are too small to be the scatter's points"
    assert red.sum() > 200, "no red curve"
    assert red.any(axis=0).sum() > 0.5 * red.shape[1], "the red curve does not run across the plot"

    ui.show(widget)
    page.screenshot(path=artifacts / "task2bc_plot_triple_relu.png")
