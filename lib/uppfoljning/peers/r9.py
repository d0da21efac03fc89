"""R9 comparisons: peer-group configuration and analyses of Kolada key figures.

The committee's goals say cost per inhabitant shall be "samma eller lägre än R9-snitt", so the
report needs the peers' values, an unweighted peer mean (as Kolada computes group means) with
Kolada's own group value beside it as a cross-check, the gap in kr/inv, % and mnkr, rank, goal
status, and an explanation of the placement-cost gap. Every function takes the tidy frame from
:meth:`uppfoljning.peers.kolada.KoladaClient.data` and returns a DataFrame with English column ids;
Swedish column headers are applied when formatting.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from uppfoljning.data.config import ParamsError, parse_period, project_root, read_yaml
from uppfoljning.peers import kolada

CONFIG_FILE = "jamforelsegrupper.yaml"
TABLE_ID = "r9_jamforelse"
TABLE_COLUMNS = ["rad", "kpi", "ar", "kommun", "varde"]

SOURCE_RAW = "Källa: Kolada"
SOURCE_DERIVED = "Egen bearbetning av data från Kolada"
SOURCES = {"raw": SOURCE_RAW, "derived": SOURCE_DERIVED}
"""Kolada's terms ask that derived figures (means, gaps, ranks) are labelled as our own work."""

GOAL_MET = "Uppfyllt"
GOAL_NOT_MET = "Ej uppfyllt"
GOAL_NO_DATA = "Uppgift saknas"

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
        text = _normalise_title(title)
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


def default_cache_dir(start: Path | None = None) -> Path:
    """The project's Kolada cache, ``data/raw/kolada/``."""
    return project_root(start) / kolada.DEFAULT_CACHE_DIR


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


# --------------------------------------------------------------------------- Kolada requests


def kolada_request(config: R9Config, years: Iterable[int]) -> dict[str, Any]:
    """Arguments for :func:`uppfoljning.peers.kolada.refresh`: everything the report reads."""
    municipalities = list(config.comparison_codes)
    groups: list[str] = []
    if config.group.kolada_id:
        municipalities.append(config.group.kolada_id)
        groups.append(config.group.kolada_id)
    return {
        "kpis": [*config.kpi_ids, config.population_total_kpi, config.population_share_0_20_kpi],
        "municipalities": municipalities,
        "years": sorted({int(y) for y in years}),
        "groups": groups,
    }


def refresh_kolada(
    cache_dir: Path | str, config: R9Config, years: Iterable[int], **kwargs: Any
) -> kolada.RefreshResult:
    """Refresh the Kolada cache with exactly the requests the R9 report makes (needs network)."""
    return kolada.refresh(cache_dir, **kolada_request(config, years), **kwargs)


@dataclass(frozen=True)
class KoladaBundle:
    """Everything the R9 notebook reads from Kolada, plus how old and how real it is."""

    data: pd.DataFrame
    kpi_metadata: pd.DataFrame
    group: kolada.MunicipalityGroup | None
    fetched_at: datetime | None
    demo: bool
    note: str


