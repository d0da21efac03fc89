"""Monthly series per top-level row: outcome, periodised budget, where in the year each
deviation arose, cumulative outcome against budget, and rolling twelve months.

Long-format DataFrames (rad_id, rad, period, values); amounts in kronor, no formatting.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from uppfoljning.data.config import UNCLASSIFIED_ID, UNCLASSIFIED_LABEL, ReportStructure
from uppfoljning.economy.ledger import LEVEL, Ledger, summarise


@dataclass(frozen=True)
class MonthlySeries:
    """The monthly series of one report year up to its period."""

    ledger: Ledger
    structure: ReportStructure
    year: int
    period: str
    budget_version: str

    # The sums per month are the costly part; every table and chart of the year reads them, so
    # they are made once per series (the public methods hand out copies).
    def outcome_by_row(self) -> pd.DataFrame:
        """Outcome per month and top-level row for every month in the ledger (long format)."""
        return self._outcome_by_row.copy()

    def budget_by_row(self) -> pd.DataFrame:
        """Periodised budget per month of the year and top-level row (long format)."""
        return self._budget_by_row.copy()

    def grid(self) -> pd.DataFrame:
        """Budget and outcome per top-level row and month of the year, every month for every row
        with lines in either (the "Ej klassificerat" row often has outcome only).

        A month the ledger holds but a row has no lines in counts as zero outcome; a month the
        ledger lacks stays empty.
        """
        return self._grid.copy()

    @cached_property
    def _outcome_by_row(self) -> pd.DataFrame:
        parts = []
        for period, lines in self.ledger.monthly.groupby("period"):
            s = summarise({"utfall": lines}, self.structure, warn=False, subrows=False).frame
            s = s[s[LEVEL] != "varav"][["rad", "utfall"]].reset_index()
            s["period"] = period
            parts.append(s)
        return pd.concat(parts, ignore_index=True)

    @cached_property
    def _budget_by_row(self) -> pd.DataFrame:
        parts = []
        previous = None
        for m in range(1, 13):
            lines = self.ledger.budget_lines(self.year, self.budget_version, through_month=m)
            s = summarise({"budget": lines}, self.structure, warn=False, subrows=False).frame
            s = s[s[LEVEL] != "varav"][["rad", "budget"]]
            cumulative = s["budget"]
            s = s.assign(budget=cumulative - (previous if previous is not None else 0.0))
            previous = cumulative
            s = s.reset_index()
            s["period"] = f"{self.year}-{m:02d}"
            parts.append(s)
        return pd.concat(parts, ignore_index=True)

    @cached_property
    def _grid(self) -> pd.DataFrame:
        outcome = self._outcome_by_row
        outcome = outcome[outcome["period"].str.startswith(f"{self.year}-")]
        budget = self._budget_by_row
        keys = ["rad_id", "period"]
        labels = pd.concat([budget[["rad_id", "rad"]], outcome[["rad_id", "rad"]]])
        labels = labels.drop_duplicates("rad_id").set_index("rad_id")["rad"]
        months = [f"{self.year}-{m:02d}" for m in range(1, 13)]
        grid = pd.MultiIndex.from_product([list(labels.index), months], names=keys)
        f = pd.DataFrame(index=grid)
        f = f.join(budget.set_index(keys)["budget"]).join(outcome.set_index(keys)["utfall"])
        f = f.reset_index()
        f.insert(1, "rad", f["rad_id"].map(labels))
        f["budget"] = f["budget"].fillna(0.0)
        booked = f["period"].isin(set(self.ledger.periods)) & (f["period"] <= self.period)
        f.loc[booked, "utfall"] = f.loc[booked, "utfall"].fillna(0.0)
        return f

    def deviation_matrix(self) -> pd.DataFrame:
        """Budget − outcome per leaf row (rows, by label) and booked month up to the period
        (columns): where in the year each deviation arose."""
        f = self.grid()
        f = f[(f["period"] <= self.period) & f["period"].isin(set(self.ledger.periods))]
        leaf = [r.id for r in self.structure.leaf_rows] + [UNCLASSIFIED_ID]
        f = f[f["rad_id"].isin(leaf)]
        f["avvikelse"] = f["budget"] - f["utfall"].fillna(0.0)
        matrix = f.pivot_table(index="rad", columns="period", values="avvikelse", aggfunc="sum")
        order = [r.label for r in self.structure.leaf_rows] + [UNCLASSIFIED_LABEL]
        return matrix.reindex([label for label in order if label in matrix.index])

    def cumulative(self, row_ids: list[str]) -> pd.DataFrame:
        """Cumulative outcome and budget per month of the year for the given rows (in order)."""
        f = self.grid()
        f = f[f["rad_id"].isin(row_ids)]
        order = {row_id: i for i, row_id in enumerate(row_ids)}
        f = f.sort_values(
            ["rad_id", "period"], key=lambda s: s.map(order) if s.name == "rad_id" else s
        )
        f["budget_ack"] = f.groupby("rad_id")["budget"].cumsum()
        f["utfall_ack"] = f.groupby("rad_id")["utfall"].cumsum()
        f.loc[f["period"] > self.period, "utfall_ack"] = np.nan
        return f

    def rolling_12(self) -> pd.DataFrame:
        """Rolling 12-month net cost per top-level row; months without lines count as zero."""
        m = self.outcome_by_row()
        wide = m.pivot_table(index="period", columns="rad_id", values="utfall", aggfunc="sum")
        first, last = wide.index.min(), self.period
        months = pd.period_range(first, last, freq="M").strftime("%Y-%m")
        wide = wide.reindex(months).fillna(0.0)
        rolled = wide.rolling(12, min_periods=12).sum().dropna(how="all")
        labels = m.drop_duplicates("rad_id").set_index("rad_id")["rad"]
        long = rolled.reset_index(names="period").melt(
            id_vars="period", var_name="rad_id", value_name="r12"
        )
        long["rad"] = long["rad_id"].map(labels)
        return long

    def largest_rolling(self, n: int = 6) -> pd.DataFrame:
        """The rolling series of the `n` leaf rows with the largest latest value."""
        r12 = self.rolling_12()
        rows = [r.id for r in self.structure.leaf_rows]
        r12 = r12[r12["rad_id"].isin(rows)]
        latest = r12[r12["period"] == r12["period"].max()]
        biggest = latest.nlargest(n, "r12")["rad_id"]
        return r12[r12["rad_id"].isin(biggest)]
