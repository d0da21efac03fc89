"""Privacy: which figures of the placement report are not shown, decided before presentation.

Counts of fewer than `sekretess_under` (default 5) individuals or placements are shown as "<5"
and every figure derived from such a cell (care days, cost, prices, shares, lengths, forecast
parts) is left empty. Complementary suppression keeps a hidden cell from being recovered by
subtraction: a hidden month hides its whole monthly series, a form's months are never hidden
alone, and `complementary_suppression` hides further cells until no hidden cell follows from
the published sums, subtotals in other tables (the reconciliation's register cost, the register
forecast in hvb_prognos_jamforelse) included; hidden forms are merged in the price–volume
table.

Where each rule is applied (every published figure passes through one of them):

- `is_small` / `shown_count`: every count ("<5"), via `PeriodView.count`; the primary rule of
  every cell below.
- `protect_ytd`: the year-to-date care days and cost (hvb_varddygn, hvb_dygnskostnad, the
  key figures built on them, the cost so far of hvb_prognos), via `PeriodView.hidden`; the
  register cost of hvb_avstamning is published in full and counts as known.
- `protect_forecast`: hvb_prognos and the register forecast of hvb_prognos_jamforelse.
- `hide_series`: the monthly series of hvb_varddygn_manad and its chart.
- `merged_groups`: the rows of hvb_pris_volym.
- `complementary_suppression` directly: the agreement categories of hvb_avtal and the counts
  of hvb_langd against their sum rows.
- Windows built on fewer than the threshold of individuals (R12 months, price index months,
  gang-crime figures, individuals per month, lengths of fewer placements) are left empty
  where they are computed, with `PeriodView.small` or the threshold.

No person-level value ever leaves the package.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from uppfoljning.placements.forecast import FORECAST_PARTS
from uppfoljning.placements.register import CHILDREN

if TYPE_CHECKING:
    from uppfoljning.placements.period import PeriodView

SUPPRESSED = "<5"
"""What a count under the threshold is shown as."""


def is_small(count: float, threshold: int) -> bool:
    """A count under the threshold; zero is not small (there is nobody to protect)."""
    return 0 < count < threshold


def shown_count(count: float, threshold: int, *, hide: bool = False) -> float | str:
    """A count for export: the number, "<5" when it is small, empty (NaN) when `hide`."""
    if is_small(count, threshold):
        return SUPPRESSED
    return math.nan if hide else float(count)


def _recoverable(hidden: set[Hashable], equations: Sequence[Mapping[Hashable, float]]) -> set:
    """The hidden cells that the equations determine once every published cell is known.

    A hidden cell is determined when its unit vector lies in the row space of the equations
    restricted to the hidden cells, i.e. when every null-space vector is zero in its column.
    """
    order = sorted(hidden, key=repr)
    column = {cell: i for i, cell in enumerate(order)}
    rows = [
        [eq.get(cell, 0.0) for cell in order] for eq in equations if any(c in column for c in eq)
    ]
    if not rows:
        return set()
    matrix = np.array(rows, dtype=float)
    _, singular, vh = np.linalg.svd(matrix)
    rank = int((singular > 1e-9 * max(float(singular.max(initial=0.0)), 1.0)).sum())
    null = vh[rank:]
    return {cell for cell in order if np.all(np.abs(null[:, column[cell]]) < 1e-9)}


def complementary_suppression(
    values: Mapping[Hashable, float],
    hidden: Iterable[Hashable],
    equations: Sequence[Mapping[Hashable, float]],
    fixed: Iterable[Hashable] = (),
    last_resort: Iterable[Hashable] = (),
) -> set[Hashable]:
    """The cells to hide so that no hidden cell can be computed from the published ones.

    `equations` are the linear relations a reader knows between published figures, each as
    {cell: coefficient} summing to zero: a total and its parts ({total: 1, part: -1, …}), a
    row total and its columns, the same figure in two tables. Starting from the primary
    suppressions `hidden`, while one of them is determined by the equations (one hidden part
    of a published total, or a combination such as "total − subtotal"), more cells of the
    equations with hidden cells are hidden: those leaving the fewest primary cells
    determined, the smallest value first (the usual rule "also hide the next smallest cell").
    A complementary cell may itself be determined: it is no secret. Two cells of a two-cell
    equation (a figure and its complement to a published one) are hidden together. `fixed`
    cells are published elsewhere and are never chosen; `last_resort` cells (sum rows) only
    when nothing else is left.
    """
    sensitive = set(hidden)
    out, fixed, reluctant = set(hidden), set(fixed), set(last_resort)
    tied: dict[Hashable, set[Hashable]] = {}
    for eq in equations:
        if len(eq) == 2:
            joined = set(eq).union(*(tied.get(c, set()) for c in eq))
            for cell in joined:
                tied[cell] = joined

    def exposed(cells: set[Hashable]) -> set[Hashable]:
        return _recoverable(cells, equations) & sensitive

    while exposed(out):
        options = {
            frozenset(tied.get(cell, {cell}) - out)
            for eq in equations
            if eq.keys() & out
            for cell in eq
            if cell not in out
        }
        options = {o for o in options if o and not o & fixed}
        options = {o for o in options if not o & reluctant} or options
        if not options:  # only cells published elsewhere left: nothing more to hide here
            break
        out |= min(
            options,
            key=lambda o: (
                len(exposed(out | o)),
                sum(abs(float(values.get(c, 0.0))) for c in o),
                sorted(map(repr, o)),
            ),
        )
    return out


def protect_ytd(view: PeriodView, back: int) -> frozenset:
    """Primary and complementary suppression of the year-to-date care days and cost.

    Cells: ("rad", target, group), ("summa", target), ("total",) as in hvb_varddygn and
    hvb_dygnskostnad, ("familjehem",) (the children's family-home care days, a key figure)
    and, this year, ("avstamning", target): the register cost of the forms booked on the
    target group's row, the sum of the reconciliation's months. A cell built on fewer than
    `threshold` individuals is hidden, and then as many more as it takes for no hidden
    cell to follow from the published sums.
    """
    cells = view.ytd[back]
    days = view.ytd_days[back]
    ep = view.register.episodes
    values: dict[Hashable, float] = {}
    hidden: set[Hashable] = set()
    fixed: set[Hashable] = set()
    sums: set[Hashable] = set()
    equations: list[dict[Hashable, float]] = []
    total: dict[Hashable, float] = {("total",): 1.0}
    persons_total = 0
    for target in view.targets():
        groups = view.groups(g for t, g in cells.index if t == target)
        summa = ("summa", target)
        persons = view.ytd_persons(target, back=back)
        persons_total += persons
        values[summa] = view.cells_total(back, [target], None, "varddygn")
        (hidden if view.small(persons) else sums).add(summa)
        parts: dict[Hashable, float] = {summa: 1.0}
        on_row: dict[Hashable, float] = {("avstamning", target): 1.0}
        for group in groups:
            key = ("rad", target, group)
            values[key] = float(cells.loc[(target, group), "varddygn"])
            if view.small(cells.loc[(target, group), "individer"]):
                hidden.add(key)
            parts[key] = -1.0
            mask = (
                (days > 0) & (ep["target"] == target).to_numpy() & (ep["group"] == group).to_numpy()
            )
            elsewhere = {view.catalogue.forms[f].activity is not None for f in ep["form"][mask]}
            if elsewhere == {False}:
                on_row[key] = -1.0
            elif elsewhere == {True, False}:  # part of the group is booked elsewhere
                on_row[("del", target, group)] = -1.0
                hidden.add(("del", target, group))
        equations.append(parts)
        total[summa] = -1.0
        if back == 0 and target in view.settings.ledger:
            equations.append(on_row)
            fixed.add(("avstamning", target))
        if target == CHILDREN:
            fh = [g for g in view.catalogue.family_home_groups if g in groups]
            if fh:
                values[("familjehem",)] = view.ytd_sum(CHILDREN, fh, "varddygn", back)
                if view.small(view.ytd_persons(CHILDREN, fh, back)):
                    hidden.add(("familjehem",))
                equations.append({("familjehem",): 1.0} | {("rad", CHILDREN, g): -1.0 for g in fh})
    values[("total",)] = sum(values[k] for k in total if k != ("total",))
    (hidden if view.small(persons_total) else sums).add(("total",))
    equations.append(total)
    return frozenset(complementary_suppression(values, hidden, equations, fixed, sums))


def protect_forecast(view: PeriodView, cells: pd.DataFrame) -> frozenset:
    """Primary and complementary suppression of hvb_prognos and the register forecast in
    hvb_prognos_jamforelse.

    Cells: (target, group, column) and (target, "summa", column) for the four forecast
    columns, ("jamforelse", target) for the register forecast of the forms booked on the
    target's row and ("ovrigt", target) for what the controllers' forecast leaves for other
    costs (their forecast, which is published, minus it). Primary: the cost so far as in
    hvb_dygnskostnad; the ongoing placements' rest of the year when fewer than `threshold`
    placements are ongoing; the expected new placements when fewer than `threshold` started
    in the inflow window; the full-year forecast when any of its parts is hidden.
    """
    parts = list(FORECAST_PARTS)
    columns = [*parts, "prognos_helar"]
    values: dict[Hashable, float] = {}
    hidden: set[Hashable] = set()
    fixed: set[Hashable] = set()
    equations: list[dict[Hashable, float]] = []
    for target in view.targets():
        mine = cells[cells["target"] == target]
        part = mine.groupby("group")[[*columns, "_pagaende", "_nya"]].sum()
        groups = view.groups(part.index)
        rows: list[tuple[str, pd.Series, bool]] = [
            (g, part.loc[g], view.hidden(0, "rad", target, g)) for g in groups
        ]
        rows.append(("summa", part.sum(), view.hidden(0, "summa", target)))
        for name, row, cost_hidden in rows:
            key = {c: (target, name, c) for c in columns}
            values |= {key[c]: float(row[c]) for c in columns}
            (hidden if cost_hidden else fixed).add(key["kostnad_hittills"])
            if view.small(row["_pagaende"]):
                hidden.add(key["aktiva_placeringar"])
            if view.small(row["_nya"]):
                hidden.add(key["nya_placeringar"])
            if any(key[c] in hidden for c in parts):
                hidden.add(key["prognos_helar"])
            equations.append({key["prognos_helar"]: 1.0} | {key[c]: -1.0 for c in parts})
        for c in columns:
            equations.append({(target, "summa", c): 1.0} | {(target, g, c): -1.0 for g in groups})
        if target in view.settings.ledger:
            on_row: dict[Hashable, float] = {("jamforelse", target): 1.0}
            for group in groups:
                booked = set(mine.loc[mine["group"] == group, "elsewhere"])
                if booked == {False}:
                    on_row[(target, group, "prognos_helar")] = -1.0
                elif booked == {True, False}:  # part of the group is booked elsewhere
                    on_row[(target, group, "del")] = -1.0
                    hidden.add((target, group, "del"))
            values[("jamforelse", target)] = float(
                mine.loc[~mine["elsewhere"], "prognos_helar"].sum()
            )
            equations += [on_row, {("ovrigt", target): 1.0, ("jamforelse", target): 1.0}]
    return frozenset(complementary_suppression(values, hidden, equations, fixed))


def hide_series(
    sums: pd.DataFrame, counts: pd.DataFrame, threshold: int, hidden: pd.Series | None = None
) -> pd.Series:
    """The rows (form groups) whose whole monthly series is hidden.

    `sums` and `counts` are groups × months of care days and of individuals. A row is hidden
    when one of its months rests on fewer than `threshold` individuals, or when `hidden` (its
    year-to-date figure is hidden) says so; when that leaves a single row with care days
    hidden, the smallest other row is hidden too, so that no month follows from a year total
    or from the months of the other rows.
    """
    hide = ((counts > 0) & (counts < threshold)).any(axis=1)
    if hidden is not None:
        hide |= hidden
    present = sums.index[sums.sum(axis=1) > 0]
    if hide[present].sum() == 1 and len(present) > 1:
        others = sums.loc[present].sum(axis=1)[~hide[present]]
        hide[others.idxmin()] = True
    return hide


def merged_groups(order: Sequence[str], hidden: Iterable[str], sizes: pd.Series) -> list[str]:
    """The groups decomposed together under one merged row: the hidden ones, and never one
    alone (then the smallest other group by `sizes` joins it)."""
    merged = [g for g in order if g in set(hidden)]
    if len(merged) == 1 and len(order) > 1:  # never one group alone under the merged label
        merged.append(sizes.drop(merged).idxmin())
    return merged
