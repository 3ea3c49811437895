"""A hostile submission opened in the formgrader runs nothing; an honest one still shows its plots and math.

A student hands in the reference answers plus payloads: in its written (markdown) answers, script
tags, event handlers, encoded and split variants, ``javascript:`` and ``data:`` links, MathJax
``\\href``, an attachment whose data breaks out of its ``src``; in its code, outputs of HTML,
markdown, SVG, JavaScript and an "isolated" HTML frame. Each payload, if it ran, would set
``window.__pwned`` and write ``pwned.txt`` into the course through the Jupyter contents API, as the
logged-in instructor. Both students are graded with ``autograder grade`` (sandboxed), the course's
``nbgrader_config.py`` gets the line ``c.HTMLExporter.preprocessors =
["autograder.reports.sanitize.SanitizeNotebook"]``, and JupyterLab with nbgrader's extensions
serves the formgrader. The test opens every submitted notebook's manual grading page in
Chromium, as the instructor, and checks that nothing ran (flag, file on disk) and that no
executable markup is in the page; the same notebook rendered by the stock formgrader exporter
does run the payloads (so the canary works). MathJax is served from Debian's ``libjs-mathjax``
in place of its CDN, so the honest submission's math is really typeset.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from nbconvert.exporters import HTMLExporter
from nbgrader.api import Gradebook
from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension
from playwright.sync_api import Browser, BrowserContext, Page, Route

from autograder.engine.results import RECORD_NAME
from autograder.reports.sanitize import SANITIZER
from autograder.samples import Variant, build_cohort, reference_answers
from tests.browser.lab import JupyterLab, running
from tests.browser.test_instructor_path import open_formgrader
from tests.helpers import SOURCE, make_course, run_cli
from tests.reports.test_sanitize import added_elements, markup, student_part

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ASSIGNMENT = "week3"
HONEST, HOSTILE = "honest_reference", "hostile_payloads"
NOTEBOOKS = ("task1_fitting", "task2_relu")
CONFIG_LINE = f"c.HTMLExporter.preprocessors = [{SANITIZER!r}]  # student content inert in the formgrader\n"
MATHJAX = Path("/usr/share/javascript/mathjax")
"""Debian's MathJax 2.7 (``libjs-mathjax``): served in place of the CDN the templates load it from."""
CDN = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/"
LATEST_SHIM = (
    "(function(){var s=document.currentScript,q=s.src.split('?')[1];var t=document.createElement('script');"
    "t.src=s.src.replace(/latest\\.js.*$/,'MathJax.js'+(q?'?'+q:''));document.head.appendChild(t);})();"
)
"""What the CDN's ``latest.js`` does: load ``MathJax.js`` beside it with the same configuration."""

