"""The Jinja2 template of ``reports/ASSIGNMENT/index.html`` (a module, so that it installs with the package).

It renders the summary of :func:`autograder.reports.page.summarise` (``s``) and nothing else;
each table row carries the numbers it shows as ``data-`` attributes too.
"""

from __future__ import annotations

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ s.assignment }}: grading report</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 72em;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.summary span { display: inline-block; margin-right: 1.6em; } .summary b { font-size: 1.3em; }
.status-graded { color: #2a7a2a; } .status-other { color: #b3261e; font-weight: 600; }
.status-manual { color: #8a5a00; }
img { max-width: 100%; display: block; margin: 0.6em 0; }
.message { font-family: ui-monospace, monospace; font-size: 0.86em; }
.muted { color: #777; }
.side-by-side { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1em; }
.side-by-side pre { overflow-x: auto; background: #f8f8f8; padding: 0.5em; font-size: 0.84em; margin: 0.2em 0; }
mark { background: #ffd966; }
</style>
</head>
<body>
<h1>{{ s.assignment }}: grading report</h1>
<p class="summary">
<span><b>{{ s.submissions }}</b> submissions</span>
<span><b>{{ s.in_gradebook }}</b> in the gradebook</span>
<span>mean <b>{{ s.score_stats.mean | number }}</b> / {{ s.max_score | number }}</span>
<span>median <b>{{ s.score_stats.median | number }}</b></span>
<span><b>{{ s.attention | length }}</b> need attention</span>
</p>
<p>Exports: <a href="grades.csv">grades.csv</a> (points per task), <a href="canvas.csv">canvas.csv</a>
(for Canvas: Grades &rsaquo; Import){% if sim %} and <a href="similarity.csv">similarity.csv</a>
(similar submissions){% endif %}{% if changes %} and <a href="changes.csv">changes.csv</a>
(scores moved by changed checks){% endif %}.</p>

<h2 id="attention">Submissions that need attention</h2>
{% if s.attention %}
<table>
<tr><th>student</th><th>status</th><th>score</th><th>message</th></tr>
{% for a in s.attention %}
<tr data-attention="{{ a.student }}" data-status="{{ a.status }}">
<td>{{ a.student }}</td>
<td class="{{ 'status-manual' if a.status == 'needs manual grading' else 'status-other' }}">{{ a.status }}</td>
<td class="num">{{ a.score | number }}</td><td class="message">{{ a.message }}</td></tr>
{% endfor %}
</table>
{% else %}<p>None: every submission is fully graded.</p>{% endif %}

<h2 id="scores">Total scores</h2>
<img id="plot-scores" alt="histogram of total scores" src="{{ images.scores }}">
<table>
<tr><th>graded</th><th>mean</th><th>median</th><th>lowest</th><th>highest</th><th>out of</th></tr>
<tr data-stats="scores"><td class="num">{{ s.score_stats.count }}</td>
<td class="num">{{ s.score_stats.mean | number }}</td>
<td class="num">{{ s.score_stats.median | number }}</td><td class="num">{{ s.score_stats.min | number }}</td>
<td class="num">{{ s.score_stats.max | number }}</td><td class="num">{{ s.max_score | number }}</td></tr>
</table>
<p class="muted">Totals so far: auto-graded points plus the manual grades given; pending written answers count 0.</p>

<h2 id="tasks">Pass rate per task</h2>
<p class="muted">A submission passes a task with full marks on all its checks; submissions with a pending
manual grade in the task are left out until it is graded.</p>
<img id="plot-tasks" alt="pass rate per task" src="{{ images.tasks }}">
<table>
<tr><th>task</th><th>points</th><th>passed / graded</th><th>pass rate</th><th>pending</th></tr>
{% for t in s.tasks %}
<tr data-task="{{ t.task }}" data-passed="{{ t.passed }}" data-graded="{{ t.graded }}">
<td>{{ t.task }}</td><td class="num">{{ t.max_score | number }}</td>
<td class="num">{{ t.passed }} / {{ t.graded }}</td><td class="num">{{ t.pass_rate | percent }}</td>
<td class="num">{{ t.pending }}</td></tr>
{% endfor %}
</table>

<h2 id="checks">Pass rate per check</h2>
<img id="plot-checks" alt="pass rate per check" src="{{ images.checks }}">
<table>
<tr><th>notebook</th><th>check</th><th>task</th><th>what it checks</th><th>points</th>
<th>passed / graded</th><th>pass rate</th><th>mean points</th></tr>
{% for c in s.checks %}
<tr data-check="{{ c.key }}" data-passed="{{ c.passed }}" data-graded="{{ c.graded }}">
<td>{{ c.notebook }}</td><td><code>{{ c.grade_id }}</code></td><td>{{ c.task }}</td><td>{{ c.description }}</td>
<td class="num">{{ c.max_score | number }}</td><td class="num">{{ c.passed }} / {{ c.graded }}</td>
<td class="num">{{ c.pass_rate | percent }}</td><td class="num">{{ c.mean_score | number }}</td></tr>
{% endfor %}
</table>

<h2 id="misconceptions">Most frequent misconceptions</h2>
<p class="muted">Failure messages of the checks, grouped per check with numbers left out
(shown: the most common wording).{% if s.misconceptions_total > s.misconceptions | length %}
The {{ s.misconceptions | length }} most frequent of {{ s.misconceptions_total }}.{% endif %}</p>
{% if s.misconceptions %}
<table>
<tr><th>submissions</th><th>check</th><th>message</th><th>students</th></tr>
{% for m in s.misconceptions %}
<tr data-misconception="{{ m.check }}" data-count="{{ m.count }}">
<td class="num">{{ m.count }}</td><td><code>{{ m.check }}</code></td><td class="message">{{ m.example }}</td>
<td>{{ m.students | join(", ") }}</td></tr>
{% endfor %}
</table>
{% else %}<p>No check failed.</p>{% endif %}

{% if sim %}
<h2 id="similarity">Similar submissions</h2>
<p class="muted">Pairs whose own code in the solution cells (what is left after the released notebooks{{
" and the reference answers" if sim.settings.reference_is_boilerplate }}) is alike, by copydetect's
fingerprints: names and order do not matter. Score: the larger share of one student's own code found in the
other's; listed from {{ sim.settings.threshold | percent }} with {{ sim.settings.min_matched_tokens }} tokens
or more in common. A place to look, not a verdict; no grade depends on it. {{ sim.compared | length }}
submissions compared on {% for t in sim.tasks %}<code>{{ t.key }}</code>{{ ", " if not loop.last }}{% endfor %}.
{% if sim.left_out %}Left out, too short to tell (reference under {{ sim.min_task_tokens }} tokens):
{% for t in sim.left_out %}<code>{{ t.key }}</code>{{ ", " if not loop.last }}{% endfor %}.{% endif %}</p>
{% if sim.pairs %}
{% if sim.pairs | length > sim.settings.shown %}<p>The {{ sim.settings.shown }} highest of
{{ sim.pairs | length }} pairs (all are in similarity.csv).</p>{% endif %}
<table>
<tr><th>rank</th><th>students</th><th>score</th><th>shares</th><th>tokens in common</th><th>cells</th></tr>
{% for p in sim.pairs[:sim.settings.shown] %}
<tr data-similar-rank="{{ loop.index }}" data-similar-score="{{ '%.3f' | format(p.score) }}">
<td class="num">{{ loop.index }}</td>
<td><a href="#pair-{{ loop.index }}">{{ p.student_a }} &amp; {{ p.student_b }}</a></td>
<td class="num">{{ p.score | percent }}</td>
<td class="num">{{ p.shares[0] | percent }} / {{ p.shares[1] | percent }}</td>
<td class="num">{{ p.matched_tokens }}</td><td>{% for c in p.cells %}<code>{{ c.key }}</code>{{ ", " if not loop.last }}
{%- endfor %}</td></tr>
{% endfor %}
</table>
{% for p in sim.pairs[:sim.settings.shown] %}
<details id="pair-{{ loop.index }}"><summary>{{ loop.index }}. {{ p.student_a }} &amp; {{ p.student_b }}:
{{ p.score | percent }}</summary>
{% for c in p.cells %}
<p><code>{{ c.key }}</code></p>
<div class="side-by-side">
<div><b>{{ p.student_a }}</b><pre class="similar-code">{{ c.code_a }}</pre></div>
<div><b>{{ p.student_b }}</b><pre class="similar-code">{{ c.code_b }}</pre></div>
</div>
{% endfor %}
</details>
{% endfor %}
{% else %}<p>No pair reaches the threshold.</p>{% endif %}
{% endif %}

{% if changes %}
<h2 id="changes">Checks changed after grading</h2>
{% set last = changes[-1] %}
<p>Last on {{ last.regraded_at }}: {% for g in last.checks %}<code>{{ g }}</code>{{ ", " if not loop.last }}{% endfor %}
changed; {{ last.regraded }} submissions were graded again in those cells only (every other cell and every manual
grade kept), and {{ last.changes | map(attribute="student") | unique | list | length }} students' points moved.
{% if changes | length > 1 %}{{ changes | length - 1 }} earlier runs are in changes.csv.{% endif %}</p>
{% if last.changes %}
<table>
<tr><th>student</th><th>cell</th><th>old points</th><th>new points</th><th>out of</th><th>check</th></tr>
{% for c in last.changes %}
<tr data-changed="{{ c.student }}" data-cell="{{ c.grade_id }}">
<td>{{ c.student }}</td><td><code>{{ c.notebook }}/{{ c.grade_id }}</code></td>
<td class="num">{{ c.old_points | number }}</td><td class="num">{{ c.new_points | number }}</td>
<td class="num">{{ c.max_points | number }}</td>
<td><code>{{ c.old_check or "?" }}</code> &rarr; <code>{{ c.new_check }}</code></td>
</tr>
{% endfor %}
</table>
{% else %}<p>No score moved.</p>{% endif %}
{% endif %}

<h2 id="timing">Grading time</h2>
<img id="plot-seconds" alt="histogram of grading times" src="{{ images.seconds }}">
<table>
<tr><th>submissions timed</th><th>total</th><th>mean</th><th>median</th><th>fastest</th><th>slowest</th></tr>
<tr data-stats="seconds"><td class="num">{{ s.seconds_stats.count }}</td>
<td class="num">{{ s.seconds_stats.total | number }} s</td><td class="num">{{ s.seconds_stats.mean | number }} s</td>
<td class="num">{{ s.seconds_stats.median | number }} s</td><td class="num">{{ s.seconds_stats.min | number }} s</td>
<td class="num">{{ s.seconds_stats.max | number }} s</td></tr>
</table>

<h2 id="students">Students</h2>
<table>
<tr><th>student</th><th>status</th><th>late penalty</th><th>score</th><th>feedback</th></tr>
{% for student, status in s.statuses | dictsort %}
<tr data-student="{{ student }}" data-score="{{ s.scores.get(student) | number }}">
<td>{{ student }}</td>
<td class="{{ 'status-graded' if status == 'graded' else 'status-manual' if status == 'needs manual grading'
              else 'status-other' }}">{{ status }}</td>
<td class="num late">{{ ("-" ~ (s.late_penalties[student] | number)) if student in s.late_penalties else "" }}</td>
<td class="num">{{ s.scores.get(student) | number }}</td>
<td>{% for name, href in links.get(student, []) -%}
<a href="{{ href }}">{{ name }}</a>{{ ", " if not loop.last }}
{%- endfor %}</td>
</tr>
{% endfor %}
</table>

<script type="application/json" id="report-data">
{{ data }}
</script>
</body>
</html>
"""
