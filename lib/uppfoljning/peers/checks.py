"""The catalogue checked against what Kolada says: titles, roles, group members, missing values.

Why its own module: Kolada renames, retires and reuses key figures, and a catalogue that uses an
id for the wrong thing gives a wrong comparison without any error. These checks compare the
catalogue (:mod:`uppfoljning.peers.catalogue`) with Kolada's cached metadata and data and return
what the report must say about it, in Swedish; the decomposition refuses to run on a conflict.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from uppfoljning.peers.catalogue import CONFIG_FILE, ROLES, R9Config, normalise_title
from uppfoljning.peers.kolada import MunicipalityGroup


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
            if normalise_title(title) != normalise_title(k.label):
                notes.append(
                    f"{k.id}: rapporten kallar nyckeltalet ”{k.label}”, Kolada ”{title}” "
                    f"(ingen kolada_titel i params/{CONFIG_FILE})."
                )
        elif normalise_title(title) != normalise_title(k.kolada_title):
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


def membership_differences(config: R9Config, group: MunicipalityGroup | None) -> list[str]:
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
