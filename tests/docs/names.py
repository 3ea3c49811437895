"""Find the paths, commands and settings a page of Markdown names, and say which of them do not exist.

Only names of forms that cannot be mistaken are checked: a ``c.Class.option`` setting; a dotted name under
``autograder.`` or ``solutions.``; a path whose first part is a folder or file the repository tracks; a
``make`` target; an ``autograder`` command or ``python -m hub`` with its flags. Paths a reader creates or that
hold a placeholder (``week4``, ``STUDENT``, ``ASSIGNMENT``, ``*``) are not looked up.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import re
import shlex
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType

from tests.helpers import ROOT

TRACKED_TOP = ("autograder", "solutions", "source", "release", "tests", "hub", "demo", "benchmarks", "docs", "scripts")
TRACKED_FILES = ("Makefile", "nbgrader_config.py", "pyproject.toml", "README.md")
PLACEHOLDERS = re.compile(r"week4|STUDENT|ASSIGNMENT|\*|\.\.\.|_build|docs/reference/")
"""Paths with these are a reader's own or made by a build, not the repository's."""

FENCE = re.compile(r"^(\s*)(```|~~~)[^\n]*\n(.*?)^\1\2\s*$", re.M | re.S)
CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
SETTING = re.compile(r"^c\.(\w+)\.(\w+)")
DOTTED = re.compile(r"^(autograder|solutions)(\.\w+)+$")
PATH = re.compile(r"^[\w.\-/]+$")


def blocks_and_spans(text: str) -> tuple[list[str], list[str]]:
    """The fenced code blocks of ``text`` and its inline code spans (outside the blocks)."""
    blocks = [match.group(3) for match in FENCE.finditer(text)]
    prose = FENCE.sub("", text)
    return blocks, CODE_SPAN.findall(prose)


@cache
def build_reference() -> ModuleType:
    """``docs/build_reference.py``, the script that writes the generated pages (loaded from its file)."""
    spec = importlib.util.spec_from_file_location("build_reference", ROOT / "docs" / "build_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def configurable_classes() -> dict[str, list[type]]:
    """Every traitlets configurable a course's config can name (ours, nbgrader's, nbconvert's, JupyterHub's),
    by class name."""
    from traitlets.config import Configurable

    for name in ("nbgrader.apps", "nbgrader.preprocessors", "nbgrader.plugins", "nbconvert", "jupyterhub.auth"):
        importlib.import_module(name)
    build_reference().configurables()
    found: dict[str, list[type]] = {}
    stack = [Configurable]
    while stack:
        cls = stack.pop()
        found.setdefault(cls.__name__, []).append(cls)
        stack.extend(cls.__subclasses__())
    return found


def setting_problem(cls_name: str, option: str) -> str | None:
    classes = configurable_classes().get(cls_name)
    if not classes:
        return f"no configurable class {cls_name}"
    if not any(option in cls.class_trait_names(config=True) for cls in classes):
        return f"{cls_name} has no option {option}"
    return None


def dotted_problem(name: str) -> str | None:
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                return f"{'.'.join(parts[:cut])} has no {'.'.join(parts[cut:])}"
            found = getattr(found, attribute)
        return None
    return "no such module"


def path_problem(path: str) -> str | None:
    if PLACEHOLDERS.search(path):
        return None
    first = path.split("/")[0]
    if first not in TRACKED_TOP and path not in TRACKED_FILES:
        return None
    if first in TRACKED_TOP and "/" not in path:
        return None  # a word that is also a folder's name ("tests", "docs")
    return None if (ROOT / path.rstrip("/")).exists() else "no such file or folder"


@cache
def make_targets() -> frozenset[str]:
    text = (ROOT / "Makefile").read_text()
    return frozenset(re.findall(r"^([\w-]+)\s*:(?!=)", text, re.M))


def options_of(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


@cache
def parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser], argparse.ArgumentParser]:
    from autograder.cli import build_parser

    parser = build_parser()
    return parser, build_reference().subcommands(parser), build_reference().hub_parser()


def nested(parser: argparse.ArgumentParser, words: list[str]) -> argparse.ArgumentParser:
    """The subcommand's own parser when ``words`` start with one (``autograder feedback serve``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and words and words[0] in action.choices:
            return nested(action.choices[words[0]], words[1:])
    return parser


def _flags(words: list[str]) -> list[str]:
    return [word.split("=")[0] for word in words if word.startswith("-")]


def command_problem(line: str) -> str | None:
    """What is wrong with a command line naming ``make``, ``autograder`` or ``python -m hub``, if anything."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return None
    while words and (words[0] == "sudo" or "=" in words[0]):
        words = words[1:]
    if not words:
        return None
    program = words[0].rsplit("/", 1)[-1]
    if program == "make":
        missing = [w for w in words[1:] if "=" not in w and not w.startswith("-") and w not in make_targets()]
        return f"no make target {missing[0]}" if missing else None
    if program == "autograder":
        top, commands, _ = parsers()
        rest = words[1:]
        global_flags = options_of(top)
        while rest and rest[0].startswith("-"):
            if rest[0] not in global_flags:
                return f"autograder has no option {rest[0]}"
            rest = rest[2:] if rest[0] == "--course" else rest[1:]
        if not rest:
            return None
        if rest[0] not in commands:
            return f"no command autograder {rest[0]}"
        unknown = [
            f for f in _flags(rest[1:]) if f not in options_of(nested(commands[rest[0]], rest[1:])) | global_flags
        ]
        return f"autograder {rest[0]} has no option {unknown[0]}" if unknown else None
    if program.startswith("python") and words[1:3] == ["-m", "hub"]:
        unknown = [f for f in _flags(words[3:]) if f not in options_of(parsers()[2])]
        return f"python -m hub has no option {unknown[0]}" if unknown else None
    return None


def command_lines(blocks: list[str], spans: list[str]) -> Iterator[str]:
    for block in blocks:
        yield from (line.strip() for line in block.splitlines())
    yield from spans


def problems(page: Path) -> list[str]:
    """Each name on ``page`` that does not exist, as ``name: why``."""
    blocks, spans = blocks_and_spans(page.read_text())
    found: list[str] = []
    for span in spans:
        name = span.strip()
        if setting := SETTING.match(name):
            why = setting_problem(setting.group(1), setting.group(2))
        elif DOTTED.match(name):
            why = dotted_problem(name)
        elif PATH.match(name):
            why = path_problem(name)
        else:
            why = None
        if why:
            found.append(f"{name}: {why}")
    for block in blocks:
        for setting in re.finditer(r"\bc\.(\w+)\.(\w+)\s*=", block):
            if why := setting_problem(setting.group(1), setting.group(2)):
                found.append(f"{setting.group(0)}: {why}")
    for line in command_lines(blocks, spans):
        if why := command_problem(line):
            found.append(f"{line}: {why}")
    return found
