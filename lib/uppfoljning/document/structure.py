"""Reading `params/dokument.yaml` into chapters and sections (validated by its params model)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from uppfoljning.data.config import ParamsError, PeriodParams, read_yaml
from uppfoljning.data.params import validate
from uppfoljning.data.params.document import DocumentFile, SectionModel
from uppfoljning.present.comments import parse_comments


@dataclass(frozen=True)
class Part:
    """A chapter (level 1) or a section (level 2) and what it shows, in this order."""

    title: str
    level: int
    comment: str | None  # heading in the comments file whose text is shown
    draft: str | None  # texts/<id>.md used as draft when the comment is missing
    intro: tuple[str, ...] = ()
    key_figures: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    optional: bool = False
    appendix: bool = False
    sections: tuple[Part, ...] = field(default=())


def _part(model: SectionModel, level: int, appendix: bool = False) -> Part:
    return Part(
        title=model.rubrik,
        level=level,
        comment=model.text,
        draft=model.utkast,
        intro=tuple(model.inledning),
        key_figures=tuple(model.nyckeltal),
        tables=tuple(model.tabeller),
        figures=tuple(model.diagram),
        optional=model.valfri,
        appendix=appendix,
        sections=tuple(_part(s, level + 1) for s in getattr(model, "avsnitt", ())),
    )


def load_document_structure(path: Path) -> tuple[Part, ...]:
    """The document's chapters; every problem of the file in one ParamsError."""
    data = read_yaml(path)
    model, problems = validate(DocumentFile, data)
    if model is not None:
        titles = [c.rubrik for c in model.kapitel]
        twice = sorted({t for t in titles if titles.count(t) > 1})
        problems += [f"kapitel: rubriken {t!r} finns flera gånger" for t in twice]
    if problems or model is None:
        raise ParamsError(path, problems)
    return tuple(_part(c, 1, c.bilaga) for c in model.kapitel)


def walk(parts: tuple[Part, ...]) -> list[Part]:
    """Every chapter and section, depth first, in document order."""
    out: list[Part] = []
    for part in parts:
        out.append(part)
        out.extend(walk(part.sections))
    return out


# Checks before any run (preflight, `ny-period`): the structure and the comments file only.


def document_headings(params: PeriodParams) -> list[str]:
    """The comment headings the period's document shows text under (empty without document)."""
    if params.document_file is None:
        return []
    parts = walk(load_document_structure(params.document_file))
    return [p.comment for p in parts if p.comment]


def comments_of(params: PeriodParams) -> dict[str, str]:
    """The period's comments by heading (lower case); empty without a comments file."""
    if params.comments_file is None or not params.comments_file.is_file():
        return {}
    return parse_comments(params.comments_file.read_text(encoding="utf-8"))


def missing_text(params: PeriodParams, part: Part) -> str:
    """The message for a chapter whose text is not written."""
    comments_file = params.comments_file
    where = comments_file.name if comments_file else "kommentarsfilen (nyckeln kommentarer)"
    return (
        f"”{part.title}” saknar text: skriv den under ”## {part.comment}” i {where}, "
        f"eller sätt utkast: ja i {params.path.name} för att ta med utkastet"
    )


def missing_texts(params: PeriodParams) -> list[str]:
    """Chapters whose text is not written (none when drafts are allowed); before any run."""
    if params.document_file is None or params.drafts_allowed:
        return []
    comments = comments_of(params)
    parts = walk(load_document_structure(params.document_file))
    return [
        missing_text(params, p)
        for p in parts
        if p.comment and not comments.get(p.comment.strip().lower())
    ]
