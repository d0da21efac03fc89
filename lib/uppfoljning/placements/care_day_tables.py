"""Care days and cost per care day: hvb_varddygn, hvb_varddygn_manad, hvb_dygnskostnad,
hvb_pris_volym and the data of the care-days chart, with the year-to-date cells suppressed as
`privacy.protect_ytd` decides."""

from __future__ import annotations

import math

import pandas as pd

from uppfoljning.data.config import LEVEL
from uppfoljning.placements import privacy
from uppfoljning.placements.aggregate import pct_change, price_volume_mix
from uppfoljning.placements.dates import month_range
from uppfoljning.placements.period import PeriodView
from uppfoljning.placements.register import CHILDREN, TARGET_GROUPS
from uppfoljning.present.formatting import SWEDISH_MONTHS_SHORT

MERGED_LABEL = "Övriga vårdformer (sammanslagna av sekretesskäl)"


class CareDayTables:
    """The care-day and cost tables of one period."""

    def __init__(self, view: PeriodView) -> None:
        self.view = view

    # -- care days and cost per care day ----------------------------------------------------
    def care_days_table(self) -> pd.DataFrame:
        """`hvb_varddygn`: care days per form, year to date against the same period last year."""
        records = []
        for target in self.view.targets():
            groups = self.view.present_groups(target)
            for group in groups:
                records.append(self._days_record(target, [group], "rad"))
            records.append(self._days_record(target, groups, "summa"))
        records.append(self._days_record(None, None, "total"))
        return pd.DataFrame.from_records(records).drop(columns="_dolt")

    def _days_record(self, target: str | None, groups: list[str] | None, level: str) -> dict:
        targets = [target] if target else self.view.targets()
        persons = sum(self.view.ytd_persons(t, groups) for t in targets)
        persons_before = sum(self.view.ytd_persons(t, groups, 1) for t in targets)
        d1 = self.view.cells_total(0, targets, groups, "varddygn")
        d0 = self.view.cells_total(1, targets, groups, "varddygn")
        if level == "rad":
            label = self.view.row_label(target, groups[0])  # type: ignore[arg-type,index]
            cell: tuple[str, ...] = ("rad", target, groups[0])  # type: ignore[assignment,index]
        elif level == "summa":
            label = f"Summa {TARGET_GROUPS[target].lower()}"  # type: ignore[index]
            cell = ("summa", target)  # type: ignore[assignment]
        else:
            label = "Totalt"
            cell = ("total",)
        hide_now, hide_before = self.view.hidden(0, *cell), self.view.hidden(1, *cell)
        hidden = hide_now or hide_before
        return {
            "rad": label,
            "varddygn_foregaende_ar": math.nan if hide_before else d0,
            "varddygn": math.nan if hide_now else d1,
            "forandring": math.nan if hidden else d1 - d0,
            "forandring_procent": math.nan if hidden else pct_change(d1, d0),
            "individer_foregaende_ar": self.view.count(persons_before, hide=hide_before),
            "individer": self.view.count(persons, hide=hide_now),
            LEVEL: level,
            "_dolt": (hide_now, hide_before),
        }

    def cost_table(self) -> pd.DataFrame:
        """`hvb_dygnskostnad`: cost and cost per care day per form, this year and last."""
        records = []
        for target in self.view.targets():
            groups = self.view.present_groups(target)
            for group in groups:
                records.append(self._cost_record(target, [group], "rad"))
            records.append(self._cost_record(target, groups, "summa"))
        records.append(self._cost_record(None, None, "total"))
        return pd.DataFrame.from_records(records)

    def _cost_record(self, target: str | None, groups: list[str] | None, level: str) -> dict:
        base = self._days_record(target, groups, level)
        targets = [target] if target else self.view.targets()
        hide_now, hide_before = base["_dolt"]
        c1 = self.view.cells_total(0, targets, groups, "kostnad")
        c0 = self.view.cells_total(1, targets, groups, "kostnad")
        d1 = self.view.cells_total(0, targets, groups, "varddygn")
        d0 = self.view.cells_total(1, targets, groups, "varddygn")
        p1 = c1 / d1 if d1 and not hide_now else math.nan
        p0 = c0 / d0 if d0 and not hide_before else math.nan
        return {
            "rad": base["rad"],
            "kostnad_foregaende_ar": math.nan if hide_before else c0,
            "kostnad": math.nan if hide_now else c1,
            "dygnskostnad_foregaende_ar": p0,
            "dygnskostnad": p1,
            "forandring_procent": pct_change(p1, p0) if p0 == p0 and p1 == p1 else math.nan,
            LEVEL: level,
        }

    def monthly_care_days(self, target: str = CHILDREN, *, year: int | None = None) -> pd.DataFrame:
        """Care days per month and form group for a year (months up to the period only).

        A group's months are all hidden when one of them rests on fewer than `threshold`
        individuals or its year-to-date figure is hidden, and when that leaves a single group
        hidden, the smallest other group is hidden too, so that no month follows from a year
        total or from the months of the other groups.
        """
        year = year or self.view.year
        last = min(f"{year}-12", self.view.period)
        months = month_range(f"{year}-01", last)
        if not months:
            return pd.DataFrame()
        days = self.view.register.monthly_days(months)
        ep = self.view.register.episodes
        mask = (ep["target"] == target).to_numpy(copy=True)
        frame = pd.DataFrame(days[mask], columns=months)
        frame["group"] = ep.loc[mask, "group"].to_numpy()
        frame["person"] = ep.loc[mask, "person"].to_numpy()
        sums = frame.groupby("group")[months].sum()
        persons = frame[months].gt(0).groupby([frame["group"], frame["person"]]).any()
        counts = persons.groupby(level=0).sum()
        back = self.view.year - year
        hidden = None
        if back in (0, 1):  # a hidden year-to-date figure hides its months
            hidden = pd.Series(
                [self.view.hidden(back, "rad", target, g) for g in counts.index], counts.index
            )
        hide = privacy.hide_series(sums, counts, self.view.threshold, hidden)
        sums = sums.astype(float)
        sums.loc[hide[hide].index] = math.nan
        return sums.reindex(self.view.groups(sums.index))

    def monthly_table(self) -> pd.DataFrame:
        """`hvb_varddygn_manad`: care days per month of the year, per form (jan … month).

        `summa` is the year-to-date figure of hvb_varddygn, shown unless that is hidden.
        """
        months = [SWEDISH_MONTHS_SHORT[m - 1] for m in range(1, self.view.month + 1)]
        cells = self.view.ytd[0]
        records = []
        for target in self.view.targets():
            current = self.monthly_care_days(target)
            for group in current.index:
                values = current.loc[group].to_numpy()
                if (target, group) not in cells.index:  # no care day this year
                    total = 0.0
                elif self.view.hidden(0, "rad", target, group):
                    total = math.nan
                else:
                    total = float(cells.loc[(target, group), "varddygn"])
                records.append(
                    {"rad": self.view.row_label(target, group)}
                    | dict(zip(months, values, strict=True))
                    | {"summa": total, LEVEL: "rad"}
                )
        return pd.DataFrame.from_records(records, columns=["rad", *months, "summa", LEVEL])

    # -- price, volume and mix --------------------------------------------------------------
    def price_volume_table(self, target: str = CHILDREN) -> pd.DataFrame:
        """`hvb_pris_volym`: the change in cost year to date split into volume, mix and price.

        Groups hidden in hvb_varddygn (this year or last) are decomposed together as one row,
        MERGED_LABEL: Totalt minus the shown rows then gives only their sum, which the sum rows
        of hvb_varddygn and hvb_dygnskostnad give anyway.
        """
        now, before = self.view.ytd
        columns = ["varddygn", "kostnad"]

        def cells(frame: pd.DataFrame) -> pd.DataFrame:
            if target not in frame.index.get_level_values(0):
                return pd.DataFrame(columns=columns, dtype=float)
            return frame.xs(target, level="target")[columns]

        cur, prev = cells(now), cells(before)
        order = self.view.groups([*cur.index, *prev.index])
        hidden = [g for g in order if any(self.view.hidden(b, "rad", target, g) for b in (0, 1))]
        sizes = cur["varddygn"].reindex(order).fillna(0) + prev["varddygn"].reindex(order).fillna(0)
        merged = privacy.merged_groups(order, hidden, sizes)
        label = {
            g: MERGED_LABEL if g in merged else self.view.catalogue.group_label(g) for g in order
        }
        rows_order = list(dict.fromkeys(label[g] for g in order if g not in merged))
        rows_order += [MERGED_LABEL] if merged else []
        cur = cur.groupby(cur.index.map(label)).sum()
        prev = prev.groupby(prev.index.map(label)).sum()
        table = price_volume_mix(
            prev.reindex(rows_order).dropna(how="all"), cur.reindex(rows_order)
        )
        table = table.reindex(rows_order)
        total = table.sum(numeric_only=True)
        whole_hidden = any(self.view.hidden(b, "summa", target) for b in (0, 1))
        rows = []
        for name in rows_order:
            rec = table.loc[name].to_dict()
            rows.append({"rad": name} | rec | {LEVEL: "rad"})
        rows.append({"rad": "Totalt"} | total.to_dict() | {LEVEL: "total"})
        frame = pd.DataFrame.from_records(rows, columns=["rad", *table.columns, LEVEL])
        if whole_hidden:
            frame[list(table.columns)] = math.nan
        return frame

    # -- chart data ---------------------------------------------------------------------------
    def care_days_chart_data(self, target: str = CHILDREN) -> pd.DataFrame:
        """Long frame: group label, year, month number, care days (this year and last)."""
        records = []
        for year in (self.view.year - 1, self.view.year):
            data = self.monthly_care_days(target, year=year)
            for group in data.index:
                for month, value in data.loc[group].items():
                    records.append(
                        {
                            "rad": self.view.catalogue.group_label(group),
                            "ar": year,
                            "manad": int(month[5:7]),
                            "varddygn": value,
                        }
                    )
        return pd.DataFrame.from_records(records)