CANARY = (
    "window.__pwned=(window.__pwned||0)+1;"
    "fetch('/api/contents/pwned.txt',{method:'PUT',credentials:'same-origin',headers:{'Content-Type':"
    "'application/json','X-XSRFToken':((document.cookie.match(/_xsrf=([^;]+)/)||[])[1]||'')},"
    "body:JSON.stringify({type:'file',format:'text',content:'pwned'})})"
)
"""Sets the flag, and writes a file into the course as whoever is logged in."""
ATTR = CANARY.replace('"', "&quot;")
MARKDOWN_PAYLOADS = [
    f"<script>{CANARY}</script>",
    f'<img src="x" onerror="{ATTR}">',
    f'<IMG SRC="x" OnErRoR="{ATTR}">',
    f'<svg onload="{ATTR}"><script>{CANARY}</script></svg>',
    f'<details open ontoggle="{ATTR}"><summary>s</summary></details>',
    f"<scr<script>ipt>{CANARY}</scr</script>ipt>",
    f'<a href="javascript:{ATTR}">a link a grader might click</a>',
    f'<a href="jav&#x09;ascript:{ATTR}">an encoded link</a>',
    f"[a markdown link](javascript:{CANARY.replace('(', '%28').replace(')', '%29')})",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">a data link</a>',
    f'<iframe srcdoc="<script>parent.{CANARY}</script>"></iframe>',
    f'<object data="javascript:{ATTR}"></object><embed src="javascript:{ATTR}">',
    f'<form action="javascript:{ATTR}"><button>Submit grade</button></form>',
    f'<math><mtext><table><mglyph><style><img src=x onerror="{ATTR}">',
    f'<noscript><p title="</noscript><img src=x onerror={CANARY.replace(" ", "")}>">',
    '<style>body{background:url(http://127.0.0.1:9/leak)}</style><link rel=stylesheet href="http://127.0.0.1:9/x.css">',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=1"><base href="javascript:/">',
    "$\\href{javascript:window.__pwned=1}{a MathJax link}$",
    "![attached](attachment:breakout.png)",
]
"""Each line of a written answer: script, handlers, encoded and split variants, links, frames, forms, styles."""
BREAKOUT = {"image/png": f'x" onerror="{ATTR}'}
"""An attachment whose data closes the ``src`` attribute nbconvert writes it into, and adds a handler."""
SVG = f'<svg xmlns="http://www.w3.org/2000/svg" onload="{ATTR}"><script>{CANARY}</script></svg>'
OUTPUTS = f"""
from IPython.display import HTML, SVG, Javascript, Markdown, display

display(HTML({"".join(MARKDOWN_PAYLOADS[:8])!r}))
display(Markdown({chr(10).join(MARKDOWN_PAYLOADS)!r}))
display(SVG({SVG!r}))
display(Javascript({CANARY!r}))
display({{"text/html": {MARKDOWN_PAYLOADS[1]!r}}}, raw=True, metadata={{"text/html": {{"isolated": True}}}})
"""
"""Appended to an answer cell: what the student's code displays when the grader runs it."""


def hostile_answers() -> dict[str, dict[str, str]]:
    answers = reference_answers(SOURCE)
    text = "\n\n".join(MARKDOWN_PAYLOADS)
    for stem, gid in (("task1_fitting", "task1b_answer"), ("task2_relu", "task2d_answer")):
        answers[stem][gid] = "My answer: the loss is $x^2$.\n\n" + text
    answers["task1_fitting"]["gradient_descent"] += "\n\n" + OUTPUTS
    return answers


def attach_breakout(folder: Path) -> None:
    """Give the written answers an attachment, as JupyterLab does when an image is pasted into a cell."""
    for stem, gid in (("task1_fitting", "task1b_answer"), ("task2_relu", "task2d_answer")):
        path = folder / f"{stem}.ipynb"
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == gid:
                cell["attachments"] = {"breakout.png": BREAKOUT}
        nbformat.write(nb, path)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Released, the config line added, the two students submitted and graded in the sandbox."""
    course = make_course(tmp_path_factory.mktemp("hostile-course") / "course", with_release=False)
    config = (course / "nbgrader_config.py").read_text()
    if SANITIZER not in config:
        (course / "nbgrader_config.py").write_text(config + CONFIG_LINE)
    released = run_cli("release", ASSIGNMENT, cwd=course)
    assert released.returncode == 0, released.stderr
    build_cohort(
        [Variant(HONEST), Variant(HOSTILE, answers=hostile_answers())], course_root=course, assignment=ASSIGNMENT
    )
    attach_breakout(course / "submitted" / HOSTILE / ASSIGNMENT)
    graded = run_cli("grade", ASSIGNMENT, cwd=course)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    reported = run_cli("report", ASSIGNMENT, cwd=course)  # feedback pages and the cohort page
    assert reported.returncode == 0, reported.stdout + reported.stderr
    return course


@pytest.fixture(scope="module")
def lab(course: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    with running(course, tmp_path_factory.mktemp("hostile-lab")) as server:
        yield server


def serve_mathjax(route: Route) -> None:
    """The MathJax CDN, answered from Debian's copy (``latest.js`` as what it does)."""
    path = urlsplit(route.request.url).path.split("/2.7.7/", 1)[1]
    if path == "latest.js":
        route.fulfill(body=LATEST_SHIM, content_type="application/javascript")
    elif (MATHJAX / path).is_file():
        route.fulfill(path=MATHJAX / path)
    else:
        route.fulfill(status=404)


