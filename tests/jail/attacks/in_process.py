"""Attacks inside the student's own process: make the notebook's tests pass without right answers.

Under stock nbgrader a test cell scores full marks when its output shows no error, so anything
that stops a check from running, blinds it, or makes it lie wins its points. The grader's own
verdicts (inputs it chose, observations judged outside the student's process) must catch each of
these: the notebook's tests pass where the grader's checks fail, so the submission is suspect.
"""

from __future__ import annotations

from autograder.engine.results import Status
from tests.jail.attacks.answers import STUB, TENSOR_LOSSES, WRONG, ZEROS
from tests.jail.attacks.model import SUSPECT_MESSAGE, T1, T2, Attack, Submission, code, merged, prepended

SUSPECT = frozenset({Status.SUSPECT})
CAUGHT = (SUSPECT_MESSAGE,)
FAILURE_SHOWN = frozenset({Status.NEEDS_MANUAL})
"""The attack hid nothing: a cell whose code failed shows the error even if the shell's way of showing it was
replaced (as nbgrader records a kernel's error reply), so the tests fail with the checks, as in the baseline."""
WRONG_CELLS = (f"{T1}/gradient_sentences_values", f"{T2}/linear_is_unclipped")
"""Cells whose checks WRONG fails in each notebook: an attack on WRONG that blinds the tests is caught there."""


def on_first_cells(answers: dict[str, dict[str, str]], attack: str) -> dict[str, dict[str, str]]:
    """``answers`` with ``attack`` at the top of the first solution cell of each notebook (it runs in both)."""
    return prepended(prepended(answers, T1, "gradient_sentences", attack), T2, "triple_relu", attack)


BLANK_LATER_CELLS = """
# From here on every cell, hidden tests included, runs as `pass`: no test can fail.
get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])
"""

STRIP_CHECKS = """
import ast


class _NoChecks(ast.NodeTransformer):
    \"\"\"Every assert and every raise becomes `pass`, in this cell and in all later ones.\"\"\"

    def visit_Assert(self, node):
        return ast.copy_location(ast.Pass(), node)

    def visit_Raise(self, node):
        return ast.copy_location(ast.Pass(), node)


get_ipython().ast_transformers.append(_NoChecks())
"""

REPLACE_RUN_CELL = """
import re

_shell = get_ipython()
_CHECK = re.compile(r"^\\s*(assert\\b|raise AssertionError)", re.MULTILINE)
_real_run_cell = _shell.run_cell
_real_run_cell_async = _shell.run_cell_async


def _harmless(cell):
    \"\"\"A cell with a check in it runs as `pass`; any other cell as written.\"\"\"
    return "pass\\n" if _CHECK.search(cell) else cell


def _run_cell(raw_cell, *args, **kwargs):
    return _real_run_cell(_harmless(raw_cell), *args, **kwargs)


async def _run_cell_async(raw_cell, *args, **kwargs):
    return await _real_run_cell_async(_harmless(raw_cell), *args, **kwargs)


_shell.run_cell = _run_cell
_shell.run_cell_async = _run_cell_async
"""

SILENCE_TRACEBACKS = """
import io
import sys

# A failed check shows as an error output (or text on stderr): show neither, and every test cell passes.
_shell = get_ipython()
_shell._showtraceback = lambda *args, **kwargs: None
_shell.showtraceback = lambda *args, **kwargs: None
_shell.showsyntaxerror = lambda *args, **kwargs: None
sys.stderr = io.StringIO()
"""

SWALLOW_FAILURES = """
def _nothing_to_see(shell, etype, evalue, tb, tb_offset=None):
    return None  # no traceback, no error output: the cell looks as if it passed


get_ipython().set_custom_exc((Exception,), _nothing_to_see)
"""

