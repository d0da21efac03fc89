"""The volumes report: volume measures, staff statistics, committee indicators, goal assessments.

What a measure means lives in `params/volymmatt.yaml`, not in code, because the committee's
measures and their Qlik Sense sources change between years. A measure's type decides how a
period value is read from the monthly export:

- flöde (flow): a count per month; year to date is the sum of January..month.
- ackumulerat: distinct cases or persons January..month, exported as such; summing months
  would count a case once per month, so year to date is the month's own value.
- tillstånd (stock): the count at month end; year to date is the month's own value.

Full-year forecasts are stated methods, not judgement: `kvot` (year to date × last year's
full-year/same-period ratio) for ackumulerat and tillstånd, `sasongsprofil` (year to date ÷ the
share of the year that earlier years had reached by the month) for flows.

Committee indicators come as data (`indikatorer`: value per year and sex, target, desired
direction); whether the latest change goes the desired way is computed (`direction_met`).
Goal assessments are the committee's judgements, so they come from
`params/bedomningar/<period>.yaml`, with the indicators that follow up each goal (which also
orders the indicator table).

Every table has `rad` first; `_decimaler` is a display hint and is never exported.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from uppfoljning.data.config import (
    PERIOD_RE,
    ParamsError,
    PeriodParams,
    _read_yaml,
    check_keys,
    parse_period,
)
from uppfoljning.present.formatting import (
    format_count,
    format_percent,
    period_label,
    period_range_label,
)
from uppfoljning.present.report import ReportContext
from uppfoljning.present.tables import number_format, percent_format

FLOW, ACCUMULATED, STOCK = "flöde", "ackumulerat", "tillstånd"
MEASURE_TYPES = (FLOW, ACCUMULATED, STOCK)
_TYPE_ALIASES = {"flode": FLOW, "tillstand": STOCK}
RATIO, SEASONAL, LINEAR, NONE = "kvot", "sasongsprofil", "linjar", "ingen"
FORECAST_METHODS = (RATIO, SEASONAL, LINEAR, NONE)
DEFAULT_FORECAST = {FLOW: SEASONAL, ACCUMULATED: RATIO, STOCK: RATIO}
FLOW_ONLY_METHODS = (SEASONAL, LINEAR)

ASSESSMENTS = ("Uppfyllt", "Delvis uppfyllt", "Ej uppfyllt", "Kan ej bedömas")
ASSESSMENT_COLOURS = {
    "Uppfyllt": "background-color: #cfe8d5; color: #14532d",
    "Delvis uppfyllt": "background-color: #fbe7b5; color: #5c4400",
    "Ej uppfyllt": "background-color: #f4c7c3; color: #7f1d1d",
    "Kan ej bedömas": "background-color: #e2e3e5; color: #343a40",
}
MAINTAIN_TOLERANCE = 0.05  # "Bibehålla" holds when the change is within ±5 % of the old value
YES, NO = "Ja", "Nej"
_ASSESSMENT_WORDS = {  # (one goal, several goals): "1 ej uppfyllt, 7 delvis uppfyllda"
    "Uppfyllt": ("uppfyllt", "uppfyllda"),
    "Delvis uppfyllt": ("delvis uppfyllt", "delvis uppfyllda"),
    "Ej uppfyllt": ("ej uppfyllt", "ej uppfyllda"),
    "Kan ej bedömas": ("kan ej bedömas", "kan ej bedömas"),
}
SEX_LABELS = {"T": "Totalt", "K": "Kvinnor", "M": "Män"}
_SEX_CODES = {
    "": "T", "t": "T", "tot": "T", "total": "T", "totalt": "T", "alla": "T",
    "k": "K", "kvinna": "K", "kvinnor": "K", "flicka": "K", "flickor": "K",
    "m": "M", "man": "M", "män": "M", "pojke": "M", "pojkar": "M",
}  # fmt: skip
DECIMALS = "_decimaler"  # display hint per row; never exported

VOLUME_COLUMNS = [
    "rad",
    "grupp",
    "utfall_foregaende_ar",
    "utfall",
    "prognos_helar",
    "andel_kvinnor_foregaende_ar",
    "andel_kvinnor",
]
STAFF_COLUMNS = ["rad", "utfall_foregaende_ar", "utfall", "malvarde"]
GOAL_COLUMNS = ["rad", "malomrade", "bedomning"]
INDICATOR_YEARS = 3  # year columns in the indicator table


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Measure:
    """A volume measure of the catalogue; `key` is its name in the raw `matt` column."""

    key: str
    label: str
    kind: str
    groups: tuple[str, ...] = ()
    by_sex: bool = True
    source: str = ""
    forecast: str = RATIO
    profile_years: int = 2
    main_chart: bool = False
    headline: bool = False


@dataclass(frozen=True)
class StaffMeasure:
    """A staff statistic; the target is a text or number, for all years or per year."""

    key: str
    label: str
    kind: str
    source: str = ""
    targets: dict[int | None, str] = field(default_factory=dict)
    decimals: int = 0

    def target(self, year: int) -> str:
        return self.targets.get(year, self.targets.get(None, ""))


@dataclass(frozen=True)
class MeasureCatalogue:
    path: Path
    measures: tuple[Measure, ...]
    staff: tuple[StaffMeasure, ...]
    comment: str = ""


_CATALOGUE_KEYS = {"volymmatt", "personal", "kommentar"}
_MEASURE_KEYS = {
    "matt", "rad", "typ", "grupper", "kon", "kalla", "prognos", "profilar",
    "huvuddiagram", "nyckeltal",
}  # fmt: skip
_STAFF_KEYS = {"matt", "rad", "typ", "kalla", "malvarde", "decimaler"}


def _parse_kind(value: Any, where: str, problems: list[str]) -> str:
    kind = _TYPE_ALIASES.get(str(value).strip().lower(), str(value).strip().lower())
    if kind not in MEASURE_TYPES:
        problems.append(f"{where}.typ: {value!r} ska vara en av {', '.join(MEASURE_TYPES)}")
    return kind


def _check_keys(item: Any, allowed: set[str], where: str, problems: list[str]) -> bool:
    if not isinstance(item, dict):
        problems.append(f"{where}: ska vara ett mått med nycklarna matt, rad och typ")
        return False
    return not check_keys(
        item, sorted(allowed), problems, where=where, required=("matt", "rad", "typ")
    )


def _bool(item: dict, key: str, default: bool, where: str, problems: list[str]) -> bool:
    value = item.get(key, default)
    if not isinstance(value, bool):
        problems.append(f"{where}.{key}: ska vara true eller false, fick {value!r}")
        return default
    return value


def _parse_measure(item: Any, where: str, problems: list[str]) -> Measure | None:
    if not _check_keys(item, _MEASURE_KEYS, where, problems):
        return None
    where = f"{where} ({item['matt']})"
    kind = _parse_kind(item["typ"], where, problems)
    groups = item.get("grupper") or []
    if not isinstance(groups, list) or not all(isinstance(g, str) and g.strip() for g in groups):
        problems.append(f"{where}.grupper: ska vara en lista med gruppnamn")
        groups = []
    if len(set(groups)) != len(groups):
        problems.append(f"{where}.grupper: samma grupp förekommer flera gånger")
    method = str(item.get("prognos", DEFAULT_FORECAST.get(kind, RATIO)))
    if method not in FORECAST_METHODS:
        problems.append(f"{where}.prognos: {method!r} ska vara en av {', '.join(FORECAST_METHODS)}")
    elif method in FLOW_ONLY_METHODS and kind in MEASURE_TYPES and kind != FLOW:
        problems.append(f"{where}.prognos: {method} fungerar bara för flöden (typ: {FLOW})")
    years = item.get("profilar", 2)
    if not isinstance(years, int) or isinstance(years, bool) or years < 1:
        problems.append(f"{where}.profilar: ska vara ett heltal ≥ 1, fick {years!r}")
        years = 2
    return Measure(
        key=str(item["matt"]).strip().lower(),
        label=str(item["rad"]),
        kind=kind,
        groups=tuple(g.strip() for g in groups),
        by_sex=_bool(item, "kon", True, where, problems),
        source=str(item.get("kalla") or ""),
        forecast=method,
        profile_years=years,
        main_chart=_bool(item, "huvuddiagram", False, where, problems),
        headline=_bool(item, "nyckeltal", False, where, problems),
    )


def _parse_staff(item: Any, where: str, problems: list[str]) -> StaffMeasure | None:
    if not _check_keys(item, _STAFF_KEYS, where, problems):
        return None
    where = f"{where} ({item['matt']})"
    kind = _parse_kind(item["typ"], where, problems)
    raw_target = item.get("malvarde")
    targets: dict[int | None, str] = {}
    if isinstance(raw_target, dict):
        for year, value in raw_target.items():
            if not re.fullmatch(r"\d{4}", str(year)):
                problems.append(f"{where}.malvarde: {year!r} är inte ett årtal")
            else:
                targets[int(year)] = str(value)
    elif raw_target is not None:
        targets[None] = str(raw_target)
    decimals = item.get("decimaler", 0)
    if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 3:
        problems.append(f"{where}.decimaler: ska vara ett heltal 0–3, fick {decimals!r}")
        decimals = 0
    return StaffMeasure(
        key=str(item["matt"]).strip().lower(),
        label=str(item["rad"]),
        kind=kind,
        source=str(item.get("kalla") or ""),
        targets=targets,
        decimals=decimals,
    )


def load_catalogue(path: Path | str) -> MeasureCatalogue:
    """Read and validate `params/volymmatt.yaml`; every problem goes into one ParamsError."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(path, ["filen finns inte"])
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("volymmatt"), list):
        raise ParamsError(path, ["filen ska ha en lista `volymmatt`"])
    problems: list[str] = []
    check_keys(data, sorted(_CATALOGUE_KEYS), problems)
    measures = [
        m
        for i, item in enumerate(data["volymmatt"])
        if (m := _parse_measure(item, f"volymmatt[{i}]", problems)) is not None
    ]
    staff_items = data.get("personal") or []
    if not isinstance(staff_items, list):
        problems.append("personal: ska vara en lista med mått")
        staff_items = []
    staff = [
        s
        for i, item in enumerate(staff_items)
        if (s := _parse_staff(item, f"personal[{i}]", problems)) is not None
    ]
    for section, items in (("volymmatt", measures), ("personal", staff)):
        keys = [m.key for m in items]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            problems.append(f"{section}: måttet förekommer flera gånger: {dupes}")
    mains = [m for m in measures if m.main_chart]
    if len(mains) > 1:
        problems.append(f"huvuddiagram: högst ett mått, fick {[m.key for m in mains]}")
    problems += [f"huvuddiagram: {m.key} är inget flödesmått" for m in mains if m.kind != FLOW]
    if problems:
        raise ParamsError(path, problems)
    return MeasureCatalogue(path, tuple(measures), tuple(staff), str(data.get("kommentar") or ""))


