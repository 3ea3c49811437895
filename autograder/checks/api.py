"""Declaring an assignment's checks: :func:`compare` and :func:`value` for common cells, :class:`Check` for the rest.

An assignment's checks module (``c.Grader.checks``) lists one declaration per
auto-graded test cell in ``CHECKS``, and may group grade ids into tasks for the
reports in ``TASKS``. For example::

    CHECKS = [  # in solutions/week4_checks/task1_softmax.py: the notebook is task1_softmax
        compare("softmax_sums_to_one", reference=week4.softmax, visible=[call(torch.tensor([1.0, 2.0, 3.0]))],
                cases=[call(torch.zeros(4)), call(torch.tensor([1000.0, 0.0]))],
                draw=lambda rng: [call(torch.tensor(rng.normal(size=5), dtype=torch.float32))],
                mistakes={LIKELY.unnormalised: wrong.unnormalised}),
        value("learning_rate_converges", name="chosen_lr", check=lambda lr: None if lr < 1 else "too big"),
    ]
    TASKS = {"4a": ("softmax_sums_to_one",), "4b": ("learning_rate_converges",)}

:func:`compare`: the grader calls the student's function by name, in the sandbox,
on the fixed ``cases`` and on those ``draw(rng)`` gives for this run; it runs
``reference`` here on the same arguments (``function`` defaults to the reference's
name), and compares the results (type, shape, dtype, values within
``atol``/``rtol``) and the arguments afterwards (a function that should not change
its arguments must not). The failure message names the
first case that differs and how; if a known wrong implementation in
``mistakes`` gives exactly what the student's gave on every case, it adds
``Likely mistake: <its line>``.

:func:`value`: a value the student submitted (a fitted parameter), judged by
``check(value)``, which returns why it fails (None if it passes).

:func:`check`: inputs (a dataclass), a probe shipped as source into the sandbox (it
receives the student's functions by its parameters' names), a judge here that
says why with a plain ``assert``.

Every declaration takes the grade id first; the notebook defaults to the
declaring module's ``NOTEBOOK``, else its name (``task1_softmax.py`` declares
``task1_softmax``'s cells), or is given first: ``compare("problem1", "squares", ...)``.

``substitute`` (for every kind) swaps, while the probe runs, the student's version of a
function for the reference's, so that a slip in ``softmax`` costs points only
in ``softmax``'s own cells (a function is only swapped after its own checks ran).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from autograder.checks.authoring import notebook_of
from autograder.checks.calls import Compare
from autograder.checks.compare import Rules
from autograder.checks.kinds import Call, Check, Declared, Value
from autograder.jail.probing import Source

__all__ = ["Call", "Check", "Compare", "Declared", "Value", "call", "check", "compare", "function", "value"]


def _ids(ids: tuple[str, ...], notebook: str | None) -> tuple[str, str]:
    """``(notebook, grade_id)`` from ``(grade_id,)`` or ``(notebook, grade_id)``."""
    if len(ids) == 2:
        return ids[0], ids[1]
    if len(ids) != 1:
        raise TypeError("a check is declared with its grade id (and, before it, its notebook if not inferred)")
    return notebook or notebook_of(2), ids[0]


def _calls(cases: Iterable[Call | tuple[Any, ...]]) -> tuple[Call, ...]:
    """Cases as calls: a plain tuple is a :class:`Call` with those positional arguments."""
    return tuple(c if isinstance(c, Call) else Call(tuple(c)) for c in cases)


def call(*args: Any, **kwargs: Any) -> Call:
    """A case for :func:`compare`: ``call(1.0, 2.0, torch.tensor([...]), lr=0.1)``."""
    return Call(args, kwargs)


def function(source: str, *, shown: str = "", **env: Any) -> Source:
    """A function argument (such as a loss), as source evaluated on both sides with ``torch``, ``np`` and ``env``.

    ``shown`` is how failure messages name it (for example ``quad_mae``).
    """
    return Source(source, env, shown)


def compare(
    *ids: str,
    reference: Callable[..., Any],
    function: str = "",
    notebook: str | None = None,
    cases: Iterable[Call | tuple[Any, ...]] = (),
    draw: Callable[[Any], Iterable[Call]] | None = None,
    atol: float = 1e-5,
    rtol: float = 1e-5,
    check_type: bool = True,
    check_dtype: bool = True,
    check_shape: bool = True,
    check_args: bool = True,
    check_grad: bool = False,
    args_atol: float = 1e-5,
    key: Callable[[Any], Any] | None = None,
    mistakes: Mapping[str, Callable[..., Any] | Sequence[Callable[..., Any]]] | None = None,
    raised: Mapping[str, str] | None = None,
    changed: str = "",
    diagnose: Callable[[Any, Any, Call], str | None] | None = None,
    substitute: Mapping[str, Callable[..., Any]] | None = None,
    visible: Iterable[Call | tuple[Any, ...]] = (),
    visible_atol: float | None = None,
) -> Compare:
    """The student's ``function`` must do what ``reference`` does on every case (see the module docstring).

    ``key`` compares only part of each result (``key(result)``, on plain Python
    values) after the form (type, length, shape) of the whole; ``check_args``
    compares the arguments afterwards (``check_grad`` includes tensors' ``.grad``);
    ``mistakes`` maps a misconception to the known wrong function(s) that make it;
    ``raised`` maps part of an exception's message to the misconception it shows;
    ``changed`` is the misconception when the results are right but an argument is left changed;
    ``diagnose(got, want, case)`` may name one from the plain values. ``visible``
    lists the calls the cell's visible test makes (they are checked first, like
    ``cases``): a notebook whose test passed where one of them fails here is suspect
    (``visible_atol``: the visible test's own tolerance, if it is looser).
    """
    notebook, grade_id = _ids(ids, notebook)
    rules = Rules(atol=atol, rtol=rtol, check_type=check_type, check_dtype=check_dtype, check_shape=check_shape)
    return Compare(
        notebook,
        grade_id,
        function or reference.__name__,
        reference,
        cases=_calls(cases),
        draw=draw,
        rules=rules,
        check_args=check_args,
        check_grad=check_grad,
        args_atol=args_atol,
        key=key,
        mistakes=dict(mistakes or {}),
        raised=dict(raised or {}),
        changed=changed,
        diagnose=diagnose,
        substitute=dict(substitute or {}),
        visible=_calls(visible),
        visible_atol=visible_atol,
    )


def value(
    *ids: str, name: str, check: Callable[[Any], str | None], visible: bool = False, notebook: str | None = None
) -> Value:
    """The student's ``name`` (a value, not a function) must satisfy ``check(value) is None``.

    ``visible``: the cell's visible test asserts the same (so a failure here where it passed is suspect).
    """
    notebook, grade_id = _ids(ids, notebook)
    return Value(notebook, grade_id, name, check, visible=visible)


def check(
    *ids: str,
    inputs: Callable[[Any], Any],
    probe: Callable[..., Any],
    judge: Callable[[Any, Any], str | None],
    uses: Iterable[str] = (),
    substitute: Mapping[str, Callable[..., Any]] | None = None,
    notebook: str | None = None,
) -> Check:
    """A hand-written check: ``inputs(rng)`` (a dataclass), ``probe`` in the sandbox, ``judge(inputs, observed)`` here.

    The probe receives the student's functions ``uses`` (by default its parameters before ``inputs``, by name),
    then the inputs (as attributes) and ``P`` (:mod:`autograder.jail.probing`); the judge says why the cell fails
    with ``assert`` (or returns the reason), and receives the inputs as the dataclass ``inputs`` returns.
    """
    notebook, grade_id = _ids(ids, notebook)
    names = tuple(uses) or tuple(inspect.signature(probe).parameters)[:-2]
    return Check(
        notebook=notebook,
        grade_id=grade_id,
        inputs=inputs,
        probe=probe,
        judge=judge,
        functions=names,
        substitute=dict(substitute or {}),
    )
