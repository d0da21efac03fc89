"""What the R9 report reads from Kolada: the requests a catalogue implies, loaded or refreshed.

Why its own module: the report, the pre-run check, the CLI's ``kolada refresh`` and the demo
must ask Kolada for exactly the same requests, or an offline run misses a cached file; they all
take them from :func:`kolada_request`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from uppfoljning.data.config import project_root
from uppfoljning.peers import kolada, kolada_cache
from uppfoljning.peers.catalogue import R9Config


def default_cache_dir(start: Path | None = None) -> Path:
    """The project's Kolada cache, ``data/raw/kolada/``."""
    return project_root(start) / kolada_cache.DEFAULT_CACHE_DIR


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
        fetched_at=kolada_cache.cache_fetched_at(cache_dir),
        demo=kolada_cache.is_demo_cache(cache_dir),
        note=kolada_cache.cache_note(cache_dir),
    )
