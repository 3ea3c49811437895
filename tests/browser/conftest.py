"""Fixtures of the browser tests: Debian's Chromium through Playwright, one page per test.

Each test module starts its own JupyterLab (see ``lab.py``); the browser is
shared by the tests of this folder (they are in one xdist group). Every request
the pages make must go to 127.0.0.1, and every process started here must be
gone when its fixture ends.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
from playwright.sync_api import Browser, Page, Request, expect, sync_playwright

from tests.browser.ui import ARTIFACTS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # as root; the tests only load pages from their own server
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # nothing but loopback resolves
]
VIEWPORT = {"width": 1400, "height": 1000}
PAGE_TIMEOUT_MS = 60_000

expect.set_options(timeout=PAGE_TIMEOUT_MS)  # the other test worker may be grading: be patient

_failed = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    if report.failed:
        item.stash[_failed] = True
    return report


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """``test-artifacts/browser/``: screenshots to look at after the run (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless Chromium, closed (with Playwright's driver) after the last test here; no process may survive.

    Package scope, not session: while Playwright's sync API runs, the thread has an event loop, and a later
    test elsewhere that starts its own ``sync_playwright()`` in this worker would fail.
    """
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        pytest.fail(f"no Chromium at {CHROMIUM}: `make system-deps` installs Debian's (or set CHROMIUM)")
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except BaseException:
        playwright.stop()
        raise
    started = [p for p in me.children(recursive=True) if p.pid not in before]
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()
        _, alive = psutil.wait_procs(started, timeout=10)
        for proc in alive:
            proc.kill()
    assert not alive, f"browser processes left running: {[p.pid for p in alive]}"


@pytest.fixture
def page(browser: Browser, artifacts: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new browser context and page; a screenshot if the test fails; only loopback requests allowed."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    elsewhere: list[str] = []

    def check_host(req: Request) -> None:
        parts = urlsplit(req.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1":
            elsewhere.append(req.url)

    context.on("request", check_host)
    page = context.new_page()
    try:
        yield page
        assert elsewhere == [], "the page made requests beyond 127.0.0.1"
    finally:
        if request.node.stash.get(_failed, False):
            name = request.node.name.replace("/", "_")
            page.screenshot(path=artifacts / f"FAILED-{name}.png", full_page=True)
        context.close()
