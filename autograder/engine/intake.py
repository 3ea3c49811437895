"""Take a submission in as plain files, and its notebooks in as bounded JSON, before anything else touches them.

:func:`take` reads a submission folder without ever following a link: it
walks the folder through directory file descriptors and opens each file with
``O_NOFOLLOW`` relative to its folder's descriptor, so nothing outside the
folder can be reached, even if a name is swapped while it is read. It keeps
only regular files with a single link and folders; symbolic links (to
anywhere), hard links (``st_nlink > 1``: the same file is also somewhere
else), FIFOs (never opened for reading, which could block), devices and
sockets are refused, each with a message naming it. What is left is graded
without them.

:func:`read_notebook` turns a notebook's bytes into a notebook only after
cheap checks of its size, nesting depth and number of cells, so that one
submission cannot make the grader's own process spend unbounded time or
memory parsing, validating or sanitizing it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
from nbconvert.preprocessors import Preprocessor
from nbformat import ValidationError
from traitlets import Bool

from autograder.jail.protocol import may_need_scrub, scrub

OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
"""Never follow a link, never wait on a FIFO."""
DIR_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC
MAX_FOLDER_DEPTH = 16
"""Folders nested deeper than this inside a submission are refused."""
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
"""A JSON string, escapes and all: removed before the brackets are counted."""
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_CHUNK = 1 << 22

log = logging.getLogger(__name__)


class OverLimit(Exception):
    """A notebook that is not read: the message says why, naming the file and the limit."""


@dataclass
class Intake:
    """What was taken from a submission folder."""

    files: dict[str, bytes] = field(default_factory=dict)
    """Every regular file, by path relative to the folder (``/``-separated), notebooks included."""
    oversized: dict[str, int] = field(default_factory=dict)
    """Regular files over their size limit, not read, with their size in bytes."""
    refused: dict[str, str] = field(default_factory=dict)
    """What was not taken, by relative path: what it is (symbolic link, FIFO, ...)."""

    def messages(self, *, besides: Collection[str] = ()) -> list[str]:
        """One line per refused entry, naming it (except those in ``besides``, reported another way)."""
        return [
            f"{path} was refused: it is {what}, and a submission holds only plain files"
            for path, what in self.refused.items()
            if path not in besides
        ]


def kind(mode: int, links: int) -> str | None:
    """What is wrong with a folder entry of this mode and link count (None: a plain file or folder)."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISREG(mode):
        return f"a hard link ({links} names for one file)" if links > 1 else None
    if stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def take(
    folder: Path,
    *,
    notebooks: Collection[str],
    max_notebook_bytes: int,
    max_file_bytes: int,
    max_total_bytes: int,
    max_files: int,
    ignore: Sequence[str] = (),
) -> Intake:
    """Read the plain files of a submission folder, refusing everything else; nothing is ever followed.

    The assignment's ``notebooks`` (file names, at the top of the folder) may be up to
    ``max_notebook_bytes`` each; every other file up to ``max_file_bytes``, and all of them together
    up to ``max_total_bytes``; what is over is listed in :attr:`Intake.oversized`, unread. At most
    ``max_files`` entries are looked at. Entries whose name matches a pattern of ``ignore``
    (``c.CourseDirectory.ignore``: ``__pycache__``, ...) are left alone, neither read nor refused.
    """
    intake = Intake()
    try:
        fd = os.open(folder, DIR_FLAGS)
    except OSError as exc:
        if os.path.islink(folder):
            intake.refused["the submission folder"] = "a symbolic link"
        elif folder.exists():
            intake.refused["the submission folder"] = f"not readable ({exc.strerror})"
        return intake
    try:
        limits = _Walk(
            frozenset(notebooks), max_notebook_bytes, max_file_bytes, max_total_bytes, max_files, tuple(ignore)
        )
        _walk(fd, "", 0, intake, limits)
    finally:
        os.close(fd)
    return intake


