"""``reports/ASSIGNMENT/index.html``: the one page an instructor opens after grading.

Every number on the page is computed once, by :func:`summarise`, from the
:class:`~autograder.reports.model.Cohort` (the gradebook's scores, the records' statuses,
messages and times). The page renders that summary and also embeds it, as JSON in
``<script type="application/json" id="report-data">``, so tests and tools can check
the page against the gradebook. Plots are matplotlib PNGs embedded as base64.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import math
import os
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from autograder.engine.regrade import ChangeRun
from autograder.engine.results import Status
from autograder.reports.feedback import FeedbackOutcome
from autograder.reports.model import Cohort, Submission, passed
from autograder.reports.page_template import TEMPLATE
from autograder.reports.sanitize import CSP_META, visible_markup
from autograder.reports.similarity import SimilarityReport

# Failure messages are grouped after replacing each number with "#" (a run of numbers,
# as in a printed list, becomes "#, …"), so "it was 1.4628" and "it was 1.5" count as one
# misconception. Numbers inside names (float64, m1, 3x) are kept.
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?!\w)")
NUMBER_RUN = re.compile(r"#(?:, #)+")
TOP_MISCONCEPTIONS = 15


def message_pattern(message: str) -> str:
    return NUMBER_RUN.sub("#, …", NUMBER.sub("#", message.strip()))


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def stats(values: Sequence[float]) -> dict[str, float | int | None]:
    if not values:
        return {"count": 0, "mean": None, "median": None, "min": None, "max": None, "total": 0}
    return {
        "count": len(values),
        "mean": round(statistics.fmean(values), 3),
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "total": round(sum(values), 3),
    }


def histogram(values: Sequence[float], low: float, high: float, bins: int) -> dict[str, list[float] | list[int]]:
    """Counts in ``bins`` equal bins from ``low`` to ``high``, the last one closed."""
    width = (high - low) / bins if high > low else 1.0
    counts = [0] * bins
    for v in values:
        counts[min(max(int((v - low) // width), 0), bins - 1)] += 1
    return {"edges": [round(low + i * width, 3) for i in range(bins + 1)], "counts": counts}


def check_rows(cohort: Cohort, graded: list[Submission]) -> list[dict[str, Any]]:
    """One row per check: how many of the ``graded`` submissions it scored, passed, and their mean score."""
    rows = []
    for c in cohort.checks:
        scored = [s.scores.get(c.key) for s in graded if s.scores.get(c.key) is not None]
        n_pass = sum(1 for s in graded if passed(s.scores.get(c.key), cohort.checks, c.key))
        rows.append(
            {
                "key": c.key,
                "notebook": c.notebook,
                "grade_id": c.grade_id,
                "task": c.task,
                "auto": c.auto,
                "description": c.description,
                "max_score": c.max_score,
                "graded": len(scored),
                "pending": len(graded) - len(scored),
                "passed": n_pass,
                "pass_rate": rate(n_pass, len(scored)),
                "mean_score": round(statistics.fmean(v for v in scored if v is not None), 3) if scored else None,
            }
        )
    return rows


def task_rows(cohort: Cohort, graded: list[Submission]) -> list[dict[str, Any]]:
    """One row per task: the ``graded`` submissions with every check of it scored, and those that passed them all."""
    rows = []
    for task in cohort.tasks():
        keys = [c.key for c in cohort.task_checks(task)]
        complete = [s for s in graded if all(s.scores.get(k) is not None for k in keys)]
        n_pass = sum(1 for s in complete if all(passed(s.scores.get(k), cohort.checks, k) for k in keys))
        max_points = sum(c.max_score for c in cohort.task_checks(task))
        rows.append(
            {
                "task": task,
                "checks": keys,
                "max_score": max_points,
                "graded": len(complete),
                "pending": len(graded) - len(complete),
                "passed": n_pass,
                "pass_rate": rate(n_pass, len(complete)),
            }
        )
    return rows


def misconception_rows(graded: list[Submission]) -> list[dict[str, Any]]:
    """The failure messages of the ``graded`` submissions, grouped by check and pattern, the commonest first."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for s in graded:
        for key, message in s.messages.items():
            groups[(key, message_pattern(message))].append((s.student, message))
    rows: list[dict[str, Any]] = [
        {
            "check": key,
            "pattern": pattern,
            "example": Counter(m for _, m in found).most_common(1)[0][0],
            "count": len(found),
            "students": sorted(student for student, _ in found),
        }
        for (key, pattern), found in groups.items()
    ]
    rows.sort(key=lambda m: (-len(m["students"]), str(m["check"]), str(m["pattern"])))
    return rows


