"""The status page behind the hub's login, as JupyterHub's ``examples/custom-scopes/grades.py``.

``GET PREFIX`` shows the logged-in person's own attempts (time, state, score at the configured detail, links to
the feedback); a person with the scope :data:`READ_ALL` (the instructor) sees everyone's and the queue.
``GET PREFIX/student/NAME`` is NAME's page: 403 for anyone else without :data:`READ_ALL`; so is each feedback
page under it. Every page is escaped and sent with a strict Content-Security-Policy header.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

from tornado.web import Application, HTTPError, RequestHandler, authenticated

from autograder.feedback import pages
from autograder.feedback.attempts import Attempt, State, Store
from autograder.reports.sanitize import CSP

READ_ALL = "custom:feedback:read-all"
"""The custom scope of the people who see every student's attempts (the hub gives it to the instructor)."""
KEY = re.compile(r"[0-9a-f]{32}")
NOTEBOOK = re.compile(r"[^/]+")


def hub_base() -> type:
    """JupyterHub's ``HubOAuthenticated`` (the service runs under a hub) as a base class."""
    from jupyterhub.services.auth import HubOAuthenticated

    return HubOAuthenticated  # type: ignore[no-any-return]


class Page(hub_base(), RequestHandler):  # type: ignore[misc]
    """A page of the status site: the store, and who may see what."""

    def initialize(self, store: Store, detail: str, prefix: str) -> None:
        self.store, self.detail, self.prefix = store, detail, prefix

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")

    @property
    def name(self) -> str:
        return str(self.current_user["name"])

    @property
    def sees_all(self) -> bool:
        return READ_ALL in self.current_user.get("scopes", [])

    def may_see(self, student: str) -> None:
        if student != self.name and not self.sees_all:
            raise HTTPError(403, "this is another student's page")

    def show(self, title: str, body: str) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(pages.document(title, f"<h1>{pages.text(title)}</h1>{body}"))


class Home(Page):
    @authenticated
    def get(self) -> None:
        if not self.sees_all:
            self.redirect(f"{self.prefix}student/{self.name}")
            return
        now, attempts = time.time(), self.store.all()
        queue = [a for a in attempts if a.state in (State.QUEUED, State.GRADING)]
        body = (
            f"<h2>Queue ({len(queue)})</h2>"
            + pages.attempts_table(queue, "score", self.link, now, who=True)
            + f"<h2>Every attempt ({len(attempts)})</h2>"
            + pages.attempts_table(attempts[::-1], "checks", self.link, now, who=True)
        )
        self.show("Feedback during the lab: every student", body)

    @property
    def link(self) -> str:
        return f"{self.prefix}student/"


class StudentPage(Page):
    @authenticated
    def get(self, student: str) -> None:
        self.may_see(student)
        attempts = self.store.of(student)[::-1]
        body = f"<p>Signed in as {pages.text(self.name)}.</p>" + pages.attempts_table(
            attempts, self.detail, f"{self.prefix}student/", time.time(), who=False
        )
        self.show(f"Your attempts, {student}" if student == self.name else f"Attempts of {student}", body)


class FeedbackFile(Page):
    @authenticated
    def get(self, student: str, key: str, notebook: str) -> None:
        self.may_see(student)
        attempt = next((a for a in self.store.of(student) if a.key == key), None)
        if attempt is None or notebook not in attempt.notebooks:
            raise HTTPError(404)
        path = self.store.folder.parent / "pages" / key / f"{notebook}.html"
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(path.read_bytes())


def application(store: Store, detail: str, prefix: str) -> Application:
    """The status site under ``prefix`` (the service's ``JUPYTERHUB_SERVICE_PREFIX``)."""
    from jupyterhub.services.auth import HubOAuthCallbackHandler

    args: dict[str, Any] = {"store": store, "detail": detail, "prefix": prefix}
    routes: list[tuple[str, type, dict[str, Any]] | tuple[str, type]] = [
        (prefix, Home, args),
        (prefix + r"student/([^/]+)", StudentPage, args),
        (prefix + r"student/([^/]+)/([0-9a-f]{32})/([^/]+)", FeedbackFile, args),
        (prefix + "oauth_callback", HubOAuthCallbackHandler),
    ]
    return Application(routes, cookie_secret=os.urandom(32), login_url=prefix + "oauth_callback")


def listen(store: Store, detail: str) -> None:
    """Listen where the hub says (``JUPYTERHUB_SERVICE_URL``); the caller runs the IOLoop."""
    from urllib.parse import urlparse

    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    application(store, detail, prefix).listen(url.port or 80, url.hostname or "127.0.0.1", xheaders=True)


def attempt_summary(attempt: Attempt) -> str:
    """One line for the command line's status."""
    when, state = pages.clock(attempt.submitted, seconds=True), pages.state_text(attempt, time.time())
    return f"{attempt.student:12} {when}  {state:28} {pages.score_text(attempt):10} {attempt.message}"
