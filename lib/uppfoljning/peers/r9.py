"""R9 comparisons: the analyses of Kolada key figures against the peer group.

The committee's goals say cost per inhabitant shall be "samma eller lägre än R9-snitt", so the
report needs the peers' values, an unweighted peer mean (as Kolada computes group means) with
Kolada's own group value beside it as a cross-check, the gap in kr/inv, % and mnkr, rank, goal
status, and an explanation of the placement-cost gap. Every function takes the tidy frame from
:meth:`uppfoljning.peers.kolada.KoladaClient.data` and the catalogue
(:class:`uppfoljning.peers.catalogue.R9Config`) and returns a DataFrame with English column ids;
Swedish column headers, texts and formats are the report's (:mod:`uppfoljning.peers.report`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from uppfoljning.peers.catalogue import POPULATION_BASES, R9Config
from uppfoljning.peers.checks import RoleConflict, decomposition_conflicts

TABLE_ID = "r9_jamforelse"
TABLE_COLUMNS = ["rad", "kpi", "ar", "kommun", "varde"]

SOURCE_RAW = "Källa: Kolada"
SOURCE_DERIVED = "Egen bearbetning av data från Kolada"
SOURCES = {"raw": SOURCE_RAW, "derived": SOURCE_DERIVED}
"""Kolada's terms ask that derived figures (means, gaps, ranks) are labelled as our own work."""

GOAL_MET = "Uppfyllt"
GOAL_NOT_MET = "Ej uppfyllt"
GOAL_NO_DATA = "Uppgift saknas"


class DecompositionRefusedError(ValueError):
    """Kolada's titles contradict the roles of the decomposition's inputs (see ``conflicts``)."""

    def __init__(self, conflicts: Sequence[RoleConflict]) -> None:
        self.conflicts = list(conflicts)
        super().__init__(" ".join(c.text for c in self.conflicts))


def _kpi_order(config: R9Config) -> dict[str, int]:
    return {kpi_id: i for i, kpi_id in enumerate(config.kpi_ids)}


def _select(
    data: pd.DataFrame, kpis: Sequence[str], codes: Sequence[str], gender: str
) -> pd.DataFrame:
    mask = data["kpi"].isin(kpis) & data["municipality"].isin(codes) & (data["gender"] == gender)
    return data.loc[mask]


def peer_values(data: pd.DataFrame, config: R9Config, gender: str = "T") -> pd.DataFrame:
    """Each peer's value per KPI and year: kpi, year, municipality, name, value, status, is_own."""
    codes = config.comparison_codes
    out = _select(data, config.kpi_ids, codes, gender)[
        ["kpi", "year", "municipality", "value", "status"]
    ].copy()
    out["name"] = out["municipality"].map(config.names)
    out["is_own"] = out["municipality"] == config.municipality.code
    code_order = {c: i for i, c in enumerate(codes)}
    out = out.assign(
        _k=out["kpi"].map(_kpi_order(config)), _m=out["municipality"].map(code_order)
    ).sort_values(["_k", "year", "_m"])
    cols = ["kpi", "year", "municipality", "name", "value", "status", "is_own"]
    return out[cols].reset_index(drop=True)


def peer_means(data: pd.DataFrame, config: R9Config, gender: str = "T") -> pd.DataFrame:
    """Unweighted peer mean beside Kolada's own group value.

    Columns: kpi, year, mean, n (members with a value), n_expected, group_value, group_count,
    group_diff (Kolada's value − ours; ≈0 when the mean includes the own municipality).
    """
    sel = _select(data, config.kpi_ids, config.mean_codes, gender)
    means = sel.groupby(["kpi", "year"], as_index=False).agg(
        mean=("value", "mean"), n=("value", "count")
    )
    if config.group.kolada_id:
        grp = _select(data, config.kpi_ids, [config.group.kolada_id], gender)
        grp = grp[["kpi", "year", "value", "count"]].rename(
            columns={"value": "group_value", "count": "group_count"}
        )
        means = means.merge(grp, on=["kpi", "year"], how="outer")
    else:
        means["group_value"] = np.nan
        means["group_count"] = pd.array([pd.NA] * len(means), dtype="Int64")
    means["n"] = means["n"].fillna(0).astype("int64")
    means["n_expected"] = len(config.mean_codes)
    means["group_diff"] = means["group_value"] - means["mean"]
    means = means.assign(_k=means["kpi"].map(_kpi_order(config))).sort_values(["_k", "year"])
    cols = ["kpi", "year", "mean", "n", "n_expected", "group_value", "group_count", "group_diff"]
    return means[cols].reset_index(drop=True)