def load_kolada(
    config: R9Config,
    years: Iterable[int],
    cache_dir: Path | str | None = None,
    *,
    mode: kolada.Mode = "offline",
    transport: kolada.Transport | None = None,
) -> KoladaBundle:
    """Load the report's Kolada data, offline from the project's cache by default.

    Raises :class:`uppfoljning.peers.kolada.KoladaCacheMissError` naming the first missing request.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    request = kolada_request(config, years)
    client = kolada.KoladaClient(cache_dir, mode=mode, transport=transport)
    meta = client.kpi_metadata(request["kpis"])
    group = client.municipality_group(request["groups"][0]) if request["groups"] else None
    data = client.data(request["kpis"], request["municipalities"], request["years"])
    return KoladaBundle(
        data=data,
        kpi_metadata=meta,
        group=group,
        fetched_at=kolada.cache_fetched_at(cache_dir),
        demo=kolada.is_demo_cache(cache_dir),
        note=kolada.cache_note(cache_dir),
    )


# --------------------------------------------------------------------------- checks and notes


def _normalise_title(text: str) -> str:
    text = text.casefold().replace("–", "-").replace("—", "-")
    return re.sub(r"[\s,.()]+", " ", text).strip()


def _titles(kpi_metadata: pd.DataFrame) -> dict[str, str]:
    return {
        str(i): str(t) if isinstance(t, str) else ""
        for i, t in zip(kpi_metadata["id"], kpi_metadata["title"], strict=True)
    }


def title_mismatches(config: R9Config, kpi_metadata: pd.DataFrame) -> list[str]:
    """Swedish notes where Kolada's title (in the cached metadata) is not the recorded one.

    For a KPI without ``kolada_titel`` the report's own label is compared instead, so the note
    shows Kolada's title for someone to check and record.
    """
    titles = _titles(kpi_metadata)
    notes = []
    for k in config.kpis:
        title = titles.get(k.id)
        if not title:
            continue
        if k.kolada_title is None:
            if _normalise_title(title) != _normalise_title(k.label):
                notes.append(
                    f"{k.id}: rapporten kallar nyckeltalet ”{k.label}”, Kolada ”{title}” "
                    f"(ingen kolada_titel i params/{CONFIG_FILE})."
                )
        elif _normalise_title(title) != _normalise_title(k.kolada_title):
            notes.append(
                f"{k.id}: Koladas titel är nu ”{title}”, params/{CONFIG_FILE} anger "
                f"”{k.kolada_title}”; kontrollera att nyckeltalet fortfarande mäter samma sak."
            )
    return notes


@dataclass(frozen=True)
class RoleConflict:
    """A KPI whose Kolada title contradicts the role the catalogue gives it."""

    kpi: str
    title: str
    role: str
    reason: str

    @property
    def text(self) -> str:
        """The conflict in Swedish: KPI id, Kolada's title, the expected role and why."""
        title = f"Koladas titel är ”{self.title}”" if self.title else "Kolada anger ingen titel"
        return (
            f"{self.kpi}: {title}, men params/{CONFIG_FILE} använder nyckeltalet som "
            f"{ROLES[self.role].description} ({self.reason})."
        )


def role_conflicts(config: R9Config, kpi_metadata: pd.DataFrame) -> list[RoleConflict]:
    """Every KPI with a role whose title in ``kpi_metadata`` (Kolada's) contradicts the role."""
    titles = _titles(kpi_metadata)
    out = []
    for kpi_id, role in config.roles.items():
        title = titles.get(kpi_id, "")
        reason = ROLES[role].conflict(title) if title else "titel saknas i Koladas metadata"
        if reason:
            out.append(RoleConflict(kpi_id, title, role, reason))
    return out


def decomposition_conflicts(config: R9Config, kpi_metadata: pd.DataFrame) -> list[RoleConflict]:
    """Role conflicts among the decomposition's inputs (cost, placements, population)."""
    dec = config.decomposition
    if dec is None:
        return []
    inputs = {
        dec.cost_kpi,
        dec.placements_kpi,
        config.population_total_kpi,
        config.population_share_0_20_kpi,
    }
    return [c for c in role_conflicts(config, kpi_metadata) if c.kpi in inputs]


class DecompositionRefusedError(ValueError):
    """Kolada's titles contradict the roles of the decomposition's inputs (see ``conflicts``)."""

    def __init__(self, conflicts: Sequence[RoleConflict]) -> None:
        self.conflicts = list(conflicts)
        super().__init__(" ".join(c.text for c in self.conflicts))


def membership_differences(config: R9Config, group: kolada.MunicipalityGroup | None) -> list[str]:
    """Swedish notes where the configured members differ from Kolada's group."""
    if group is None:
        return []
    configured = {m.code for m in config.group.members}
    actual = set(group.member_codes)
    notes = []
    if actual - configured:
        notes.append(
            f"Kolada räknar även {', '.join(sorted(actual - configured))} till "
            f"{group.id}, men inte params/{CONFIG_FILE}."
        )
    if configured - actual:
        notes.append(
            f"params/{CONFIG_FILE} räknar {', '.join(sorted(configured - actual))} till "
            f"gruppen, men inte Kolada ({group.id})."
        )
    return notes


