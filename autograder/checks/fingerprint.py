"""A check's fingerprint: what a grade records of the check that gave it, so that a changed check is seen.

The fingerprint digests everything that decides the check's verdict: its
declaration (every field: the reference, the cases, the tolerances, the
mistakes, the judge), the code of every function it names and, through their
code, the constants and the course's own helpers those functions read (a
threshold such as ``FIT_BELOW`` is read from the module, so relaxing it changes
the fingerprint), the probe's source, the sources swapped in, and the inputs
drawn for this run (so a new secret changes the fingerprint of every check
that draws inputs; one with fixed inputs only keeps its own).

An object's private attributes (``_outcomes``, a cache filled while judging)
are left out: they change as the check runs, not when it is changed.

Code is digested as bytecode and constants, not as text: moving a check within
its file, or reformatting it, leaves its fingerprint alone; editing what it
does does not. Functions of other libraries (numpy, torch) are named, not
digested: they are not the course's to change.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from types import CodeType, FunctionType, MethodType, ModuleType
from typing import Any

from autograder.checks.kinds import Declared

LENGTH = 16
"""Hex digits kept: a fingerprint is compared, never trusted as a secret."""
MAX_DEPTH = 24
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
"""Where a repr shows an object's address, which differs from run to run."""
ENGINE = "autograder."
"""The engine's own helpers (``require_scatter``, ``one_axes``) are digested like the course's: they judge too."""


class _Digest:
    """Feeds values into one hash, each function and object once (so cycles and shared helpers cost nothing)."""

    def __init__(self, course_root: Path) -> None:
        self.hash = hashlib.sha256()
        self.root = str(course_root.resolve())
        self.seen: set[int] = set()

    def text(self, kind: str, value: str) -> None:
        self.hash.update(f"{kind}:{len(value)}:".encode())
        self.hash.update(value.encode("utf-8", "surrogatepass"))

    def ours(self, module_name: str) -> bool:
        """A module of the course (under its root) or of the engine: its functions are digested, not named."""
        if module_name.startswith(ENGINE):
            return True
        module = sys.modules.get(module_name)
        path = str(Path(getattr(module, "__file__", None) or "/").resolve())
        installed = any(path.startswith(str(Path(p).resolve()) + "/") for p in (sys.prefix, sys.base_prefix))
        return path.startswith(self.root + "/") and not installed

    def value(self, value: Any, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            self.text("deep", type(value).__qualname__)
            return
        if value is None or isinstance(value, bool | int | float | complex | str | bytes):
            self.text(type(value).__name__, repr(value))
        elif isinstance(value, ModuleType):
            self.text("module", value.__name__)
        elif isinstance(value, type):
            self.text("type", f"{value.__module__}.{value.__qualname__}")
        elif isinstance(value, FunctionType):
            self.function(value, depth)
        elif isinstance(value, MethodType):
            self.value(value.__self__, depth + 1)
            self.value(value.__func__, depth)
        elif isinstance(value, CodeType):
            self.code(value, None, depth)
        elif hasattr(value, "tolist") and hasattr(value, "dtype") and hasattr(value, "shape"):  # numpy, torch
            self.text("array", f"{value.dtype}{tuple(value.shape)}")
            self.value(value.tolist(), depth + 1)
        elif isinstance(value, Mapping):
            self.text("mapping", type(value).__qualname__)
            for key in sorted(value, key=repr):
                self.value(key, depth + 1)
                self.value(value[key], depth + 1)
        elif isinstance(value, list | tuple | set | frozenset):
            items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
            self.text(type(value).__name__, str(len(items)))
            for item in items:
                self.value(item, depth + 1)
        elif id(value) in self.seen:
            self.text("again", type(value).__qualname__)
        else:
            self.seen.add(id(value))
            self.text("object", f"{type(value).__module__}.{type(value).__qualname__}")
            if dataclasses.is_dataclass(value):
                fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            else:
                fields = dict(getattr(value, "__dict__", {}))
            if hasattr(value, "func") and hasattr(value, "args"):  # functools.partial
                fields.update(func=value.func, args=value.args, keywords=getattr(value, "keywords", {}))
            if not fields:
                self.text("repr", ADDRESS.sub("", repr(value)))
            for name in sorted(f for f in fields if not f.startswith("_")):  # ``_outcomes``: a cache, not the check
                self.text("field", name)
                self.value(fields[name], depth + 1)

    def function(self, fn: FunctionType, depth: int) -> None:
        name = f"{fn.__module__}.{fn.__qualname__}"
        if not self.ours(fn.__module__ or ""):
            self.text("library", name)
            return
        if id(fn) in self.seen:
            self.text("again", name)
            return
        self.seen.add(id(fn))
        self.text("function", name)
        self.value(fn.__defaults__, depth + 1)
        self.value(fn.__kwdefaults__, depth + 1)
        for cell in fn.__closure__ or ():
            try:
                self.value(cell.cell_contents, depth + 1)
            except ValueError:  # an empty cell
                self.text("cell", "empty")
        self.code(fn.__code__, fn.__globals__, depth)

    def code(self, code: CodeType, scope: Mapping[str, Any] | None, depth: int) -> None:
        self.hash.update(code.co_code)
        names = _names(code)
        self.text("names", ",".join(code.co_names))
        for const in code.co_consts:
            if isinstance(const, CodeType):
                self.code(const, None, depth + 1)  # a nested function or lambda: its globals are read below
            else:
                self.value(const, depth + 1)
        if scope is None:
            return
        for name in sorted(names):
            if name not in scope or name.startswith("__"):
                continue
            found = scope[name]
            self.text("global", name)
            if isinstance(found, ModuleType | Mapping) and not isinstance(found, dict):
                self.members(found, names, depth)  # ``wrong.fn``, ``LIKELY.key``: only the members it reads
            else:
                self.value(found, depth + 1)

    def members(self, holder: Any, names: set[str], depth: int) -> None:
        self.text("holder", getattr(holder, "__name__", type(holder).__qualname__))
        if isinstance(holder, ModuleType) and not self.ours(holder.__name__):
            return  # ``np.mean``: a library's, named by the code that reads it
        for attr in sorted(names):
            try:
                member = holder[attr] if isinstance(holder, Mapping) and attr in holder else getattr(holder, attr)
            except Exception:
                continue
            if isinstance(holder, ModuleType) and isinstance(member, ModuleType):
                continue  # ``torch.nn``: a library's submodule
            self.text("member", attr)
            self.value(member, depth + 1)


def _names(code: CodeType) -> set[str]:
    """The global and attribute names ``code`` and the functions nested in it read."""
    found = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found |= _names(const)
    return found


def fingerprint(
    check: Declared, inputs: Any, probe: tuple[str, str], substitutes: Mapping[str, str], course_root: Path
) -> str:
    """The fingerprint of ``check`` for a run that drew ``inputs`` (see the module docstring)."""
    digest = _Digest(course_root)
    digest.text("kind", f"{type(check).__module__}.{type(check).__qualname__}")
    digest.value(check)
    digest.text("inputs", json.dumps(inputs, sort_keys=True))
    digest.text("probe", "\n".join(probe))
    for name in sorted(substitutes):
        digest.text("substitute", f"{name}\n{substitutes[name]}")
    return digest.hash.hexdigest()[:LENGTH]
