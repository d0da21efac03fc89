"""Parameters and report structure from `params/`, validated before anything runs.

Validation collects every problem and fails once, so a controller fixing a parameter file sees
the whole list instead of one error per run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
REPORT_TYPES = ("manadsuppfoljning", "delarsrapport", "arsbokslut")
KNOWN_NOTEBOOKS = ("ekonomi", "volymer", "hvb_placeringar", "r9_jamforelser")
FILTER_DIMENSIONS = ("verksamhet", "ansvar", "konto")


class ParamsError(ValueError):
    """One or more problems in a parameter file; `problems` lists them all."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} fel i parametrarna:\n{lines}")


def project_root(start: Path | None = None) -> Path:
    """The project directory: $UPPFOLJNING_HOME, else the nearest parent holding `params/`."""
    env = os.environ.get("UPPFOLJNING_HOME")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "params").is_dir() and (candidate / "pyproject.toml").is_file():
            return candidate
    for candidate in (here, *here.parents):
        if (candidate / "params").is_dir():
            return candidate
    raise FileNotFoundError(
        f"Hittar ingen projektkatalog (med params/) från {here}; sätt UPPFOLJNING_HOME."
    )


def parse_period(text: str) -> tuple[int, int]:
    """`"2024-08"` → (2024, 8); raises ValueError for anything else."""
    match = PERIOD_RE.match(str(text))
    if not match:
        raise ValueError(f"ogiltig period {text!r}, ska vara ÅÅÅÅ-MM")
    return int(match.group(1)), int(match.group(2))


def latest_period(params_dir: Path) -> str:
    """The newest `ÅÅÅÅ-MM.yaml` in params/: the notebooks' default period."""
    periods = sorted(p.stem for p in params_dir.glob("*.yaml") if PERIOD_RE.match(p.stem))
    if not periods:
        raise FileNotFoundError(f"Inga periodfiler (ÅÅÅÅ-MM.yaml) i {params_dir}")
    return periods[-1]


def check_keys(
    item: dict,
    allowed: Iterable[str],
    problems: list[str],
    *,
    where: str = "",
    required: Iterable[str] = (),
) -> list[str]:
    """Collect a YAML mapping's unknown and missing keys into `problems`; returns the missing."""
    prefix = f"{where}: " if where else ""
    allowed = list(allowed)
    for key in item:
        if key not in allowed:
            problems.append(f"{prefix}okänd nyckel {key!r} (tillåtna: {', '.join(allowed)})")
    missing = [k for k in required if k not in item]
    problems.extend(f"{prefix}nyckeln {k!r} saknas" for k in missing)
    return missing


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict):
            continue  # unhashable keys: let PyYAML raise its own error
        if key in seen:
            first = seen[key].start_mark
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"nyckeln {key!r} förekommer två gånger (först på rad {first.line + 1}); "
                "ta bort den ena",
                mark,
            )
        seen[key] = key_node
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml_text(text: str, path: Path | str) -> Any:
    """Parse YAML like `yaml.safe_load`, but a duplicate key is an error; errors name the line."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" rad {mark.line + 1}, kolumn {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ParamsError(path, [f"ogiltig YAML{where}: {problem}"]) from exc


def read_yaml(path: Path) -> Any:
    """A params file as data; unreadable bytes and duplicate keys are ParamsErrors."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ParamsError(
            path, [f"rad {line}: filen är inte UTF-8 (spara om den som UTF-8)"]
        ) from exc
    except IsADirectoryError as exc:
        raise ParamsError(path, ["är en katalog, inte en fil"]) from exc
    return load_yaml_text(text, path)


_read_yaml = read_yaml  # the name the older modules import


# --------------------------------------------------------------------------- period params


@dataclass(frozen=True)
class PeriodParams:
    """One reporting period's parameters (`params/<period>.yaml`)."""

    path: Path
    period: str
    report_type: str
    title: str
    municipality_code: str
    municipality_name: str
    committee: str
    structure_file: Path
    budget_version: str
    previous_forecast: str | None
    comments_file: Path | None
    notebooks: tuple[str, ...]
    unit: str = "mnkr"
    code_map_file: Path | None = None
    action_plan_file: Path | None = None
    code_names_file: Path | None = None
    raw: dict = field(repr=False, default_factory=dict)

    @property
    def is_year_end(self) -> bool:
        return self.month == 12

    @property
    def year(self) -> int:
        return parse_period(self.period)[0]

    @property
    def month(self) -> int:
        return parse_period(self.period)[1]

    def as_manifest(self) -> dict:
        """The validated parameters as plain data for manifest.json."""
        return {k: v for k, v in self.raw.items()}


