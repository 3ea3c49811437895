"""Inside a grading child: call the student's functions on the grader's inputs and describe what happened.

The grader (see :mod:`autograder.checks.verdicts`) sends, with each notebook, the
probes of its graded test cells: the source of one small function per cell
and the inputs it chose for this run. Right after a graded test cell runs
(where its hidden-test block stood), the child calls that cell's probe with the student's namespace. The probe
calls the student's code and returns an *observation*: plain data (numbers,
strings, lists, dicts) built with the helpers below. The grader judges it
with its own reference; nothing the student's process says about itself
(a test cell's output, a comparison, a message) decides a score.

Probes run in the student's process, after the student's code, so anything
here may have been tampered with. That only matters if tampering could make
the student's functions *look* right for inputs chosen after they ran; every
helper here just reports values.
"""

from __future__ import annotations
import __future__

import contextlib
import io
import json
import math
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any, cast

MAX_TEXT = 2_000
MAX_ITEMS = 5_000
MAX_DEPTH = 8
MAX_OBSERVATION_BYTES = 2_000_000
ANNOTATIONS = __future__.annotations.compiler_flag
"""Probes are compiled with postponed annotations: their type hints name nothing at run time."""


def _number(value: Any) -> float | str:
    number = float(value)
    return number if math.isfinite(number) else repr(number)


def _arrays() -> tuple[type[Any], ...]:
    """The array types a value may be: those of numpy and torch, if the notebook has imported them. A value
    cannot be a tensor of a library no one imported, and importing torch here would cost the job its address
    space (its CUDA build maps 3 GB) where the course does not preload it."""
    found = [getattr(sys.modules.get("numpy"), "ndarray", None), getattr(sys.modules.get("torch"), "Tensor", None)]
    return tuple(t for t in found if isinstance(t, type))


def describe(value: Any, depth: int = 0) -> dict[str, Any]:
    """What ``value`` is, as plain data: its kind, its exact type's name and its content."""
    import numpy as np

    kind = type(value).__name__
    if depth > MAX_DEPTH:
        return {"kind": "other", "type": kind, "repr": "(nested too deeply)"}
    if value is None:
        return {"kind": "none", "type": "NoneType"}
    if isinstance(value, bool | np.bool_):
        return {"kind": "bool", "type": kind, "value": bool(value)}
    if isinstance(value, int | float | np.integer | np.floating):
        return {"kind": "number", "type": kind, "value": _number(value)}
    if isinstance(value, str):
        return {"kind": "text", "type": kind, "value": str.__str__(value)[:MAX_TEXT]}
    if isinstance(value, _arrays()):
        value = cast(Any, value)
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, torch.Tensor):
            with torch._C.DisableTorchFunctionSubclass():
                plain = value.detach().cpu()
                dtype, shape = str(plain.dtype).removeprefix("torch."), list(plain.shape)
                flat = [] if plain.is_complex() else plain.reshape(-1)[:MAX_ITEMS].double().tolist()
                grad = value.grad
        else:
            dtype, shape = str(value.dtype), list(value.shape)
            flat = value.reshape(-1)[:MAX_ITEMS].astype(float).tolist() if value.dtype.kind in "biuf" else []
            grad = None
        observed: dict[str, Any] = {
            "kind": "tensor",
            "type": kind,
            "dtype": dtype,
            "shape": shape,
            "values": [_number(v) for v in flat],
        }
        if grad is not None:
            observed["grad"] = describe(grad, depth + 1)
        return observed
    if isinstance(value, list | tuple):
        items = [describe(v, depth + 1) for v in list(value)[:MAX_ITEMS]]
        return {"kind": "sequence", "type": kind, "items": items, "length": len(value)}
    if isinstance(value, dict):
        pairs = list(value.items())[:MAX_ITEMS]
        return {
            "kind": "mapping",
            "type": kind,
            "items": [[describe(k, depth + 1), describe(v, depth + 1)] for k, v in pairs],
        }
    if callable(value):
        return {"kind": "callable", "type": kind}
    try:
        text = repr(value)[:MAX_TEXT]
    except Exception as exc:  # a repr that raises is still something to describe
        text = f"(repr raised {type(exc).__name__})"
    return {"kind": "other", "type": kind, "repr": text}


