"""What the volume report measures: the measure catalogue (`params/volymmatt.yaml`) and the
committee's goal assessments (`params/bedomningar/<period>.yaml`), read and validated.

What a measure means lives in the catalogue, not in code, because the committee's measures and
their Qlik Sense sources change between years. A measure's type (flöde, ackumulerat,
tillstånd) decides how a period value is read from the monthly export, its forecast method how
the full year is estimated (`volumes.compute`). The files' models (`data.params.domains`) check
keys and types; the loaders add what lies between values (a forecast method a type cannot use,
a measure or goal given twice, the period), and every problem of a file goes into one
ParamsError with its place in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from uppfoljning.data.config import ParamsError, _read_yaml
from uppfoljning.data.params import validate
from uppfoljning.data.params.base import Period
from uppfoljning.data.params.domains import ASSESSMENTS as ASSESSMENTS  # the report counts them
from uppfoljning.data.params.domains import (  # the allowed values live with the models
    FORECAST_METHODS,
    MEASURE_TYPES,
    AssessmentsFile,
    ForecastMethod,
    MeasureType,
    VolumeCatalogueFile,
)

FLOW, ACCUMULATED, STOCK = MEASURE_TYPES
RATIO, SEASONAL, LINEAR, NONE = FORECAST_METHODS
DEFAULT_FORECAST = {FLOW: SEASONAL, ACCUMULATED: RATIO, STOCK: RATIO}
FLOW_ONLY_METHODS = (SEASONAL, LINEAR)


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


def _valid(adapter: TypeAdapter, value: Any) -> Any:
    """`value` as the model reads it (flode → flöde), or None when it does not fit: the relations
    between values use it, so that they are reported beside the model's own problems."""
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


_TYPE, _METHOD, _PERIOD = TypeAdapter(MeasureType), TypeAdapter(ForecastMethod), TypeAdapter(Period)


def _items(data: Any, key: str) -> list[tuple[str, dict]]:
    """The mappings listed under `key`, each with its YAML path (`volymmatt[2] (a)`)."""
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [
        (f"{key}[{i}] ({item['matt']})" if "matt" in item else f"{key}[{i}]", item)
        for i, item in enumerate(items)
        if isinstance(item, dict)
    ]


def _catalogue_relations(data: Any) -> list[str]:
    """Between values: forecast method and type, groups and measures given twice, the chart."""
    problems: list[str] = []
    measures = _items(data, "volymmatt")
    for where, item in measures:
        kind = _valid(_TYPE, item.get("typ"))
        method = _valid(_METHOD, item.get("prognos"))
        if method in FLOW_ONLY_METHODS and kind is not None and kind != FLOW:
            problems.append(f"{where}.prognos: {method} fungerar bara för flöden (typ: {FLOW})")
        groups = item.get("grupper")
        names = (
            [g.strip() for g in groups if isinstance(g, str)] if isinstance(groups, list) else []
        )
        if len(set(names)) != len(names):
            problems.append(f"{where}.grupper: samma grupp förekommer flera gånger")
    for section in ("volymmatt", "personal"):
        keys = [
            str(item["matt"]).strip().lower() for _, item in _items(data, section) if "matt" in item
        ]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            problems.append(f"{section}: måttet förekommer flera gånger: {dupes}")
    mains = [item for _, item in measures if item.get("huvuddiagram") is True and "matt" in item]
    if len(mains) > 1:
        keys = [str(m["matt"]).strip().lower() for m in mains]
        problems.append(f"huvuddiagram: högst ett mått, fick {keys}")
    problems += [
        f"huvuddiagram: {str(m['matt']).strip().lower()} är inget flödesmått"
        for m in mains
        if _valid(_TYPE, m.get("typ")) != FLOW
    ]
    return problems


def _targets(value: dict[int, str] | str | None) -> dict[int | None, str]:
    """A staff measure's targets per year; one target for all years is filed under None."""
    if isinstance(value, dict):
        return dict(value)
    return {} if value is None else {None: value}


def load_catalogue(path: Path | str) -> MeasureCatalogue:
    """Read and validate `params/volymmatt.yaml`; every problem goes into one ParamsError."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(path, ["filen finns inte"])
    data = _read_yaml(path)
    model, problems = validate(VolumeCatalogueFile, data)
    problems += _catalogue_relations(data)
    if problems or model is None:
        raise ParamsError(path, problems)
    measures = tuple(
        Measure(
            key=m.matt.strip().lower(),
            label=m.rad,
            kind=m.typ,
            groups=tuple(g.strip() for g in m.grupper or ()),
            by_sex=m.kon,
            source=m.kalla or "",
            forecast=m.prognos or DEFAULT_FORECAST[m.typ],
            profile_years=m.profilar,
            main_chart=m.huvuddiagram,
            headline=m.nyckeltal,
        )
        for m in model.volymmatt
    )
    staff = tuple(
        StaffMeasure(
            key=s.matt.strip().lower(),
            label=s.rad,
            kind=s.typ,
            source=s.kalla or "",
            targets=_targets(s.malvarde),
            decimals=s.decimaler,
        )
        for s in model.personal or ()
    )
    return MeasureCatalogue(path, measures, staff, model.kommentar or "")


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


def _assessment_relations(data: Any, period: str | None) -> list[str]:
    """Between values: the file's period and the report's, a goal given twice."""
    problems: list[str] = []
    per = _valid(_PERIOD, data.get("period")) if isinstance(data, dict) else None
    if per is not None and period is not None and per != period:
        problems.append(f"period: filen gäller {per}, men rapporten avser {period}")
    goals = data.get("mal") if isinstance(data, dict) else None
    names = [str(g["namndmal"]) for g in goals or () if isinstance(g, dict) and "namndmal" in g]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"mal: nämndmålet förekommer flera gånger: {dupes}")
    return problems


def load_assessments(path: Path | str, *, period: str | None = None) -> GoalAssessments:
    """Read and validate `params/bedomningar/<period>.yaml` (one ParamsError with every problem)."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(path, ["filen finns inte"])
    data = _read_yaml(path)
    model, problems = validate(AssessmentsFile, data)
    problems += _assessment_relations(data, period)
    if problems or model is None:
        raise ParamsError(path, problems)
    goals = tuple(
        Goal(
            area=g.malomrade,
            goal=g.namndmal,
            assessment=g.bedomning,
            motivation=g.motivering or "",
            indicators=tuple(i.indikator for i in g.indikatorer or ()),
            notes={i.indikator: i.anmarkning for i in g.indikatorer or () if i.anmarkning},
        )
        for g in model.mal
    )
    return GoalAssessments(path, model.period, goals)
