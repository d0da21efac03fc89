"""`params/hvb.yaml`: where placements are booked, reconciliation thresholds, forecast and
privacy settings. The care-form catalogue (vardformer.yaml) is read by `data.care_forms`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from uppfoljning.data.care_forms import _params_dir, _read_existing
from uppfoljning.data.config import ParamsError
from uppfoljning.placements.register import TARGET_GROUPS

SETTINGS_FILE = "hvb.yaml"
PRIVACY_FLOOR = 5  # counts under this are never shown, whatever hvb.yaml says


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
    """Read and validate `hvb.yaml`."""
    path = _params_dir(params_dir) / SETTINGS_FILE
    data = _read_existing(path)
    if not isinstance(data, dict):
        raise ParamsError(path, ["filen ska innehålla nyckel: värde-par"])
    problems: list[str] = []
    rec = data.get("avstamning") or {}
    mappings: dict[str, LedgerMapping] = {}
    for target, spec in (rec.get("malgrupper") or {}).items():
        if target not in TARGET_GROUPS:
            problems.append(f"avstamning.malgrupper: okänd målgrupp {target!r}")
            continue
        if not isinstance(spec, dict) or not {"rad", "verksamhet", "konto"} <= set(spec):
            problems.append(f"avstamning.malgrupper.{target}: rad, verksamhet och konto krävs")
            continue
        codes = [str(c) for c in (*spec["verksamhet"], *spec["konto"], spec["rad"])]
        if not all(c.isdigit() for c in codes):
            problems.append(f"avstamning.malgrupper.{target}: koder ska vara siffror (citera dem)")
        mappings[target] = LedgerMapping(
            target,
            str(spec["rad"]),
            tuple(str(v) for v in spec["verksamhet"]),
            tuple(str(k) for k in spec["konto"]),
        )
    forecast = data.get("prognos") or {}
    try:
        settings = PlacementSettings(
            path=path,
            ledger=mappings,
            threshold_percent=float(rec.get("troskel_procent", 3.0)),
            threshold_kr=float(rec.get("troskel_kr", 100_000)),
            consultancy_target=float(data.get("mal_andel_konsulentstodda", 25)),
            inflow_months=int(forecast.get("inflode_manader", 6)),
            history_months=int(forecast.get("historik_manader", 36)),
            min_completed=int(forecast.get("minsta_antal_avslutade", 10)),
            fallback_length={
                str(k): int(v) for k, v in (forecast.get("standardlangd_dagar") or {}).items()
            },
            suppress_below=int(data.get("sekretess_under", PRIVACY_FLOOR)),
        )
    except (TypeError, ValueError) as exc:
        problems.append(f"ogiltigt värde: {exc}")
        settings = None
    if settings is not None and settings.suppress_below < PRIVACY_FLOOR:
        # The floor protects the children in the register; a lower value would publish them.
        problems.append(
            f"sekretess_under: {settings.suppress_below} är lägre än golvet {PRIVACY_FLOOR}; "
            f"antal under {PRIVACY_FLOOR} visas aldrig"
        )
    if problems or settings is None:
        raise ParamsError(path, problems)
    return settings
