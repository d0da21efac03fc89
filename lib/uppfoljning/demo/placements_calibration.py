"""Step 2 of the demo register: calibration to the published facts. Individuals on HVB, care
days, the consultancy share, the price step, the rolling annual cost and the gang-crime share
and cost are each hit by one adjustment, measured with the report's own definitions
(`placements.Register`), so the calibration measures exactly what the report shows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from uppfoljning.demo.placements_simulation import Builder, by_year, random_stream, register_of
from uppfoljning.demo.placements_streams import (
    CONSULTANCY_SHARE,
    FAMILY_HOME_DAYS_CHANGE,
    GANG_COST,
    GANG_PROPENSITY,
    GANG_SHARE,
    GANG_SHARE_PREVIOUS,
    HVB_DAYS_CHANGE,
    HVB_INDIVIDUALS,
    HVB_PROVIDERS,
    PERIOD,
    PRICE_NOISE,
    PRICE_STEP,
    PRICE_STEP_MONTH,
    PRICES,
    R12_TARGETS,
    SUPPLEMENT_KR,
)
from uppfoljning.placements.dates import (
    day_number,
    month_start,
    r12_window,
    shift_month,
    ytd_window,
)
from uppfoljning.placements.register import CHILDREN


def _persons_in_month(frame: pd.DataFrame, month: str, group: str = "hvb") -> int:
    reg = register_of(frame)
    days = reg.monthly_days([month])[:, 0]
    ep = reg.episodes
    mask = (days > 0) & (ep["target"] == CHILDREN).to_numpy() & (ep["group"] == group).to_numpy()
    return int(ep.loc[mask, "person"].nunique())


def fix_individuals(frame: pd.DataFrame, builder: Builder) -> pd.DataFrame:
    """Add or drop short HVB placements so the published counts of individuals hold."""
    rng = random_stream("individuals")
    for month, target in HVB_INDIVIDUALS.items():
        count = _persons_in_month(frame, month)
        lo, hi = month_start(month), month_start(shift_month(month, 1))
        if count > target:
            starts = frame[
                (frame["form"] == "hvb")
                & (frame["target"] == CHILDREN)
                & (frame["start"] >= lo)
                & (frame["start"] < hi)
                & (frame["predecessor"] == "")
            ]
            # a placement may be dropped with its repriced continuation, not with a move
            moves = set(frame.loc[~frame["repriced"], "predecessor"])
            starts = starts[~starts["placement"].isin(moves)]
            drop = starts.sort_values("start").index[: count - target]
            gone = set(frame.loc[drop, "placement"])
            continued = frame.index[frame["predecessor"].isin(gone) & frame["repriced"]]
            frame = frame.drop(index=[*drop, *continued]).reset_index(drop=True)
        for _ in range(max(target - count, 0)):
            start = int(rng.integers(lo, hi - 5))
            year = int(month[:4])
            builder.person_counter += 1
            frame.loc[len(frame)] = {
                "placement": builder.new_id("PL", 6),
                "person": builder.new_id("BU", 8),
                "target": CHILDREN,
                "form": "hvb",
                "start": start,
                "end": start + int(rng.integers(6, 30)),
                "birth": year - int(rng.integers(13, 18)),
                "sex": "M" if rng.random() < 0.6 else "K",
                "law": "SoL",
                "provider": HVB_PROVIDERS[int(rng.integers(len(HVB_PROVIDERS)))],
                "planned": False,
                "predecessor": "",
                "agreement": "Direktupphandling",
                "supplement": False,
                "repriced": False,
            }
        if _persons_in_month(frame, month) != target:
            raise RuntimeError(f"demo: individer på HVB {month} blev inte {target}")
    return frame


def _ytd_days(frame: pd.DataFrame, forms: Sequence[str], back: int) -> float:
    reg = register_of(frame)
    days = reg.days(*ytd_window(PERIOD, back))
    ep = reg.episodes
    mask = (ep["target"] == CHILDREN).to_numpy() & ep["form"].isin(list(forms)).to_numpy()
    return float(days[mask].sum())


def _shift_ends(frame: pd.DataFrame, forms: Sequence[str], delta: int, rng_name: str) -> None:
    """Move end dates of children's episodes that ended in 2024 by `delta` days in total."""
    if delta == 0:
        return
    rng = random_stream(rng_name)
    lo, hi = ytd_window(PERIOD)
    successors = set(frame["predecessor"])
    candidates = frame[
        (frame["target"] == CHILDREN)
        & frame["form"].isin(list(forms))
        & (frame["end"] > lo + 20)
        & (frame["end"] < hi - 20)
        & ~frame["placement"].isin(successors)
        & (frame["end"] - frame["start"] > 60)
    ].index.to_numpy()
    if not len(candidates):
        raise RuntimeError(f"demo: inga placeringar att justera för {forms}")
    order = rng.permutation(candidates)
    remaining, sign = abs(delta), 1 if delta > 0 else -1
    while remaining > 0:
        moved = False
        for idx in order:
            if remaining <= 0:
                break
            end = int(frame.at[idx, "end"])
            room = (hi - end) if sign > 0 else (end - int(frame.at[idx, "start"]) - 30)
            step = min(remaining, 40, max(room, 0))
            if step <= 0:
                continue
            frame.at[idx, "end"] = end + sign * step
            remaining -= step
            moved = True
        if not moved:
            raise RuntimeError(f"demo: kan inte flytta {delta} vårddygn för {forms}")


