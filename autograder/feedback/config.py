"""The instructor's limits on grading while the lab runs: ``c.FeedbackService`` in ``nbgrader_config.py``.

For example::

    c.FeedbackService.detail = "checks"        # what a student's feedback shows: none, score, checks, full
    c.FeedbackService.attempts = 3             # attempts graded per student in any window of ...
    c.FeedbackService.window_minutes = 10      # ... ten minutes
    c.FeedbackService.cooldown_seconds = 30    # and at least 30 s between two of one student's gradings
    c.FeedbackService.deadline = "2026-12-10 17:00"   # local time; empty: the gradebook's due date, if any
"""

from __future__ import annotations

from datetime import datetime

from traitlets import Bool, Enum, Float, Int, List, Unicode
from traitlets.config import Configurable

DETAILS = ("none", "score", "checks", "full")


class FeedbackService(Configurable):
    """Grading on submit: what feedback shows, how often a student may be graded, until when."""

    detail = Enum(
        DETAILS,
        default_value="checks",
        help="What a student's on-submit feedback shows: 'none' (that it was graded), 'score' (the auto-graded "
        "total), 'checks' (each check's points and the grader's message, misconceptions included, never a hidden "
        "test), 'full' (nbgrader's feedback page of the notebooks, hidden tests hidden).",
    ).tag(config=True)
    attempts = Int(
        3, help="Attempts of one student graded in any window of c.FeedbackService.window_minutes; 0: no limit."
    ).tag(config=True)
    window_minutes = Float(10.0, help="The length of the window that c.FeedbackService.attempts counts in.").tag(
        config=True
    )
    cooldown_seconds = Float(
        0.0, help="At least this many seconds between the starts of two gradings of one student's attempts."
    ).tag(config=True)
    deadline = Unicode(
        "",
        help="When the assignment is due, local time ('2026-12-10 17:00'); empty: the gradebook's due date "
        "(nbgrader's duedate), or none. A student's extension (autograder feedback extend) moves it for them.",
    ).tag(config=True)
    stop_at_deadline = Bool(
        True, help="No on-submit grading of an attempt made after the (extended) deadline: it is kept, not graded."
    ).tag(config=True)
    owners_only = Bool(
        True,
        help="Grade a submission folder only if the Unix account it names made it (as collect does here); "
        "others are logged and never graded.",
    ).tag(config=True)
    poll_seconds = Float(0.5, help="How often the exchange's inbound folder is looked at, in seconds.").tag(config=True)
    assignments = List(
        Unicode(), default_value=[], help="The assignments graded on submit; empty: every released assignment."
    ).tag(config=True)
    state_dir = Unicode(
        ".autograder/feedback",
        help="The service's own folder, relative to the course root: the attempts' state, the private copy of "
        "the course it grades in, the on-submit secret. Only its owner can read it.",
    ).tag(config=True)
    workers = Int(0, help="Notebooks graded at once; 0: c.Grader.workers.").tag(config=True)

    def deadline_time(self) -> datetime | None:
        """:attr:`deadline` as a naive local time, or None."""
        return datetime.fromisoformat(self.deadline) if self.deadline.strip() else None
