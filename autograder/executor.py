"""Run a notebook's code cells in this process, as a Jupyter kernel would, and capture the outputs.

This is the inside of a grading child (see :mod:`autograder.zygote`): an
IPython shell whose display publisher, display hook, tracebacks and standard
streams append nbformat outputs to the cell being run, like ipykernel does.
Output produced inside an ``ipywidgets.Output`` context (``interact``
callbacks) goes to the widget, not the cell, as in a real kernel.
"""

from __future__ import annotations

import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

from autograder.probing import ProbeSchedule, run_probe

OUTPUT_TRUNCATED = "\n[output truncated by the grader: too much output]\n"


class CellTimeout(KeyboardInterrupt):
    """Raised in a cell that ran longer than the per-cell limit (like a kernel interrupt)."""


class Capture:
    """Where outputs go: the current cell's output list, or nowhere inside an Output widget."""

    def __init__(self, output_limit: int) -> None:
        self.outputs: list[dict[str, Any]] = []
        self.widget_depth = 0
        self.clear_pending = False
        self.output_limit = output_limit
        self.used = 0
        self.truncated = False
        self.execution_count = 0
        self.on_truncate: Callable[[], object] | None = None
        """Called once, when output is first dropped."""

    def begin(self) -> list[dict[str, Any]]:
        self.outputs = []
        self.clear_pending = False
        return self.outputs

    def _room(self, size: int) -> bool:
        if self.used + size > self.output_limit:
            if not self.truncated:
                self.truncated = True
                if self.on_truncate is not None:
                    self.on_truncate()
                self.outputs.append({"output_type": "stream", "name": "stdout", "text": OUTPUT_TRUNCATED})
            return False
        self.used += size
        return True

    def _add(self, output: dict[str, Any], size: int) -> None:
        if self.widget_depth:
            return
        if self.clear_pending:
            self.outputs.clear()
            self.clear_pending = False
        if self._room(size):
            self.outputs.append(output)

    def stream(self, name: str, text: str) -> None:
        if self.widget_depth or not text:
            return
        if self.clear_pending:
            self.outputs.clear()
            self.clear_pending = False
        if not self._room(len(text)):
            if name == "stderr" and not any(o.get("name") == "stderr" for o in self.outputs):
                # anything on stderr fails a test cell (nbgrader's rule): keep that fact, not the flood
                self.outputs.append({"output_type": "stream", "name": "stderr", "text": text[:1000]})
            return
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": text})

    def display(self, data: dict[str, Any], metadata: dict[str, Any] | None) -> None:
        size = sum(len(str(v)) for v in data.values())
        self._add({"output_type": "display_data", "data": data, "metadata": metadata or {}}, size)

    def result(self, data: dict[str, Any], metadata: dict[str, Any] | None) -> None:
        size = sum(len(str(v)) for v in data.values())
        output = {
            "output_type": "execute_result",
            "data": data,
            "metadata": metadata or {},
            "execution_count": self.execution_count,
        }
        self._add(output, size)

    def error(self, ename: str, evalue: str, tb: list[str]) -> None:
        """Errors are always kept, whatever output was dropped: they decide a test cell's score."""
        if self.widget_depth:
            return
        if self.clear_pending:
            self.outputs.clear()
            self.clear_pending = False
        evalue = evalue[:5000]
        tb = [line[:5000] for line in tb[-50:]]
        self.used += len(evalue) + sum(len(line) for line in tb)
        self.outputs.append({"output_type": "error", "ename": ename, "evalue": evalue, "traceback": tb})

    def clear(self, wait: bool) -> None:
        if self.widget_depth:
            return
        if wait:
            self.clear_pending = True
        else:
            self.outputs.clear()


