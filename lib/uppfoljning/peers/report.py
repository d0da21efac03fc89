"""The R9 comparison report: tables, texts and chart data for ``notebooks/r9_jamforelser.ipynb``.

Why a module: notebooks only call into the library, and the analyses in :mod:`uppfoljning.peers.r9`
return frames with English column ids. :class:`R9Report` is the one object the notebook opens; it
delegates to the report's parts, which share one :class:`~uppfoljning.peers.view.PeerView` (the
catalogue, the Kolada data and each analysis computed once):

- :mod:`uppfoljning.peers.tables`: the published tables (Swedish column ids, first column
  ``rad``, amounts in kronor);
- :mod:`uppfoljning.peers.displays`: their Swedish display (headers, decimals per unit, goal
  colours, a source line under each table as Kolada's terms require), export and headlines;
- :mod:`uppfoljning.peers.charts`: what the charts show;
- :mod:`uppfoljning.peers.texts`: the prose around them.

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

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from uppfoljning.peers.catalogue import CONFIG_FILE, PeerGroup, R9Config, load_config, report_years
from uppfoljning.peers.charts import PeerCharts
from uppfoljning.peers.checks import RoleConflict
from uppfoljning.peers.displays import SECTION, PeerDisplays, source_caption
from uppfoljning.peers.sources import KoladaBundle, load_kolada
from uppfoljning.peers.tables import PeerTables
from uppfoljning.peers.texts import CHECK_TOLERANCE, FigureTexts, MethodTexts
from uppfoljning.peers.view import GOAL_YEARS, PeerView
from uppfoljning.present.report import ReportContext

__all__ = [
    "CHECK_TOLERANCE",
    "GOAL_YEARS",
    "HVB_NOTE",
    "SECTION",
    "R9Report",
    "source_caption",
]

HVB_NOTE = (
    "Kolada har inte längre något nyckeltal för kostnad per vårddygn i HVB för barn och unga "
    "(N33100 och N33101 har utgått), så den kan inte jämföras med R9 här. Kommunens egen "
    "kostnad per vårddygn för HVB redovisas i rapporten HVB-placeringar, beräknad från "
    "placeringsregistret."
)


@dataclass
class R9Report:
    """Every table, text and chart input of one R9 report (one period)."""

    ctx: ReportContext
    config: R9Config
    years: list[int]
    bundle: KoladaBundle

    @classmethod
    def open(cls, ctx: ReportContext, config_path: Path | str | None = None) -> R9Report:
        """Read the peer-group YAML beside the period's params and the Kolada cache (offline)."""
        path = Path(config_path) if config_path else ctx.params.path.parent / CONFIG_FILE
        config = load_config(path)
        if config.municipality.code != ctx.params.municipality_code:
            raise ValueError(
                f"{path.name} jämför kommun {config.municipality.code}, men periodens "
                f"parametrar gäller kommun {ctx.params.municipality_code}."
            )
        years = report_years(config, ctx.period)
        bundle = load_kolada(config, years, cache_dir=ctx.raw_dir / "kolada")
        return cls(ctx, config, years, bundle)

    # ----------------------------------------------------------------- the parts

    @cached_property
    def view(self) -> PeerView:
        return PeerView(self.config, self.years, self.bundle)

    @cached_property
    def _tables(self) -> PeerTables:
        return PeerTables(self.view)

    @cached_property
    def _displays(self) -> PeerDisplays:
        return PeerDisplays(self.ctx, self.view, self._tables)

    @cached_property
    def _charts(self) -> PeerCharts:
        return PeerCharts(self.view, self._tables)

    @cached_property
    def _figures(self) -> FigureTexts:
        return FigureTexts(self.view)

    @cached_property
    def _method(self) -> MethodTexts:
        return MethodTexts(self.view)

    # ----------------------------------------------------------------- basics (PeerView)

    @property
    def data(self) -> pd.DataFrame:
        return self.view.data

    @property
    def own(self) -> str:
        return self.view.own

    @property
    def own_name(self) -> str:
        return self.view.own_name

    @property
    def group(self) -> PeerGroup:
        return self.view.group

    @property
    def mean_name(self) -> str:
        return self.view.mean_name

    @property
    def mean_definite(self) -> str:
        return self.view.mean_definite

    @property
    def goal_kpis(self) -> list[str]:
        return self.view.goal_kpis

    @property
    def kpi_order(self) -> list[str]:
        return self.view.kpi_order

    @property
    def latest_year(self) -> int:
        return self.view.latest_year

    @property
    def decomposition_conflicts(self) -> list[RoleConflict]:
        return self.view.decomposition_conflicts

    @property
    def decomposition_refused(self) -> bool:
        return self.view.decomposition_refused

    def label(self, kpi: str) -> str:
        return self.view.label(kpi)

    def unit(self, kpi: str) -> str:
        return self.view.unit(kpi)

    def decimals(self, kpi: str) -> int:
        return self.view.decimals(kpi)

    def value_text(self, kpi: str, value: float) -> str:
        return self.view.value_text(kpi, value)

    def family(self, kpi: str) -> list[str]:
        return self.view.family(kpi)

    def placement_kpis(self) -> list[str]:
        return self.view.placement_kpis()

    def other_kpis(self) -> list[str]:
        return self.view.other_kpis()

    # ----------------------------------------------------------------- tables (PeerTables)

    def jamforelse_table(self) -> pd.DataFrame:
        return self._tables.jamforelse_table()

    def goal_table(self) -> pd.DataFrame:
        return self._tables.goal_table()

    def gap_table(self) -> pd.DataFrame:
        return self._tables.gap_table()

    def rank_table(self) -> pd.DataFrame:
        return self._tables.rank_table()

    def placement_table(self) -> pd.DataFrame:
        return self._tables.placement_table()

    def decomposition_table(self) -> pd.DataFrame:
        return self._tables.decomposition_table()

    def gender_table(self) -> pd.DataFrame:
        return self._tables.gender_table()

    def check_table(self) -> pd.DataFrame:
        return self._tables.check_table()

    # ----------------------------------------------------------------- displays (PeerDisplays)

    @property
    def table_ids(self) -> list[str]:
        return self._displays.table_ids

    def headers(self, table_id: str) -> dict[str, str]:
        return self._displays.headers(table_id)

    def publish(self, table_id: str) -> Styler:
        return self._displays.publish(table_id)

    def publish_data_tables(self) -> str:
        return self._displays.publish_data_tables()

    def publish_headlines(self) -> None:
        self._displays.publish_headlines()

    def peer_table(self, kpi: str) -> Styler:
        return self._displays.peer_table(kpi)

    def peer_tables(self, *kpis: str, parts: bool = True) -> HTML:
        return self._displays.peer_tables(*kpis, parts=parts)

    # ----------------------------------------------------------------- charts (PeerCharts)

    def trend_data(self, kpi: str) -> pd.DataFrame:
        return self._charts.trend_data(kpi)

    def ranking_data(self, kpi: str) -> pd.DataFrame:
        return self._charts.ranking_data(kpi)

    def latest_mean(self, kpi: str) -> float:
        return self._charts.latest_mean(kpi)

    def chart_title(self, kpi: str, *, ranking: bool = False) -> str:
        return self._charts.chart_title(kpi, ranking=ranking)

    def placement_data(self) -> pd.DataFrame:
        return self._charts.placement_data()

    def iso_costs(self) -> dict[str, float]:
        return self._charts.iso_costs()

    def placement_chart(self) -> Figure | Markdown:
        return self._charts.placement_chart()

    def decomposition_chart(self) -> Figure | Markdown:
        return self._charts.decomposition_chart()

    def decomposition_data(self) -> pd.DataFrame:
        return self._charts.decomposition_data()

    # ----------------------------------------------------------- texts (FigureTexts, MethodTexts)

    def intro(self) -> str:
        return self._figures.intro(self.ctx.params.committee)

    def data_note(self) -> str:
        return self._figures.data_note()

    def kpi_text(self, kpi: str) -> str:
        return self._figures.kpi_text(kpi)

    def goal_summary(self) -> str:
        return self._figures.goal_summary()

    def refusal_text(self) -> str:
        return self._figures.refusal_text()

    def decomposition_text(self) -> str:
        return self._figures.decomposition_text()

    def gender_text(self) -> str:
        return self._figures.gender_text()

    def explanation(self, table_id: str) -> str:
        return self._method.explanation(table_id)

    def check_text(self) -> str:
        return self._method.check_text()

    def about(self) -> str:
        return self._method.about()
