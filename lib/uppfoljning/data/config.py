"""Parameters and report structure from `params/`, validated before anything runs.

Validation collects every problem and fails once, so a controller fixing a parameter file sees
the whole list instead of one error per run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from uppfoljning.data.params.base import PERIOD_RE, validate
from uppfoljning.data.params.files import (  # the allowed values live with the models
    FILTER_DIMENSIONS,
    CodeMapFile,
    CodeNamesFile,
    PeriodFile,
    RowModel,
    StructureFile,
)
from uppfoljning.data.params.files import KNOWN_NOTEBOOKS as KNOWN_NOTEBOOKS
from uppfoljning.data.params.files import REPORT_TYPES as REPORT_TYPES
from uppfoljning.data.params.files import UNITS as UNITS


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
        # The nearest params/ wins (a municipality's project inside a checkout is its own);
        # the package's own link lib/uppfoljning/params is not a project.
        if (candidate / "params").is_dir() and not (candidate / "__init__.py").is_file():
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


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last).

    On libyaml's parser where PyYAML has it (its wheels do): the same documents and marks,
    ten times as fast, which an unchanged re-run reading every params file notices."""


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
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


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
    document_file: Path | None = None
    case_number: str | None = None
    date: str | None = None
    drafts_allowed: bool = False
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


def load_period_params(path: Path | str, *, period: str | None = None) -> PeriodParams:
    """Read and validate a period's YAML; every problem is collected into one ParamsError."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(path, ["filen finns inte"])
    data = read_yaml(path)
    model, problems = validate(PeriodFile, data)
    if isinstance(data, dict):
        problems += _period_relations(data, path.parent, period)
    if problems or model is None:
        raise ParamsError(path, problems)
    base = path.parent
    files = {
        key: base / value if (value := getattr(model, key)) else None
        for key in ("kommentarer", "kodomlaggning", "atgardsplan", "kodnamn", "dokument")
    }
    return PeriodParams(
        path=path,
        period=model.period,
        report_type=model.rapporttyp,
        title=model.rubrik or model.period,
        municipality_code=model.kommun.kod,
        municipality_name=model.kommun.namn,
        committee=model.namnd,
        structure_file=base / model.rapportstruktur,
        budget_version=model.budgetversion,
        previous_forecast=model.foregaende_prognos,
        comments_file=files["kommentarer"],
        notebooks=model.rapporter,
        unit=model.enhet or ("tkr" if model.rapporttyp == "arsbokslut" else "mnkr"),
        code_map_file=files["kodomlaggning"],
        action_plan_file=files["atgardsplan"],
        code_names_file=files["kodnamn"],
        document_file=files["dokument"],
        case_number=model.diarienummer,
        date=model.datum,
        drafts_allowed=model.utkast,
        raw=data,
    )


def _is_text(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _period_relations(data: dict, base: Path, period: str | None) -> list[str]:
    """What the model cannot see: the run's period, the order of periods, files on disk."""
    problems: list[str] = []
    per = str(data.get("period", ""))
    if period is not None and PERIOD_RE.match(per) and per != period:
        problems.append(f"period: filen gäller {per}, men körningen avser {period}")
    prev = str(data.get("foregaende_prognos"))
    if PERIOD_RE.match(prev) and PERIOD_RE.match(per) and prev >= per:
        problems.append(f"foregaende_prognos: {prev} ska ligga före perioden {per}")
    for key in (
        "rapportstruktur",
        "kommentarer",
        "kodomlaggning",
        "atgardsplan",
        "kodnamn",
        "dokument",
    ):
        value = data.get(key)
        given = key in data if key == "rapportstruktur" else bool(value)
        if given and _is_text(value) and not (base / str(value)).is_file():
            problems.append(f"{key}: filen {base / str(value)} finns inte")
    notebooks = data.get("rapporter")
    names = [n for n in notebooks if isinstance(n, str)] if isinstance(notebooks, list) else []
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"rapporter: {name!r} anges {names.count(name)} gånger")
    return problems


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
    data = read_yaml(path) or {}
    model, problems = validate(CodeMapFile, data)
    if problems or model is None:
        raise ParamsError(path, problems)
    prefixes = {
        key: pairs for key in data if key in FILTER_DIMENSIONS and (pairs := getattr(model, key))
    }
    return CodeMap(path, prefixes, model.galler_till_och_med)


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
    data = read_yaml(path) or {}
    model, problems = validate(CodeNamesFile, data)
    if problems or model is None:
        raise ParamsError(path, problems)
    return CodeNames({dim: dict(getattr(model, dim) or {}) for dim in FILTER_DIMENSIONS})


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


