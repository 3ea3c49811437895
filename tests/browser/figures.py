"""Reference figures drawn in the test process, and what can be read off a PNG's pixels.

The notebook's kernel draws with matplotlib's inline backend: the rc file's
settings, ``plt.rc("figure", dpi=90)`` from the set-up cell, and IPython's
``print_figure(fig, "png", bbox_inches="tight")``. Doing the same here with the
reference implementation in ``solutions.week3`` gives the same pixels, so a
figure in the browser can be compared with the one the reference draws,
title included.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from IPython.core.pylabtools import print_figure
from numpy.typing import NDArray
from PIL import Image

SCATTER_BLUE = (0x1F, 0x77, 0xB4)
"""matplotlib's default colour C0, which ``plt.scatter`` uses."""
LINE_RED = (0xFF, 0x00, 0x00)
"""``plot_function``'s default colour ``"r"``."""


def draw(plot: Callable[..., None], *args: float, title: str | None = None) -> bytes:
    """The PNG the notebook would show for ``plot(*args)``; ``title`` replaces the axes' title."""
    with mpl.rc_context():
        mpl.rc_file_defaults()  # what a fresh kernel starts from, whatever other tests changed here
        plt.rc("figure", dpi=90)
        fig = plt.figure()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                plot(*args)
            if title is not None:
                plt.gca().set_title(title)
            png = print_figure(fig, "png", bbox_inches="tight")
        finally:
            plt.close(fig)
    assert isinstance(png, bytes)
    return png


def pixels(png: bytes) -> NDArray[np.uint8]:
    """The image as an RGB array (height, width, 3)."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def same_pixels(a: bytes, b: bytes) -> bool:
    pa, pb = pixels(a), pixels(b)
    return pa.shape == pb.shape and bool((pa == pb).all())


def mask(png: bytes, colour: tuple[int, int, int], tolerance: int = 8) -> NDArray[np.bool_]:
    """Where the image has ``colour`` (each channel within ``tolerance``)."""
    diff = np.abs(pixels(png).astype(int) - np.array(colour))
    return np.asarray((diff <= tolerance).all(axis=2))


def column_runs(where: NDArray[np.bool_]) -> int:
    """How many separate groups of columns contain a True pixel: the number of blobs side by side."""
    columns = where.any(axis=0).astype(int)
    return int((np.diff(np.concatenate([[0], columns])) == 1).sum())
