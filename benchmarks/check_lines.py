"""How many lines an assignment's checks cost per auto-graded cell (misconception messages and known mistakes included).

    python benchmarks/check_lines.py [solutions/week3_checks]

Counts every line (as ``wc -l``) of the checks package's modules and divides by
the number of declarations in its ``CHECKS``, one per auto-graded test cell.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def line_counts(package: Path) -> dict[str, int]:
    """Each module of ``package`` and its number of lines."""
    return {path.name: len(path.read_text().splitlines()) for path in sorted(package.glob("*.py"))}


def cells(package: Path) -> int:
    """The number of auto-graded cells ``package`` declares checks for (its ``CHECKS``)."""
    sys.path.insert(0, str(ROOT))
    return len(importlib.import_module(".".join(package.resolve().relative_to(ROOT).parts)).CHECKS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lines of an assignment's checks per auto-graded cell.")
    parser.add_argument("package", nargs="?", type=Path, default=ROOT / "solutions" / "week3_checks",
                        help="the checks package (default solutions/week3_checks)")  # fmt: skip
    package = parser.parse_args(argv).package
    if not (package / "__init__.py").is_file():
        parser.error(f"{package} is not a checks package (no __init__.py)")
    counts, count = line_counts(package), cells(package)
    for name, lines in counts.items():
        print(f"{name:24} {lines:5}")
    total = sum(counts.values())
    print(f"{'total':24} {total:5} lines for {count} auto-graded cells: {total / count:.1f} a cell")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
