"""The action plan (åtgärdsplan): planned against realised effect, beside each area's deviation.

Definitions (stated in the report):

- planned effect for the period = the measure's planned effect for the year × month / 12;
- realised effect = what the latest follow-up up to the report period says was realised
  January–that month;
- not realised ("inte fått genomslag") = planned effect for the period − realised effect.

Which report rows an area affects is configuration (`params/atgardsplan.yaml`), so the plan's
unrealised effect can be set beside the deviation it was meant to close.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from uppfoljning.data.config import ParamsError, ReportStructure, _read_yaml, parse_period
from uppfoljning.data.params import validate
from uppfoljning.data.params.domains import ActionPlanFile
from uppfoljning.economy.ledger import LEVEL, _scan

TOTAL_LABEL = "Totalt"


@dataclass(frozen=True)
class ActionPlanConfig:
    path: Path
    areas: dict[str, tuple[str, ...]]  # area label -> report row ids


def load_action_plan_config(
    path: Path | str, known_rows: set[str] | None = None
) -> ActionPlanConfig:
    """Read and validate `atgardsplan.yaml` with its model; by hand only whether the rows exist
    in the report structure (`known_rows`, when given)."""
    path = Path(path)
    data = _read_yaml(path)
    model, problems = validate(ActionPlanFile, data)
    areas = data.get("omraden") if isinstance(data, dict) else None
    for label, rows in areas.items() if isinstance(areas, dict) and known_rows is not None else ():
        listed = rows if isinstance(rows, list) else []
        unknown = [str(r) for r in listed if str(r) not in known_rows]
        if unknown:
            problems.append(f"omraden.{label}: okända rader i rapportstrukturen: {unknown}")
    if problems or model is None:
        raise ParamsError(path, problems)
    return ActionPlanConfig(path, {label: rows or () for label, rows in model.omraden.items()})


def load_for_structure(path: Path | str, structure: ReportStructure) -> ActionPlanConfig:
    """The configuration with every area's rows checked against the report structure (its rows
    and varav rows)."""
    known = {r.id for r in structure.rows} | {s.id for r in structure.rows for s in r.subrows}
    return load_action_plan_config(path, known)


def load_measures(data_dir: Path, period: str) -> pd.DataFrame:
    """The measures of the report year with their latest follow-up up to `period`."""
    year, month = parse_period(period)
    frame = _scan(
        data_dir,
        "atgardsplan",
        "atgard, omrade, ar, period, status, sum(planerad_effekt) AS planerad_effekt, "
        "sum(realiserad_effekt) AS realiserad_effekt",
        "atgard, omrade, ar, period, status",
    )
    frame = frame[(frame["ar"] == year) & ((frame["period"] == "") | (frame["period"] <= period))]
    frame = frame.sort_values(["atgard", "omrade", "period"])
    latest = frame.groupby(["atgard", "omrade"], as_index=False).tail(1).copy()
    latest["realiserad_effekt"] = latest["realiserad_effekt"].fillna(0.0)
    latest["planerad_effekt_perioden"] = latest["planerad_effekt"] * month / 12
    latest["ej_realiserad_effekt"] = (
        latest["planerad_effekt_perioden"] - latest["realiserad_effekt"]
    )
    latest["uppfoljd"] = latest["period"].where(latest["period"] != "", None)
    return latest.reset_index(drop=True)


def area_table(
    measures: pd.DataFrame, config: ActionPlanConfig, period_table: pd.DataFrame
) -> pd.DataFrame:
    """`atgardsplan`: per area planned (year, period), realised, not realised, and deviation."""
    values = [
        "planerad_effekt",
        "planerad_effekt_perioden",
        "realiserad_effekt",
        "ej_realiserad_effekt",
    ]
    by_area = measures.groupby("omrade")[values].sum()
    order = list(config.areas) + sorted(set(by_area.index) - set(config.areas))
    rows = []
    for area in order:
        if area not in by_area.index:
            continue
        row_ids = [r for r in config.areas.get(area, ()) if r in period_table.index]
        deviation = period_table.loc[row_ids, "avvikelse"].sum() if row_ids else float("nan")
        rows.append({"rad": area, **by_area.loc[area].to_dict(), "avvikelse_perioden": deviation})
    frame = pd.DataFrame(rows, columns=["rad", *values, "avvikelse_perioden"])
    frame[LEVEL] = "rad"
    total = {"rad": TOTAL_LABEL, **frame[values].sum().to_dict(), LEVEL: "total"}
    total["avvikelse_perioden"] = float("nan")
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    frame.index = pd.Index(
        [f"omrade_{i}" for i in range(len(frame) - 1)] + ["totalt"], name="rad_id"
    )
    return frame


def measure_table(measures: pd.DataFrame) -> pd.DataFrame:
    """`atgardsplan_atgarder`: each measure with status and effects, largest gap first."""
    frame = measures.rename(columns={"atgard": "rad"})
    frame = frame.sort_values(["omrade", "ej_realiserad_effekt"], ascending=[True, False])
    cols = [
        "rad",
        "omrade",
        "status",
        "planerad_effekt",
        "realiserad_effekt",
        "ej_realiserad_effekt",
    ]
    out = frame[cols].reset_index(drop=True)
    out[LEVEL] = "rad"
    return out