# Kolada's status codes for a missing value, in the report's language.
KOLADA_STATUS_SV = {
    "Missing": "uppgift saknas",
    "Confidential": "sekretess",
    "Not applicable": "ej tillämpligt",
    "NA": "ej tillämpligt",
}


def missing_notes(data: pd.DataFrame, config: R9Config, years: Iterable[int]) -> list[str]:
    """Swedish notes on values Kolada lacks, per KPI and year, with Kolada's status."""
    codes = config.comparison_codes + ([config.group.kolada_id] if config.group.kolada_id else [])
    names = config.names
    total = data[data["gender"] == "T"].set_index(["kpi", "municipality", "year"])
    notes = []
    for k in config.kpis:
        for year in sorted({int(y) for y in years}):
            lacking = []
            for code in codes:
                key = (k.id, code, year)
                if key not in total.index:
                    lacking.append(f"{names.get(code, code)} ({code})")
                elif math.isnan(total.at[key, "value"]):
                    status = KOLADA_STATUS_SV.get(total.at[key, "status"], total.at[key, "status"])
                    lacking.append(f"{names.get(code, code)} ({code}; {status or 'ingen status'})")
            if lacking:
                notes.append(
                    f"Kolada saknar värde för {k.label} ({k.id}) år {year}: "
                    + ", ".join(lacking)
                    + "."
                )
    return notes


# --------------------------------------------------------------------------- analyses


def _kpi_order(config: R9Config) -> dict[str, int]:
    return {kpi_id: i for i, kpi_id in enumerate(config.kpi_ids)}


def _select(
    data: pd.DataFrame, kpis: Sequence[str], codes: Sequence[str], gender: str
) -> pd.DataFrame:
    mask = data["kpi"].isin(kpis) & data["municipality"].isin(codes) & (data["gender"] == gender)
    return data.loc[mask]


def peer_values(data: pd.DataFrame, config: R9Config, gender: str = "T") -> pd.DataFrame:
    """Each peer's value per KPI and year: kpi, year, municipality, name, value, status, is_own."""
    codes = config.comparison_codes
    out = _select(data, config.kpi_ids, codes, gender)[
        ["kpi", "year", "municipality", "value", "status"]
    ].copy()
    out["name"] = out["municipality"].map(config.names)
    out["is_own"] = out["municipality"] == config.municipality.code
    code_order = {c: i for i, c in enumerate(codes)}
    out = out.assign(
        _k=out["kpi"].map(_kpi_order(config)), _m=out["municipality"].map(code_order)
    ).sort_values(["_k", "year", "_m"])
    cols = ["kpi", "year", "municipality", "name", "value", "status", "is_own"]
    return out[cols].reset_index(drop=True)


def peer_means(data: pd.DataFrame, config: R9Config, gender: str = "T") -> pd.DataFrame:
    """Unweighted peer mean beside Kolada's own group value.

    Columns: kpi, year, mean, n (members with a value), n_expected, group_value, group_count,
    group_diff (Kolada's value − ours; ≈0 when the mean includes the own municipality).
    """
    sel = _select(data, config.kpi_ids, config.mean_codes, gender)
    means = sel.groupby(["kpi", "year"], as_index=False).agg(
        mean=("value", "mean"), n=("value", "count")
    )
    if config.group.kolada_id:
        grp = _select(data, config.kpi_ids, [config.group.kolada_id], gender)
        grp = grp[["kpi", "year", "value", "count"]].rename(
            columns={"value": "group_value", "count": "group_count"}
        )
        means = means.merge(grp, on=["kpi", "year"], how="outer")
    else:
        means["group_value"] = np.nan
        means["group_count"] = pd.array([pd.NA] * len(means), dtype="Int64")
    means["n"] = means["n"].fillna(0).astype("int64")
    means["n_expected"] = len(config.mean_codes)
    means["group_diff"] = means["group_value"] - means["mean"]
    means = means.assign(_k=means["kpi"].map(_kpi_order(config))).sort_values(["_k", "year"])
    cols = ["kpi", "year", "mean", "n", "n_expected", "group_value", "group_count", "group_diff"]
    return means[cols].reset_index(drop=True)