@pytest.fixture
def context(browser: Browser) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A browser context whose only requests beyond 127.0.0.1 are MathJax's, answered locally."""
    if not (MATHJAX / "MathJax.js").is_file():
        pytest.fail("no MathJax 2 in /usr/share/javascript/mathjax: `make system-deps` installs libjs-mathjax")
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(60_000)
    elsewhere: list[str] = []

    def check(request: object) -> None:
        url = str(getattr(request, "url", ""))
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1" and not url.startswith(CDN):
            elsewhere.append(url)

    context.on("request", check)
    context.route(f"{CDN}**", serve_mathjax)
    try:
        yield context, elsewhere
    finally:
        context.close()


def submission_ids(course: Path, student: str) -> dict[str, str]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {nb: gb.find_submission_notebook(nb, ASSIGNMENT, student).id for nb in NOTEBOOKS}


def open_submission(page: Page, lab: JupyterLab, submission_id: str) -> str:
    """The formgrader's manual grading view of one notebook, as the logged-in instructor, MathJax done; its HTML."""
    response = page.goto(lab.url(f"formgrader/submissions/{submission_id}/"))
    assert response is not None and response.ok
    page.wait_for_selector("#notebook-container")
    page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0")
    return response.text()


def served_page(lab: JupyterLab, submission_id: str) -> str:
    """The HTML the formgrader serves for one notebook's manual grading view (no browser)."""
    with urllib.request.urlopen(lab.url(f"formgrader/submissions/{submission_id}/"), timeout=120) as response:
        return str(response.read().decode())


def test_hostile_submission_runs_nothing_in_the_formgrader(
    course: Path, lab: JupyterLab, context: tuple[BrowserContext, list[str]], artifacts: Path
) -> None:
    browser_context, elsewhere = context
    page = browser_context.new_page()
    honest = submission_ids(course, HONEST)
    for notebook, submission_id in submission_ids(course, HOSTILE).items():
        served = open_submission(page, lab, submission_id)
        page.wait_for_timeout(1500)  # time for anything that would run late (image errors, toggles, fetches)
        assert page.evaluate("() => window.__pwned") is None, f"{notebook}: a payload ran"
        acting = markup(student_part(served))[1]
        assert acting == [], f"{notebook}: markup that could run or load in the page: {acting}"
        added = added_elements(served, served_page(lab, honest[notebook]))
        assert added == [], f"{notebook}: elements that run, load or submit, beyond the honest page's: {added}"
        for link in page.locator("#notebook-container a[href]").all():
            href = link.get_attribute("href") or ""
            if not href.startswith(("http:", "https:", "mailto:")):
                link.click()  # what a grader might click (in-page anchors only: nothing else survives)
        assert page.evaluate("() => window.__pwned") is None, f"{notebook}: a link ran a payload"
        assert "My answer: the loss is" in page.locator("#notebook-container").first.inner_text()
        sanitized_link = page.locator("#notebook-container a", has_text="a link a grader might click")
        assert sanitized_link.count() >= 1, "the answer's HTML was not parsed (only shown as text)"
        page.screenshot(path=artifacts / f"hostile_{notebook}.png", full_page=True)
    assert not list(course.glob("pwned*")), "a payload wrote into the course through the contents API"
    assert elsewhere == [], "the pages made requests beyond 127.0.0.1"


def test_the_payloads_do_run_without_the_sanitizer(
    course: Path, context: tuple[BrowserContext, list[str]], tmp_path: Path
) -> None:
    """The canary works: the same graded notebook, rendered by the stock formgrader exporter, runs the payloads."""
    config = FormgradeExtension().build_extra_config()
    resources = {"base_url": "", "submission_id": "s", "notebook_id": "n", "assignment_id": ASSIGNMENT, "index": 0}
    resources |= {"total": 1, "student": HOSTILE, "last_name": "", "first_name": "", "notebook_path": "p"}
    notebook = course / "autograded" / HOSTILE / ASSIGNMENT / "task1_fitting.ipynb"
    stock, _ = HTMLExporter(config=config).from_filename(str(notebook), resources=resources)
    page_path = tmp_path / "stock.html"
    page_path.write_text(stock)
    browser_context, _ = context
    page = browser_context.new_page()
    page.goto(page_path.as_uri())
    page.wait_for_function("() => (window.__pwned || 0) >= 3")  # fails after the context's 60 s if they do not run