@dataclass
class _Walk:
    """The limits of one walk, and what is left of its byte and entry budgets."""

    notebooks: frozenset[str]
    notebook_bytes: int
    file_bytes: int
    bytes_left: int
    budget: int
    ignore: tuple[str, ...]


def _walk(fd: int, prefix: str, depth: int, intake: Intake, walk: _Walk) -> None:
    """Take the entries of the folder open as ``fd`` (``prefix``: its path in the submission)."""
    with os.scandir(fd) as entries:
        listed = sorted((e.name, e.stat(follow_symlinks=False)) for e in entries)
    for name, info in listed:
        if any(fnmatch(name, pattern) for pattern in walk.ignore):
            continue
        path = prefix + name
        walk.budget -= 1
        if walk.budget < 0:
            intake.refused[path] = "one entry too many (c.Grader.max_submission_files); the rest were not read"
            return
        what = kind(info.st_mode, info.st_nlink)
        if what is not None:
            intake.refused[path] = what
        elif stat.S_ISDIR(info.st_mode):
            if depth >= MAX_FOLDER_DEPTH:
                intake.refused[path] = f"a folder nested more than {MAX_FOLDER_DEPTH} deep"
                continue
            try:
                child = os.open(name, DIR_FLAGS, dir_fd=fd)
            except OSError:
                intake.refused[path] = "a folder that changed while it was read"
                continue
            try:
                _walk(child, path + "/", depth + 1, intake, walk)
            finally:
                os.close(child)
        else:
            notebook = not prefix and name in walk.notebooks
            limit = walk.notebook_bytes if notebook else min(walk.file_bytes, walk.bytes_left)
            if info.st_size > limit:
                intake.oversized[path] = info.st_size
                continue
            data = _read(fd, name, info, limit)
            if data is None:
                intake.refused[path] = "a file that changed while it was read"
            else:
                intake.files[path] = data
                walk.bytes_left -= 0 if notebook else len(data)


