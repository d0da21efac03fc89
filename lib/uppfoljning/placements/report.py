"""24-hour placements from the placement register: the facade the HVB notebook calls.

The reference report explains the overspend in 569 Barn och ungdomsvård by more care days and a
higher cost per care day; `PlacementReport` makes that analysis from the register every period,
for children (`barn_unga`) and adults (`vuxna`). It holds no computation of its own: each
method hands over to the module that owns the figure, in three layers.

- Pure computations: `dates` (day numbers, windows), `register` (episodes, care days, chains:
  the definitions of care day, cost, placement and individual), `aggregate` (cells,
  price–volume–mix), `forecast` (the commitment forecast), `reconcile` (register against
  ledger), `settings` (params/hvb.yaml).
- Privacy: `privacy` decides, once and before anything is shown, which cells are hidden
  (fewer than `sekretess_under` individuals or placements, and the complementary cells).
- Presentation: `period` (the year-to-date cells and labels the sections share), the tables
  (`care_day_tables`, `price_tables`, `placement_tables`, `ledger_tables`), the key figures
  (`facts`), column formats (`display`), texts (`texts`, `rules`) and charts (`plots`).

No person-level value ever leaves the package. Catalogues live in params/: `vardformer.yaml`
(care forms) and `hvb.yaml` (reconciliation accounts, thresholds, forecast settings).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from uppfoljning.data.care_forms import CareFormCatalogue, _params_dir, load_care_forms
from uppfoljning.data.config import ReportStructure, load_structure
from uppfoljning.economy import Ledger
from uppfoljning.placements import display, rules, texts
from uppfoljning.placements.care_day_tables import CareDayTables
from uppfoljning.placements.facts import Fact, KeyFigures
from uppfoljning.placements.ledger_tables import LedgerTables
from uppfoljning.placements.period import PeriodView
from uppfoljning.placements.placement_tables import PlacementTables
from uppfoljning.placements.price_tables import PriceTables
from uppfoljning.placements.register import CHILDREN, Register
from uppfoljning.placements.settings import PlacementSettings, load_settings

if TYPE_CHECKING:
    from uppfoljning.present.report import ReportContext


@dataclass
class PlacementReport:
    """Every table and key figure of the HVB-placeringar notebook for one period."""

    period: str
    register: Register
    settings: PlacementSettings
    structure: ReportStructure | None = None
    data_dir: Path | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, ctx: ReportContext) -> PlacementReport:
        """Catalogues from the period file's params/ directory, data from ctx.data_dir."""
        params_dir = ctx.params.path.parent
        catalogue = load_care_forms(params_dir)
        register = Register.load(ctx.data_dir, catalogue, ctx.period)
        return cls(ctx.period, register, load_settings(params_dir), ctx.structure, ctx.data_dir)

    @classmethod
    def from_data(
        cls, data_dir: Path | str, period: str, params_dir: Path | str | None = None
    ) -> PlacementReport:
        """Without a ReportContext (tests, interactive use)."""
        params = _params_dir(params_dir)
        catalogue = load_care_forms(params)
        register = Register.load(data_dir, catalogue, period)
        structure_file = params / "rapportstruktur_2024.yaml"
        structure = load_structure(structure_file) if structure_file.exists() else None
        return cls(period, register, load_settings(params), structure, Path(data_dir))

    # -- the sections, built once ---------------------------------------------------------------
    @cached_property
    def view(self) -> PeriodView:
        """The register seen from the period: year-to-date cells and their suppression."""
        return PeriodView(self.period, self.register, self.settings)

    @cached_property
    def _care_days(self) -> CareDayTables:
        return CareDayTables(self.view)

    @cached_property
    def _prices(self) -> PriceTables:
        return PriceTables(self.view)

    @cached_property
    def _placements(self) -> PlacementTables:
        return PlacementTables(self.view)

    @cached_property
    def _ledger_tables(self) -> LedgerTables:
        return LedgerTables(self.view, self.structure, self.data_dir)

    @cached_property
    def _figures(self) -> KeyFigures:
        return KeyFigures(self.view, self._prices, self._placements, self._ledger_tables)

    @property
    def _ledger(self) -> Ledger:
        return self._ledger_tables.ledger

    # -- the period ---------------------------------------------------------------------------
    @property
    def year(self) -> int:
        return self.view.year

    @property
    def month(self) -> int:
        return self.view.month

    @property
    def catalogue(self) -> CareFormCatalogue:
        return self.register.catalogue

    @property
    def span(self) -> str:
        return self.view.span

    @property
    def span_previous(self) -> str:
        return self.view.span_previous

    @property
    def threshold(self) -> int:
        return self.settings.suppress_below

    # -- care days and cost per care day (care_day_tables) -------------------------------------
    def care_days_table(self) -> pd.DataFrame:
        return self._care_days.care_days_table()

    def cost_table(self) -> pd.DataFrame:
        return self._care_days.cost_table()

    def monthly_care_days(self, target: str = CHILDREN, *, year: int | None = None) -> pd.DataFrame:
        return self._care_days.monthly_care_days(target, year=year)

    def monthly_table(self) -> pd.DataFrame:
        return self._care_days.monthly_table()

    def price_volume_table(self, target: str = CHILDREN) -> pd.DataFrame:
        return self._care_days.price_volume_table(target)

    def care_days_chart_data(self, target: str = CHILDREN) -> pd.DataFrame:
        return self._care_days.care_days_chart_data(target)

    # -- rolling twelve months, agreements, prices (price_tables) ------------------------------
    def rolling(self, target: str, first: str | None = None) -> pd.DataFrame:
        return self._prices.rolling(target, first)

    def r12_cost(self, target: str, period: str | None = None) -> float:
        return self._prices.r12_cost(target, period)

    def rolling_table(self) -> pd.DataFrame:
        return self._prices.rolling_table()

    def rolling_chart_data(self) -> pd.DataFrame:
        return self._prices.rolling_chart_data()

    def agreement_table(self, group: str = "hvb") -> pd.DataFrame:
        return self._prices.agreement_table(group)

    def price_index(self, group: str = "hvb", target: str = CHILDREN) -> pd.DataFrame:
        return self._prices.price_index(group, target)

    def price_step(self, month: str, group: str = "hvb", target: str = CHILDREN) -> float:
        return self._prices.price_step(month, group, target)

    # -- individuals, flows, lengths, gang crime (placement_tables) ----------------------------
    def individuals(
        self, target: str, groups: Iterable[str] | None = None, months: Sequence[str] = ()
    ) -> pd.Series:
        return self._placements.individuals(target, groups, months)

    def individuals_table(self) -> pd.DataFrame:
        return self._placements.individuals_table()

    def individuals_chart_data(self) -> pd.DataFrame:
        return self._placements.individuals_chart_data()

    def flows(self, target: str, months: Sequence[str]) -> pd.DataFrame:
        return self._placements.flows(target, months)

    def flows_table(self) -> pd.DataFrame:
        return self._placements.flows_table()

    def lengths_table(self) -> pd.DataFrame:
        return self._placements.lengths_table()

    def gang_figures(self, back: int = 0, target: str = CHILDREN) -> dict[str, float]:
        return self._placements.gang_figures(back, target)

    # -- forecast and ledger (ledger_tables) ---------------------------------------------------
    def forecast_table(self) -> pd.DataFrame:
        return self._ledger_tables.forecast_table()

    def forecast_comparison_table(self) -> pd.DataFrame:
        return self._ledger_tables.forecast_comparison_table()

    def reconciliation_table(self) -> pd.DataFrame:
        return self._ledger_tables.reconciliation_table()

    # -- key figures (facts) -------------------------------------------------------------------
    @property
    def facts(self) -> dict[str, Fact]:
        return self._figures.facts

    def key_figures(self) -> pd.DataFrame:
        return self._figures.key_figures()

    def fact(self, key: str) -> float | str:
        return self._figures.fact(key)

    # -- presentation (display, texts, rules) --------------------------------------------------
    def display(self, table_id: str) -> dict:
        return display.display_options(self.view, table_id)

    def key_figures_text(self) -> str:
        return texts.key_figures_text(self._figures, self.threshold)

    def commentary(self) -> str:
        return texts.commentary(self.view, self._figures, self._care_days, self._ledger_tables)

    def publish_headlines(self, ctx: ReportContext) -> None:
        texts.publish_headlines(self.view, self._figures, ctx)

    def price_volume_formulas(self) -> str:
        return rules.price_volume_formulas(self.view)

    def forecast_rules(self) -> str:
        return rules.forecast_rules(self.view)

    def explanation(self, table_id: str) -> str:
        return rules.explanation(self.view, table_id)

    def about(self) -> str:
        return rules.about(self.view)