def failure(exc: BaseException) -> dict[str, Any]:
    return {"raised": type(exc).__name__, "message": str(exc)[:MAX_TEXT]}


def call(fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """``fn(*args, **kwargs)`` with warnings silenced: ``{"returned": ...}`` or ``{"raised": name, "message": ...}``."""
    if not callable(fn):
        return {"raised": "NotCallable", "message": f"it is {type(fn).__name__}, not a function"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
    except Exception as exc:
        return failure(exc)
    except SystemExit as exc:
        return failure(exc)
    return {"returned": describe(result)}


def _artists_drawn() -> int:
    import matplotlib.pyplot as plt

    return sum(len(ax.lines) + len(ax.collections) for n in plt.get_fignums() for ax in plt.figure(n).axes)


class _PrintRecorder(io.StringIO):
    """Each printed line, with how many artists had been drawn when it was printed."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[list[Any]] = []

    def write(self, text: str) -> int:
        drawn = _artists_drawn()
        self.lines += [[line.strip(), drawn] for line in str(text).splitlines() if line.strip()]
        return super().write(text)


def axes() -> list[dict[str, Any]]:
    """Every open figure's axes: its lines, scatter points, title and y limits."""
    import matplotlib.pyplot as plt
    import numpy as np

    found = []
    for number in plt.get_fignums():
        for ax in plt.figure(number).axes:
            lines = []
            for line in ax.lines[:20]:
                xs = np.asarray(line.get_xdata(), dtype=float).ravel()[:MAX_ITEMS]
                ys = np.asarray(line.get_ydata(), dtype=float).ravel()[:MAX_ITEMS]
                lines.append({"x": [_number(v) for v in xs], "y": [_number(v) for v in ys]})
            scatters = []
            for collection in ax.collections[:20]:
                offsets = np.asarray(collection.get_offsets(), dtype=float)[:MAX_ITEMS]
                scatters.append([[_number(a), _number(b)] for a, b in offsets.reshape(-1, 2)])
            low, high = ax.get_ylim()
            found.append(
                {"lines": lines, "scatters": scatters, "title": str(ax.get_title())[:MAX_TEXT], "ylim": [low, high]}
            )
    return found


@contextlib.contextmanager
def _fresh_figures() -> Iterator[None]:
    import matplotlib.pyplot as plt

    plt.close("all")
    try:
        yield
    finally:
        plt.close("all")


def observe(action: Callable[[], Any]) -> dict[str, Any]:
    """Run ``action`` on fresh figures: what it returned or raised, printed (and when) and drew."""
    recorder = _PrintRecorder()
    with _fresh_figures():
        with contextlib.redirect_stdout(recorder):
            outcome = call(action)
        drawn = axes()
    outcome.pop("returned", None)
    return {**outcome, "printed": recorder.lines, "axes": drawn}


def sliders(fn: Any) -> list[dict[str, Any]] | None:
    """The sliders ``@interact`` gave ``fn`` (description and value of each), or None if it has none."""
    from ipywidgets import Output

    widget = getattr(fn, "widget", None)
    if widget is None:
        return None
    controls = [w for w in getattr(widget, "children", ()) if not isinstance(w, Output) and hasattr(w, "value")]
    return [{"description": str(w.description), "value": describe(w.value)} for w in controls]


def move_slider(fn: Any, index: int, value: float) -> dict[str, Any]:
    """What moving ``fn``'s slider ``index`` to ``value`` prints and draws (the slider is put back afterwards)."""
    import ipywidgets.widgets.interaction as interaction
    from ipywidgets import Output

    widget = getattr(fn, "widget", None)
    controls = [w for w in getattr(widget, "children", ()) if not isinstance(w, Output) and hasattr(w, "value")]
    if index >= len(controls):
        return {"raised": "NoSlider", "message": f"there is no slider number {index + 1}"}
    slider = controls[index]
    start = slider.value
    show = interaction.show_inline_matplotlib_plots
    interaction.show_inline_matplotlib_plots = lambda: None  # keep the figure open to look at it
    try:
        seen = observe(lambda: setattr(slider, "value", value))
        with contextlib.redirect_stdout(io.StringIO()), _fresh_figures():
            slider.value = start
    finally:
        interaction.show_inline_matplotlib_plots = show
    return seen


# --- arguments as plain data (both sides decode them the same way) -------------------------------


class Source:
    """A function argument given as source text (e.g. a loss), built from plain-data ``env`` on each side.

    ``source`` is an expression (usually a lambda) evaluated with ``torch``,
    ``np`` and the decoded ``env`` in scope.
    """

    def __init__(self, source: str, env: dict[str, Any], shown: str = "") -> None:
        self.source, self.env, self.shown = source, env, shown or source

    def __repr__(self) -> str:
        return self.shown


class _Shown:
    """A decoded :class:`Source` function: calls it, and shows as its short name in messages."""

    def __init__(self, fn: Any, shown: str) -> None:
        self.fn, self.shown = fn, shown

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return self.shown


def encode(value: Any) -> Any:
    """``value`` (numbers, text, tensors, arrays, lists, tuples, dicts, :class:`Source`) as plain JSON data."""
    import numpy as np

    if value is None or type(value) in (bool, int, str):
        return value
    if isinstance(value, float):
        return _number(value)
    torch = sys.modules.get("torch")  # a value is a tensor only if torch is imported already
    if torch is not None and isinstance(value, torch.Tensor):
        grad = None if value.grad is None else encode(value.grad)
        return {
            "tensor": value.detach().tolist(),
            "dtype": str(value.dtype).removeprefix("torch."),
            "requires_grad": value.requires_grad,
            "grad": grad,
        }
    if isinstance(value, np.ndarray):
        return {"array": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, Source):
        return {"source": value.source, "shown": value.shown, "env": {k: encode(v) for k, v in value.env.items()}}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"dict": {str(k): encode(v) for k, v in value.items()}}
    raise TypeError(f"cannot send a {type(value).__name__} as an argument")


def decode(plain: Any) -> Any:
    """The object :func:`encode` described: a fresh one on every call."""
    import numpy as np

    if isinstance(plain, list):
        return [decode(v) for v in plain]
    if isinstance(plain, str) and plain in ("nan", "inf", "-inf"):
        return float(plain)
    if not isinstance(plain, dict):
        return plain
    if "tensor" in plain or "source" in plain:  # only then: see _arrays
        import torch
    if "tensor" in plain:
        tensor = torch.tensor(plain["tensor"], dtype=getattr(torch, plain["dtype"]))
        if plain.get("requires_grad"):
            tensor.requires_grad_()
        if plain.get("grad") is not None:
            tensor.grad = decode(plain["grad"])
        return tensor
    if "array" in plain:
        return np.asarray(plain["array"], dtype=np.dtype(plain["dtype"]))
    if "source" in plain:
        env = {"torch": torch, "np": np, **{k: decode(v) for k, v in plain["env"].items()}}
        fn = eval(plain["source"], env)
        return _Shown(fn, plain.get("shown", ""))
    if "tuple" in plain:
        return tuple(decode(v) for v in plain["tuple"])
    return {k: decode(v) for k, v in plain["dict"].items()}


def call_case(fn: Any, case: dict[str, Any]) -> dict[str, Any]:
    """Call ``fn`` on one case (``{"args", "kwargs"}``, encoded): what it returned or raised, and the arguments then."""
    args, kwargs = decode(case["args"]), decode(case["kwargs"])
    seen = call(fn, *args, **kwargs)
    seen["args_after"] = [describe(a) for a in args]
    seen["kwargs_after"] = {k: describe(v) for k, v in kwargs.items()}
    return seen


def run_calls(fns: dict[str, Any], inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """The student's function ``inputs["function"]`` called on each of ``inputs["cases"]``."""
    fn = fns.get(inputs["function"])
    if fn is None:
        name = inputs["function"]
        return [{"raised": "NameError", "message": f"name {name!r} is not defined"} for _ in inputs["cases"]]
    return [call_case(fn, case) for case in inputs["cases"]]


# --- running the probes of a notebook ------------------------------------------------------


class ProbeTimeout(KeyboardInterrupt):
    """A probe (the student's function it called) ran past the cell time limit."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise ProbeTimeout("the grader's check ran longer than the cell time limit")


Fetch = Callable[[str], dict[str, str]]
"""Asks the grader for the reference sources a probe swaps in (by its grade id): ``{function name: source}``."""


def run_probe(spec: dict[str, Any], namespace: dict[str, Any], timeout: float, fetch: Fetch | None = None) -> Any:
    """Run one probe (``{"source", "name", "inputs"}``) against the student's namespace; its observation.

    The references it swaps in (``inputs["substitute"]``, names only) come from ``fetch``, called only
    when this probe runs. The result is checked to be JSON-able and not too big; any failure of the
    probe itself becomes ``{"probe_failed": reason}``.
    """
    globals_: dict[str, Any] = {"__name__": "autograder_probe"}
    envelope = spec["inputs"]
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = io.StringIO()
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        code = compile(spec["source"], f"<grader check {spec['name']}>", "exec", ANNOTATIONS, dont_inherit=True)
        exec(code, globals_)
        names = list(envelope.get("substitute") or [])
        sources = fetch(spec["grade_id"]) if names and fetch is not None else {}
        missing = [name for name in names if not isinstance(sources.get(name), str)]
        if missing:
            raise LookupError(f"the grader sent no reference for {missing[0]}")
        with _substituted(namespace, {name: sources[name] for name in names}):
            fns = {name: namespace.get(name) for name in envelope.get("uses", [])}
            observation = globals_[spec["name"]](fns, envelope["inputs"], sys.modules[__name__])
        text = json.dumps(observation)
    except ProbeTimeout:
        return {"probe_failed": f"the code ran longer than {timeout:g} s while the grader checked it"}
    except BaseException as exc:  # whatever the student's code did to the probe
        return {"probe_failed": f"{type(exc).__name__}: {str(exc)[:300]}"}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.stdout, sys.stderr = stdout, stderr
        with contextlib.suppress(Exception):
            import matplotlib.pyplot as plt

            plt.close("all")
    if len(text) > MAX_OBSERVATION_BYTES:
        return {"probe_failed": "what the code returned was too big to check"}
    return json.loads(text)


@contextlib.contextmanager
def _substituted(namespace: dict[str, Any], sources: dict[str, str]) -> Iterator[None]:
    """While a probe runs, the student's functions named in ``sources`` are the references built from them.

    Each reference is compiled in a snapshot of the student's namespace, so it
    sees the student's other definitions and nothing of the grader's; the
    student's own function is put back afterwards. (The plan only substitutes
    a function after that function's own checks have run.)
    """
    missing = [name for name in sources if name not in namespace]
    if missing:
        raise NameError(f"name {missing[0]!r} is not defined")
    saved = {name: namespace[name] for name in sources}
    try:
        for name, source in sources.items():
            scope = dict(namespace)
            exec(compile(source, f"<reference {name}>", "exec", ANNOTATIONS, dont_inherit=True), scope)
            namespace[name] = scope[name]
        yield
    finally:
        namespace.update(saved)


class ProbeSchedule:
    """Which probe to run at which graded cell: each at most once, and only in the grader's order.

    A probe is run when its cell comes up; probes whose cells were skipped
    over (moved or deleted) are never run.
    """

    def __init__(self, probes: list[dict[str, Any]]) -> None:
        self.probes = probes
        self.next = 0
        self.observations: dict[str, Any] = {}
        self.fetch: Fetch | None = None
        """Where the probes' swapped-in references come from (see :func:`run_probe`): set by the child, which
        sends :attr:`observations` with each ask."""

    def due(self, grade_id: str | None) -> dict[str, Any] | None:
        ids = [p["grade_id"] for p in self.probes]
        if grade_id is None or grade_id not in ids[self.next :]:
            return None
        position = ids.index(grade_id, self.next)
        self.next = position + 1
        return self.probes[position]
