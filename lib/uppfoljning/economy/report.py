"""The economy report the notebook calls: `EconomyReport.open(ctx)`, then its tables, sections,
chart data and texts.

The tables come from `EconomyTables` (`economy.tables`: computed and checked); headings,
sections and prose live in `headers`, `sections` and `texts`, so this facade only routes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from uppfoljning.data.config import load_code_map
from uppfoljning.economy import headers, sections, summary, texts
from uppfoljning.economy.ledger import LEVEL, Ledger
from uppfoljning.economy.tables import EconomyTables
from uppfoljning.present.formatting import format_amount, format_mnkr, period_range_label
from uppfoljning.present.report import ReportContext


class EconomyReport(EconomyTables):
    """The economy tables of one period with their Swedish headings, texts and sections."""

    @classmethod
    def open(cls, ctx: ReportContext) -> EconomyReport:
        code_map = load_code_map(ctx.params.code_map_file) if ctx.params.code_map_file else None
        report = cls(ctx.params, ctx.structure, Ledger(ctx.data_dir, code_map), ctx.data_dir)
        if code_map is not None:
            report.notes.append(
                f"Koder från tidigare organisation räknas om enligt `{code_map.path.name}`, "
                "så att föregående års utfall visas på årets rader."
            )
        return report

    @property
    def unit(self) -> str:
        """Display unit: mnkr, or tkr (the year-end report's default)."""
        return self.params.unit

    def amount(self, value: float) -> str:
        """An amount in the report's unit with the unit, e.g. `-53,2 mnkr` or `-53 204 tkr`
        (whole thousands, as the tkr tables)."""
        return f"{format_amount(value, self.unit, 0 if self.unit == 'tkr' else 1)} {self.unit}"

    def title(self) -> str:
        return f"Ekonomi – {self.params.title}"

    def headers(self, table_id: str) -> dict[str, str]:
        """Swedish column headings for a table, with the periods spelt out."""
        return headers.table_headers(self, table_id)

    # -- texts and chart data ---------------------------------------------------------------
    def unclassified_lines(self) -> list[str]:
        """Console lines about the "Ej klassificerat" row (none when every line is classified)."""
        return texts.unclassified_lines(self)

    def action_plan_text(self) -> str:
        return texts.action_plan_text(self)

    def deviation_chart_data(self) -> pd.DataFrame:
        return summary.deviation_chart_data(self.period_table())

    def deviation_chart_title(self) -> str:
        return texts.deviation_chart_title(self)

    def cumulative_chart_data(self, n: int = 3) -> pd.DataFrame:
        """The total and the `n` rows that deviate most."""
        total_id = summary.total_row_id(self.structure)
        return self.cumulative_vs_budget([total_id, *self.largest_deviation_rows(n)])

    def rolling_chart_data(self, n: int = 6) -> pd.DataFrame:
        return self.monthly.largest_rolling(n)

    def commentary(self) -> str:
        return texts.commentary(self)

    def missing_data_notes(self) -> list[str]:
        """One Swedish line per optional dataset the period lacks, naming what is left out."""
        return texts.missing_data_notes(self)

    def reconciliation(self) -> list[str]:
        """Checks that the tables reconcile with the ledger; problems are raised, not printed."""
        return texts.reconciliation(self)

    def about(self) -> str:
        """Sources, choices and checks, for the end of the report ("Om rapporten")."""
        return texts.about(self)

    # -- the notebook's sections (uppfoljning.economy.sections) -----------------------------
    def overview_section(self, ctx: ReportContext) -> list:
        return sections.overview(self, ctx)

    def unclassified_section(self, ctx: ReportContext) -> list:
        return sections.unclassified(self, ctx)

    def forecast_section(self, ctx: ReportContext) -> list:
        return sections.forecast(self, ctx)

    def forecast_comparison_section(self, ctx: ReportContext) -> list:
        return sections.forecast_comparison(self, ctx)

    def year_end_section(self, ctx: ReportContext) -> list:
        return sections.year_end(self, ctx)

    def budget_plan_section(self, ctx: ReportContext) -> list:
        return sections.budget_plan(self, ctx)

    def investments_section(self, ctx: ReportContext) -> list:
        return sections.investments(self, ctx)

    def action_plan_section(self, ctx: ReportContext) -> list:
        return sections.action_plan(self, ctx)


def publish_headlines(ctx: ReportContext, eko: EconomyReport) -> None:
    """Headline figures of the economy report for index.html (the full-year pair only when
    there is an overview)."""
    overview = eko.overview_table()
    period_total = eko.period_table()
    total = period_total[period_total[LEVEL] == "total"].iloc[0]
    what, dev = (
        ("Utfall", "Avvikelse") if eko.closes_year else ("Prognos", "Prognostiserad avvikelse")
    )
    items = []
    if overview is not None:
        net = overview.loc["netto"]
        items += [
            (
                "prognos_helar",
                f"{what} helår, nettokostnad",
                format_mnkr(net["prognos"], suffix=True),
            ),
            ("avvikelse_helar", f"{dev} helår", format_mnkr(net["avvikelse"], suffix=True)),
        ]
    items.append(
        (
            "avvikelse_period",
            f"Avvikelse {period_range_label(eko.params.period)}",
            format_mnkr(total["avvikelse"], suffix=True),
        )
    )
    for order, (key, label, text) in enumerate(items):
        ctx.headline(key, label, text, section="Ekonomi", order=order)


def unclassified_summary(params_file: Path | str, data_dir: Path | str) -> list[str]:
    """Console lines on the period's "Ej klassificerat" row, per code; [] when all lines match.

    For the command line (`uppfoljning run`, `uppfoljning check`) after ingest: the same
    classification as the report, from the processed data and the period file, so a controller
    sees the codes to add to the report structure without opening the report.
    """
    import warnings

    from uppfoljning.data.config import load_period_params
    from uppfoljning.present.report import open_period

    params = load_period_params(params_file)
    ctx = open_period(params.period, params_file=params_file, data_dir=data_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # these lines replace the classification warning
        return EconomyReport.open(ctx).unclassified_lines()