def fix_care_days(frame: pd.DataFrame) -> None:
    """HVB +16 %, family homes +7 %, consultancy share 25,8 % (January–August 2024)."""
    hvb = ["hvb", "hvb_skydd"]
    family = ["fh_egen", "fh_natverk", "fh_konsulent"]
    before = _ytd_days(frame, hvb, 1)
    now = _ytd_days(frame, hvb, 0)
    _shift_ends(frame, hvb, int(round(before * (1 + HVB_DAYS_CHANGE / 100) - now)), "days-hvb")
    before = _ytd_days(frame, family, 1)
    now = _ytd_days(frame, family, 0)
    target = before * (1 + FAMILY_HOME_DAYS_CHANGE / 100)
    _shift_ends(frame, ["fh_egen"], int(round(target - now)), "days-fh")
    consultancy = _ytd_days(frame, ["fh_konsulent"], 0)
    total = _ytd_days(frame, family, 0)
    move = int(round(total * CONSULTANCY_SHARE / 100 - consultancy))
    _shift_ends(frame, ["fh_konsulent"], move, "days-kons")
    _shift_ends(frame, ["fh_egen"], -move, "days-kons-egen")


def draw_prices(frame: pd.DataFrame) -> np.ndarray:
    """Price per care day from the price tables, set in the year the episode's price was set."""
    rng = random_stream("prices")
    prices = np.zeros(len(frame))
    placement_index = {p: i for i, p in enumerate(frame["placement"])}
    years = frame["start"].map(lambda d: int(str(np.datetime64(int(d), "D"))[:4])).to_numpy()
    step = month_start(PRICE_STEP_MONTH)
    order = np.argsort(frame["start"].to_numpy(), kind="stable")
    for i in order:
        row = frame.iloc[i]
        noise = rng.lognormal(0.0, PRICE_NOISE.get(row["form"], 0.10))
        if row["repriced"]:
            prices[i] = prices[placement_index[row["predecessor"]]] * PRICE_STEP
            continue
        key = f"{row['target']}:{row['form']}"
        if row["form"] == "hvb":
            kind = "ramavtal" if row["agreement"] == "Ramavtal" else "direktupphandling"
            key = f"{key}:{kind}"
        base = by_year(PRICES[key], int(years[i]))
        if key == "barn_unga:hvb:ramavtal" and row["start"] >= step and years[i] == 2020:
            base *= PRICE_STEP
        price = base * noise
        if row["supplement"]:
            price += by_year(SUPPLEMENT_KR, int(years[i])) * rng.lognormal(0.0, 0.25)
        prices[i] = price
    return np.round(prices)


def fix_price_step(frame: pd.DataFrame) -> None:
    """Scale the framework prices set from April 2020 so the step is exactly 15 %."""
    reg = register_of(frame)
    months = [shift_month(PRICE_STEP_MONTH, -1), PRICE_STEP_MONTH]
    days = reg.monthly_days(months)
    ep = reg.episodes
    mask = (
        (ep["target"] == CHILDREN) & (ep["form"] == "hvb") & (ep["agreement"] == "ramavtal")
    ).to_numpy()
    price = ep["price"].to_numpy()
    before = (days[mask, 0] * price[mask]).sum() / days[mask, 0].sum()
    after = (days[mask, 1] * price[mask]).sum() / days[mask, 1].sum()
    factor = PRICE_STEP * before / after
    year_end = day_number("2021-01-01")
    scaled = (
        (frame["target"] == CHILDREN)
        & (frame["form"] == "hvb")
        & (frame["agreement"] == "Ramavtal")
        & ~frame["supplement"]
        & (frame["start"] >= month_start(PRICE_STEP_MONTH))
        & (frame["start"] < year_end)
    )
    frame.loc[scaled, "price"] = np.round(frame.loc[scaled, "price"] * factor)


def fix_r12(frame: pd.DataFrame) -> None:
    """Two price factors (placements started 2022 to mid-2023, and later) hit both R12s."""
    reg = register_of(frame)
    ep = reg.episodes
    children = (ep["target"] == CHILDREN).to_numpy()
    price = ep["price"].to_numpy()
    cut_a, cut_b = day_number("2022-01-01"), day_number("2023-07-01")
    start = ep["start"].to_numpy()
    group_a = children & (start >= cut_a) & (start < cut_b)
    group_b = children & (start >= cut_b)
    fixed = children & ~group_a & ~group_b
    rows, rhs = [], []
    for period, target in R12_TARGETS.items():
        cost = reg.days(*r12_window(period)) * price
        rows.append([cost[group_a].sum(), cost[group_b].sum()])
        rhs.append(target - cost[fixed].sum())
    factor_a, factor_b = np.linalg.solve(np.array(rows), np.array(rhs))
    if not (0.75 < factor_a < 1.3 and 0.75 < factor_b < 1.3):
        raise RuntimeError(f"demo: orimliga prisfaktorer {factor_a:.3f}, {factor_b:.3f}")
    lookup = dict(zip(ep["placement"], zip(group_a, group_b, strict=True), strict=True))
    factors = np.array(
        [
            factor_a if lookup[p][0] else factor_b if lookup[p][1] else 1.0
            for p in frame["placement"]
        ]
    )
    frame["price"] = np.round(frame["price"].to_numpy() * factors)


