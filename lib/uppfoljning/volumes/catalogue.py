"""What the volume report measures: the measure catalogue (`params/volymmatt.yaml`) and the
committee's goal assessments (`params/bedomningar/<period>.yaml`), read and validated.

What a measure means lives in the catalogue, not in code, because the committee's measures and
their Qlik Sense sources change between years. A measure's type (flöde, ackumulerat,
tillstånd) decides how a period value is read from the monthly export, its forecast method how
the full year is estimated (`volumes.compute`). Every problem of a file goes into one
ParamsError with its place in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uppfoljning.data.config import PERIOD_RE, ParamsError, _read_yaml, check_keys

FLOW, ACCUMULATED, STOCK = "flöde", "ackumulerat", "tillstånd"
MEASURE_TYPES = (FLOW, ACCUMULATED, STOCK)
_TYPE_ALIASES = {"flode": FLOW, "tillstand": STOCK}
RATIO, SEASONAL, LINEAR, NONE = "kvot", "sasongsprofil", "linjar", "ingen"
FORECAST_METHODS = (RATIO, SEASONAL, LINEAR, NONE)
DEFAULT_FORECAST = {FLOW: SEASONAL, ACCUMULATED: RATIO, STOCK: RATIO}
FLOW_ONLY_METHODS = (SEASONAL, LINEAR)

ASSESSMENTS = ("Uppfyllt", "Delvis uppfyllt", "Ej uppfyllt", "Kan ej bedömas")


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
