"""The economy notebook's sections: Markdown and published tables, in the order the report
shows them. Each returns a list for `uf.report.show`; a section whose data the period lacks
returns nothing (the overview says what is missing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from uppfoljning.data.config import UNCLASSIFIED_ID, UNCLASSIFIED_LABEL
from uppfoljning.economy import headers
from uppfoljning.economy.ledger import LEVEL
from uppfoljning.economy.summary import OVERVIEW_NET
from uppfoljning.economy.unclassified import dimension as unclassified_dimension
from uppfoljning.present.report import Markdown, ReportContext

if TYPE_CHECKING:
    from uppfoljning.economy.report import EconomyReport


def overview(eko: EconomyReport, ctx: ReportContext) -> list:
    """Net cost (and investments) against budget, then one line per missing dataset."""
    notes = [Markdown("\n\n".join(f"*{n}*" for n in eko.missing_data_notes()))]
    overview = eko.overview_table()
    if overview is None:
        return notes
    what = OVERVIEW_NET.lower() + (
        " och investeringar" if "investeringar" in overview.index else ""
    )
    if eko.closes_year:
        against = "årets utfall mot budget" + (
            ", och avvikelsen i årets sista prognos" if eko.has_forecast else ""
        )
    else:
        against = "helårsprognos mot budget, och avvikelsen i föregående prognos"
    return [
        Markdown(f"{what.capitalize()}: {against}."),
        ctx.publish(
            "ekonomi_oversikt",
            overview,
            headers=eko.headers("ekonomi_oversikt"),
            unit=eko.unit,
            deviation_columns=("avvikelse", "avvikelse_foregaende_prognos"),
        ),
        *notes,
    ]


def forecast(eko: EconomyReport, ctx: ReportContext) -> list:
    """The full-year forecast and its change since the previous one; nothing without one."""
    forecast_table, change = eko.forecast_table(), eko.forecast_change_table()
    if forecast_table is None or change is None:
        return []
    return [
        Markdown(
            "## Helårsprognos\n\nDriftsammandrag för helårsprognosen: prognos mot budget och "
            "föregående års bokslut, med kostnader och intäkter."
        ),
        ctx.publish(
            "driftsammandrag_prognos",
            forecast_table,
            headers=eko.headers("driftsammandrag_prognos"),
            unit=eko.unit,
        ),
        Markdown("### Förändring mot föregående prognos"),
        ctx.publish(
            "prognosforandring",
            change,
            headers=eko.headers("prognosforandring"),
            unit=eko.unit,
            deviation_columns=("avvikelse_foregaende", "avvikelse"),
        ),
    ]


def forecast_comparison(eko: EconomyReport, ctx: ReportContext) -> list:
    """The controllers' forecast beside computed ones; nothing once the year is closed."""
    if eko.closes_year:
        return []
    return [
        Markdown(
            "### Framräknade prognoser\n\nEkonomernas prognos bredvid två framräknade: en "
            "linjär uppräkning av utfallet hittills och en säsongsprognos som utgår från hur "
            "utfallet brukar fördela sig över året. Stora skillnader är värda en extra titt."
        ),
        ctx.publish(
            "prognosjamforelse",
            eko.forecast_comparison_table(),
            headers=eko.headers("prognosjamforelse"),
            unit=eko.unit,
            deviation_columns=(),
        ),
        Markdown(eko.computed_forecast.describe()),
    ]


def year_end(eko: EconomyReport, ctx: ReportContext) -> list:
    """Forecast accuracy for the year-end report (period ÅÅÅÅ-12); empty otherwise."""
    if not eko.params.is_year_end or not eko.ledger.forecast_months(eko.year):
        return []
    frame = eko.forecast_accuracy_table()
    return [
        Markdown(
            "## Prognosträffsäkerhet\n\nVarje prognos som gjorts under året jämförd med det "
            "slutliga utfallet per verksamhet (prognos − utfall; positivt = prognosen var för "
            "hög, negativt = för låg)."
        ),
        ctx.publish(
            "prognostraffsakerhet",
            frame,
            headers=headers.forecast_accuracy_headers(eko, frame),
            unit=eko.unit,
            deviation_columns=(),
        ),
    ]


