"""The HTML the service writes: a feedback page per notebook of an attempt, and the status page.

Everything a student wrote or a check said is escaped (after :func:`~autograder.reports.sanitize.visible`),
and every page carries the reports' Content-Security-Policy (:func:`~autograder.reports.sanitize.with_csp`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from html import escape

from autograder.feedback.attempts import Attempt, State
from autograder.reports.sanitize import visible, with_csp

STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}"
    ".failed{color:#a00}.note{color:#555}"
)


def text(value: object) -> str:
    """Any value, shown inert: invisible characters as U+FFFD, markup escaped."""
    return escape(visible(str(value)), quote=True)


def document(title: str, body: str) -> str:
    return with_csp(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{text(title)}</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


def clock(moment: float | None, *, seconds: bool = False) -> str:
    """A local time of day, ``HH:MM`` (``HH:MM:SS``)."""
    if moment is None:
        return ""
    return time.strftime("%H:%M:%S" if seconds else "%H:%M", time.localtime(moment))


def score_text(attempt: Attempt) -> str:
    if attempt.score is None or attempt.max_score is None:
        return ""
    return f"{attempt.score:g} / {attempt.max_score:g}"


def feedback_page(attempt: Attempt, notebook: str, detail: str) -> str:
    """The on-submit feedback of one notebook of ``attempt`` at ``detail`` (none, score, checks)."""
    title = f"Feedback on {attempt.assignment}/{notebook}, submitted {attempt.timestamp}"
    parts = [f"<h1>{text(title)}</h1>", "<p class='note'>Graded on submit (not your final grade).</p>"]
    if attempt.status not in ("graded", "needs manual grading") and attempt.message:
        parts.append(f"<p class='failed'><strong>Not graded: {text(attempt.message)}</strong></p>")
    elif attempt.message:
        parts.append(f"<p class='note'>{text(attempt.message)}</p>")
    if detail in ("score", "checks", "full"):
        parts.append(f"<p>Score of the auto-graded checks, all notebooks: <strong>{text(score_text(attempt))}"
                     "</strong></p>")  # fmt: skip
    if detail in ("checks", "full"):
        parts.append(checks_table([c for c in attempt.checks if c.get("notebook") == notebook]))
    return document(title, "\n".join(parts))


def checks_table(checks: list[dict[str, object]]) -> str:
    if not checks:
        return "<p class='note'>No checks of this notebook were run.</p>"
    rows = []
    for check in checks:
        score, most = check.get("score"), check.get("max_score")
        shown = "pending (graded by hand)" if score is None else f"{score:g} / {most:g}"
        said = " ".join(str(check.get(k) or "") for k in ("misconception", "message") if check.get(k))
        failed = score is not None and most is not None and score < most  # type: ignore[operator]
        rows.append(f"<tr class='{'failed' if failed else ''}'><td>{text(check.get('grade_id', ''))}</td>"
                    f"<td>{text(shown)}</td><td>{text(said)}</td></tr>")  # fmt: skip
    return "<table><tr><th>check</th><th>points</th><th>what the grader said</th></tr>" + "".join(rows) + "</table>"


def state_text(attempt: Attempt, now: float) -> str:
    """What the status page says of an attempt's state."""
    if attempt.state is State.QUEUED and attempt.not_before is not None and attempt.not_before > now:
        return f"waiting until {clock(attempt.not_before)}"
    if attempt.state is State.GRADED and attempt.status not in ("graded", "needs manual grading"):
        return f"graded: {attempt.status}"
    return str(attempt.state.value)


def attempts_table(attempts: Iterable[Attempt], detail: str, link: str, now: float, *, who: bool) -> str:
    """One row per attempt; ``link``: the URL prefix of the feedback pages; ``who``: a column of students."""
    rows = []
    for attempt in attempts:
        cells = [text(attempt.student)] if who else []
        cells += [text(clock(attempt.submitted, seconds=True)), text(state_text(attempt, now))]
        cells.append(text(score_text(attempt)) if detail != "none" else "")
        cells.append(text(attempt.message))
        pages = [
            f"<a href='{text(link)}{text(attempt.student)}/{attempt.key}/{text(name)}'>{text(name)}</a>"
            for name in attempt.notebooks
        ]
        cells.append(" ".join(pages))
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = (["student"] if who else []) + ["submitted", "state", "score", "note", "feedback"]
    return "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>"
