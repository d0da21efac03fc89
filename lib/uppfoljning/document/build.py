"""Assemble the document from the report's outputs and write the PDF and `rapport.html`.

What each chapter shows is read from the report directory the runner is about to publish:
`views/<id>.json` (tables as shown), `figures/<id>.svg`, `texts/<id>.md`, `headlines/<key>.json`,
and the controllers' text from the comments file. Every problem is collected and raised once,
so the run stops before anything is published.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from uppfoljning.data.config import PeriodParams
from uppfoljning.document.structure import (
    Part,
    comments_of,
    load_document_structure,
    missing_text,
)
from uppfoljning.present.report import DEMO_BANNER

DRAFT_MARK = "Utkast"


class DocumentError(ValueError):
    """The document cannot be written as asked; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"Nämndens dokument kan inte skrivas ({len(problems)} fel):\n{lines}")


@dataclass(frozen=True)
class Text:
    markdown: str
    draft: bool = False


@dataclass(frozen=True)
class Table:
    view: dict


@dataclass(frozen=True)
class Figure:
    svg: bytes
    alt: str


@dataclass(frozen=True)
class KeyFigures:
    items: tuple[tuple[str, str], ...]  # (label, formatted value)


Block = Text | Table | Figure | KeyFigures


@dataclass
class Chapter:
    title: str
    level: int
    appendix: bool
    blocks: list[Block] = field(default_factory=list)
    sections: list[Chapter] = field(default_factory=list)


@dataclass
class Document:
    title: str
    municipality: str
    committee: str
    date: str
    case_number: str
    demo: bool
    chapters: list[Chapter]


def table_caption(view: dict) -> str:
    """A table's caption in the document, with its unit when it shows amounts."""
    amounts = any(c["kind"] == "amount" for c in view["columns"])
    unit = f"Belopp i {view['unit']}." if amounts else ""
    return " ".join(x for x in (view.get("caption") or "", unit) if x)


def empty_table_text(view: dict) -> str:
    """What stands in place of a table without rows (never its id: that is working paper)."""
    return f"{view.get('caption') or 'Tabellen'}: inga uppgifter för perioden."


def file_stem(title: str) -> str:
    """The document's file name from its title: letters, digits and `_` (`Delårsrapport_…`)."""
    stem = re.sub(r"[^\w-]+", "_", title, flags=re.UNICODE).strip("_")
    return stem or "dokument"


def _svg_alt(svg: bytes) -> str:
    """The description `present.plots.save_svg` wrote into the SVG (its alt text)."""
    try:
        root = ET.fromstring(svg)
    except ET.ParseError:
        return ""
    for element in root.iter():
        if element.tag.endswith("}description") and element.text:
            return element.text.strip()
    return ""


class _Assembler:
    def __init__(self, report: Path, params: PeriodParams, comments: dict[str, str]):
        self.report = report
        self.params = params
        self.comments = comments
        self.problems: list[str] = []

    def _read(self, kind: str, name: str, suffix: str) -> Path | None:
        path = self.report / kind / f"{name}{suffix}"
        return path if path.is_file() else None

    def _available(self, part: Part) -> bool:
        wanted = [("views", t, ".json") for t in part.tables]
        wanted += [("figures", f, ".svg") for f in part.figures]
        return all(self._read(*w) for w in wanted)

    def _text(self, part: Part) -> Text | None:
        if part.comment is None:
            return None
        written = self.comments.get(part.comment.strip().lower())
        if written:
            return Text(written)
        draft = self._read("texts", part.draft, ".md") if part.draft else None
        if self.params.drafts_allowed:
            body = draft.read_text(encoding="utf-8") if draft else "Ingen text är skriven ännu."
            return Text(body, draft=True)
        self.problems.append(missing_text(self.params, part))
        return None

    def chapter(self, part: Part) -> Chapter | None:
        if part.optional and not self._available(part):
            return None
        out = Chapter(title=part.title, level=part.level, appendix=part.appendix)
        for key in part.intro:
            path = self._read("texts", key, ".md")
            if path is None:
                self.problems.append(f"”{part.title}”: texten {key} finns inte i rapporten")
            else:
                out.blocks.append(Text(path.read_text(encoding="utf-8")))
        text = self._text(part)
        if text is not None:
            out.blocks.append(text)
        items = []
        for key in part.key_figures:
            path = self._read("headlines", key, ".json")
            if path is None:
                self.problems.append(f"”{part.title}”: nyckeltalet {key} finns inte i rapporten")
                continue
            item = json.loads(path.read_text(encoding="utf-8"))
            items.append((str(item["label"]), str(item["text"])))
        if items:
            out.blocks.append(KeyFigures(tuple(items)))
        for table_id in part.tables:
            path = self._read("views", table_id, ".json")
            if path is None:
                self.problems.append(f"”{part.title}”: tabellen {table_id} finns inte i rapporten")
                continue
            out.blocks.append(Table(json.loads(path.read_text(encoding="utf-8"))))
        for figure_id in part.figures:
            path = self._read("figures", figure_id, ".svg")
            if path is None:
                self.problems.append(
                    f"”{part.title}”: diagrammet {figure_id} finns inte i rapporten"
                )
                continue
            svg = path.read_bytes()
            out.blocks.append(Figure(svg, _svg_alt(svg) or part.title))
        for section in part.sections:
            child = self.chapter(section)
            if child is not None:
                out.sections.append(child)
        return out


