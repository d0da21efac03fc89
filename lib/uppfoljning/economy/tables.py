"""The economy tables of one period, computed and checked: `EconomyTables` holds the ledger
and the period's parameters, runs the pure computations (`summary`, `investments`, `budget`,
`monthly`, `unclassified`, `forecast`, `actionplan`) and checks every table as it is computed
(`checks`; a table that does not add up stops the report).

Table ids and columns are a contract (DESIGN §9); every amount is in kronor. The `_niva` column
tells the display which rows are sums or "varav" rows and is not exported. The report facade
(`EconomyReport` in `economy.report`) adds headings, texts and sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from uppfoljning.data.config import (
    UNCLASSIFIED_ID,
    CodeNames,
    PeriodParams,
    ReportStructure,
    load_code_names,
)
from uppfoljning.economy import actionplan, budget, checks, forecast, summary, unclassified
from uppfoljning.economy.investments import INVESTMENT_COLUMNS, Investments
from uppfoljning.economy.ledger import LEVEL, Ledger, Summary, dataset_rows
from uppfoljning.economy.monthly import MonthlySeries


@dataclass
class EconomyTables:
    """Computes and checks every economy table of one period from the processed data."""

    params: PeriodParams
    structure: ReportStructure
    ledger: Ledger
    data_dir: Path
    notes: list[str] = field(default_factory=list)
    quality: checks.QualityLog = field(default_factory=checks.QualityLog)

    @property
    def closes_year(self) -> bool:
        """A year-end report (ÅÅÅÅ-12) with the whole year in the ledger."""
        return self.params.is_year_end and self.ledger.has_full_year(self.year)

    @property
    def year(self) -> int:
        return self.params.year

    @property
    def month(self) -> int:
        return self.params.month

    @cached_property
    def code_names(self) -> CodeNames:
        """Names of accounts, activities and units for the drill-down (params/kodnamn.yaml)."""
        return load_code_names(self.params.code_names_file)

    # -- forecasts in force -----------------------------------------------------------------
    @cached_property
    def forecast_month(self) -> str | None:
        """The controllers' forecast in force at the period; None when the year has none.

        Forecasts are optional: a year-end report compares outcome with budget without them,
        and the forecast columns and sections are then left out.
        """
        return self.ledger.forecast_for(self.params.period)

    @property
    def has_forecast(self) -> bool:
        return self.forecast_month is not None

    @cached_property
    def previous_forecast_month(self) -> str | None:
        return forecast.previous_forecast_month(
            self.ledger, self.year, self.forecast_month, self.params.previous_forecast
        )

    # -- driftsammandrag --------------------------------------------------------------------
    @cached_property
    def period_summary(self) -> Summary:
        return summary.period_summary(
            self.ledger, self.structure, self.params.period, self.params.budget_version
        )

    @cached_property
    def year_summary(self) -> Summary:
        if not self.ledger.has_full_year(self.year - 1):
            self.notes.append(
                f"Huvudboken saknar månader för {self.year - 1}; bokslutet är ofullständigt."
            )
        return summary.year_summary(
            self.ledger,
            self.structure,
            self.year,
            self.params.budget_version,
            self.forecast_month,
            self.previous_forecast_month,
        )

    def _check(self, table_id: str, frame: pd.DataFrame, columns: list[str], outcome: str) -> None:
        self.quality.passed += [
            checks.check_sums(table_id, frame, self.structure, columns),
            checks.check_deviation(table_id, frame, "budget", outcome),
            checks.check_cost_revenue(table_id, frame, columns),
        ]

    def period_table(self) -> pd.DataFrame:
        """`driftsammandrag_period`: outcome January–month, periodised budget, deviation."""
        out = summary.period_table(self.period_summary.frame)
        columns = ["utfall", "budget", "utfall_foregaende_ar"]
        self._check("driftsammandrag_period", out, columns, "utfall")
        return out

    def forecast_table(self) -> pd.DataFrame | None:
        """`driftsammandrag_prognos`: forecast, budget, deviation, last year's accounts; None
        without a forecast."""
        if not self.has_forecast:
            return None
        out = summary.forecast_table(self.year_summary.frame)
        columns = ["prognos", "budget", "bokslut_foregaende_ar"]
        self._check("driftsammandrag_prognos", out, columns, "prognos")
        return out

    def forecast_change_table(self) -> pd.DataFrame | None:
        """`prognosforandring`: this forecast against the previous one, per row; None without a
        forecast."""
        if not self.has_forecast:
            return None
        out = summary.forecast_change_table(self.year_summary.frame)
        self.quality.passed += [
            checks.check_sums("prognosforandring", out, self.structure, ["prognos_foregaende"]),
            checks.check_deviation(
                "prognosforandring", out, "prognos", "prognos_foregaende", column="forandring"
            ),
        ]
        return out

    def largest_deviation_rows(self, n: int = 3) -> list[str]:
        """Row ids with the largest absolute period deviation (top-level rows only)."""
        return summary.largest_deviation_rows(self.period_table(), n)

    # -- investments and overview -----------------------------------------------------------
    @cached_property
    def investment_data(self) -> Investments:
        return Investments.load(self.data_dir, self.params.period)

    def investments_table(self) -> pd.DataFrame | None:
        """`investeringar`: outcome January–month, forecast, frame and deviation per project
        (at year end the year's outcome); None when the year has no investment data."""
        if not self.investment_data.has_any:
            return None
        out = self.investment_data.table(closes_year=self.closes_year)
        self.quality.passed.append(
            checks.check_column_total("investeringar", out, INVESTMENT_COLUMNS)
        )
        self.quality.passed.append(
            checks.check_deviation("investeringar", out, "ram", "prognos_netto")
        )
        return out

    def overview_table(self) -> pd.DataFrame | None:
        """`ekonomi_oversikt`: net cost and investments against budget and the previous forecast.

        At year end the "forecast" is the year's outcome, and the comparison is the year's last
        forecast, so the table answers "how did the year end, and how close was our forecast".
        Without forecasts a year-end overview is outcome against budget (no forecast column),
        and any other report has no overview (None); without investment data, no investment row.
        """
        if not (self.closes_year or self.has_forecast):
            return None
        total_id = summary.total_row_id(self.structure)
        year = self.year_summary.frame
        inv = self.investments_table()
        outcome = self.period_table().loc[total_id, "utfall"] if self.closes_year else None
        previous = self.forecast_month if self.closes_year else self.previous_forecast_month
        f = summary.overview_table(
            year,
            total_id,
            outcome=outcome,
            investments=inv,
            previous_investment_deviation=(
                self.investment_data.previous_deviation(previous) if inv is not None else np.nan
            ),
            with_previous=self.has_forecast,
        )
        self.quality.passed.append(
            checks.check_deviation("ekonomi_oversikt", f, "budget", "prognos")
        )
        return f

    # -- computed forecasts, accuracy, budget versions --------------------------------------
    @cached_property
    def computed_forecast(self) -> forecast.ComputedForecast:
        return forecast.computed_forecast(self.ledger, self.structure, self.params.period)

    def forecast_comparison_table(self) -> pd.DataFrame:
        """`prognosjamforelse`: the controllers' forecast (when made) beside the run-rate and
        seasonal ones."""
        own = ["prognos"] if self.has_forecast else []
        f = self.computed_forecast.frame.join(self.year_summary.frame[[*own, "budget"]], how="left")
        columns = ["utfall_hittills", *own, "prognos_linjar", "prognos_sasong", "budget"]
        return summary.with_rad_first(f, columns)

    def forecast_accuracy_table(self) -> pd.DataFrame:
        """`prognostraffsakerhet`: each forecast of the year minus the final outcome, per row."""
        f = forecast.forecast_accuracy(self.ledger, self.structure, self.year)
        return f[f[LEVEL] != "varav"]

    def budget_plan_table(self) -> pd.DataFrame:
        """`budget_och_plan`: the budget year and later plan years per row."""
        out = budget.plan_years(self.ledger, self.structure, self.year, self.params.budget_version)
        years = [c for c in out.columns if c not in ("rad", LEVEL)]
        self.quality.passed.append(checks.check_sums("budget_och_plan", out, self.structure, years))
        return out

    def budget_versions_table(self) -> pd.DataFrame | None:
        """`budgetversioner`: the year's budget versions side by side, or None with one."""
        return budget.versions(self.ledger, self.structure, self.year, self.params.budget_version)

    # -- unclassified lines -----------------------------------------------------------------
    def unclassified_table(self) -> pd.DataFrame | None:
        """`ej_klassificerat`: the lines of the "Ej klassificerat" row per code, or None; the
        total equals that row of `driftsammandrag_period`."""
        parts = [self.period_summary.unclassified]
        if self.has_forecast:
            stray = self.year_summary.unclassified
            if len(stray):
                parts.append(stray[stray["kalla"] == "prognos"])
        parts = [p for p in parts if len(p)]
        if not parts:
            return None
        dim = unclassified.dimension(self.structure)
        out = unclassified.table(pd.concat(parts, ignore_index=True), dim, self.code_names)
        value_columns = [c for c in out.columns if c not in ("rad", LEVEL)]
        self.quality.passed.append(
            checks.check_column_total("ej_klassificerat", out, value_columns)
        )
        row = self.period_table().loc[UNCLASSIFIED_ID]
        columns = ["utfall", "budget", "utfall_foregaende_ar"]
        self.quality.passed.append(
            checks.check_unclassified_total("ej_klassificerat", out, row, columns)
        )
        return out

    # -- action plan ------------------------------------------------------------------------
    @cached_property
    def action_plan_config(self) -> actionplan.ActionPlanConfig | None:
        if self.params.action_plan_file is None:
            return None
        return actionplan.load_for_structure(self.params.action_plan_file, self.structure)

    @cached_property
    def _action_plan(self) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        config = self.action_plan_config
        if config is None or not dataset_rows(self.data_dir, "atgardsplan"):
            return None
        measures = actionplan.load_measures(self.data_dir, self.params.period)
        if measures.empty:
            return None
        areas = actionplan.area_table(measures, config, self.period_table())
        values = ["planerad_effekt", "planerad_effekt_perioden", "realiserad_effekt"]
        self.quality.passed.append(checks.check_column_total("atgardsplan", areas, values))
        return areas, actionplan.measure_table(measures)

    def action_plan_tables(self) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """(`atgardsplan` per area, `atgardsplan_atgarder` per measure), or None without a plan."""
        return self._action_plan

    # -- monthly series and chart data ------------------------------------------------------
    @cached_property
    def monthly(self) -> MonthlySeries:
        """Monthly series of the report year (outcome, budget, deviations, rolling); one
        object, so the month-by-month sums behind its tables and charts are made once."""
        return MonthlySeries(
            self.ledger, self.structure, self.year, self.params.period, self.params.budget_version
        )

    def monthly_deviation_matrix(self) -> pd.DataFrame:
        """Budget − outcome per row and month up to the period: where each deviation arose."""
        return self.monthly.deviation_matrix()

    def cumulative_vs_budget(self, row_ids: list[str]) -> pd.DataFrame:
        """Cumulative outcome and budget per month of the report year for the given rows."""
        return self.monthly.cumulative(row_ids)

    def rolling_12(self) -> pd.DataFrame:
        """Rolling 12-month net cost per top-level row; months without lines count as zero."""
        return self.monthly.rolling_12()
