"""The raw-data contract: each dataset ingest reads, its columns and their kinds.

A dataset is a set of files named after it in `data/raw/` (`huvudbok_2024.csv`); the columns
here are what every such file must (or may) have, and the kinds are what each cell must look
like. Adding a dataset is adding a `Schema` to `SCHEMAS` (see docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KIND_PATTERNS", "PERIOD_PATTERN", "SCHEMAS", "Column", "Schema"]

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
KIND_PATTERNS = {
    "period": (PERIOD_PATTERN, "en period på formen ÅÅÅÅ-MM"),
    "year": (r"^\d{4}$", "ett årtal (ÅÅÅÅ)"),
    "code": (r"^\d+$", "en sifferkod"),
    "amount": (r"^-?\d+(\.\d+)?$", "ett belopp"),
    "date": (r"^\d{4}-\d{2}-\d{2}$", "ett datum (ÅÅÅÅ-MM-DD)"),
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # period | year | code | amount | date | text
    required: bool = True  # the column must exist
    allow_empty: bool = False  # a required column whose cells may be empty (slutdatum)


@dataclass(frozen=True)
class Schema:
    """A raw dataset of the data contract (DESIGN §5)."""

    name: str
    columns: tuple[Column, ...]
    description: str = ""
    personal_data: bool = False  # refuse personal identity numbers; pseudonymise person_id

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def _cols(spec: str) -> tuple[Column, ...]:
    """`"period:period slut:date? [text:text]"` → columns; [] optional column, ? empty cells ok."""
    out = []
    for token in spec.split():
        optional = token.startswith("[")
        name, kind = token.strip("[]").split(":")
        empty_ok = kind.endswith("?")
        out.append(Column(name, kind.rstrip("?"), required=not optional, allow_empty=empty_ok))
    return tuple(out)


SCHEMAS: dict[str, Schema] = {
    s.name: s
    for s in (
        Schema(
            "huvudbok",
            _cols(
                "period:period ansvar:code verksamhet:code konto:code belopp:amount "
                "[motpart:text] [projekt:text] [text:text]"
            ),
            "bokförda rader eller månadssummor ur huvudboken",
        ),
        Schema(
            "budget",
            _cols(
                "ar:year version:text verksamhet:code belopp:amount "
                "[ansvar:code] [konto:code] [period:period]"
            ),
            "budget per år (eller månad) och version",
        ),
        Schema(
            "prognos",
            _cols(
                "prognosmanad:period verksamhet:code belopp:amount "
                "[ansvar:code] [konto:code] [kommentar:text]"
            ),
            "ekonomernas helårsprognoser per prognosmånad",
        ),
        Schema(
            "investeringar",
            _cols("ar:year projekt:text period:period utgifter:amount inkomster:amount"),
            "investeringsutfall",
        ),
        Schema(
            "volymer",
            _cols("matt:text period:period varde:amount [grupp:text] [kon:text]"),
            "volymmått per månad (flöden) eller hittills i år (ackumulerat)",
        ),
        Schema(
            "personal",
            _cols("matt:text period:period varde:amount [kon:text]"),
            "personalstatistik",
        ),
        Schema(
            "indikatorer",
            _cols(
                "indikator:text ar:year varde:amount [kon:text] [malvarde:amount] [riktning:text]"
            ),
            "nämndindikatorer",
        ),
        Schema(
            "atgardsplan",
            _cols(
                "atgard:text omrade:text ar:year planerad_effekt:amount "
                "[realiserad_effekt:amount] [status:text] [period:period]"
            ),
            "åtgärdsplanens åtgärder (realiserad effekt t.o.m. period, om angiven)",
        ),
        Schema(
            "befolkning",
            _cols("kommun:code ar:year aldersgrupp:text kon:text antal:amount"),
            "befolkning per ålder och kön",
        ),
        Schema(
            "placeringar",
            _cols(
                "placering_id:text person_id:text malgrupp:text kon:text fodelsear:year "
                "vardform:text lagrum:text utforare:text avtal:text startdatum:date "
                "slutdatum:date? dygnskostnad:amount [gangkoppling:text] [tillaggsavtal:text]"
            ),
            "placeringsepisoder (känsliga personuppgifter)",
            personal_data=True,
        ),
        Schema(
            "investeringsbudget",
            _cols(
                "ar:year projekt:text ram:amount [prognos_utgifter:amount] "
                "[prognos_inkomster:amount] [prognosmanad:period]"
            ),
            "investeringsram och prognos",
        ),
    )
}
