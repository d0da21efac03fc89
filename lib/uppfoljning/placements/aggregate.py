"""Pure computations on the register: cells of care days and cost, the price–volume–mix
split, and the two ratios every table uses (DataFrames and numbers in and out, no labels)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from uppfoljning.placements.register import Register


def aggregate(
    register: Register, lo: int, hi: int, by: Sequence[str] = ("target", "group")
) -> pd.DataFrame:
    """Care days, cost, individuals and placements per cell in [lo, hi)."""
    days = register.days(lo, hi)
    ep = register.episodes.assign(_days=days, _cost=days * register.episodes["price"])
    ep = ep[ep["_days"] > 0]
    grouped = ep.groupby(list(by), sort=False)
    out = pd.DataFrame(
        {
            "varddygn": grouped["_days"].sum().astype(float),
            "kostnad": grouped["_cost"].sum(),
            "individer": grouped["person"].nunique(),
            "placeringar": grouped["chain"].nunique(),
        }
    )
    return out


def price_volume_mix(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Change in cost split into total-volume, mix and price effects with midpoint weights.

    Per care form i with days d, cost c and price p = c/d, and total days D with shares
    s = d/D (0 = previous period, 1 = current, bar = mean of the two):

        volume_i = p̄_i · s̄_i · ΔD,   mix_i = p̄_i · D̄ · Δs_i,   price_i = d̄_i · Δp_i

    Since Δd_i = s̄_i ΔD + D̄ Δs_i and Δc_i = p̄_i Δd_i + d̄_i Δp_i exactly (Bennet), the
    three effects add up to the change in cost for every row and in total, with no residual
    and no dependence on which period is taken as base. A form missing in one period takes
    the other period's price (no price effect; its whole cost is volume and mix).
    """
    index = list(dict.fromkeys([*previous.index, *current.index]))
    prev = previous.reindex(index).fillna(0.0)
    curr = current.reindex(index).fillna(0.0)
    d0, d1 = prev["varddygn"].to_numpy(float), curr["varddygn"].to_numpy(float)
    c0, c1 = prev["kostnad"].to_numpy(float), curr["kostnad"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p0 = np.where(d0 > 0, c0 / np.where(d0 > 0, d0, 1), np.nan)
        p1 = np.where(d1 > 0, c1 / np.where(d1 > 0, d1, 1), np.nan)
    p0 = np.where(np.isnan(p0), p1, p0)
    p1 = np.where(np.isnan(p1), p0, p1)
    p0, p1 = np.nan_to_num(p0), np.nan_to_num(p1)
    total0, total1 = d0.sum(), d1.sum()
    s0 = d0 / total0 if total0 else np.zeros_like(d0)
    s1 = d1 / total1 if total1 else np.zeros_like(d1)
    p_mid, s_mid = (p0 + p1) / 2, (s0 + s1) / 2
    change = c1 - c0
    volume = p_mid * s_mid * (total1 - total0)
    quantity = p_mid * (d1 - d0)  # = volume + mix
    # mix = p̄·D̄·Δs and price = d̄·Δp, written as the algebraically identical differences so
    # that the three effects also add up to the change in floating point, to the last öre
    mix = quantity - volume
    price = change - quantity
    return pd.DataFrame(
        {
            "varddygn_foregaende_ar": d0,
            "varddygn": d1,
            "kostnad_foregaende_ar": c0,
            "kostnad": c1,
            "volymeffekt": volume,
            "mixeffekt": mix,
            "priseffekt": price,
            "total_forandring": change,
        },
        index=index,
    )


def pct_change(current: float, previous: float) -> float:
    """% change; NaN against zero."""
    return (current / previous - 1) * 100 if previous else math.nan


def share(part: float, whole: float) -> float:
    """`part` in % of `whole`; NaN of zero."""
    return part / whole * 100 if whole else math.nan
