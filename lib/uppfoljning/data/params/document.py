"""The committee document's structure (`params/dokument.yaml`): chapters, their text and content.

A municipality changes the order of chapters, their headings, which tables, charts and key
figures each shows, and where its text comes from, here and not in code.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from uppfoljning.data.params.base import Kind, ParamsModel, Text, fail, nonempty_list, pattern

OutputId = pattern(
    r"[a-z0-9_]+", "id (a-z, 0-9, _)", "ska vara ett id med a-z, 0-9 och _, fick {value!r}"
)


def _yes_no(value: Any) -> bool:
    """`ja`/`nej` as the controllers write it, or YAML's true/false."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("ja", "nej"):
        return text == "ja"
    raise fail(f"ska vara ja eller nej, fick {value!r}")


YesNo = Annotated[bool, BeforeValidator(_yes_no), Kind("ja/nej")]


class SectionModel(ParamsModel):
    """Ett avsnitt i ett kapitel."""

    shape: ClassVar[str] = "ska ha rubrik och innehåll (text, tabeller, diagram, nyckeltal)"

    rubrik: Text = Field(description="Avsnittets rubrik i dokumentet.")
    text: Text | None = Field(
        None,
        description="Rubriken i kommentarsfilen vars text visas här (`## Rubrik`); utan "
        "`text` har avsnittet ingen skriven text.",
    )
    utkast: OutputId | None = Field(
        None,
        description="En framräknad text (notebookens `texts/<id>.md`) som används som utkast "
        "när kommentaren saknas och periodfilen har `utkast: ja`.",
    )
    inledning: list[OutputId] = Field(
        default_factory=list,
        description="Framräknade texter (`texts/<id>.md`) som alltid visas före tabellerna.",
    )
    nyckeltal: list[OutputId] = Field(
        default_factory=list,
        description="Nyckeltal (`headlines/<nyckel>.json`) som visas som en kort lista.",
    )
    tabeller: list[OutputId] = Field(
        default_factory=list, description="Tabeller (tabell-id) i den ordning de visas."
    )
    diagram: list[OutputId] = Field(
        default_factory=list, description="Diagram (`figures/<id>.svg`) efter tabellerna."
    )
    valfri: YesNo = Field(
        False,
        description="`ja`: avsnittet utelämnas tyst när dess tabeller saknas (t.ex. "
        "prognosen i en rapport utan prognos).",
    )


class ChapterModel(SectionModel):
    """Ett kapitel: som ett avsnitt, med egna avsnitt under sig."""

    shape: ClassVar[str] = "ska ha kapitel (rubrik) och innehåll eller avsnitt"

    rubrik: Text = Field(description="Kapitlets rubrik (numreras inte).")
    avsnitt: list[SectionModel] = Field(
        default_factory=list, description="Kapitlets avsnitt, i ordning."
    )
    bilaga: YesNo = Field(False, description="`ja`: kapitlet är en bilaga efter huvudtexten.")


class DocumentFile(ParamsModel):
    """Nämndens dokument (PDF och rapport.html): kapitlens ordning, text, tabeller och diagram."""

    file: ClassVar[str] = "params/dokument.yaml"

    kapitel: nonempty_list(ChapterModel, "ska vara en lista med minst ett kapitel") = Field(
        description="Kapitlen i dokumentets ordning."
    )