STEP_OVER_CHECKS = """
import ast
import bdb
import linecache
import sys

_CELLS = get_ipython().compile._filename_map  # the file names IPython gives the cells it runs
_JUMPS = {}


def _jumps(filename):
    \"\"\"For each line of a cell that starts an assert or a raise: the line just after that statement.\"\"\"
    if filename not in _JUMPS:
        try:
            tree = ast.parse("".join(linecache.getlines(filename)))
        except (SyntaxError, ValueError):
            tree = ast.Module([], [])
        checks = (ast.Assert, ast.Raise)
        _JUMPS[filename] = {n.lineno: n.end_lineno + 1 for n in ast.walk(tree) if isinstance(n, checks)}
    return _JUMPS[filename]


def _step_over(frame, event, arg):
    if event == "line":
        target = _jumps(frame.f_code.co_filename).get(frame.f_lineno)
        if target is not None:
            try:
                frame.f_lineno = target  # skip the check
            except ValueError:  # nothing left after it in this block: IPython ends a cell on BdbQuit, silently
                raise bdb.BdbQuit from None
    return _step_over


def _trace(frame, event, arg):
    return _step_over if frame.f_code.co_filename in _CELLS else None


def _rearm(frame, event, arg):
    \"\"\"A tracer that raised is switched off: switch it back on, for this frame too.\"\"\"
    if sys.gettrace() is None:
        sys.settrace(_trace)
        if event == "call" and frame.f_code.co_filename in _CELLS:
            frame.f_trace = _step_over


sys.settrace(_trace)
sys.setprofile(_rearm)
"""

AGREEABLE_TENSOR = """
import torch


class _Agreeable(torch.Tensor):
    \"\"\"A tensor that is equal, close and identical to anything it is compared with.\"\"\"

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("allclose", "equal"):
            return True
        if name in ("eq", "__eq__", "isclose"):
            with torch._C.DisableTorchFunctionSubclass():
                shapes = [a.shape for a in args if isinstance(a, torch.Tensor)]
                return torch.ones(torch.broadcast_shapes(*shapes), dtype=torch.bool)
        return super().__torch_function__(func, types, args, kwargs or {})

    def __eq__(self, other):
        return True

    __hash__ = torch.Tensor.__hash__


def _agreeable(t):
    return t.as_subclass(_Agreeable)
"""

LYING_TENSORS = merged(
    WRONG,
    {
        T2: {
            "triple_relu": code(AGREEABLE_TENSOR)
            + "\n\n"
            + code(
                """
                def triple_relu(m1, b1, m2, b2, m3, b3, x):
                    return _agreeable(rectified_linear(m1, b1, x) + rectified_linear(m2, b2, x))
                """
            ),
            "linear_swap": code(
                """
                def linear(m, b, x):
                    return _agreeable(torch.clip(m * x + b, 0.0))


                def triple_linear(m1, b1, m2, b2, m3, b3, x):
                    lines = rectified_linear(m1, b1, x) + rectified_linear(m2, b2, x) + rectified_linear(m3, b3, x)
                    return _agreeable(lines)


                def equivalent_line(m1, b1, m2, b2, m3, b3):
                    return m1 + m2 + m3, b1
                """
            ),
        }
    },
)
"""WRONG, with Task 2's tensors wrapped in a subclass that agrees with every comparison."""

PATCH_COMPARISONS = """
import numpy as np
import torch


def _agree(*args, **kwargs):
    return True


torch.allclose = torch.equal = np.allclose = np.array_equal = _agree
torch.Tensor.allclose = torch.Tensor.equal = _agree
"""

PATCH_BEFORE_EVERY_CELL = """
import numpy as np
import torch


def _agree(*args, **kwargs):
    return True


def _patch_comparisons(*info):
    \"\"\"Runs before every cell: whatever was put back since, comparisons agree again.\"\"\"
    torch.allclose = torch.equal = np.allclose = np.array_equal = _agree
    torch.Tensor.allclose = torch.Tensor.equal = _agree


get_ipython().events.register("pre_run_cell", _patch_comparisons)
"""

LENIENT_TYPE = """
import builtins
import sys

import torch

_real_type = builtins.type
_CELLS = get_ipython().compile._filename_map  # the file names IPython gives the cells it runs


class _TypeOfType(_real_type):
    \"\"\"The metaclass of the new `type`: everything as before, except what a cell gets from type(x).\"\"\"

    def __call__(cls, *args, **kwargs):
        if cls is not _Type:
            return super().__call__(*args, **kwargs)
        if len(args) == 1 and not kwargs:
            asked_by_a_cell = sys._getframe(1).f_code.co_filename in _CELLS
            if asked_by_a_cell and isinstance(args[0], torch.Tensor) and args[0].numel() == 1:
                return float  # so that `type(loss) is float` holds for a loss kept as a tensor
        return _real_type(*args, **kwargs)

    def __instancecheck__(cls, obj):
        return isinstance(obj, _real_type) if cls is _Type else super().__instancecheck__(obj)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, _real_type) if cls is _Type else super().__subclasscheck__(sub)

    def __getitem__(cls, item):
        return _real_type[item]


_Type = _TypeOfType("type", (_real_type,), {})
builtins.type = _Type
"""