def _filter(model: Any, raw: dict) -> dict[str, tuple[str, ...]]:
    """The validated prefixes, in the order the file lists the dimensions."""
    return {dim: getattr(model, dim) for dim in raw if getattr(model, dim) is not None}


def _row(model: RowModel, raw: dict) -> ReportRow:
    flt = None
    if model.filter is not None:
        exclude = _filter(model.utom, raw["utom"]) if model.utom is not None else {}
        flt = CodeFilter(_filter(model.filter, raw["filter"]), exclude)
    return ReportRow(
        id=model.id,
        label=model.rad,
        filter=flt,
        sum_of=model.summa or (),
        precedence=model.forrang,
        own_units=model.egen_regi,
        is_total=model.total,
        subrows=tuple(map(_row, model.varav or (), raw.get("varav") or ())),
    )


def _structure_relations(items: list) -> list[str]:
    """Between rows: filter or sum, unique ids, sums of rows above, one total row."""
    problems: list[str] = []
    rows = [(i, r) for i, r in enumerate(items) if isinstance(r, dict) and "id" in r]
    ids: list[str] = []
    for i, row in rows:
        where = f"rader[{i}] ({row['id']})"
        if (row.get("filter") is None) == (row.get("summa") is None):
            problems.append(f"{where}: ange antingen filter eller summa")
        ids.append(str(row["id"]))
        subs = row.get("varav") if isinstance(row.get("varav"), list) else []
        for j, sub in enumerate(subs):
            if isinstance(sub, dict) and "id" in sub:
                if sub.get("filter") is None:
                    sub_where = f"{where}.varav[{j}] ({sub['id']})"
                    problems.append(f"{sub_where}: en varav-rad behöver filter")
                ids.append(str(sub["id"]))
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        problems.append(f"rad-id förekommer flera gånger: {dupes}")
    known = {str(r["id"]) for _, r in rows}
    seen: set[str] = set()
    for _, row in rows:
        parts = row.get("summa") if isinstance(row.get("summa"), list) else []
        for part in map(str, parts):
            if part not in known:
                problems.append(f"{row['id']}: summa av okänd rad {part!r}")
            elif part not in seen:
                problems.append(f"{row['id']}: summerar {part!r} som står längre ned")
        seen.add(str(row["id"]))
    if sum(r.get("total") is True for _, r in rows) != 1:
        problems.append("exakt en rad ska ha total: true (totalraden)")
    return problems


def load_structure(path: Path | str) -> ReportStructure:
    """Read and validate a report-structure YAML (see params/rapportstruktur_2024.yaml)."""
    path = Path(path)
    data = read_yaml(path)
    model, problems = validate(StructureFile, data)
    items = data.get("rader") if isinstance(data, dict) else None
    if isinstance(items, list):
        problems += _structure_relations(items)
        sums = {str(r["id"]) for r in items if isinstance(r, dict) and "id" in r and r.get("summa")}
        unclassified = data.get("oklassificerat_i")
        if unclassified is not None and str(unclassified) not in sums:
            problems.append(f"oklassificerat_i: {str(unclassified)!r} ska vara id för en summarad")
    if problems or model is None:
        raise ParamsError(path, problems)
    return ReportStructure(
        path=path,
        name=model.namn if model.namn is not None else path.stem,
        rows=tuple(_row(r, raw) for r, raw in zip(model.rader, items, strict=True)),
        unclassified_in=model.oklassificerat_i,
    )
