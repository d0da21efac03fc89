"""The forecast and the register beside the ledger: hvb_prognos, hvb_prognos_jamforelse
(the register forecast beside the controllers') and hvb_avstamning (register cost against the
ledger's placement accounts per month)."""

from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path

import pandas as pd

from uppfoljning.data.config import LEVEL, ReportStructure
from uppfoljning.economy import Ledger
from uppfoljning.placements import privacy
from uppfoljning.placements.dates import month_range
from uppfoljning.placements.forecast import FORECAST_PARTS, forecast_cells
from uppfoljning.placements.period import PeriodView, month_label
from uppfoljning.placements.reconcile import (
    compare,
    ledger_by_month,
    register_cost_by_month,
    row_amounts,
)
from uppfoljning.placements.register import TARGET_GROUPS


class LedgerTables:
    """The forecast of one period and its reconciliation with the ledger in `data_dir`."""

    def __init__(
        self, view: PeriodView, structure: ReportStructure | None, data_dir: Path | None
    ) -> None:
        self.view = view
        self.structure = structure
        self.data_dir = data_dir

    @cached_property
    def forecast_cells(self) -> pd.DataFrame:
        """`forecast.forecast_cells` of the period (unsuppressed: only for the tables here)."""
        return forecast_cells(self.view.register, self.view.settings, self.view.period)

    @cached_property
    def forecast_hidden(self) -> frozenset:
        """The forecast cells not shown (`privacy.protect_forecast`)."""
        return privacy.protect_forecast(self.view, self.forecast_cells)

    @cached_property
    def ledger(self) -> Ledger:
        if self.data_dir is None:
            raise LookupError("ingen datakatalog: huvudboken kan inte läsas")
        return Ledger(Path(self.data_dir))

    def forecast_table(self) -> pd.DataFrame:
        """`hvb_prognos`: commitment-based full-year forecast per form from the register."""
        cells = self.forecast_cells
        hidden = self.forecast_hidden
        columns = [*FORECAST_PARTS, "prognos_helar"]
        records = []
        for target in self.view.targets():
            part = cells[cells["target"] == target].groupby("group")[columns].sum()
            for group in self.view.groups(part.index):
                row = part.loc[group]
                values = {
                    c: math.nan if (target, group, c) in hidden else float(row[c]) for c in columns
                }
                records.append(
                    {"rad": self.view.row_label(target, group)} | values | {LEVEL: "rad"}
                )
            records.append(
                {"rad": f"Summa {TARGET_GROUPS[target].lower()}"}
                | {
                    c: math.nan if (target, "summa", c) in hidden else float(part[c].sum())
                    for c in columns
                }
                | {LEVEL: "summa"}
            )
        return pd.DataFrame.from_records(records, columns=["rad", *columns, LEVEL])

    def reconciliation_table(self) -> pd.DataFrame:
        """`hvb_avstamning`: register cost against the ledger's placement accounts per month."""
        view = self.view
        months = month_range(f"{view.year}-01", view.period)
        records = []
        for target, mapping in view.settings.ledger.items():
            register = register_cost_by_month(view.register, target, months)
            ledger = ledger_by_month(self.ledger, mapping, months)
            name = f"{TARGET_GROUPS[target]} ({mapping.row})"
            for month, reg_value, led_value in zip(months, register, ledger, strict=True):
                records.append(
                    self._reconcile_record(
                        f"{name}, {month_label(month)}", reg_value, led_value, target, "rad"
                    )
                )
            records.append(
                self._reconcile_record(
                    f"Summa {name.lower()}", register.sum(), ledger.sum(), target, "summa"
                )
            )
        return pd.DataFrame.from_records(records)

    def _reconcile_record(
        self, label: str, register: float, ledger: float, target: str, level: str
    ) -> dict:
        numbers = compare(register, ledger, self.view.settings)
        return {"rad": label} | numbers | {"_malgrupp": target, LEVEL: level}

    def flagged_months(self) -> list[str]:
        """The months of hvb_avstamning over the threshold (none without a ledger)."""
        try:
            table = self.reconciliation_table()
        except (FileNotFoundError, LookupError):
            return []
        return list(table.loc[table["flaggad"] & (table[LEVEL] == "rad"), "rad"])

    def forecast_comparison_table(self) -> pd.DataFrame:
        """`hvb_prognos_jamforelse`: the register forecast beside the controllers' forecast.

        Per report row (569, 559): the register's placement forecast (forms booked on the
        row), the placement accounts and the whole row so far, the controllers' full-year
        forecast, what that forecast leaves for the row's other costs, and the other costs
        at this year's run-rate. A forecast that leaves much less for other costs than the
        run-rate probably underestimates the placements.
        """
        cells = self.forecast_cells
        made = self.ledger.forecast_for(self.view.period)
        controller = row_amounts(self.ledger.forecast_lines(made), self.structure) if made else {}
        outcome = row_amounts(self.ledger.outcome_ytd(self.view.period), self.structure)
        months = month_range(f"{self.view.year}-01", self.view.period)
        records = []
        for target, mapping in self.view.settings.ledger.items():
            part = cells[(cells["target"] == target) & ~cells["elsewhere"]]
            register_forecast = float(part["prognos_helar"].sum())
            placed = float(ledger_by_month(self.ledger, mapping, months).sum())
            row_outcome = float(outcome.get(mapping.row, math.nan))
            row_forecast = float(controller.get(mapping.row, math.nan))
            hidden = self.forecast_hidden
            records.append(
                {
                    "rad": self._structure_label(mapping.row),
                    "prognos_placeringar": math.nan
                    if ("jamforelse", target) in hidden
                    else register_forecast,
                    "utfall_placeringskonton": placed,
                    "utfall_rad": row_outcome,
                    "prognos_rad": row_forecast,
                    "prognos_ovrigt": math.nan
                    if ("ovrigt", target) in hidden
                    else row_forecast - register_forecast,
                    "ovrigt_linjar": (row_outcome - placed) * 12 / self.view.month,
                    LEVEL: "rad",
                }
            )
        return pd.DataFrame.from_records(records)

    def _structure_label(self, row_id: str) -> str:
        if self.structure is None:
            return row_id
        try:
            return self.structure.row(row_id).label
        except KeyError:
            return row_id
