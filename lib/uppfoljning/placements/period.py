"""The register seen from one report period: the year-to-date cells every table starts from,
the labels of the period and of a row, and the suppression of the year-to-date cells.

`PeriodView` is what the report's sections share; it computes each window once. A count is
shown through `count` ("<5" when small) and a year-to-date cell is looked up in `hidden`, both
from `privacy`, so every section applies the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from uppfoljning.data.care_forms import CareFormCatalogue
from uppfoljning.data.config import parse_period
from uppfoljning.placements import privacy
from uppfoljning.placements.aggregate import aggregate
from uppfoljning.placements.dates import ytd_window
from uppfoljning.placements.register import TARGET_GROUPS, Register
from uppfoljning.placements.settings import PlacementSettings
from uppfoljning.present.formatting import SWEDISH_MONTHS_SHORT, period_range_label


def month_label(period: str) -> str:
    """`"2024-03"` → "mar 2024", the row label of a month."""
    return f"{SWEDISH_MONTHS_SHORT[int(period[5:7]) - 1]} {period[:4]}"


@dataclass
class PeriodView:
    """One report period of the register, with its settings (thresholds, ledger mapping)."""

    period: str
    register: Register
    settings: PlacementSettings

    @property
    def year(self) -> int:
        return parse_period(self.period)[0]

    @property
    def month(self) -> int:
        return parse_period(self.period)[1]

    @property
    def catalogue(self) -> CareFormCatalogue:
        return self.register.catalogue

    @property
    def span(self) -> str:
        return period_range_label(self.period)

    @property
    def span_previous(self) -> str:
        return period_range_label(f"{self.year - 1}-{self.month:02d}")

    @property
    def threshold(self) -> int:
        return self.settings.suppress_below

    def small(self, count: float) -> bool:
        """A count under the threshold (zero is not small: nobody to protect)."""
        return privacy.is_small(count, self.threshold)

    def count(self, count: float, *, hide: bool = False) -> float | str:
        """A count for export: the number, "<5" when it is small, empty (NaN) when `hide`."""
        return privacy.shown_count(count, self.threshold, hide=hide)

    def targets(self) -> list[str]:
        present = set(self.register.episodes["target"])
        return [t for t in TARGET_GROUPS if t in present]

    def groups(self, cells: Iterable[str]) -> list[str]:
        present = set(cells)
        return [g for g in self.catalogue.groups if g in present]

    def present_groups(self, target: str) -> list[str]:
        """Groups with care days this year or last year, in catalogue order."""
        now, before = self.ytd
        return self.groups([g for t, g in [*now.index, *before.index] if t == target])

    def row_label(self, target: str, group: str) -> str:
        return f"{self.catalogue.group_label(group)}, {TARGET_GROUPS[target].lower()}"

    @cached_property
    def ytd(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        now = aggregate(self.register, *ytd_window(self.period))
        before = aggregate(self.register, *ytd_window(self.period, 1))
        return now, before

    @cached_property
    def ytd_hidden(self) -> tuple[frozenset, frozenset]:
        """The year-to-date cells not shown, this year (0) and last year (1).

        See `privacy.protect_ytd` for the cells and the rules.
        """
        return privacy.protect_ytd(self, 0), privacy.protect_ytd(self, 1)

    def hidden(self, back: int, *cell: str) -> bool:
        """Is the year-to-date cell (("rad", target, group), ("summa", target) …) hidden?"""
        return cell in self.ytd_hidden[back]

    @cached_property
    def ytd_days(self) -> tuple[np.ndarray, np.ndarray]:
        return (
            self.register.days(*ytd_window(self.period)),
            self.register.days(*ytd_window(self.period, 1)),
        )

    def cells_total(
        self, back: int, targets: Sequence[str], groups: Sequence[str] | None, column: str
    ) -> float:
        """Sum of one column of the year-to-date cells (back=1: last year) for the selection."""
        cells = self.ytd[back]
        keep = [i for i in cells.index if i[0] in targets and (groups is None or i[1] in groups)]
        return float(cells.loc[keep, column].sum()) if keep else 0.0

    def ytd_sum(self, target: str, groups: Iterable[str], column: str, back: int = 0) -> float:
        cells = self.ytd[back]
        wanted = [(target, g) for g in groups if (target, g) in cells.index]
        return float(cells.loc[wanted, column].sum()) if wanted else 0.0

    def ytd_persons(self, target: str, groups: Iterable[str] | None = None, back: int = 0) -> int:
        days = self.register.days(*ytd_window(self.period, back))
        ep = self.register.episodes
        mask = (days > 0) & (ep["target"] == target).to_numpy(copy=True)
        if groups is not None:
            mask &= ep["group"].isin(list(groups)).to_numpy()
        return int(ep.loc[mask, "person"].nunique())
