"""The driftsammandrag and overview tables: ledger lines summarised into the structure's rows,
then deviations. DataFrames in, DataFrames out; amounts in kronor, no formatting.

Deviation is budget − outcome (or − forecast): positive is a surplus. Every table has `rad`
first and the `_niva` column (LEVEL) last, which tells the display which rows are sums or
"varav" rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from uppfoljning.data.config import ReportStructure, parse_period
from uppfoljning.economy.ledger import LEVEL, Ledger, Summary, summarise

OVERVIEW_NET = "Verksamhetens nettokostnader"
OVERVIEW_INVESTMENTS = "Investeringar, netto"

PERIOD_COLUMNS = ["utfall", "budget", "avvikelse", "utfall_foregaende_ar"]
FORECAST_COLUMNS = ["prognos", "budget", "avvikelse", "bokslut_foregaende_ar"]
CHANGE_COLUMNS = [
    "prognos_foregaende",
    "prognos",
    "forandring",
    "avvikelse_foregaende",
    "avvikelse",
]


def with_rad_first(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`rad`, the columns, LEVEL; the index is the row id."""
    out = frame[["rad", *columns, LEVEL]].copy()
    out.index.name = "rad_id"
    return out


def total_row_id(structure: ReportStructure) -> str:
    return next(r.id for r in structure.rows if r.is_total)


def period_summary(
    ledger: Ledger, structure: ReportStructure, period: str, version: str
) -> Summary:
    """Outcome January–month, the budget periodised to the month, and last year's outcome."""
    year, month = parse_period(period)
    return summarise(
        {
            "utfall": ledger.outcome_ytd(period),
            "budget": ledger.budget_lines(year, version, through_month=month),
            "utfall_foregaende_ar": ledger.outcome_ytd(period, years_back=1),
        },
        structure,
    )


def year_summary(
    ledger: Ledger,
    structure: ReportStructure,
    year: int,
    version: str,
    forecast_month: str | None,
    previous_forecast_month: str | None,
) -> Summary:
    """The year's budget and last year's accounts, with the forecasts in force (when made)."""
    quantities = {
        "budget": ledger.budget_lines(year, version),
        "bokslut_foregaende_ar": ledger.outcome_year(year - 1),
    }
    if forecast_month is not None:
        quantities = {"prognos": ledger.forecast_lines(forecast_month)} | quantities
    if previous_forecast_month:
        quantities["prognos_foregaende"] = ledger.forecast_lines(previous_forecast_month)
    return summarise(quantities, structure)


def period_table(frame: pd.DataFrame) -> pd.DataFrame:
    """`driftsammandrag_period` from the period summary's frame."""
    f = frame.copy()
    f["avvikelse"] = f["budget"] - f["utfall"]
    return with_rad_first(f, PERIOD_COLUMNS)


def forecast_table(frame: pd.DataFrame) -> pd.DataFrame:
    """`driftsammandrag_prognos` from the year summary's frame."""
    f = frame.copy()
    f["avvikelse"] = f["budget"] - f["prognos"]
    return with_rad_first(f, FORECAST_COLUMNS)


def forecast_change_table(frame: pd.DataFrame) -> pd.DataFrame:
    """`prognosforandring`: this forecast against the previous one (empty without one)."""
    f = frame.copy()
    if "prognos_foregaende" not in f:
        f["prognos_foregaende"] = np.nan
    f["avvikelse"] = f["budget"] - f["prognos"]
    f["avvikelse_foregaende"] = f["budget"] - f["prognos_foregaende"]
    f["forandring"] = f["prognos"] - f["prognos_foregaende"]
    return with_rad_first(f, CHANGE_COLUMNS)


def largest_deviation_rows(table: pd.DataFrame, n: int = 3) -> list[str]:
    """Row ids with the largest absolute deviation (top-level rows only)."""
    rows = table[table[LEVEL] == "rad"]
    return list(rows["avvikelse"].abs().nlargest(n).index)


def deviation_chart_data(table: pd.DataFrame) -> pd.DataFrame:
    """Top-level rows sorted by deviation, for the bar chart."""
    return table[table[LEVEL] == "rad"].sort_values("avvikelse")


def overview_table(
    year: pd.DataFrame,
    total_id: str,
    *,
    outcome: float | None,
    investments: pd.DataFrame | None,
    previous_investment_deviation: float,
    with_previous: bool,
) -> pd.DataFrame:
    """`ekonomi_oversikt`: net cost (and net investments) against budget.

    `outcome` is the year's net outcome once the year is closed: it replaces the forecast, and
    the year's last forecast becomes the comparison; None uses the forecast and the previous
    one. `investments` is the `investeringar` table (None: no investment row).
    """
    net = year.loc[total_id]
    if outcome is not None:
        net_value, prev_net = outcome, net.get("prognos", np.nan)
    else:
        net_value, prev_net = net["prognos"], net.get("prognos_foregaende", np.nan)
    rows = [
        {
            "rad": OVERVIEW_NET,
            "prognos": net_value,
            "budget": net["budget"],
            "avvikelse": net["budget"] - net_value,
            "avvikelse_foregaende_prognos": net["budget"] - prev_net,
        },
    ]
    ids = ["netto"]
    if investments is not None:
        inv = investments.loc["summa"]
        if outcome is not None:
            inv_value = inv["utgifter"] - inv["inkomster"]
        else:
            inv_value = inv["prognos_netto"]
        rows.append(
            {
                "rad": OVERVIEW_INVESTMENTS,
                "prognos": inv_value,
                "budget": inv["ram"],
                "avvikelse": inv["ram"] - inv_value,
                "avvikelse_foregaende_prognos": previous_investment_deviation,
            }
        )
        ids.append("investeringar")
    f = pd.DataFrame(rows, index=pd.Index(ids, name="rad_id"))
    if not with_previous:
        f = f.drop(columns="avvikelse_foregaende_prognos")
    f[LEVEL] = "rad"
    return f
