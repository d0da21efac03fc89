"""The economy report's texts: what the period lacks, the action plan in words, the console
lines on unclassified codes, the reconciliation with the ledger and "Om rapporten"."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from uppfoljning.data.config import UNCLASSIFIED_LABEL
from uppfoljning.economy import narrative
from uppfoljning.economy.ledger import LEVEL
from uppfoljning.economy.unclassified import dimension as unclassified_dimension
from uppfoljning.present.formatting import format_number, period_label, period_range_label

if TYPE_CHECKING:
    from uppfoljning.economy.report import EconomyReport


def missing_data_notes(eko: EconomyReport) -> list[str]:
    """One Swedish line per optional dataset the period lacks, naming what is left out."""
    notes = []
    if not eko.has_forecast:
        if eko.params.is_year_end:
            notes.append(
                f"Inga prognoser finns för {eko.year}; prognoskolumner och "
                "prognosträffsäkerhet visas inte."
            )
        else:
            notes.append(
                f"Ingen helårsprognos finns för {eko.year} till och med "
                f"{period_label(eko.params.period)}; översikten, helårsprognosen och "
                "prognoskolumnerna visas inte."
            )
    if not eko.investment_data.has_any:
        notes.append(
            f"Inga investeringar finns för {eko.year} (datamängderna `investeringar` och "
            "`investeringsbudget`); avsnittet Investeringar visas inte."
        )
    elif not eko.investment_data.has_budget:
        notes.append(
            f"Ingen investeringsbudget finns för {eko.year} (datamängden "
            "`investeringsbudget`); investeringsram och avvikelse visas inte."
        )
    if eko.action_plan_tables() is None:
        notes.append(
            f"Ingen åtgärdsplan finns för {eko.year} (datamängden `atgardsplan`); avsnittet "
            "Åtgärdsplan visas inte."
            if eko.params.action_plan_file
            else "Ingen åtgärdsplan är angiven för perioden (`atgardsplan:` i periodens "
            "parametrar); avsnittet Åtgärdsplan visas inte."
        )
    return notes


def action_plan_text(eko: EconomyReport) -> str:
    """The action plan in words: planned, realised and not realised, areas with a gap."""
    tables = eko.action_plan_tables()
    if tables is None:
        return "*Ingen åtgärdsplan är inläst för året (datamängden `atgardsplan`).*"
    areas, _ = tables
    total = areas.loc["totalt"]
    parts = [
        f"Åtgärdsplanen för {eko.year} har en planerad effekt på "
        f"{eko.amount(total['planerad_effekt'])}, varav "
        f"{eko.amount(total['planerad_effekt_perioden'])} för perioden. Realiserat är "
        f"{eko.amount(total['realiserad_effekt'])}; den del som inte fått genomslag "
        f"uppgår till {eko.amount(total['ej_realiserad_effekt'])}."
    ]
    for _, row in areas[areas[LEVEL] == "rad"].iterrows():
        if row["ej_realiserad_effekt"] >= 50_000:
            parts.append(
                f"- {row['rad']}: {eko.amount(row['ej_realiserad_effekt'])} har inte fått "
                "genomslag"
                + (
                    f" (avvikelse mot budget {eko.amount(row['avvikelse_perioden'])})."
                    if pd.notna(row["avvikelse_perioden"])
                    else "."
                )
            )
    parts.append(
        "\nPlanerad effekt för perioden = årets planerade effekt × antal månader / 12; "
        "ej realiserad effekt = planerad effekt för perioden − realiserad effekt enligt "
        "senaste uppföljning."
    )
    return "\n".join(parts)


def unclassified_lines(eko: EconomyReport) -> list[str]:
    """Console lines about the "Ej klassificerat" row (none when every line is classified)."""
    table = eko.unclassified_table()
    if table is None:
        return []
    dim = unclassified_dimension(eko.structure)
    codes = table[table[LEVEL] == "rad"]
    names = {
        "utfall": f"utfall {period_range_label(eko.params.period)}",
        "budget": "budget",
        "utfall_foregaende_ar": "föregående år",
        "prognos": "prognos",
    }
    word = {"verksamhet": "verksamhetskod", "ansvar": "ansvarskod"}.get(dim, "kontokod")
    lines = [
        f"Ej klassificerat: {len(codes)} {word}{'er' if len(codes) > 1 else ''} matchar "
        f"ingen rad i "
        f"{eko.structure.path.name} och redovisas på raden ”{UNCLASSIFIED_LABEL}” "
        "(komplettera rapportstrukturen):"
    ]
    for _, row in (codes if len(codes) == 1 else table).iterrows():
        amounts = ", ".join(
            f"{label} {format_number(row[col], 0)} kr"
            for col, label in names.items()
            if col in row and (col == "utfall" or abs(row[col]) >= 0.5)
        )
        what = row["rad"] if row[LEVEL] == "total" else f"{dim} {row['rad']}"
        lines.append(f"  {what}: {amounts}")
    return lines


def reconciliation(eko: EconomyReport) -> list[str]:
    """Checks that the tables reconcile with the ledger; problems are raised, not printed."""
    t = eko.period_table()
    total = t[t[LEVEL] == "total"].iloc[0]
    ledger_total = eko.ledger.outcome_ytd(eko.params.period)["belopp"].sum()
    if abs(total["utfall"] - ledger_total) > 0.5:
        raise AssertionError(
            f"Driftsammandraget ({total['utfall']:.2f} kr) stämmer inte med huvudboken "
            f"({ledger_total:.2f} kr)"
        )
    bad = t[(t["avvikelse"] - (t["budget"] - t["utfall"])).abs() > 0.5]
    if len(bad):
        raise AssertionError(f"Avvikelse ≠ budget − utfall för {list(bad['rad'])}")
    return [
        f"Driftsammandragets total stämmer med huvudbokens summa januari–"
        f"{period_label(eko.params.period)} ({eko.amount(ledger_total)}).",
        "Avvikelse = budget − utfall på varje rad.",
    ]


def about(eko: EconomyReport) -> str:
    """Sources, choices and checks, for the end of the report."""
    lines = [
        f"- Rapportstruktur: {eko.structure.name} (`{eko.structure.path.name}`).",
        f"- Budget: version *{eko.params.budget_version}* {eko.year}; budget utan månad "
        "periodiseras med en tolftedel per månad.",
        (
            f"- Helårsprognos: ekonomernas prognos gjord {period_label(eko.forecast_month)}."
            if eko.forecast_month
            else f"- Helårsprognos: ingen prognos för {eko.year} i datamängden `prognos`."
        ),
    ]
    if eko.previous_forecast_month:
        lines.append(f"- Föregående prognos: gjord {period_label(eko.previous_forecast_month)}.")
    unclassified = eko.period_summary.unclassified
    if len(unclassified):
        combinations = len(unclassified[["verksamhet", "ansvar", "konto"]].drop_duplicates())
        lines.append(
            f"- **Ej klassificerat:** {combinations} kodkombinationer matchar ingen rad i "
            "rapportstrukturen och redovisas på en egen rad. Komplettera rapportstrukturen."
        )
    lines += [f"- {n}" for n in missing_data_notes(eko)]
    lines += [f"- {n}" for n in eko.notes]
    eko.quality.passed += reconciliation(eko)
    return "\n".join(lines) + "\n\n" + eko.quality.markdown()


def deviation_chart_title(eko: EconomyReport) -> str:
    """At year end the budget is the year's, before that the periodised one."""
    budget = "budget" if eko.closes_year else "periodiserad budget"
    return f"Avvikelse mot {budget} per verksamhet, {period_range_label(eko.params.period)}"


def commentary(eko: EconomyReport) -> str:
    """The commentary draft from the figures (`narrative`); at year end the comparison is the
    year's last forecast."""
    prev = eko.forecast_month if eko.closes_year else eko.previous_forecast_month
    return narrative.economy_commentary(
        eko.params.period,
        eko.period_table(),
        eko.forecast_table(),  # None without a forecast
        eko.overview_table(),  # None without a forecast outside the year end
        previous_forecast_label=period_label(prev) if prev else None,
        year_end=eko.closes_year,
        areas=eko.action_plan_config.areas if eko.action_plan_config else None,
    )
