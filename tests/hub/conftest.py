"""One hub for the tests of this folder: real Unix accounts, the hub laid out in a temporary folder, JupyterHub.

The accounts are made (or reset, with empty homes) when the first test needs them and deleted, homes and all,
after the last; the hub's folder is removed. Everything JupyterHub starts (the proxy, each person's server and
kernels) must be gone when it stops. The tests need root (accounts, PAM, ``runuser``), as ``make hub`` does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext

from hub import accounts, deploy, server
from hub.accounts import Account
from hub.deploy import Deployment
from tests.servers import family, kill_left

INSTRUCTOR = "hubteacher"
STUDENTS = ("hubana", "hubben", "hubcai", "hubdan", "hubeve", "hubfay")
"""Names of their own, so that the tests never reset the accounts of a hub someone runs with ``make hub``."""


def by_name(deployment: Deployment, name: str) -> Account:
    return next(a for a in deployment.accounts if a.name == name)


@pytest.fixture(scope="package")
def deployment() -> Iterator[Deployment]:
    if os.geteuid() != 0:
        pytest.fail("the hub tests need root (Unix accounts, PAM, runuser), as `make hub` does")
    people = accounts.sample_accounts(INSTRUCTOR, list(STUDENTS))
    root = Path(tempfile.mkdtemp(prefix="hub-"))
    try:
        for person in people:
            accounts.ensure(person, fresh_home=True)
        deployment = deploy.deploy(root, people)
        try:
            yield deployment
        finally:
            deployment.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
        for person in people:
            accounts.remove(person.name)


@pytest.fixture(scope="package")
def hub(deployment: Deployment) -> Iterator[server.Hub]:
    """JupyterHub on 127.0.0.1; afterwards none of its processes (proxy, servers, kernels) is left."""
    started = server.start(deployment)
    try:
        yield started
    finally:
        tree = family([started.process.pid])
        started.stop()
        left = kill_left(tree)
    assert started.process.returncode is not None
    assert not left, f"processes of the hub left running: {[(p.pid, p.cmdline) for p in left]}"


# The browser of tests/browser (Debian's Chromium, loopback only), for the term in the browser.
from tests.browser.conftest import browser  # noqa: E402, F401


@pytest.fixture
def session(browser: Browser) -> Iterator[BrowserContext]:  # noqa: F811 (the fixture imported above)
    """A fresh browser context (no cookies: nobody logged in) for one test, closed after it."""
    from tests.browser.conftest import PAGE_TIMEOUT_MS, VIEWPORT

    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()
