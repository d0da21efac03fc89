"""Computed full-year forecasts beside the controllers' own, and forecast accuracy.

Two transparent methods a controller can check by hand:

- linear run-rate: outcome January–month × 12 / month;
- seasonal profile: outcome January–month ÷ the share of the full year that the same months
  made up in earlier complete years (the years used are stated). Personnel costs peak in
  summer holidays and purchases lag, so the profile beats the run-rate for most rows.

Where a row's earlier share is unusable (no earlier year, or a share near zero or of another
sign, as for rows that are mostly revenue) the seasonal forecast falls back to the run-rate and
says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from uppfoljning.data.config import ReportStructure, parse_period
from uppfoljning.economy.ledger import LEVEL, Ledger, summarise

MIN_SHARE = 0.2  # January–month shares below this make the profile too noisy to divide by


@dataclass
class ComputedForecast:
    """Computed full-year forecasts per report row for one period."""

    frame: pd.DataFrame  # index rad_id: rad, utfall_hittills, prognos_linjar, prognos_sasong, _niva
    profile_years: list[int]
    fallbacks: list[str] = field(default_factory=list)

    def describe(self) -> str:
        years = ", ".join(str(y) for y in self.profile_years) or "inga"
        text = (
            "Linjär prognos: utfall januari–månad × 12 / antal månader. "
            f"Säsongsprognos: utfallet hittills delat med hur stor andel av helåret samma månader "
            f"utgjorde tidigare år (år som används: {years})."
        )
        if self.fallbacks:
            text += " Linjär prognos används för: " + ", ".join(self.fallbacks) + "."
        return text


def previous_forecast_month(
    ledger: Ledger, year: int, forecast_month: str | None, configured: str | None = None
) -> str | None:
    """The forecast before the one in force: `configured` (the period file's
    `foregaende_prognos`, which must exist), else the year's latest earlier one, else None."""
    if configured:
        if configured not in ledger.forecast_months():
            raise LookupError(f"foregaende_prognos {configured} finns inte i prognos-filen")
        return configured
    if forecast_month is None:
        return None
    earlier = [m for m in ledger.forecast_months(year) if m < forecast_month]
    return earlier[-1] if earlier else None


def _year_rows(ledger: Ledger, structure: ReportStructure, year: int, month: int) -> pd.DataFrame:
    """Outcome Jan–month and full year per row for a complete earlier year."""
    s = summarise(
        {
            "hittills": ledger.outcome(f"{year}-{m:02d}" for m in range(1, month + 1)),
            "helar": ledger.outcome_year(year),
        },
        structure,
        warn=False,
    ).frame
    return s


def computed_forecast(
    ledger: Ledger, structure: ReportStructure, period: str, *, max_years: int = 3
) -> ComputedForecast:
    """Run-rate and seasonal forecasts per row, from the ledger up to `period`."""
    year, month = parse_period(period)
    current = summarise({"utfall_hittills": ledger.outcome_ytd(period)}, structure, warn=False)
    frame = current.frame.copy()
    frame["prognos_linjar"] = frame["utfall_hittills"] * 12 / month
    years = [y for y in range(year - max_years, year) if ledger.has_full_year(y)]
    shares = []
    for y in years:
        rows = _year_rows(ledger, structure, y, month)
        with np.errstate(divide="ignore", invalid="ignore"):
            shares.append(rows["hittills"] / rows["helar"])
    fallbacks: list[str] = []
    if shares:
        share = pd.concat(shares, axis=1).mean(axis=1)
        consistent = pd.concat(shares, axis=1).apply(
            lambda r: r.notna().all() and (r > MIN_SHARE).all() and (r < 1.5).all(), axis=1
        )
        seasonal = frame["utfall_hittills"] / share
        usable = consistent & share.notna()
        frame["prognos_sasong"] = seasonal.where(usable, frame["prognos_linjar"])
        fallbacks = [
            frame.loc[i, "rad"]
            for i in frame.index
            if not usable.get(i, False) and frame.loc[i, LEVEL] == "rad"
        ]
    else:
        frame["prognos_sasong"] = frame["prognos_linjar"]
    # Sums are sums of their parts, so the table adds up whichever method each row used.
    for row in structure.rows:
        if row.is_sum:
            parts = _leaf_ids(structure, row.id) & set(frame.index)
            frame.loc[row.id, "prognos_sasong"] = frame.loc[sorted(parts), "prognos_sasong"].sum()
    frame = frame[frame[LEVEL] != "varav"]
    return ComputedForecast(frame, years, fallbacks)


def _leaf_ids(structure: ReportStructure, row_id: str) -> set[str]:
    from uppfoljning.economy.ledger import _leaves_under

    return _leaves_under(structure, row_id)


def forecast_accuracy(ledger: Ledger, structure: ReportStructure, year: int) -> pd.DataFrame:
    """Each forecast made during `year` against the final outcome, per row (kronor).

    Columns: rad, utfall (final), then `prognosfel_<ÅÅÅÅ-MM>` = forecast − outcome for every
    forecast month; positive means the forecast was too high. (Not "avvikelse", which in these
    reports always means budget − outcome.)
    """
    months = ledger.forecast_months(year)
    quantities = {"utfall": ledger.outcome_year(year)}
    for m in months:
        quantities[m] = ledger.forecast_lines(m)
    f = summarise(quantities, structure, warn=False).frame
    out = f[["rad", "utfall", LEVEL]].copy()
    for m in months:
        out[f"prognosfel_{m}"] = f[m] - f["utfall"]
    cols = ["rad", "utfall", *[f"prognosfel_{m}" for m in months], LEVEL]
    return out[cols]