# --------------------------------------------------------------------------- goal assessments


@dataclass(frozen=True)
class Goal:
    area: str
    goal: str
    assessment: str
    motivation: str = ""
    indicators: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)  # indicator -> footnote


@dataclass(frozen=True)
class GoalAssessments:
    path: Path
    period: str
    goals: tuple[Goal, ...]

    @property
    def indicators(self) -> list[str]:
        return [i for g in self.goals for i in g.indicators]

    @property
    def notes(self) -> dict[str, str]:
        return {k: v for g in self.goals for k, v in g.notes.items()}


_ASSESSMENT_KEYS = {"period", "mal"}
_GOAL_KEYS = {"malomrade", "namndmal", "bedomning", "motivering", "indikatorer"}


def _parse_goal(item: Any, where: str, problems: list[str]) -> Goal | None:
    if not isinstance(item, dict):
        problems.append(f"{where}: ska vara ett nämndmål med malomrade, namndmal och bedomning")
        return None
    required = ("malomrade", "namndmal", "bedomning")
    if check_keys(item, sorted(_GOAL_KEYS), problems, where=where, required=required):
        return None
    where = f"{where} ({item['namndmal']})"
    if item["bedomning"] not in ASSESSMENTS:
        problems.append(
            f"{where}.bedomning: {item['bedomning']!r} ska vara en av {', '.join(ASSESSMENTS)}"
        )
    indicators: list[str] = []
    notes: dict[str, str] = {}
    raw = item.get("indikatorer") or []
    if not isinstance(raw, list):
        problems.append(f"{where}.indikatorer: ska vara en lista")
        raw = []
    for j, ind in enumerate(raw):
        if isinstance(ind, str):
            indicators.append(ind)
        elif (
            isinstance(ind, dict) and "indikator" in ind and set(ind) <= {"indikator", "anmarkning"}
        ):
            indicators.append(str(ind["indikator"]))
            if ind.get("anmarkning"):
                notes[str(ind["indikator"])] = str(ind["anmarkning"])
        else:
            problems.append(
                f"{where}.indikatorer[{j}]: ska vara ett namn eller {{indikator: …, anmarkning: …}}"
            )
    return Goal(
        area=str(item["malomrade"]),
        goal=str(item["namndmal"]),
        assessment=str(item["bedomning"]),
        motivation=str(item.get("motivering") or ""),
        indicators=tuple(indicators),
        notes=notes,
    )


