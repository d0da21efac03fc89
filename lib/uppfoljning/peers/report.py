"""The R9 comparison report: tables, texts and chart data for ``notebooks/r9_jamforelser.ipynb``.

Why a module: notebooks only call into the library, and the analyses in :mod:`uppfoljning.peers.r9`
return frames with English column ids. This module turns them into the published tables
(Swedish column ids, first column ``rad``, amounts in kronor), their Swedish display (headers,
decimals per unit, goal colours, a source line under each table as Kolada's terms require) and
the prose around them.

Published tables (``tables/<id>.csv``):

- ``r9_jamforelse``: rad, kpi, ar, kommun, varde – every value, the R9 mean and Kolada's G96092.
- ``r9_mal``: rad, kpi, ar, kommunens_varde, r9_snitt, skillnad, skillnad_procent,
  skillnad_belopp, rang, antal, malvarde, status – goal status, the last five years.
- ``r9_gap``: rad, kpi, ar, enhet, kommunens_varde, r9_snitt, skillnad, skillnad_procent,
  befolkning, skillnad_belopp, rang, antal – every key figure, latest year.
- ``r9_rang``: rad, kpi, ar, kommun, namn, varde, rang, antal – every municipality and year.
- ``r9_placeringar``: rad, kommun, ar, kostnad, placerade, kostnad_per_placerad – latest year.
- ``r9_nedbrytning``: rad, ar, placerade, placerade_r9, kostnad_per_placerad,
  kostnad_per_placerad_r9, skillnad, volymeffekt, priseffekt, invanare_0_20, skillnad_belopp,
  volymeffekt_belopp, priseffekt_belopp – the placement-cost gap per year.
- ``r9_kon``: rad, kpi, ar, kommun, namn, kvinnor, man, totalt – gender split, latest year.
- ``r9_kontroll``: rad, kpi, ar, r9_snitt, antal, koladas_snitt, antal_koladas, skillnad.

Sign convention: skillnad = the municipality − the R9 mean, so a positive gap is a higher cost.
``*_belopp`` columns are kronor (the gap × the municipality's population); displays show mnkr.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from uppfoljning.data.config import LEVEL
from uppfoljning.peers import plots as r9_plots
from uppfoljning.peers import r9
from uppfoljning.present.formatting import format_amount, format_mnkr, format_number, format_percent
from uppfoljning.present.report import ReportContext
from uppfoljning.present.tables import number_format, percent_format, styled

SECTION = "R9-jämförelser"
GOAL_YEARS = 5
"""The goal table covers the latest five years; the charts show every year."""
CHECK_TOLERANCE = 0.5
"""Largest difference (in the key figure's unit) between our mean and Kolada's counted as equal."""

HVB_NOTE = (
    "Kolada har inte längre något nyckeltal för kostnad per vårddygn i HVB för barn och unga "
    "(N33100 och N33101 har utgått), så den kan inte jämföras med R9 här. Kommunens egen "
    "kostnad per vårddygn för HVB redovisas i rapporten HVB-placeringar, beräknad från "
    "placeringsregistret."
)

GOAL_COLOURS = {
    r9.GOAL_MET: "background-color: #d6eee9; color: #1b5e55; font-weight: 600",
    r9.GOAL_NOT_MET: "background-color: #f7d9d6; color: #8c1d17; font-weight: 600",
    r9.GOAL_NO_DATA: "background-color: #ececec; color: #555555",
}
OWN_ROW = "background-color: #eaf1f7; font-weight: 700"
MEAN_ROW = "font-style: italic; border-top: 1px solid #888"
CAPTION_STYLE = [
    {
        "selector": "caption",
        "props": [
            ("caption-side", "bottom"),
            ("text-align", "left"),
            ("font-size", "85%"),
            ("color", "#555555"),
            ("padding-top", "0.3em"),
        ],
    }
]

Formatter = Callable[[object], str]


def source_caption(derived: str | None = None, *, raw: bool = True) -> str:
    """The source line Kolada's terms ask for: raw values, and our own derived figures.

    ``derived`` names what we computed, e.g. "R9-snitt, skillnad och rang".
    """
    parts = []
    if raw:
        parts.append(f"{r9.SOURCE_RAW}{' (kommunernas värden)' if derived else ''}.")
    if derived:
        parts.append(f"{r9.SOURCE_DERIVED} ({derived}).")
    return " ".join(parts)


def _with_caption_below(style: Styler) -> Styler:
    return style.set_table_styles(CAPTION_STYLE, overwrite=False)


def _direction(gap: float) -> str:
    return "högre" if gap > 0 else "lägre" if gap < 0 else "samma"


@dataclass(frozen=True)
class _Spec:
    """How one published table is built and shown."""

    frame: Callable[[], pd.DataFrame]
    headers: dict[str, str]
    formats: dict[str, Formatter | str]
    caption: str
    kpi_rows: tuple[str, ...] = ()
    """Value columns whose decimals follow each row's key figure (counts 1, kronor 0)."""
    hidden: tuple[str, ...] = ()
    """Columns exported to the CSV but not shown (repeated in the heading or the prose)."""
    own_column: str | None = None
    """Column holding the municipality code; the municipality's row is highlighted."""
    group_rows: bool = False
    """Show ``rad`` only on the first of consecutive rows with the same text."""


@dataclass
class R9Report:
    """Every table, text and chart input of one R9 report (one period)."""

    ctx: ReportContext
    config: r9.R9Config
    years: list[int]
    bundle: r9.KoladaBundle

    @classmethod
    def open(cls, ctx: ReportContext, config_path: Path | str | None = None) -> R9Report:
        """Read the peer-group YAML beside the period's params and the Kolada cache (offline)."""
        path = Path(config_path) if config_path else ctx.params.path.parent / r9.CONFIG_FILE
        config = r9.load_config(path)
        if config.municipality.code != ctx.params.municipality_code:
            raise ValueError(
                f"{path.name} jämför kommun {config.municipality.code}, men periodens "
                f"parametrar gäller kommun {ctx.params.municipality_code}."
            )
        years = r9.report_years(config, ctx.period)
        bundle = r9.load_kolada(config, years, cache_dir=ctx.raw_dir / "kolada")
        return cls(ctx, config, years, bundle)

    # ----------------------------------------------------------------- basics

    @property
    def data(self) -> pd.DataFrame:
        return self.bundle.data

    @property
    def own(self) -> str:
        return self.config.municipality.code

    @property
    def own_name(self) -> str:
        return self.config.municipality.name

    @property
    def group(self) -> r9.PeerGroup:
        return self.config.group

    @property
    def mean_name(self) -> str:
        return self.config.names[self.group.short_name]

    @property
    def mean_definite(self) -> str:
        """ "R9-snittet": the mean in running Swedish text."""
        return f"{self.group.short_name}-snittet"

    @property
    def goal_kpis(self) -> list[str]:
        return [k.id for k in self.config.kpis if k.goal]

    def label(self, kpi: str) -> str:
        return self.config.label(kpi)

    def unit(self, kpi: str) -> str:
        return self.config.kpi(kpi).unit

    def decimals(self, kpi: str) -> int:
        """Counts per 1 000 inhabitants have one decimal in Kolada; kronor none."""
        return 1 if self.unit(kpi).startswith("antal") else 0

    def value_text(self, kpi: str, value: float) -> str:
        return format_number(value, self.decimals(kpi))

    def family(self, kpi: str) -> list[str]:
        """A key figure followed by its parts (``del_av``), depth first."""
        out = [kpi]
        for k in self.config.kpis:
            if k.part_of == kpi:
                out += self.family(k.id)
        return out

    @cached_property
    def kpi_order(self) -> list[str]:
        """Display order: each goal figure with its parts (and the placements after the cost
        figure they explain), then the rest."""
        order: list[str] = []
        dec = self.config.decomposition
        for kpi in self.goal_kpis:
            order += [k for k in self.family(kpi) if k not in order]
            if dec is not None and dec.cost_kpi == kpi:
                order += [k for k in self.family(dec.placements_kpi) if k not in order]
        order += [k for k in self.config.kpi_ids if k not in order]
        return order

    def placement_kpis(self) -> list[str]:
        """The placements figure that explains the cost gap (none without a decomposition)."""
        dec = self.config.decomposition
        return [dec.placements_kpi] if dec is not None else []

    def other_kpis(self) -> list[str]:
        """Key figures that no goal section shows (they get a section of their own)."""
        shown: set[str] = set()
        dec = self.config.decomposition
        for kpi in self.goal_kpis:
            shown.update(self.family(kpi))
        if dec is not None:
            shown.update(self.family(dec.placements_kpi))
        return [k for k in self.kpi_order if k not in shown]

    def _sorted(self, frame: pd.DataFrame, *by: str) -> pd.DataFrame:
        order = {k: i for i, k in enumerate(self.kpi_order)}
        frame = frame.assign(_order=frame["kpi"].map(order))
        return frame.sort_values(["_order", *by]).drop(columns="_order").reset_index(drop=True)

    def _level(self, kpi: str) -> str:
        k = self.config.kpi(kpi)
        return "summa" if k.goal else "varav" if k.part_of else "rad"

    @cached_property
    def _gaps(self) -> pd.DataFrame:
        return r9.gaps(self.data, self.config)

    @cached_property
    def _ranks(self) -> pd.DataFrame:
        return r9.ranks(self.data, self.config)

    @cached_property
    def _means(self) -> pd.DataFrame:
        return r9.peer_means(self.data, self.config)

    @cached_property
    def _goals(self) -> pd.DataFrame:
        return r9.goal_status(self.data, self.config)

    @cached_property
    def decomposition_conflicts(self) -> list[r9.RoleConflict]:
        """The decomposition's inputs whose Kolada title contradicts their role (then no split)."""
        return r9.decomposition_conflicts(self.config, self.bundle.kpi_metadata)

    @property
    def decomposition_refused(self) -> bool:
        return bool(self.decomposition_conflicts)

    @cached_property
    def _decomposition(self) -> pd.DataFrame:
        try:
            return r9.placement_decomposition(self.data, self.config, self.bundle.kpi_metadata)
        except r9.DecompositionRefusedError:
            return pd.DataFrame(columns=r9.DECOMPOSITION_COLUMNS)

    @cached_property
    def latest_year(self) -> int:
        """The newest year with the municipality's value and the mean for a goal figure."""
        g = self._gaps
        ok = g[g["kpi"].isin(self.goal_kpis) & g["own"].notna() & g["mean"].notna()]
        return int(ok["year"].max()) if len(ok) else max(self.years)

    def _own_ranks(self) -> pd.DataFrame:
        r = self._ranks
        return r[r["is_own"]][["kpi", "year", "rank", "n"]]

    # ----------------------------------------------------------------- tables

    def jamforelse_table(self) -> pd.DataFrame:
        """``r9_jamforelse`` (the contract of DESIGN §7): every value per KPI, year, kommun."""
        return self._jamforelse.copy()

    @cached_property
    def _jamforelse(self) -> pd.DataFrame:
        return r9.r9_jamforelse(self.data, self.config)

    def goal_table(self) -> pd.DataFrame:
        """``r9_mal``: goal status of the goal figures for the latest :data:`GOAL_YEARS` years."""
        goals = self._goals[self._goals["year"] > self.latest_year - GOAL_YEARS]
        gaps = self._gaps[["kpi", "year", "gap", "gap_pct", "gap_mnkr"]]
        t = goals.merge(gaps, on=["kpi", "year"], how="left").merge(
            self._own_ranks(), on=["kpi", "year"], how="left"
        )
        t = self._sorted(t, "year")
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
        g = self._gaps[self._gaps["year"] == self.latest_year]
        t = g.merge(self._own_ranks(), on=["kpi", "year"], how="left")
        t = self._sorted(t)
        return pd.DataFrame(
            {
                "rad": t["kpi"].map(self.label),
                "kpi": t["kpi"],
                "ar": t["year"].astype("int64"),
                "enhet": t["kpi"].map(self.unit),
                "kommunens_varde": t["own"],
                "r9_snitt": t["mean"],
                "skillnad": t["gap"],
                "skillnad_procent": t["gap_pct"],
                "befolkning": t["population"],
                "skillnad_belopp": t["gap_mnkr"] * 1e6,
                "rang": t["rank"].astype("Int64"),
                "antal": t["n"].astype("Int64"),
                LEVEL: t["kpi"].map(self._level),
            }
        )

    def rank_table(self) -> pd.DataFrame:
        """``r9_rang``: every municipality's rank per key figure and year (1 = lowest value)."""
        r = self._sorted(self._ranks, "year", "rank")
        return pd.DataFrame(
            {
                "rad": r["kpi"].map(self.label),
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
        dec = self.config.decomposition
        columns = ["rad", "kommun", "ar", "kostnad", "placerade", "kostnad_per_placerad"]
        if dec is None or self.decomposition_refused:
            return pd.DataFrame(columns=[*columns, LEVEL])
        year = self.latest_year
        pv = r9.peer_values(self.data, self.config)
        pv = pv[pv["year"] == year]
        cost = pv[pv["kpi"] == dec.cost_kpi].set_index("municipality")["value"]
        placed = pv[pv["kpi"] == dec.placements_kpi].set_index("municipality")["value"]
        codes = self.config.comparison_codes
        t = pd.DataFrame(
            {
                "rad": [self.config.names[c] for c in codes],
                "kommun": codes,
                "ar": year,
                "kostnad": [cost.get(c, math.nan) for c in codes],
                "placerade": [placed.get(c, math.nan) for c in codes],
            }
        ).sort_values("kostnad", na_position="last")
        d = self._decomposition.set_index("year")
        mean = pd.DataFrame(
            {
                "rad": [self.mean_name],
                "kommun": [self.group.short_name],
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
        t[LEVEL] = ["summa" if c == self.group.short_name else "rad" for c in t["kommun"]]
        return t[[*columns, LEVEL]]

    def decomposition_table(self) -> pd.DataFrame:
        """``r9_nedbrytning``: the placement-cost gap per year as volume + price effects."""
        d = self._decomposition
        dec = self.config.decomposition
        label = self.label(dec.cost_kpi) if dec is not None else ""
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
        g = r9.gender_split(self.data, self.config)
        g = g[g["year"] == self.latest_year]
        if g.empty:
            return pd.DataFrame(columns=columns)
        wide = (
            g.set_index(["kpi", "year", "municipality", "name", "gender"])["value"]
            .unstack("gender")
            .reset_index()
        )
        order = {c: i for i, c in enumerate([*self.config.comparison_codes, self.group.short_name])}
        wide = self._sorted(wide.assign(_m=wide["municipality"].map(order)), "_m")
        out = pd.DataFrame(
            {
                "rad": wide["kpi"].map(self.label),
                "kpi": wide["kpi"],
                "ar": wide["year"].astype("int64"),
                "kommun": wide["municipality"],
                "namn": wide["name"],
                "kvinnor": wide.get("K"),
                "man": wide.get("M"),
                "totalt": wide.get("T"),
            }
        )
        out[LEVEL] = ["summa" if c == self.group.short_name else "rad" for c in out["kommun"]]
        return out

    def check_table(self) -> pd.DataFrame:
        """``r9_kontroll``: our unweighted mean beside Kolada's own group value, latest year."""
        m = self._means[self._means["year"] == self.latest_year]
        m = self._sorted(m)
        return pd.DataFrame(
            {
                "rad": m["kpi"].map(self.label),
                "kpi": m["kpi"],
                "ar": m["year"].astype("int64"),
                "r9_snitt": m["mean"],
                "antal": m["n"].astype("int64"),
                "koladas_snitt": m["group_value"],
                "antal_koladas": m["group_count"].astype("Int64"),
                "skillnad": m["group_diff"],
            }
        )

    # ----------------------------------------------------------------- publishing

    def _specs(self) -> dict[str, _Spec]:
        short = self.group.short_name
        year = str(self.latest_year)
        own = self.own_name
        n0, n1, pct = number_format(0), number_format(1), percent_format(1)
        years = {"ar": "{:d}"}
        return {
            r9.TABLE_ID: _Spec(
                frame=self.jamforelse_table,
                headers={
                    "rad": "Nyckeltal",
                    "kpi": "Kolada-id",
                    "ar": "År",
                    "kommun": "Kommun",
                    "varde": "Värde",
                },
                formats={**years, "varde": n1},
                caption=source_caption(f"{short}-snitt"),
            ),
            "r9_mal": _Spec(
                frame=self.goal_table,
                headers={
                    "rad": "Nyckeltal",
                    "kpi": "Kolada-id",
                    "ar": "År",
                    "kommunens_varde": own,
                    "r9_snitt": f"{short}-snitt",
                    "skillnad": "Skillnad",
                    "skillnad_procent": "Skillnad, %",
                    "skillnad_belopp": "Skillnad, mnkr",
                    "rang": "Rang",
                    "antal": "Av",
                    "malvarde": "Mål",
                    "status": "Status",
                },
                formats={
                    **years,
                    "kommunens_varde": n0,
                    "r9_snitt": n0,
                    "skillnad": n0,
                    "skillnad_procent": pct,
                    "rang": n0,
                    "antal": n0,
                },
                caption=source_caption(f"{short}-snitt, skillnad, rang och måluppfyllelse"),
                kpi_rows=("kommunens_varde", "r9_snitt", "skillnad"),
                group_rows=True,
                hidden=("malvarde",),
            ),
            "r9_gap": _Spec(
                frame=self.gap_table,
                headers={
                    "rad": f"Nyckeltal {year}",
                    "kpi": "Kolada-id",
                    "kommunens_varde": own,
                    "r9_snitt": f"{short}-snitt",
                    "skillnad": "Skillnad",
                    "skillnad_procent": "Skillnad, %",
                    "befolkning": "Invånare (underlag för mnkr)",
                    "skillnad_belopp": "Skillnad, mnkr",
                    "rang": "Rang",
                    "antal": "Av",
                },
                formats={
                    **years,
                    "kommunens_varde": n0,
                    "r9_snitt": n0,
                    "skillnad": n0,
                    "skillnad_procent": pct,
                    "befolkning": n0,
                    "rang": n0,
                    "antal": n0,
                },
                caption=source_caption(f"{short}-snitt, skillnad, invånare 0–20 år och rang"),
                kpi_rows=("kommunens_varde", "r9_snitt", "skillnad"),
                hidden=("ar", "enhet"),
            ),
            "r9_rang": _Spec(
                frame=self.rank_table,
                headers={
                    "rad": "Nyckeltal",
                    "kpi": "Kolada-id",
                    "ar": "År",
                    "kommun": "Kommun",
                    "namn": "Namn",
                    "varde": "Värde",
                    "rang": "Rang",
                    "antal": "Av",
                },
                formats={**years, "rang": n0, "antal": n0},
                caption=source_caption("rang"),
                kpi_rows=("varde",),
                own_column="kommun",
            ),
            "r9_placeringar": _Spec(
                frame=self.placement_table,
                headers={
                    "rad": f"Kommun {year}",
                    "kostnad": "Kostnad familjehem och HVB, kr/inv 0–20 år",
                    "placerade": "Placerade per 1 000 inv 0–20 år",
                    "kostnad_per_placerad": "Kostnad per placerat barn, tkr",
                },
                formats={
                    **years,
                    "kostnad": n0,
                    "placerade": n1,
                    "kostnad_per_placerad": self._tkr,
                },
                caption=source_caption(f"kostnad per placerat barn och {short}-snitt"),
                hidden=("kommun", "ar"),
                own_column="kommun",
            ),
            "r9_nedbrytning": _Spec(
                frame=self.decomposition_table,
                headers={
                    "ar": "År",
                    "placerade": f"Placerade per 1 000, {own}",
                    "placerade_r9": f"Placerade per 1 000, {short}-snitt",
                    "kostnad_per_placerad": f"Kr per placerat barn (tkr), {own}",
                    "kostnad_per_placerad_r9": f"Kr per placerat barn (tkr), {short}-snitt",
                    "skillnad": "Skillnad, kr/inv 0–20 år",
                    "volymeffekt": "varav antal placerade",
                    "priseffekt": "varav kostnad per placerat barn",
                    "skillnad_belopp": "Skillnad, mnkr",
                    "volymeffekt_belopp": "varav antal placerade, mnkr",
                    "priseffekt_belopp": "varav kostnad per placerat barn, mnkr",
                },
                formats={
                    **years,
                    "placerade": n1,
                    "placerade_r9": n1,
                    "kostnad_per_placerad": self._tkr,
                    "kostnad_per_placerad_r9": self._tkr,
                    "skillnad": n0,
                    "volymeffekt": n0,
                    "priseffekt": n0,
                    "invanare_0_20": n0,
                },
                caption=source_caption(f"{short}-snitt, kostnad per placerat barn och effekterna"),
                hidden=("rad", "invanare_0_20"),
            ),
            "r9_kon": _Spec(
                frame=self.gender_table,
                headers={
                    "rad": f"Nyckeltal {year}",
                    "kpi": "Kolada-id",
                    "namn": "Kommun",
                    "kvinnor": "Flickor/kvinnor",
                    "man": "Pojkar/män",
                    "totalt": "Totalt",
                },
                formats=dict(years),
                caption=source_caption(f"{short}-snitt"),
                kpi_rows=("kvinnor", "man", "totalt"),
                group_rows=True,
                hidden=("ar", "kommun"),
                own_column="kommun",
            ),
            "r9_kontroll": _Spec(
                frame=self.check_table,
                headers={
                    "rad": f"Nyckeltal {year}",
                    "kpi": "Kolada-id",
                    "r9_snitt": f"{short}-snitt, egen beräkning",
                    "antal": "Antal kommuner",
                    "koladas_snitt": f"Koladas värde för {self.group.kolada_id or short}",
                    "antal_koladas": "Antal kommuner (Kolada)",
                    "skillnad": "Skillnad (Kolada − egen)",
                },
                formats={
                    **years,
                    "antal": n0,
                    "antal_koladas": n0,
                    "skillnad": number_format(2),
                },
                caption=source_caption(f"{short}-snitt och skillnaden"),
                kpi_rows=("r9_snitt", "koladas_snitt"),
                hidden=("ar",),
            ),
        }

    @staticmethod
    def _tkr(value: object) -> str:
        return format_amount(value, "tkr", 0)  # type: ignore[arg-type]

    @property
    def table_ids(self) -> list[str]:
        return list(self._specs())

    def headers(self, table_id: str) -> dict[str, str]:
        """Swedish column headings of a published table."""
        return self._specs()[table_id].headers

    def publish(self, table_id: str) -> Styler:
        """Export ``tables/<table_id>.csv`` and return its Swedish display, source line below."""
        spec = self._specs()[table_id]
        frame = spec.frame()
        style = self.ctx.publish(
            table_id,
            frame,
            headers=spec.headers,
            unit="mnkr",
            formats=spec.formats,
            caption=spec.caption,
            deviation_columns=(),
        )
        view = frame.reset_index(drop=True)
        if spec.kpi_rows and "kpi" in view:
            for decimals in sorted({self.decimals(k) for k in view["kpi"]}):
                rows = [i for i, k in enumerate(view["kpi"]) if self.decimals(k) == decimals]
                style = style.format(
                    number_format(decimals), subset=(rows, list(spec.kpi_rows)), na_rep=""
                )
        if "status" in view:
            style = style.map(lambda v: GOAL_COLOURS.get(v, ""), subset=["status"])
        if spec.own_column:
            own = [c == self.own for c in view[spec.own_column]]
            style = style.apply(lambda row: [OWN_ROW if own[row.name] else ""] * len(row), axis=1)
        if spec.group_rows:
            repeated = [
                i for i in range(1, len(view)) if view.at[i, "rad"] == view.at[i - 1, "rad"]
            ]
            if repeated:
                style = style.format(lambda _v: "", subset=(repeated, ["rad"]))
        hidden = [c for c in spec.hidden if c in view]
        if hidden:
            style = style.hide(subset=hidden, axis="columns")
        return _with_caption_below(style)

    def publish_data_tables(self) -> str:
        """Export the long tables without showing them; returns a Swedish sentence about them."""
        self.publish(r9.TABLE_ID)
        self.publish("r9_rang")
        return (
            f"Alla värden per nyckeltal, år och kommun, med {self.mean_name} och Koladas eget "
            f"gruppvärde, finns i tabellen `{r9.TABLE_ID}`, och rangordningen av alla kommuner "
            "per år i `r9_rang` (CSV och Excel bredvid rapporten)."
        )

    def publish_headlines(self) -> None:
        """Headline figures for index.html: goals met, the placement-cost gap and its rank."""
        year = self.latest_year
        goals = self._goals[self._goals["year"] == year]
        met = int((goals["status"] == r9.GOAL_MET).sum())
        ctx, short = self.ctx, self.group.short_name
        ctx.headline(
            "r9_mal_uppfyllda",
            f"Mål mot {short}-snitt uppfyllda {year}",
            f"{met} av {len(goals)}",
            section=SECTION,
            order=0,
        )
        dec = self.config.decomposition
        conflicting = {c.kpi for c in self.decomposition_conflicts}
        if dec is None or dec.cost_kpi in conflicting:
            return
        g = self._gaps.set_index(["kpi", "year"])
        if (dec.cost_kpi, year) in g.index and pd.notna(g.at[(dec.cost_kpi, year), "gap_mnkr"]):
            gap = float(g.at[(dec.cost_kpi, year), "gap_mnkr"]) * 1e6
            ctx.headline(
                "r9_skillnad_placeringar",
                f"Familjehem och HVB barn och unga mot {short}-snitt {year}",
                f"{format_mnkr(abs(gap), suffix=True)} {_direction(gap)}",
                section=SECTION,
                order=1,
            )
        r = self._own_ranks().set_index(["kpi", "year"])
        if (dec.cost_kpi, year) in r.index:
            rank, n = r.loc[(dec.cost_kpi, year), ["rank", "n"]]
            ctx.headline(
                "r9_rang_placeringar",
                f"Familjehem och HVB barn och unga, rang i {short} {year}",
                f"{int(rank)} av {int(n)} (1 = lägst kostnad)",
                section=SECTION,
                order=2,
            )

    # ----------------------------------------------------------------- displays

    def peer_table(self, kpi: str) -> Styler:
        """One key figure: every municipality, the mean and Kolada's group value per year."""
        jam = self.jamforelse_table()
        jam = jam[jam["kpi"] == kpi]
        wide = jam.pivot_table(index="kommun", columns="ar", values="varde", aggfunc="first")
        kolada_id = self.group.kolada_id
        order = [*self.config.comparison_codes, self.group.short_name, kolada_id]
        wide = wide.reindex([c for c in order if c in wide.index])
        year_cols = [str(y) for y in wide.columns]
        wide.columns = year_cols
        r = self._ranks
        r = r[(r["kpi"] == kpi) & (r["year"] == self.latest_year)].set_index("municipality")
        rank_col = f"Rang {self.latest_year}"
        frame = wide.reset_index(names="kommun")
        frame.insert(0, "rad", frame["kommun"].map(self.config.names))
        frame[rank_col] = frame["kommun"].map(r["rank"]).astype("Int64")
        fmt = number_format(self.decimals(kpi))
        style = styled(
            frame.drop(columns="kommun"),
            table_id=f"r9_{kpi.lower()}",
            headers={"rad": "Kommun"},
            formats={**{c: fmt for c in year_cols}, rank_col: number_format(0)},
            caption=source_caption(f"{self.mean_name} och rang"),
            deviation_columns=(),
        )
        kinds = list(frame["kommun"])

        def row_css(row: pd.Series) -> list[str]:
            code = kinds[row.name]
            css = OWN_ROW if code == self.own else ""
            if code in (self.group.short_name, kolada_id):
                css = MEAN_ROW
            return [css] * len(row)

        return _with_caption_below(style.apply(row_css, axis=1))

    def peer_tables(self, *kpis: str, parts: bool = True) -> HTML:
        """Peer tables of ``kpis`` (and their parts), each under its title and unit."""
        ids: list[str] = []
        for kpi in kpis:
            ids += [k for k in (self.family(kpi) if parts else [kpi]) if k not in ids]
        chunks = []
        for kpi in ids:
            title = html.escape(f"{self.label(kpi)} ({kpi})")
            chunks.append(f"<h4>{title}</h4>\n{self.peer_table(kpi).to_html()}")
        return HTML("\n".join(chunks))

    # ----------------------------------------------------------------- chart data

    def trend_data(self, kpi: str) -> pd.DataFrame:
        """year, name, value, role (own/peer/mean) for :func:`r9_plots.trend_lines`."""
        jam = self.jamforelse_table()
        jam = jam[(jam["kpi"] == kpi) & (jam["kommun"] != self.group.kolada_id)]
        roles = {c: "peer" for c in self.config.comparison_codes}
        roles[self.own] = "own"
        roles[self.group.short_name] = "mean"
        return pd.DataFrame(
            {
                "year": jam["ar"],
                "name": jam["kommun"].map(self.config.names),
                "value": jam["varde"],
                "role": jam["kommun"].map(roles),
            }
        ).reset_index(drop=True)

    def ranking_data(self, kpi: str) -> pd.DataFrame:
        """name, value, role for :func:`r9_plots.ranked_bars` (latest year)."""
        t = self.trend_data(kpi)
        return t[(t["year"] == self.latest_year) & (t["role"] != "mean")].reset_index(drop=True)

    def latest_mean(self, kpi: str) -> float:
        m = self._means
        row = m[(m["kpi"] == kpi) & (m["year"] == self.latest_year)]
        return float(row["mean"].iloc[0]) if len(row) else math.nan

    def chart_title(self, kpi: str, *, ranking: bool = False) -> str:
        if ranking:
            return f"{self.label(kpi)}, {self.latest_year}"
        return f"{self.label(kpi)}, {min(self.years)}–{self.latest_year}"

    def placement_data(self) -> pd.DataFrame:
        """name, placed, cost_per_placed, role for :func:`r9_plots.placement_scatter`."""
        t = self.placement_table()
        roles = [
            "mean" if c == self.group.short_name else "own" if c == self.own else "peer"
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
        t = self.placement_table().set_index("kommun")
        out = {}
        for code, name in ((self.own, self.own_name), (self.group.short_name, self.mean_name)):
            if code in t.index and pd.notna(t.at[code, "kostnad"]):
                cost = float(t.at[code, "kostnad"])
                out[f"{name}: {format_number(cost, 0)} kr/inv"] = cost
        return out

    def placement_chart(self) -> Figure | Markdown:
        """The placements scatter, or why it is not drawn (the decomposition is refused)."""
        if self.decomposition_refused or self.placement_table().empty:
            return Markdown(f"*Diagrammet ritas inte: {self._refusal_reason()}*")
        return r9_plots.placement_scatter(
            self.placement_data(),
            iso_costs=self.iso_costs(),
            title=f"Placerade och kostnad per placerat barn, {self.latest_year}",
        )

    def decomposition_chart(self) -> Figure | Markdown:
        """The volume/price bars per year, or why they are not drawn."""
        if self.decomposition_refused or self.decomposition_table().empty:
            return Markdown(f"*Diagrammet ritas inte: {self._refusal_reason()}*")
        return r9_plots.decomposition_bars(
            self.decomposition_data(),
            title=f"Skillnad mot {self.mean_definite}: antal placerade och kostnad per "
            "placerat barn",
        )

    def _refusal_reason(self) -> str:
        if self.decomposition_refused:
            return (
                "Koladas titel för ett av nyckeltalen motsäger vad rapporten använder det till "
                "(se texten ovan)."
            )
        return "Kolada saknar de värden som behövs."

    def decomposition_data(self) -> pd.DataFrame:
        """year, volume, price, gap in kronor for :func:`r9_plots.decomposition_bars`."""
        t = self.decomposition_table()
        return pd.DataFrame(
            {
                "year": t["ar"],
                "volume": t["volymeffekt_belopp"],
                "price": t["priseffekt_belopp"],
                "gap": t["skillnad_belopp"],
            }
        )

    # ----------------------------------------------------------------- texts

    def intro(self) -> str:
        members = ", ".join(m.name for m in self.group.members)
        return (
            f"{self.own_name} jämförs med kommunerna i {self.group.name} ({members}) på de "
            f"nyckeltal i Kolada som {self.ctx.params.committee.lower()}s mål använder, och på "
            f"deras delar. Åren {min(self.years)}–{self.latest_year}; Kolada publicerar ett års "
            "kostnader våren efter. Skillnad = kommunens värde − "
            f"{self.mean_definite}: positiv skillnad betyder högre kostnad än snittet. Rang 1 = "
            "lägst värde."
        )

    def data_note(self) -> str:
        """How old the Kolada data are, and (demo) that the peers' values are made up."""
        return f"**{self.bundle.note}**"

    def _gap_sentence(self, kpi: str, year: int) -> str:
        g = self._gaps.set_index(["kpi", "year"])
        if (kpi, year) not in g.index:
            return f"Kolada har inga värden för {year}."
        row = g.loc[(kpi, year)]
        if pd.isna(row["own"]) or pd.isna(row["mean"]):
            return f"Kolada saknar {self.own_name}s värde eller snittet för {year}."
        unit = self.unit(kpi)
        text = (
            f"{year} var värdet {self.value_text(kpi, row['own'])} {unit} i {self.own_name} "
            f"och {self.value_text(kpi, row['mean'])} {unit} i {self.mean_definite}: "
        )
        if row["gap"] == 0:
            text += "samma som snittet"
        else:
            text += (
                f"{self.value_text(kpi, abs(row['gap']))} {unit} "
                f"({format_percent(abs(row['gap_pct']), 1)}) {_direction(row['gap'])}"
            )
        if pd.notna(row["gap_mnkr"]) and row["gap"] != 0:
            base = "invånare 0–20 år" if row["population_base"] == "0-20" else "invånare"
            text += (
                f", vilket för {self.own_name}s {format_number(row['population'], 0)} {base} "
                f"motsvarar {format_mnkr(abs(row['gap_mnkr']) * 1e6, suffix=True)}"
            )
        r = self._own_ranks().set_index(["kpi", "year"])
        if (kpi, year) in r.index:
            rank, n = r.loc[(kpi, year), ["rank", "n"]]
            text += f". Rang {int(rank)} av {int(n)}"
        return text + "."

    def _trend_sentence(self, kpi: str) -> str:
        g = self._gaps[(self._gaps["kpi"] == kpi)].dropna(subset=["own", "mean"])
        g = g[g["year"] <= self.latest_year]
        if len(g) < 2:
            return ""
        first, last = g.iloc[0], g.iloc[-1]
        own = (last["own"] / first["own"] - 1) * 100
        mean = (last["mean"] / first["mean"] - 1) * 100
        return (
            f" Från {int(first['year'])} till {int(last['year'])} har värdet ändrats med "
            f"{format_percent(own, 0, sign=True)} i {self.own_name} och "
            f"{format_percent(mean, 0, sign=True)} i {self.mean_definite}."
        )

    def kpi_text(self, kpi: str) -> str:
        """The figure's latest gap, worth in mnkr, rank, goal status and trend, in Swedish."""
        text = self._gap_sentence(kpi, self.latest_year)
        goals = self._goals[(self._goals["kpi"] == kpi)]
        latest = goals[goals["year"] == self.latest_year]
        if len(latest):
            status = latest["status"].iloc[0]
            target = latest["target"].iloc[0]
            text += f" Målet ({target[:1].lower()}{target[1:]}) är **{status.lower()}**."
        return text + self._trend_sentence(kpi)

    def goal_summary(self) -> str:
        """The goal status in words: how many goals are met, and each goal figure's gap."""
        year = self.latest_year
        goals = self._goals[self._goals["year"] == year]
        met = int((goals["status"] == r9.GOAL_MET).sum())
        lines = [
            f"{year} uppfyller {self.own_name} {met} av {len(goals)} mål om kostnad "
            f"jämfört med {self.mean_definite}."
        ]
        recent = self._goals[self._goals["year"] > year - GOAL_YEARS]
        for kpi in self.goal_kpis:
            part = recent[recent["kpi"] == kpi]
            met_years = int((part["status"] == r9.GOAL_MET).sum())
            how_often = (
                f"har varit uppfyllt alla de {len(part)} senaste åren"
                if met_years == len(part)
                else f"har inte varit uppfyllt något av de {len(part)} senaste åren"
                if met_years == 0
                else f"har varit uppfyllt {met_years} av de {len(part)} senaste åren"
            )
            lines.append(
                f"- **{self.label(kpi)}** ({kpi}): {self._gap_sentence(kpi, year)} "
                f"Målet {how_often}."
            )
        return "\n".join(lines)

    def refusal_text(self) -> str:
        """Why the decomposition is not computed (Swedish), or "" when it is."""
        if not self.decomposition_refused:
            return ""
        lines = [
            "**Nedbrytningen beräknas inte.** Koladas titel för nyckeltalet motsäger den roll "
            f"params/{r9.CONFIG_FILE} ger det, så uppdelningen i antal placerade och kostnad per "
            "placerat barn skulle bli fel:",
            "",
        ]
        lines += [f"- {c.text}" for c in self.decomposition_conflicts]
        lines += [
            "",
            f"Rätta Kolada-id:t i params/{r9.CONFIG_FILE} (Koladas titlar står i "
            "data/raw/kolada/, hämtade med `uppfoljning kolada refresh`).",
        ]
        return "\n".join(lines)

    def decomposition_text(self) -> str:
        """The placement-cost gap of the latest year explained in words."""
        if self.decomposition_refused:
            return self.refusal_text()
        dec = self.config.decomposition
        d = self._decomposition.set_index("year")
        year = self.latest_year
        if dec is None or year not in d.index or pd.isna(d.at[year, "volume_effect"]):
            return "Kolada saknar de värden som behövs för att dela upp skillnaden."
        row = d.loc[year]
        own, mean = self.own_name, self.mean_definite
        more_placed = row["placed"] > row["peer_placed"]
        dearer = row["cost_per_placed"] > row["peer_cost_per_placed"]
        return "\n".join(
            [
                f"Kostnaden för familjehem och HVB per invånare 0–20 år ({dec.cost_kpi}) är "
                f"antalet placerade barn och unga per 1 000 invånare 0–20 år ({dec.placements_kpi})"
                " gånger kostnaden per placerat barn, delat med 1 000. Skillnaden mot snittet "
                "kan därför delas upp i en volymeffekt (fler eller färre placerade) och en "
                "priseffekt (dyrare eller billigare per placerat barn).",
                "",
                f"{year} hade {own} {format_number(row['placed'], 1)} placerade per 1 000 "
                f"invånare 0–20 år mot {format_number(row['peer_placed'], 1)} i {mean}, och "
                f"kostnaden per placerat barn var {format_amount(row['cost_per_placed'], 'tkr', 0)}"
                f" tkr mot {format_amount(row['peer_cost_per_placed'], 'tkr', 0)} tkr.",
                "",
                f"- Att {'fler' if more_placed else 'färre'} barn och unga är placerade gör "
                f"kostnaden {format_number(abs(row['volume_effect']), 0)} kr/inv 0–20 år "
                f"({format_mnkr(abs(row['volume_effect_mnkr']) * 1e6, suffix=True)}) "
                f"{_direction(row['volume_effect'])}.",
                f"- Att varje placering kostar {'mer' if dearer else 'mindre'} gör den "
                f"{format_number(abs(row['price_effect']), 0)} kr/inv 0–20 år "
                f"({format_mnkr(abs(row['price_effect_mnkr']) * 1e6, suffix=True)}) "
                f"{_direction(row['price_effect'])}.",
                f"- Sammantaget: {format_number(abs(row['gap']), 0)} kr/inv 0–20 år "
                f"({format_mnkr(abs(row['gap_mnkr']) * 1e6, suffix=True)}) "
                f"{_direction(row['gap'])} än {mean}.",
                "",
                "Kostnad per placerat barn är härledd (kostnad per invånare × 1 000 ÷ placerade "
                f"per 1 000 invånare) och inget eget nyckeltal i Kolada; för {mean} används "
                "snittets kostnad och snittets antal placerade. Effekterna är beräknade med "
                "logaritmiska medelvärden (LMDI) och summerar exakt till skillnaden.",
            ]
        )

    def _mean_definition(self) -> str:
        group, own = self.group, self.own_name
        who = (
            f"de kommuner i {group.short_name} som Kolada har värde för ({own} ingår)"
            if group.mean_includes_own
            else f"de övriga kommunerna i {group.short_name} som Kolada har värde för ({own} "
            "ingår inte)"
        )
        return f"{self.mean_name} = ovägt medelvärde av värdena för {who}."

    def explanation(self, table_id: str) -> str:
        """How the figures of a shown table are computed, in short Swedish (the formulas)."""
        own, mean, short = self.own_name, self.mean_name, self.group.short_name
        cfg = self.config
        gap = (
            f"Skillnad = {own}s värde − {self.mean_definite}. Skillnad, % = skillnad ÷ "
            f"{self.mean_definite} × 100. "
            f"Skillnad, mnkr = skillnad per invånare × {own}s invånare samma år ÷ 1 000 000, med "
            "invånare totalt för nyckeltal per invånare och invånare 0–20 år för nyckeltal per "
            f"invånare 0–20 år; invånare 0–20 år = invånare totalt ({cfg.population_total_kpi}) "
            f"× andel 0–20 år ({cfg.population_share_0_20_kpi}) ÷ 100. Rang: 1 = lägst värde "
            "bland kommunerna med värde; Av = antalet sådana kommuner."
        )
        dec = cfg.decomposition
        cost, placed = (dec.cost_kpi, dec.placements_kpi) if dec else ("", "")
        texts = {
            "r9_mal": f"{self._mean_definition()} {gap} Målet är uppfyllt när villkoret i "
            "kolumnen Mål gäller (”samma eller lägre”: kommunens värde ≤ snittet), jämfört "
            "utan avrundning.",
            "r9_gap": f"{self._mean_definition()} {gap} Nyckeltal som inte är per invånare "
            "(t.ex. kr/vårddygn) räknas inte om till mnkr.",
            "r9_placeringar": f"Kostnad per placerat barn = kostnad per invånare 0–20 år "
            f"({cost}) × 1 000 ÷ placerade per 1 000 invånare 0–20 år ({placed}), visad i tkr. "
            f"Raden {mean}: snittets kostnad × 1 000 ÷ snittets antal placerade (inte snittet av "
            "kommunernas kostnad per placerat barn), så att den går ihop med nedbrytningen.",
            "r9_nedbrytning": f"c = kostnad per invånare 0–20 år ({cost}), p = placerade per "
            f"1 000 invånare 0–20 år ({placed}), k = c × 1 000 ÷ p = kostnad per placerat barn; "
            f"c̄, p̄ och k̄ = c̄ × 1 000 ÷ p̄ för {self.mean_definite}. Skillnad = c − c̄. "
            "L = (c − c̄) ÷ (ln c − ln c̄) (logaritmiskt medelvärde; L = c om c = c̄). "
            "Varav antal placerade (volymeffekt) = L × ln(p ÷ p̄). Varav kostnad per placerat "
            "barn (priseffekt) = skillnad − volymeffekt, vilket är lika med L × ln(k ÷ k̄). "
            f"Belopp i mnkr = kr/inv 0–20 år × {own}s invånare 0–20 år ÷ 1 000 000.",
            "r9_kontroll": f"{self._mean_definition()} Antal kommuner = hur många som har värde. "
            f"Koladas värde = det värde Kolada själv redovisar för "
            f"{self.group.kolada_id or short}, med Koladas antal kommuner med värde. "
            f"Skillnad = Koladas värde − egen beräkning; mer än "
            f"{format_number(CHECK_TOLERANCE, 1)} räknas som en avvikelse.",
        }
        return f"*Så räknas siffrorna:* {texts[table_id]}"

    def gender_text(self) -> str:
        g = r9.gender_split(self.data, self.config)
        kpis = [k for k in self.kpi_order if k in set(g["kpi"])]
        if not kpis:
            return "Kolada redovisar inga av nyckeltalen uppdelade på kön."
        names = ", ".join(f"{self.label(k)} ({k})" for k in kpis)
        missing = [k for k in self.kpi_order if k not in kpis]
        text = f"Kolada redovisar uppdelning på kön för: {names}."
        if missing:
            text += " Övriga nyckeltal (kostnaderna) finns bara för flickor och pojkar tillsammans."
        return text + f" Tabellen visar {self.latest_year}."

    def check_text(self) -> str:
        """Our mean against Kolada's group value over every year, and who the mean includes."""
        m = self._means.dropna(subset=["mean", "group_value"])
        own, group = self.own_name, self.group
        included = (
            f"{own} ingår i {self.mean_definite}, liksom i Koladas eget värde för gruppen"
            if group.mean_includes_own
            else f"{own} ingår inte i {self.mean_definite} (snittet av de övriga medlemmarna), men "
            "ingår i Koladas eget gruppvärde, så de två skiljer sig"
        )
        if not group.kolada_id:
            return f"{included}. Gruppen har inget eget värde i Kolada att stämma av mot."
        text = (
            f"{self.mean_definite} är ett ovägt medelvärde av medlemmarnas värden, räknat här. "
            f"Kolada redovisar också ett eget värde för gruppen {group.kolada_id}; "
            f"{included}. "
        )
        if m.empty:
            return text + "Kolada har inga gruppvärden att jämföra med."
        off = m[m["group_diff"].abs() > CHECK_TOLERANCE]
        if not group.mean_includes_own:
            return text + f"Största skillnad: {format_number(m['group_diff'].abs().max(), 1)}."
        if off.empty:
            return text + (
                f"De stämmer överens för alla {len(m)} kombinationer av nyckeltal och år "
                f"(största skillnad {format_number(m['group_diff'].abs().max(), 2)})."
            )
        listed = ", ".join(f"{k} {int(y)}" for k, y in zip(off["kpi"], off["year"], strict=True))
        return text + (
            f"De skiljer sig med mer än {format_number(CHECK_TOLERANCE, 1)} för: {listed}. "
            "Kontrollera om Kolada saknar värden för någon medlem (antal kommuner)."
        )

    def about(self) -> str:
        """Sources, choices and data notes, for the end of the report."""
        cfg, group = self.config, self.group
        lines = [
            f"- Jämförelsegrupp: {group.name} ({len(group.members)} kommuner"
            + (f", i Kolada {group.kolada_id}" if group.kolada_id else "")
            + f"), vald i `params/{r9.CONFIG_FILE}`.",
            f"- {self.mean_name}: ovägt medelvärde (varje kommun väger lika), som Koladas "
            f"gruppsnitt. {self.own_name} "
            + ("ingår" if group.mean_includes_own else "ingår inte")
            + " i snittet.",
            f"- Skillnad i mnkr = skillnad per invånare × {self.own_name}s invånare (totalt "
            f"eller 0–20 år enligt nyckeltalet) samma år, från Kolada ({cfg.population_total_kpi}"
            f" och {cfg.population_share_0_20_kpi}). Invånare 0–20 år = invånare × andel 0–20 år;"
            " andelen anges med en decimal, så antalet är ungefärligt.",
            "- Rang: 1 = lägst värde (lägst kostnad); kommuner med samma värde delar rang.",
            f"- Källor: värden per kommun är ”{r9.SOURCE_RAW}”; snitt, skillnader, rang och "
            f"kostnad per placerat barn är ”{r9.SOURCE_DERIVED}”, som Koladas villkor kräver.",
            f"- {self.bundle.note}",
        ]
        notes = (
            r9.membership_differences(cfg, self.bundle.group)
            + r9.title_mismatches(cfg, self.bundle.kpi_metadata)
            + [c.text for c in r9.role_conflicts(cfg, self.bundle.kpi_metadata)]
            + r9.missing_notes(self.data, cfg, self.years)
        )
        lines += [f"- {n}" for n in notes]
        return "\n".join(lines)
