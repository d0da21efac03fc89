"""The published R9 tables as frames: Swedish column ids, first column ``rad``, amounts in kronor.

Why its own module: these frames are the report's contract (``tables/<id>.csv``, the workbook),
built from the analyses of :class:`uppfoljning.peers.view.PeerView` without any formatting; how
they are shown is :mod:`uppfoljning.peers.displays`. The columns of each table are listed in
:mod:`uppfoljning.peers.report`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from uppfoljning.data.config import LEVEL
from uppfoljning.peers import r9
from uppfoljning.peers.view import GOAL_YEARS, PeerView


@dataclass
class PeerTables:
    """Every published table of one R9 report, at full precision."""

    view: PeerView

    def jamforelse_table(self) -> pd.DataFrame:
        """``r9_jamforelse`` (the contract of DESIGN §7): every value per KPI, year, kommun."""
        return self.view.jamforelse.copy()

    def goal_table(self) -> pd.DataFrame:
        """``r9_mal``: goal status of the goal figures for the latest :data:`GOAL_YEARS` years."""
        goals = self.view.goals[self.view.goals["year"] > self.view.latest_year - GOAL_YEARS]
        gaps = self.view.gaps[["kpi", "year", "gap", "gap_pct", "gap_mnkr"]]
        t = goals.merge(gaps, on=["kpi", "year"], how="left").merge(
            self.view.own_ranks(), on=["kpi", "year"], how="left"
        )
        t = self.view.sort_kpis(t, "year")
        return pd.DataFrame(
            {
                "rad": t["label"],
                "kpi": t["kpi"],
                "ar": t["year"].astype("int64"),
                "kommunens_varde": t["own"],
                "r9_snitt": t["mean"],
                "skillnad": t["gap"],
                "skillnad_procent": t["gap_pct"],
                "skillnad_belopp": t["gap_mnkr"] * 1e6,
                "rang": t["rank"].astype("Int64"),
                "antal": t["n"].astype("Int64"),
                "malvarde": t["target"],
                "status": t["status"],
            }
        )

    def gap_table(self) -> pd.DataFrame:
        """``r9_gap``: every key figure against the mean in the latest year, with rank."""
        g = self.view.gaps[self.view.gaps["year"] == self.view.latest_year]
        t = g.merge(self.view.own_ranks(), on=["kpi", "year"], how="left")
        t = self.view.sort_kpis(t)
        return pd.DataFrame(
            {
                "rad": t["kpi"].map(self.view.label),
                "kpi": t["kpi"],
                "ar": t["year"].astype("int64"),
                "enhet": t["kpi"].map(self.view.unit),
                "kommunens_varde": t["own"],
                "r9_snitt": t["mean"],
                "skillnad": t["gap"],
                "skillnad_procent": t["gap_pct"],
                "befolkning": t["population"],
                "skillnad_belopp": t["gap_mnkr"] * 1e6,
                "rang": t["rank"].astype("Int64"),
                "antal": t["n"].astype("Int64"),
                LEVEL: t["kpi"].map(self.view.level),
            }
        )

    def rank_table(self) -> pd.DataFrame:
        """``r9_rang``: every municipality's rank per key figure and year (1 = lowest value)."""
        r = self.view.sort_kpis(self.view.ranks, "year", "rank")
        return pd.DataFrame(
            {
                "rad": r["kpi"].map(self.view.label),
                "kpi": r["kpi"],
                "ar": r["year"].astype("int64"),
                "kommun": r["municipality"],
                "namn": r["name"],
                "varde": r["value"],
                "rang": r["rank"].astype("int64"),
                "antal": r["n"].astype("int64"),
            }
        )

    def placement_table(self) -> pd.DataFrame:
        """``r9_placeringar``: cost, placed children and cost per placed child per peer.

        Sorted by cost per inhabitant; the mean row uses the mean cost and mean placements, so
        its cost per placed child is the one the decomposition compares with.
        """
        dec = self.view.config.decomposition
        columns = ["rad", "kommun", "ar", "kostnad", "placerade", "kostnad_per_placerad"]
        if dec is None or self.view.decomposition_refused:
            return pd.DataFrame(columns=[*columns, LEVEL])
        year = self.view.latest_year
        pv = r9.peer_values(self.view.data, self.view.config)
        pv = pv[pv["year"] == year]
        cost = pv[pv["kpi"] == dec.cost_kpi].set_index("municipality")["value"]
        placed = pv[pv["kpi"] == dec.placements_kpi].set_index("municipality")["value"]
        codes = self.view.config.comparison_codes
        t = pd.DataFrame(
            {
                "rad": [self.view.config.names[c] for c in codes],
                "kommun": codes,
                "ar": year,
                "kostnad": [cost.get(c, math.nan) for c in codes],
                "placerade": [placed.get(c, math.nan) for c in codes],
            }
        ).sort_values("kostnad", na_position="last")
        d = self.view.decomposition.set_index("year")
        mean = pd.DataFrame(
            {
                "rad": [self.view.mean_name],
                "kommun": [self.view.group.short_name],
                "ar": [year],
                "kostnad": [d.at[year, "peer_cost"] if year in d.index else math.nan],
                "placerade": [d.at[year, "peer_placed"] if year in d.index else math.nan],
            }
        )
        t = pd.concat([t, mean], ignore_index=True)
        t["kostnad_per_placerad"] = 1000 * t["kostnad"] / t["placerade"]
        if year in d.index:
            t.loc[t.index[-1], "kostnad_per_placerad"] = d.at[year, "peer_cost_per_placed"]
        t["ar"] = t["ar"].astype("int64")
        t[LEVEL] = ["summa" if c == self.view.group.short_name else "rad" for c in t["kommun"]]
        return t[[*columns, LEVEL]]

    def decomposition_table(self) -> pd.DataFrame:
        """``r9_nedbrytning``: the placement-cost gap per year as volume + price effects."""
        d = self.view.decomposition
        dec = self.view.config.decomposition
        label = self.view.label(dec.cost_kpi) if dec is not None else ""
        return pd.DataFrame(
            {
                "rad": [label] * len(d),
                "ar": d["year"].astype("int64"),
                "placerade": d["placed"],
                "placerade_r9": d["peer_placed"],
                "kostnad_per_placerad": d["cost_per_placed"],
                "kostnad_per_placerad_r9": d["peer_cost_per_placed"],
                "skillnad": d["gap"],
                "volymeffekt": d["volume_effect"],
                "priseffekt": d["price_effect"],
                "invanare_0_20": d["population_0_20"],
                "skillnad_belopp": d["gap_mnkr"] * 1e6,
                "volymeffekt_belopp": d["volume_effect_mnkr"] * 1e6,
                "priseffekt_belopp": d["price_effect_mnkr"] * 1e6,
            }
        )

    def gender_table(self) -> pd.DataFrame:
        """``r9_kon``: values for women/girls (K), men/boys (M) and in total, latest year."""
        columns = ["rad", "kpi", "ar", "kommun", "namn", "kvinnor", "man", "totalt"]
        g = r9.gender_split(self.view.data, self.view.config)
        g = g[g["year"] == self.view.latest_year]
        if g.empty:
            return pd.DataFrame(columns=columns)
        wide = (
            g.set_index(["kpi", "year", "municipality", "name", "gender"])["value"]
            .unstack("gender")
            .reset_index()
        )
        order = {
            c: i
            for i, c in enumerate([*self.view.config.comparison_codes, self.view.group.short_name])
        }
        wide = self.view.sort_kpis(wide.assign(_m=wide["municipality"].map(order)), "_m")
        out = pd.DataFrame(
            {
                "rad": wide["kpi"].map(self.view.label),
                "kpi": wide["kpi"],
                "ar": wide["year"].astype("int64"),
                "kommun": wide["municipality"],
                "namn": wide["name"],
                "kvinnor": wide.get("K"),
                "man": wide.get("M"),
                "totalt": wide.get("T"),
            }
        )
        out[LEVEL] = ["summa" if c == self.view.group.short_name else "rad" for c in out["kommun"]]
        return out

    def check_table(self) -> pd.DataFrame:
        """``r9_kontroll``: our unweighted mean beside Kolada's own group value, latest year."""
        m = self.view.means[self.view.means["year"] == self.view.latest_year]
        m = self.view.sort_kpis(m)
        return pd.DataFrame(
            {
                "rad": m["kpi"].map(self.view.label),
                "kpi": m["kpi"],
                "ar": m["year"].astype("int64"),
                "r9_snitt": m["mean"],
                "antal": m["n"].astype("int64"),
                "koladas_snitt": m["group_value"],
                "antal_koladas": m["group_count"].astype("Int64"),
                "skillnad": m["group_diff"],
            }
        )