def budget_plan(eko: EconomyReport, ctx: ReportContext) -> list:
    """Budget versions of the year, and the budget year beside later plan years."""
    items: list = []
    versions = eko.budget_versions_table()
    if versions is not None:
        cols = [c for c in versions.columns if c.startswith("budget_")]
        headers = {"rad": f"Verksamhet, {eko.unit}", "forandring": "Förändring"} | {
            c: f"Budget {eko.year}, {c.removeprefix('budget_')}" for c in cols
        }
        total = versions[versions[LEVEL] == "total"].iloc[0]
        items += [
            Markdown(
                f"## Budget och plan\n\n### Budgetversioner {eko.year}\n\nNämndens ram "
                f"har ändrats under året från {eko.amount(total[cols[0]])} "
                f"({cols[0].removeprefix('budget_')}) till {eko.amount(total[cols[-1]])} "
                f"({cols[-1].removeprefix('budget_')}), en förändring med "
                f"{eko.amount(total['forandring'])}. Rapporten jämför mot versionen "
                f"*{eko.params.budget_version}*."
            ),
            ctx.publish(
                "budgetversioner",
                versions,
                headers=headers,
                unit=eko.unit,
                deviation_columns=(),
            ),
        ]
    frame = eko.budget_plan_table()
    years = [c for c in frame.columns if c.startswith(("budget_", "plan_"))]
    if len(years) < 2:
        return items
    headers = {"rad": f"Verksamhet, {eko.unit}"} | {
        c: f"{'Plan' if c.startswith('plan') else 'Budget'} {c.split('_')[1]}" for c in years
    }
    heading = "### Budget och planår" if items else "## Budget och plan"
    return [
        *items,
        Markdown(f"{heading}\n\nBudgetåret och planåren enligt budgetversionerna i budgetdata."),
        ctx.publish("budget_och_plan", frame, headers=headers, unit=eko.unit),
    ]


def investments(eko: EconomyReport, ctx: ReportContext) -> list:
    """Investments per project and the controllers' comment; without investment data only a
    comment the controllers wrote anyway."""
    table = eko.investments_table()
    has_comment = bool(ctx.comments.get("investeringar"))
    if table is None:
        if not has_comment:
            return []
        return [Markdown("## Investeringar"), ctx.comment("Investeringar")]
    return [
        Markdown("## Investeringar"),
        ctx.publish("investeringar", table, headers=eko.headers("investeringar"), unit=eko.unit),
        ctx.comment("Investeringar"),
    ]


def action_plan(eko: EconomyReport, ctx: ReportContext) -> list:
    """The action plan per area and per measure; nothing without a plan (see
    `missing_data_notes`)."""
    tables = eko.action_plan_tables()
    if tables is None:
        return []
    areas, measures = tables
    return [
        Markdown(
            "## Åtgärdsplan\n\nÅtgärdsplanens planerade och realiserade effekt per område, "
            "och den del som ännu inte fått genomslag, bredvid områdets avvikelse mot budget."
        ),
        Markdown(eko.action_plan_text()),
        ctx.publish(
            "atgardsplan",
            areas,
            headers=eko.headers("atgardsplan"),
            unit=eko.unit,
            deviation_columns=("avvikelse_perioden",),
        ),
        Markdown("### Åtgärder"),
        ctx.publish(
            "atgardsplan_atgarder",
            measures,
            headers=eko.headers("atgardsplan_atgarder"),
            unit=eko.unit,
            deviation_columns=(),
        ),
    ]


def unclassified(eko: EconomyReport, ctx: ReportContext) -> list:
    """The "Ej klassificerat" row per code, so the stray lines are visible and traceable."""
    table = eko.unclassified_table()
    if table is None:
        return []
    dim = unclassified_dimension(eko.structure)
    return [
        Markdown(
            f"### {UNCLASSIFIED_LABEL}\n\nRader i huvudboken eller budgeten vars koder inte "
            f"matchar någon rad i rapportstrukturen (`{eko.structure.path.name}`) redovisas "
            f"på raden ”{UNCLASSIFIED_LABEL}”, så att totalen stämmer med huvudboken. Här är "
            f"de per {dim}; lägg till koderna i rapportstrukturen. Under Fördjupning och i "
            f'`uf.drilldown.breakdown(eko, "{UNCLASSIFIED_ID}")` kan raderna följas vidare.'
        ),
        ctx.publish(
            "ej_klassificerat", table, headers=headers.unclassified_headers(eko), unit=eko.unit
        ),
    ]