def population(data: pd.DataFrame, config: R9Config) -> pd.DataFrame:
    """Inhabitants per municipality and year: municipality, year, total, age_0_20.

    age_0_20 = total × Kolada's 0–20 share / 100 (approximate: the share has one decimal).
    """
    t = data[data["gender"] == "T"]
    total = t[t["kpi"] == config.population_total_kpi][["municipality", "year", "value"]]
    share = t[t["kpi"] == config.population_share_0_20_kpi][["municipality", "year", "value"]]
    out = total.rename(columns={"value": "total"}).merge(
        share.rename(columns={"value": "share_0_20"}), on=["municipality", "year"], how="outer"
    )
    out["age_0_20"] = out["total"] * out["share_0_20"] / 100
    out = out.sort_values(["municipality", "year"]).reset_index(drop=True)
    return out[["municipality", "year", "total", "age_0_20"]]


def _own_population(data: pd.DataFrame, config: R9Config) -> pd.DataFrame:
    pop = population(data, config)
    own = pop[pop["municipality"] == config.municipality.code]
    return own.rename(columns={"total": "totalt", "age_0_20": "0-20"})[["year", "totalt", "0-20"]]


def gaps(data: pd.DataFrame, config: R9Config) -> pd.DataFrame:
    """The own municipality against the peer mean (totals, gender T).

    Columns: kpi, year, own, mean, gap (own − mean; + = dearer than the peers), gap_pct
    (of the mean), population_base, population, gap_mnkr (gap × population / 1e6: what the gap
    is worth for our population; NaN for KPIs not per inhabitant).
    """
    own = _select(data, config.kpi_ids, [config.municipality.code], "T")[
        ["kpi", "year", "value"]
    ].rename(columns={"value": "own"})
    means = peer_means(data, config)[["kpi", "year", "mean"]]
    out = means.merge(own, on=["kpi", "year"], how="outer")
    out["gap"] = out["own"] - out["mean"]
    out["gap_pct"] = out["gap"] / out["mean"] * 100
    out["population_base"] = out["kpi"].map({k.id: k.population for k in config.kpis})
    pop = _own_population(data, config).set_index("year")
    out["population"] = [
        pop.at[year, base] if base in POPULATION_BASES and year in pop.index else np.nan
        for year, base in zip(out["year"], out["population_base"], strict=True)
    ]
    out["population"] = out["population"].astype("float64")
    out["gap_mnkr"] = out["gap"] * out["population"] / 1e6
    out = out.assign(_k=out["kpi"].map(_kpi_order(config))).sort_values(["_k", "year"])
    cols = [
        "kpi",
        "year",
        "own",
        "mean",
        "gap",
        "gap_pct",
        "population_base",
        "population",
        "gap_mnkr",
    ]
    return out[cols].reset_index(drop=True)


def ranks(data: pd.DataFrame, config: R9Config, gender: str = "T") -> pd.DataFrame:
    """Rank among the peers per KPI and year, 1 = lowest value (lowest cost); ties share a rank.

    Columns: kpi, year, municipality, name, value, rank, n (peers with a value), is_own.
    """
    pv = peer_values(data, config, gender)
    pv = pv[pv["value"].notna()].copy()
    grouped = pv.groupby(["kpi", "year"])["value"]
    pv["rank"] = grouped.rank(method="min", ascending=True).astype("int64")
    pv["n"] = grouped.transform("count").astype("int64")
    pv = pv.assign(_k=pv["kpi"].map(_kpi_order(config))).sort_values(["_k", "year", "rank"])
    cols = ["kpi", "year", "municipality", "name", "value", "rank", "n", "is_own"]
    return pv[cols].reset_index(drop=True)


