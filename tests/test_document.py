"""The committee document: A4 PDF pages rendered and read back, rapport.html, refusals.

The PDFs are the ones `uppfoljning run` wrote for the demo's 2024-08 and 2023-12 (session
fixture `demo_reports`); pypdfium2 renders each page and gives its text, so the checks see
what a reader sees: paper size, page numbers, where headings land, no working-paper text.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from uppfoljning.data.config import load_period_params
from uppfoljning.document.build import Chapter, Document, Table, Text, assemble
from uppfoljning.document.html import render_html
from uppfoljning.document.structure import load_document_structure, missing_texts, walk
from uppfoljning.document.typst import render_pdf
from uppfoljning.present.safety import check_html

DOCUMENTS = {
    "2024-08": "Delårsrapport_augusti_2024.pdf",
    "2023-12": "Verksamhetsberättelse_2023.pdf",
}
A4 = (595.28, 841.89)  # points
# What belongs to the analysts' pages, never to the committee's document.
WORKING_PAPER = (
    ".yaml",
    "params/",
    "tables/",
    "README",
    "Kvalitetskontroll",
    "Avstämning mot huvudboken",
    "tabell-id",
    "Kolada-id",
    "UPPFOLJNING",
    "Traceback",
)


def _pages(pdf_path: Path) -> list[str]:
    pdf = pdfium.PdfDocument(pdf_path)
    try:
        # pdfium marks a hyphenation point with U+FFFE: read the word as the reader does.
        texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
        return [t.replace("\r", "").replace("\ufffe\n", "").replace("\ufffe", "") for t in texts]
    finally:
        pdf.close()


def _params(project: Path, period: str):
    return load_period_params(project / "params" / f"{period}.yaml")


@pytest.fixture(scope="module", params=sorted(DOCUMENTS))
def document(request, demo_reports):
    period = request.param
    report = demo_reports / "reports" / period
    params = _params(demo_reports, period)
    parts = walk(load_document_structure(params.document_file))
    return period, report, report / DOCUMENTS[period], _pages(report / DOCUMENTS[period]), parts


def test_pages_are_a4_portrait_with_rendered_content(document):
    _, _, path, pages, _ = document
    pdf = pdfium.PdfDocument(path)
    try:
        assert 10 <= len(pdf) <= 40
        for i in range(len(pdf)):
            width, height = pdf[i].get_size()
            assert (round(width, 1), round(height, 1)) == pytest.approx(A4, abs=0.5), i
        image = pdf[3].render(scale=0.5).to_pil().convert("L")
        assert image.getextrema()[0] < 100, "a text page renders dark ink"
    finally:
        pdf.close()


def test_fonts_are_embedded_and_charts_are_vector_graphics(document):
    _, _, path, _, _ = document
    data = path.read_bytes()
    assert b"/FontFile" in data  # the typefaces travel inside the PDF
    pdf = pdfium.PdfDocument(path)
    try:
        images = [
            obj
            for i in range(len(pdf))
            for obj in pdf[i].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])
        ]
        paths = sum(
            1
            for i in range(len(pdf))
            for _ in pdf[i].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH])
        )
    finally:
        pdf.close()
    assert images == [], "a chart was embedded as a raster image"
    assert paths > 500, "the charts' bars, lines and glyphs are vector paths"


def test_first_page_names_committee_title_date_and_case_number(document, demo_reports):
    period, _, _, pages, _ = document
    params = _params(demo_reports, period)
    first = pages[0]
    for text in (params.municipality_name, params.committee, params.title, params.date):
        assert text in first
    assert params.case_number and params.case_number in first


def test_every_page_after_the_first_is_numbered_n_of_total(document):
    _, _, _, pages, _ = document
    total = len(pages)
    for number, text in enumerate(pages[1:], start=2):
        assert re.search(rf"\b{number} \({total}\)\s*$", text.strip()), (number, text[-80:])


def test_contents_lists_every_chapter_at_the_page_where_it_starts(document):
    _, _, _, pages, parts = document
    toc = pages[1]
    assert toc.lstrip().startswith("Innehåll")
    listed = {}
    for line in toc.splitlines():
        match = re.match(r"^(.*?)[\s.]*?\s(\d+)$", line.strip())
        if match:
            listed[match.group(1).rstrip(" .")] = int(match.group(2))
    chapters = [p for p in parts if p.level == 1]
    for part in chapters:
        if part.optional and part.title not in listed:
            continue  # nothing to show this period (no previous report to compare with)
        assert part.title in listed, (part.title, sorted(listed))
        page = pages[listed[part.title] - 1]
        # A chapter starts on a new page, with its heading as the page's first line.
        assert page.lstrip().splitlines()[0].strip() == part.title, (part.title, page[:80])
    assert "Om rapporten" in listed


def test_sections_are_in_the_contents_and_on_their_page(document):
    _, _, _, pages, parts = document
    toc = pages[1]
    for part in (p for p in parts if p.level == 2):
        match = re.search(rf"^{re.escape(part.title)}[\s.]*?\s(\d+)$", toc, flags=re.M)
        if match is None:  # an optional section without its tables this period
            assert part.optional, part.title
            continue
        lines = [line.strip() for line in pages[int(match.group(1)) - 1].splitlines()]
        assert part.title in lines, part.title


def test_no_working_paper_text_and_no_draft(document):
    _, report, _, pages, _ = document
    text = "\n".join(pages)
    table_ids = [p.stem for p in (report / "tables").glob("*.csv")]
    for fragment in [*WORKING_PAPER, *(t for t in table_ids if "_" in t)]:
        assert fragment not in text, fragment
    assert "Utkast" not in text and "UTKAST" not in text


def _row_keys(row: dict) -> tuple[str, str]:
    """A row's label (first two words, before any hyphenation) and its last filled cell."""
    label = " ".join(row["cells"][0].split()[:2])
    return label, next((c for c in reversed(row["cells"]) if c.strip()), "")


