"""The peer-group catalogue ``params/jamforelsegrupper.yaml``: what is compared with whom.

Why its own module: the catalogue is the municipality's choice (peer group, key figures, their
roles and goals), read and validated once; the analyses (:mod:`uppfoljning.peers.r9`) and the
report take the validated :class:`R9Config` and never look at the YAML. Every problem in the file
is collected and reported together, in Swedish, with its place in the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uppfoljning.data.config import ParamsError, parse_period, project_root, read_yaml
from uppfoljning.data.params import validate
from uppfoljning.data.params.domains import POPULATION_BASES as POPULATION_BASES  # r9 uses them
from uppfoljning.data.params.domains import PeerGroupsFile, PeerMunicipalityModel

CONFIG_FILE = "jamforelsegrupper.yaml"

GOAL_CONDITIONS = {
    "lika_eller_lagre_an_snitt": "Samma eller lägre än {group}-snitt",
    "lika_eller_hogre_an_snitt": "Samma eller högre än {group}-snitt",
}


class ConfigError(ParamsError):
    """The peer-group YAML is invalid; ``problems`` lists every problem, in Swedish."""


# --------------------------------------------------------------------------- roles


@dataclass(frozen=True)
class Role:
    """What the report uses a key figure for, and what Kolada's title must then say.

    ``required``: (regex, the word in Swedish) the title must contain; ``excluded``: terms it
    must not contain (a part must not be the total). Titles are compared case-insensitively with
    dashes normalised, so "familje- och HVB" satisfies "familje".
    """

    description: str
    required: tuple[tuple[str, str], ...] = ()
    excluded: tuple[tuple[str, str], ...] = ()

    def conflict(self, title: str) -> str | None:
        """Why ``title`` contradicts the role (Swedish), or None when it fits."""
        text = normalise_title(title)
        missing = [word for pattern, word in self.required if not re.search(pattern, text)]
        present = [word for pattern, word in self.excluded if re.search(pattern, text)]
        reasons = []
        if missing:
            reasons.append("titeln nämner inte " + " eller ".join(missing))
        if present:
            reasons.append("titeln nämner " + " och ".join(present) + ", vilket rollen utesluter")
        return "; ".join(reasons) or None


_PLACED = (r"placera", "placerade")
_HVB = (r"\bhvb\b", "HVB")
_FAMILY = (r"familje", "familjehem")
_COST = (r"kostnad", "kostnad")
_AGE = (r"0-20", "0–20 år")
ROLES: dict[str, Role] = {
    "kostnad_familjehem_och_hvb": Role(
        "kostnad för familjehem och HVB för barn och unga per invånare 0–20 år (hela kostnaden)",
        (_COST, _FAMILY, _HVB, _AGE),
    ),
    "kostnad_hvb": Role(
        "kostnad för HVB för barn och unga per invånare 0–20 år", (_COST, _HVB, _AGE), (_FAMILY,)
    ),
    "kostnad_familjehem": Role(
        "kostnad för familjehem för barn och unga per invånare 0–20 år",
        (_COST, _FAMILY, _AGE),
        (_HVB,),
    ),
    "placerade_hvb_eller_familjehem": Role(
        "placerade barn och unga 0–20 år i HVB eller familjehem (alla placerade)",
        (_PLACED, _HVB, _FAMILY, _AGE),
    ),
    "placerade_hvb": Role(
        "placerade barn och unga 0–20 år i HVB", (_PLACED, _HVB, _AGE), (_FAMILY,)
    ),
    "placerade_familjehem": Role(
        "placerade barn och unga 0–20 år i familjehem", (_PLACED, _FAMILY, _AGE), (_HVB,)
    ),
    "invanare_totalt": Role(
        "invånare totalt",
        ((r"invånare", "invånare"), (r"totalt", "totalt")),
        ((r"andel", "andel"),),
    ),
    "andel_0_20": Role(
        "andel invånare 0–20 år (%)", ((r"invånare", "invånare"), _AGE, (r"andel", "andel"))
    ),
}
"""Roles a key figure can have in ``params/jamforelsegrupper.yaml`` (``roll``)."""
DECOMPOSITION_ROLES = {
    "kostnad": "kostnad_familjehem_och_hvb",
    "placerade": "placerade_hvb_eller_familjehem",
}
"""The role each input of the decomposition must have."""


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str


@dataclass(frozen=True)
class PeerGroup:
    key: str
    name: str
    short_name: str
    kolada_id: str | None
    members: tuple[Municipality, ...]
    mean_includes_own: bool


@dataclass(frozen=True)
class Kpi:
    id: str
    label: str
    unit: str
    population: str | None
    goal: str | None
    part_of: str | None
    kolada_title: str | None = None
    """Kolada's title as recorded (see the YAML's header); None = not checked."""
    role: str | None = None
    """Key of :data:`ROLES`, or None."""


@dataclass(frozen=True)
class Decomposition:
    cost_kpi: str
    placements_kpi: str


@dataclass(frozen=True)
class R9Config:
    """Validated contents of ``params/jamforelsegrupper.yaml``."""

    municipality: Municipality
    group: PeerGroup
    groups: Mapping[str, PeerGroup]
    first_year: int
    population_total_kpi: str
    population_share_0_20_kpi: str
    kpis: tuple[Kpi, ...]
    decomposition: Decomposition | None

    @property
    def kpi_ids(self) -> list[str]:
        return [k.id for k in self.kpis]

    @property
    def roles(self) -> dict[str, str]:
        """KPI id → role, for every KPI with one (the population KPIs always have theirs)."""
        roles = {k.id: k.role for k in self.kpis if k.role}
        roles[self.population_total_kpi] = "invanare_totalt"
        roles[self.population_share_0_20_kpi] = "andel_0_20"
        return roles

    def kpi(self, kpi_id: str) -> Kpi:
        for k in self.kpis:
            if k.id == kpi_id:
                return k
        raise KeyError(kpi_id)

    def label(self, kpi_id: str) -> str:
        return self.kpi(kpi_id).label

    def goal_text(self, kpi_id: str) -> str | None:
        goal = self.kpi(kpi_id).goal
        return GOAL_CONDITIONS[goal].format(group=self.group.short_name) if goal else None

    @property
    def comparison_codes(self) -> list[str]:
        """The members plus the own municipality (if not a member): the set that is ranked."""
        codes = [m.code for m in self.group.members]
        if self.municipality.code not in codes:
            codes.append(self.municipality.code)
        return codes

    @property
    def mean_codes(self) -> list[str]:
        """Municipalities the peer mean is taken over."""
        codes = [m.code for m in self.group.members]
        if not self.group.mean_includes_own:
            codes = [c for c in codes if c != self.municipality.code]
        return codes

    @property
    def names(self) -> dict[str, str]:
        names = {m.code: m.name for m in self.group.members}
        names.setdefault(self.municipality.code, self.municipality.name)
        names[self.group.short_name] = f"{self.group.short_name}-snitt"
        if self.group.kolada_id:
            names[self.group.kolada_id] = f"{self.group.name} (Koladas snitt)"
        return names


def default_config_path(start: Path | None = None) -> Path:
    """``params/jamforelsegrupper.yaml`` in the project (``config.project_root``)."""
    return project_root(start) / "params" / CONFIG_FILE


def _relations(raw: Any) -> list[str]:
    """What the model cannot see: the chosen group exists, members and key figures are given
    once, `del_av` and the decomposition name key figures of the file, with the right roles."""
    if not isinstance(raw, dict):
        return []
    errors: list[str] = []
    groups = raw.get("grupper") if isinstance(raw.get("grupper"), dict) else {}
    for key, group in groups.items():
        members = group.get("medlemmar") if isinstance(group, dict) else None
        codes = [str(m["kod"]) for m in _dicts(members) if m.get("kod") is not None]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            errors.append(f"grupper.{key}.medlemmar: dubbletter {', '.join(duplicates)}.")
    chosen = raw.get("jamforelsegrupp")
    if "jamforelsegrupp" in raw and str(chosen) not in {str(k) for k in groups}:
        errors.append(f"jamforelsegrupp: {chosen!r} finns inte under grupper.")
    kpis = [k for k in _dicts(raw.get("nyckeltal")) if "id" in k]
    ids = [str(k["id"]) for k in kpis]
    duplicates = sorted({k for k in ids if ids.count(k) > 1})
    if duplicates:
        errors.append(f"nyckeltal: dubbletter {', '.join(duplicates)}.")
    for kpi in kpis:
        part_of = kpi.get("del_av")
        if part_of is not None and str(part_of) not in ids:
            errors.append(f"nyckeltal {kpi['id']}.del_av: {part_of} finns inte bland nyckeltalen.")
    decomposition = raw.get("nedbrytning")
    roles = {str(k["id"]): k.get("roll") for k in kpis}
    for key, role in DECOMPOSITION_ROLES.items() if isinstance(decomposition, dict) else ():
        if key not in decomposition:
            continue
        kpi = decomposition[key]
        if str(kpi) not in ids:
            errors.append(f"nedbrytning.{key}: {kpi!r} finns inte bland nyckeltalen.")
        elif roles[str(kpi)] != role:
            errors.append(
                f"nedbrytning.{key}: {kpi} ska ha roll {role} ({ROLES[role].description}), har "
                f"{roles[str(kpi)] if roles[str(kpi)] in ROLES else 'ingen roll'}."
            )
    return errors


def _dicts(items: Any) -> list[dict]:
    """The mappings of a list in the file (nothing when it is not a list)."""
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _municipality(model: PeerMunicipalityModel) -> Municipality:
    return Municipality(model.kod, model.namn)


def parse_config(raw: Any, source: str = CONFIG_FILE) -> R9Config:
    """Validate the YAML's contents with its model (`PeerGroupsFile`) and the relations between
    its values; collect every problem and raise one :class:`ConfigError`."""
    unknown: list[str] = []
    model, errors = validate(PeerGroupsFile, raw, unknown=unknown)
    errors += _relations(raw)
    if unknown:
        errors.insert(0, "okända nycklar: " + ", ".join(unknown) + ".")
    if errors or model is None:
        raise ConfigError(source, errors)
    groups = {
        key: PeerGroup(
            key=key,
            name=group.namn,
            short_name=group.kortnamn,
            kolada_id=group.kolada_id,
            members=tuple(map(_municipality, group.medlemmar)),
            mean_includes_own=group.snitt_inkluderar_egen_kommun,
        )
        for key, group in model.grupper.items()
    }
    kpis = tuple(
        Kpi(
            id=k.id,
            label=k.rad,
            unit=k.enhet,
            population=k.befolkning,
            goal=k.mal,
            part_of=k.del_av,
            kolada_title=k.kolada_titel,
            role=k.roll,
        )
        for k in model.nyckeltal
    )
    dec = model.nedbrytning
    return R9Config(
        municipality=_municipality(model.kommun),
        group=groups[model.jamforelsegrupp],
        groups=groups,
        first_year=model.forsta_ar,
        population_total_kpi=model.befolkning.totalt,
        population_share_0_20_kpi=model.befolkning.andel_0_20,
        kpis=kpis,
        decomposition=Decomposition(dec.kostnad, dec.placerade) if dec is not None else None,
    )


def load_config(path: Path | str | None = None) -> R9Config:
    """Read and validate the peer-group YAML (default: the project's params/)."""
    path = Path(path) if path is not None else default_config_path()
    try:
        raw = read_yaml(path)  # duplicate keys and bad bytes are errors with their line
    except ParamsError as exc:
        raise ConfigError(path, exc.problems) from exc
    return parse_config(raw, source=str(path))


def report_years(config: R9Config, period: str) -> list[int]:
    """Kolada years a report for ``period`` (ÅÅÅÅ-MM) shows: first_year up to the previous year.

    Kolada publishes a year's cost figures in the spring after it, so the previous year is the
    newest complete one during the reporting year.
    """
    year, _month = parse_period(period)
    return list(range(config.first_year, year))


def normalise_title(text: str) -> str:
    """A title as compared with another: case, dashes and punctuation do not count."""
    text = text.casefold().replace("–", "-").replace("—", "-")
    return re.sub(r"[\s,.()]+", " ", text).strip()
