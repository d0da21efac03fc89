"""Individuals and placements: hvb_individer, hvb_in_ut (new and ended placements), hvb_langd
(lengths) and the gang-crime figures; counts under the threshold are "<5" and as many others as
it takes are left empty for none to follow from a sum."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from uppfoljning.data.config import LEVEL
from uppfoljning.placements.aggregate import share
from uppfoljning.placements.dates import month_range, ytd_window
from uppfoljning.placements.period import PeriodView, month_label
from uppfoljning.placements.privacy import complementary_suppression
from uppfoljning.placements.register import ADULTS, CHILDREN, TARGET_GROUPS


class PlacementTables:
    """Individuals, flows, lengths and gang-crime figures of one period."""

    def __init__(self, view: PeriodView) -> None:
        self.view = view

    # -- individuals, flows, lengths --------------------------------------------------------
    def individuals(
        self, target: str, groups: Iterable[str] | None = None, months: Sequence[str] = ()
    ) -> pd.Series:
        """Distinct persons with a care day in each month (unsuppressed; callers suppress)."""
        months = list(months) or month_range(self.view.register.first_month, self.view.period)
        days = self.view.register.monthly_days(months)
        ep = self.view.register.episodes
        mask = (ep["target"] == target).to_numpy(copy=True)
        if groups is not None:
            mask &= ep["group"].isin(list(groups)).to_numpy()
        active = pd.DataFrame(days[mask] > 0, columns=months)
        return active.groupby(ep.loc[mask, "person"].to_numpy()).any().sum()

    def individuals_table(self) -> pd.DataFrame:
        """`hvb_individer`: distinct persons placed per month, January last year to the period."""
        months = month_range(f"{self.view.year - 1}-01", self.view.period)
        columns = {
            "individer_barn_unga": (CHILDREN, None),
            "individer_hvb_barn_unga": (CHILDREN, ["hvb"]),
            "individer_vuxna": (ADULTS, None),
            "individer_hvb_vuxna": (ADULTS, ["hvb"]),
        }
        frame = pd.DataFrame({"rad": [month_label(m) for m in months]})
        for name, (target, groups) in columns.items():
            series = self.individuals(target, groups, months)
            frame[name] = [self.view.count(v) for v in series.to_numpy()]
        return frame

    def flows(self, target: str, months: Sequence[str]) -> pd.DataFrame:
        """New and ended placements (chains) per month; a chain ends in its end date's month."""
        chains = self.view.register.chains
        chains = chains[chains["target"] == target]
        starts = pd.Series(
            [str(np.datetime64(int(d), "D"))[:7] for d in chains["start"]], dtype=str
        )
        ended = chains["end"] < self.view.register.as_of
        ends = pd.Series(
            [str(np.datetime64(int(d), "D"))[:7] for d in chains.loc[ended, "end"]], dtype=str
        )
        return pd.DataFrame(
            {
                "nya": starts.value_counts().reindex(months, fill_value=0),
                "avslutade": ends.value_counts().reindex(months, fill_value=0),
            }
        )

    def flows_table(self) -> pd.DataFrame:
        """`hvb_in_ut`: new and ended placements per month this year, with period sums.

        A month under `threshold` ("<5") leaves every other month of its column empty.
        """
        months = month_range(f"{self.view.year}-01", self.view.period)
        months0 = month_range(
            f"{self.view.year - 1}-01", f"{self.view.year - 1}-{self.view.month:02d}"
        )
        records: list[dict] = []
        now = {t: self.flows(t, months) for t in TARGET_GROUPS}
        before = {t: self.flows(t, months0) for t in TARGET_GROUPS}
        # a month under the threshold hides every month of its column: the period sum minus
        # the other months would give it
        hide = {
            (target, kind): bool(now[target][kind].map(self.view.small).any())
            for target in TARGET_GROUPS
            for kind in ("nya", "avslutade")
        }
        for month in months:
            rec: dict[str, Any] = {"rad": month_label(month)}
            for target in TARGET_GROUPS:
                for kind in ("nya", "avslutade"):
                    rec[f"{kind}_{target}"] = self.view.count(
                        now[target].loc[month, kind], hide=hide[target, kind]
                    )
            records.append(rec | {LEVEL: "rad"})
        for label, data, level in (
            (f"Summa {self.view.span}", now, "summa"),
            (f"Summa {self.view.span_previous}", before, "summa"),
        ):
            rec = {"rad": label}
            for target in TARGET_GROUPS:
                rec[f"nya_{target}"] = self.view.count(data[target]["nya"].sum())
                rec[f"avslutade_{target}"] = self.view.count(data[target]["avslutade"].sum())
            records.append(rec | {LEVEL: level})
        return pd.DataFrame.from_records(records)

    def lengths_table(self) -> pd.DataFrame:
        """`hvb_langd`: lengths of placements ended this year and of those still ongoing.

        A count under `threshold` is shown as "<5" and its lengths are hidden; so that it does
        not follow from the sum row, as many other counts as it takes are left empty too.
        """
        chains = self.view.register.chains
        lo, hi = ytd_window(self.view.period)
        as_of = self.view.register.as_of
        records = []
        for target in self.view.targets():
            part = chains[chains["target"] == target]
            target_records = [
                self._length_record(
                    part[part["group"] == group],
                    lo,
                    hi,
                    as_of,
                    self.view.row_label(target, group),
                    "rad",
                )
                for group in self.view.groups(part["group"])
            ]
            summa = self._length_record(
                part, lo, hi, as_of, f"Summa {TARGET_GROUPS[target].lower()}", "summa"
            )
            for column in ("avslutade", "pagaende"):
                counts = [r.pop(f"_{column}") for r in [*target_records, summa]]
                values = dict(enumerate(counts))
                primary = {i for i, n in values.items() if self.view.small(n)}
                total = len(counts) - 1
                equation = {total: 1.0} | dict.fromkeys(range(total), -1.0)
                hidden = complementary_suppression(values, primary, [equation], (), {total})
                for i, rec in enumerate([*target_records, summa]):
                    rec[column] = self.view.count(counts[i], hide=i in hidden)
            records += [*target_records, summa]
        return pd.DataFrame.from_records(records)

    def _length_record(
        self, chains: pd.DataFrame, lo: int, hi: int, as_of: int, label: str, level: str
    ) -> dict:
        ended = chains[(chains["end"] >= lo) & (chains["end"] < min(hi, as_of))]
        ongoing = chains[(chains["start"] < as_of) & (chains["end"] > as_of)]
        lengths = (ended["end"] - ended["start"]).to_numpy(float)
        elapsed = (as_of - ongoing["start"]).to_numpy(float)
        hide_ended = len(ended) < self.view.threshold
        hide_ongoing = len(ongoing) < self.view.threshold
        return {
            "rad": label,
            "avslutade": math.nan,
            "median_langd_avslutade": math.nan if hide_ended else float(np.median(lengths)),
            "medel_langd_avslutade": math.nan if hide_ended else float(lengths.mean()),
            "andel_over_ett_ar": math.nan
            if hide_ended
            else share((lengths > 365).sum(), len(lengths)),
            "pagaende": math.nan,
            "median_tid_pagaende": math.nan if hide_ongoing else float(np.median(elapsed)),
            LEVEL: level,
            "_avslutade": float(len(ended)),
            "_pagaende": float(len(ongoing)),
        }

    # -- gang crime ---------------------------------------------------------------------------
    def gang_figures(self, back: int = 0, target: str = CHILDREN) -> dict[str, float]:
        """Share of placements (chains) active in the window that are linked to gang crime,
        their number and their care-day cost in the window."""
        lo, hi = ytd_window(self.view.period, back)
        chain_days = self.view.register.chain_days(lo, hi)
        chains = self.view.register.chains
        active = chains[(chain_days.reindex(chains.index, fill_value=0) > 0).to_numpy()]
        active = active[active["target"] == target]
        linked = active[active["gang"]]
        days = self.view.register.days(lo, hi)
        ep = self.view.register.episodes
        in_linked = ep["chain"].isin(linked.index).to_numpy()
        cost = float((days * ep["price"].to_numpy())[in_linked].sum())
        persons = ep.loc[in_linked & (days > 0), "person"].nunique()
        small = self.view.small(persons)
        return {
            "placeringar": float(len(active)),
            "gangkopplade": float(len(linked)),
            "andel": math.nan if small else share(len(linked), len(active)),
            "kostnad": math.nan if small else cost,
            "individer": float(persons),
        }

    def individuals_chart_data(self) -> pd.DataFrame:
        """Persons on HVB (children) per month since the register starts (suppressed <5)."""
        series = self.individuals(CHILDREN, ["hvb"])
        return pd.DataFrame(
            {
                "period": series.index,
                "individer": series.where(~series.between(1, self.view.threshold - 1)).to_numpy(),
            }
        )