def population(data: pd.DataFrame, config: R9Config) -> pd.DataFrame:
    """Inhabitants per municipality and year: municipality, year, total, age_0_20.

    age_0_20 = total × Kolada's 0–20 share / 100 (approximate: the share has one decimal).
    """
    t = data[data["gender"] == "T"]
    total = t[t["kpi"] == config.population_total_kpi][["municipality", "year", "value"]]
    share = t[t["kpi"] == config.population_share_0_20_kpi][["municipality", "year", "value"]]
    out = total.rename(columns={"value": "total"}).merge(
        share.rename(columns={"value": "share_0_20"}), on=["municipality", "year"], how="outer"
    )
    out["age_0_20"] = out["total"] * out["share_0_20"] / 100
    out = out.sort_values(["municipality", "year"]).reset_index(drop=True)
    return out[["municipality", "year", "total", "age_0_20"]]


def _own_population(data: pd.DataFrame, config: R9Config) -> pd.DataFrame:
    pop = population(data, config)
    own = pop[pop["municipality"] == config.municipality.code]
    return own.rename(columns={"total": "totalt", "age_0_20": "0-20"})[["year", "totalt", "0-20"]]


def gaps(data: pd.DataFrame, config: R9Config) -> pd.DataFrame:
    """The own municipality against the peer mean (totals, gender T).

    Columns: kpi, year, own, mean, gap (own − mean; + = dearer than the peers), gap_pct
    (of the mean), population_base, population, gap_mnkr (gap × population / 1e6: what the gap
    is worth for our population; NaN for KPIs not per inhabitant).
    """
    own = _select(data, config.kpi_ids, [config.municipality.code], "T")[
        ["kpi", "year", "value"]
    ].rename(columns={"value": "own"})
    means = peer_means(data, config)[["kpi", "year", "mean"]]
    out = means.merge(own, on=["kpi", "year"], how="outer")
    out["gap"] = out["own"] - out["mean"]
    out["gap_pct"] = out["gap"] / out["mean"] * 100
    out["population_base"] = out["kpi"].map({k.id: k.population for k in config.kpis})
    pop = _own_population(data, config).set_index("year")
    out["population"] = [
        pop.at[year, base] if base in POPULATION_BASES and year in pop.index else np.nan
        for year, base in zip(out["year"], out["population_base"], strict=True)
    ]
    out["population"] = out["population"].astype("float64")
    out["gap_mnkr"] = out["gap"] * out["population"] / 1e6
    out = out.assign(_k=out["kpi"].map(_kpi_order(config))).sort_values(["_k", "year"])
    cols = [
        "kpi",
        "year",
        "own",
        "mean",
        "gap",
        "gap_pct",
        "population_base",
        "population",
        "gap_mnkr",
    ]
    return out[cols].reset_index(drop=True)


def ranks(data: pd.DataFrame, config: R9Config, gender: str = "T") -> pd.DataFrame:
    """Rank among the peers per KPI and year, 1 = lowest value (lowest cost); ties share a rank.

    Columns: kpi, year, municipality, name, value, rank, n (peers with a value), is_own.
    """
    pv = peer_values(data, config, gender)
    pv = pv[pv["value"].notna()].copy()
    grouped = pv.groupby(["kpi", "year"])["value"]
    pv["rank"] = grouped.rank(method="min", ascending=True).astype("int64")
    pv["n"] = grouped.transform("count").astype("int64")
    pv = pv.assign(_k=pv["kpi"].map(_kpi_order(config))).sort_values(["_k", "year", "rank"])
    cols = ["kpi", "year", "municipality", "name", "value", "rank", "n", "is_own"]
    return pv[cols].reset_index(drop=True)


