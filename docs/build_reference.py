"""Write the documentation's generated pages from the code, at every build (``conf.py`` calls :func:`write_all`).

Like nbgrader's ``docs/source/build_docs.py``, nothing here is written by hand: every configurable option comes
from the traitlets (name, type, default, help), every command and flag from the argparse parsers, and the trust
boundary from :data:`autograder.jail.SANDBOX_MODULES`. A name that goes away from the code goes away from the
docs, and a page that still mentions it fails ``tests/docs/test_names.py``.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import itertools
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GENERATED = Path(__file__).resolve().parent / "reference"
"""Where the pages are written (git-ignored: only this script writes them)."""

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from traitlets.config import Configurable  # noqa: E402

_SPECIAL = re.compile(r"([\\`*_\[\]<>|{}#])")


_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_RST_LITERAL = re.compile(r"``(.+?)``")


def escape(text: str) -> str:
    """``text`` (a docstring or help string, perhaps with reStructuredText literals and roles) as Markdown:
    literals become code spans, and everything else is literal text (no emphasis, link, HTML or role)."""
    text = _RST_LITERAL.sub(r"`\1`", _ROLE.sub(r"`\1`", " ".join(text.split())))
    pieces = text.split("`")
    if len(pieces) % 2 == 0:  # an unpaired backtick: no code spans at all
        return _SPECIAL.sub(r"\\\1", text)
    return "".join(f"`{piece}`" if i % 2 else _SPECIAL.sub(r"\\\1", piece) for i, piece in enumerate(pieces))


def first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def package_modules() -> list[str]:
    """Every module of ``autograder``, by name (``__main__`` left out)."""
    names = []
    for path in sorted((ROOT / "autograder").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def configurables() -> list[type[Configurable]]:
    """The package's configurable classes (traitlets ``Configurable`` subclasses): ``Grader`` first, then by module."""
    for name in package_modules():
        importlib.import_module(name)
    found = {cls for cls in _subclasses(Configurable) if cls.__module__.split(".")[0] == "autograder"}
    return sorted(found, key=lambda cls: (cls.__name__ != "Grader", cls.__module__, cls.__qualname__))


def own_options(cls: type[Configurable]) -> dict[str, Any]:
    """The options ``cls`` declares itself (``.tag(config=True)``), not those it inherits."""
    return dict(sorted(cls.class_own_traits(config=True).items()))


def choices(trait: Any) -> str:
    values = getattr(trait, "values", None)
    return f", one of {', '.join(f'`{v!r}`' for v in values)}" if values else ""


def option_anchor(cls: type, name: str) -> str:
    return f"option-{cls.__name__}-{name}".lower().replace("_", "-")


def options_page() -> str:
    classes = configurables()
    lines = [
        "# Configuration options",
        "",
        "Generated from the code at every build (`docs/build_reference.py`): every option the `autograder` package",
        "declares with `.tag(config=True)`. Set them in the course's `nbgrader_config.py`, beside nbgrader's own,",
        "as `c.Class.option = value`. nbgrader's options are in "
        "[nbgrader's configuration reference](https://nbgrader.readthedocs.io/en/stable/configuration/config_options.html).",
        "",
    ]
    plain = [cls for cls in classes if not own_options(cls)]
    for cls in (cls for cls in classes if own_options(cls)):
        summary = escape(first_paragraph(cls.__doc__))
        lines += [f"## {cls.__name__}", "", f"`{cls.__module__}.{cls.__qualname__}`: {summary}", ""]
        for name, trait in own_options(cls).items():
            lines += [
                f"({option_anchor(cls, name)})=",
                f"### `c.{cls.__name__}.{name}`",
                "",
                f"{type(trait).__name__}, default `{trait.default_value_repr()}`{choices(trait)}.",
                "",
                escape(trait.help) if trait.help else "(no help text)",
                "",
            ]
    if plain:
        lines += [
            "## Classes with nbgrader's options only",
            "",
            "These classes take the options of the nbgrader or nbconvert class they extend and declare none of",
            "their own. The course's `nbgrader_config.py` names the preprocessors and exporters among them in",
            "nbgrader's configurable lists; the grader uses the others (the metadata validators) itself.",
            "",
        ]
        for cls in plain:
            bases = ", ".join(f"`{b.__module__}.{b.__qualname__}`" for b in cls.__bases__)
            summary = escape(first_paragraph(cls.__doc__))
            lines += [f"- `{cls.__module__}.{cls.__qualname__}` (extends {bases}): {summary}"]
        lines.append("")
    return "\n".join(lines)


