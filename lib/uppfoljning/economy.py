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

from . import narrative
from .config import PeriodParams, ReportStructure, parse_period
from .formatting import format_mnkr, period_label, period_range_label
from .ledger import LEVEL, Ledger, Summary, _scan, summarise
from .report import ReportContext

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

    @classmethod
    def open(cls, ctx: ReportContext) -> EconomyReport:
        return cls(ctx.params, ctx.structure, Ledger(ctx.data_dir), ctx.data_dir)

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
        now_label = f"prognos {period_label(self.forecast_month)}"
        return {
            "ekonomi_oversikt": {
                "rad": "Belopp mnkr",
                "prognos": "Prognos helår",
                "budget": f"Budget {self.year}",
                "avvikelse": "Avvikelse",
                "avvikelse_foregaende_prognos": f"Avvikelse {prev_label}",
            },
            "driftsammandrag_period": {
                "rad": "Verksamhet, mnkr",
                "utfall": f"Redovisat {span}",
                "budget": f"Budget {span}",
                "avvikelse": "Avvikelse",
                "utfall_foregaende_ar": f"Redovisat {last_span}",
            },
            "driftsammandrag_prognos": {
                "rad": "Verksamhet, mnkr",
                "prognos": "Prognos helår",
                "budget": f"Budget {self.year}",
                "avvikelse": "Avvikelse",
                "bokslut_foregaende_ar": f"Bokslut {self.year - 1}",
            },
            "prognosforandring": {
                "rad": "Verksamhet, mnkr",
                "prognos_foregaende": prev_label.capitalize(),
                "prognos": now_label.capitalize(),
                "forandring": "Förändring",
                "avvikelse_foregaende": f"Avvikelse {prev_label}",
                "avvikelse": f"Avvikelse {now_label}",
            },
            "investeringar": {
                "rad": "Projekt, mnkr",
                "utgifter": f"Redovisat utgifter {span}",
                "inkomster": f"Redovisat inkomster {span}",
                "prognos_utgifter": "Prognos utgifter",
                "prognos_inkomster": "Prognos inkomster",
                "prognos_netto": "Prognos netto",
                "ram": "Investeringsram",
                "avvikelse": "Avvikelse",
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
    def forecast_month(self) -> str:
        made = self.ledger.forecast_for(self.params.period)
        if made is None:
            raise LookupError(
                f"Ingen helårsprognos för {self.year} är gjord senast {self.params.period} "
                "(prognos-filen saknar prognosmanad för året)"
            )
        if made != self.params.period:
            self.notes.append(f"Helårsprognosen är gjord {made}.")
        return made

    @cached_property
    def previous_forecast_month(self) -> str | None:
        if self.params.previous_forecast:
            if self.params.previous_forecast not in self.ledger.forecast_months():
                raise LookupError(
                    f"foregaende_prognos {self.params.previous_forecast} finns inte i prognos-filen"
                )
            return self.params.previous_forecast
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
        return _with_rad_first(f, ["utfall", "budget", "avvikelse", "utfall_foregaende_ar"])

    @cached_property
    def year_summary(self) -> Summary:
        quantities = {
            "prognos": self.ledger.forecast_lines(self.forecast_month),
            "budget": self.ledger.budget_lines(self.year, self.params.budget_version),
            "bokslut_foregaende_ar": self.ledger.outcome_year(self.year - 1),
        }
        if self.previous_forecast_month:
            quantities["prognos_foregaende"] = self.ledger.forecast_lines(
                self.previous_forecast_month
            )
        if not self.ledger.has_full_year(self.year - 1):
            self.notes.append(
                f"Huvudboken saknar månader för {self.year - 1}; bokslutet är ofullständigt."
            )
        return summarise(quantities, self.structure)

    def forecast_table(self) -> pd.DataFrame:
        """`driftsammandrag_prognos`: forecast, budget, deviation, last year's accounts."""
        f = self.year_summary.frame.copy()
        f["avvikelse"] = f["budget"] - f["prognos"]
        return _with_rad_first(f, ["prognos", "budget", "avvikelse", "bokslut_foregaende_ar"])

    def forecast_change_table(self) -> pd.DataFrame:
        """`prognosforandring`: this forecast against the previous one, per row."""
        f = self.year_summary.frame.copy()
        if "prognos_foregaende" not in f:
            f["prognos_foregaende"] = np.nan
        f["avvikelse"] = f["budget"] - f["prognos"]
        f["avvikelse_foregaende"] = f["budget"] - f["prognos_foregaende"]
        f["forandring"] = f["prognos"] - f["prognos_foregaende"]
        return _with_rad_first(
            f, ["prognos_foregaende", "prognos", "forandring", "avvikelse_foregaende", "avvikelse"]
        )

    # -- investments ------------------------------------------------------------------------
    @cached_property
    def _investment_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        outcome = _scan(
            self.data_dir,
            "investeringar",
            "ar, projekt, period, sum(utgifter) AS utgifter, sum(inkomster) AS inkomster",
            "ar, projekt, period",
        )
        plan = _scan(
            self.data_dir,
            "investeringsbudget",
            "ar, projekt, prognosmanad, sum(ram) AS ram, sum(prognos_utgifter) AS prognos_utgifter,"
            " sum(prognos_inkomster) AS prognos_inkomster",
            "ar, projekt, prognosmanad",
        )
        return outcome, plan

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

    def investments_table(self) -> pd.DataFrame:
        """`investeringar`: outcome January–month, forecast, frame and deviation per project.

        Both `utgifter` and `inkomster` are positive amounts; net = expenditure − income.
        """
        outcome, _ = self._investment_frames
        ytd = outcome[(outcome["ar"] == self.year) & (outcome["period"] <= self.params.period)]
        ytd = ytd.groupby("projekt", as_index=False)[["utgifter", "inkomster"]].sum()
        plan = self._investment_plan(None)
        f = plan.merge(ytd, on="projekt", how="outer").fillna(0.0)
        f["prognos_netto"] = f["prognos_utgifter"] - f["prognos_inkomster"]
        f["avvikelse"] = f["ram"] - f["prognos_netto"]
        f = f.rename(columns={"projekt": "rad"}).sort_values("rad", key=_others_last)
        f[LEVEL] = "rad"
        total = f.drop(columns=["rad", LEVEL]).sum().to_dict() | {"rad": INVESTMENT_TOTAL}
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
        return f[["rad", *cols, LEVEL]]

    # -- overview ---------------------------------------------------------------------------
    def overview_table(self) -> pd.DataFrame:
        """`ekonomi_oversikt`: net cost and investments against budget and the previous forecast."""
        year = self.year_summary.frame
        total_id = next(r.id for r in self.structure.rows if r.is_total)
        net = year.loc[total_id]
        prev_net = net.get("prognos_foregaende", np.nan)
        inv = self.investments_table().loc["summa"]
        prev_month = self.previous_forecast_month
        inv_prev = np.nan
        if prev_month is not None:
            p = self._investment_plan(prev_month)
            inv_prev = (p["ram"] - (p["prognos_utgifter"] - p["prognos_inkomster"])).sum()
        rows = [
            {
                "rad": OVERVIEW_NET,
                "prognos": net["prognos"],
                "budget": net["budget"],
                "avvikelse": net["budget"] - net["prognos"],
                "avvikelse_foregaende_prognos": net["budget"] - prev_net,
            },
            {
                "rad": OVERVIEW_INVESTMENTS,
                "prognos": inv["prognos_netto"],
                "budget": inv["ram"],
                "avvikelse": inv["avvikelse"],
                "avvikelse_foregaende_prognos": inv_prev,
            },
        ]
        f = pd.DataFrame(rows, index=pd.Index(["netto", "investeringar"], name="rad_id"))
        f[LEVEL] = "rad"
        return f

    # -- text and chart data ----------------------------------------------------------------
    def commentary(self) -> str:
        prev = self.previous_forecast_month
        return narrative.economy_commentary(
            self.params.period,
            self.period_table(),
            self.forecast_table(),
            self.overview_table(),
            previous_forecast_label=period_label(prev) if prev else None,
        )

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
            f"{period_label(self.params.period)} ({format_mnkr(ledger_total, suffix=True)}).",
            "Avvikelse = budget − utfall på varje rad.",
        ]

    def about(self) -> str:
        """Sources, choices and checks, for the end of the report."""
        lines = [
            f"- Rapportstruktur: {self.structure.name} (`{self.structure.path.name}`).",
            f"- Budget: version *{self.params.budget_version}* {self.year}; budget utan månad "
            "periodiseras med en tolftedel per månad.",
            f"- Helårsprognos: ekonomernas prognos gjord {period_label(self.forecast_month)}.",
        ]
        if self.previous_forecast_month:
            lines.append(
                f"- Föregående prognos: gjord {period_label(self.previous_forecast_month)}."
            )
        unclassified = self.period_summary.unclassified
        if len(unclassified):
            lines.append(
                f"- **Ej klassificerat:** {len(unclassified)} kodkombinationer matchar ingen rad i "
                "rapportstrukturen och redovisas på en egen rad. Komplettera rapportstrukturen."
            )
        lines += [f"- {n}" for n in self.notes]
        lines += [f"- Kontroll: {c}" for c in self.reconciliation()]
        return "\n".join(lines)

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

    def cumulative_vs_budget(self, row_ids: list[str]) -> pd.DataFrame:
        """Cumulative outcome and budget per month of the report year for the given rows."""
        outcome = self.monthly_by_row()
        outcome = outcome[outcome["period"].str.startswith(f"{self.year}-")]
        budget = self.monthly_budget_by_row()
        f = budget.merge(
            outcome[["rad_id", "period", "utfall"]], on=["rad_id", "period"], how="left"
        )
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
    """Headline figures of the economy report for index.html."""
    net = eko.overview_table().loc["netto"]
    period_total = eko.period_table()
    total = period_total[period_total[LEVEL] == "total"].iloc[0]
    items = [
        ("prognos_helar", "Prognos helår, nettokostnad", format_mnkr(net["prognos"], suffix=True)),
        (
            "avvikelse_helar",
            "Prognostiserad avvikelse helår",
            format_mnkr(net["avvikelse"], suffix=True),
        ),
        (
            "avvikelse_period",
            f"Avvikelse {period_range_label(eko.params.period)}",
            format_mnkr(total["avvikelse"], suffix=True),
        ),
    ]
    for order, (key, label, text) in enumerate(items):
        ctx.headline(key, label, text, section="Ekonomi", order=order)


def _others_last(names: pd.Series) -> pd.Series:
    """Sort projects by name but keep "Övriga …" at the end, as reports do."""
    return names.map(lambda n: (str(n).lower().startswith("övrig"), str(n)))
