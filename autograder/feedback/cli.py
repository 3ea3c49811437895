"""``autograder feedback``: serve (grade on submit), extend (a student's deadline), status (the attempts).

A thin layer over :class:`~autograder.feedback.service.FeedbackServer`: under JupyterHub (its
``JUPYTERHUB_SERVICE_URL`` set) ``serve`` also serves the status page; without a hub it grades and logs.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from autograder.course import Course
from autograder.errors import AutograderError

log = logging.getLogger(__name__)
DEFAULT_EXCHANGE = "/srv/nbgrader/exchange"
"""nbgrader's own default ``c.Exchange.root``."""


def add_parser(commands: Any) -> None:
    """The ``feedback`` command and its subcommands, on the ``autograder`` parser's subparsers."""
    feedback = commands.add_parser("feedback", help="grade each submission of nbgrader's exchange as it arrives")
    actions = feedback.add_subparsers(dest="action", required=True, metavar="ACTION")
    serve = actions.add_parser("serve", help="grade new submissions of the exchange until stopped")
    serve.add_argument("--exchange", type=Path, default=None, help="the exchange root (default c.Exchange.root)")
    serve.add_argument("--scheduler", default=None, metavar="ADDRESS", help="grade on a Dask cluster (tcp://HOST:PORT)")
    serve.add_argument("--no-sandbox", action="store_true", help="run student code without the sandbox (unsafe)")
    extend = actions.add_parser("extend", help="give a student more time (nbgrader's Gradebook.grant_extension)")
    extend.add_argument("assignment")
    extend.add_argument("student")
    extend.add_argument("--minutes", type=float, required=True, help="the extension in minutes (0 removes it)")
    actions.add_parser("status", help="every attempt and its state")


def exchange_root(course: Course, given: Path | None) -> Path:
    if given is not None:
        return given.resolve()
    return Path(str(course.config.Exchange.get("root", DEFAULT_EXCHANGE)))


def run(course: Course, args: argparse.Namespace) -> int:
    if args.action == "extend":
        from autograder.feedback.limits import grant_extension

        grant_extension(course, args.assignment, args.student, args.minutes)
        print(f"{args.student} has {args.minutes:g} more minutes on {args.assignment} (in {course.gradebook_url()})")
        return 0
    if args.action == "status":
        from autograder.feedback.attempts import Store
        from autograder.feedback.config import FeedbackService
        from autograder.feedback.status import attempt_summary

        store = Store(course.root / FeedbackService(config=course.config).state_dir)
        for attempt in store.all():
            print(attempt_summary(attempt))
        return 0
    return serve(course, exchange_root(course, args.exchange), args.scheduler, False if args.no_sandbox else None)


def serve(course: Course, exchange: Path, scheduler: str | None, sandbox: bool | None) -> int:
    """Grade until SIGTERM or Ctrl-C; under a hub, the status page in this thread and grading in another."""
    import os

    from tornado.ioloop import IOLoop

    from autograder.feedback.service import FeedbackServer

    server = FeedbackServer(course, exchange, scheduler=scheduler, sandbox=sandbox)
    loop = IOLoop.current()
    failed: list[BaseException] = []

    def halt() -> None:
        server.stopping.set()
        loop.add_callback(loop.stop)

    def grade() -> None:
        try:
            with server:
                log.warning("feedback: grading new submissions of %s", server.inbound)
                server.run()
        except BaseException as exc:
            failed.append(exc)
        finally:
            halt()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        halt()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    grader = threading.Thread(target=grade, name="feedback-grader")
    grader.start()
    if os.environ.get("JUPYTERHUB_SERVICE_URL"):
        from autograder.feedback.status import listen

        listen(server.store, server.service.detail)
    loop.start()
    grader.join()
    if failed:
        raise AutograderError(f"the feedback service stopped: {failed[0]}") from failed[0]
    return 0
