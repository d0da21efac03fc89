"""The register against the ledger: the register's cost per month for the forms booked on a
target group's report row, the ledger's placement accounts per month, and when their
difference is over the thresholds of hvb.yaml. Numbers in, numbers out; `ledger_tables` labels
them."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from uppfoljning.data.config import ReportStructure
from uppfoljning.economy import Ledger, classify
from uppfoljning.placements.register import Register
from uppfoljning.placements.settings import LedgerMapping, PlacementSettings


def booked_elsewhere(register: Register) -> pd.Series:
    """Per episode: is its form booked on another activity than its target group's row?"""
    forms = register.catalogue.forms
    return register.episodes["form"].map(lambda c: forms[c].activity is not None)


def register_cost_by_month(register: Register, target: str, months: Sequence[str]) -> np.ndarray:
    """Register cost per month for the forms booked on the target group's activity."""
    ep = register.episodes
    mask = ((ep["target"] == target) & ~booked_elsewhere(register)).to_numpy()
    days = register.monthly_days(months)
    return (days[mask] * ep.loc[mask, "price"].to_numpy()[:, None]).sum(axis=0)


def ledger_by_month(ledger: Ledger, mapping: LedgerMapping, months: Sequence[str]) -> np.ndarray:
    """The ledger's placement accounts per month; NaN for months the ledger does not have yet."""
    lines = ledger.monthly
    mask = (
        lines["verksamhet"].astype(str).str.startswith(mapping.activities)
        & lines["konto"].astype(str).str.startswith(mapping.accounts)
        & lines["period"].isin(list(months))
    )
    sums = lines[mask].groupby("period")["belopp"].sum()
    booked = sums.reindex(list(months), fill_value=0.0).to_numpy(float)
    missing = [m not in set(ledger.periods) for m in months]
    return np.where(missing, np.nan, booked)  # months the ledger does not have yet


def compare(register: float, ledger: float, settings: PlacementSettings) -> dict:
    """register, huvudbok, differens (ledger − register), differens_procent, flaggad.

    Flagged when the difference is over both thresholds (the kronor one alone when the ledger
    is zero).
    """
    diff = float(ledger - register)
    pct = diff / ledger * 100 if ledger else math.nan
    flagged = abs(diff) > settings.threshold_kr and (
        not ledger or abs(pct) > settings.threshold_percent
    )
    return {
        "register": float(register),
        "huvudbok": float(ledger),
        "differens": diff,
        "differens_procent": pct,
        "flaggad": bool(flagged),
    }


def row_amounts(lines: pd.DataFrame, structure: ReportStructure | None) -> dict[str, float]:
    """Ledger lines summed per report row of the structure (nothing without a structure)."""
    if structure is None:
        return {}
    frame = lines.copy()
    for dim in ("verksamhet", "ansvar", "konto"):
        frame[dim] = frame.get(dim, pd.Series("", index=frame.index)).fillna("").astype(str)
    rows = classify(frame, structure)
    return frame.groupby(rows)["belopp"].sum().to_dict()
