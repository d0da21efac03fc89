"""Swedish commentary drafted from the figures ("Analys och kommentar").

The draft states what the tables show — result, direction, largest deviations, change against
last year — in the committee's own phrasing, so the controller edits rather than writes it.
"""

from __future__ import annotations

import calendar

import pandas as pd

from uppfoljning.data.config import parse_period
from uppfoljning.economy.ledger import LEVEL
from uppfoljning.present.formatting import format_mnkr, format_percent, month_name


def _result_word(deviation: float) -> str:
    return "ett underskott" if deviation < 0 else "ett överskott"


def _short_label(label: str) -> str:
    """`569 - Barn och ungdomsvård` → `Barn och ungdomsvård (569)`; `varav X` → `X`."""
    label = label.removeprefix("varav ")
    code, sep, name = label.partition(" - ")
    return f"{name} ({code})" if sep and code.isdigit() else label


def period_end_text(period: str) -> str:
    year, month = parse_period(period)
    return f"{calendar.monthrange(year, month)[1]} {month_name(month)} {year}"


def economy_commentary(
    period: str,
    period_table: pd.DataFrame,
    forecast_table: pd.DataFrame | None,
    overview: pd.DataFrame | None,
    *,
    previous_forecast_label: str | None = None,
    top: int = 3,
    year_end: bool = False,
    areas: dict[str, tuple[str, ...]] | None = None,
) -> str:
    """A Markdown draft of the economy commentary for `period`.

    Without a forecast (`forecast_table` None) the draft speaks of outcome and budget only; the
    full-year sentence needs an overview (at year end the year's outcome).
    """
    total = period_table[period_table[LEVEL] == "total"].iloc[0]
    rows = period_table[period_table[LEVEL] == "rad"]
    own = period_table[period_table.index == "egen_regi"]
    parts: list[str] = []

    dev = total["avvikelse"]
    parts.append(
        f"Resultatet per {period_end_text(period)} visar {_result_word(dev)} på "
        f"{format_mnkr(dev, suffix=True)} mot {'budget' if year_end else 'periodiserad budget'} "
        f"(redovisat {format_mnkr(total['utfall'], suffix=True)}, "
        f"budget {format_mnkr(total['budget'], suffix=True)})."
    )
    if overview is not None:
        parts.append(_full_year_sentence(overview.loc["netto"], year_end, previous_forecast_label))

    candidates = rows  # top-level rows, the own units' row included
    worst = candidates[candidates["avvikelse"] <= -50_000].nsmallest(top, "avvikelse")
    if len(worst):
        items = "; ".join(
            f"{_short_label(r['rad'])} {format_mnkr(r['avvikelse'], suffix=True)}"
            for _, r in worst.iterrows()
        )
        parts.append(
            f"De största negativa avvikelserna per {period_end_text(period)} finns inom: {items}."
        )
    best = candidates[candidates["avvikelse"] >= 50_000].nlargest(top, "avvikelse")
    if len(best):
        items = "; ".join(
            f"{_short_label(r['rad'])} {format_mnkr(r['avvikelse'], sign=True, suffix=True)}"
            for _, r in best.iterrows()
        )
        parts.append(f"Överskott redovisas inom: {items}.")

    subs = period_table[
        (period_table[LEVEL] == "varav") & period_table.index.str.startswith("egen_regi")
    ]
    if len(own) and len(subs):
        o = own.iloc[0]
        items = " och ".join(
            f"{r['rad'].removeprefix('varav ')} "
            f"{format_mnkr(r['avvikelse'], sign=True, suffix=True)}"
            for _, r in subs.iterrows()
        )
        parts.append(
            f"Nämndens egna enheter (egen regi) avviker med "
            f"{format_mnkr(o['avvikelse'], sign=True, suffix=True)} mot budget, varav {items}."
        )

    for area, row_ids in (areas or {}).items():
        present = [r for r in row_ids if r in period_table.index]
        if len(present) < 2:  # an area of one row is already named above
            continue
        parts_text = " och ".join(_short_label(period_table.loc[r, "rad"]) for r in present)
        dev_area = period_table.loc[present, "avvikelse"].sum()
        parts.append(
            f"Verksamhetsområde {area} ({parts_text}) har sammantaget en avvikelse på "
            f"{format_mnkr(dev_area, sign=True, suffix=True)} mot budget."
        )

    last = total["utfall_foregaende_ar"]
    if pd.notna(last) and last:
        change = total["utfall"] - last
        way = "ökat" if change > 0 else "minskat"
        year, month = parse_period(period)
        growth = rows.assign(okning=rows["utfall"] - rows["utfall_foregaende_ar"])
        biggest = growth.loc[growth["okning"].abs().idxmax()]
        parts.append(
            f"Nettokostnaden januari–{month_name(month)} har {way} med "
            f"{format_mnkr(abs(change), suffix=True)} "
            f"({format_percent(100 * change / last, sign=True)}) jämfört med samma period "
            f"{year - 1}. Störst förändring har {_short_label(biggest['rad'])} med "
            f"{format_mnkr(biggest['okning'], sign=True, suffix=True)}."
        )
    if forecast_table is not None and not year_end:
        forecast_rows = forecast_table[forecast_table[LEVEL] == "rad"]
        fworst = forecast_rows.nsmallest(1, "avvikelse")
        if len(fworst) and fworst.iloc[0]["avvikelse"] < 0:
            r = fworst.iloc[0]
            parts.append(
                f"För helåret prognostiseras den största negativa avvikelsen inom "
                f"{_short_label(r['rad'])}, {format_mnkr(r['avvikelse'], suffix=True)}."
            )
    return "\n\n".join(parts)


def _full_year_sentence(net: pd.Series, year_end: bool, previous_label: str | None) -> str:
    """The year's forecast (at year end: outcome) against budget, and the change since the
    previous forecast when there is one."""
    fdev = net["avvikelse"]
    what = "Årets utfall" if year_end else "Helårsprognosen"
    sentence = (
        f"{what} på {format_mnkr(net['prognos'], suffix=True)} mot budget "
        f"{format_mnkr(net['budget'], suffix=True)} innebär {_result_word(fdev)} på "
        f"{format_mnkr(fdev, suffix=True)} för helåret."
    )
    prev = net.get("avvikelse_foregaende_prognos")
    if prev is not None and pd.notna(prev) and previous_label:
        change = fdev - prev
        if abs(change) < 50_000:
            sentence += f" Avvikelsen är oförändrad jämfört med prognosen i {previous_label}."
        else:
            way = "förbättrats" if change > 0 else "försämrats"
            sentence += (
                f" Jämfört med prognosen i {previous_label} "
                f"({format_mnkr(prev, suffix=True)}) har avvikelsen {way} med "
                f"{format_mnkr(abs(change), suffix=True)}."
            )
    return sentence