def goal_status(data: pd.DataFrame, config: R9Config) -> pd.DataFrame:
    """Goal status for the KPIs with a committee goal.

    Columns: kpi, label, year, own, mean, target ("Samma eller lägre än R9-snitt"), status
    ("Uppfyllt" / "Ej uppfyllt" / "Uppgift saknas"). Compared at full precision.
    """
    goals = {k.id: k.goal for k in config.kpis if k.goal}
    g = gaps(data, config)
    g = g[g["kpi"].isin(goals)].copy()
    statuses = []
    for kpi_id, own, mean in zip(g["kpi"], g["own"], g["mean"], strict=True):
        if pd.isna(own) or pd.isna(mean):
            statuses.append(GOAL_NO_DATA)
        elif goals[kpi_id] == "lika_eller_lagre_an_snitt":
            statuses.append(GOAL_MET if own <= mean else GOAL_NOT_MET)
        else:
            statuses.append(GOAL_MET if own >= mean else GOAL_NOT_MET)
    g["label"] = g["kpi"].map(config.label)
    g["target"] = g["kpi"].map(config.goal_text)
    g["status"] = statuses
    return g[["kpi", "label", "year", "own", "mean", "target", "status"]].reset_index(drop=True)


def _log_mean(a: float, b: float) -> float:
    return a if a == b else (a - b) / (math.log(a) - math.log(b))


DECOMPOSITION_COLUMNS = [
    "year",
    "cost",
    "peer_cost",
    "placed",
    "peer_placed",
    "cost_per_placed",
    "peer_cost_per_placed",
    "gap",
    "volume_effect",
    "price_effect",
    "population_0_20",
    "gap_mnkr",
    "volume_effect_mnkr",
    "price_effect_mnkr",
]
"""Columns of :func:`placement_decomposition`."""