def test_table_rows_are_never_split_across_pages(document):
    _, report, _, pages, parts = document
    pages = [re.sub(r"-\n", "", page) for page in pages]  # words hyphenated at a line end
    shown = [t for p in parts for t in p.tables if (report / "views" / f"{t}.json").is_file()]
    for table_id in shown:
        view = json.loads((report / "views" / f"{table_id}.json").read_text(encoding="utf-8"))
        if not view["rows"]:
            continue
        heads = [c["label"].split()[0] for c in view["columns"] if c["label"].strip()]
        first = _row_keys(view["rows"][0])
        start = next(
            i
            for i, page in enumerate(pages)
            if all(h in page for h in heads) and all(k in page for k in first)
        )
        page_of_row, current = [], start
        for row in view["rows"]:
            label, last = _row_keys(row)
            # Rows come in order: each on the page of the previous one or a later page, with its
            # label and its last figure on the same page.
            current = next(
                i for i in range(current, len(pages)) if label in pages[i] and last in pages[i]
            )
            page_of_row.append(current)
        for page in sorted(set(page_of_row)):  # the header is repeated on every page
            assert all(h in pages[page] for h in heads), (table_id, page)


def test_rapport_html_is_self_contained_and_has_every_chapter(document):
    _, report, _, _, parts = document
    page = (report / "rapport.html").read_text(encoding="utf-8")
    check_html(page, "rapport.html")
    assert "<script" not in page and "http://" not in page and "https://" not in page
    for part in parts:
        if not part.optional:
            assert f">{part.title}</h" in page.replace("&amp;", "&"), part.title
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', page)
    assert alts and all(len(a) > 20 for a in alts)
    assert page.count('<div class="tabell">') == page.count("<table>")


def test_year_end_speaks_of_outcome_not_forecast(demo_reports):
    pages = _pages(demo_reports / "reports" / "2023-12" / DOCUMENTS["2023-12"])
    economy = "\n".join(p for p in pages if "Driftsammandrag" in p or "Översikt" in p)
    assert "Utfall 2023" in economy
    assert "Prognos helår" not in economy
    lines = {line.strip() for page in pages for line in page.splitlines()}
    for heading in (
        "Volymer",
        "Personal",
        "Nämndindikatorer",
        "Prognossäkerhet",
        "Budget och plan",
    ):
        assert heading in lines, heading


