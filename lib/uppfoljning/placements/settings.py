"""`params/hvb.yaml`: where placements are booked, reconciliation thresholds, forecast and
privacy settings. The care-form catalogue (vardformer.yaml) is read by `data.care_forms`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from uppfoljning.data.care_forms import _params_dir, _read_existing
from uppfoljning.data.config import ParamsError
from uppfoljning.data.params import validate
from uppfoljning.data.params.domains import PRIVACY_FLOOR as PRIVACY_FLOOR  # never shown below
from uppfoljning.data.params.domains import (
    PlacementForecastModel,
    PlacementSettingsFile,
    ReconciliationModel,
)

SETTINGS_FILE = "hvb.yaml"


@dataclass(frozen=True)
class LedgerMapping:
    """Where one target group's placements are booked: report row, activity and accounts."""

    target: str
    row: str
    activities: tuple[str, ...]
    accounts: tuple[str, ...]


@dataclass(frozen=True)
class PlacementSettings:
    """`params/hvb.yaml`: reconciliation accounts and thresholds, forecast and privacy rules."""

    path: Path
    ledger: dict[str, LedgerMapping]
    threshold_percent: float = 3.0
    threshold_kr: float = 100_000.0
    consultancy_target: float = 25.0
    inflow_months: int = 6
    history_months: int = 36
    min_completed: int = 10
    fallback_length: dict[str, int] = field(default_factory=dict)
    suppress_below: int = 5  # never below PRIVACY_FLOOR


def load_settings(params_dir: Path | str | None = None) -> PlacementSettings:
    """Read and validate `hvb.yaml` with its model (which refuses `sekretess_under` below the
    privacy floor 5); the file has no relations between values to check by hand."""
    path = _params_dir(params_dir) / SETTINGS_FILE
    model, problems = validate(PlacementSettingsFile, _read_existing(path))
    if problems or model is None:
        raise ParamsError(path, problems)
    rec = model.avstamning or ReconciliationModel()
    forecast = model.prognos or PlacementForecastModel()
    return PlacementSettings(
        path=path,
        ledger={
            target: LedgerMapping(target, spec.rad, spec.verksamhet, spec.konto)
            for target, spec in (rec.malgrupper or {}).items()
        },
        threshold_percent=float(rec.troskel_procent),
        threshold_kr=float(rec.troskel_kr),
        consultancy_target=float(model.mal_andel_konsulentstodda),
        inflow_months=forecast.inflode_manader,
        history_months=forecast.historik_manader,
        min_completed=forecast.minsta_antal_avslutade,
        fallback_length=dict(forecast.standardlangd_dagar or {}),
        suppress_below=model.sekretess_under,
    )
