"""Deterministic demo placement register (2020–2024) that reproduces the published facts.

The register is what a controller exports from the case-management system: one row per
placement episode, pseudonymised person ids, tab-separated Windows-1252 with decimal commas.
It is built in three steps, each with its own random stream:

1. **Structure.** Per target group and care form a stock–flow simulation follows a path of
   active placements per month (`STREAMS`): placements end by their drawn length and new ones
   start when the stock falls below the path. Some children move on from jourhem to family
   homes, from SiS to HVB, from HVB to stödboende (same person, next episode starts on the day
   the previous one ends). HVB framework-agreement episodes of children that run over 1 April
   2020 are split there: the new framework agreements raised prices by about 15 %.
2. **Calibration to the published facts** (calibration/2024-08/hvb_placeringar_fakta.csv):
   individuals on HVB in January 2020 (91) and April 2021 (75), care days January–August 2024
   against 2023 (HVB +16 %, family homes +7 %), the share of consultancy family homes (25,8 %),
   the price step (15 %), the rolling annual cost for children (just under 150 mnkr in August
   2023, 200 mnkr in August 2024), and placements linked to gang crime (just over 19 %,
   23,5 mnkr). Care days are hit by moving end dates of episodes that ended in 2024, costs by
   two price factors, gang links by choosing which placements carry the mark.
3. **Export** of the rows, and the monthly costs that `demo.economy` books on the ledger's
   placement accounts (569 and 559), so register and ledger reconcile.

Definitions (care days, chains, shares) come from `uppfoljning.placements`, so the calibration
measures exactly what the report shows. The assumptions are in `placements_streams`, step 1 in
`placements_simulation`, step 2 in `placements_calibration`; this module runs them and exports.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from uppfoljning.demo.placements_calibration import (
    draw_prices,
    fix_care_days,
    fix_individuals,
    fix_price_step,
    fix_r12,
    mark_gang,
)
from uppfoljning.demo.placements_simulation import (
    Builder,
    assign_agreements,
    episodes_of,
    random_stream,
    register_of,
    simulate_structure,
    split_at_price_step,
)
from uppfoljning.demo.placements_streams import BOOKING_NOISE, DEMO_CATALOGUE, LEDGER_KEYS, PERIOD
from uppfoljning.placements.dates import month_range, month_start, shift_month

__all__ = ["DEMO_CATALOGUE", "ledger_costs", "demo_register", "write_demo_placements"]

FILE_NAME = "placeringar_2020-2024.txt"
COLUMNS = (
    "placering_id",
    "person_id",
    "malgrupp",
    "kon",
    "fodelsear",
    "vardform",
    "lagrum",
    "utforare",
    "avtal",
    "startdatum",
    "slutdatum",
    "dygnskostnad",
    "gangkoppling",
    "tillaggsavtal",
)


@lru_cache(maxsize=1)
def _calibrated() -> pd.DataFrame:
    frame = simulate_structure()
    builder: Builder = frame.attrs.pop("builder")
    frame = assign_agreements(frame)
    frame = split_at_price_step(frame, builder)
    frame = fix_individuals(frame, builder)
    fix_care_days(frame)
    frame["price"] = draw_prices(frame)
    fix_price_step(frame)
    fix_r12(frame)
    mark_gang(frame)
    return frame.sort_values(["start", "placement"], kind="stable").reset_index(drop=True)


def demo_register() -> pd.DataFrame:
    """The calibrated demo episodes (typed, as `placements.Register` reads them)."""
    frame = _calibrated()
    return episodes_of(frame, month_start(shift_month(PERIOD, 1)))


def _sv_amount(value: float) -> str:
    whole, cents = divmod(int(round(value * 100)), 100)
    return f"{whole:,}".replace(",", " ") + f",{cents:02d}"


def _date(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def write_demo_placements(out_dir: Path) -> list[Path]:
    """placeringar_2020-2024.txt: tab-separated, Windows-1252, CRLF, decimal comma."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = _calibrated()
    as_of = month_start(shift_month(PERIOD, 1))
    path = out_dir / FILE_NAME
    with path.open("w", encoding="cp1252", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for row in frame.itertuples(index=False):
            end = int(row.end)
            unknown_end = end >= as_of and not row.planned  # ongoing without a planned end
            end_text = "" if unknown_end else _date(end)
            writer.writerow(
                [
                    row.placement,
                    row.person,
                    row.target,
                    row.sex,
                    int(row.birth),
                    row.form.upper(),
                    row.law,
                    row.provider,
                    row.agreement,
                    _date(row.start),
                    end_text,
                    _sv_amount(row.price),
                    "Ja" if row.gang else "",
                    "Ja" if row.supplement else "",
                ]
            )
    return [path]


@lru_cache(maxsize=4)
def ledger_costs(year: int) -> dict[tuple[str, str, str], dict[int, int]]:
    """(row, verksamhet, konto) -> month -> öre: the register's monthly cost as booked.

    Invoices are booked within ±1 % of the register's amount for the month (timing and
    rounding), well inside the reconciliation threshold of params/hvb.yaml.
    """
    frame = _calibrated()
    last = min(f"{year}-12", PERIOD)
    months = month_range(f"{year}-01", last)
    reg = register_of(frame)
    days = reg.monthly_days(months)
    ep = reg.episodes
    cost = days * ep["price"].to_numpy()[:, None]
    out: dict[tuple[str, str, str], dict[int, int]] = {}
    rng = random_stream(f"booking-{year}")
    keys = [LEDGER_KEYS.get((t, f)) for t, f in zip(ep["target"], ep["form"], strict=True)]
    for key in sorted({k for k in keys if k is not None}):
        mask = np.array([k == key for k in keys])
        monthly = cost[mask].sum(axis=0)
        noise = rng.uniform(-BOOKING_NOISE, BOOKING_NOISE, len(months))
        out[key] = {
            int(m[5:7]): int(round(v * (1 + n) * 100))
            for m, v, n in zip(months, monthly, noise, strict=True)
        }
    return out