def summarise(cohort: Cohort) -> dict[str, Any]:
    """All the numbers of the page, as plain data. Scores are final scores, after any late penalty."""
    graded = [s for s in cohort.submissions if s.in_gradebook]
    totals = [s.score for s in graded if s.score is not None]
    misconceptions = misconception_rows(graded)
    attention = [
        {"student": s.student, "status": s.status, "score": s.score, "message": s.message}
        for s in cohort.submissions
        if s.status != Status.GRADED.value
    ]
    seconds = [s.seconds for s in cohort.submissions if s.seconds is not None]
    bins = max(1, min(math.ceil(cohort.max_score), 20))
    time_bins = max(1, min(len(seconds), 10))
    return {
        "assignment": cohort.assignment,
        "max_score": cohort.max_score,
        "submissions": len(cohort.submissions),
        "in_gradebook": len(graded),
        "scores": {s.student: s.score for s in graded},
        "late_penalties": {s.student: round(s.late_penalty, 3) for s in graded if s.late_penalty},
        "statuses": {s.student: s.status for s in cohort.submissions},
        "score_stats": stats(totals),
        "score_histogram": histogram(totals, 0.0, cohort.max_score, bins),
        "tasks": task_rows(cohort, graded),
        "checks": check_rows(cohort, graded),
        "misconceptions": misconceptions[:TOP_MISCONCEPTIONS],
        "misconceptions_total": len(misconceptions),
        "attention": attention,
        "seconds": {s.student: round(s.seconds, 3) for s in cohort.submissions if s.seconds is not None},
        "seconds_stats": stats(seconds),
        "seconds_histogram": histogram(seconds, min(seconds, default=0), max(seconds, default=1), time_bins),
    }


def png(fig: Figure) -> str:
    """The figure as a base64 PNG data URL."""
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram_plot(hist: dict[str, Any], xlabel: str, title: str) -> str:
    fig = Figure(figsize=(6.4, 2.8))
    ax = fig.add_subplot()
    edges, counts = hist["edges"], hist["counts"]
    ax.bar(edges[:-1], counts, width=[b - a for a, b in itertools.pairwise(edges)], align="edge")
    ax.set(xlabel=xlabel, ylabel="submissions", title=title)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return png(fig)


def rate_plot(rows: list[dict[str, Any]], label: str, title: str) -> str:
    """Horizontal bars of ``pass_rate``, each annotated "passed/graded" (or "pending")."""
    fig = Figure(figsize=(6.4, 0.7 + 0.28 * len(rows)))
    ax = fig.add_subplot()
    rates = [r["pass_rate"] for r in rows]
    ax.barh(range(len(rows)), [100 * r if r is not None else 0 for r in rates], color="#4a7")
    for y, r in enumerate(rows):
        note = f"{r['passed']}/{r['graded']}" if r["graded"] else "pending"
        ax.text(100 * (r["pass_rate"] or 0) + 1, y, note, va="center", fontsize=7, color="#444")
    ax.set_yticks(range(len(rows)), [r[label] for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set(xlim=(0, 112), xlabel="% of graded submissions with full marks", title=title)
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    return png(fig)


def plots(summary: dict[str, Any]) -> dict[str, str]:
    tasks, checks = summary["tasks"], summary["checks"]
    return {
        "scores": histogram_plot(
            summary["score_histogram"], f"total score (out of {summary['max_score']:g})", "Total scores"
        ),
        "tasks": rate_plot(tasks, "task", "Pass rate per task"),
        "checks": rate_plot(checks, "grade_id", "Pass rate per check"),
        "seconds": histogram_plot(summary["seconds_histogram"], "seconds per submission", "Grading time"),
    }


def json_for_html(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element."""
    return json.dumps(data, indent=1, sort_keys=True).replace("</", "<\\/")


NO_VALUE = "\N{EN DASH}"


def number(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value:g}"


def percent(value: float | None) -> str:
    return NO_VALUE if value is None else f"{100 * value:.0f}%"


def render(
    summary: dict[str, Any],
    feedback_links: dict[str, list[tuple[str, str]]],
    images: dict[str, str],
    similar: SimilarityReport | None = None,
    changes: Sequence[ChangeRun] = (),
) -> str:
    """The page; ``similar`` adds the section on similar submissions (its code is already escaped markup),
    ``changes`` the one on scores that changed checks moved (the change log's runs, oldest first)."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, finalize=visible_markup)
    env.filters["number"] = number
    env.filters["percent"] = percent
    page = env.from_string(TEMPLATE)
    data = Markup(json_for_html(summary))
    html = page.render(s=summary, links=feedback_links, images=images, sim=similar, changes=changes, data=data)
    return html.replace("<head>", "<head>\n" + CSP_META, 1)  # first in <head>: it covers all that follows


def write_index(
    cohort: Cohort,
    path: Path,
    outcomes: Sequence[FeedbackOutcome],
    similar: SimilarityReport | None = None,
    changes: Sequence[ChangeRun] = (),
) -> Path:
    """Write the report page (atomically) and return its path; with ``similar``, its section and JSON too, and
    with ``changes``, the section on changed checks."""
    summary = summarise(cohort)
    links = {o.student: [(p.stem, os.path.relpath(p, path.parent)) for p in o.pages] for o in outcomes if o.pages}
    images = plots(summary)
    if similar is not None:
        summary["similarity"] = similar.summary()
    html = render(summary, links, images, similar, changes)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
