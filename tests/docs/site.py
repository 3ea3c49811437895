"""Build the documentation site, and check the links of a built site offline."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.helpers import ROOT

DOCS = ROOT / "docs"
EXTERNAL_SCHEMES = ("http", "https", "mailto", "ftp")


def build(output: Path) -> subprocess.CompletedProcess[str]:
    """``make docs``'s build into ``output``: warnings are errors, all of them reported."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q", "-E", str(DOCS), str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            elif name in ("href", "src"):
                self.links.append(value)


@dataclass
class LinkReport:
    broken: list[str] = field(default_factory=list)
    """``page: link (why)`` for each internal link that does not resolve."""
    external: list[str] = field(default_factory=list)
    """Every external link, not fetched."""


def check_links(site: Path) -> LinkReport:
    """Every internal ``href``/``src`` of every page of ``site`` names a file of the site, and its ``#anchor``
    an element id of that page; external links are only listed."""
    pages: dict[Path, _Page] = {}
    for path in sorted(site.rglob("*.html")):
        parser = _Page()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = parser
    report = LinkReport()
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme in EXTERNAL_SCHEMES or parts.netloc:
                report.external.append(link)
                continue
            if parts.scheme:  # data:, javascript: and the like point nowhere to check
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(site.resolve())}: {link}"
            if site.resolve() not in (target, *target.parents) or not target.is_file():
                report.broken.append(f"{where} (no such file)")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in pages[target].ids:
                report.broken.append(f"{where} (no such anchor)")
    report.external = sorted(set(report.external))
    return report