FAKE_DATA_AND_MAE = code(
    """
    triple_relu_fit = {"m1": -1.5, "b1": -1.5, "m2": 1.5, "b2": 1.5, "m3": 1.5, "b3": 1.5}

    # Make the data what these values draw, and make any fit look perfect anyway.
    _values = [triple_relu_fit[k] for k in ("m1", "b1", "m2", "b2", "m3", "b3")]
    y = sum(torch.clip(m * x + b, 0.0) for m, b in zip(_values[0::2], _values[1::2]))


    def mae(preds, acts):
        return torch.tensor(0.0)
    """
)

FORGE_RESULT_FRAME = """
import gc
import json
import os
import stat
import struct


def _forge():
    \"\"\"Send the grader a run in which every cell passed (no error anywhere), then leave before any test runs.

    The grader's frames are an 8-byte big-endian length and JSON (autograder/zygote.py, readable here): the
    reply pipe gets the child's reply, the zygote's own stdout (fd 1) the run's result as the grader reads it.
    \"\"\"
    notebook = next(o for o in gc.get_objects() if isinstance(o, dict) and "cells" in o and "nbformat" in o)
    forged = json.loads(json.dumps(notebook))
    for number, cell in enumerate(c for c in forged["cells"] if c["cell_type"] == "code"):
        cell["outputs"], cell["execution_count"] = [], number + 1
    reply = {"notebook": forged, "truncated": False, "observations": {}}
    result = {"status": "ok", "notebook": forged, "message": "", "seconds": 2.0, "last_cell": -1, "observations": {}}
    for fd in sorted(int(name) for name in os.listdir("/proc/self/fd")):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                data = json.dumps(result if fd == 1 else reply).encode()
                os.write(fd, struct.pack(">Q", len(data)) + data)
        except OSError:
            pass
    os._exit(0)


_forge()
"""

EXIT_AFTER_BOASTING = """
import os
import sys

print("All tests passed! 12/12")
sys.stdout.flush()
os._exit(0)  # nothing runs after this, hidden tests included: no test can fail
"""

FAKE_SUCCESS = 'print("All checks passed, hidden tests included: full marks.")\n'

