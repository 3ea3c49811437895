"""What the intake's checks cost: taking a submission as plain files and checking its notebooks before parsing.

    python benchmarks/intake.py [--repeat 200]

Prints, per submission of the released week3 notebooks, the time of the intake (walk, lstat,
O_NOFOLLOW reads, the bracket scan, then the parse) next to a plain ``nbformat.read`` of the
same notebooks, and the time to refuse the worst notebooks just under the size limit.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from autograder.engine.intake import OverLimit, json_shape, read_notebook, take
from autograder.settings import Grader

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "release" / "week3"


def per_call(fn: object, repeat: int) -> float:
    """Seconds per call of ``fn`` (the best of three rounds of ``repeat`` calls)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(repeat):
            fn()  # type: ignore[operator]
        best = min(best, (time.perf_counter() - started) / repeat)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)
    limits = Grader()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submission"
        shutil.copytree(RELEASE, folder)
        names = sorted(p.name for p in folder.glob("*.ipynb"))
        size = sum((folder / n).stat().st_size for n in names)

        def ours() -> None:
            taken = take(
                folder,
                notebooks=names,
                max_notebook_bytes=limits.max_notebook_bytes,
                max_file_bytes=limits.max_file_bytes,
                max_total_bytes=limits.max_submission_bytes,
                max_files=limits.max_submission_files,
            )
            for name in names:
                read_notebook(name, taken.files[name], max_json_depth=limits.max_json_depth, max_cells=limits.max_cells)

        def stock() -> None:
            for name in names:
                nbformat.read(str(folder / name), as_version=nbformat.NO_CONVERT)

        def checks_only() -> None:
            for name in names:
                json_shape((folder / name).read_bytes())

        mine, theirs = per_call(ours, args.repeat), per_call(stock, args.repeat)
        scan = per_call(checks_only, args.repeat)
        print(f"submission of {len(names)} notebooks, {size / 1e3:.0f} kB:")
        print(f"  intake + checks + parse: {1e3 * mine:.2f} ms; nbformat.read alone: {1e3 * theirs:.2f} ms")
        print(f"  the bracket scan alone: {1e3 * scan:.3f} ms per submission ({1e3 * (mine - theirs):+.2f} ms overall)")

    budget = limits.max_notebook_bytes - 100
    hostile = {
        "nested 20 MB deep": b"[" * (budget // 2) + b"]" * (budget // 2),
        "6.7 million cells": b'{"cells":[' + b",".join([b"{}"] * (budget // 3)) + b"]}",
        "one 20 MB string": b'{"cells":[],"x":"' + b"\\u0041[{" * (budget // 8) + b'"}',
    }
    for label, data in hostile.items():
        started = time.perf_counter()
        try:
            read_notebook("hostile.ipynb", data, max_json_depth=limits.max_json_depth, max_cells=limits.max_cells)
            outcome = "read"
        except (OverLimit, ValueError) as exc:
            outcome = type(exc).__name__
        print(f"  hostile notebook, {label}: {outcome} in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