_PERIOD_KEYS: dict[str, bool] = {  # key -> required
    "period": True,
    "rapporttyp": True,
    "rubrik": False,
    "kommun": True,
    "namnd": True,
    "rapportstruktur": True,
    "budgetversion": True,
    "foregaende_prognos": False,
    "kommentarer": False,
    "rapporter": True,
    "enhet": False,
    "kodomlaggning": False,
    "atgardsplan": False,
    "kodnamn": False,
}
UNITS = ("mnkr", "tkr")


def load_period_params(path: Path | str, *, period: str | None = None) -> PeriodParams:
    """Read and validate a period's YAML; every problem is collected into one ParamsError."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(path, ["filen finns inte"])
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ParamsError(path, ["filen ska innehålla nyckel: värde-par"])
    problems: list[str] = []
    required = [k for k, needed in _PERIOD_KEYS.items() if needed]
    check_keys(data, _PERIOD_KEYS, problems, required=required)

    per = str(data.get("period", ""))
    if "period" in data and not PERIOD_RE.match(per):
        problems.append(f"period: {per!r} är inte en period på formen ÅÅÅÅ-MM")
    if period is not None and PERIOD_RE.match(per) and per != period:
        problems.append(f"period: filen gäller {per}, men körningen avser {period}")

    rtype = data.get("rapporttyp")
    if rtype is not None and rtype not in REPORT_TYPES:
        problems.append(f"rapporttyp: {rtype!r} ska vara en av {', '.join(REPORT_TYPES)}")

    kommun = data.get("kommun") or {}
    if "kommun" in data and (
        not isinstance(kommun, dict) or not re.fullmatch(r"\d{4}", str(kommun.get("kod", "")))
    ):
        problems.append("kommun: ska ha kod (fyra siffror) och namn")
        kommun = {}

    base = path.parent
    structure = base / str(data.get("rapportstruktur", ""))
    if "rapportstruktur" in data and not structure.is_file():
        problems.append(f"rapportstruktur: filen {structure} finns inte")
    comments = None
    if data.get("kommentarer"):
        comments = base / str(data["kommentarer"])
        if not comments.is_file():
            problems.append(f"kommentarer: filen {comments} finns inte")

    prev = data.get("foregaende_prognos")
    if prev is not None:
        prev = str(prev)
        if not PERIOD_RE.match(prev):
            problems.append(f"foregaende_prognos: {prev!r} är inte en period på formen ÅÅÅÅ-MM")
        elif PERIOD_RE.match(per) and prev >= per:
            problems.append(f"foregaende_prognos: {prev} ska ligga före perioden {per}")

    optional_files: dict[str, Path | None] = {}
    for key in ("kodomlaggning", "atgardsplan", "kodnamn"):
        optional_files[key] = None
        if data.get(key):
            optional_files[key] = base / str(data[key])
            if not optional_files[key].is_file():
                problems.append(f"{key}: filen {optional_files[key]} finns inte")
    unit = data.get("enhet") or ("tkr" if rtype == "arsbokslut" else "mnkr")
    if unit not in UNITS:
        problems.append(f"enhet: {unit!r} ska vara en av {', '.join(UNITS)}")

    notebooks = data.get("rapporter") or []
    if not isinstance(notebooks, list) or not notebooks:
        problems.append("rapporter: ska vara en lista med minst en rapport")
        notebooks = []
    for name in sorted({n for n in notebooks if notebooks.count(n) > 1}, key=str):
        problems.append(f"rapporter: {name!r} anges {notebooks.count(name)} gånger")
    for name in notebooks:
        if name not in KNOWN_NOTEBOOKS:
            problems.append(
                f"rapporter: okänd rapport {name!r} (finns: {', '.join(KNOWN_NOTEBOOKS)})"
            )

    if problems:
        raise ParamsError(path, problems)
    return PeriodParams(
        path=path,
        period=per,
        report_type=rtype,
        title=str(data.get("rubrik") or per),
        municipality_code=str(kommun["kod"]),
        municipality_name=str(kommun.get("namn", "")),
        committee=str(data["namnd"]),
        structure_file=structure,
        budget_version=str(data["budgetversion"]),
        previous_forecast=prev,
        comments_file=comments,
        notebooks=tuple(notebooks),
        unit=unit,
        code_map_file=optional_files["kodomlaggning"],
        action_plan_file=optional_files["atgardsplan"],
        code_names_file=optional_files["kodnamn"],
        raw=data,
    )


# --------------------------------------------------------------------------- code mapping


@dataclass(frozen=True)
class CodeMap:
    """Old → new code prefixes per dimension, from a reorganisation (params/kodomlaggning.yaml)."""

    path: Path | None
    prefixes: dict[str, dict[str, str]]
    valid_through: int | None = None

    @property
    def is_empty(self) -> bool:
        return not any(self.prefixes.values())


def load_code_map(path: Path | str) -> CodeMap:
    path = Path(path)
    data = _read_yaml(path) or {}
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ParamsError(path, ["filen ska innehålla ansvar:/verksamhet:/konto: med prefix"])
    prefixes: dict[str, dict[str, str]] = {}
    for key, value in data.items():
        if key == "galler_till_och_med":
            if not re.fullmatch(r"\d{4}", str(value)):
                problems.append(f"galler_till_och_med: {value!r} ska vara ett årtal")
            continue
        if key not in FILTER_DIMENSIONS:
            problems.append(f"okänd nyckel {key!r} (tillåtna: {', '.join(FILTER_DIMENSIONS)})")
            continue
        if not isinstance(value, dict):
            problems.append(f"{key}: ska vara gammalt prefix: nytt prefix")
            continue
        pairs = {str(k): str(v) for k, v in value.items()}
        bad = [k for k, v in pairs.items() if not (k.isdigit() and v.isdigit())]
        if bad:
            problems.append(f"{key}: prefix ska vara siffror (citera dem): {bad}")
        prefixes[key] = pairs
    if problems:
        raise ParamsError(path, problems)
    through = data.get("galler_till_och_med")
    return CodeMap(path, prefixes, int(through) if through is not None else None)


# --------------------------------------------------------------------------- code names


@dataclass(frozen=True)
class CodeNames:
    """Names of codes or code prefixes per dimension (params/kodnamn.yaml)."""

    names: dict[str, dict[str, str]]

    def name(self, dim: str, code: str) -> str:
        """The name of the longest matching prefix, or "" when none matches."""
        table = self.names.get(dim, {})
        for end in range(len(code), 0, -1):
            if code[:end] in table:
                return table[code[:end]]
        return ""

    def label(self, dim: str, code: str) -> str:
        name = self.name(dim, code)
        return f"{code} {name}" if name else code


def load_code_names(path: Path | str | None) -> CodeNames:
    if path is None:
        return CodeNames({})
    path = Path(path)
    data = _read_yaml(path) or {}
    problems: list[str] = []
    check_keys(data, FILTER_DIMENSIONS, problems)
    names = {}
    for dim in FILTER_DIMENSIONS:
        table = data.get(dim) or {}
        bad = [k for k in table if not str(k).isdigit()]
        if bad:
            problems.append(f"{dim}: koder ska vara siffror (citera dem): {bad}")
        names[dim] = {str(k): str(v) for k, v in table.items()}
    if problems:
        raise ParamsError(path, problems)
    return CodeNames(names)


# --------------------------------------------------------------------------- report structure


@dataclass(frozen=True)
class CodeFilter:
    """Prefix filters per code dimension; a line matches when every listed dimension matches."""

    include: dict[str, tuple[str, ...]]
    exclude: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportRow:
    id: str
    label: str
    filter: CodeFilter | None = None
    sum_of: tuple[str, ...] = ()
    precedence: int = 100
    own_units: bool = False
    is_total: bool = False
    subrows: tuple[ReportRow, ...] = ()

    @property
    def is_sum(self) -> bool:
        return bool(self.sum_of)


LEVEL = "_niva"  # row kind for display: rad | summa | total | varav; never exported
UNCLASSIFIED_ID = "ej_klassificerat"
UNCLASSIFIED_LABEL = "Ej klassificerat"


@dataclass(frozen=True)
class ReportStructure:
    """The rows of a driftsammandrag, in display order."""

    path: Path
    name: str
    rows: tuple[ReportRow, ...]
    unclassified_in: str

    @property
    def leaf_rows(self) -> list[ReportRow]:
        return [r for r in self.rows if r.filter is not None]

    def row(self, row_id: str) -> ReportRow:
        for r in self.rows:
            if r.id == row_id:
                return r
        raise KeyError(row_id)


_ROW_KEYS = {"id", "rad", "filter", "utom", "summa", "forrang", "egen_regi", "total", "varav"}
_STRUCT_KEYS = {"namn", "rader", "oklassificerat_i"}


def _parse_filter(value: Any, where: str, problems: list[str]) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict) or not value:
        problems.append(f"{where}: ska vara t.ex. {{verksamhet: ['569']}}")
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for dim, codes in value.items():
        if dim not in FILTER_DIMENSIONS:
            problems.append(
                f"{where}: okänd dimension {dim!r} (tillåtna: verksamhet, ansvar, konto)"
            )
            continue
        codes = codes if isinstance(codes, list) else [codes]
        bad = [c for c in codes if not re.fullmatch(r"\d+", str(c))]
        if bad:
            problems.append(f"{where}.{dim}: koder ska vara siffror (citera dem), fick {bad}")
        out[dim] = tuple(str(c) for c in codes)
    return out


def _parse_row(
    item: Any, where: str, problems: list[str], *, sub: bool = False
) -> ReportRow | None:
    if not isinstance(item, dict):
        problems.append(f"{where}: ska vara en rad med id och rad")
        return None
    if check_keys(item, sorted(_ROW_KEYS), problems, where=where, required=("id", "rad")):
        return None
    where = f"{where} ({item['id']})"
    has_filter, has_sum = "filter" in item, "summa" in item
    if has_filter == has_sum and not sub:
        problems.append(f"{where}: ange antingen filter eller summa")
    if sub and not has_filter:
        problems.append(f"{where}: en varav-rad behöver filter")
    flt = None
    if has_filter:
        include = _parse_filter(item["filter"], f"{where}.filter", problems)
        exclude = _parse_filter(item["utom"], f"{where}.utom", problems) if "utom" in item else {}
        flt = CodeFilter(include, exclude)
    subrows = tuple(
        r
        for i, s in enumerate(item.get("varav") or [])
        if (r := _parse_row(s, f"{where}.varav[{i}]", problems, sub=True)) is not None
    )
    return ReportRow(
        id=str(item["id"]),
        label=str(item["rad"]),
        filter=flt,
        sum_of=tuple(str(x) for x in item.get("summa") or ()),
        precedence=int(item.get("forrang", 100)),
        own_units=bool(item.get("egen_regi", False)),
        is_total=bool(item.get("total", False)),
        subrows=subrows,
    )


def load_structure(path: Path | str) -> ReportStructure:
    """Read and validate a report-structure YAML (see params/rapportstruktur_2024.yaml)."""
    path = Path(path)
    data = _read_yaml(path)
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("rader"), list):
        raise ParamsError(path, ["filen ska ha en lista `rader`"])
    check_keys(data, sorted(_STRUCT_KEYS), problems)
    rows = [
        r
        for i, item in enumerate(data["rader"])
        if (r := _parse_row(item, f"rader[{i}]", problems)) is not None
    ]
    ids = [r.id for r in rows] + [s.id for r in rows for s in r.subrows]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        problems.append(f"rad-id förekommer flera gånger: {dupes}")
    known = {r.id for r in rows}
    seen: set[str] = set()
    for r in rows:
        for part in r.sum_of:
            if part not in known:
                problems.append(f"{r.id}: summa av okänd rad {part!r}")
            elif part not in seen:
                problems.append(f"{r.id}: summerar {part!r} som står längre ned")
        seen.add(r.id)
    unclassified_in = str(data.get("oklassificerat_i", ""))
    if unclassified_in not in {r.id for r in rows if r.is_sum}:
        problems.append(f"oklassificerat_i: {unclassified_in!r} ska vara id för en summarad")
    if sum(r.is_total for r in rows) != 1:
        problems.append("exakt en rad ska ha total: true (totalraden)")
    if problems:
        raise ParamsError(path, problems)
    return ReportStructure(
        path=path,
        name=str(data.get("namn", path.stem)),
        rows=tuple(rows),
        unclassified_in=unclassified_in,
    )
