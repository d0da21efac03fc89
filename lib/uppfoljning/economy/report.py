"""The economy report's tables: driftsammandrag for the period and the year, overview, investments.

Table ids and columns are a contract (DESIGN §9); every amount is in kronor. The `_niva` column
tells the display which rows are sums or "varav" rows and is not exported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from uppfoljning.data.config import (
    UNCLASSIFIED_ID,
    UNCLASSIFIED_LABEL,
    CodeNames,
    PeriodParams,
    ReportStructure,
    load_code_map,
    load_code_names,
    parse_period,
)
from uppfoljning.economy import actionplan, checks, forecast, narrative
from uppfoljning.economy.ledger import LEVEL, Ledger, Summary, _scan, dataset_rows, summarise
from uppfoljning.present.formatting import (
    format_amount,
    format_mnkr,
    format_number,
    period_label,
    period_range_label,
)
from uppfoljning.present.report import Markdown, ReportContext

OVERVIEW_NET = "Verksamhetens nettokostnader"
OVERVIEW_INVESTMENTS = "Investeringar, netto"
INVESTMENT_TOTAL = "Summa investeringar"


def _with_rad_first(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame[["rad", *columns, LEVEL]].copy()
    out.index.name = "rad_id"
    return out


@dataclass
class EconomyReport:
    """Computes every economy table of one period from the processed data."""

    params: PeriodParams
    structure: ReportStructure
    ledger: Ledger
    data_dir: Path
    notes: list[str] = field(default_factory=list)
    quality: checks.QualityLog = field(default_factory=checks.QualityLog)

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
    def closes_year(self) -> bool:
        """A year-end report (ÅÅÅÅ-12) with the whole year in the ledger."""
        return self.params.is_year_end and self.ledger.has_full_year(self.year)

    @property
    def unit(self) -> str:
        """Display unit: mnkr, or tkr (the year-end report's default)."""
        return self.params.unit

    def amount(self, value: float) -> str:
        """An amount in the report's unit with the unit, e.g. `-53,2 mnkr` or `-53 204 tkr`
        (whole thousands, as the tkr tables)."""
        return f"{format_amount(value, self.unit, 0 if self.unit == 'tkr' else 1)} {self.unit}"

    @property
    def year(self) -> int:
        return parse_period(self.params.period)[0]

    def title(self) -> str:
        return f"Ekonomi – {self.params.title}"

    def headers(self, table_id: str) -> dict[str, str]:
        """Swedish column headings for a table, with the periods spelt out."""
        span = period_range_label(self.params.period)
        last_span = period_range_label(f"{self.year - 1}-{self.month:02d}")
        prev = self.previous_forecast_month
        prev_label = f"prognos {period_label(prev)}" if prev else "föregående prognos"
        now = self.forecast_month
        now_label = f"prognos {period_label(now)}" if now else "prognos"
        overview_prev = now_label if self.closes_year else prev_label
        outlook = f"Utfall {self.year}" if self.closes_year else "Prognos"
        return {
            "ekonomi_oversikt": {
                "rad": f"Belopp {self.unit}",
                "prognos": f"Utfall {self.year}" if self.closes_year else "Prognos helår",
                "budget": f"Budget {self.year}",
                "avvikelse": "Avvikelse",
                "avvikelse_foregaende_prognos": f"Avvikelse {overview_prev}",
            },
            "driftsammandrag_period": {
                "rad": f"Verksamhet, {self.unit}",
                "utfall": f"Redovisat {span}",
                "budget": f"Budget {span}",
                "avvikelse": "Avvikelse",
                "utfall_foregaende_ar": f"Redovisat {last_span}",
            },
            "driftsammandrag_prognos": {
                "rad": f"Verksamhet, {self.unit}",
                "prognos": "Prognos helår",
                "budget": f"Budget {self.year}",
                "avvikelse": "Avvikelse",
                "bokslut_foregaende_ar": f"Bokslut {self.year - 1}",
            },
            "prognosforandring": {
                "rad": f"Verksamhet, {self.unit}",
                "prognos_foregaende": prev_label.capitalize(),
                "prognos": now_label.capitalize(),
                "forandring": "Förändring",
                "avvikelse_foregaende": f"Avvikelse {prev_label}",
                "avvikelse": f"Avvikelse {now_label}",
            },
            "investeringar": {
                "rad": f"Projekt, {self.unit}",
                "utgifter": f"Redovisat utgifter {span}",
                "inkomster": f"Redovisat inkomster {span}",
                "prognos_utgifter": f"{outlook} utgifter",
                "prognos_inkomster": f"{outlook} inkomster",
                "prognos_netto": f"{outlook} netto",
                "ram": "Investeringsram",
                "avvikelse": "Avvikelse",
            },
            "prognosjamforelse": {
                "rad": f"Verksamhet, {self.unit}",
                "utfall_hittills": f"Redovisat {span}",
                "prognos": f"Ekonomernas {now_label}",
                "prognos_linjar": "Linjär prognos",
                "prognos_sasong": "Säsongsprognos",
                "budget": f"Budget {self.year}",
            },
            "atgardsplan": {
                "rad": "Område",
                "planerad_effekt": f"Planerad effekt {self.year}",
                "planerad_effekt_perioden": f"Planerad effekt {span}",
                "realiserad_effekt": "Realiserad effekt",
                "ej_realiserad_effekt": "Ej realiserad effekt",
                "avvikelse_perioden": f"Avvikelse mot budget {span}",
            },
            "atgardsplan_atgarder": {
                "rad": "Åtgärd",
                "omrade": "Område",
                "status": "Status",
                "planerad_effekt": f"Planerad effekt {self.year}",
                "realiserad_effekt": "Realiserad effekt",
                "ej_realiserad_effekt": "Ej realiserad effekt för perioden",
            },
        }[table_id]

    def largest_deviation_rows(self, n: int = 3) -> list[str]:
        """Row ids with the largest absolute period deviation (top-level rows only)."""
        t = self.period_table()
        rows = t[t[LEVEL] == "rad"]
        return list(rows["avvikelse"].abs().nlargest(n).index)

    @property
    def month(self) -> int:
        return parse_period(self.params.period)[1]

    # -- forecasts --------------------------------------------------------------------------
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
        if self.params.previous_forecast:
            if self.params.previous_forecast not in self.ledger.forecast_months():
                raise LookupError(
                    f"foregaende_prognos {self.params.previous_forecast} finns inte i prognos-filen"
                )
            return self.params.previous_forecast
        if self.forecast_month is None:
            return None
        earlier = [m for m in self.ledger.forecast_months(self.year) if m < self.forecast_month]
        return earlier[-1] if earlier else None

    # -- driftsammandrag --------------------------------------------------------------------
    @cached_property
    def period_summary(self) -> Summary:
        return summarise(
            {
                "utfall": self.ledger.outcome_ytd(self.params.period),
                "budget": self.ledger.budget_lines(
                    self.year, self.params.budget_version, through_month=self.month
                ),
                "utfall_foregaende_ar": self.ledger.outcome_ytd(self.params.period, years_back=1),
            },
            self.structure,
        )

    def period_table(self) -> pd.DataFrame:
        """`driftsammandrag_period`: outcome January–month, periodised budget, deviation."""
        f = self.period_summary.frame.copy()
        f["avvikelse"] = f["budget"] - f["utfall"]
        out = _with_rad_first(f, ["utfall", "budget", "avvikelse", "utfall_foregaende_ar"])
        self._check(
            "driftsammandrag_period", out, ["utfall", "budget", "utfall_foregaende_ar"], "utfall"
        )
        return out

    def _check(self, table_id: str, frame: pd.DataFrame, columns: list[str], outcome: str) -> None:
        self.quality.passed += [
            checks.check_sums(table_id, frame, self.structure, columns),
            checks.check_deviation(table_id, frame, "budget", outcome),
            checks.check_cost_revenue(table_id, frame, columns),
        ]

    @cached_property
    def year_summary(self) -> Summary:
        quantities = {
            "budget": self.ledger.budget_lines(self.year, self.params.budget_version),
            "bokslut_foregaende_ar": self.ledger.outcome_year(self.year - 1),
        }
        if self.forecast_month is not None:
            quantities = {"prognos": self.ledger.forecast_lines(self.forecast_month)} | quantities
        if self.previous_forecast_month:
            quantities["prognos_foregaende"] = self.ledger.forecast_lines(
                self.previous_forecast_month
            )
        if not self.ledger.has_full_year(self.year - 1):
            self.notes.append(
                f"Huvudboken saknar månader för {self.year - 1}; bokslutet är ofullständigt."
            )
        return summarise(quantities, self.structure)

    def forecast_table(self) -> pd.DataFrame | None:
        """`driftsammandrag_prognos`: forecast, budget, deviation, last year's accounts; None
        without a forecast."""
        if not self.has_forecast:
            return None
        f = self.year_summary.frame.copy()
        f["avvikelse"] = f["budget"] - f["prognos"]
        out = _with_rad_first(f, ["prognos", "budget", "avvikelse", "bokslut_foregaende_ar"])
        self._check(
            "driftsammandrag_prognos",
            out,
            ["prognos", "budget", "bokslut_foregaende_ar"],
            "prognos",
        )
        return out

    def forecast_change_table(self) -> pd.DataFrame | None:
        """`prognosforandring`: this forecast against the previous one, per row; None without a
        forecast."""
        if not self.has_forecast:
            return None
        f = self.year_summary.frame.copy()
        if "prognos_foregaende" not in f:
            f["prognos_foregaende"] = np.nan
        f["avvikelse"] = f["budget"] - f["prognos"]
        f["avvikelse_foregaende"] = f["budget"] - f["prognos_foregaende"]
        f["forandring"] = f["prognos"] - f["prognos_foregaende"]
        out = _with_rad_first(
            f, ["prognos_foregaende", "prognos", "forandring", "avvikelse_foregaende", "avvikelse"]
        )
        self.quality.passed += [
            checks.check_sums("prognosforandring", out, self.structure, ["prognos_foregaende"]),
            checks.check_deviation(
                "prognosforandring", out, "prognos", "prognos_foregaende", column="forandring"
            ),
        ]
        return out

    # -- investments ------------------------------------------------------------------------
    @cached_property
    def _investment_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        outcome = _scan_optional(
            self.data_dir,
            "investeringar",
            "ar, projekt, period, sum(utgifter) AS utgifter, sum(inkomster) AS inkomster",
            "ar, projekt, period",
        )
        plan = _scan_optional(
            self.data_dir,
            "investeringsbudget",
            "ar, projekt, prognosmanad, sum(ram) AS ram, sum(prognos_utgifter) AS prognos_utgifter,"
            " sum(prognos_inkomster) AS prognos_inkomster",
            "ar, projekt, prognosmanad",
        )
        return outcome, plan

    @property
    def has_investment_budget(self) -> bool:
        """Whether `investeringsbudget` holds the year's frames (optional data)."""
        _, plan = self._investment_frames
        return bool((plan["ar"] == self.year).any())

    @property
    def has_investments(self) -> bool:
        """Whether the year has investment outcome or frames at all (optional data)."""
        outcome, _ = self._investment_frames
        return self.has_investment_budget or bool((outcome["ar"] == self.year).any())

    def _investment_plan(self, forecast_month: str | None) -> pd.DataFrame:
        _, plan = self._investment_frames
        plan = plan[plan["ar"] == self.year]
        dated = plan[plan["prognosmanad"] != ""]
        if forecast_month is None:
            forecast_month = max(
                (m for m in dated["prognosmanad"] if m <= self.params.period), default=None
            )
        chosen = pd.concat(
            [plan[plan["prognosmanad"] == ""], dated[dated["prognosmanad"] == forecast_month]]
        )
        chosen = chosen.groupby("projekt", as_index=False)[
            ["ram", "prognos_utgifter", "prognos_inkomster"]
        ].sum(min_count=1)
        # A project without a forecast is expected to use its frame exactly.
        chosen["prognos_utgifter"] = chosen["prognos_utgifter"].fillna(chosen["ram"])
        chosen["prognos_inkomster"] = chosen["prognos_inkomster"].fillna(0.0)
        return chosen

    def investments_table(self) -> pd.DataFrame | None:
        """`investeringar`: outcome January–month, forecast, frame and deviation per project.

        Both `utgifter` and `inkomster` are positive amounts; net = expenditure − income. At
        year end the "prognos" columns hold the year's outcome. None when the year has no
        investment data; without an investment budget the frame columns are empty.
        """
        if not self.has_investments:
            return None
        outcome, _ = self._investment_frames
        ytd = outcome[(outcome["ar"] == self.year) & (outcome["period"] <= self.params.period)]
        ytd = ytd.groupby("projekt", as_index=False)[["utgifter", "inkomster"]].sum()
        plan = self._investment_plan(None)
        f = plan.merge(ytd, on="projekt", how="outer")
        f[["utgifter", "inkomster"]] = f[["utgifter", "inkomster"]].fillna(0.0)
        if self.has_investment_budget:
            planned = ["ram", "prognos_utgifter", "prognos_inkomster"]
            f[planned] = f[planned].fillna(0.0)
        if self.closes_year:
            # The year is closed: its outcome replaces the forecast, as in the overview.
            f["prognos_utgifter"] = f["utgifter"]
            f["prognos_inkomster"] = f["inkomster"]
        f["prognos_netto"] = f["prognos_utgifter"] - f["prognos_inkomster"]
        f["avvikelse"] = f["ram"] - f["prognos_netto"]
        f = f.rename(columns={"projekt": "rad"}).sort_values("rad", key=_others_last)
        f[LEVEL] = "rad"
        total = f.drop(columns=["rad", LEVEL]).sum(min_count=1).to_dict() | {
            "rad": INVESTMENT_TOTAL
        }
        f = pd.concat([f, pd.DataFrame([total | {LEVEL: "total"}])], ignore_index=True)
        f.index = pd.Index([f"projekt_{i}" for i in range(len(f) - 1)] + ["summa"], name="rad_id")
        cols = [
            "utgifter",
            "inkomster",
            "prognos_utgifter",
            "prognos_inkomster",
            "prognos_netto",
            "ram",
            "avvikelse",
        ]
        out = f[["rad", *cols, LEVEL]]
        self.quality.passed.append(checks.check_column_total("investeringar", out, cols))
        self.quality.passed.append(
            checks.check_deviation("investeringar", out, "ram", "prognos_netto")
        )
        return out

    # -- overview ---------------------------------------------------------------------------
    def overview_table(self) -> pd.DataFrame | None:
        """`ekonomi_oversikt`: net cost and investments against budget and the previous forecast.

        At year end the "forecast" is the year's outcome, and the comparison is the year's last
        forecast, so the table answers "how did the year end, and how close was our forecast".
        Without forecasts a year-end overview is outcome against budget (no forecast column),
        and any other report has no overview (None); without investment data, no investment row.
        """
        if not (self.closes_year or self.has_forecast):
            return None
        year = self.year_summary.frame
        total_id = next(r.id for r in self.structure.rows if r.is_total)
        net = year.loc[total_id]
        inv = self.investments_table()
        if self.closes_year:
            net_value = self.period_table().loc[total_id, "utfall"]
            prev_net = net.get("prognos", np.nan)
            prev_month: str | None = self.forecast_month
        else:
            net_value = net["prognos"]
            prev_net = net.get("prognos_foregaende", np.nan)
            prev_month = self.previous_forecast_month
        rows = [
            {
                "rad": OVERVIEW_NET,
                "prognos": net_value,
                "budget": net["budget"],
                "avvikelse": net["budget"] - net_value,
                "avvikelse_foregaende_prognos": net["budget"] - prev_net,
            },
        ]
        ids = ["netto"]
        if inv is not None:
            inv = inv.loc["summa"]
            if self.closes_year:
                inv_value = inv["utgifter"] - inv["inkomster"]
            else:
                inv_value = inv["prognos_netto"]
            inv_prev = np.nan
            if prev_month is not None and self.has_investment_budget:
                p = self._investment_plan(prev_month)
                inv_prev = (p["ram"] - (p["prognos_utgifter"] - p["prognos_inkomster"])).sum()
            rows.append(
                {
                    "rad": OVERVIEW_INVESTMENTS,
                    "prognos": inv_value,
                    "budget": inv["ram"],
                    "avvikelse": inv["ram"] - inv_value,
                    "avvikelse_foregaende_prognos": inv_prev,
                }
            )
            ids.append("investeringar")
        f = pd.DataFrame(rows, index=pd.Index(ids, name="rad_id"))
        if not self.has_forecast:
            f = f.drop(columns="avvikelse_foregaende_prognos")
        f[LEVEL] = "rad"
        self.quality.passed.append(
            checks.check_deviation("ekonomi_oversikt", f, "budget", "prognos")
        )
        return f

    # -- text and chart data ----------------------------------------------------------------
    def commentary(self) -> str:
        prev = self.forecast_month if self.closes_year else self.previous_forecast_month
        return narrative.economy_commentary(
            self.params.period,
            self.period_table(),
            self.forecast_table(),  # None without a forecast
            self.overview_table(),  # None without a forecast outside the year end
            previous_forecast_label=period_label(prev) if prev else None,
            year_end=self.closes_year,
            areas=self.action_plan_config.areas if self.action_plan_config else None,
        )

    def deviation_chart_title(self) -> str:
        budget = "budget" if self.closes_year else "periodiserad budget"
        return f"Avvikelse mot {budget} per verksamhet, {period_range_label(self.params.period)}"

    def deviation_chart_data(self) -> pd.DataFrame:
        t = self.period_table()
        return t[t[LEVEL] == "rad"].sort_values("avvikelse")

    def cumulative_chart_data(self, n: int = 3) -> pd.DataFrame:
        total_id = next(r.id for r in self.structure.rows if r.is_total)
        return self.cumulative_vs_budget([total_id, *self.largest_deviation_rows(n)])

    def rolling_chart_data(self, n: int = 6) -> pd.DataFrame:
        r12 = self.rolling_12()
        rows = [r.id for r in self.structure.leaf_rows]
        r12 = r12[r12["rad_id"].isin(rows)]
        latest = r12[r12["period"] == r12["period"].max()]
        biggest = latest.nlargest(n, "r12")["rad_id"]
        return r12[r12["rad_id"].isin(biggest)]

    def reconciliation(self) -> list[str]:
        """Checks that the tables reconcile with the ledger; problems are raised, not printed."""
        t = self.period_table()
        total = t[t[LEVEL] == "total"].iloc[0]
        ledger_total = self.ledger.outcome_ytd(self.params.period)["belopp"].sum()
        if abs(total["utfall"] - ledger_total) > 0.5:
            raise AssertionError(
                f"Driftsammandraget ({total['utfall']:.2f} kr) stämmer inte med huvudboken "
                f"({ledger_total:.2f} kr)"
            )
        bad = t[(t["avvikelse"] - (t["budget"] - t["utfall"])).abs() > 0.5]
        if len(bad):
            raise AssertionError(f"Avvikelse ≠ budget − utfall för {list(bad['rad'])}")
        return [
            f"Driftsammandragets total stämmer med huvudbokens summa januari–"
            f"{period_label(self.params.period)} ({self.amount(ledger_total)}).",
            "Avvikelse = budget − utfall på varje rad.",
        ]

    def about(self) -> str:
        """Sources, choices and checks, for the end of the report."""
        lines = [
            f"- Rapportstruktur: {self.structure.name} (`{self.structure.path.name}`).",
            f"- Budget: version *{self.params.budget_version}* {self.year}; budget utan månad "
            "periodiseras med en tolftedel per månad.",
            (
                f"- Helårsprognos: ekonomernas prognos gjord {period_label(self.forecast_month)}."
                if self.forecast_month
                else f"- Helårsprognos: ingen prognos för {self.year} i datamängden `prognos`."
            ),
        ]
        if self.previous_forecast_month:
            lines.append(
                f"- Föregående prognos: gjord {period_label(self.previous_forecast_month)}."
            )
        unclassified = self.period_summary.unclassified
        if len(unclassified):
            combinations = len(unclassified[["verksamhet", "ansvar", "konto"]].drop_duplicates())
            lines.append(
                f"- **Ej klassificerat:** {combinations} kodkombinationer matchar ingen rad i "
                "rapportstrukturen och redovisas på en egen rad. Komplettera rapportstrukturen."
            )
        lines += [f"- {n}" for n in self.missing_data_notes()]
        lines += [f"- {n}" for n in self.notes]
        self.quality.passed += self.reconciliation()
        return "\n".join(lines) + "\n\n" + self.quality.markdown()

    # -- computed forecasts and accuracy -----------------------------------------------------
    @cached_property
    def computed_forecast(self) -> forecast.ComputedForecast:
        return forecast.computed_forecast(self.ledger, self.structure, self.params.period)

    def forecast_comparison_table(self) -> pd.DataFrame:
        """`prognosjamforelse`: the controllers' forecast (when made) beside the run-rate and
        seasonal ones."""
        computed = self.computed_forecast.frame
        year = self.year_summary.frame
        own = ["prognos"] if self.has_forecast else []
        f = computed.join(year[[*own, "budget"]], how="left")
        return _with_rad_first(
            f, ["utfall_hittills", *own, "prognos_linjar", "prognos_sasong", "budget"]
        )

    def forecast_accuracy_table(self) -> pd.DataFrame:
        """`prognostraffsakerhet`: each forecast of the year minus the final outcome, per row."""
        f = forecast.forecast_accuracy(self.ledger, self.structure, self.year)
        return f[f[LEVEL] != "varav"]

    def forecast_accuracy_headers(self, frame: pd.DataFrame) -> dict[str, str]:
        headers = {"rad": f"Verksamhet, {self.unit}", "utfall": f"Utfall {self.year}"}
        for col in frame.columns:
            if col.startswith("prognosfel_"):
                headers[col] = f"Prognos {period_label(col.removeprefix('prognosfel_'))} − utfall"
        return headers

    def budget_plan_table(self) -> pd.DataFrame:
        """`budget_och_plan`: the budget year and later plan years per row, from budget versions."""
        budget = self.ledger.budget
        years = sorted(y for y in budget["ar"].unique() if y >= self.year)
        preference = [self.params.budget_version, "budget", "plan", "original"]
        quantities: dict[str, pd.DataFrame] = {}
        for y in years:
            versions = self.ledger.budget_versions(y)
            version = next((v for v in preference if v in versions), versions[0])
            kind = "plan" if version == "plan" else "budget"
            quantities[f"{kind}_{y}"] = self.ledger.budget_lines(int(y), version)
        frame = summarise(quantities, self.structure, warn=False).frame
        out = _with_rad_first(frame, list(quantities))
        self.quality.passed.append(
            checks.check_sums("budget_och_plan", out, self.structure, list(quantities))
        )
        return out

    def budget_versions_table(self) -> pd.DataFrame | None:
        """`budgetversioner`: the year's budget versions side by side (e.g. original → revised,
        after a frame change during the year), or None with a single version."""
        versions = self.ledger.budget_versions(self.year)
        if len(versions) < 2 or self.params.budget_version not in versions:
            return None
        others = [v for v in versions if v != self.params.budget_version]
        order = [*others, self.params.budget_version]
        quantities = {f"budget_{v}": self.ledger.budget_lines(self.year, v) for v in order}
        frame = summarise(quantities, self.structure, warn=False).frame
        frame["forandring"] = frame[f"budget_{order[-1]}"] - frame[f"budget_{order[0]}"]
        return _with_rad_first(frame, [*quantities, "forandring"])

    # -- notebook sections that depend on the period -----------------------------------------
    def forecast_comparison_section(self, ctx: ReportContext) -> list:
        """The controllers' forecast beside computed ones; nothing once the year is closed."""
        if self.closes_year:
            return []
        return [
            Markdown(
                "### Framräknade prognoser\n\nEkonomernas prognos bredvid två framräknade: en "
                "linjär uppräkning av utfallet hittills och en säsongsprognos som utgår från hur "
                "utfallet brukar fördela sig över året. Stora skillnader är värda en extra titt."
            ),
            ctx.publish(
                "prognosjamforelse",
                self.forecast_comparison_table(),
                headers=self.headers("prognosjamforelse"),
                unit=self.unit,
                deviation_columns=(),
            ),
            Markdown(self.computed_forecast.describe()),
        ]

    def year_end_section(self, ctx: ReportContext) -> list:
        """Forecast accuracy for the year-end report (period ÅÅÅÅ-12); empty otherwise."""
        if not self.params.is_year_end or not self.ledger.forecast_months(self.year):
            return []
        frame = self.forecast_accuracy_table()
        return [
            Markdown(
                "## Prognosträffsäkerhet\n\nVarje prognos som gjorts under året jämförd med det "
                "slutliga utfallet per verksamhet (prognos − utfall; positivt = prognosen var för "
                "hög, negativt = för låg)."
            ),
            ctx.publish(
                "prognostraffsakerhet",
                frame,
                headers=self.forecast_accuracy_headers(frame),
                unit=self.unit,
                deviation_columns=(),
            ),
        ]

    def budget_plan_section(self, ctx: ReportContext) -> list:
        """Budget versions of the year, and the budget year beside later plan years."""
        items: list = []
        versions = self.budget_versions_table()
        if versions is not None:
            cols = [c for c in versions.columns if c.startswith("budget_")]
            headers = {"rad": f"Verksamhet, {self.unit}", "forandring": "Förändring"} | {
                c: f"Budget {self.year}, {c.removeprefix('budget_')}" for c in cols
            }
            total = versions[versions[LEVEL] == "total"].iloc[0]
            items += [
                Markdown(
                    f"## Budget och plan\n\n### Budgetversioner {self.year}\n\nNämndens ram "
                    f"har ändrats under året från {self.amount(total[cols[0]])} "
                    f"({cols[0].removeprefix('budget_')}) till {self.amount(total[cols[-1]])} "
                    f"({cols[-1].removeprefix('budget_')}), en förändring med "
                    f"{self.amount(total['forandring'])}. Rapporten jämför mot versionen "
                    f"*{self.params.budget_version}*."
                ),
                ctx.publish(
                    "budgetversioner",
                    versions,
                    headers=headers,
                    unit=self.unit,
                    deviation_columns=(),
                ),
            ]
        frame = self.budget_plan_table()
        years = [c for c in frame.columns if c.startswith(("budget_", "plan_"))]
        if len(years) < 2:
            return items
        headers = {"rad": f"Verksamhet, {self.unit}"} | {
            c: f"{'Plan' if c.startswith('plan') else 'Budget'} {c.split('_')[1]}" for c in years
        }
        heading = "### Budget och planår" if items else "## Budget och plan"
        return [
            *items,
            Markdown(
                f"{heading}\n\nBudgetåret och planåren enligt budgetversionerna i budgetdata."
            ),
            ctx.publish("budget_och_plan", frame, headers=headers, unit=self.unit),
        ]

    def action_plan_section(self, ctx: ReportContext) -> list:
        """The action plan per area and per measure; nothing without a plan (see
        `missing_data_notes`)."""
        tables = self.action_plan_tables()
        if tables is None:
            return []
        areas, measures = tables
        return [
            Markdown(
                "## Åtgärdsplan\n\nÅtgärdsplanens planerade och realiserade effekt per område, "
                "och den del som ännu inte fått genomslag, bredvid områdets avvikelse mot budget."
            ),
            Markdown(self.action_plan_text()),
            ctx.publish(
                "atgardsplan",
                areas,
                headers=self.headers("atgardsplan"),
                unit=self.unit,
                deviation_columns=("avvikelse_perioden",),
            ),
            Markdown("### Åtgärder"),
            ctx.publish(
                "atgardsplan_atgarder",
                measures,
                headers=self.headers("atgardsplan_atgarder"),
                unit=self.unit,
                deviation_columns=(),
            ),
        ]

    def overview_section(self, ctx: ReportContext) -> list:
        """Net cost (and investments) against budget, then one line per missing dataset."""
        notes = [Markdown("\n\n".join(f"*{n}*" for n in self.missing_data_notes()))]
        overview = self.overview_table()
        if overview is None:
            return notes
        what = OVERVIEW_NET.lower() + (
            " och investeringar" if "investeringar" in overview.index else ""
        )
        if self.closes_year:
            against = "årets utfall mot budget" + (
                ", och avvikelsen i årets sista prognos" if self.has_forecast else ""
            )
        else:
            against = "helårsprognos mot budget, och avvikelsen i föregående prognos"
        return [
            Markdown(f"{what.capitalize()}: {against}."),
            ctx.publish(
                "ekonomi_oversikt",
                overview,
                headers=self.headers("ekonomi_oversikt"),
                unit=self.unit,
                deviation_columns=("avvikelse", "avvikelse_foregaende_prognos"),
            ),
            *notes,
        ]

    def missing_data_notes(self) -> list[str]:
        """One Swedish line per optional dataset the period lacks, naming what is left out."""
        notes = []
        if not self.has_forecast:
            if self.params.is_year_end:
                notes.append(
                    f"Inga prognoser finns för {self.year}; prognoskolumner och "
                    "prognosträffsäkerhet visas inte."
                )
            else:
                notes.append(
                    f"Ingen helårsprognos finns för {self.year} till och med "
                    f"{period_label(self.params.period)}; översikten, helårsprognosen och "
                    "prognoskolumnerna visas inte."
                )
        if not self.has_investments:
            notes.append(
                f"Inga investeringar finns för {self.year} (datamängderna `investeringar` och "
                "`investeringsbudget`); avsnittet Investeringar visas inte."
            )
        elif not self.has_investment_budget:
            notes.append(
                f"Ingen investeringsbudget finns för {self.year} (datamängden "
                "`investeringsbudget`); investeringsram och avvikelse visas inte."
            )
        if self.action_plan_tables() is None:
            notes.append(
                f"Ingen åtgärdsplan finns för {self.year} (datamängden `atgardsplan`); avsnittet "
                "Åtgärdsplan visas inte."
                if self.params.action_plan_file
                else "Ingen åtgärdsplan är angiven för perioden (`atgardsplan:` i periodens "
                "parametrar); avsnittet Åtgärdsplan visas inte."
            )
        return notes

    def forecast_section(self, ctx: ReportContext) -> list:
        """The full-year forecast and its change since the previous one; nothing without one."""
        forecast_table, change = self.forecast_table(), self.forecast_change_table()
        if forecast_table is None or change is None:
            return []
        return [
            Markdown(
                "## Helårsprognos\n\nDriftsammandrag för helårsprognosen: prognos mot budget och "
                "föregående års bokslut, med kostnader och intäkter."
            ),
            ctx.publish(
                "driftsammandrag_prognos",
                forecast_table,
                headers=self.headers("driftsammandrag_prognos"),
                unit=self.unit,
            ),
            Markdown("### Förändring mot föregående prognos"),
            ctx.publish(
                "prognosforandring",
                change,
                headers=self.headers("prognosforandring"),
                unit=self.unit,
                deviation_columns=("avvikelse_foregaende", "avvikelse"),
            ),
        ]

    def investments_section(self, ctx: ReportContext) -> list:
        """Investments per project and the controllers' comment; without investment data only a
        comment the controllers wrote anyway."""
        table = self.investments_table()
        has_comment = bool(ctx.comments.get("investeringar"))
        if table is None:
            if not has_comment:
                return []
            return [Markdown("## Investeringar"), ctx.comment("Investeringar")]
        return [
            Markdown("## Investeringar"),
            ctx.publish(
                "investeringar", table, headers=self.headers("investeringar"), unit=self.unit
            ),
            ctx.comment("Investeringar"),
        ]

    # -- unclassified lines -----------------------------------------------------------------
    @property
    def unclassified_dimension(self) -> str:
        """The code dimension most rows filter on (verksamhet in both shipped structures): the
        code a controller adds to the structure to classify a stray line."""
        dims = [d for r in self.structure.leaf_rows for d in r.filter.include]
        return max(dict.fromkeys(dims), key=dims.count) if dims else "verksamhet"

    def unclassified_table(self) -> pd.DataFrame | None:
        """`ej_klassificerat`: the lines of the "Ej klassificerat" row per code, or None.

        Columns as `driftsammandrag_period` (and `prognos` when a forecast has stray lines), so
        the total equals that row and a controller sees which codes to add to the structure.
        """
        parts = [self.period_summary.unclassified]
        if self.has_forecast:
            stray = self.year_summary.unclassified
            if len(stray):
                parts.append(stray[stray["kalla"] == "prognos"])
        parts = [p for p in parts if len(p)]
        if not parts:
            return None
        dim = self.unclassified_dimension
        lines = pd.concat(parts, ignore_index=True)
        wide = lines.pivot_table(
            index=dim, columns="kalla", values="belopp", aggfunc="sum", fill_value=0.0
        )
        columns = ["utfall", "budget", "utfall_foregaende_ar"]
        columns += ["prognos"] if "prognos" in wide else []
        wide = wide.reindex(columns=columns, fill_value=0.0)
        wide.insert(2, "avvikelse", wide["budget"] - wide["utfall"])
        wide = wide.loc[wide["utfall"].abs().sort_values(ascending=False, kind="stable").index]
        wide.insert(
            0,
            "rad",
            [self.code_names.label(dim, str(c)) if c else "(kod saknas)" for c in wide.index],
        )
        wide[LEVEL] = "rad"
        wide.index = pd.Index([f"kod_{c}" for c in wide.index], name="rad_id")
        total = wide.drop(columns=["rad", LEVEL]).sum().to_dict()
        total |= {"rad": f"Summa {UNCLASSIFIED_LABEL.lower()}", LEVEL: "total"}
        out = pd.concat([wide, pd.DataFrame([total], index=pd.Index(["summa"], name="rad_id"))])
        value_columns = [c for c in out.columns if c not in ("rad", LEVEL)]
        self.quality.passed.append(
            checks.check_column_total("ej_klassificerat", out, value_columns)
        )
        row = self.period_table().loc[UNCLASSIFIED_ID]
        for col in ("utfall", "budget", "utfall_foregaende_ar"):
            if abs(out.loc["summa", col] - row[col]) > checks.TOLERANCE_KR:
                raise checks.TableCheckError(
                    f"Tabellen ej_klassificerat: summan ({col}) stämmer inte med raden "
                    f"{UNCLASSIFIED_LABEL!r} i driftsammandraget"
                )
        self.quality.passed.append(
            "ej_klassificerat: summan är raden Ej klassificerat i driftsammandraget."
        )
        return out

    def unclassified_section(self, ctx: ReportContext) -> list:
        """The "Ej klassificerat" row per code, so the stray lines are visible and traceable."""
        table = self.unclassified_table()
        if table is None:
            return []
        dim = self.unclassified_dimension
        span = period_range_label(self.params.period)
        return [
            Markdown(
                f"### {UNCLASSIFIED_LABEL}\n\nRader i huvudboken eller budgeten vars koder inte "
                f"matchar någon rad i rapportstrukturen (`{self.structure.path.name}`) redovisas "
                f"på raden ”{UNCLASSIFIED_LABEL}”, så att totalen stämmer med huvudboken. Här är "
                f"de per {dim}; lägg till koderna i rapportstrukturen. Under Fördjupning och i "
                f'`uf.drilldown.breakdown(eko, "{UNCLASSIFIED_ID}")` kan raderna följas vidare.'
            ),
            ctx.publish(
                "ej_klassificerat",
                table,
                headers={
                    "rad": dim.capitalize(),
                    "utfall": f"Redovisat {span}",
                    "budget": f"Budget {span}",
                    "avvikelse": "Avvikelse",
                    "utfall_foregaende_ar": self.headers("driftsammandrag_period")[
                        "utfall_foregaende_ar"
                    ],
                    "prognos": self.headers("prognosforandring")["prognos"],
                },
                unit=self.unit,
            ),
        ]

    def unclassified_lines(self) -> list[str]:
        """Console lines about the "Ej klassificerat" row (none when every line is classified)."""
        table = self.unclassified_table()
        if table is None:
            return []
        dim = self.unclassified_dimension
        codes = table[table[LEVEL] == "rad"]
        names = {
            "utfall": f"utfall {period_range_label(self.params.period)}",
            "budget": "budget",
            "utfall_foregaende_ar": "föregående år",
            "prognos": "prognos",
        }
        word = {"verksamhet": "verksamhetskod", "ansvar": "ansvarskod"}.get(dim, "kontokod")
        lines = [
            f"Ej klassificerat: {len(codes)} {word}{'er' if len(codes) > 1 else ''} matchar "
            f"ingen rad i "
            f"{self.structure.path.name} och redovisas på raden ”{UNCLASSIFIED_LABEL}” "
            "(komplettera rapportstrukturen):"
        ]
        for _, row in (codes if len(codes) == 1 else table).iterrows():
            amounts = ", ".join(
                f"{label} {format_number(row[col], 0)} kr"
                for col, label in names.items()
                if col in row and (col == "utfall" or abs(row[col]) >= 0.5)
            )
            what = row["rad"] if row[LEVEL] == "total" else f"{dim} {row['rad']}"
            lines.append(f"  {what}: {amounts}")
        return lines

    @cached_property
    def code_names(self) -> CodeNames:
        """Names of accounts, activities and units for the drill-down (params/kodnamn.yaml)."""
        return load_code_names(self.params.code_names_file)

    # -- action plan ------------------------------------------------------------------------
    @cached_property
    def action_plan_config(self) -> actionplan.ActionPlanConfig | None:
        if self.params.action_plan_file is None:
            return None
        known = {r.id for r in self.structure.rows} | {
            s.id for r in self.structure.rows for s in r.subrows
        }
        return actionplan.load_action_plan_config(self.params.action_plan_file, known)

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

    def action_plan_text(self) -> str:
        tables = self._action_plan
        if tables is None:
            return "*Ingen åtgärdsplan är inläst för året (datamängden `atgardsplan`).*"
        areas, _ = tables
        total = areas.loc["totalt"]
        parts = [
            f"Åtgärdsplanen för {self.year} har en planerad effekt på "
            f"{self.amount(total['planerad_effekt'])}, varav "
            f"{self.amount(total['planerad_effekt_perioden'])} för perioden. Realiserat är "
            f"{self.amount(total['realiserad_effekt'])}; den del som inte fått genomslag "
            f"uppgår till {self.amount(total['ej_realiserad_effekt'])}."
        ]
        for _, row in areas[areas[LEVEL] == "rad"].iterrows():
            if row["ej_realiserad_effekt"] >= 50_000:
                parts.append(
                    f"- {row['rad']}: {self.amount(row['ej_realiserad_effekt'])} har inte fått "
                    "genomslag"
                    + (
                        f" (avvikelse mot budget {self.amount(row['avvikelse_perioden'])})."
                        if pd.notna(row["avvikelse_perioden"])
                        else "."
                    )
                )
        parts.append(
            "\nPlanerad effekt för perioden = årets planerade effekt × antal månader / 12; "
            "ej realiserad effekt = planerad effekt för perioden − realiserad effekt enligt "
            "senaste uppföljning."
        )
        return "\n".join(parts)

    # -- monthly series ---------------------------------------------------------------------
    def monthly_by_row(self) -> pd.DataFrame:
        """Outcome per month and top-level row for every month in the ledger (long format)."""
        monthly = self.ledger.monthly
        parts = []
        for period, lines in monthly.groupby("period"):
            s = summarise({"utfall": lines}, self.structure, warn=False).frame
            s = s[s[LEVEL] != "varav"][["rad", "utfall"]].reset_index()
            s["period"] = period
            parts.append(s)
        return pd.concat(parts, ignore_index=True)

    def monthly_budget_by_row(self) -> pd.DataFrame:
        """Periodised budget per month of the report year and top-level row (long format)."""
        parts = []
        previous = None
        for m in range(1, 13):
            lines = self.ledger.budget_lines(self.year, self.params.budget_version, through_month=m)
            s = summarise({"budget": lines}, self.structure, warn=False).frame
            s = s[s[LEVEL] != "varav"][["rad", "budget"]]
            cumulative = s["budget"]
            s = s.assign(budget=cumulative - (previous if previous is not None else 0.0))
            previous = cumulative
            s = s.reset_index()
            s["period"] = f"{self.year}-{m:02d}"
            parts.append(s)
        return pd.concat(parts, ignore_index=True)

    def _monthly_grid(self) -> pd.DataFrame:
        """Budget and outcome per top-level row and month of the report year, every month for
        every row with lines in either (the "Ej klassificerat" row often has outcome only).

        A month the ledger holds but a row has no lines in counts as zero outcome; a month the
        ledger lacks stays empty.
        """
        outcome = self.monthly_by_row()
        outcome = outcome[outcome["period"].str.startswith(f"{self.year}-")]
        budget = self.monthly_budget_by_row()
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
        booked = f["period"].isin(set(self.ledger.periods)) & (f["period"] <= self.params.period)
        f.loc[booked, "utfall"] = f.loc[booked, "utfall"].fillna(0.0)
        return f

    def monthly_deviation_matrix(self) -> pd.DataFrame:
        """Budget − outcome per top-level row (rows) and month of the report year up to the
        period (columns): where in the year each deviation arose."""
        f = self._monthly_grid()
        f = f[(f["period"] <= self.params.period) & f["period"].isin(set(self.ledger.periods))]
        leaf = [r.id for r in self.structure.leaf_rows] + [UNCLASSIFIED_ID]
        f = f[f["rad_id"].isin(leaf)]
        f["avvikelse"] = f["budget"] - f["utfall"].fillna(0.0)
        matrix = f.pivot_table(index="rad", columns="period", values="avvikelse", aggfunc="sum")
        order = [r.label for r in self.structure.leaf_rows] + [UNCLASSIFIED_LABEL]
        return matrix.reindex([label for label in order if label in matrix.index])

    def cumulative_vs_budget(self, row_ids: list[str]) -> pd.DataFrame:
        """Cumulative outcome and budget per month of the report year for the given rows."""
        f = self._monthly_grid()
        f = f[f["rad_id"].isin(row_ids)]
        order = {row_id: i for i, row_id in enumerate(row_ids)}
        f = f.sort_values(
            ["rad_id", "period"], key=lambda s: s.map(order) if s.name == "rad_id" else s
        )
        f["budget_ack"] = f.groupby("rad_id")["budget"].cumsum()
        f["utfall_ack"] = f.groupby("rad_id")["utfall"].cumsum()
        f.loc[f["period"] > self.params.period, "utfall_ack"] = np.nan
        return f

    def rolling_12(self) -> pd.DataFrame:
        """Rolling 12-month net cost per top-level row; months without lines count as zero."""
        m = self.monthly_by_row()
        wide = m.pivot_table(index="period", columns="rad_id", values="utfall", aggfunc="sum")
        first, last = wide.index.min(), self.params.period
        months = pd.period_range(first, last, freq="M").strftime("%Y-%m")
        wide = wide.reindex(months).fillna(0.0)
        rolled = wide.rolling(12, min_periods=12).sum().dropna(how="all")
        labels = m.drop_duplicates("rad_id").set_index("rad_id")["rad"]
        long = rolled.reset_index(names="period").melt(
            id_vars="period", var_name="rad_id", value_name="r12"
        )
        long["rad"] = long["rad_id"].map(labels)
        return long


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


def _scan_optional(data_dir: Path, dataset: str, select: str, group: str) -> pd.DataFrame:
    """`_scan` of an optional dataset; an empty or never-ingested one gives empty float columns."""
    if dataset_rows(data_dir, dataset):
        return _scan(data_dir, dataset, select, group)
    names = [part.strip().split(" AS ")[-1] for part in select.split(",")]
    keys = {k.strip() for k in group.split(",")}
    return pd.DataFrame({n: pd.Series(dtype=object if n in keys else float) for n in names})


def _others_last(names: pd.Series) -> pd.Series:
    """Sort projects by name but keep "Övriga …" at the end, as reports do."""
    return names.map(lambda n: (str(n).lower().startswith("övrig"), str(n)))
