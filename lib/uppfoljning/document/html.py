"""The document as one self-contained `rapport.html`: no script, no code, no working paper.

Charts are the same SVGs as in the PDF, embedded as images with their alt text; tables scroll
inside their own box on a narrow screen. The page passes `present.safety.check_html`.
"""

from __future__ import annotations

import base64
import re

from uppfoljning.document.build import (
    DRAFT_MARK,
    Chapter,
    Document,
    Figure,
    KeyFigures,
    Table,
    Text,
    demo_notice,
    empty_table_text,
    table_caption,
)
from uppfoljning.document.markdown import to_html
from uppfoljning.present.safety import check_html, escape_html

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 line-height:1.5;color:#1d1d1d;margin:0;background:#fff}
main{max-width:52rem;margin:0 auto;padding:1rem 1.25rem 4rem}
h1{font-size:1.9rem;margin:2.5rem 0 .8rem}h2{font-size:1.35rem;margin:2rem 0 .6rem}
h3{font-size:1.1rem}
.titel{border-bottom:2px solid #1d1d1d;padding-bottom:1rem;margin-bottom:1rem}
.titel p{margin:.2rem 0}
nav ul{list-style:none;padding-left:0}nav ul ul{padding-left:1.2rem}
.tabell{overflow-x:auto;margin:1rem 0;max-width:100%}
table{border-collapse:collapse;font-size:.9rem;font-variant-numeric:tabular-nums}
caption{text-align:left;font-size:.85rem;color:#444;padding-bottom:.3rem;caption-side:top}
th,td{padding:.25rem .5rem;vertical-align:top}
th{text-align:left;border-bottom:1.5px solid #333}
td.tal,th.tal{text-align:right;white-space:nowrap}
tr.summa td{font-weight:600;border-top:1px solid #888}
tr.total td{font-weight:700;border-top:2px solid #333}
tr.varav td:first-child{font-style:italic;padding-left:1.5rem}
figure{margin:1rem 0}figure img{max-width:100%;height:auto}
.nyckeltal{background:#f4f4f4;padding:.6rem 1rem;border-radius:3px}
.nyckeltal dt{font-size:.9rem}.nyckeltal dd{margin:0 0 .4rem;font-weight:700}
.utkast{border-left:3px solid #b06000;padding-left:.8rem}
.utkast>.markering{color:#b06000;font-weight:700}
.demo{border:1px solid #999;padding:.6rem}
"""


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^\w]+", "-", text.lower()).strip("-") or "kapitel"
    slug, n = base, 1
    while slug in used:
        n += 1
        slug = f"{base}-{n}"
    used.add(slug)
    return slug


def _table(view: dict) -> str:
    columns = view["columns"]
    if not view["rows"]:
        return f"<p><em>{escape_html(empty_table_text(view))}</em></p>"
    numeric = [i > 0 and c["kind"] != "text" for i, c in enumerate(columns)]
    cls = [' class="tal"' if n else "" for n in numeric]
    head = "".join(
        f'<th scope="col"{cls[i]}>{escape_html(c["label"])}</th>' for i, c in enumerate(columns)
    )
    body = []
    for row in view["rows"]:
        cells = "".join(
            f"<td{cls[i]}>{escape_html(cell)}</td>" for i, cell in enumerate(row["cells"])
        )
        level = row["level"] if row["level"] in ("summa", "total", "varav") else ""
        body.append(f'<tr class="{level}">{cells}</tr>' if level else f"<tr>{cells}</tr>")
    caption = escape_html(table_caption(view))
    return (
        f'<div class="tabell"><table><caption>{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _chapter(chapter: Chapter, slugs: dict[int, str]) -> str:
    tag = f"h{min(chapter.level, 3)}"
    out = [f'<section><{tag} id="{slugs[id(chapter)]}">{escape_html(chapter.title)}</{tag}>']
    for block in chapter.blocks:
        if isinstance(block, Text):
            html = to_html(block.markdown)
            if block.draft:
                html = f'<div class="utkast"><p class="markering">{DRAFT_MARK}</p>{html}</div>'
            out.append(html)
        elif isinstance(block, Table):
            out.append(_table(block.view))
        elif isinstance(block, KeyFigures):
            items = "".join(
                f"<dt>{escape_html(label)}</dt><dd>{escape_html(value)}</dd>"
                for label, value in block.items
            )
            out.append(f'<dl class="nyckeltal">{items}</dl>')
        elif isinstance(block, Figure):
            data = base64.b64encode(block.svg).decode("ascii")
            out.append(
                f'<figure><img src="data:image/svg+xml;base64,{data}" '
                f'alt="{escape_html(block.alt)}"></figure>'
            )
    out.extend(_chapter(s, slugs) for s in chapter.sections)
    out.append("</section>")
    return "".join(out)


def _all(chapters: list[Chapter]) -> list[Chapter]:
    out: list[Chapter] = []
    for c in chapters:
        out.append(c)
        out.extend(_all(c.sections))
    return out


def _toc(chapters: list[Chapter], slugs: dict[int, str]) -> str:
    items = []
    for c in chapters:
        inner = _toc(c.sections, slugs) if c.level < 2 and c.sections else ""
        items.append(f'<li><a href="#{slugs[id(c)]}">{escape_html(c.title)}</a>{inner}</li>')
    return f"<ul>{''.join(items)}</ul>"


def render_html(doc: Document) -> str:
    used: set[str] = set()
    ordered = [c for c in doc.chapters if not c.appendix] + [c for c in doc.chapters if c.appendix]
    slugs = {id(c): _slug(c.title, used) for c in _all(ordered)}
    meta = " · ".join(
        escape_html(x)
        for x in (doc.date, f"Diarienummer {doc.case_number}" if doc.case_number else "")
        if x
    )
    demo = f'<div class="demo">{to_html(demo_notice())}</div>' if doc.demo else ""
    page = (
        '<!DOCTYPE html>\n<html lang="sv">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape_html(doc.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f'<header class="titel"><p>{escape_html(doc.municipality)}</p>'
        f"<p>{escape_html(doc.committee)}</p><h1>{escape_html(doc.title)}</h1>"
        f"<p>{meta}</p>{demo}</header>\n"
        f'<nav aria-label="Innehåll"><h2>Innehåll</h2>{_toc(ordered, slugs)}</nav>\n'
        + "\n".join(_chapter(c, slugs) for c in ordered)
        + "\n</main>\n</body>\n</html>\n"
    )
    check_html(page, "rapport.html")
    return page
