"""Cost over time and by agreement: hvb_r12 (rolling twelve months), hvb_avtal (framework
agreements, supplementary agreements, direct purchases), the price index by agreement and the
framework price step; a window or category resting on fewer than the threshold of individuals
is left empty."""

from __future__ import annotations

import math
from collections.abc import Hashable

import numpy as np
import pandas as pd

from uppfoljning.data.config import LEVEL
from uppfoljning.placements.aggregate import pct_change, share
from uppfoljning.placements.dates import month_range, r12_window, shift_month, ytd_window
from uppfoljning.placements.period import PeriodView, month_label
from uppfoljning.placements.privacy import SUPPRESSED, complementary_suppression
from uppfoljning.placements.register import AGREEMENT_LABELS, CHILDREN, TARGET_GROUPS


class PriceTables:
    """Rolling costs, agreements and prices of one period."""

    def __init__(self, view: PeriodView) -> None:
        self.view = view

    # -- rolling twelve months --------------------------------------------------------------
    def rolling(self, target: str, first: str | None = None) -> pd.DataFrame:
        """R12 cost, care days and cost per care day per month (missing months count zero)."""
        start = max(shift_month(self.view.register.first_month, 11), first or "0000-01")
        if start > self.view.period:
            return pd.DataFrame(columns=["period", "kostnad", "varddygn", "dygnskostnad"])
        months = month_range(shift_month(start, -11), self.view.period)
        days = self.view.register.monthly_days(months)
        ep = self.view.register.episodes
        mask = (ep["target"] == target).to_numpy(copy=True)
        monthly_days = days[mask].sum(axis=0).astype(float)
        monthly_cost = (days[mask] * ep.loc[mask, "price"].to_numpy()[:, None]).sum(axis=0)
        r12_days = pd.Series(monthly_days, index=months).rolling(12).sum()
        r12_cost = pd.Series(monthly_cost, index=months).rolling(12).sum()
        # persons with a care day in each twelve-month window: a window under the threshold
        # is not shown
        placed = pd.DataFrame(days[mask] > 0).groupby(ep.loc[mask, "person"].to_numpy()).any()
        seen = np.cumsum(placed.to_numpy(int), axis=1)
        before = np.pad(seen, ((0, 0), (12, 0)))[:, : len(months)]
        small = pd.Series(((seen - before) > 0).sum(axis=0), index=months).map(self.view.small)
        out = pd.DataFrame(
            {
                "period": months,
                "kostnad": r12_cost.where(~small).to_numpy(),
                "varddygn": r12_days.where(~small).to_numpy(),
            }
        )
        out["dygnskostnad"] = out["kostnad"] / out["varddygn"].where(out["varddygn"] > 0)
        return out[out["period"] >= start].reset_index(drop=True)

    def r12_cost(self, target: str, period: str | None = None) -> float:
        """Cost in the twelve months ending with `period` (empty under the threshold)."""
        lo, hi = r12_window(period or self.view.period)
        days = self.view.register.days(lo, hi)
        ep = self.view.register.episodes
        mask = (ep["target"] == target).to_numpy() & (days > 0)
        if self.view.small(ep.loc[mask, "person"].nunique()):
            return math.nan
        return float((days * ep["price"].to_numpy())[mask].sum())

    def rolling_table(self) -> pd.DataFrame:
        """`hvb_r12`: the last 24 months' rolling 12-month cost, care days and cost per day."""
        first = shift_month(self.view.period, -23)
        frame = pd.DataFrame({"period": month_range(first, self.view.period)})
        for target in TARGET_GROUPS:
            part = self.rolling(target, first).set_index("period")
            for col in ("kostnad", "varddygn", "dygnskostnad"):
                frame[f"{col}_{target}"] = frame["period"].map(part[col]) if len(part) else np.nan
        frame.insert(0, "rad", frame.pop("period").map(month_label))
        return frame

    # -- agreements ---------------------------------------------------------------------------
    def agreement_table(self, group: str = "hvb") -> pd.DataFrame:
        """`hvb_avtal`: framework agreement, supplementary agreements and direct purchases.

        A category built on fewer than `threshold` individuals is hidden, and with it as many
        other categories as it takes for none to follow from the sum row (whose figures are
        those of hvb_varddygn and hvb_dygnskostnad, hidden with them).
        """
        records = []
        lo, hi = ytd_window(self.view.period)
        lo0, hi0 = ytd_window(self.view.period, 1)
        for target in self.view.targets():
            ep = self.view.register.episodes
            mask = ((ep["target"] == target) & (ep["group"] == group)).to_numpy()
            if not mask.any():
                continue
            days = self.view.register.days(lo, hi)
            days0 = self.view.register.days(lo0, hi0)
            part = ep[mask].assign(_d=days[mask], _d0=days0[mask])
            part = part.assign(_c=part["_d"] * part["price"], _c0=part["_d0"] * part["price"])
            active = part[part["_d"] > 0]
            total_days = float(active["_d"].sum())
            total_chains = active["chain"].nunique()
            cats = [c for c in AGREEMENT_LABELS if c in set(part["agreement"])]
            label = f"{self.view.catalogue.group_label(group)} {TARGET_GROUPS[target].lower()}"
            summa_hidden = self.view.hidden(0, "rad", target, group)
            values: dict[Hashable, float] = {}
            primary: set[Hashable] = {"summa"} if summa_hidden else set()
            for cat in cats:
                sub = active[active["agreement"] == cat]
                values[cat] = float(sub["_d"].sum())
                if self.view.small(sub["person"].nunique()):
                    primary.add(cat)
            equation = {"summa": 1.0} | dict.fromkeys(cats, -1.0)
            hidden = complementary_suppression(
                values, primary, [equation], set() if summa_hidden else {"summa"}
            )
            for cat in cats:
                sub = part[part["agreement"] == cat]
                rec = self._agreement_record(
                    sub,
                    f"{AGREEMENT_LABELS[cat]}, {label}",
                    "rad",
                    total_days,
                    total_chains,
                    cat in hidden,
                )
                records.append(rec | {"_malgrupp": target, "_avtal": cat})
            rec = self._agreement_record(
                part, f"Summa {label}", "summa", total_days, total_chains, summa_hidden
            )
            records.append(rec | {"_malgrupp": target, "_avtal": ""})
        return pd.DataFrame.from_records(records)

    def _agreement_record(
        self,
        part: pd.DataFrame,
        label: str,
        level: str,
        total_days: float,
        total_chains: int,
        hide: bool,
    ) -> dict:
        active = part[part["_d"] > 0]
        active0 = part[part["_d0"] > 0]
        persons, persons0 = active["person"].nunique(), active0["person"].nunique()
        chains = active["chain"].nunique()
        days, days0 = float(active["_d"].sum()), float(active0["_d0"].sum())
        cost, cost0 = float(active["_c"].sum()), float(active0["_c0"].sum())
        hide0 = self.view.small(persons0)
        return {
            "rad": label,
            "placeringar": SUPPRESSED
            if self.view.small(persons)
            else self.view.count(chains, hide=hide),
            "andel_placeringar": math.nan if hide else share(chains, total_chains),
            "varddygn": math.nan if hide else days,
            "andel_varddygn": math.nan if hide else share(days, total_days),
            "kostnad": math.nan if hide else cost,
            "dygnskostnad": math.nan if hide or not days else cost / days,
            "dygnskostnad_foregaende_ar": math.nan if hide0 or not days0 else cost0 / days0,
            LEVEL: level,
        }

    def price_index(self, group: str = "hvb", target: str = CHILDREN) -> pd.DataFrame:
        """Cost per care day per month and agreement category since the register starts."""
        months = month_range(self.view.register.first_month, self.view.period)
        days = self.view.register.monthly_days(months)
        ep = self.view.register.episodes
        mask = ((ep["target"] == target) & (ep["group"] == group)).to_numpy()
        frame = pd.DataFrame(days[mask], columns=months)
        cost = frame.mul(ep.loc[mask, "price"].to_numpy(), axis=0)
        cats = ep.loc[mask, "agreement"].to_numpy()
        persons = ep.loc[mask, "person"].to_numpy()
        out = {}
        for cat in [c for c in AGREEMENT_LABELS if c in set(cats)]:
            sel = cats == cat
            d = frame[sel].sum()
            n = frame[sel].gt(0).groupby(persons[sel]).any().sum()
            price = cost[sel].sum() / d.where(d > 0)
            out[AGREEMENT_LABELS[cat]] = price.where(n >= self.view.threshold)
        all_days = frame.sum()
        everyone = frame.gt(0).groupby(persons).any().sum()
        out["Samtliga"] = (cost.sum() / all_days.where(all_days > 0)).where(
            everyone >= self.view.threshold
        )
        return pd.DataFrame(out)

    # -- framework price step (history) ---------------------------------------------------
    def price_step(self, month: str, group: str = "hvb", target: str = CHILDREN) -> float:
        """% change in cost per care day under framework agreements from `month − 1` to `month`.

        The register holds a new episode from the day a new framework price applies, so the
        month-on-month change of the care-day weighted price shows the price step (2020-04:
        the new HVB framework agreements for children, about +15 %).
        """
        prices = self.price_index(group, target)
        series = prices.get(AGREEMENT_LABELS["ramavtal"])
        if series is None:
            return math.nan
        return pct_change(float(series[month]), float(series[shift_month(month, -1)]))

    def rolling_chart_data(self) -> pd.DataFrame:
        frames = []
        for target, label in TARGET_GROUPS.items():
            part = self.rolling(target)
            frames.append(part.assign(rad=f"{label}"))
        return pd.concat(frames, ignore_index=True)