class CaptureStream:
    """A text stream that writes into :class:`Capture` (stands in for sys.stdout/sys.stderr)."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, capture: Capture, name: str) -> None:
        self.capture = capture
        self.name = name

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.capture.stream(self.name, text)
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("captured stream has no file descriptor")

    def readable(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


class _FakeKernel:
    """Just enough of ipykernel for ``ipywidgets.Output`` to know it is inside a kernel."""

    def get_parent(self) -> dict[str, Any]:
        return {"header": {"msg_id": "grading"}}


def build_shell(capture: Capture) -> Any:
    """Create the IPython shell once (in the zygote): imports and matplotlib set-up done here."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    class Publisher(DisplayPublisher):
        def publish(
            self, data: dict[str, Any], metadata: dict[str, Any] | None = None, *args: Any, **kwargs: Any
        ) -> None:
            capture.display(dict(data), metadata)

        def clear_output(self, wait: bool = False) -> None:
            capture.clear(wait)

    class Hook(DisplayHook):
        def write_output_prompt(self) -> None:
            pass

        def write_format_data(self, format_dict: dict[str, Any], md_dict: dict[str, Any] | None = None) -> None:
            capture.result(dict(format_dict), md_dict)

        def finish_displayhook(self) -> None:
            pass

    class GradingShell(InteractiveShell):
        def enable_gui(self, gui: str | None = None) -> None:
            pass  # inline figures need no event loop

    from traitlets.config import Config

    # history in memory: no file for a job to read or write, no descriptor for a job to inherit
    config = Config({"HistoryManager": {"hist_file": ":memory:"}})
    shell = GradingShell.instance(display_pub_class=Publisher, displayhook_class=Hook, colors="NoColor", config=config)

    def show(etype: type[BaseException], evalue: BaseException, stb: list[str]) -> None:
        capture.error(getattr(etype, "__name__", str(etype)), str(evalue), list(stb))

    shell._showtraceback = show  # type: ignore[method-assign]
    shell.kernel = _FakeKernel()  # type: ignore[attr-defined]
    shell.enable_matplotlib("inline")

    from ipywidgets import Output

    enter, leave = Output.__enter__, Output.__exit__

    def routed_enter(self: Any) -> Any:
        capture.widget_depth += 1
        return enter(self)

    def routed_exit(self: Any, *exc: Any) -> Any:
        try:
            return leave(self, *exc)
        finally:
            capture.widget_depth = max(0, capture.widget_depth - 1)

    Output.__enter__ = routed_enter
    Output.__exit__ = routed_exit
    return shell


def warm_up(shell: Any) -> None:
    """Do once, in the zygote, the first-use work every notebook would repeat in its child.

    Matplotlib loads its fonts and renderer the first time a figure is drawn, the inline backend
    sets itself up on the first figure, torch builds its autograd engine on the first
    ``backward()``, ipywidgets builds its slider classes on the first ``interact``. Children forked
    afterwards start with all of it done. Nothing is left behind: figures and widgets are closed.
    """
    import io

    import ipywidgets
    import matplotlib.pyplot as plt
    import torch

    x = torch.linspace(-2, 2, steps=20)[:, None]
    params = torch.tensor([1.1, 1.1, 1.1]).requires_grad_()
    loss = (params[0] * x**2 + params[1] * x + params[2] - x).abs().mean()
    loss.backward()
    with torch.no_grad():
        params -= torch.ones(3) * 0.01
        curve = torch.relu(torch.linspace(-2.1, 2.1, 100)[:, None] * 1.5 + 0.5)
    fig, ax = plt.subplots(dpi=90)
    ax.scatter(x, x)
    ax.plot(torch.linspace(-2.1, 2.1, 100)[:, None], curve, color="r")
    ax.set_ylim(-3, 13)
    ax.set_title(f"MAE: {loss.item():.2f}")
    fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
    shell.display_formatter.format(fig)
    plt.close("all")
    from matplotlib_inline.backend_inline import show

    show._to_draw, show._draw_called = [], False  # type: ignore[attr-defined]  # forget the warm-up figure
    from ipywidgets.widgets.widget import _instances

    before = set(_instances)
    ipywidgets.interactive(lambda a=1.1: None, a=1.1)
    for model_id in set(_instances) - before:  # the sliders, the output, their layouts and styles
        _instances[model_id].close()


def _on_alarm(signum: int, frame: Any) -> None:
    raise CellTimeout("the cell ran longer than the grader's time limit")


def run_cells(
    shell: Any,
    capture: Capture,
    nb: dict[str, Any],
    cell_timeout: float,
    on_cell: Callable[[int], None] | None = None,
    schedule: ProbeSchedule | None = None,
) -> dict[str, Any]:
    """Execute the notebook's code cells in order, filling in outputs and execution counts.

    Errors do not stop the run (nbgrader's ``allow_errors``); a cell that runs
    past ``cell_timeout`` seconds is interrupted and shows an error. Just
    before a graded cell, its probe from ``schedule`` (if any) observes the
    student's code; the observations are left in ``schedule.observations``.
    """
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = CaptureStream(capture, "stdout"), CaptureStream(capture, "stderr")
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        for index, cell in enumerate(nb.get("cells", [])):
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            cell["outputs"] = capture.begin()
            capture.execution_count += 1
            cell["execution_count"] = capture.execution_count
            if on_cell is not None:
                on_cell(index)
            probe = schedule.due(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")) if schedule else None
            if probe is not None and schedule is not None:
                capture.widget_depth += 1  # whatever the probe displays is not the cell's output
                try:
                    schedule.observations[probe["grade_id"]] = run_probe(probe, shell.user_ns, cell_timeout)
                finally:
                    capture.widget_depth = 0
                signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, cell_timeout)
            try:
                shell.run_cell(source, store_history=True)
            except BaseException as exc:  # a timeout landing outside the user's code
                capture.error(type(exc).__name__, str(exc), traceback.format_exception_only(type(exc), exc))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            capture.widget_depth = 0
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    return nb
