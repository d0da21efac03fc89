"""The commitment-based full-year forecast of placement costs, from the register alone.

Per target group, care-form group and booking (on the target group's report row or
elsewhere): the cost so far, the rest of the year of the ongoing placements (to a planned end
date, else the expected rest from the placements completed in the last `history_months`, else
a fallback length), and the new placements expected at the rate of the last `inflow_months`.
Every day is counted up to 31 December, never later. `texts.forecast_rules` says the same in
Swedish; `privacy.protect_forecast` decides what of it is shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from uppfoljning.data.config import parse_period
from uppfoljning.placements.dates import (
    day_number,
    month_range,
    month_start,
    shift_month,
    ytd_window,
)
from uppfoljning.placements.register import ONGOING, Register
from uppfoljning.placements.settings import PlacementSettings

FORECAST_PARTS = ("kostnad_hittills", "aktiva_placeringar", "nya_placeringar")
"""The forecast's parts; their sum is `prognos_helar`."""


def residual_days(lengths: np.ndarray, elapsed: int, horizon: int) -> float | None:
    """E[min(L − a, H) | L > a] from completed lengths L; None when fewer than 1 exceed a."""
    longer = lengths[lengths > elapsed]
    if not len(longer):
        return None
    return float(np.minimum(longer - elapsed, horizon).mean())


def forecast_cells(register: Register, settings: PlacementSettings, period: str) -> pd.DataFrame:
    """Per target group, care-form group and booking (on the target's row or elsewhere):
    cost so far, the rest of the year of active placements, expected new placements."""
    year = parse_period(period)[0]
    as_of = register.as_of
    year_end = day_number(f"{year + 1}-01-01")
    horizon = max(year_end - as_of, 0)
    lo, _ = ytd_window(period)
    ep = register.episodes.assign(
        _days=register.days(lo, as_of),
        _elsewhere=register.episodes["form"].map(
            lambda c: register.catalogue.forms[c].activity is not None
        ),
    )
    chains = register.chains
    history_lo = month_start(shift_month(period, 1 - settings.history_months))
    completed = chains[(chains["end"] < as_of) & (chains["end"] >= history_lo)]
    inflow_lo = month_start(shift_month(period, 1 - settings.inflow_months))
    mids = [month_start(m) + 15 for m in month_range(shift_month(period, 1), f"{year}-12")]
    records = []
    for (target, group, elsewhere), part in ep.groupby(
        ["target", "group", "_elsewhere"], sort=False
    ):
        done = completed[(completed["target"] == target) & (completed["group"] == group)]
        lengths = (done["end"] - done["start"]).to_numpy()
        enough = len(lengths) >= settings.min_completed
        fallback = settings.fallback_length.get(group, 180)
        committed = 0.0
        active = part[(part["start"] < as_of) & (part["end"] > as_of)]
        ongoing = active["chain"].nunique()
        for row in active.itertuples():
            if row.end < ONGOING:
                days = float(max(min(int(row.end), year_end) - as_of, 0))
            else:
                elapsed = as_of - int(chains.at[row.chain, "start"])
                expected = residual_days(lengths, elapsed, horizon) if enough else None
                if expected is None and elapsed < fallback:  # too little history
                    expected = min(fallback - elapsed, horizon)
                elif expected is None:  # longer than usual: assume the whole year
                    expected = horizon
                days = expected
            committed += days * float(row.price)
        new = chains.loc[part["chain"].unique()]
        new = new[(new["start"] >= inflow_lo) & (new["start"] < as_of)]
        rate = len(new) / settings.inflow_months
        price = float(new["price"].mean()) if len(new) else 0.0
        stays = [
            float(np.minimum(lengths, year_end - mid).mean())
            if enough
            else float(min(fallback, year_end - mid))
            for mid in mids
        ]
        records.append(
            {
                "target": target,
                "group": group,
                "elsewhere": bool(elsewhere),
                "kostnad_hittills": float((part["_days"] * part["price"]).sum()),
                "aktiva_placeringar": committed,
                "nya_placeringar": rate * price * sum(stays),
                "individer": part.loc[part["_days"] > 0, "person"].nunique(),
                "_pagaende": ongoing,
                "_nya": len(new),
            }
        )
    cells = pd.DataFrame.from_records(records)
    cells["prognos_helar"] = cells[list(FORECAST_PARTS)].sum(axis=1)
    return cells