def test_changes_since_the_previous_report_are_a_short_list(demo_reports):
    report = demo_reports / "reports" / "2024-08"
    pages = _pages(report / DOCUMENTS["2024-08"])
    start = next(i for i, p in enumerate(pages) if p.lstrip().startswith("Förändring sedan"))
    short = json.loads((report / "views" / "forandring_sedan_forra_kort.json").read_text("utf-8"))
    full = json.loads((report / "views" / "forandring_sedan_forra.json").read_text("utf-8"))
    assert 0 < len(short["rows"]) <= 2 * len({r["cells"][1] for r in full["rows"]})
    assert len(short["rows"]) < len(full["rows"])
    for row in short["rows"]:
        assert row["cells"][0].split()[0] in pages[start]
    assert "december 2023" in pages[start]
    # Against December, year-to-date outcome and volumes would only show the calendar.
    assert {r["cells"][1] for r in short["rows"]}.isdisjoint({"Utfall", "Volymer"})


def test_a_chapter_without_text_is_named_and_drafts_need_utkast_ja(demo_reports, tmp_path):
    params = _params(demo_reports, "2024-08")
    comments = tmp_path / "kommentarer.md"
    text = params.comments_file.read_text(encoding="utf-8")
    comments.write_text(text.split("## Förväntad utveckling")[0], encoding="utf-8")
    strict = replace(params, comments_file=comments)
    problems = missing_texts(strict)
    assert len(problems) == 1 and "”Förväntad utveckling” saknar text" in problems[0]
    lenient = replace(strict, drafts_allowed=True)
    assert missing_texts(lenient) == []
    report = demo_reports / "reports" / "2024-08"
    doc = assemble(report, lenient, demo=True)
    last = next(c for c in doc.chapters if c.title == "Förväntad utveckling")
    assert last.blocks and all(b.draft for b in last.blocks if isinstance(b, Text))


def test_text_from_data_cannot_act_as_typst(tmp_path):
    hostile = '#set page(paper: "a5") ]} \\" $x$ <etikett> @ref = <script>alert(1)</script>'
    doc = Document(
        title="T",
        municipality="K",
        committee="N",
        date="",
        case_number="",
        demo=False,
        chapters=[
            Chapter(
                title=hostile,
                level=1,
                appendix=False,
                blocks=[
                    Text(f"*{hostile}* och [länk](javascript:alert(1))"),
                    Table(
                        {
                            "id": "x",
                            "caption": hostile,
                            "unit": "mnkr",
                            "columns": [{"name": "rad", "label": hostile, "kind": "text"}],
                            "rows": [{"level": "rad", "cells": [hostile]}],
                        }
                    ),
                ],
            )
        ],
    )
    path = tmp_path / "d.pdf"
    path.write_bytes(render_pdf(doc))
    pdf = pdfium.PdfDocument(path)
    try:
        assert all(round(pdf[i].get_size()[0]) == 595 for i in range(len(pdf)))  # still A4
    finally:
        pdf.close()
    text = "\n".join(_pages(path))
    assert text.count("#set page") >= 4  # heading, contents, paragraph, caption, header, cell
    page = render_html(doc)  # the web version: the same text shown as text, no live link
    assert "<script>" not in page and 'href="javascript' not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4


def test_a_kept_reports_document_goes_when_the_period_no_longer_names_one(tmp_path):
    from uppfoljning.run.runner import _write_document

    staging = tmp_path / "staging"
    staging.mkdir()
    for name in ("Delårsrapport_augusti_2024.pdf", "rapport.html", "ekonomi.html"):
        (staging / name).write_text("förra körningen", encoding="utf-8")
    params_file = tmp_path / "2024-08.yaml"
    params_file.write_text("period: 2024-08\n", encoding="utf-8")
    assert _write_document(staging, params_file, {}, {}, []) == []
    assert sorted(p.name for p in staging.iterdir()) == ["ekonomi.html"]


def test_a_table_without_rows_is_a_sentence_without_its_id(tmp_path):
    empty = {"id": "namndmal_bedomning", "caption": "", "unit": "mnkr", "columns": [], "rows": []}
    doc = Document("T", "K", "N", "", "", False, [Chapter("Mål", 1, False, [Table(empty)])])
    path = tmp_path / "d.pdf"
    path.write_bytes(render_pdf(doc))
    for text in ("\n".join(_pages(path)), render_html(doc)):
        assert "Tabellen: inga uppgifter för perioden." in text
        assert "namndmal_bedomning" not in text
