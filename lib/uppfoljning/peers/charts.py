"""What the R9 charts show: the frames :mod:`uppfoljning.peers.plots` draws, and the charts.

Why its own module: the drawing functions know nothing about Kolada or the catalogue; this part
of the report picks the rows (own, peers, the mean), the latest year and the titles, and says in
Swedish why a chart is not drawn when the decomposition is refused or Kolada lacks values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from IPython.display import Markdown
from matplotlib.figure import Figure

from uppfoljning.peers import plots
from uppfoljning.peers.tables import PeerTables
from uppfoljning.peers.view import PeerView
from uppfoljning.present.formatting import format_number


@dataclass
class PeerCharts:
    """Chart inputs and charts of one R9 report."""

    view: PeerView
    tables: PeerTables

    def trend_data(self, kpi: str) -> pd.DataFrame:
        """year, name, value, role (own/peer/mean) for :func:`plots.trend_lines`."""
        jam = self.tables.jamforelse_table()
        jam = jam[(jam["kpi"] == kpi) & (jam["kommun"] != self.view.group.kolada_id)]
        roles = {c: "peer" for c in self.view.config.comparison_codes}
        roles[self.view.own] = "own"
        roles[self.view.group.short_name] = "mean"
        return pd.DataFrame(
            {
                "year": jam["ar"],
                "name": jam["kommun"].map(self.view.config.names),
                "value": jam["varde"],
                "role": jam["kommun"].map(roles),
            }
        ).reset_index(drop=True)

    def ranking_data(self, kpi: str) -> pd.DataFrame:
        """name, value, role for :func:`plots.ranked_bars` (latest year)."""
        t = self.trend_data(kpi)
        return t[(t["year"] == self.view.latest_year) & (t["role"] != "mean")].reset_index(
            drop=True
        )

    def latest_mean(self, kpi: str) -> float:
        m = self.view.means
        row = m[(m["kpi"] == kpi) & (m["year"] == self.view.latest_year)]
        return float(row["mean"].iloc[0]) if len(row) else math.nan

    def chart_title(self, kpi: str, *, ranking: bool = False) -> str:
        if ranking:
            return f"{self.view.label(kpi)}, {self.view.latest_year}"
        return f"{self.view.label(kpi)}, {min(self.view.years)}–{self.view.latest_year}"

    def placement_data(self) -> pd.DataFrame:
        """name, placed, cost_per_placed, role for :func:`plots.placement_scatter`."""
        t = self.tables.placement_table()
        roles = [
            "mean" if c == self.view.group.short_name else "own" if c == self.view.own else "peer"
            for c in t["kommun"]
        ]
        return pd.DataFrame(
            {
                "name": t["rad"],
                "placed": t["placerade"],
                "cost_per_placed": t["kostnad_per_placerad"],
                "role": roles,
            }
        )

    def iso_costs(self) -> dict[str, float]:
        """Equal-cost curves through the municipality and the mean (label → kr/inv 0–20)."""
        t = self.tables.placement_table().set_index("kommun")
        out = {}
        for code, name in (
            (self.view.own, self.view.own_name),
            (self.view.group.short_name, self.view.mean_name),
        ):
            if code in t.index and pd.notna(t.at[code, "kostnad"]):
                cost = float(t.at[code, "kostnad"])
                out[f"{name}: {format_number(cost, 0)} kr/inv"] = cost
        return out

    def placement_chart(self) -> Figure | Markdown:
        """The placements scatter, or why it is not drawn (the decomposition is refused)."""
        if self.view.decomposition_refused or self.tables.placement_table().empty:
            return Markdown(f"*Diagrammet ritas inte: {self._refusal_reason()}*")
        return plots.placement_scatter(
            self.placement_data(),
            iso_costs=self.iso_costs(),
            title=f"Placerade och kostnad per placerat barn, {self.view.latest_year}",
        )

    def decomposition_chart(self) -> Figure | Markdown:
        """The volume/price bars per year, or why they are not drawn."""
        if self.view.decomposition_refused or self.tables.decomposition_table().empty:
            return Markdown(f"*Diagrammet ritas inte: {self._refusal_reason()}*")
        return plots.decomposition_bars(
            self.decomposition_data(),
            title=f"Skillnad mot {self.view.mean_definite}: antal placerade och kostnad per "
            "placerat barn",
        )

    def _refusal_reason(self) -> str:
        if self.view.decomposition_refused:
            return (
                "Koladas titel för ett av nyckeltalen motsäger vad rapporten använder det till "
                "(se texten ovan)."
            )
        return "Kolada saknar de värden som behövs."

    def decomposition_data(self) -> pd.DataFrame:
        """year, volume, price, gap in kronor for :func:`plots.decomposition_bars`."""
        t = self.tables.decomposition_table()
        return pd.DataFrame(
            {
                "year": t["ar"],
                "volume": t["volymeffekt_belopp"],
                "price": t["priseffekt_belopp"],
                "gap": t["skillnad_belopp"],
            }
        )
