"""The report's Swedish texts drawn from the figures: the key figures as a list, the draft
commentary for the controllers and the headlines of the index page. Every figure is taken
from the key figures (already suppressed): a sentence whose figures are hidden is left out."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from uppfoljning.placements.aggregate import pct_change
from uppfoljning.placements.care_day_tables import CareDayTables
from uppfoljning.placements.facts import KeyFigures
from uppfoljning.placements.ledger_tables import LedgerTables
from uppfoljning.placements.period import PeriodView
from uppfoljning.placements.register import CHILDREN
from uppfoljning.present.formatting import (
    format_cell,
    format_kronor,
    format_mnkr,
    format_number,
    format_percent,
    format_with_unit,
    period_label,
)

if TYPE_CHECKING:
    from uppfoljning.present.report import ReportContext

NOT_SHOWN = "redovisas inte"
SECTION = "HVB-placeringar"


def key_figures_text(figures: KeyFigures, threshold: int) -> str:
    """The key figures as a Swedish bullet list (formatted, small counts suppressed)."""
    lines = []
    for _key, (label, value, unit) in figures.facts.items():
        text = format_fact(value, unit, threshold)
        lines.append(f"- {label}: **{text}**" if text else f"- {label}: *{NOT_SHOWN}*")
    return "\n".join(lines)


def commentary(
    view: PeriodView, figures: KeyFigures, care_days: CareDayTables, ledger: LedgerTables
) -> str:
    """A draft analysis in Swedish generated from the figures (for the controllers).

    A sentence whose figures are hidden (or missing) is left out, and a closing note says so.
    """
    f = figures.fact
    change_hvb = f("varddygn_hvb_forandring")
    change_fh = f("varddygn_familjehem_forandring")
    share = f("andel_konsulentstodda_familjehem")
    target = view.settings.consultancy_target
    pv = care_days.price_volume_table(CHILDREN).set_index("rad").loc["Totalt"]
    r12_now = f("r12_kostnad_dygnsplaceringar_barn")
    r12_then = f("r12_kostnad_dygnsplaceringar_barn_foregaende_ar")
    p1, p0 = f("dygnskostnad_hvb"), f("dygnskostnad_hvb_foregaende_ar")
    parts: list[str] = []
    left_out = False

    def add(text: Callable[[], str], *values: float | str) -> None:
        nonlocal left_out
        if all(_known(v) for v in values):
            parts.append(text())
        else:
            left_out = True

    days_parts = []
    if _known(change_hvb):
        days_parts.append(
            f"Antalet vårddygn i HVB för barn och unga {view.span} är "
            f"{format_percent(abs(change_hvb), 0)} {_direction(change_hvb)} än samma period "
            "föregående år."
        )
    if _known(change_fh):
        days_parts.append(
            f"Antalet vårddygn i familjehem är {format_percent(abs(change_fh), 0)} "
            f"{_direction(change_fh)} än samma period föregående år."
        )
    if _known(p1) and _known(p0):
        days_parts.append(
            f"Kostnaden per vårddygn i HVB är {format_number(p1, 0)} kr mot "
            f"{format_number(p0, 0)} kr föregående år "
            f"({format_percent(pct_change(p1, p0), 0, sign=True)})."
        )
    left_out |= len(days_parts) < 3
    if days_parts:
        parts.append(" ".join(days_parts))
    add(
        lambda: (
            f"Kostnaden för dygnsplaceringar av barn och unga har "
            f"{'ökat' if pv['total_forandring'] >= 0 else 'minskat'} med "
            f"{format_mnkr(abs(pv['total_forandring']), suffix=True)} jämfört med samma period "
            f"föregående år. Av förändringen förklaras "
            f"{format_mnkr(pv['volymeffekt'], suffix=True, sign=True)} av fler eller färre "
            f"vårddygn totalt, {format_mnkr(pv['mixeffekt'], suffix=True, sign=True)} av en "
            f"annan fördelning mellan vårdformerna och "
            f"{format_mnkr(pv['priseffekt'], suffix=True, sign=True)} av ändrade priser per "
            "vårddygn inom vårdformerna."
        ),
        pv["total_forandring"],
    )
    add(
        lambda: (
            f"Andelen konsulentstödda familjehem är {format_percent(share, 1)} av "
            f"vårddygnen i familjehem (mål {format_percent(target, 0)})."
        ),
        share,
    )
    add(
        lambda: (
            f"Den rullande årskostnaden för dygnsplaceringar barn och unga är "
            f"{format_mnkr(r12_now, suffix=True)} i {period_label(view.period)} mot "
            f"{format_mnkr(r12_then, suffix=True)} ett år tidigare."
        ),
        r12_now,
        r12_then,
    )
    gang_share, gang_cost = f("andel_gangkopplade_placeringar"), f("kostnad_gangkopplade")
    add(
        lambda: (
            f"{format_percent(gang_share, 1)} av placeringarna inom barn och unga "
            f"{view.span} är kopplade till gängkriminalitet, med en kostnad på "
            f"{format_mnkr(gang_cost, suffix=True)}."
        ),
        gang_share,
        gang_cost,
    )
    flagged = ledger.flagged_months()
    if flagged:
        parts.append(
            "Registrets kostnad avviker från huvudbokens placeringskonton mer än tröskeln "
            f"för: {', '.join(flagged)}. Kontrollera periodiseringar och konteringar."
        )
    else:
        parts.append(
            "Registrets kostnad stämmer med huvudbokens placeringskonton inom tröskeln "
            "för varje månad."
        )
    if left_out:
        parts.append(
            "Uppgifter som bygger på färre än "
            f"{view.threshold} individer eller placeringar, eller som saknas, "
            "kommenteras inte."
        )
    return "\n\n".join(parts)


def publish_headlines(view: PeriodView, figures: KeyFigures, ctx: ReportContext) -> None:
    """Headline figures for index.html."""
    f = figures.fact
    ctx.headline(
        "hvb_r12_barn",
        "Rullande årskostnad dygnsplaceringar barn och unga",
        format_mnkr(f("r12_kostnad_dygnsplaceringar_barn"), suffix=True),
        section=SECTION,
        order=1,
    )
    ctx.headline(
        "hvb_varddygn_hvb",
        f"Vårddygn HVB barn och unga {view.span} mot föregående år",
        format_percent(f("varddygn_hvb_forandring"), 1, sign=True),
        section=SECTION,
        order=2,
    )
    ctx.headline(
        "hvb_konsulentstodda",
        "Andel konsulentstödda familjehem",
        format_percent(f("andel_konsulentstodda_familjehem"), 1),
        section=SECTION,
        order=3,
    )


def _known(value: object) -> bool:
    """A figure that is shown: a number (not NaN), not a suppression marker."""
    return isinstance(value, int | float) and not math.isnan(value)


def _direction(change: float) -> str:
    return "högre" if change >= 0 else "lägre"


FACT_FORMATS: dict[str, Callable[[float, int], str]] = {
    "procent": lambda v, _t: format_percent(v, 1),
    "kr": lambda v, _t: format_kronor(v),
    "dygn": lambda v, _t: format_with_unit(v, "dygn"),
    "antal": lambda v, t: format_cell(v, threshold=t),
}


def format_fact(value: float | str, unit: str, threshold: int = 5) -> str:
    """A key figure in Swedish with its unit (the HVB units of `facts`); "" when missing."""
    if isinstance(value, str):
        return value
    return FACT_FORMATS.get(unit, FACT_FORMATS["antal"])(value, threshold)
