"""Model of `params/rapportkalender.yaml`: which months give which kind of report.

The municipality decides in which months the committee gets an interim report (delårsrapport);
`uppfoljning ny-period` reads it to choose a new period file's `rapporttyp`, so the months are
data, not code. December is always the year-end report.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from uppfoljning.data.params.base import Kind, ParamsModel, fail

CALENDAR_FILE = "rapportkalender.yaml"
DEFAULT_INTERIM_MONTHS = (3, 8)


def _months(value: Any) -> tuple[int, ...]:
    items = value if isinstance(value, list) else [value]
    bad = [m for m in items if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 11]
    if bad:
        raise fail(f"ska vara månadsnummer 1–11 (december är årsbokslut), fick {bad}")
    if len(set(items)) != len(items):
        raise fail(f"en månad anges två gånger: {items}")
    return tuple(sorted(items))


Months = Annotated[tuple[int, ...], BeforeValidator(_months), Kind("lista av månadsnummer 1–11")]


class ReportCalendarFile(ParamsModel):
    """Vilka månader som ger vilken rapporttyp när `uppfoljning ny-period` skapar en periodfil:
    december ger `arsbokslut`, månaderna i `delarsrapport` ger `delarsrapport`, övriga
    `manadsuppfoljning`. Saknas filen gäller mars och augusti."""

    file: ClassVar[str] = "params/rapportkalender.yaml"

    delarsrapport: Months = Field(
        DEFAULT_INTERIM_MONTHS,
        description="Månaderna med delårsrapport. Exempel: `delarsrapport: [4, 8]`.",
    )