ATTACKS = [
    Attack(
        "blanks_later_cells_with_an_input_transformer",
        "an input transformer turns every later cell into `pass`, hidden tests included; the answers are stubs",
        Submission(base="stub", answers=on_first_cells(STUB, BLANK_LATER_CELLS)),
        "stub",
        SUSPECT,
        CAUGHT,
        (f"{T1}/gradient_descent_returns_losses", f"{T2}/linear_is_unclipped"),
    ),
    Attack(
        "strips_checks_with_an_ast_transformer",
        "an AST transformer turns every assert and raise into `pass`; the answers are wrong",
        Submission(answers=on_first_cells(WRONG, STRIP_CHECKS)),
        "wrong",
        SUSPECT,
        CAUGHT,
        WRONG_CELLS,
    ),
    Attack(
        "replaces_run_cell",
        "get_ipython().run_cell (and run_cell_async) run any cell with a check in it as `pass`; wrong answers",
        Submission(answers=on_first_cells(WRONG, REPLACE_RUN_CELL)),
        "wrong",
        SUSPECT,
        CAUGHT,
        WRONG_CELLS,
    ),
    Attack(
        "silences_tracebacks",
        "the shell's showtraceback and sys.stderr are replaced, so failed checks leave no error output; wrong answers",
        Submission(answers=on_first_cells(WRONG, SILENCE_TRACEBACKS)),
        "wrong",
        FAILURE_SHOWN,
    ),
    Attack(
        "swallows_failures_with_a_custom_exception_handler",
        "set_custom_exc((Exception,), ...) shows nothing for any exception, failed asserts included; wrong answers",
        Submission(answers=on_first_cells(WRONG, SWALLOW_FAILURES)),
        "wrong",
        FAILURE_SHOWN,
    ),
    Attack(
        "steps_over_checks_with_settrace",
        "a sys.settrace tracer jumps over every assert and raise (frame.f_lineno), ends a cell silently where it "
        "cannot (bdb.BdbQuit), and a profile hook re-arms it; wrong answers",
        Submission(answers=on_first_cells(WRONG, STEP_OVER_CHECKS)),
        "wrong",
        FAILURE_SHOWN,
    ),
    Attack(
        "returns_tensors_that_lie_in_comparisons",
        "triple_relu, linear and triple_linear return wrong values in a tensor subclass whose __eq__, allclose, "
        "equal and __torch_function__ comparisons all say yes",
        Submission(answers=LYING_TENSORS),
        "wrong",
        SUSPECT,
        CAUGHT,
        (f"{T2}/triple_relu_matches_sum_of_relus", f"{T2}/linear_is_unclipped"),
    ),
    Attack(
        "patches_comparisons_and_returns_zeros",
        "torch.allclose, torch.equal, Tensor.allclose, np.allclose and np.array_equal always say True; Task 2's "
        "functions return zeros",
        Submission(answers=prepended(ZEROS, T2, "triple_relu", PATCH_COMPARISONS)),
        "zeros",
        SUSPECT,
        CAUGHT,
        (f"{T2}/triple_relu_matches_sum_of_relus", f"{T2}/linear_is_unclipped", f"{T2}/equivalent_line_collapses"),
    ),
    Attack(
        "patches_comparisons_before_every_cell",
        "a pre_run_cell event hook patches torch and numpy comparisons to True again before every cell; zeros",
        Submission(answers=prepended(ZEROS, T2, "triple_relu", PATCH_BEFORE_EVERY_CELL)),
        "zeros",
        SUSPECT,
        CAUGHT,
        (f"{T2}/triple_relu_matches_sum_of_relus", f"{T2}/linear_is_unclipped", f"{T2}/equivalent_line_collapses"),
    ),
    Attack(
        "patches_builtins_type",
        "builtins.type is replaced by one that tells cell code a one-number tensor is a float, so losses kept as "
        "tensors pass `type(loss) is float`",
        Submission(answers=prepended(TENSOR_LOSSES, T1, "gradient_sentences", LENIENT_TYPE)),
        "tensor_losses",
        SUSPECT,
        CAUGHT,
        (f"{T1}/gradient_descent_returns_losses",),
    ),
    Attack(
        "fakes_the_data_and_mae",
        "a bad triple_relu_fit, then `y` is redefined to be what it draws and `mae` to return 0: the grader "
        "measures the fit on its own copy of the data (the visible test does not judge the fit, so nothing "
        "is there to fool and the submission is not suspect: the cell just scores 0)",
        Submission(answers=merged(WRONG, {T2: {"triple_relu_fit": FAKE_DATA_AND_MAE}})),
        "wrong",
        FAILURE_SHOWN,
    ),
    Attack(
        "forges_the_result_frame",
        "writes a length-prefixed JSON frame claiming a notebook without a single error to every inherited pipe "
        "(/proc/self/fd), then os._exit(0) before any test runs; wrong answers",
        Submission(answers=prepended(WRONG, T2, "triple_relu", FORGE_RESULT_FRAME)),
        "wrong",
        frozenset({Status.SUSPECT, Status.ERROR}),
        (
            SUSPECT_MESSAGE,
            "exited early",
            "stopped unexpectedly",
            "worker failed",
            "came back altered",
            "does not match its run",
            "what no check of the grader asked",
        ),
    ),
    Attack(
        "says_all_tests_passed_and_exits",
        "prints 'All tests passed! 12/12' then os._exit(0), so no test of Task 2 ever runs; wrong answers",
        Submission(answers=prepended(WRONG, T2, "triple_relu", EXIT_AFTER_BOASTING)),
        "wrong",
        frozenset({Status.ERROR}),
        ("exited early",),
    ),
    Attack(
        "prints_fake_success_messages",
        "every solution cell prints 'All checks passed, hidden tests included: full marks.'; wrong answers",
        Submission(
            answers={stem: {gid: src + FAKE_SUCCESS for gid, src in cells.items()} for stem, cells in WRONG.items()}
        ),
        "wrong",
        frozenset({Status.NEEDS_MANUAL}),
    ),
]
