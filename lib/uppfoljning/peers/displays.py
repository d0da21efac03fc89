"""How the R9 tables are shown and published: Swedish headers, decimals, colours, source lines.

Why its own module: Kolada's terms ask for a source line under every table (raw values and our
own derived figures named apart), decimals follow each row's key figure (counts one, kronor
none), and goal status is coloured; :class:`PeerDisplays` does that once for every table of
:mod:`uppfoljning.peers.tables`, exports it through the period's context, and publishes the
headline figures for the index page.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pandas as pd
from IPython.display import HTML
from pandas.io.formats.style import Styler

from uppfoljning.peers import r9
from uppfoljning.peers.tables import PeerTables
from uppfoljning.peers.view import PeerView, direction
from uppfoljning.present.formatting import format_amount, format_mnkr
from uppfoljning.present.report import ReportContext
from uppfoljning.present.tables import number_format, percent_format, styled

SECTION = "R9-jämförelser"
"""The index page's section for the headline figures."""

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


def _tkr(value: object) -> str:
    return format_amount(value, "tkr", 0)  # type: ignore[arg-type]


def table_specs(view: PeerView, tables: PeerTables) -> dict[str, _Spec]:
    """How each published table is built and shown, by table id (the facade's order)."""
    short = view.group.short_name
    year = str(view.latest_year)
    own = view.own_name
    n0, n1, pct = number_format(0), number_format(1), percent_format(1)
    years = {"ar": "{:d}"}
    return {
        r9.TABLE_ID: _Spec(
            frame=tables.jamforelse_table,
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
            frame=tables.goal_table,
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
            frame=tables.gap_table,
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
            frame=tables.rank_table,
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
            frame=tables.placement_table,
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
                "kostnad_per_placerad": _tkr,
            },
            caption=source_caption(f"kostnad per placerat barn och {short}-snitt"),
            hidden=("kommun", "ar"),
            own_column="kommun",
        ),
        "r9_nedbrytning": _Spec(
            frame=tables.decomposition_table,
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
                "kostnad_per_placerad": _tkr,
                "kostnad_per_placerad_r9": _tkr,
                "skillnad": n0,
                "volymeffekt": n0,
                "priseffekt": n0,
                "invanare_0_20": n0,
            },
            caption=source_caption(f"{short}-snitt, kostnad per placerat barn och effekterna"),
            hidden=("rad", "invanare_0_20"),
        ),
        "r9_kon": _Spec(
            frame=tables.gender_table,
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
            frame=tables.check_table,
            headers={
                "rad": f"Nyckeltal {year}",
                "kpi": "Kolada-id",
                "r9_snitt": f"{short}-snitt, egen beräkning",
                "antal": "Antal kommuner",
                "koladas_snitt": f"Koladas värde för {view.group.kolada_id or short}",
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


@dataclass
class PeerDisplays:
    """The Swedish display of every R9 table, its export, and the headline figures."""

    ctx: ReportContext
    view: PeerView
    tables: PeerTables

    @cached_property
    def _specs(self) -> dict[str, _Spec]:
        return table_specs(self.view, self.tables)

    @property
    def table_ids(self) -> list[str]:
        return list(self._specs)

    def headers(self, table_id: str) -> dict[str, str]:
        """Swedish column headings of a published table."""
        return self._specs[table_id].headers

    def publish(self, table_id: str) -> Styler:
        """Export ``tables/<table_id>.csv`` and return its Swedish display, source line below."""
        spec = self._specs[table_id]
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
        shown = frame.reset_index(drop=True)
        if spec.kpi_rows and "kpi" in shown:
            for decimals in sorted({self.view.decimals(k) for k in shown["kpi"]}):
                rows = [i for i, k in enumerate(shown["kpi"]) if self.view.decimals(k) == decimals]
                style = style.format(
                    number_format(decimals), subset=(rows, list(spec.kpi_rows)), na_rep=""
                )
        if "status" in shown:
            style = style.map(lambda v: GOAL_COLOURS.get(v, ""), subset=["status"])
        if spec.own_column:
            own = [c == self.view.own for c in shown[spec.own_column]]
            style = style.apply(lambda row: [OWN_ROW if own[row.name] else ""] * len(row), axis=1)
        if spec.group_rows:
            repeated = [
                i for i in range(1, len(shown)) if shown.at[i, "rad"] == shown.at[i - 1, "rad"]
            ]
            if repeated:
                style = style.format(lambda _v: "", subset=(repeated, ["rad"]))
        hidden = [c for c in spec.hidden if c in shown]
        if hidden:
            style = style.hide(subset=hidden, axis="columns")
        return _with_caption_below(style)

    def publish_data_tables(self) -> str:
        """Export the long tables without showing them; returns a Swedish sentence about them."""
        self.publish(r9.TABLE_ID)
        self.publish("r9_rang")
        return (
            f"Alla värden per nyckeltal, år och kommun, med {self.view.mean_name} och Koladas eget "
            f"gruppvärde, finns i tabellen `{r9.TABLE_ID}`, och rangordningen av alla kommuner "
            "per år i `r9_rang` (CSV och Excel bredvid rapporten)."
        )

    def publish_headlines(self) -> None:
        """Headline figures for index.html: goals met, the placement-cost gap and its rank."""
        year = self.view.latest_year
        goals = self.view.goals[self.view.goals["year"] == year]
        met = int((goals["status"] == r9.GOAL_MET).sum())
        ctx, short = self.ctx, self.view.group.short_name
        ctx.headline(
            "r9_mal_uppfyllda",
            f"Mål mot {short}-snitt uppfyllda {year}",
            f"{met} av {len(goals)}",
            section=SECTION,
            order=0,
        )
        dec = self.view.config.decomposition
        conflicting = {c.kpi for c in self.view.decomposition_conflicts}
        if dec is None or dec.cost_kpi in conflicting:
            return
        g = self.view.gaps.set_index(["kpi", "year"])
        if (dec.cost_kpi, year) in g.index and pd.notna(g.at[(dec.cost_kpi, year), "gap_mnkr"]):
            gap = float(g.at[(dec.cost_kpi, year), "gap_mnkr"]) * 1e6
            ctx.headline(
                "r9_skillnad_placeringar",
                f"Familjehem och HVB barn och unga mot {short}-snitt {year}",
                f"{format_mnkr(abs(gap), suffix=True)} {direction(gap)}",
                section=SECTION,
                order=1,
            )
        r = self.view.own_ranks().set_index(["kpi", "year"])
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
        jam = self.tables.jamforelse_table()
        jam = jam[jam["kpi"] == kpi]
        wide = jam.pivot_table(index="kommun", columns="ar", values="varde", aggfunc="first")
        kolada_id = self.view.group.kolada_id
        order = [*self.view.config.comparison_codes, self.view.group.short_name, kolada_id]
        wide = wide.reindex([c for c in order if c in wide.index])
        year_cols = [str(y) for y in wide.columns]
        wide.columns = year_cols
        r = self.view.ranks
        r = r[(r["kpi"] == kpi) & (r["year"] == self.view.latest_year)].set_index("municipality")
        rank_col = f"Rang {self.view.latest_year}"
        frame = wide.reset_index(names="kommun")
        frame.insert(0, "rad", frame["kommun"].map(self.view.config.names))
        frame[rank_col] = frame["kommun"].map(r["rank"]).astype("Int64")
        fmt = number_format(self.view.decimals(kpi))
        style = styled(
            frame.drop(columns="kommun"),
            table_id=f"r9_{kpi.lower()}",
            headers={"rad": "Kommun"},
            formats={**{c: fmt for c in year_cols}, rank_col: number_format(0)},
            caption=source_caption(f"{self.view.mean_name} och rang"),
            deviation_columns=(),
        )
        kinds = list(frame["kommun"])

        def row_css(row: pd.Series) -> list[str]:
            code = kinds[row.name]
            css = OWN_ROW if code == self.view.own else ""
            if code in (self.view.group.short_name, kolada_id):
                css = MEAN_ROW
            return [css] * len(row)

        return _with_caption_below(style.apply(row_css, axis=1))

    def peer_tables(self, *kpis: str, parts: bool = True) -> HTML:
        """Peer tables of ``kpis`` (and their parts), each under its title and unit."""
        ids: list[str] = []
        for kpi in kpis:
            ids += [k for k in (self.view.family(kpi) if parts else [kpi]) if k not in ids]
        chunks = []
        for kpi in ids:
            title = html.escape(f"{self.view.label(kpi)} ({kpi})")
            chunks.append(f"<h4>{title}</h4>\n{self.peer_table(kpi).to_html()}")
        return HTML("\n".join(chunks))
