"""Reading `params/dokument.yaml` into chapters and sections (validated by its params model)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from uppfoljning.data.config import ParamsError, read_yaml
from uppfoljning.data.params import validate
from uppfoljning.data.params.document import DocumentFile, SectionModel


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
