"""Student content made inert where an instructor sees it: HTML pages and spreadsheets.

Everything a student wrote or their code printed (markdown cells, attachments, HTML, SVG
and markdown outputs, messages) goes through an allow-list HTML sanitizer (nh3, the
Python binding of Rust's ammonia) before it reaches a page: only formatting, tables,
links to ``http(s):``/``mailto:``/``#`` and PNG/JPEG images embedded as ``data:`` URLs
survive; no script, event handler, ``javascript:``/``data:`` navigation, form, iframe,
object, embed, style attribute or ``<style>``. MathJax commands that would make links,
styles, classes or load code (``\\href``, ``\\style``, ...) are defused, so ``$x^2$`` is
still typeset. Only what is rendered changes: the stored notebook and its grades do not.

:class:`SanitizeNotebook` does it as an nbconvert preprocessor, so that any exporter can
list it: nbgrader's formgrader and ``generate_feedback`` (``c.HTMLExporter.preprocessors``
in ``nbgrader_config.py``) and this package's feedback pages. :func:`csv_cell` does the
same for spreadsheets: a cell cannot start a formula.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from typing import Any

import nh3
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from pygments.token import STANDARD_TYPES
from traitlets import Bool

TAGS = {
    *("p", "br", "hr", "div", "span", "blockquote", "pre", "code", "kbd", "samp", "var", "tt"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "b", "i", "u", "s", "del", "ins", "strike"),
    *("sub", "sup", "small", "mark", "abbr", "cite", "q", "dfn", "wbr", "details", "summary"),
    *("ul", "ol", "li", "dl", "dt", "dd", "figure", "figcaption", "a", "img"),
    *("table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col"),
}
"""Formatting, lists, tables, links and images: no script, style, form, iframe, object, embed, svg, math."""
ATTRIBUTES = {
    "*": {"title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "td": {"colspan", "rowspan", "align"},
    "col": {"span"},
    "colgroup": {"span"},
}
"""No ``id``/``name`` (they could shadow the page's own scripts' globals), no ``style``, no ``on*``."""
PYGMENTS_CLASSES = set(STANDARD_TYPES.values()) - {""}
CLASSES = {
    "span": PYGMENTS_CLASSES,
    "div": {"highlight", "hl-python", "hl-ipython3"},
    "a": {"anchor-link"},
    "table": {"dataframe"},
    "code": {"language-python"},
}
"""The classes nbconvert's code highlighting, headings and pandas put on what they render; no other class
(a class could make the formgrader's own scripts treat student text as one of its score boxes)."""
IMAGE = re.compile(r"data:image/(?:png|jpeg|svg\+xml);base64,[A-Za-z0-9+/=\s]*", re.IGNORECASE)
"""The one kind of image source kept: a PNG, JPEG or SVG embedded in the page (an SVG shown as an image
runs no script and loads nothing)."""
LINK = re.compile(r"(?:https?://|mailto:|#)[^\s]*", re.IGNORECASE)
"""The links kept: to the web, to an email address, or within the page."""
ATTACHMENT_TYPES = ("image/png", "image/jpeg")
MATHJAX_COMMANDS = re.compile(r"\\(href|url|style|class|cssId|unicode|require|bbox|toggle|texttip|mathtip)(?![A-Za-z])")
"""TeX commands MathJax turns into links, styles, classes, ids, tooltips, actions or loaded code."""
KEPT_OUTPUT_TYPES = ("text/plain", "text/html", "text/latex", "image/png", "image/jpeg")
"""An output's representations that reach the page after sanitizing (others are dropped or converted)."""
SANITIZER = "autograder.reports.sanitize.SanitizeNotebook"
"""The import name to list in an exporter's preprocessors (``c.HTMLExporter.preprocessors``)."""
MARKER = "<!-- autograder: sanitized -->"
"""Starts a markdown cell's sanitized HTML: a comment line, which markdown passes through verbatim."""
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-eval' https://cdnjs.cloudflare.com https://cdn.jsdelivr.net; font-src 'self' data: "
    "https://cdnjs.cloudflare.com https://cdn.jsdelivr.net; connect-src 'none'; form-action 'none'; "
    "frame-src 'none'; object-src 'none'; base-uri 'none'"
)
"""Content-Security-Policy of the package's own pages: nothing inline runs, nothing is sent anywhere;
MathJax (and its fonts) may load from its CDN."""
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection")."""
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Characters that change what text around them looks like without being seen: control characters (not tab,
newline, carriage return), the bidirectional marks, embeddings, overrides and isolates (``\u202e`` shows
``exe.txt`` as ``txt.exe``), and lone surrogates."""
ANSI_ESCAPE = "\x1b"


def visible(text: str, *, keep_ansi: bool = False) -> str:
    """``text`` with each :data:`INVISIBLE` character replaced by U+FFFD, so that a reader sees that something
    was there; ``keep_ansi``: escape characters stay (nbconvert turns terminal colours into markup)."""
    if keep_ansi:
        return INVISIBLE.sub(lambda m: m[0] if m[0] == ANSI_ESCAPE else "\ufffd", text)
    return INVISIBLE.sub("\ufffd", text)


def _attribute(tag: str, name: str, value: str) -> str | None:
    """Keep a URL attribute only if it is an allowed kind of link or image."""
    if name == "href":
        return value if LINK.fullmatch(value.strip()) else None
    if name == "src":
        return value if tag == "img" and IMAGE.fullmatch(value.strip()) else None
    return value


def clean_html(text: str) -> str:
    """``text`` as inert HTML: the allow-list above, MathJax's dangerous commands defused, invisible characters
    shown (:func:`visible`)."""
    cleaned = nh3.clean(
        visible(text),
        tags=TAGS,
        clean_content_tags={"script", "style", "template", "textarea", "noscript", "title", "xmp", "iframe"},
        attributes=ATTRIBUTES,
        attribute_filter=_attribute,
        url_schemes={"http", "https", "mailto", "data"},
        allowed_classes=CLASSES,
        link_rel="noopener noreferrer nofollow",
    )
    return defuse_tex(cleaned)


def defuse_tex(text: str) -> str:
    """MathJax commands that act (``\\href``, ``\\style``, ...) shown as text: ``\\href`` becomes ``\\text{href}``.

    ``text`` is serialized HTML from nh3, which writes a backslash and letters as themselves, so what
    is matched here is exactly what MathJax will read from the page.
    """
    return MATHJAX_COMMANDS.sub(lambda m: "\\text{" + m.group(1) + "}", text)


def attachments_kept(cell: Any) -> dict[str, dict[str, str]]:
    """A markdown cell's attachments that are PNG or JPEG images with valid base64 data, that data only;
    any other attachment becomes an empty PNG (shown as a broken image)."""
    kept: dict[str, dict[str, str]] = {}
    for name, bundle in (cell.get("attachments") or {}).items():
        kept[str(name)] = {"image/png": ""}
        for mime in ATTACHMENT_TYPES:
            data = bundle.get(mime) if isinstance(bundle, dict) else None
            if isinstance(data, str) and _is_base64(data):
                kept[str(name)] = {mime: "".join(data.split())}
                break
    return kept


def _is_base64(data: str) -> bool:
    try:
        base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def markdown_html(source: str, attachments: dict[str, dict[str, str]] | None = None) -> str:
    """Markdown rendered by nbconvert's own renderer (math kept for MathJax), then sanitized."""
    try:
        rendered = MarkdownWithMath(renderer=IPythonRenderer(escape=False, attachments=attachments or {})).render(
            source
        )
    except Exception:  # a missing attachment, say: show the source as text rather than fail the page
        rendered = f"<pre>{html.escape(source)}</pre>"
    return clean_html(rendered)


