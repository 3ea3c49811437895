"""What a person does in JupyterLab, as Playwright calls: open a notebook, run it, use its sliders."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from typing import TypeVar

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.lab import JupyterLab
from tests.helpers import ROOT

T = TypeVar("T")

ARTIFACTS = ROOT / "test-artifacts" / "browser"
"""Screenshots to look at after the run (git-ignored)."""

RUN_TIMEOUT_MS = 180_000
"""Run All on a cold kernel takes ~5 s alone; much longer while the other test worker grades notebooks."""
STARTED_TIMEOUT_MS = 30_000
"""How long a Run All click may take to start its first cell before it is taken as lost and clicked again."""

STDOUT = "[data-mime-type='application/vnd.jupyter.stdout']"
STDERR = "[data-mime-type='application/vnd.jupyter.stderr']"
ERROR = "[data-mime-type='application/vnd.jupyter.error']"
"""JupyterLab shows a traceback as stderr; the error type is there in case it ever renders it as such."""
PNG = "[data-mime-type='image/png']"
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
"""The notebook in the tab on show."""
PROMPTS = ".jp-CodeCell .jp-InputArea-prompt"


def wait_until(probe: Callable[[], T | None], *, timeout: float = 60.0, what: str = "the page") -> T:
    """Poll ``probe`` until it returns something other than None; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def open_notebook(page: Page, lab: JupyterLab, path: str) -> Locator:
    """Open ``path`` (relative to the server root) in a fresh JupyterLab workspace; wait for its kernel."""
    page.goto(lab.url(f"lab/tree/{path}?reset"))
    notebook = page.locator(NOTEBOOK)
    expect(notebook).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(1, timeout=RUN_TIMEOUT_MS)
    return notebook


def menu(page: Page, *names: str) -> None:
    """Click through the menu bar: ``menu(page, "Run", "Run All Cells")``."""
    for name in names:
        page.get_by_role("menuitem", name=name, exact=True).click()


def run_all_cells(page: Page, notebook: Locator, code_cells: int, executed: int) -> None:
    """Run > Run All Cells; wait until the kernel is idle and ``executed`` of the ``code_cells`` cells have numbers.

    JupyterLab stops at the first cell that raises: then the wait ends there, and ``problems`` tells why.
    """
    expect(notebook.locator(PROMPTS)).to_have_count(code_cells)
    indicator = page.locator(".jp-Notebook-ExecutionIndicator")
    expect(indicator).to_have_attribute("data-status", "idle", timeout=RUN_TIMEOUT_MS)  # the kernel is ready
    for _ in range(3):
        menu(page, "Run", "Run All Cells")
        try:
            page.wait_for_function(
                "(prompts) => [...document.querySelectorAll(prompts)].some((p) => p.textContent.trim() !== '[ ]:')",
                arg=f"{NOTEBOOK} {PROMPTS}",
                timeout=STARTED_TIMEOUT_MS,
            )
            break
        except PlaywrightTimeoutError:
            continue  # the click reached JupyterLab before the kernel took requests (seen under load): once more
    try:
        page.wait_for_function(
            """([n, prompts, error]) => {
                const texts = [...document.querySelectorAll(prompts)].map((p) => p.textContent.trim());
                const done = texts.filter((t) => /^\\[\\d+\\]:$/.test(t)).length;
                const busy = texts.some((t) => t.includes("*"));
                const indicator = document.querySelector(".jp-Notebook-ExecutionIndicator");
                const idle = indicator !== null && indicator.dataset.status === "idle";
                return idle && !busy && (done === n || document.querySelector(error) !== null);
            }""",
            arg=[executed, f"{NOTEBOOK} {PROMPTS}", f"{NOTEBOOK} .jp-Cell-outputArea :is({ERROR}, {STDERR})"],
            timeout=RUN_TIMEOUT_MS,
        )
    except PlaywrightTimeoutError:
        prompts = [t.strip() for t in notebook.locator(PROMPTS).all_text_contents()]
        raise AssertionError(f"Run All did not finish: kernel {indicator.get_attribute('data-status')}, "
                             f"prompts {prompts}") from None  # fmt: skip


def problems(notebook: Locator) -> list[str]:
    """The text of every error and stderr output in the notebook."""
    return [
        (o.text_content() or "")[:300] for o in notebook.locator(f".jp-Cell-outputArea :is({ERROR}, {STDERR})").all()
    ]


def interact_widget(notebook: Locator, definition: str) -> Locator:
    """The ``@interact`` widget shown under the cell whose code contains ``definition``."""
    cell = notebook.locator(".jp-CodeCell").filter(has_text=definition)
    expect(cell).to_have_count(1)
    widget = cell.locator(".jp-Cell-outputArea .widget-interact")
    expect(widget).to_have_count(1)
    return widget


def slider_labels(widget: Locator) -> list[str]:
    return [t.strip() for t in widget.locator(".widget-slider .widget-label").all_text_contents()]


def slider_readouts(widget: Locator) -> list[str]:
    return [t.strip() for t in widget.locator(".widget-slider .widget-readout").all_text_contents()]


def slider_values(widget: Locator) -> list[float]:
    """The sliders' values as the browser holds them (and sends them to the kernel), at full precision."""
    texts = widget.locator(".noUi-handle").evaluate_all("(hs) => hs.map((h) => h.getAttribute('aria-valuetext'))")
    return [float(t) for t in texts]


def slider(widget: Locator, label: str) -> Locator:
    return widget.locator(".widget-slider").filter(
        has=widget.page.locator(".widget-label", has_text=re.compile(f"^{label}$"))
    )


def type_into_readout(widget: Locator, label: str, value: str) -> None:
    """Click the number next to a slider, replace it and press Enter."""
    readout = slider(widget, label).locator(".widget-readout")
    readout.click()
    widget.page.keyboard.press("ControlOrMeta+a")
    widget.page.keyboard.type(value)
    widget.page.keyboard.press("Enter")


def press_on_handle(widget: Locator, label: str, key: str, times: int = 1) -> None:
    """Focus a slider's handle (as with Tab) and press a key on it."""
    handle = slider(widget, label).locator(".noUi-handle")
    handle.focus()
    for _ in range(times):
        handle.press(key)


def output_text(widget: Locator) -> str:
    """What the widget's output area printed."""
    return "".join(widget.locator(f".widget-output {STDOUT}").all_text_contents())


def output_png(widget: Locator) -> bytes | None:
    """The PNG the widget's output area shows, as the kernel sent it; None while there is none (or several)."""
    # in one go: the output area is cleared and refilled each time a slider moves
    sources = widget.locator(f".widget-output {PNG} img").evaluate_all("(imgs) => imgs.map((i) => i.src)")
    prefix = "data:image/png;base64,"
    if len(sources) != 1 or not sources[0].startswith(prefix):
        return None
    return base64.b64decode(sources[0][len(prefix) :])


def show(locator: Locator) -> None:
    """Scroll ``locator`` to the middle of the notebook, where a person looking at it would have it."""
    locator.evaluate("(el) => el.scrollIntoView({block: 'center'})")
    locator.page.wait_for_timeout(300)  # let the notebook's lazy rendering catch up before a screenshot
