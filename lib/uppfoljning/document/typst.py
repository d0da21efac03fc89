"""The document as Typst source, compiled to A4 PDF by the `typst` package from PyPI.

Typst is one wheel with its compiler and fonts inside: no browser, no LaTeX, the same output on
every machine (system fonts are ignored, the timestamp is fixed). Data text only ever enters
the source as string literals (`markdown.typst_string`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import typst

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
from uppfoljning.document.markdown import to_typst, typst_string

PREAMBLE = r"""
#set document(title: TITLE, author: AUTHOR)
#set page(
  paper: "a4",
  margin: (x: 2.2cm, top: 2.4cm, bottom: 2.6cm),
  footer: context {
    set text(8.5pt, fill: luma(90))
    if counter(page).get().first() > 1 [
      #FOOTER #h(1fr) #counter(page).display() (#counter(page).final().first())
    ]
  },
)
#set text(font: "Libertinus Serif", size: 10.5pt, lang: "sv", region: "se", hyphenate: true)
#set par(leading: 0.62em, spacing: 0.9em)
#set heading(numbering: none)
#show heading: set block(sticky: true)
#show heading.where(level: 1): it => {
  pagebreak(weak: true)
  set text(17pt, weight: "bold")
  block(above: 0em, below: 1em, it.body)
}
#show heading.where(level: 2): set text(13pt, weight: "bold")
#show heading.where(level: 2): set block(above: 1.4em, below: 0.7em)
#show heading.where(level: 3): set text(11pt, weight: "bold")
#set table.cell(breakable: false)
#show table.cell: set text(8.5pt)
#show table.cell: set par(justify: false)
#show figure: set block(breakable: true)
#show figure.where(kind: table): set figure.caption(position: top)
#show figure.caption: set text(9pt)
#show figure.caption: it => align(left, it.body)
#set figure(supplement: none, numbering: none)
#let utkast(body) = block(
  stroke: (left: 2pt + rgb("#b06000")), inset: (left: 8pt, y: 4pt), width: 100%,
  [#text(weight: "bold", fill: rgb("#b06000"), UTKAST) #linebreak() #body],
)
"""

_ALIGN = {"text": "left"}
_ROW_STYLE = {
    "summa": ("bold", "0.5pt"),
    "total": ("bold", "1pt"),
}


def _table(view: dict) -> str:
    columns = view["columns"]
    if not view["rows"]:
        return f"#emph[#{typst_string(empty_table_text(view))}]\n\n"
    aligns = ", ".join(
        _ALIGN.get(c["kind"], "right") if i else "left" for i, c in enumerate(columns)
    )
    # Fractions, not auto: long Swedish headers wrap instead of squeezing the row labels.
    widths = ", ".join(
        "3fr" if i == 0 else ("1.6fr" if c["kind"] == "text" else "1fr")
        for i, c in enumerate(columns)
    )
    header = ", ".join(f"[*#{typst_string(str(c['label']))}*]" for c in columns)
    rows = []
    lines = []
    for index, row in enumerate(view["rows"], start=1):
        weight, rule = _ROW_STYLE.get(row["level"], (None, None))
        cells = []
        for pos, cell in enumerate(row["cells"]):
            content = f"#{typst_string(cell)}"
            if weight:
                content = f"*{content}*"
            if row["level"] == "varav" and pos == 0:
                content = f"#h(1em)#emph[{content}]"
            cells.append(f"[{content}]")
        rows.append(", ".join(cells))
        if rule:
            lines.append(f"table.hline(y: {index}, stroke: {rule})")
    body = ",\n    ".join(rows)
    hlines = "".join(f"  {line},\n" for line in lines)
    cap = table_caption(view)
    # A short table stays on one page with its caption; a long one breaks between rows and
    # repeats its header.
    keep = "false" if len(view["rows"]) <= 30 else "true"
    return (
        f"#block(breakable: {keep}, width: 100%)[#figure(kind: table, caption: "
        f"[#{typst_string(cap)}],\n"
        f"  table(columns: ({widths},), align: ({aligns},), stroke: none,\n"
        f"    inset: (x: 4pt, y: 3pt),\n"
        f"  table.header({header}), table.hline(stroke: 0.7pt),\n"
        f"{hlines}"
        f"    {body},\n"
        "  table.hline(stroke: 0.7pt),\n"
        "))]\n\n"
    )


def _key_figures(block: KeyFigures) -> str:
    cells = ",\n  ".join(
        f"[#{typst_string(label)}], [*#{typst_string(value)}*]" for label, value in block.items
    )
    return (
        "#block(fill: luma(245), inset: 8pt, radius: 2pt, width: 100%, "
        f"table(columns: (1fr, auto), stroke: none, inset: 3pt,\n  {cells}))\n\n"
    )


def _chapter(chapter: Chapter, figures: dict[str, bytes]) -> str:
    out = [f"#heading(level: {chapter.level})[#{typst_string(chapter.title)}]\n"]
    for block in chapter.blocks:
        if isinstance(block, Text):
            body = to_typst(block.markdown, heading_level=chapter.level + 1)
            out.append(f"#utkast[{body}]\n" if block.draft else body)
        elif isinstance(block, Table):
            out.append(_table(block.view))
        elif isinstance(block, KeyFigures):
            out.append(_key_figures(block))
        elif isinstance(block, Figure):
            name = f"figur{len(figures) + 1}.svg"
            figures[name] = block.svg
            out.append(
                f"#figure(image({typst_string(name)}, width: 100%, alt: "
                f"{typst_string(block.alt)}))\n\n"
            )
    out.extend(_chapter(s, figures) for s in chapter.sections)
    return "".join(out)


def _title_page(doc: Document) -> str:
    lines = [
        f"#text(12pt)[#{typst_string(doc.municipality)}] #linebreak()",
        f"#text(12pt)[#{typst_string(doc.committee)}]",
        "#v(30%)",
        f'#text(26pt, weight: "bold")[#{typst_string(doc.title)}]',
        "#v(1.5em)",
    ]
    meta = [("Datum", doc.date), ("Diarienummer", doc.case_number)]
    rows = ", ".join(f"[{k}], [#{typst_string(v)}]" for k, v in meta if v)
    if rows:
        lines.append(
            f"#table(columns: 2, stroke: none, inset: (x: 0pt, y: 3pt), column-gutter: 1em, {rows})"
        )
    if doc.demo:
        notice = typst_string(demo_notice().replace("**", ""))
        lines.append(f"#v(2em) #block(width: 100%, inset: 8pt, stroke: 0.5pt)[#{notice}]")
    return "\n".join(lines) + "\n#pagebreak()\n"


def source(doc: Document) -> tuple[str, dict[str, bytes]]:
    """The Typst source and the images it refers to (file name → bytes)."""
    footer = f"{doc.committee}, {doc.title}"
    preamble = (
        PREAMBLE.replace("TITLE", typst_string(doc.title))
        .replace("AUTHOR", typst_string(doc.committee))
        .replace("#FOOTER", f"#{typst_string(footer)}")
        .replace("UTKAST", typst_string(DRAFT_MARK))
    )
    figures: dict[str, bytes] = {}
    main = [c for c in doc.chapters if not c.appendix]
    appendix = [c for c in doc.chapters if c.appendix]
    body = [
        _title_page(doc),
        "#outline(title: [Innehåll], depth: 2, indent: 1.2em)\n#pagebreak()\n",
        *(_chapter(c, figures) for c in main),
        *(_chapter(c, figures) for c in appendix),
    ]
    return preamble + "\n" + "".join(body), figures


def render_pdf(doc: Document) -> bytes:
    """The document as PDF bytes (same input, same bytes)."""
    text, figures = source(doc)
    with tempfile.TemporaryDirectory(prefix="uppfoljning-typst-") as tmp:
        root = Path(tmp)
        (root / "dokument.typ").write_text(text, encoding="utf-8")
        for name, data in figures.items():
            (root / name).write_bytes(data)
        return typst.compile(
            str(root / "dokument.typ"),
            root=str(root),
            font_paths=[],
            ignore_system_fonts=True,
            timestamp=0,
        )
