"""The key figures of the HVB report (`hvb_nyckeltal`), each defined once.

Key figures (`hvb_nyckeltal`; "year to date" = 1 January to the end of the report month, "last
year" = the same months a year earlier; children = target group barn_unga):

- `varddygn_hvb_forandring`, `varddygn_familjehem_forandring`: % change in children's care days
  year to date against last year, in group hvb, and in the groups marked `familjehem` in
  vardformer.yaml (family homes in own management + consultancy family homes; not jourhem).
- `andel_konsulentstodda_familjehem`: consultancy family homes' care days / all family-home care
  days, children, year to date (target in hvb.yaml); `andel_familjehem_egen_regi` = 100 − that.
- `andel_gangkopplade_placeringar`: children's placements (chains) with at least one care day
  year to date that are marked in `gangkoppling`, / all such placements; `kostnad_gangkopplade`:
  their care-day cost year to date.
- `r12_kostnad_dygnsplaceringar_barn` (`_foregaende_ar`): children's cost in all care forms in
  the twelve months ending with the report month (with the same month a year earlier).
- `dygnskostnad_<avtal>_hvb`, `andel_varddygn_<avtal>_hvb`: children's HVB year to date by
  agreement: ramavtal (framework agreement without a supplement), tillaggsavtal (framework
  agreement with a supplementary agreement), direktupphandling (direct purchase).
- `individer_*`: distinct persons with a care day in the window; `nya_*`/`avslutade_*`:
  placements starting / ending (end date) in the window; `median_langd_*`: median length in care
  days of placements ended year to date.
- `prognos_placeringar_*`: the commitment-based full-year forecast (`LedgerTables.forecast_table`).

A figure built on a hidden cell is empty (NaN), a small count is "<5": the figures come from the
suppressed tables and `PeriodView.hidden`, never from the register directly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import pandas as pd

from uppfoljning.data.config import LEVEL
from uppfoljning.placements.aggregate import pct_change, share
from uppfoljning.placements.dates import month_range, shift_month
from uppfoljning.placements.ledger_tables import LedgerTables
from uppfoljning.placements.period import PeriodView
from uppfoljning.placements.placement_tables import PlacementTables
from uppfoljning.placements.price_tables import PriceTables
from uppfoljning.placements.register import ADULTS, AGREEMENT_LABELS, CHILDREN, TARGET_GROUPS
from uppfoljning.present.formatting import period_label

Fact = tuple[str, float | str, str]
"""(Swedish label, value, unit)."""
Put = Callable[[str, str, float | str, str], None]


def _care_days_and_costs(view: PeriodView, put: Put) -> None:
    """Care days, family homes, cost per care day, cost per target group."""
    cat = view.catalogue
    fh, kons = cat.family_home_groups, cat.consultancy_groups
    span, span0 = view.span, view.span_previous

    def shown(value: float, back: int, *cells: tuple[str, ...]) -> float:
        """The value, or NaN when one of the cells it is built from is hidden."""
        return math.nan if any(view.hidden(back, *c) for c in cells) else value

    hvb = ("rad", CHILDREN, "hvb")
    hvb1 = shown(view.ytd_sum(CHILDREN, ["hvb"], "varddygn"), 0, hvb)
    hvb0 = shown(view.ytd_sum(CHILDREN, ["hvb"], "varddygn", 1), 1, hvb)
    fh1 = shown(view.ytd_sum(CHILDREN, fh, "varddygn"), 0, ("familjehem",))
    fh0 = shown(view.ytd_sum(CHILDREN, fh, "varddygn", 1), 1, ("familjehem",))
    kons1 = shown(
        view.ytd_sum(CHILDREN, kons, "varddygn"), 0, *[("rad", CHILDREN, g) for g in kons]
    )
    put("varddygn_hvb", f"Vårddygn HVB barn och unga {span}", hvb1, "dygn")
    put("varddygn_hvb_foregaende_ar", f"Vårddygn HVB barn och unga {span0}", hvb0, "dygn")
    put(
        "varddygn_hvb_forandring",
        "Förändring vårddygn HVB barn och unga mot samma period föregående år",
        pct_change(hvb1, hvb0),
        "procent",
    )
    put("varddygn_familjehem", f"Vårddygn familjehem barn och unga {span}", fh1, "dygn")
    put(
        "varddygn_familjehem_foregaende_ar",
        f"Vårddygn familjehem barn och unga {span0}",
        fh0,
        "dygn",
    )
    put(
        "varddygn_familjehem_forandring",
        "Förändring vårddygn familjehem barn och unga mot samma period föregående år",
        pct_change(fh1, fh0),
        "procent",
    )
    put(
        "andel_konsulentstodda_familjehem",
        f"Andel konsulentstödda familjehem av vårddygnen i familjehem {span}",
        share(kons1, fh1),
        "procent",
    )
    put(
        "mal_andel_konsulentstodda_familjehem",
        "Mål för andelen konsulentstödda familjehem",
        view.settings.consultancy_target,
        "procent",
    )
    put(
        "andel_familjehem_egen_regi",
        f"Andel familjehem i egen regi av vårddygnen i familjehem {span}",
        share(fh1 - kons1, fh1),
        "procent",
    )
    hvb_cost1 = shown(view.ytd_sum(CHILDREN, ["hvb"], "kostnad"), 0, hvb)
    hvb_cost0 = shown(view.ytd_sum(CHILDREN, ["hvb"], "kostnad", 1), 1, hvb)
    put(
        "dygnskostnad_hvb",
        f"Kostnad per vårddygn HVB barn och unga {span}",
        hvb_cost1 / hvb1 if hvb1 else math.nan,
        "kr",
    )
    put(
        "dygnskostnad_hvb_foregaende_ar",
        f"Kostnad per vårddygn HVB barn och unga {span0}",
        hvb_cost0 / hvb0 if hvb0 else math.nan,
        "kr",
    )
    groups = list(cat.groups)
    for target, suffix in ((CHILDREN, "barn"), (ADULTS, "vuxna")):
        label = TARGET_GROUPS[target].lower()
        summa = ("summa", target)
        c1 = shown(view.ytd_sum(target, groups, "kostnad"), 0, summa)
        c0 = shown(view.ytd_sum(target, groups, "kostnad", 1), 1, summa)
        d1 = shown(view.ytd_sum(target, groups, "varddygn"), 0, summa)
        put(
            f"kostnad_dygnsplaceringar_{suffix}",
            f"Kostnad dygnsplaceringar {label} {span}",
            c1,
            "kr",
        )
        put(
            f"kostnad_dygnsplaceringar_{suffix}_foregaende_ar",
            f"Kostnad dygnsplaceringar {label} {span0}",
            c0,
            "kr",
        )
        put(
            f"dygnskostnad_dygnsplaceringar_{suffix}",
            f"Kostnad per vårddygn dygnsplaceringar {label} {span}",
            c1 / d1 if d1 else math.nan,
            "kr",
        )


class KeyFigures:
    """The key figures of one period, from the suppressed tables of the other sections."""

    def __init__(
        self,
        view: PeriodView,
        prices: PriceTables,
        placements: PlacementTables,
        ledger: LedgerTables,
    ) -> None:
        self.view = view
        self.prices = prices
        self.placements = placements
        self.ledger = ledger

    @cached_property
    def facts(self) -> dict[str, Fact]:
        """key -> (Swedish label, value, unit); see the module docstring for definitions."""
        out: dict[str, Fact] = {}

        def put(key: str, label: str, value: float | str, unit: str) -> None:
            out[key] = (label, value, unit)

        _care_days_and_costs(self.view, put)
        for part in (
            self._gang_and_rolling,
            self._agreements,
            self._counts,
            self._lengths_and_forecast,
            self._reconciliation,
        ):
            part(put)
        return out

    def _gang_and_rolling(self, put: Put) -> None:
        """Placements linked to gang crime; rolling twelve months."""
        span, span0 = self.view.span, self.view.span_previous
        gang, gang0 = self.placements.gang_figures(), self.placements.gang_figures(1)
        put(
            "andel_gangkopplade_placeringar",
            f"Andel placeringar barn och unga kopplade till gängkriminalitet {span}",
            gang["andel"],
            "procent",
        )
        put(
            "andel_gangkopplade_placeringar_foregaende_ar",
            f"Andel placeringar barn och unga kopplade till gängkriminalitet {span0}",
            gang0["andel"],
            "procent",
        )
        put(
            "antal_gangkopplade_placeringar",
            f"Placeringar kopplade till gängkriminalitet {span}",
            self.view.count(gang["gangkopplade"]),
            "antal",
        )
        put(
            "kostnad_gangkopplade",
            f"Kostnad placeringar kopplade till gängkriminalitet {span}",
            gang["kostnad"],
            "kr",
        )
        label_now, label_then = (
            period_label(self.view.period),
            period_label(shift_month(self.view.period, -12)),
        )
        for target, suffix in ((CHILDREN, "barn"), (ADULTS, "vuxna")):
            name = TARGET_GROUPS[target].lower()
            put(
                f"r12_kostnad_dygnsplaceringar_{suffix}",
                f"Rullande årskostnad dygnsplaceringar {name} {label_now}",
                self.prices.r12_cost(target),
                "kr",
            )
            put(
                f"r12_kostnad_dygnsplaceringar_{suffix}_foregaende_ar",
                f"Rullande årskostnad dygnsplaceringar {name} {label_then}",
                self.prices.r12_cost(target, shift_month(self.view.period, -12)),
                "kr",
            )
        roll = self.prices.rolling(CHILDREN, self.view.period)
        if len(roll):
            put(
                "r12_varddygn_barn",
                f"Vårddygn barn och unga, rullande 12 månader {label_now}",
                float(roll["varddygn"].iloc[-1]),
                "dygn",
            )
            put(
                "r12_dygnskostnad_barn",
                f"Kostnad per vårddygn barn och unga, rullande 12 månader {label_now}",
                float(roll["dygnskostnad"].iloc[-1]),
                "kr",
            )

    def _agreements(self, put: Put) -> None:
        """Children's HVB by agreement category, from hvb_avtal."""
        span = self.view.span
        agreements = self.prices.agreement_table("hvb")
        children = agreements[agreements.get("_malgrupp", pd.Series(dtype=str)) == CHILDREN]
        for cat_id, cat_label in AGREEMENT_LABELS.items():
            if cat_id == "ovrigt":
                continue
            row = children[children["_avtal"] == cat_id]
            share = float(row["andel_varddygn"].iloc[0]) if len(row) else 0.0
            price = float(row["dygnskostnad"].iloc[0]) if len(row) else math.nan
            put(
                f"andel_varddygn_{cat_id}_hvb",
                f"Andel vårddygn HVB barn och unga: {cat_label.lower()} {span}",
                share,
                "procent",
            )
            put(
                f"dygnskostnad_{cat_id}_hvb",
                f"Kostnad per vårddygn HVB barn och unga: {cat_label.lower()} {span}",
                price,
                "kr",
            )

    def _counts(self, put: Put) -> None:
        """Individuals, new and ended placements."""
        span = self.view.span
        for target, suffix in ((CHILDREN, "barn_unga"), (ADULTS, "vuxna")):
            name = TARGET_GROUPS[target].lower()
            put(
                f"individer_{suffix}",
                f"Individer i dygnsvård {name} {span}",
                self.view.count(self.view.ytd_persons(target)),
                "antal",
            )
        put(
            "individer_hvb_barn",
            f"Individer placerade på HVB barn och unga {span}",
            self.view.count(self.view.ytd_persons(CHILDREN, ["hvb"])),
            "antal",
        )
        month_count = self.placements.individuals(CHILDREN, ["hvb"], [self.view.period]).iloc[0]
        put(
            "individer_hvb_barn_manad",
            f"Individer placerade på HVB barn och unga {period_label(self.view.period)}",
            self.view.count(month_count),
            "antal",
        )
        months = month_range(f"{self.view.year}-01", self.view.period)
        for target, suffix in ((CHILDREN, "barn"), (ADULTS, "vuxna")):
            flows = self.placements.flows(target, months).sum()
            name = TARGET_GROUPS[target].lower()
            put(
                f"nya_placeringar_{suffix}",
                f"Nya placeringar {name} {span}",
                self.view.count(flows["nya"]),
                "antal",
            )
            put(
                f"avslutade_placeringar_{suffix}",
                f"Avslutade placeringar {name} {span}",
                self.view.count(flows["avslutade"]),
                "antal",
            )

    def _lengths_and_forecast(self, put: Put) -> None:
        """Median lengths (hvb_langd) and the full-year forecast (hvb_prognos)."""
        span = self.view.span
        lengths = self.placements.lengths_table()
        for key, rad in (
            ("median_langd_avslutade_barn", "Summa barn och unga"),
            ("median_langd_avslutade_hvb_barn", self.view.row_label(CHILDREN, "hvb")),
        ):
            row = lengths[lengths["rad"] == rad]
            value = float(row["median_langd_avslutade"].iloc[0]) if len(row) else math.nan
            what = rad[len("Summa ") :] if rad.startswith("Summa ") else rad
            put(key, f"Medianlängd placeringar avslutade {span}, {what}", value, "dygn")
        forecast = self.ledger.forecast_table()
        for target, suffix in ((CHILDREN, "barn"), (ADULTS, "vuxna")):
            row = forecast[forecast["rad"] == f"Summa {TARGET_GROUPS[target].lower()}"]
            value = float(row["prognos_helar"].iloc[0]) if len(row) else math.nan
            put(
                f"prognos_placeringar_{suffix}",
                f"Åtagandebaserad helårsprognos placeringar "
                f"{TARGET_GROUPS[target].lower()} {self.view.year}",
                value,
                "kr",
            )

    def _reconciliation(self, put: Put) -> None:
        """The register against the ledger, when there is a ledger."""
        span = self.view.span
        if (
            self.ledger.data_dir is not None
            and (Path(self.ledger.data_dir) / "huvudbok.parquet").exists()
        ):
            rec = self.ledger.reconciliation_table()
            for target, suffix in ((CHILDREN, "barn"), (ADULTS, "vuxna")):
                row = rec[(rec["_malgrupp"] == target) & (rec[LEVEL] == "summa")]
                if len(row):
                    put(
                        f"avstamning_differens_{suffix}",
                        f"Differens huvudbok mot register {TARGET_GROUPS[target].lower()} {span}",
                        float(row["differens"].iloc[0]),
                        "kr",
                    )

    def key_figures(self) -> pd.DataFrame:
        """`hvb_nyckeltal`: rad (Swedish label), nyckel, varde, enhet."""
        return pd.DataFrame(
            [
                {"rad": label, "nyckel": key, "varde": value, "enhet": unit}
                for key, (label, value, unit) in self.facts.items()
            ]
        )

    def fact(self, key: str) -> float | str:
        return self.facts[key][1]
