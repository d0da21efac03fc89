"""Budget versions of a year and the budget year beside later plan years, per report row.

A frame change during the year shows as two versions (e.g. original → revised); plan years
come from the budget data's later years. DataFrames out; amounts in kronor.
"""

from __future__ import annotations

import pandas as pd

from uppfoljning.data.config import ReportStructure
from uppfoljning.economy.ledger import Ledger, summarise
from uppfoljning.economy.summary import with_rad_first


def plan_years(ledger: Ledger, structure: ReportStructure, year: int, version: str) -> pd.DataFrame:
    """`budget_och_plan`: one column per year from `year` on (`budget_<år>` or `plan_<år>`).

    Each year takes the report's budget version if it has one, else budget, plan, original,
    else its first version.
    """
    budget = ledger.budget
    years = sorted(y for y in budget["ar"].unique() if y >= year)
    preference = [version, "budget", "plan", "original"]
    quantities: dict[str, pd.DataFrame] = {}
    for y in years:
        versions = ledger.budget_versions(y)
        chosen = next((v for v in preference if v in versions), versions[0])
        kind = "plan" if chosen == "plan" else "budget"
        quantities[f"{kind}_{y}"] = ledger.budget_lines(int(y), chosen)
    frame = summarise(quantities, structure, warn=False).frame
    return with_rad_first(frame, list(quantities))


def versions(
    ledger: Ledger, structure: ReportStructure, year: int, version: str
) -> pd.DataFrame | None:
    """`budgetversioner`: the year's versions side by side, the report's version last, and the
    change from the first; None with a single version (or without the report's)."""
    names = ledger.budget_versions(year)
    if len(names) < 2 or version not in names:
        return None
    order = [*(v for v in names if v != version), version]
    quantities = {f"budget_{v}": ledger.budget_lines(year, v) for v in order}
    frame = summarise(quantities, structure, warn=False).frame
    frame["forandring"] = frame[f"budget_{order[-1]}"] - frame[f"budget_{order[0]}"]
    return with_rad_first(frame, [*quantities, "forandring"])