def load_assessments(path: Path | str, *, period: str | None = None) -> GoalAssessments:
    """Read and validate `params/bedomningar/<period>.yaml` (one ParamsError with every problem)."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(path, ["filen finns inte"])
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("mal"), list):
        raise ParamsError(path, ["filen ska ha en lista `mal` med nämndmålen"])
    problems: list[str] = []
    check_keys(data, sorted(_ASSESSMENT_KEYS), problems)
    per = str(data.get("period", ""))
    if not PERIOD_RE.match(per):
        problems.append(f"period: {per!r} är inte en period på formen ÅÅÅÅ-MM")
    elif period is not None and per != period:
        problems.append(f"period: filen gäller {per}, men rapporten avser {period}")
    goals = [
        g
        for i, item in enumerate(data["mal"])
        if (g := _parse_goal(item, f"mal[{i}]", problems)) is not None
    ]
    names = [g.goal for g in goals]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"mal: nämndmålet förekommer flera gånger: {dupes}")
    if problems:
        raise ParamsError(path, problems)
    return GoalAssessments(path, per, tuple(goals))


# --------------------------------------------------------------------------- computations


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


def _read(data_dir: Path, dataset: str) -> pd.DataFrame:
    path = Path(data_dir) / f"{dataset}.parquet"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} saknas: kör `uppfoljning ingest` (eller `uppfoljning run`) först"
        )
    return pd.read_parquet(path).drop(columns=["_rad", "_fil"], errors="ignore")


def _what(label: str, group: str) -> str:
    return f"{label} ({group})" if group else label


def _short(label: str) -> str:
    """Drop the trailing "ackumulerat" from a label for charts and headlines."""
    return re.sub(r"\s+ackumulerat$", "", label)


# --------------------------------------------------------------------------- the report


@dataclass
class VolumeReport:
    """Computes the volume, staff, indicator and goal tables of one period."""

    params: PeriodParams
    catalogue: MeasureCatalogue
    volume_raw: pd.DataFrame
    staff_raw: pd.DataFrame
    indicator_raw: pd.DataFrame
    assessments: GoalAssessments | None
    _notes: dict[str, None] = field(default_factory=dict, repr=False)

    @classmethod
    def open(
        cls,
        ctx: ReportContext,
        *,
        catalogue_file: Path | str | None = None,
        assessments_file: Path | str | None = None,
    ) -> VolumeReport:
        """Load the period's catalogue, assessments (if any) and processed data."""
        params_dir = ctx.params.path.parent
        catalogue = load_catalogue(catalogue_file or params_dir / "volymmatt.yaml")
        path = Path(assessments_file or params_dir / "bedomningar" / f"{ctx.period}.yaml")
        assessments = load_assessments(path, period=ctx.period) if path.is_file() else None
        return cls(
            params=ctx.params,
            catalogue=catalogue,
            volume_raw=_read(ctx.data_dir, "volymer"),
            staff_raw=_read(ctx.data_dir, "personal"),
            indicator_raw=_read(ctx.data_dir, "indikatorer"),
            assessments=assessments,
        )

    @property
    def year(self) -> int:
        return parse_period(self.params.period)[0]

    @property
    def month(self) -> int:
        return parse_period(self.params.period)[1]

    @property
    def notes(self) -> list[str]:
        return list(self._notes)

    def _note(self, text: str) -> None:
        self._notes[text] = None

    # -- data -------------------------------------------------------------------------------
    @cached_property
    def _volumes(self) -> pd.DataFrame:
        return self._known(self.volume_raw, self.catalogue.measures, "volymer")

    @cached_property
    def _staff(self) -> pd.DataFrame:
        return self._known(self.staff_raw, self.catalogue.staff, "personal")

    def _known(self, raw: pd.DataFrame, measures: tuple, dataset: str) -> pd.DataFrame:
        """Monthly frame of the catalogue's measures; what is dropped becomes a note."""
        if "kon" in raw:
            unknown = sorted(set(raw["kon"][normalise_sex(raw["kon"]) == "?"]))
            if unknown:
                self._note(f"{dataset}: okända värden i kolumnen kon lästes inte: {unknown}")
        frame = monthly_frame(raw)
        keys = {m.key for m in measures}
        extra = sorted(set(frame["matt"]) - keys)
        if extra:
            self._note(
                f"{dataset}: måtten {', '.join(extra)} finns i data men inte i volymmatt.yaml "
                "och visas inte"
            )
        return frame[frame["matt"].isin(keys)]

    def _series(
        self, frame: pd.DataFrame, measure: Measure | StaffMeasure, group: str
    ) -> pd.DataFrame:
        """Monthly total/kvinnor/man of one measure (and group), indexed by (ar, manad)."""
        rows = frame[frame["matt"] == measure.key]
        groups = getattr(measure, "groups", ())
        if groups:
            wanted = rows["grupp"].str.casefold()
            unknown = sorted(set(rows["grupp"][~wanted.isin([g.casefold() for g in groups])]))
            if unknown:
                self._note(f"{measure.label}: grupperna {unknown} finns inte i volymmatt.yaml")
            rows = rows[wanted == group.casefold()]
        if rows.empty:
            self._note(f"{_what(measure.label, group)}: inga data")
        out = rows.groupby(["ar", "manad"])[["total", "kvinnor", "man"]].sum(min_count=1)
        return out.sort_index()

    def _check_months(self, series: pd.DataFrame, measure: Measure | StaffMeasure, group: str):
        if measure.kind != FLOW:
            return
        for year in (self.year - 1, self.year):
            if series.empty:
                return
            if months_present(series, year, self.month) < self.month:
                span = period_range_label(f"{year}-{self.month:02d}")
                self._note(f"{_what(measure.label, group)}: månader saknas i {span}")

    # -- tables -----------------------------------------------------------------------------
    @cached_property
    def _volume_table(self) -> pd.DataFrame:
        rows = []
        for m in self.catalogue.measures:
            for group in m.groups or ("",):
                s = self._series(self._volumes, m, group)
                self._check_months(s, m, group)
                now = year_to_date(s, m.kind, self.year, self.month)
                before = year_to_date(s, m.kind, self.year - 1, self.month)
                prognosis = forecast(
                    s["total"], m.kind, m.forecast, self.year, self.month, m.profile_years
                )
                if m.forecast != NONE and pd.isna(prognosis) and not pd.isna(now["total"]):
                    self._note(f"{_what(m.label, group)}: prognos saknas (föregående år saknas)")
                rows.append(
                    {
                        "rad": m.label,
                        "grupp": group,
                        "utfall_foregaende_ar": before["total"],
                        "utfall": now["total"],
                        "prognos_helar": prognosis,
                        "andel_kvinnor_foregaende_ar": share_of_women(before)
                        if m.by_sex
                        else np.nan,
                        "andel_kvinnor": share_of_women(now) if m.by_sex else np.nan,
                    }
                )
        return pd.DataFrame(rows, columns=VOLUME_COLUMNS)

    def volume_table(self) -> pd.DataFrame:
        """`volymer`: each measure and group, same period last year, forecast, share of women."""
        return self._volume_table.copy()

    @cached_property
    def _staff_table(self) -> pd.DataFrame:
        rows = []
        for m in self.catalogue.staff:
            s = self._series(self._staff, m, "")
            self._check_months(s, m, "")
            rows.append(
                {
                    "rad": m.label,
                    "utfall_foregaende_ar": year_to_date(s, m.kind, self.year - 1, self.month)[
                        "total"
                    ],
                    "utfall": year_to_date(s, m.kind, self.year, self.month)["total"],
                    "malvarde": m.target(self.year),
                    DECIMALS: m.decimals,
                }
            )
        return pd.DataFrame(rows, columns=[*STAFF_COLUMNS, DECIMALS])

    def staff_table(self) -> pd.DataFrame:
        """`personal`: staff statistics for the period and the same period last year."""
        return self._staff_table.copy()

    @property
    def indicator_years(self) -> list[int]:
        return list(range(self.year - INDICATOR_YEARS + 1, self.year + 1))

    @cached_property
    def _indicator_table(self) -> pd.DataFrame:
        years = self.indicator_years
        cols = ["rad", "kon", *map(str, years), "malvarde", "onskad_riktning", "i_onskad_riktning"]
        raw = self.indicator_raw
        if raw.empty:
            return pd.DataFrame(columns=[*cols, DECIMALS])
        f = pd.DataFrame(
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
        unknown = sorted(set(raw["kon"][f["kon"] == "?"])) if "kon" in raw else []
        if unknown:
            self._note(f"indikatorer: okända värden i kolumnen kon lästes inte: {unknown}")
        f = f[(f["kon"] != "?") & (f["ar"] <= self.year)]
        dupes = f.duplicated(["indikator", "kon", "ar"], keep="last")
        if dupes.any():
            names = sorted(set(f.loc[dupes, "indikator"]))
            self._note(f"indikatorer: flera värden för samma år; det sista används ({names})")
            f = f[~dupes]
        order = list(dict.fromkeys([*(self.assessments.indicators if self.assessments else [])]))
        in_data = list(dict.fromkeys(f["indikator"]))
        missing = [i for i in order if i not in in_data]
        if missing:
            self._note(f"indikatorer utan data: {', '.join(missing)}")
        order += [i for i in in_data if i not in order]
        sex_order = {"T": 0, "M": 1, "K": 2}
        rows = []
        for name in order:
            part = f[f["indikator"] == name]
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
        return pd.DataFrame(rows, columns=[*cols, DECIMALS])

    def indicator_table(self) -> pd.DataFrame:
        """`namndindikatorer`: values per year and sex, target, direction and whether it holds."""
        return self._indicator_table.copy()

    def assessment_table(self) -> pd.DataFrame:
        """`namndmal_bedomning`: the committee's assessment of each goal (empty without a file)."""
        if self.assessments is None:
            return pd.DataFrame(columns=GOAL_COLUMNS)
        return pd.DataFrame(
            [
                {"rad": g.goal, "malomrade": g.area, "bedomning": g.assessment}
                for g in self.assessments.goals
            ],
            columns=GOAL_COLUMNS,
        )

    # -- chart data -------------------------------------------------------------------------
    def _main_measure(self) -> Measure | None:
        flows = [m for m in self.catalogue.measures if m.kind == FLOW]
        main = [m for m in flows if m.main_chart]
        return (main or flows or [None])[0]

    def monthly_by_year(self, measure: Measure, years: int = 3) -> pd.DataFrame:
        """Monthly totals over all groups for the last `years` years (rad, ar, manad, varde)."""
        s = self._series_all_groups(measure)
        s = s[
            (s["ar"] > self.year - years)
            & (s["ar"] * 100 + s["manad"] <= self.year * 100 + self.month)
        ]
        return s.assign(rad=_short(measure.label))[["rad", "ar", "manad", "varde"]]

    def _series_all_groups(self, measure: Measure) -> pd.DataFrame:
        rows = self._volumes[self._volumes["matt"] == measure.key]
        out = rows.groupby(["ar", "manad"], as_index=False)["total"].sum(min_count=1)
        return out.rename(columns={"total": "varde"})

    def main_chart_data(self) -> pd.DataFrame:
        """The main flow measure (referrals) per month, one series per year (last three years)."""
        main = self._main_measure()
        if main is None:
            return pd.DataFrame(columns=["rad", "ar", "manad", "varde"])
        return self.monthly_by_year(main)

    def flow_chart_data(self) -> pd.DataFrame:
        """The other flow measures per month and year, for small multiples."""
        main = self._main_measure()
        frames = [
            self.monthly_by_year(m)
            for m in self.catalogue.measures
            if m.kind == FLOW and m is not main
        ]
        return (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=["rad", "ar", "manad", "varde"])
        )

    def group_chart_data(self) -> pd.DataFrame:
        """Ackumulerat/tillstånd measures with several groups, per month, this year and last."""
        parts = []
        for m in self.catalogue.measures:
            if m.kind == FLOW or len(m.groups) < 2:
                continue
            for group in m.groups:
                s = self._series(self._volumes, m, group)["total"].reset_index()
                s = s[
                    (s["ar"] >= self.year - 1)
                    & ((s["ar"] < self.year) | (s["manad"] <= self.month))
                ]
                parts.append(
                    s.assign(rad=_short(m.label), grupp=group).rename(columns={"total": "varde"})
                )
        if not parts:
            return pd.DataFrame(columns=["rad", "grupp", "ar", "manad", "varde"])
        return pd.concat(parts, ignore_index=True)[["rad", "grupp", "ar", "manad", "varde"]]

    # -- presentation -----------------------------------------------------------------------
    def title(self) -> str:
        return f"Volymer – {self.params.title}"

    def headers(self, table_id: str) -> dict[str, str]:
        """Swedish column headings with the periods spelt out."""
        now = period_label(self.params.period).capitalize()
        before = period_label(f"{self.year - 1}-{self.month:02d}").capitalize()
        return {
            "volymer": {
                "rad": "Basuppdrag (volymmått)",
                "grupp": "Grupp",
                "utfall_foregaende_ar": before,
                "utfall": now,
                "prognos_helar": f"Prognos {self.year}",
                "andel_kvinnor_foregaende_ar": f"Andel flickor/kvinnor {before.lower()}",
                "andel_kvinnor": f"Andel flickor/kvinnor {now.lower()}",
            },
            "personal": {
                "rad": "Personal",
                "utfall_foregaende_ar": before,
                "utfall": now,
                "malvarde": f"Målvärde {self.year}",
            },
            "namndindikatorer": {
                "rad": "Nämndindikator",
                "kon": "Kön",
                **{str(y): str(y) for y in self.indicator_years},
                "malvarde": "Målvärde",
                "onskad_riktning": "Önskad riktning",
                "i_onskad_riktning": "I önskad riktning",
            },
            "namndmal_bedomning": {
                "rad": "Nämndmål",
                "malomrade": "Målområde",
                "bedomning": f"Bedömning {period_label(self.params.period)}",
            },
        }[table_id]

    def formats(self, table_id: str) -> dict:
        """Display formats for every numeric column (counts, percent, indicator values)."""
        if table_id == "volymer":
            count, pct = number_format(0), percent_format(0)
            return {
                "utfall_foregaende_ar": count,
                "utfall": count,
                "prognos_helar": count,
                "andel_kvinnor_foregaende_ar": pct,
                "andel_kvinnor": pct,
            }
        if table_id == "personal":
            return {"utfall_foregaende_ar": number_format(1), "utfall": number_format(1)}
        if table_id == "namndindikatorer":
            return {
                **{str(y): number_format(1) for y in self.indicator_years},
                "malvarde": number_format(1),
                "kon": lambda v: SEX_LABELS.get(v, v),
            }
        return {}

    def style(self, table_id: str, styler: Styler) -> Styler:
        """Per-row decimals (staff, indicators) and assessment colours on a published table."""
        if table_id == "namndmal_bedomning":
            return styler.map(lambda v: ASSESSMENT_COLOURS.get(v, ""), subset=["bedomning"])
        frame = {"personal": self._staff_table, "namndindikatorer": self._indicator_table}.get(
            table_id
        )
        if frame is None or frame.empty:
            return styler
        columns = [
            c
            for c in frame.columns
            if c not in ("rad", "kon", DECIMALS) and pd.api.types.is_numeric_dtype(frame[c])
        ]
        view = frame.reset_index(drop=True)
        for decimals, index in view.groupby(DECIMALS).groups.items():
            styler = styler.format(
                number_format(int(decimals)), subset=pd.IndexSlice[list(index), columns]
            )
        return styler

    def volume_notes(self) -> str:
        """Markdown under the volume table: forecast methods used, the catalogue's note, sources."""
        span = period_range_label(self.params.period)
        last = f"{self.year - 1}"
        used = {m.forecast for m in self.catalogue.measures}
        lines = []
        if RATIO in used:
            names = [
                _short(m.label).lower() for m in self.catalogue.measures if m.forecast == RATIO
            ]
            lines.append(
                f"- *Kvot* ({len(names)} mått): värdet {span} × kvoten mellan helår {last} och "
                f"samma period {last}. Ackumulerade mått och tillståndsmått växer olika fort under "
                "året; kvoten bär med sig förra årets förlopp."
            )
        if SEASONAL in used:
            names = [
                _short(m.label).lower() for m in self.catalogue.measures if m.forecast == SEASONAL
            ]
            years = max(m.profile_years for m in self.catalogue.measures if m.forecast == SEASONAL)
            lines.append(
                f"- *Säsongsprofil* ({', '.join(names)}): värdet {span} delat med den andel av "
                f"helårets volym som föll inom samma månader de {years} senaste hela åren."
            )
        if LINEAR in used:
            names = [
                _short(m.label).lower() for m in self.catalogue.measures if m.forecast == LINEAR
            ]
            lines.append(f"- *Linjär* ({', '.join(names)}): värdet {span} × 12 / {self.month}.")
        if NONE in used:
            names = [_short(m.label).lower() for m in self.catalogue.measures if m.forecast == NONE]
            lines.append(f"- Ingen prognos: {', '.join(names)}.")
        text = (
            "**Prognos helår.** Prognosen är framräknad, inte bedömd, och visas avrundad till "
            "heltal:\n\n"
        )
        text += "\n".join(lines)
        text += (
            "\n\nAndel flickor/kvinnor avser andelen av dem med uppgift om kön. Flöden är "
            "summan av månaderna; ackumulerade mått är unika ärenden eller personer under "
            "perioden."
        )
        if self.catalogue.comment:
            text += f"\n\n**Kommentar.** {self.catalogue.comment.strip()}"
        sources = [
            f"{i}. {m.label}: {m.source}"
            for i, m in enumerate(self.catalogue.measures, start=1)
            if m.source
        ]
        if sources:
            text += "\n\n**Källor**\n\n" + "\n".join(sources)
        return text

    def staff_notes(self) -> str:
        """Markdown under the staff table: sources and what each period value means."""
        meaning = {
            FLOW: "summan av månaderna januari–perioden",
            ACCUMULATED: "värdet för januari–perioden",
            STOCK: "värdet vid periodens slut",
        }
        lines = [
            f"- {m.label}: {meaning[m.kind]}." + (f" Källa: {m.source}" if m.source else "")
            for m in self.catalogue.staff
        ]
        return "\n".join(lines)

    def indicator_notes(self) -> str:
        """Markdown under the indicator table: how the direction is judged, and footnotes."""
        tolerance = format_percent(100 * MAINTAIN_TOLERANCE, 0)
        text = (
            "*I önskad riktning* jämför de två senaste åren med värden: Öka och Minska kräver en "
            f"förändring åt rätt håll, Bibehålla en förändring inom ±{tolerance}"
            " av det tidigare värdet. ”Samma eller lägre än R9-snitt” jämför årets värde med "
            "målvärdet (R9-snittet) samma år. Tom ruta: kan inte bedömas (för få värden eller "
            "ingen önskad riktning)."
        )
        notes = self.assessments.notes if self.assessments else {}
        shown = set(self._indicator_table["rad"])
        lines = [f"- {name}: {note}" for name, note in notes.items() if name in shown]
        if lines:
            text += "\n\n**Anmärkningar**\n\n" + "\n".join(lines)
        return text

    def assessment_notes(self) -> str:
        """The committee's motivations per goal (Markdown), or why the table is empty."""
        if self.assessments is None:
            return (
                f"*Ingen bedömning av nämndmålen för {period_label(self.params.period)} "
                f"(params/bedomningar/{self.params.period}.yaml saknas).*"
            )
        lines = [
            f"- **{g.goal}**: {g.motivation.strip()}"
            for g in self.assessments.goals
            if g.motivation
        ]
        summary = self.assessment_summary()
        return f"Sammanfattning: {summary}.\n\n" + "\n".join(lines)

    def assessment_summary(self) -> str:
        """`2 uppfyllda, 7 delvis uppfyllda, 1 ej uppfyllt` (empty without assessments)."""
        return ", ".join(
            f"{n} {_ASSESSMENT_WORDS[a][0 if n == 1 else 1]}"
            for a, n in self.assessment_counts().items()
            if n
        )

    def assessment_counts(self) -> dict[str, int]:
        goals = self.assessments.goals if self.assessments else ()
        return {a: sum(g.assessment == a for g in goals) for a in ASSESSMENTS}

    def about(self) -> str:
        """Sources, parameter files and every data note of the run (Markdown)."""
        assessments = (
            f"`{self.assessments.path.name}` i params/bedomningar/" if self.assessments else "–"
        )
        text = (
            f"- Måttkatalog: `{self.catalogue.path.name}` (typ, grupper, prognosmetod och källa "
            "per mått).\n"
            f"- Nämndens bedömningar av nämndmålen: {assessments}.\n"
            "- Data: volymer, personal och indikatorer ur data/processed (inlästa med "
            "`uppfoljning ingest`)."
        )
        if self.notes:
            text += "\n\n**Anmärkningar om data**\n\n" + "\n".join(f"- {n}" for n in self.notes)
        return text

    def publish_headlines(self, ctx: ReportContext) -> None:
        """Headline figures for index.html: measures marked `nyckeltal` and the goal summary."""
        table = self._volume_table
        order = 0
        span = period_range_label(self.params.period)
        for m in self.catalogue.measures:
            if not m.headline:
                continue
            for group in m.groups or ("",):
                row = table[(table["rad"] == m.label) & (table["grupp"] == group)].iloc[0]
                if pd.isna(row["utfall"]):
                    continue
                text = format_count(row["utfall"])
                before = row["utfall_foregaende_ar"]
                if not pd.isna(before) and before:
                    change = 100 * (row["utfall"] - before) / before
                    text += f" ({format_percent(change, 0, sign=True)} mot {self.year - 1})"
                slug = re.sub(r"[^a-z0-9]+", "_", f"{m.key} {group}".lower()).strip("_")
                label = _short(m.label) + (f", {group}" if group else "") + f", {span}"
                order += 1
                ctx.headline(f"volym_{slug}", label, text, section="Volymer", order=order)
        if self.assessments is not None:
            text = self.assessment_summary()
            ctx.headline(
                "namndmal_bedomning",
                "Nämndmålen, bedömning",
                text,
                section="Volymer",
                order=order + 1,
            )