def about(analysis_pages: list[str], demo: bool) -> str:
    """The appendix "Om rapporten": where the figures come from and where the working paper is."""
    # Page titles are "Volymer – Delårsrapport augusti 2024": the document has the period already.
    names = [page.split(" – ")[0] for page in analysis_pages]
    pages = ", ".join(names) if names else "analyssidorna"
    text = (
        "Alla belopp, nyckeltal, tabeller och diagram i dokumentet är framräknade ur periodens "
        "data (huvudbok, budget, prognoser, investeringar, volymer, personal, indikatorer, "
        "placeringar och Kolada) med uppföljningsverktyget uppfoljning. Texterna är "
        "förvaltningens egna.\n\n"
        f"Analysunderlaget ({pages}) innehåller fler tabeller och diagram, definitioner, "
        "kvalitetskontroller och avstämningar mot huvudboken, samt en arbetsbok med alla "
        "tabeller. Antal under fem personer redovisas inte."
    )
    return text + ("\n\n" + demo_notice() if demo else "")


def assemble(
    report: Path, params: PeriodParams, *, demo: bool, analysis_pages: list[str] | None = None
) -> Document:
    """The document's content from a report directory; DocumentError lists every gap."""
    assert params.document_file is not None
    try:
        parts = load_document_structure(params.document_file)
    except ValueError as exc:
        raise DocumentError([str(exc)]) from exc
    assembler = _Assembler(report, params, comments_of(params))
    chapters = [c for p in parts if (c := assembler.chapter(p)) is not None]
    appendix = Chapter(title="Om rapporten", level=1, appendix=True)
    appendix.blocks.append(Text(about(analysis_pages or [], demo)))
    chapters.append(appendix)
    if assembler.problems:
        if any("finns inte i rapporten" in p for p in assembler.problems):
            assembler.problems.append(
                "dokumentet behöver tabellerna från periodens alla rapporter (nyckeln rapporter "
                "i periodfilen); kör perioden utan --only första gången, eller ta bort kapitlen "
                f"ur {params.document_file.name}"
            )
        raise DocumentError(assembler.problems)
    return Document(
        title=params.title,
        municipality=params.municipality_name,
        committee=params.committee,
        date=params.date or "",
        case_number=params.case_number or "",
        demo=demo,
        chapters=chapters,
    )


def demo_notice() -> str:
    return DEMO_BANNER.removeprefix("> ")


def build_document(
    report: Path, params: PeriodParams, *, demo: bool, analysis_pages: list[str] | None = None
) -> list[Path]:
    """Write `<rubrik>.pdf` and `rapport.html` into ``report``; returns the files written."""
    from uppfoljning.document.html import render_html
    from uppfoljning.document.typst import render_pdf

    document = assemble(report, params, demo=demo, analysis_pages=analysis_pages)
    pdf = report / f"{file_stem(params.title)}.pdf"
    html = report / "rapport.html"
    pdf.write_bytes(render_pdf(document))
    html.write_text(render_html(document), encoding="utf-8")
    return [pdf, html]
