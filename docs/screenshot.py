"""Take the screenshot of the cohort report that the README and the reports page show.

Grades the sample cohort of ``make demo`` in a temporary copy of the course, writes the reports, and has
Debian's Chromium (through Playwright, as ``tests/browser`` does) take the top of ``reports/week3/index.html``.
Run it by hand when the page changes: ``.venv/bin/python docs/screenshot.py``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "_static" / "cohort-report.png"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def graded_report(workdir: Path) -> Path:
    """The cohort report of the sample cohort, graded in a copy of the course in ``workdir``."""
    from autograder.cli import main
    from autograder.samples import build_cohort
    from demo.cohort import SAMPLE_COHORT, SIMILARITY_PAIRS

    shutil.copy(ROOT / "nbgrader_config.py", workdir / "nbgrader_config.py")
    shutil.copytree(ROOT / "source", workdir / "source")
    for argv in (["release", "week3"], None, ["grade", "week3"], ["report", "week3"]):
        if argv is None:
            build_cohort(SAMPLE_COHORT + SIMILARITY_PAIRS, course_root=workdir, assignment="week3")
        elif main(["--course", str(workdir), *argv]):
            raise SystemExit(f"autograder {' '.join(argv)} failed")
    return workdir / "reports" / "week3" / "index.html"


def screenshot(page_path: Path, target: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(page_path.as_uri())
            page.screenshot(path=str(target))
        finally:
            browser.close()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        screenshot(graded_report(Path(tmp)), TARGET)
    print(TARGET)