def _propensity(frame: pd.DataFrame) -> np.ndarray:
    weights = []
    for form, agreement, supplement in zip(
        frame["form"], frame["agreement"], frame["supplement"], strict=True
    ):
        key = form
        if form == "hvb":
            kind = "tillaggsavtal" if supplement else agreement.lower()
            key = f"hvb:{kind}"
        weights.append(GANG_PROPENSITY.get(key, 0.0))
    return np.array(weights)


def mark_gang(frame: pd.DataFrame) -> None:
    """Mark placements (chains) linked to gang crime: share and cost as published."""
    rng = random_stream("gang")
    reg = register_of(frame)
    ep = reg.episodes
    chains = reg.chains
    row_of = pd.Series(range(len(frame)), index=frame["placement"])
    ep_rows = row_of.reindex(ep["placement"]).to_numpy()
    propensity = _propensity(frame)[ep_rows]
    birth = frame["birth"].to_numpy()[ep_rows]
    chain_weight = pd.Series(propensity, index=ep["chain"]).groupby(level=0).max()
    chain_birth = pd.Series(birth, index=ep["chain"]).groupby(level=0).min()
    chain_weight = chain_weight.where(chain_birth <= 2011, chain_weight * 0.02)
    chain_weight = chain_weight.where(chains["target"] == CHILDREN, 0.0)
    price = ep["price"].to_numpy()

    def window(back: int) -> tuple[pd.Series, pd.Series]:
        days = reg.days(*ytd_window(PERIOD, back))
        cost = pd.Series(days * price, index=ep["chain"]).groupby(level=0).sum()
        active = pd.Series(days, index=ep["chain"]).groupby(level=0).sum() > 0
        return cost, active & (chains["target"] == CHILDREN)

    cost_now, active_now = window(0)
    _, active_before = window(1)
    marked = pd.Series(False, index=chains.index)
    forced = chain_weight >= GANG_PROPENSITY["hvb_skydd"]
    marked |= forced
    candidates = chains.index[active_now & (chain_weight > 0)]
    wanted = int(round(GANG_SHARE / 100 * active_now.sum()))
    # weighted sampling without replacement (Gumbel top-k), then swaps to hit the cost
    keys = np.log(chain_weight[candidates].to_numpy()) + rng.gumbel(size=len(candidates))
    free = [c for c in candidates[np.argsort(-keys)] if not marked[c]]
    for chain in free[: max(wanted - int(marked[active_now].sum()), 0)]:
        marked[chain] = True
    selected = list(chains.index[marked & active_now & ~forced])
    pool = [c for c in candidates if not marked[c]]
    total = float(cost_now[marked & active_now].sum())
    for _ in range(20_000):
        gap = GANG_COST - total
        if abs(gap) < 15_000:
            break
        out_chain = selected[int(rng.integers(len(selected)))]
        costs_in = cost_now[pool].to_numpy()
        change = costs_in - cost_now[out_chain]
        best = int(np.argmin(np.abs(gap - change)))
        if abs(gap - change[best]) < abs(gap):
            in_chain = pool[best]
            marked[out_chain], marked[in_chain] = False, True
            selected.remove(out_chain)
            selected.append(in_chain)
            pool[best] = out_chain
            total += float(change[best])
    else:  # pragma: no cover - the search converges for the demo's sizes
        raise RuntimeError("demo: kostnaden för gängkopplade placeringar nås inte")
    # the same period last year: a slightly higher share
    wanted_before = int(round(GANG_SHARE_PREVIOUS / 100 * active_before.sum()))
    missing = wanted_before - int(marked[active_before].sum())
    only_before = chains.index[active_before & ~active_now & ~marked & (chain_weight > 0)]
    if missing > 0 and len(only_before):
        keys = np.log(chain_weight[only_before].to_numpy()) + rng.gumbel(size=len(only_before))
        for chain in only_before[np.argsort(-keys)][:missing]:
            marked[chain] = True
    # earlier years: by propensity (gang-related placements were fewer)
    earlier = chains.index[~active_before & ~active_now & (chain_weight > 0)]
    odds = chain_weight[earlier].to_numpy() * 0.08
    marked[earlier[rng.random(len(earlier)) < odds / (1 + odds)]] = True
    chain_marked = marked.reindex(ep["chain"]).to_numpy()
    gang = np.zeros(len(frame), dtype=bool)
    gang[ep_rows] = chain_marked
    frame["gang"] = gang