def verbatim_markdown(clean: str) -> str:
    """Markdown that nbconvert's ``markdown2html`` renders as exactly ``clean`` (sanitized HTML).

    A line that starts with an HTML comment is an HTML block (CommonMark's kind 2) that ends
    with that line and is passed through untouched; so the HTML is put on that one line,
    its line breaks written as the character reference ``&#10;`` (the same text to a browser:
    nh3 writes line breaks only inside text and attribute values).
    """
    return MARKER + clean.strip().replace("\r", "").replace("\n", "&#10;")


def svg_as_image(svg: str) -> str:
    """An SVG output as an ``<img>``: a browser runs no script and loads nothing for an image's SVG."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="SVG output">'


def clean_output(output: Any) -> None:
    """Make one output of a code cell inert, in place."""
    output.pop("transient", None)
    if output.get("output_type") == "stream":
        output["text"] = visible(_text(output.get("text", "")), keep_ansi=True)
    elif output.get("output_type") == "error":
        output["evalue"] = visible(str(output.get("evalue", "")))
        output["traceback"] = [visible(_text(line), keep_ansi=True) for line in output.get("traceback", [])]
    if output.get("output_type") not in ("display_data", "execute_result"):
        return
    data = output.get("data", {})
    html_parts = []
    if "text/html" in data:
        html_parts.append(clean_html(_text(data["text/html"])))
    elif "text/markdown" in data:
        html_parts.append(markdown_html(_text(data["text/markdown"])))
    elif "image/svg+xml" in data and not ({"image/png", "image/jpeg"} & data.keys()):
        html_parts.append(svg_as_image(_text(data["image/svg+xml"])))
    for mime in list(data):
        if mime not in KEPT_OUTPUT_TYPES:
            del data[mime]
    if "text/plain" in data:
        data["text/plain"] = visible(_text(data["text/plain"]), keep_ansi=True)
    if "text/latex" in data:
        data["text/latex"] = defuse_tex(_text(data["text/latex"]))
    for mime in ("image/png", "image/jpeg"):
        if mime in data and not (isinstance(data[mime], str) and _is_base64(data[mime])):
            del data[mime]
    if html_parts:
        data["text/html"] = "".join(html_parts)
    metadata = output.get("metadata", {})
    output["metadata"] = {
        mime: {k: v for k, v in meta.items() if k in ("width", "height") and isinstance(v, int)}
        for mime, meta in metadata.items()
        if mime in ("image/png", "image/jpeg") and isinstance(meta, dict)
    }


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


class SanitizeNotebook(Preprocessor):
    """Make a notebook inert before it is rendered to HTML (outputs, markdown cells, attachments, metadata).

    List it last in an exporter's preprocessors: ``c.HTMLExporter.preprocessors =
    ["autograder.reports.sanitize.SanitizeNotebook"]``. The notebook on disk is not changed.
    """

    enabled = Bool(True, help="Sanitize (on when listed anywhere, as nbgrader's own steps are).").tag(config=True)

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        nb.metadata.pop("widgets", None)
        for cell in nb.cells:
            if cell.get("cell_type") == "markdown":
                rendered = markdown_html(_text(cell.source), attachments_kept(cell))
                cell.source = verbatim_markdown(rendered)
                cell.pop("attachments", None)
            elif cell.get("cell_type") == "code":
                for output in cell.get("outputs", []):
                    clean_output(output)
            elif cell.get("cell_type") == "raw":
                cell.source = clean_html(_text(cell.source))  # templates pass raw cells through as they are
            cell.get("metadata", {}).pop("attachments", None)
        return nb, resources


def visible_markup(value: Any) -> Any:
    """Jinja's ``finalize``: every string a template prints is :func:`visible` (markup it builds is left)."""
    return visible(value) if isinstance(value, str) and not hasattr(value, "__html__") else value


def csv_cell(value: object) -> str:
    """A CSV cell that no spreadsheet reads as a formula: text starting with ``= + - @``, a tab or a
    carriage return gets a leading ``'``; numbers (``-1.5``) stay numbers. Invisible characters show as U+FFFD."""
    text = "" if value is None else visible(str(value))
    if text.lstrip(" \n").startswith(FORMULA_START) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def with_csp(page: str) -> str:
    """An HTML page with :data:`CSP_META` first in its ``<head>`` (where it covers everything after it)."""
    if CSP_META in page:
        return page
    head = re.search(r"<head[^>]*>", page, re.IGNORECASE)
    at = head.end() if head else 0
    return page[:at] + "\n" + CSP_META + page[at:]