def placement_decomposition(
    data: pd.DataFrame, config: R9Config, kpi_metadata: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Split the placement-cost gap into a volume and a price effect (per year).

    With ``kpi_metadata`` (Kolada's, from the cache) the inputs' titles are checked against
    their roles first; a contradiction (e.g. the placements figure counts only HVB) raises
    :class:`DecompositionRefusedError` instead of computing a wrong split.

    cost per inhabitant 0–20 = placed per 1 000 inhabitants 0–20 × cost per placed child / 1 000.
    The peer side uses the peer means of cost and of placements, and the implied peer cost per
    placed child (mean cost × 1 000 / mean placements), so the identity holds on both sides.
    Logarithmic-mean (LMDI) split: volume = L × ln(p / p̄), price = L × ln(k / k̄) with
    L = (c − c̄) / (ln c − ln c̄); the two add up to the gap exactly (price is computed as
    gap − volume, which equals the LMDI term, so rounding cannot open a residual).

    Columns: year, cost, peer_cost, placed, peer_placed, cost_per_placed, peer_cost_per_placed,
    gap, volume_effect, price_effect (kr/inv 0–20), population_0_20, gap_mnkr,
    volume_effect_mnkr, price_effect_mnkr.
    """
    columns = DECOMPOSITION_COLUMNS
    dec = config.decomposition
    if dec is None:
        return pd.DataFrame(columns=columns)
    if kpi_metadata is not None:
        conflicts = decomposition_conflicts(config, kpi_metadata)
        if conflicts:
            raise DecompositionRefusedError(conflicts)
    g = gaps(data, config).set_index(["kpi", "year"])
    years = sorted(
        set(g.loc[dec.cost_kpi].index if dec.cost_kpi in g.index.get_level_values(0) else [])
        & set(
            g.loc[dec.placements_kpi].index
            if dec.placements_kpi in g.index.get_level_values(0)
            else []
        )
    )
    pop = _own_population(data, config).set_index("year")["0-20"]
    rows = []
    for year in years:
        c, c_bar = g.at[(dec.cost_kpi, year), "own"], g.at[(dec.cost_kpi, year), "mean"]
        p, p_bar = g.at[(dec.placements_kpi, year), "own"], g.at[(dec.placements_kpi, year), "mean"]
        row: dict[str, float] = {
            "year": year,
            "cost": c,
            "peer_cost": c_bar,
            "placed": p,
            "peer_placed": p_bar,
        }
        valid = all(pd.notna(v) and v > 0 for v in (c, c_bar, p, p_bar))
        k = 1000 * c / p if valid else np.nan
        k_bar = 1000 * c_bar / p_bar if valid else np.nan
        gap = c - c_bar if pd.notna(c) and pd.notna(c_bar) else np.nan
        volume = _log_mean(c, c_bar) * math.log(p / p_bar) if valid else np.nan
        price = gap - volume if valid else np.nan
        pop_0_20 = pop.get(year, np.nan)
        row.update(
            cost_per_placed=k,
            peer_cost_per_placed=k_bar,
            gap=gap,
            volume_effect=volume,
            price_effect=price,
            population_0_20=pop_0_20,
            gap_mnkr=gap * pop_0_20 / 1e6,
            volume_effect_mnkr=volume * pop_0_20 / 1e6,
            price_effect_mnkr=price * pop_0_20 / 1e6,
        )
        rows.append(row)
    out = pd.DataFrame(rows, columns=columns)
    out["year"] = out["year"].astype("int64")
    return out


def gender_split(data: pd.DataFrame, config: R9Config) -> pd.DataFrame:
    """Values by gender (K, M and T) for the KPIs Kolada splits, with the peer mean per gender.

    Columns: kpi, year, municipality (code, or the group's short name for the mean), name,
    gender, value. Empty if Kolada has no gender split for any configured KPI.
    """
    codes = config.comparison_codes
    split = data[
        data["kpi"].isin(config.kpi_ids)
        & data["municipality"].isin(codes)
        & data["gender"].isin(["K", "M"])
    ]
    kpis = [k for k in config.kpi_ids if k in set(split["kpi"])]
    parts = []
    for gender in ("K", "M", "T"):
        values = _select(data, kpis, codes, gender)[["kpi", "year", "municipality", "value"]]
        mean = (
            _select(data, kpis, config.mean_codes, gender)
            .groupby(["kpi", "year"], as_index=False)["value"]
            .mean()
            .assign(municipality=config.group.short_name)
        )
        parts.append(pd.concat([values, mean]).assign(gender=gender))
    out = pd.concat(parts, ignore_index=True)
    out["name"] = out["municipality"].map(config.names)
    order = {c: i for i, c in enumerate([*codes, config.group.short_name])}
    out = out.assign(
        _k=out["kpi"].map(_kpi_order(config)),
        _m=out["municipality"].map(order),
        _g=out["gender"].map({"K": 0, "M": 1, "T": 2}),
    ).sort_values(["_k", "year", "_m", "_g"])
    return out[["kpi", "year", "municipality", "name", "gender", "value"]].reset_index(drop=True)


def r9_jamforelse(data: pd.DataFrame, config: R9Config) -> pd.DataFrame:
    """Table ``r9_jamforelse``: rad, kpi, ar, kommun, varde (totals, full precision).

    One row per KPI, year and municipality (four-digit code), plus the suite's unweighted mean
    (kommun = the group's short name, "R9") and Kolada's own group value (kommun = its id,
    "G96092"). Raw values are "Källa: Kolada"; the R9 rows are "Egen bearbetning av data från
    Kolada".
    """
    pv = peer_values(data, config)[["kpi", "year", "municipality", "value"]]
    pm = peer_means(data, config)
    parts = [
        pv,
        pm[["kpi", "year", "mean"]]
        .rename(columns={"mean": "value"})
        .assign(municipality=config.group.short_name),
    ]
    if config.group.kolada_id:
        grp = pm[pm["group_value"].notna()][["kpi", "year", "group_value"]]
        parts.append(
            grp.rename(columns={"group_value": "value"}).assign(municipality=config.group.kolada_id)
        )
    out = pd.concat(parts, ignore_index=True)
    order = [*config.comparison_codes, config.group.short_name, config.group.kolada_id]
    out = out.assign(
        _k=out["kpi"].map(_kpi_order(config)),
        _m=out["municipality"].map({c: i for i, c in enumerate(order)}),
    ).sort_values(["_k", "year", "_m"])
    table = pd.DataFrame(
        {
            "rad": out["kpi"].map(config.label).astype("str"),
            "kpi": out["kpi"].astype("str"),
            "ar": out["year"].astype("int64"),
            "kommun": out["municipality"].astype("str"),
            "varde": out["value"].astype("float64"),
        }
    )
    return table.reset_index(drop=True)
