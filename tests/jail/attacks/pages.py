"""Attacks on the instructor: student content meant to run in the pages and spreadsheets the instructor opens.

Under stock nbgrader a written answer or a displayed output with a script runs in the formgrader
as the logged-in instructor (who can then be made to write files through the Jupyter API), and a
student id or message that starts with ``=`` runs as a formula in the spreadsheet the grades are
opened in. Here the grade is unchanged (only rendering is cleaned): ``tests/jail/test_attacks.py``
also renders each of these students' graded notebooks as the formgrader does with the course's
sanitizer and requires no executable markup, and writes ``grades.csv`` and requires no formula;
``tests/browser/test_hostile_content.py`` proves in Chromium that such payloads run nothing.
"""

from __future__ import annotations

from autograder.engine.results import Status
from tests.jail.attacks.answers import REFERENCE
from tests.jail.attacks.model import T1, T2, Attack, Submission, appended, merged

CANARY = "window.__pwned=1;fetch('/api/contents/pwned.txt',{method:'PUT',body:'{}'})"
PAYLOADS = "\n\n".join(
    [
        f"<script>{CANARY}</script>",
        f'<img src="x" onerror="{CANARY}">',
        f'<svg onload="{CANARY}"><script>{CANARY}</script></svg>',
        f'<a href="javascript:{CANARY}">see my working</a>',
        f'<iframe srcdoc="<script>{CANARY}</script>"></iframe>',
        f"<scr<script>ipt>{CANARY}</scr</script>ipt>",
        '<form action="/api/contents"><button>Save grade</button></form>',
    ]
)
WRITTEN = {"task1b_answer": T1, "task1e_answer": T1, "task2d_answer": T2, "task2e_answer": T2}
"""The written (manually graded) answers of week3, by grade id."""

DISPLAYS = f"""
from IPython.display import HTML, SVG, Javascript, Markdown, display

display(HTML({PAYLOADS!r}))
display(Markdown({PAYLOADS!r}))
display(SVG({'<svg xmlns="http://www.w3.org/2000/svg" onload="' + CANARY + '"/>'!r}))
display(Javascript({CANARY!r}))
"""

FORMULA_ID = '=HYPERLINK(CONCAT("http:",CHAR(47),CHAR(47),"127.0.0.1:9"),"open")'
"""A student id that a spreadsheet would run as a formula (no ``/``: it is a folder name)."""

NEEDS_MANUAL = frozenset({Status.NEEDS_MANUAL})

ATTACKS = [
    Attack(
        "scripts_in_written_answers",
        "every written answer holds script tags, event handlers, a javascript: link, a frame and a form",
        Submission(
            answers=merged(REFERENCE, *({stem: {gid: f"My answer.\n\n{PAYLOADS}"}} for gid, stem in WRITTEN.items()))
        ),
        "reference",
        NEEDS_MANUAL,
    ),
    Attack(
        "scripts_in_outputs",
        "the code displays HTML, markdown, SVG and JavaScript outputs with scripts when the grader runs it",
        Submission(answers=appended(REFERENCE, T1, "gradient_descent", DISPLAYS)),
        "reference",
        NEEDS_MANUAL,
    ),
    Attack(
        FORMULA_ID,
        "a student id that is a spreadsheet formula: grades.csv and canvas.csv would run it",
        Submission(),
        "reference",
        NEEDS_MANUAL,
    ),
]
RENDERED = ("scripts_in_written_answers", "scripts_in_outputs")
"""The attacks whose graded notebooks must render inert."""