def goal_status(data: pd.DataFrame, config: R9Config) -> pd.DataFrame:
    """Goal status for the KPIs with a committee goal.

    Columns: kpi, label, year, own, mean, target ("Samma eller lägre än R9-snitt"), status
    ("Uppfyllt" / "Ej uppfyllt" / "Uppgift saknas"). Compared at full precision.
    """
    goals = {k.id: k.goal for k in config.kpis if k.goal}
    g = gaps(data, config)
    g = g[g["kpi"].isin(goals)].copy()
    statuses = []
    for kpi_id, own, mean in zip(g["kpi"], g["own"], g["mean"], strict=True):
        if pd.isna(own) or pd.isna(mean):
            statuses.append(GOAL_NO_DATA)
        elif goals[kpi_id] == "lika_eller_lagre_an_snitt":
            statuses.append(GOAL_MET if own <= mean else GOAL_NOT_MET)
        else:
            statuses.append(GOAL_MET if own >= mean else GOAL_NOT_MET)
    g["label"] = g["kpi"].map(config.label)
    g["target"] = g["kpi"].map(config.goal_text)
    g["status"] = statuses
    return g[["kpi", "label", "year", "own", "mean", "target", "status"]].reset_index(drop=True)


def _log_mean(a: float, b: float) -> float:
    return a if a == b else (a - b) / (math.log(a) - math.log(b))


DECOMPOSITION_COLUMNS = [
    "year",
    "cost",
    "peer_cost",
    "placed",
    "peer_placed",
    "cost_per_placed",
    "peer_cost_per_placed",
    "gap",
    "volume_effect",
    "price_effect",
    "population_0_20",
    "gap_mnkr",
    "volume_effect_mnkr",
    "price_effect_mnkr",
]
"""Columns of :func:`placement_decomposition`."""


