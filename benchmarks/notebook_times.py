"""Print how long each instructor notebook takes to run top to bottom in a fresh kernel.

Usage: ``make bench-notebooks`` (or ``python benchmarks/notebook_times.py [REPEATS]``).
The goal is under 10 s per notebook on the course's 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 10.0


def run_once(path: Path, workdir: Path) -> float:
    nb = nbformat.read(str(path), as_version=4)
    km = KernelManager(kernel_name="python3", transport="ipc")
    km.ip = str(workdir / "kernel-ipc")
    started = time.perf_counter()
    try:
        NotebookClient(nb, km=km, timeout=120, resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="How long each instructor notebook takes in a fresh kernel.")
    parser.add_argument("repeats", nargs="?", type=int, default=3, help="runs per notebook (default 3)")
    repeats = parser.parse_args(argv).repeats
    print(f"{'notebook':<28} {'median s':>9} {'max s':>7}  (kernel start included, {repeats} runs)")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted((ROOT / "source" / "week3").glob("*.ipynb")):
            times = [run_once(path, Path(tmp)) for _ in range(repeats)]
            worst = max(worst, max(times))
            print(f"{path.name:<28} {statistics.median(times):>9.2f} {max(times):>7.2f}")
    verdict = "met" if worst < GOAL_SECONDS else "MISSED"
    print(f"slowest run: {worst:.2f} s (goal: under {GOAL_SECONDS:.0f} s) -> {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