class _Captured(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def hub_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m hub`` (``make hub``), caught as its ``parse`` is about to use it."""
    from hub.__main__ import parse

    original = argparse.ArgumentParser.parse_args

    def capture(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> Any:
        raise _Captured(self)

    argparse.ArgumentParser.parse_args = capture  # type: ignore[method-assign]
    try:
        parse([])
    except _Captured as caught:
        return caught.parser
    finally:
        argparse.ArgumentParser.parse_args = original  # type: ignore[method-assign]
    raise RuntimeError("hub.__main__.parse did not build a parser")


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def subcommand_help(parser: argparse.ArgumentParser) -> dict[str, str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {choice.dest: choice.help or "" for choice in action._choices_actions}
    return {}


def arguments_table(parser: argparse.ArgumentParser) -> list[str]:
    rows = ["| argument | default | what it does |", "| --- | --- | --- |"]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        if action.option_strings:
            takes = "" if action.nargs == 0 else f" {action.metavar or action.dest.upper()}"
            name = ", ".join(f"`{option}{takes}`" for option in action.option_strings)
        else:
            name = f"`{action.metavar or action.dest}`"
        shown = action.default not in (None, False, argparse.SUPPRESS) and action.nargs != 0
        default = f"`{action.default}`" if shown else ""
        if isinstance(action, argparse._AppendAction):
            name += " (repeatable)"
        rows.append(f"| {name} | {default} | {escape(action.help or '')} |")
    return rows


def usage(parser: argparse.ArgumentParser) -> list[str]:
    import textwrap

    line = " ".join(parser.format_usage().split())
    wrapped = textwrap.fill(line, 88, subsequent_indent="    ", break_on_hyphens=False, break_long_words=False)
    return ["```text", wrapped, "```"]


def cli_page() -> str:
    from autograder.cli import build_parser

    parser = build_parser()
    lines = [
        "# Commands",
        "",
        "Generated from the code at every build (`docs/build_reference.py`, from `autograder.cli.build_parser()`",
        "and the parser of `hub/__main__.py`). After `make demo` the command is `.venv/bin/autograder`.",
        "",
        "## autograder",
        "",
        escape(parser.description or ""),
        "",
        *usage(parser),
        "",
        *arguments_table(parser),
        "",
    ]
    helps = subcommand_help(parser)
    for name, sub in subcommands(parser).items():
        lines += [f"## autograder {name}", "", escape(helps.get(name, "")), "", *usage(sub), ""]
        lines += [*arguments_table(sub), ""]
    hub = hub_parser()
    lines += [
        "## make hub",
        "",
        "`make hub` runs `python -m hub --port $(HUB_PORT)`; run `.venv/bin/python -m hub` for the other arguments.",
        "",
        *usage(hub),
        "",
        *arguments_table(hub),
        "",
    ]
    return "\n".join(lines)


def module_summary(name: str) -> str:
    """The first sentence of a module's docstring, read from its file (the module is not imported)."""
    parts = name.split(".")
    path = ROOT.joinpath(*parts).with_suffix(".py")
    if not path.exists():
        path = ROOT.joinpath(*parts, "__init__.py")
    doc = first_paragraph(ast.get_docstring(ast.parse(path.read_text())))
    return escape(doc.split(". ")[0].rstrip(".") + ".") if doc else ""


def trust_boundary_fragment() -> str:
    """The lists of :mod:`autograder.jail`, for the security page to include."""
    from autograder.jail import SANDBOX_MODULES, SANDBOX_SOURCES

    lines = ["| module | what it is |", "| --- | --- |"]
    lines += [f"| `{name}` | {module_summary(name)} |" for name in SANDBOX_MODULES]
    lines += ["", "Sent into the sandbox as source text (some functions of these modules, never the modules):", ""]
    lines += [f"- `{name}`: {module_summary(name)}" for name in SANDBOX_SOURCES]
    return "\n".join(lines) + "\n"


def attribute_docs(cls: type) -> dict[str, str]:
    """The docstrings written under the attributes of ``cls`` (``NAME = value`` then a string), by name."""
    import inspect
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    found = {}
    for node, after in itertools.pairwise(body):
        if isinstance(node, ast.Assign) and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = str(after.value.value)
    return found


def statuses_fragment() -> str:
    """The statuses a submission and a notebook's run can end with, for the glossary to include."""
    from autograder.engine.results import Status
    from autograder.jail.protocol import RunStatus

    lines = []
    for enum, what in ((Status, "A submission's status"), (RunStatus, "How one notebook's run ended")):
        notes = attribute_docs(enum)
        lines += [f"{what} (`{enum.__module__}.{enum.__qualname__}`):", ""]
        lines += [f"- `{member.value}`: {escape(notes.get(member.name, ''))}".rstrip(": ") for member in enum]
        lines.append("")
    return "\n".join(lines)


def write_all(directory: Path = GENERATED) -> list[Path]:
    """Write the generated pages into ``directory``; the paths written (a page is rewritten only if it changed)."""
    directory.mkdir(parents=True, exist_ok=True)
    pages = {
        "options.md": options_page(),
        "commands.md": cli_page(),
        "sandbox-modules.md": trust_boundary_fragment(),
        "statuses.md": statuses_fragment(),
    }
    for name, text in pages.items():
        path = directory / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return [directory / name for name in pages]


if __name__ == "__main__":
    for written in write_all():
        print(written)
