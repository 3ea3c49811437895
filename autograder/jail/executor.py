"""Run a notebook's code cells in this process, as a Jupyter kernel would, and capture the outputs.

This is the inside of a grading child (see :mod:`autograder.jail.zygote`): an
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

from autograder.jail.probing import ProbeSchedule, run_probe

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


def warm_up(shell: Any, code: str) -> None:
    """Run ``code`` once in the zygote, so that every child forked afterwards starts with its first-use work done.

    The code comes from the course (``c.Grader.warm_up``): for example drawing one figure (matplotlib
    loads its fonts and renderer), one ``backward()`` (torch builds its autograd engine), one
    ``interact`` (ipywidgets builds its slider classes). Nothing it makes is left behind: its
    variables, figures and widgets are gone before the first job.
    """
    if not code.strip():
        return
    before_names = set(shell.user_ns)
    widgets = sys.modules.get("ipywidgets.widgets.widget")
    before_widgets = set(widgets._instances) if widgets is not None else set()
    shell.run_cell(code, store_history=False, silent=True)
    for name in set(shell.user_ns) - before_names:
        del shell.user_ns[name]
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    show = getattr(sys.modules.get("matplotlib_inline.backend_inline"), "show", None)
    if show is not None:  # forget the warm-up's figures
        show._to_draw, show._draw_called = [], False
    widgets = sys.modules.get("ipywidgets.widgets.widget")
    if widgets is not None:  # the sliders, the output, their layouts and styles
        for model_id in set(widgets._instances) - before_widgets:
            widgets._instances[model_id].close()


def _on_alarm(signum: int, frame: Any) -> None:
    raise CellTimeout("the cell ran longer than the grader's time limit")


def _run_cell(shell: Any, capture: Capture, cell: dict[str, Any], cell_timeout: float) -> None:
    """Run one code cell, interrupted past ``cell_timeout`` seconds; a failure always shows as an error output."""
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else str(source)
    signal.setitimer(signal.ITIMER_REAL, cell_timeout)
    result = None
    try:
        result = shell.run_cell(source, store_history=True)
    except BaseException as exc:  # a timeout landing outside the user's code
        capture.error(type(exc).__name__, str(exc), traceback.format_exception_only(type(exc), exc))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    capture.widget_depth = 0
    failure = None if result is None else (result.error_in_exec or result.error_before_exec)
    if failure is not None and not any(o.get("output_type") == "error" for o in cell["outputs"]):
        # the cell failed but showed no error (its code replaced the shell's showtraceback):
        # the failure still counts, as the kernel's error reply does for nbgrader
        capture.error(type(failure).__name__, str(failure), traceback.format_exception_only(type(failure), failure))


def _run_probe(
    shell: Any, capture: Capture, probe: dict[str, Any], schedule: ProbeSchedule, cell_timeout: float
) -> None:
    """Run the grader's probe of the cell just run; its observation into ``schedule.observations``."""
    capture.widget_depth += 1  # whatever the probe displays is not the cell's output
    try:
        schedule.observations[probe["grade_id"]] = run_probe(probe, shell.user_ns, cell_timeout, schedule.fetch)
    finally:
        capture.widget_depth = 0
    signal.signal(signal.SIGALRM, _on_alarm)


def run_cells(
    shell: Any,
    capture: Capture,
    nb: dict[str, Any],
    cell_timeout: float,
    on_cell: Callable[[int], None] | None = None,
    schedule: ProbeSchedule | None = None,
    on_probe: Callable[[], None] | None = None,
    skip: int = 0,
) -> dict[str, Any]:
    """Execute the notebook's code cells in order, filling in outputs and execution counts.

    Errors do not stop the run (nbgrader's ``allow_errors``); a cell that runs
    past ``cell_timeout`` seconds is interrupted and shows an error. Right
    after a graded cell (where its hidden-test block, cut out by the grader,
    would run under stock nbgrader), its probe from ``schedule`` (if any)
    observes the student's code; the observations are left in
    ``schedule.observations``. The first ``skip`` code cells are left as they are: a prefix holder ran them
    before this process was forked (:mod:`autograder.jail.prefix`).
    """
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = CaptureStream(capture, "stdout"), CaptureStream(capture, "stderr")
    signal.signal(signal.SIGALRM, _on_alarm)
    code = 0
    try:
        for index, cell in enumerate(nb.get("cells", [])):
            if cell.get("cell_type") != "code":
                continue
            code += 1
            if code <= skip:  # run already, before this process was forked (autograder.jail.prefix)
                continue
            cell["outputs"] = capture.begin()
            capture.execution_count += 1
            cell["execution_count"] = capture.execution_count
            if on_cell is not None:
                on_cell(index)
            _run_cell(shell, capture, cell, cell_timeout)
            probe = schedule.due(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")) if schedule else None
            if probe is not None and schedule is not None:  # where the cell's hidden-test block stood
                if on_probe is not None:
                    on_probe()
                _run_probe(shell, capture, probe, schedule, cell_timeout)
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    return nb
