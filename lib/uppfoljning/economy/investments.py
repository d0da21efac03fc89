"""Investments per project: outcome January–month, the forecast in force, frame and deviation.

Both datasets are optional (`investeringar`, `investeringsbudget`). Expenditure (`utgifter`)
and income (`inkomster`) are positive amounts; net = expenditure − income; deviation = frame −
net. DataFrames in, DataFrames out; amounts in kronor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from uppfoljning.data.config import parse_period
from uppfoljning.economy.ledger import LEVEL, _scan, dataset_rows

INVESTMENT_TOTAL = "Summa investeringar"
INVESTMENT_COLUMNS = [
    "utgifter",
    "inkomster",
    "prognos_utgifter",
    "prognos_inkomster",
    "prognos_netto",
    "ram",
    "avvikelse",
]


def scan_optional(data_dir: Path, dataset: str, select: str, group: str) -> pd.DataFrame:
    """`_scan` of an optional dataset; an empty or never-ingested one gives empty float columns."""
    if dataset_rows(data_dir, dataset):
        return _scan(data_dir, dataset, select, group)
    names = [part.strip().split(" AS ")[-1] for part in select.split(",")]
    keys = {k.strip() for k in group.split(",")}
    return pd.DataFrame({n: pd.Series(dtype=object if n in keys else float) for n in names})


def others_last(names: pd.Series) -> pd.Series:
    """Sort projects by name but keep "Övriga …" at the end, as reports do."""
    return names.map(lambda n: (str(n).lower().startswith("övrig"), str(n)))


@dataclass(frozen=True)
class Investments:
    """The investment outcome and plan (frames, forecasts per forecast month) of all years."""

    outcome: pd.DataFrame  # ar, projekt, period, utgifter, inkomster
    plan: pd.DataFrame  # ar, projekt, prognosmanad, ram, prognos_utgifter, prognos_inkomster
    period: str

    @classmethod
    def load(cls, data_dir: Path, period: str) -> Investments:
        outcome = scan_optional(
            data_dir,
            "investeringar",
            "ar, projekt, period, sum(utgifter) AS utgifter, sum(inkomster) AS inkomster",
            "ar, projekt, period",
        )
        plan = scan_optional(
            data_dir,
            "investeringsbudget",
            "ar, projekt, prognosmanad, sum(ram) AS ram, sum(prognos_utgifter) AS prognos_utgifter,"
            " sum(prognos_inkomster) AS prognos_inkomster",
            "ar, projekt, prognosmanad",
        )
        return cls(outcome, plan, period)

    @property
    def year(self) -> int:
        return parse_period(self.period)[0]

    @property
    def has_budget(self) -> bool:
        """Whether `investeringsbudget` holds the year's frames."""
        return bool((self.plan["ar"] == self.year).any())

    @property
    def has_any(self) -> bool:
        """Whether the year has investment outcome or frames at all."""
        return self.has_budget or bool((self.outcome["ar"] == self.year).any())

    def plan_for(self, forecast_month: str | None) -> pd.DataFrame:
        """Frame and forecast per project as of `forecast_month` (None: the latest up to the
        period); a project without a forecast is expected to use its frame exactly."""
        plan = self.plan[self.plan["ar"] == self.year]
        dated = plan[plan["prognosmanad"] != ""]
        if forecast_month is None:
            forecast_month = max(
                (m for m in dated["prognosmanad"] if m <= self.period), default=None
            )
        chosen = pd.concat(
            [plan[plan["prognosmanad"] == ""], dated[dated["prognosmanad"] == forecast_month]]
        )
        chosen = chosen.groupby("projekt", as_index=False)[
            ["ram", "prognos_utgifter", "prognos_inkomster"]
        ].sum(min_count=1)
        chosen["prognos_utgifter"] = chosen["prognos_utgifter"].fillna(chosen["ram"])
        chosen["prognos_inkomster"] = chosen["prognos_inkomster"].fillna(0.0)
        return chosen

    def previous_deviation(self, forecast_month: str | None) -> float:
        """Frame − forecast net over all projects as of an earlier forecast (NaN without one)."""
        if forecast_month is None or not self.has_budget:
            return np.nan
        p = self.plan_for(forecast_month)
        return (p["ram"] - (p["prognos_utgifter"] - p["prognos_inkomster"])).sum()

    def table(self, *, closes_year: bool) -> pd.DataFrame:
        """`investeringar`, one row per project and a sum row (`summa`).

        At year end (`closes_year`) the "prognos" columns hold the year's outcome; without an
        investment budget the frame columns are empty.
        """
        outcome = self.outcome
        ytd = outcome[(outcome["ar"] == self.year) & (outcome["period"] <= self.period)]
        ytd = ytd.groupby("projekt", as_index=False)[["utgifter", "inkomster"]].sum()
        f = self.plan_for(None).merge(ytd, on="projekt", how="outer")
        f[["utgifter", "inkomster"]] = f[["utgifter", "inkomster"]].fillna(0.0)
        if self.has_budget:
            planned = ["ram", "prognos_utgifter", "prognos_inkomster"]
            f[planned] = f[planned].fillna(0.0)
        if closes_year:
            # The year is closed: its outcome replaces the forecast, as in the overview.
            f["prognos_utgifter"] = f["utgifter"]
            f["prognos_inkomster"] = f["inkomster"]
        f["prognos_netto"] = f["prognos_utgifter"] - f["prognos_inkomster"]
        f["avvikelse"] = f["ram"] - f["prognos_netto"]
        f = f.rename(columns={"projekt": "rad"}).sort_values("rad", key=others_last)
        f[LEVEL] = "rad"
        total = f.drop(columns=["rad", LEVEL]).sum(min_count=1).to_dict() | {
            "rad": INVESTMENT_TOTAL
        }
        f = pd.concat([f, pd.DataFrame([total | {LEVEL: "total"}])], ignore_index=True)
        f.index = pd.Index([f"projekt_{i}" for i in range(len(f) - 1)] + ["summa"], name="rad_id")
        return f[["rad", *INVESTMENT_COLUMNS, LEVEL]]
