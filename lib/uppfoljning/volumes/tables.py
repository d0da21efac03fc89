"""The volume report's tables of one period: volume measures, staff statistics, committee
indicators and goal assessments, and the chart series, computed from the processed data.

What is dropped or missing in the data (unknown sexes, measures outside the catalogue, missing
months, indicators without data) becomes a note for "Om rapporten", never silently. Every table
has `rad` first; `_decimaler` is a display hint and is never exported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from uppfoljning.data.config import PeriodParams
from uppfoljning.present.formatting import period_range_label
from uppfoljning.volumes.catalogue import (
    FLOW,
    NONE,
    GoalAssessments,
    Measure,
    MeasureCatalogue,
    StaffMeasure,
)
from uppfoljning.volumes.compute import (
    DECIMALS,
    forecast,
    indicator_columns,
    indicator_frame,
    indicator_table,
    monthly_by_year,
    monthly_frame,
    months_present,
    normalise_sex,
    share_of_women,
    short_label,
    year_to_date,
)

VOLUME_COLUMNS = [
    "rad",
    "grupp",
    "utfall_foregaende_ar",
    "utfall",
    "prognos_helar",
    "andel_kvinnor_foregaende_ar",
    "andel_kvinnor",
]
STAFF_COLUMNS = ["rad", "utfall_foregaende_ar", "utfall", "malvarde"]
GOAL_COLUMNS = ["rad", "malomrade", "bedomning"]
INDICATOR_YEARS = 3  # year columns in the indicator table


def _what(label: str, group: str) -> str:
    return f"{label} ({group})" if group else label


@dataclass
class VolumeTables:
    """Computes the volume, staff, indicator and goal tables of one period."""

    params: PeriodParams
    catalogue: MeasureCatalogue
    volume_raw: pd.DataFrame
    staff_raw: pd.DataFrame
    indicator_raw: pd.DataFrame
    assessments: GoalAssessments | None
    _notes: dict[str, None] = field(default_factory=dict, repr=False)

    @property
    def year(self) -> int:
        return self.params.year

    @property
    def month(self) -> int:
        return self.params.month

    @property
    def notes(self) -> list[str]:
        return list(self._notes)

    def _note(self, text: str) -> None:
        self._notes[text] = None

    # -- data -------------------------------------------------------------------------------
    @cached_property
    def _volumes(self) -> pd.DataFrame:
        return self._known(self.volume_raw, self.catalogue.measures, "volymer")

    @cached_property
    def _staff(self) -> pd.DataFrame:
        return self._known(self.staff_raw, self.catalogue.staff, "personal")

    def _known(self, raw: pd.DataFrame, measures: tuple, dataset: str) -> pd.DataFrame:
        """Monthly frame of the catalogue's measures; what is dropped becomes a note."""
        if "kon" in raw:
            unknown = sorted(set(raw["kon"][normalise_sex(raw["kon"]) == "?"]))
            if unknown:
                self._note(f"{dataset}: okända värden i kolumnen kon lästes inte: {unknown}")
        frame = monthly_frame(raw)
        keys = {m.key for m in measures}
        extra = sorted(set(frame["matt"]) - keys)
        if extra:
            self._note(
                f"{dataset}: måtten {', '.join(extra)} finns i data men inte i volymmatt.yaml "
                "och visas inte"
            )
        return frame[frame["matt"].isin(keys)]

    def _series(
        self, frame: pd.DataFrame, measure: Measure | StaffMeasure, group: str
    ) -> pd.DataFrame:
        """Monthly total/kvinnor/man of one measure (and group), indexed by (ar, manad)."""
        rows = frame[frame["matt"] == measure.key]
        groups = getattr(measure, "groups", ())
        if groups:
            wanted = rows["grupp"].str.casefold()
            unknown = sorted(set(rows["grupp"][~wanted.isin([g.casefold() for g in groups])]))
            if unknown:
                self._note(f"{measure.label}: grupperna {unknown} finns inte i volymmatt.yaml")
            rows = rows[wanted == group.casefold()]
        if rows.empty:
            self._note(f"{_what(measure.label, group)}: inga data")
        out = rows.groupby(["ar", "manad"])[["total", "kvinnor", "man"]].sum(min_count=1)
        return out.sort_index()

    def _check_months(self, series: pd.DataFrame, measure: Measure | StaffMeasure, group: str):
        if measure.kind != FLOW:
            return
        for year in (self.year - 1, self.year):
            if series.empty:
                return
            if months_present(series, year, self.month) < self.month:
                span = period_range_label(f"{year}-{self.month:02d}")
                self._note(f"{_what(measure.label, group)}: månader saknas i {span}")

    # -- tables -----------------------------------------------------------------------------
    @cached_property
    def _volume_table(self) -> pd.DataFrame:
        rows = []
        for m in self.catalogue.measures:
            for group in m.groups or ("",):
                s = self._series(self._volumes, m, group)
                self._check_months(s, m, group)
                now = year_to_date(s, m.kind, self.year, self.month)
                before = year_to_date(s, m.kind, self.year - 1, self.month)
                prognosis = forecast(
                    s["total"], m.kind, m.forecast, self.year, self.month, m.profile_years
                )
                if m.forecast != NONE and pd.isna(prognosis) and not pd.isna(now["total"]):
                    self._note(f"{_what(m.label, group)}: prognos saknas (föregående år saknas)")
                rows.append(
                    {
                        "rad": m.label,
                        "grupp": group,
                        "utfall_foregaende_ar": before["total"],
                        "utfall": now["total"],
                        "prognos_helar": prognosis,
                        "andel_kvinnor_foregaende_ar": share_of_women(before)
                        if m.by_sex
                        else np.nan,
                        "andel_kvinnor": share_of_women(now) if m.by_sex else np.nan,
                    }
                )
        return pd.DataFrame(rows, columns=VOLUME_COLUMNS)

    def volume_table(self) -> pd.DataFrame:
        """`volymer`: each measure and group, same period last year, forecast, share of women.

        At year end the year is over: the outcome is the year's, so there is no forecast column.
        """
        table = self._volume_table.copy()
        return table.drop(columns="prognos_helar") if self.month == 12 else table

    @cached_property
    def _staff_table(self) -> pd.DataFrame:
        rows = []
        for m in self.catalogue.staff:
            s = self._series(self._staff, m, "")
            self._check_months(s, m, "")
            rows.append(
                {
                    "rad": m.label,
                    "utfall_foregaende_ar": year_to_date(s, m.kind, self.year - 1, self.month)[
                        "total"
                    ],
                    "utfall": year_to_date(s, m.kind, self.year, self.month)["total"],
                    "malvarde": m.target(self.year),
                    DECIMALS: m.decimals,
                }
            )
        return pd.DataFrame(rows, columns=[*STAFF_COLUMNS, DECIMALS])

    def staff_table(self) -> pd.DataFrame:
        """`personal`: staff statistics for the period and the same period last year."""
        return self._staff_table.copy()

    @property
    def indicator_years(self) -> list[int]:
        return list(range(self.year - INDICATOR_YEARS + 1, self.year + 1))

    @cached_property
    def _indicator_table(self) -> pd.DataFrame:
        years = self.indicator_years
        raw = self.indicator_raw
        if raw.empty:
            return pd.DataFrame(columns=[*indicator_columns(years), DECIMALS])
        f = indicator_frame(raw)
        f = f[(f["kon"] != "?") & (f["ar"] <= self.year)]
        dupes = f.duplicated(["indikator", "kon", "ar"], keep="last")
        if dupes.any():
            names = sorted(set(f.loc[dupes, "indikator"]))
            self._note(f"indikatorer: flera värden för samma år; det sista används ({names})")
            f = f[~dupes]
        order = list(dict.fromkeys([*(self.assessments.indicators if self.assessments else [])]))
        in_data = list(dict.fromkeys(f["indikator"]))
        missing = [i for i in order if i not in in_data]
        if missing:
            self._note(f"indikatorer utan data: {', '.join(missing)}")
        order += [i for i in in_data if i not in order]
        return indicator_table(f, order, years)

    def indicator_table(self) -> pd.DataFrame:
        """`namndindikatorer`: values per year and sex, target, direction and whether it holds."""
        return self._indicator_table.copy()

    def assessment_table(self) -> pd.DataFrame:
        """`namndmal_bedomning`: the committee's assessment of each goal (empty without a file)."""
        if self.assessments is None:
            return pd.DataFrame(columns=GOAL_COLUMNS)
        return pd.DataFrame(
            [
                {"rad": g.goal, "malomrade": g.area, "bedomning": g.assessment}
                for g in self.assessments.goals
            ],
            columns=GOAL_COLUMNS,
        )

    # -- chart data -------------------------------------------------------------------------
    def _main_measure(self) -> Measure | None:
        flows = [m for m in self.catalogue.measures if m.kind == FLOW]
        main = [m for m in flows if m.main_chart]
        return (main or flows or [None])[0]

    def monthly_by_year(self, measure: Measure, years: int = 3) -> pd.DataFrame:
        """Monthly totals over all groups for the last `years` years (rad, ar, manad, varde)."""
        return monthly_by_year(
            self._volumes, measure.key, measure.label, self.year, self.month, years
        )

    def main_chart_data(self) -> pd.DataFrame:
        """The main flow measure (referrals) per month, one series per year (last three years)."""
        main = self._main_measure()
        if main is None:
            return pd.DataFrame(columns=["rad", "ar", "manad", "varde"])
        return self.monthly_by_year(main)

    def flow_chart_data(self) -> pd.DataFrame:
        """The other flow measures per month and year, for small multiples."""
        main = self._main_measure()
        frames = [
            self.monthly_by_year(m)
            for m in self.catalogue.measures
            if m.kind == FLOW and m is not main
        ]
        return (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=["rad", "ar", "manad", "varde"])
        )

    def group_chart_data(self) -> pd.DataFrame:
        """Ackumulerat/tillstånd measures with several groups, per month, this year and last."""
        parts = []
        for m in self.catalogue.measures:
            if m.kind == FLOW or len(m.groups) < 2:
                continue
            for group in m.groups:
                s = self._series(self._volumes, m, group)["total"].reset_index()
                s = s[
                    (s["ar"] >= self.year - 1)
                    & ((s["ar"] < self.year) | (s["manad"] <= self.month))
                ]
                parts.append(
                    s.assign(rad=short_label(m.label), grupp=group).rename(
                        columns={"total": "varde"}
                    )
                )
        if not parts:
            return pd.DataFrame(columns=["rad", "grupp", "ar", "manad", "varde"])
        return pd.concat(parts, ignore_index=True)[["rad", "grupp", "ar", "manad", "varde"]]
