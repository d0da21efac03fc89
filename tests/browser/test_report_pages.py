"""The published pages of the demo's 2024-08 report in chromium: no console errors, every
internal link resolves, and tables stay readable on a 390 px wide phone."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

PHONE = {"width": 390, "height": 844}
ID_RE = re.compile(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""")

LINKS_JS = """() => ({
    hrefs: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    ids: [...document.querySelectorAll('[id], a[name]')].map(e => e.id || e.getAttribute('name')),
})"""

# What a reader on a phone cannot read: the page wider than the screen, a table wider than the
# screen that does not scroll inside a wrapper of its own, text cut off inside a cell.
NARROW_JS = """() => {
    const vw = document.documentElement.clientWidth;
    const problems = [];
    const page = document.documentElement.scrollWidth;
    if (page > vw + 1) problems.push(`sidan är ${page} px bred på en skärm om ${vw} px`);
    document.querySelectorAll('table').forEach((table, i) => {
        const box = table.getBoundingClientRect();
        if (box.width === 0) return;
        const name = table.id || (table.querySelector('th') || {}).textContent || `nr ${i + 1}`;
        if (box.left < -1 || box.right > vw + 1) {
            let el = table.parentElement, scrolls = false;
            while (el && el !== document.body && !scrolls) {
                const style = getComputedStyle(el);
                const rect = el.getBoundingClientRect();
                scrolls = ['auto', 'scroll'].includes(style.overflowX) && rect.right <= vw + 1;
                el = el.parentElement;
            }
            if (!scrolls) problems.push(
                `tabell ${name.trim()}: ${Math.round(box.width)} px bred utan egen rullningsruta`);
        }
        table.querySelectorAll('th, td').forEach(cell => {
            const style = getComputedStyle(cell);
            const clips = style.overflow !== 'visible' || style.textOverflow === 'ellipsis';
            if (clips && cell.scrollWidth > cell.clientWidth + 1) problems.push(
                `tabell ${name.trim()}: texten "${cell.textContent.trim()}" är avskuren`);
        });
    });
    return problems;
}"""


@pytest.fixture(scope="module")
def pages(demo_reports) -> list[Path]:
    report = demo_reports / "reports" / "2024-08"
    found = sorted(report.glob("*.html"))
    assert report / "index.html" in found and report / "ekonomi.html" in found
    return found


def _ids(path: Path) -> set[str]:
    return set(ID_RE.findall(path.read_text(encoding="utf-8")))


def _broken_links(page: Path, hrefs: list[str], ids: set[str]) -> list[str]:
    broken = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:  # http(s), mailto: not ours to check offline
            continue
        # A browser looks for the fragment as written, then percent-decoded (HTML spec,
        # "find a potential indicated element"); nbconvert writes ids percent-encoded.
        fragment = parts.fragment
        if not parts.path:
            if fragment and not {fragment, unquote(fragment)} & ids:
                broken.append(f"{href}: inget element med id {fragment!r}")
            continue
        target = (page.parent / unquote(parts.path)).resolve()
        if not target.exists():
            broken.append(f"{href}: filen finns inte")
        elif (
            fragment
            and target.suffix == ".html"
            and not {fragment, unquote(fragment)} & _ids(target)
        ):
            broken.append(f"{href}: inget element med id {fragment!r} i {target.name}")
    return broken


def test_pages_without_console_errors_and_with_working_links(browser, pages):
    context = browser.new_context()
    problems: dict[str, list[str]] = {}
    try:
        for path in pages:
            page = context.new_page()
            found: list[str] = []
            page.on("console", lambda m, f=found: f.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc, f=found: f.append(str(exc)))
            page.goto(path.as_uri(), wait_until="load")
            links = page.evaluate(LINKS_JS)
            assert links["hrefs"], f"{path.name} has no links at all"
            found += _broken_links(path, links["hrefs"], set(links["ids"]))
            if found:
                problems[path.name] = found
            page.close()
    finally:
        context.close()
    assert problems == {}


def test_tables_are_readable_on_a_phone(browser, pages):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True)
    problems: dict[str, list[str]] = {}
    try:
        for path in pages:
            page = context.new_page()
            page.goto(path.as_uri(), wait_until="load")
            found = page.evaluate(NARROW_JS)
            if found:
                problems[path.name] = found[:10] + (
                    [f"… {len(found) - 10} till"] if len(found) > 10 else []
                )
            page.close()
    finally:
        context.close()
    assert problems == {}


def test_the_checks_see_a_wide_table_cut_text_and_a_broken_link(browser, tmp_path):
    """The page checks above can fail: a bare wide table, a clipped cell, a dead link."""
    page_file = tmp_path / "sida.html"
    cells = "".join(f"<td>kolumn {i} med lång text</td>" for i in range(12))
    page_file.write_text(
        "<html><body><table><tr>" + cells + "</tr></table>"
        '<table style="width:100px;table-layout:fixed"><tr>'
        '<td style="overflow:hidden;white-space:nowrap">en mycket lång text som inte får plats</td>'
        '</tr></table><a href="saknas.html">x</a><a href="#finns-inte">y</a></body></html>',
        encoding="utf-8",
    )
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(page_file.as_uri())
        found = page.evaluate(NARROW_JS)
        links = page.evaluate(LINKS_JS)
    finally:
        context.close()
    assert any("sidan är" in p for p in found)
    assert any("utan egen rullningsruta" in p for p in found)
    assert any("avskuren" in p for p in found)
    broken = _broken_links(page_file, links["hrefs"], set(links["ids"]))
    assert [b.split(":")[0] for b in broken] == ["saknas.html", "#finns-inte"]
