"""The volume report's computations: monthly exports to period values, full-year forecasts,
shares of women, and whether an indicator moves the desired way. DataFrames and Series in,
numbers and DataFrames out; no formatting.

A measure's type decides how a period value is read from the monthly export:

- flöde (flow): a count per month; year to date is the sum of January..month.
- ackumulerat: distinct cases or persons January..month, exported as such; summing months
  would count a case once per month, so year to date is the month's own value.
- tillstånd (stock): the count at month end; year to date is the month's own value.

Full-year forecasts are stated methods, not judgement: `kvot` (year to date × last year's
full-year/same-period ratio) for ackumulerat and tillstånd, `sasongsprofil` (year to date ÷ the
share of the year that earlier years had reached by the month) for flows.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from uppfoljning.volumes.catalogue import FLOW, LINEAR, NONE, RATIO, SEASONAL

MAINTAIN_TOLERANCE = 0.05  # "Bibehålla" holds when the change is within ±5 % of the old value
YES, NO = "Ja", "Nej"
_SEX_CODES = {
    "": "T", "t": "T", "tot": "T", "total": "T", "totalt": "T", "alla": "T",
    "k": "K", "kvinna": "K", "kvinnor": "K", "flicka": "K", "flickor": "K",
    "m": "M", "man": "M", "män": "M", "pojke": "M", "pojkar": "M",
}  # fmt: skip
DECIMALS = "_decimaler"  # display hint per row; never exported


def normalise_sex(values: pd.Series) -> pd.Series:
    """`Kvinnor`, `k`, `flickor` → K; `Män` → M; empty or `Totalt` → T; anything else → `?`."""
    text = values.fillna("").astype(str).str.strip().str.lower()
    return text.map(lambda v: _SEX_CODES.get(v, "?"))


def monthly_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """Raw export rows → one row per (matt, grupp, ar, manad) with total, kvinnor, man.

    Rows of the same key are added (an export split by unit). The total is the `T` row where
    there is one, else women + men, so a percentage exported only as a total stays correct.
    """
    columns = ["matt", "grupp", "ar", "manad", "total", "kvinnor", "man"]
    if raw.empty:
        return pd.DataFrame(columns=columns)
    f = pd.DataFrame(
        {
            "matt": raw["matt"].astype(str).str.strip().str.lower(),
            "grupp": raw["grupp"].fillna("").astype(str).str.strip() if "grupp" in raw else "",
            "kon": normalise_sex(raw["kon"]) if "kon" in raw else "T",
            "ar": raw["period"].str[:4].astype(int),
            "manad": raw["period"].str[5:7].astype(int),
            "varde": raw["varde"].astype(float),
        }
    )
    f = f[f["kon"] != "?"]
    wide = f.pivot_table(
        index=["matt", "grupp", "ar", "manad"], columns="kon", values="varde", aggfunc="sum"
    )
    for code in ("T", "K", "M"):
        if code not in wide:
            wide[code] = np.nan
    parts = wide[["K", "M"]].sum(axis=1, min_count=1)
    out = pd.DataFrame(
        {"total": wide["T"].where(wide["T"].notna(), parts), "kvinnor": wide["K"], "man": wide["M"]}
    )
    return out.reset_index()[columns]


def _at(series: pd.Series | pd.DataFrame, year: int, month: int) -> Any:
    try:
        return series.loc[(year, month)]
    except KeyError:
        if isinstance(series, pd.DataFrame):
            return pd.Series(np.nan, index=series.columns)
        return math.nan


def year_to_date(series: pd.Series | pd.DataFrame, kind: str, year: int, month: int) -> Any:
    """The value for January..month of `year` (series indexed by (ar, manad)).

    Flows add the months; ackumulerat and tillstånd values already describe the whole period
    (distinct cases so far, or the month-end stock), so the month's own value is used.
    """
    if kind == FLOW:
        years = series.index.get_level_values(0)
        months = series.index.get_level_values(1)
        return series[(years == year) & (months <= month)].sum(min_count=1)
    return _at(series, year, month)


def months_present(series: pd.Series | pd.DataFrame, year: int, month: int = 12) -> int:
    """How many of January..month have data (a flow needs them all)."""
    years = series.index.get_level_values(0)
    months = series.index.get_level_values(1)
    return int(((years == year) & (months <= month)).sum())


def _complete(series: pd.Series, kind: str, year: int, month: int) -> bool:
    if kind == FLOW:
        return months_present(series, year, month) == month
    return not pd.isna(_at(series, year, month))


def forecast(
    series: pd.Series, kind: str, method: str, year: int, month: int, profile_years: int = 2
) -> float:
    """Full-year forecast of a measure's total series (indexed by (ar, manad)); NaN if unknown.

    - kvot: year to date × (full year ÷ same period) of last year.
    - sasongsprofil: year to date ÷ (Σ same period ÷ Σ full year) over the `profile_years`
      latest complete earlier years, i.e. the share of the year usually reached by the month.
    - linjar: year to date × 12 ÷ month.
    """
    ytd = year_to_date(series, kind, year, month)
    if method == NONE or pd.isna(ytd):
        return math.nan
    if month == 12:  # the year is over: the outcome is the full year, whatever the method
        return float(ytd)
    if method == LINEAR:
        return float(ytd) * 12 / month
    if method == RATIO:
        if not (_complete(series, kind, year - 1, 12) and _complete(series, kind, year - 1, month)):
            return math.nan
        same = year_to_date(series, kind, year - 1, month)
        full = year_to_date(series, kind, year - 1, 12)
        return math.nan if not same else float(ytd) * float(full) / float(same)
    if method == SEASONAL:
        first_year = int(series.index.get_level_values(0).min()) if len(series) else year
        years = [y for y in range(year - 1, first_year - 1, -1) if _complete(series, kind, y, 12)]
        years = years[:profile_years]
        same = sum(float(year_to_date(series, kind, y, month)) for y in years)
        full = sum(float(year_to_date(series, kind, y, 12)) for y in years)
        return math.nan if not years or not same else float(ytd) * full / same
    raise ValueError(f"okänd prognosmetod {method!r}")


def share_of_women(values: pd.Series) -> float:
    """Percent women of women + men (NaN without a split by sex)."""
    women, men = values.get("kvinnor", math.nan), values.get("man", math.nan)
    if pd.isna(women) and pd.isna(men):
        return math.nan
    both = np.nansum([women, men])
    return math.nan if both == 0 else 100 * np.nansum([women]) / both


def canonical_direction(text: str) -> str:
    """`minska` → `Minska`: the report writes directions with a capital letter."""
    text = str(text or "").strip()
    return text[:1].upper() + text[1:]


def direction_met(
    values: dict[int, float],
    direction: str,
    targets: dict[int, float] | None = None,
    *,
    tolerance: float = MAINTAIN_TOLERANCE,
) -> str:
    """Whether the latest figure goes the desired way: `Ja`, `Nej` or `` (cannot be judged).

    Öka/Minska/Bibehålla judge the change between the two latest years with values
    (Bibehålla: within ±tolerance of the earlier value). "Samma eller lägre/högre än …" compare
    the latest value with that year's target (e.g. the R9 average).
    """
    known = {y: v for y, v in values.items() if not pd.isna(v)}
    if not known:
        return ""
    text = str(direction or "").strip().lower()
    years = sorted(known)
    latest = known[years[-1]]
    if "lägre" in text or "högre" in text:
        target = (targets or {}).get(years[-1])
        if target is None or pd.isna(target):
            return ""
        ok = latest <= target if "lägre" in text else latest >= target
        return YES if ok else NO
    if len(years) < 2:
        return ""
    previous = known[years[-2]]
    change = latest - previous
    if text.startswith("öka"):
        return YES if change > 0 else NO
    if text.startswith("minska"):
        return YES if change < 0 else NO
    if text.startswith("bibehåll"):
        return YES if abs(change) <= tolerance * abs(previous) else NO
    return ""


def short_label(label: str) -> str:
    """Drop the trailing "ackumulerat" from a label for charts and headlines."""
    return re.sub(r"\s+ackumulerat$", "", label)


def indicator_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """The `indikatorer` export as indikator, kon (T/K/M, `?` unknown), ar, varde, malvarde,
    riktning."""
    return pd.DataFrame(
        {
            "indikator": raw["indikator"].astype(str).str.strip(),
            "kon": normalise_sex(raw["kon"]) if "kon" in raw else "T",
            "ar": raw["ar"].astype(int),
            "varde": raw["varde"].astype(float),
            "malvarde": raw["malvarde"].astype(float) if "malvarde" in raw else np.nan,
            "riktning": raw["riktning"].fillna("").astype(str).str.strip()
            if "riktning" in raw
            else "",
        }
    )


def indicator_columns(years: list[int]) -> list[str]:
    return ["rad", "kon", *map(str, years), "malvarde", "onskad_riktning", "i_onskad_riktning"]


def indicator_table(frame: pd.DataFrame, order: list[str], years: list[int]) -> pd.DataFrame:
    """One row per indicator (in `order`) and sex: values of `years`, the latest shown target,
    the desired direction and whether it holds; DECIMALS 0 when all values are whole."""
    sex_order = {"T": 0, "M": 1, "K": 2}
    rows = []
    for name in order:
        part = frame[frame["indikator"] == name]
        decimals = 0 if (part["varde"].dropna() % 1 == 0).all() else 1
        sexes = sorted(set(part["kon"]), key=sex_order.get) or ["T"]
        for sex in sexes:
            p = part[part["kon"] == sex].sort_values("ar")
            values = dict(zip(p["ar"], p["varde"], strict=True))
            targets = dict(zip(p["ar"], p["malvarde"], strict=True))
            shown_targets = {y: t for y, t in targets.items() if y in years and not pd.isna(t)}
            directions = [d for d in p["riktning"] if d]
            direction = canonical_direction(directions[-1]) if directions else ""
            rows.append(
                {
                    "rad": name,
                    "kon": sex,
                    **{str(y): values.get(y, np.nan) for y in years},
                    "malvarde": shown_targets[max(shown_targets)] if shown_targets else np.nan,
                    "onskad_riktning": direction,
                    "i_onskad_riktning": direction_met(
                        {y: v for y, v in values.items() if y in years}, direction, targets
                    ),
                    DECIMALS: decimals,
                }
            )
    return pd.DataFrame(rows, columns=[*indicator_columns(years), DECIMALS])


def monthly_by_year(
    frame: pd.DataFrame, key: str, label: str, year: int, month: int, years: int = 3
) -> pd.DataFrame:
    """Monthly totals of one measure over all groups for the last `years` years up to the
    period (rad, ar, manad, varde)."""
    rows = frame[frame["matt"] == key]
    s = rows.groupby(["ar", "manad"], as_index=False)["total"].sum(min_count=1)
    s = s.rename(columns={"total": "varde"})
    s = s[(s["ar"] > year - years) & (s["ar"] * 100 + s["manad"] <= year * 100 + month)]
    return s.assign(rad=short_label(label))[["rad", "ar", "manad", "varde"]]
