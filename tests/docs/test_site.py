"""The site builds with warnings as errors, and every link inside it resolves (checked offline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.site import check_links

pytestmark = pytest.mark.xdist_group("docs")


def test_the_site_builds_with_every_page(built_site: Path) -> None:
    pages = {p.relative_to(built_site).as_posix() for p in built_site.rglob("*.html")}
    readers = {"students", "instructors", "authoring", "hub", "security", "grading", "measured", "glossary"}
    assert {f"{name}.html" for name in readers} <= pages
    assert {"reference/options.html", "reference/commands.html"} <= pages


def test_every_internal_link_resolves(built_site: Path) -> None:
    report = check_links(built_site)
    assert report.broken == []
    (built_site / "external-links.txt").write_text("".join(f"{link}\n" for link in report.external))
    assert report.external, "the site links to nbgrader's own documentation at least"


def test_the_link_check_finds_a_broken_file_and_anchor(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text('<h1 id="top">A</h1><a href="b.html#top">b</a><a href="#nowhere">x</a>')
    (tmp_path / "b.html").write_text(
        '<p id="here">B</p><a href="a.html#top">a</a><a href="c.html">c</a><a href="https://example.org/">e</a>'
    )
    report = check_links(tmp_path)
    assert report.broken == [
        "a.html: b.html#top (no such anchor)",
        "a.html: #nowhere (no such anchor)",
        "b.html: c.html (no such file)",
    ]
    assert report.external == ["https://example.org/"]