def _read(dir_fd: int, name: str, seen: os.stat_result, limit: int) -> bytes | None:
    """The file's bytes if it is still the plain file listed (same inode, one link, within the limit)."""
    try:
        fd = os.open(name, OPEN_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        now = os.fstat(fd)
        same = (now.st_dev, now.st_ino) == (seen.st_dev, seen.st_ino)
        if not (same and stat.S_ISREG(now.st_mode) and now.st_nlink == 1):
            return None
        chunks, left = [], limit + 1
        while left > 0 and (chunk := os.read(fd, min(left, _CHUNK))):
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        return data if len(data) <= limit else None
    finally:
        os.close(fd)


class NotPlain(Exception):
    """A name that is not a plain file: the message says what it is (``a symbolic link``, ...)."""


def read_plain(path: Path, limit: int) -> bytes:
    """The bytes of one plain file, read as :func:`take` reads (no link followed, no FIFO opened).

    Raises ``FileNotFoundError`` if there is none, :class:`NotPlain` if it is anything but a plain
    file (or a folder on the way is a link) or holds more than ``limit`` bytes.
    """
    try:
        fd = os.open(path.parent, DIR_FLAGS)
    except OSError as exc:
        if os.path.islink(path.parent):
            raise NotPlain("in a folder that is a symbolic link") from None
        raise exc
    try:
        info = os.stat(path.name, dir_fd=fd, follow_symlinks=False)
        what = kind(info.st_mode, info.st_nlink) or ("a folder" if stat.S_ISDIR(info.st_mode) else None)
        if what is None and info.st_size > limit:
            what = f"larger than {limit} bytes"
        data = None if what else _read(fd, path.name, info, limit)
        if data is None:
            raise NotPlain(what or "a file that changed while it was read")
        return data
    finally:
        os.close(fd)


def json_shape(data: bytes) -> tuple[int, int]:
    """The deepest nesting of a JSON text, and how many objects or arrays sit in the arrays of its top object.

    The second is the number of cells of a notebook (its only top-level array is ``cells``),
    counted high if the JSON has other top-level arrays, never low. Strings are cut out first,
    then the brackets are counted in chunks with NumPy: linear time, bounded memory, no parse.
    """
    shape = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    deepest = depth = children = 0
    parent = 0  # the bracket that opened the current depth-2 container: ord("[") or ord("{")
    for start in range(0, len(shape), _CHUNK):
        chars = np.frombuffer(shape, dtype=np.uint8, offset=start, count=min(_CHUNK, len(shape) - start))
        opens = (chars == ord("[")) | (chars == ord("{"))
        after = depth + np.cumsum(np.where(opens, 1, -1), dtype=np.int64)
        deepest = max(deepest, int(after.max()))
        second = np.flatnonzero(opens & (after == 2))
        third = np.flatnonzero(opens & (after == 3))
        owner = np.searchsorted(second, third) - 1  # the depth-2 container each depth-3 one is in (-1: earlier chunk)
        owners = chars[second][owner.clip(0)] if len(second) else np.zeros(len(third), dtype=np.uint8)
        kinds = np.where(owner >= 0, owners, parent)
        children += int(np.count_nonzero(kinds == ord("[")))
        if len(second):
            parent = int(chars[second[-1]])
        depth = int(after[-1])
    return deepest, children


def one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def check_shape(name: str, data: bytes, *, max_json_depth: int, max_cells: int) -> None:
    """Raise :class:`OverLimit` if the notebook JSON in ``data`` is nested too deep or has too many cells."""
    depth, cells = json_shape(data)
    if depth > max_json_depth:
        raise OverLimit(
            f"{name} is nested {depth} levels deep, over the limit of {max_json_depth} (c.Grader.max_json_depth)"
        )
    if cells > max_cells:
        raise OverLimit(f"{name} has {cells} cells, over the limit of {max_cells} (c.Grader.max_cells)")


def read_notebook(name: str, data: bytes, *, max_json_depth: int, max_cells: int) -> Any:
    """The notebook in ``data``, after checking its nesting and cell count from its bytes (no parse).

    Raises :class:`OverLimit` over a limit, ``ValueError`` if it is not an nbformat 4 notebook.
    """
    check_shape(name, data, max_json_depth=max_json_depth, max_cells=max_cells)
    raw = json.loads(data)
    if may_need_scrub(data):
        scrub(raw)  # its text as it will be written: no lone surrogate, no NUL
    if not isinstance(raw, dict) or raw.get("nbformat") != 4 or not isinstance(raw.get("cells"), list):
        raise ValueError("not an nbformat 4 notebook")
    nb = nbformat.v4.to_notebook_json(raw, minor=raw.get("nbformat_minor"))  # as nbformat.reads makes it
    try:  # as nbformat.reads does: an invalid notebook is logged, and its damage found by the sanitizers
        nbformat.validate(nb)
    except ValidationError as exc:
        log.error("%s: notebook JSON is invalid: %s", name, one_line(str(exc)))
    return nb


class NotPlainFiles(Exception):
    """A submission folder that holds more than plain files (for nbgrader's own ``autograde``)."""


class PlainFilesOnly(Preprocessor):
    """For ``nbgrader autograde`` itself: stop a submission whose folder holds anything but plain files.

    List it first in ``c.Autograde.sanitize_preprocessors``. nbgrader reads each submitted notebook
    (following links) and copies the submission folder before its preprocessors run, so this cannot
    keep a link's target from being read; it makes sure no such submission is graded: it raises,
    naming the entries, and nbgrader reports that student's notebook as failed. ``autograder grade``
    takes the folder through :func:`take` instead, and there this step does nothing (it is not given
    the folder).
    """

    enabled = Bool(True, help="Check the submission folder (on when listed, as nbgrader's own steps).").tag(config=True)

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        folder = (resources.get("metadata") or {}).get("path")
        if folder:
            found = take(
                Path(folder), notebooks=[], max_notebook_bytes=0, max_file_bytes=0, max_total_bytes=0, max_files=10_000
            )  # nothing is read: only what each entry is
            if found.refused:
                raise NotPlainFiles("; ".join(found.messages()))
        return nb, resources