def placement_decomposition(
    data: pd.DataFrame, config: R9Config, kpi_metadata: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Split the placement-cost gap into a volume and a price effect (per year).

    With ``kpi_metadata`` (Kolada's, from the cache) the inputs' titles are checked against
    their roles first; a contradiction (e.g. the placements figure counts only HVB) raises
    :class:`DecompositionRefusedError` instead of computing a wrong split.

    cost per inhabitant 0–20 = placed per 1 000 inhabitants 0–20 × cost per placed child / 1 000.
    The peer side uses the peer means of cost and of placements, and the implied peer cost per
    placed child (mean cost × 1 000 / mean placements), so the identity holds on both sides.
    Logarithmic-mean (LMDI) split: volume = L × ln(p / p̄), price = L × ln(k / k̄) with
    L = (c − c̄) / (ln c − ln c̄); the two add up to the gap exactly (price is computed as
    gap − volume, which equals the LMDI term, so rounding cannot open a residual).

    Columns: year, cost, peer_cost, placed, peer_placed, cost_per_placed, peer_cost_per_placed,
    gap, volume_effect, price_effect (kr/inv 0–20), population_0_20, gap_mnkr,
    volume_effect_mnkr, price_effect_mnkr.
    """
    columns = DECOMPOSITION_COLUMNS
    dec = config.decomposition
    if dec is None:
        return pd.DataFrame(columns=columns)
    if kpi_metadata is not None:
        conflicts = decomposition_conflicts(config, kpi_metadata)
        if conflicts:
            raise DecompositionRefusedError(conflicts)
    g = gaps(data, config).set_index(["kpi", "year"])
    years = sorted(
        set(g.loc[dec.cost_kpi].index if dec.cost_kpi in g.index.get_level_values(0) else [])
        & set(
            g.loc[dec.placements_kpi].index
            if dec.placements_kpi in g.index.get_level_values(0)
            else []
        )
    )
    pop = _own_population(data, config).set_index("year")["0-20"]
    rows = []
    for year in years:
        c, c_bar = g.at[(dec.cost_kpi, year), "own"], g.at[(dec.cost_kpi, year), "mean"]
        p, p_bar = g.at[(dec.placements_kpi, year), "own"], g.at[(dec.placements_kpi, year), "mean"]
        row: dict[str, float] = {
            "year": year,
            "cost": c,
            "peer_cost": c_bar,
            "placed": p,
            "peer_placed": p_bar,
        }
        valid = all(pd.notna(v) and v > 0 for v in (c, c_bar, p, p_bar))
        k = 1000 * c / p if valid else np.nan
        k_bar = 1000 * c_bar / p_bar if valid else np.nan
        gap = c - c_bar if pd.notna(c) and pd.notna(c_bar) else np.nan
        volume = _log_mean(c, c_bar) * math.log(p / p_bar) if valid else np.nan
        price = gap - volume if valid else np.nan
        pop_0_20 = pop.get(year, np.nan)
        row.update(
            cost_per_placed=k,
            peer_cost_per_placed=k_bar,
            gap=gap,
            volume_effect=volume,
            price_effect=price,
            population_0_20=pop_0_20,
            gap_mnkr=gap * pop_0_20 / 1e6,
            volume_effect_mnkr=volume * pop_0_20 / 1e6,
            price_effect_mnkr=price * pop_0_20 / 1e6,
        )
        rows.append(row)
    out = pd.DataFrame(rows, columns=columns)
    out["year"] = out["year"].astype("int64")
    return out


def gender_split(data: pd.DataFrame, config: R9Config) -> pd.DataFrame:
    """Values by gender (K, M and T) for the KPIs Kolada splits, with the peer mean per gender.

    Columns: kpi, year, municipality (code, or the group's short name for the mean), name,
    gender, value. Empty if Kolada has no gender split for any configured KPI.
    """
    codes = config.comparison_codes
    split = data[
        data["kpi"].isin(config.kpi_ids)
        & data["municipality"].isin(codes)
        & data["gender"].isin(["K", "M"])
    ]
    kpis = [k for k in config.kpi_ids if k in set(split["kpi"])]
    parts = []
    for gender in ("K", "M", "T"):
        values = _select(data, kpis, codes, gender)[["kpi", "year", "municipality", "value"]]
        mean = (
            _select(data, kpis, config.mean_codes, gender)
            .groupby(["kpi", "year"], as_index=False)["value"]
            .mean()
            .assign(municipality=config.group.short_name)
        )
        parts.append(pd.concat([values, mean]).assign(gender=gender))
    out = pd.concat(parts, ignore_index=True)
    out["name"] = out["municipality"].map(config.names)
    order = {c: i for i, c in enumerate([*codes, config.group.short_name])}
    out = out.assign(
        _k=out["kpi"].map(_kpi_order(config)),
        _m=out["municipality"].map(order),
        _g=out["gender"].map({"K": 0, "M": 1, "T": 2}),
    ).sort_values(["_k", "year", "_m", "_g"])
    return out[["kpi", "year", "municipality", "name", "gender", "value"]].reset_index(drop=True)


def r9_jamforelse(data: pd.DataFrame, config: R9Config) -> pd.DataFrame:
    """Table ``r9_jamforelse``: rad, kpi, ar, kommun, varde (totals, full precision).

    One row per KPI, year and municipality (four-digit code), plus the suite's unweighted mean
    (kommun = the group's short name, "R9") and Kolada's own group value (kommun = its id,
    "G96092"). Raw values are "Källa: Kolada"; the R9 rows are "Egen bearbetning av data från
    Kolada".
    """
    pv = peer_values(data, config)[["kpi", "year", "municipality", "value"]]
    pm = peer_means(data, config)
    parts = [
        pv,
        pm[["kpi", "year", "mean"]]
        .rename(columns={"mean": "value"})
        .assign(municipality=config.group.short_name),
    ]
    if config.group.kolada_id:
        grp = pm[pm["group_value"].notna()][["kpi", "year", "group_value"]]
        parts.append(
            grp.rename(columns={"group_value": "value"}).assign(municipality=config.group.kolada_id)
        )
    out = pd.concat(parts, ignore_index=True)
    order = [*config.comparison_codes, config.group.short_name, config.group.kolada_id]
    out = out.assign(
        _k=out["kpi"].map(_kpi_order(config)),
        _m=out["municipality"].map({c: i for i, c in enumerate(order)}),
    ).sort_values(["_k", "year", "_m"])
    table = pd.DataFrame(
        {
            "rad": out["kpi"].map(config.label).astype("str"),
            "kpi": out["kpi"].astype("str"),
            "ar": out["year"].astype("int64"),
            "kommun": out["municipality"].astype("str"),
            "varde": out["value"].astype("float64"),
        }
    )
    return table.reset_index(drop=True)