def test_honest_submission_still_shows_plots_and_math(
    course: Path, lab: JupyterLab, context: tuple[BrowserContext, list[str]], artifacts: Path
) -> None:
    browser_context, elsewhere = context
    page = browser_context.new_page()
    for notebook, submission_id in submission_ids(course, HONEST).items():
        open_submission(page, lab, submission_id)
        images = page.evaluate(
            "() => Array.from(document.querySelectorAll('#notebook-container img'))"
            ".map(i => [i.src.slice(0, 22), i.complete, i.naturalWidth])"
        )
        plots = [i for i in images if i[0] == "data:image/png;base64,"]
        assert plots and all(complete and width > 0 for _, complete, width in plots), images
        typeset = page.evaluate("() => document.querySelectorAll('#notebook-container .MathJax_CHTML').length")
        assert typeset > 0, f"{notebook}: no math typeset"
        page.screenshot(path=artifacts / f"honest_{notebook}.png", full_page=True)
    assert elsewhere == []


def test_graded_scores_are_the_same_as_without_payloads(course: Path) -> None:
    """Only rendering is cleaned: both students hand in the reference answers, and both get every auto-graded
    point (the payloads neither cost nor gain a point, nor stop the grading)."""
    for student in (HONEST, HOSTILE):
        record = json.loads((course / "autograded" / student / ASSIGNMENT / RECORD_NAME).read_text())
        assert record["max_auto_score"] > 0 and record["auto_score"] == record["max_auto_score"], (student, record)


def test_feedback_pages_run_nothing_and_still_typeset_under_their_csp(
    course: Path, context: tuple[BrowserContext, list[str]]
) -> None:
    """The students' feedback pages (``autograder report``), opened as files: the hostile one runs nothing,
    the honest one shows its plots and math with the Content-Security-Policy in force."""
    browser_context, elsewhere = context
    page = browser_context.new_page()
    blocked: list[str] = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    for student in (HOSTILE, HONEST):
        for notebook in NOTEBOOKS:
            path = course / "feedback" / student / ASSIGNMENT / f"{notebook}.html"
            assert "Content-Security-Policy" in path.read_text()
            page.goto(path.as_uri())
            page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0")
            page.wait_for_timeout(1000)
            assert page.evaluate("() => window.__pwned") is None, f"{student}/{notebook}: a payload ran"
            assert page.evaluate("() => document.querySelectorAll('.MathJax_CHTML').length") > 0
            plots = page.evaluate(
                "() => Array.from(document.images).filter(i => i.src.startsWith('data:image/png'))"
                ".map(i => i.complete && i.naturalWidth > 0)"
            )
            assert plots and all(plots), f"{student}/{notebook}: plots not shown"
    assert elsewhere == []
    page.goto((course / "reports" / ASSIGNMENT / "index.html").as_uri())
    assert page.evaluate("() => Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    assert blocked == [], f"the Content-Security-Policy blocked part of the pages' own content: {blocked}"


def test_hostile_submission_runs_nothing_in_the_lab_extensions_formgrader(
    course: Path, lab: JupyterLab, context: tuple[BrowserContext, list[str]]
) -> None:
    """The same pages inside JupyterLab, where nbgrader's lab extension shows the formgrader in a frame of the
    lab's own window (a script there could reach the lab itself)."""
    browser_context, elsewhere = context
    page = browser_context.new_page()
    frame_locator = open_formgrader(page, lab)
    frame_locator.locator("#main-table").wait_for()
    frame = next(f for f in page.frames if "/formgrader" in f.url)
    for notebook, submission_id in submission_ids(course, HOSTILE).items():
        frame.goto(lab.url(f"formgrader/submissions/{submission_id}/"))
        frame.wait_for_selector("#notebook-container")
        frame.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0")
        page.wait_for_timeout(1500)
        assert frame.evaluate("() => window.__pwned") is None, f"{notebook}: a payload ran in the formgrader frame"
        assert page.evaluate("() => window.__pwned") is None, f"{notebook}: a payload reached the lab's window"
    assert not list(course.glob("pwned*")), "a payload wrote into the course through the contents API"
    assert elsewhere == []
