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

CONFIG_FILE = "jamforelsegrupper.yaml"

POPULATION_BASES = ("totalt", "0-20")
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


def _mapping(
    value: Any,
    where: str,
    allowed: set[str],
    required: set[str],
    errors: list[str],
    unknown: list[str],
) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        errors.append(f"{where}: ska vara en mappning (nyckel: värde).")
        return None
    unknown.extend(f"{where}.{k}" if where else str(k) for k in value if k not in allowed)
    for key in sorted(required - set(value)):
        errors.append(f"{where + '.' if where else ''}{key}: saknas.")
    return value


def _code(value: Any, where: str, errors: list[str]) -> str:
    text = str(value) if value is not None else ""
    if not re.fullmatch(r"\d{4}", text):
        errors.append(f"{where}: kommunkod ska vara fyra siffror inom citattecken, fick {value!r}.")
    return text


def _kpi_id(value: Any, where: str, errors: list[str]) -> str:
    text = str(value) if value is not None else ""
    if not re.fullmatch(r"[A-Z]\d{5}", text):
        errors.append(f"{where}: Kolada-id ska se ut som N33022, fick {value!r}.")
    return text


def _text(value: Any, where: str, errors: list[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.append(f"{where}: ska vara en icke-tom text.")
        return ""
    return value.strip()


def _bool(value: Any, where: str, errors: list[str]) -> bool:
    if not isinstance(value, bool):
        errors.append(f"{where}: ska vara true eller false, fick {value!r}.")
        return False
    return value


def parse_config(raw: Any, source: str = CONFIG_FILE) -> R9Config:
    """Validate the YAML's contents; collect every problem and raise one :class:`ConfigError`."""
    errors: list[str] = []
    unknown: list[str] = []
    top = _mapping(
        raw,
        "",
        {
            "kommun",
            "jamforelsegrupp",
            "forsta_ar",
            "grupper",
            "befolkning",
            "nyckeltal",
            "nedbrytning",
        },
        {"kommun", "jamforelsegrupp", "forsta_ar", "grupper", "befolkning", "nyckeltal"},
        errors,
        unknown,
    )
    if top is None:
        raise ConfigError(source, errors)

    municipality = Municipality("", "")
    own = (
        _mapping(top["kommun"], "kommun", {"kod", "namn"}, {"kod", "namn"}, errors, unknown)
        if "kommun" in top
        else None
    )
    if own is not None and {"kod", "namn"} <= set(own):
        municipality = Municipality(
            _code(own["kod"], "kommun.kod", errors), _text(own["namn"], "kommun.namn", errors)
        )

    groups: dict[str, PeerGroup] = {}
    raw_groups = top.get("grupper", {})
    if "grupper" in top and (not isinstance(raw_groups, dict) or not raw_groups):
        errors.append("grupper: ska vara en mappning med minst en grupp.")
    if not isinstance(raw_groups, dict):
        raw_groups = {}
    group_keys = {"namn", "kortnamn", "kolada_id", "snitt_inkluderar_egen_kommun", "medlemmar"}
    for key, raw_group in raw_groups.items():
        where = f"grupper.{key}"
        group = _mapping(raw_group, where, group_keys, group_keys - {"kolada_id"}, errors, unknown)
        if group is None or not (group_keys - {"kolada_id"}) <= set(group):
            continue
        members = []
        raw_members = group["medlemmar"]
        if not isinstance(raw_members, list) or not raw_members:
            errors.append(f"{where}.medlemmar: ska vara en lista med minst en kommun.")
            raw_members = []
        for i, raw_member in enumerate(raw_members):
            mwhere = f"{where}.medlemmar[{i}]"
            member = _mapping(raw_member, mwhere, {"kod", "namn"}, {"kod", "namn"}, errors, unknown)
            if member is not None and {"kod", "namn"} <= set(member):
                members.append(
                    Municipality(
                        _code(member["kod"], f"{mwhere}.kod", errors),
                        _text(member["namn"], f"{mwhere}.namn", errors),
                    )
                )
        codes = [m.code for m in members]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            errors.append(f"{where}.medlemmar: dubbletter {', '.join(duplicates)}.")
        kolada_id = group.get("kolada_id")
        if kolada_id is not None and not re.fullmatch(r"G\d+", str(kolada_id)):
            errors.append(
                f"{where}.kolada_id: Koladas grupp-id ser ut som G96092, fick {kolada_id!r}."
            )
        groups[str(key)] = PeerGroup(
            key=str(key),
            name=_text(group["namn"], f"{where}.namn", errors),
            short_name=_text(group["kortnamn"], f"{where}.kortnamn", errors),
            kolada_id=str(kolada_id) if kolada_id is not None else None,
            members=tuple(members),
            mean_includes_own=_bool(
                group["snitt_inkluderar_egen_kommun"],
                f"{where}.snitt_inkluderar_egen_kommun",
                errors,
            ),
        )

    chosen = top.get("jamforelsegrupp")
    if "jamforelsegrupp" in top and chosen not in raw_groups:
        errors.append(f"jamforelsegrupp: {chosen!r} finns inte under grupper.")

    first_year = top.get("forsta_ar", 0)
    if "forsta_ar" in top and (not isinstance(first_year, int) or not 1990 <= first_year <= 2100):
        errors.append(f"forsta_ar: ska vara ett årtal, fick {first_year!r}.")

    pop_total = pop_share = ""
    if "befolkning" in top:
        keys = {"totalt", "andel_0_20"}
        population = _mapping(top["befolkning"], "befolkning", keys, keys, errors, unknown)
        if population is not None:
            if "totalt" in population:
                pop_total = _kpi_id(population["totalt"], "befolkning.totalt", errors)
            if "andel_0_20" in population:
                pop_share = _kpi_id(population["andel_0_20"], "befolkning.andel_0_20", errors)

    kpis: list[Kpi] = []
    kpi_keys = {"id", "rad", "enhet", "befolkning", "mal", "kolada_titel", "roll", "del_av"}
    raw_kpis = top.get("nyckeltal", [])
    if "nyckeltal" in top and (not isinstance(raw_kpis, list) or not raw_kpis):
        errors.append("nyckeltal: ska vara en lista med minst ett nyckeltal.")
    if not isinstance(raw_kpis, list):
        raw_kpis = []
    for i, raw_kpi in enumerate(raw_kpis):
        where = f"nyckeltal[{i}]"
        item = _mapping(raw_kpi, where, kpi_keys, {"id", "rad", "enhet"}, errors, unknown)
        if item is None or not {"id", "rad", "enhet"} <= set(item):
            continue
        base = item.get("befolkning")
        if base is not None and base not in POPULATION_BASES:
            errors.append(
                f"{where}.befolkning: ska vara en av {', '.join(POPULATION_BASES)}, fick {base!r}."
            )
        goal = item.get("mal")
        if goal is not None and goal not in GOAL_CONDITIONS:
            errors.append(
                f"{where}.mal: ska vara en av {', '.join(GOAL_CONDITIONS)}, fick {goal!r}."
            )
        role = item.get("roll")
        if role is not None and role not in ROLES:
            errors.append(f"{where}.roll: ska vara en av {', '.join(ROLES)}, fick {role!r}.")
        kolada_title = item.get("kolada_titel")
        if kolada_title is not None:
            kolada_title = _text(kolada_title, f"{where}.kolada_titel", errors)
        kpis.append(
            Kpi(
                id=_kpi_id(item["id"], f"{where}.id", errors),
                label=_text(item["rad"], f"{where}.rad", errors),
                unit=_text(item["enhet"], f"{where}.enhet", errors),
                population=base,
                goal=goal,
                part_of=str(item["del_av"]) if item.get("del_av") is not None else None,
                kolada_title=kolada_title or None,
                role=role if role in ROLES else None,
            )
        )
    ids = [k.id for k in kpis]
    duplicates = sorted({k for k in ids if ids.count(k) > 1})
    if duplicates:
        errors.append(f"nyckeltal: dubbletter {', '.join(duplicates)}.")
    for k in kpis:
        if k.part_of is not None and k.part_of not in ids:
            errors.append(f"nyckeltal {k.id}.del_av: {k.part_of} finns inte bland nyckeltalen.")

    decomposition = None
    if "nedbrytning" in top:
        dec = _mapping(
            top["nedbrytning"],
            "nedbrytning",
            {"kostnad", "placerade"},
            {"kostnad", "placerade"},
            errors,
            unknown,
        )
        if dec is not None and {"kostnad", "placerade"} <= set(dec):
            by_id = {k.id: k for k in kpis}
            for key in ("kostnad", "placerade"):
                if dec[key] not in ids:
                    errors.append(f"nedbrytning.{key}: {dec[key]!r} finns inte bland nyckeltalen.")
                elif by_id[dec[key]].role != DECOMPOSITION_ROLES[key]:
                    errors.append(
                        f"nedbrytning.{key}: {dec[key]} ska ha roll {DECOMPOSITION_ROLES[key]} "
                        f"({ROLES[DECOMPOSITION_ROLES[key]].description}), har "
                        f"{by_id[dec[key]].role or 'ingen roll'}."
                    )
            decomposition = Decomposition(str(dec["kostnad"]), str(dec["placerade"]))

    if unknown:
        errors.insert(0, "okända nycklar: " + ", ".join(unknown) + ".")
    if errors:
        raise ConfigError(source, errors)
    return R9Config(
        municipality=municipality,
        group=groups[chosen],
        groups=groups,
        first_year=first_year,
        population_total_kpi=pop_total,
        population_share_0_20_kpi=pop_share,
        kpis=tuple(kpis),
        decomposition=decomposition,
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
