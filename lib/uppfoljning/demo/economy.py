"""Deterministic demo data: raw exports whose aggregates reproduce the August 2024 report.

The suite must be runnable and testable without the municipality's real ledger, so this module
writes files shaped like the real exports (ledger, budget, forecasts, investments) whose sums per
report row reproduce the published tables in `uppfoljning/calibration/2024-08/` after rounding
to 0,1 mnkr. How:

1. `economy_targets.solve_targets` picks exact row amounts (in units of 1 000 kr) with
   `calibrate.RoundedFit` so that every published row, deviation and sum rounds to what was
   printed.
2. Row amounts are split into costs and revenues (`DemoRowSpec.revenue_weight`), into January to
   August and September to December, over ansvar/verksamhet/konto keys (`economy_spec.ROW_SPECS`),
   over months (`MONTH_PROFILES`) and into booking lines (`bookings`), always in integer öre by
   largest remainder, so every total is exact. Noise comes from numpy generators with fixed
   seeds.

Codes follow `params/rapportstruktur_2024.yaml` without reading it: verksamhet sub-codes are five
digits starting with the SCB code; the committee's own units are ansvar 47xxx (LSS
Funktionsstöd) and 48xxx (Råd och stöd). Signs: costs positive, revenues negative, kronor.

Placements: `demo.placements` writes a placement register calibrated to the report's facts;
the ledger's placement accounts of 569 and 559 (2023–2024) carry that register's monthly cost
(`_book_placements`), and the rest of each row's cost moves to its other accounts, so every row
total stays what the calibration solved for while register and ledger reconcile.

To extend (another ledger year, more forecast months, volumes): add a quantity to
`solve_targets`, a spec to `ROW_SPECS` or a writer function here; keep each random stream
separate (`bookings._rng(name)`) so existing files stay byte-identical.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from openpyxl import Workbook

from uppfoljning.demo.bookings import (
    KEYS,
    ForecastLine,
    _allocate,
    _forecast_split_own,
    _Key,
    _ledger_lines,
    _Part,
    _rng,
    _seasonal_rows,
    _write_forecast_csv,
    _write_ledger,
    _year_parts,
)
from uppfoljning.demo.economy_spec import (
    ALL_ROWS,
    BUDGET_REVENUE_SHARE_JAN_AUG,
    FORECAST_COMMENTS,
    FORECAST_MONTHS,
    INVESTMENT_MARCH_KR,
    INVESTMENT_PROJECTS,
    LAST_MONTH,
    MARCH_SHIFT_TKR,
    ORIGINAL_BUDGET_CUT_TKR,
    ORIGINAL_BUDGET_KEY,
    OWN_UNIT_FORECAST_ANSVAR,
    OWN_UNITS,
    PREVIOUS_YEAR,
    ROW_SPECS,
    UNIT_ORE,
    YEAR,
)
from uppfoljning.demo.economy_targets import DemoTargets, solve_targets
from uppfoljning.demo.placements import ledger_costs, write_demo_placements
from uppfoljning.demo.workbook import save_workbook, write_budget_book

__all__ = ["write_demo_data"]

NOTE = """\
DEMODATA – inte verkliga siffror

Filerna i den här katalogen är genererade demodata för uppföljningsrapporterna till social- och
omsorgsnämnden. De har samma form som kommunens exporter (huvudbok, budget, prognoser och
investeringar) men innehåller inga verkliga bokföringsposter.

Beloppen är kalibrerade så att de, summerade per rad i driftsammandraget och avrundade till
0,1 mnkr, återger tabellerna i den publicerade delårsrapporten för augusti 2024. Fördelningen
på ansvar, verksamhet, konto, månad och verifikationsrad är påhittad.

Placeringsregistret (placeringar_2020-2024.txt) är påhittat: personer och placeringar har
slumpade pseudonymer. Det är kalibrerat mot rapportens uppgifter om vårddygn, andelar och
kostnader, och huvudbokens placeringskonton för 569 och 559 bär registrets kostnad per månad.

Skapade av uppfoljning.demo.write_demo_data (deterministiskt: samma filer varje körning).
"""


def _ledger_parts(targets: DemoTargets, year: int) -> list[_Part]:
    parts: list[_Part] = []
    for row in ALL_ROWS:
        share = ROW_SPECS[row].revenue_share_jan_aug
        if year == PREVIOUS_YEAR:
            parts += _year_parts(
                row,
                targets.net["utfall_fg"][row],
                targets.net["bokslut_fg"][row],
                targets.revenue["bokslut_fg"][row],
                share,
            )
        else:
            parts += _year_parts(
                row, targets.net["utfall"][row], None, targets.revenue["prognos"][row], share
            )
    return parts


def _budget_parts(targets: DemoTargets) -> list[_Part]:
    parts: list[_Part] = []
    for row in ALL_ROWS:
        parts += _year_parts(
            row,
            targets.net["budget_period"][row],
            targets.net["budget"][row],
            targets.revenue["budget"][row],
            BUDGET_REVENUE_SHARE_JAN_AUG,
            grain=100,
        )
    return parts


PLACEMENT_ROWS = ("569", "559")
# Arvoden to contact families and contact persons (open care under 569, not placements).
CONTACT_KEY = _Key("569", "41140", "56930", "5611")
CONTACT_PROFILE = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.85, 0.95, 1.0, 1.0, 1.0, 1.05)
# Share of 569's costs January–August 2024 on 4611, 4612, 4613 and 5611 (placements and
# contact families); the register gives the placements, contact families fill up to this.
PLACEMENT_SHARE_569 = 0.41
CONTACT_LEVEL_2023 = 0.96  # contact-family cost per month in 2023 relative to 2024


def _contact_per_month(targets: DemoTargets) -> float:
    """Contact-family arvoden per month in 2024 (öre), from the share above."""
    part = next(p for p in _ledger_parts(targets, YEAR) if p.row == "569")
    placed = sum(
        amount
        for (row, _verksamhet, konto), months in ledger_costs(YEAR).items()
        if row == "569" and konto in ("4611", "4612", "4613", "5611")
        for month, amount in months.items()
        if month in part.months
    )
    total = PLACEMENT_SHARE_569 * part.cost - placed
    if total <= 0:
        raise ValueError("the placement register exceeds 569's placement share")
    return total / len(part.months)


def _book_placements(
    amounts: dict[tuple[_Key, int], int], parts: Sequence[_Part], targets: DemoTargets, year: int
) -> dict[tuple[_Key, int], int]:
    """Put the register's monthly cost on 569's and 559's placement accounts.

    Within each part (row and months) the cost total stays exactly what it was: the other
    cost keys of the row take the difference in proportion to their amounts.
    """
    booked = ledger_costs(year)
    level = _contact_per_month(targets) * (1.0 if year == YEAR else CONTACT_LEVEL_2023)
    out = dict(amounts)
    for part in parts:
        if part.row not in PLACEMENT_ROWS:
            continue
        cost_keys = list(KEYS[part.row]["cost"])
        new: dict[tuple[_Key, int], int] = {}
        for (row, verksamhet, konto), by_month in sorted(booked.items()):
            if row != part.row:
                continue
            keys = [k for k in cost_keys if (k.verksamhet, k.konto) == (verksamhet, konto)]
            weights = [KEYS[row]["cost"][k] for k in keys]
            for month in part.months:
                for key, value in zip(keys, _allocate(by_month[month], weights), strict=True):
                    new[(key, month)] = int(value)
        if part.row == "569":
            profile = [CONTACT_PROFILE[m - 1] for m in part.months]
            contact = _allocate(int(round(level * len(part.months))), profile)
            for month, value in zip(part.months, contact, strict=True):
                new[(CONTACT_KEY, month)] = int(value)
        booked_keys = {key for key, _ in new}
        others = [(k, m) for k in cost_keys if k not in booked_keys for m in part.months]
        residual = part.cost - sum(new.values())
        weights = [out.get(cell, 0) for cell in others]
        spread = _allocate(residual, weights)
        if residual <= 0 or (spread <= 0).any():
            raise ValueError(f"placement costs do not fit in row {part.row} ({part.months})")
        for key in booked_keys:
            for month in part.months:
                out.pop((key, month), None)
        out.update(new)
        out.update({cell: int(v) for cell, v in zip(others, spread, strict=True)})
    return out


def write_ledger(out_dir: Path, targets: DemoTargets, year: int) -> Path:
    """huvudbok_<year>.csv: UTF-8 with BOM, ';', decimal comma, space (2023) or NBSP (2024)."""
    parts = _ledger_parts(targets, year)
    amounts = _seasonal_rows(parts, year, _rng(f"ledger-{year}"), grain=1)
    amounts = _book_placements(amounts, parts, targets, year)
    lines = _ledger_lines(amounts, year, _rng(f"lines-{year}"))
    path = out_dir / f"huvudbok_{year}.csv"
    _write_ledger(path, lines, " " if year == PREVIOUS_YEAR else "\u00a0")
    return path


def write_budget(out_dir: Path, targets: DemoTargets) -> Path:
    """budget_2024.xlsx: revised monthly budget per key and the original annual budget.

    Periodised by the month profiles without noise (budgets are smooth); whole kronor.
    """
    amounts = _seasonal_rows(_budget_parts(targets), YEAR, None, grain=100)  # smooth
    path = out_dir / f"budget_{YEAR}.xlsx"
    write_budget_book(
        path, YEAR, amounts, (ORIGINAL_BUDGET_KEY, ORIGINAL_BUDGET_CUT_TKR * 1000 * 100)
    )
    return path


def write_forecast(out_dir: Path, targets: DemoTargets) -> Path:
    """prognos_2024.csv: cp1252, ';', decimal comma; konto 4000 = costs, 3000 = revenues."""

    def lines() -> Iterable[ForecastLine]:
        for month in FORECAST_MONTHS:
            march = month != FORECAST_MONTHS[-1]
            for row in ALL_ROWS:
                revenue = targets.revenue["prognos"][row]
                cost = targets.net["prognos"][row] - revenue
                if march:
                    cost += MARCH_SHIFT_TKR.get(row, 0) * UNIT_ORE
                if row in OWN_UNITS:
                    ansvar = OWN_UNIT_FORECAST_ANSVAR[row]
                    parts = _forecast_split_own(row, cost, revenue)
                else:
                    ansvar, parts = "", [(row, cost, revenue)]
                comment = FORECAST_COMMENTS.get((month, row), "")
                for verksamhet, c, r in parts:
                    yield month, verksamhet, ansvar, c, r, comment
                    comment = ""  # the comment goes with the row's first line only

    return _write_forecast_csv(out_dir / f"prognos_{YEAR}.csv", lines())


def write_investments(out_dir: Path, targets: DemoTargets) -> Path:
    """investeringar_2024.csv: ',' separated, decimal point, UTF-8 without BOM, monthly."""
    rng = _rng("investments")
    path = out_dir / f"investeringar_{YEAR}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["ar", "projekt", "period", "utgifter", "inkomster"])
        for project in INVESTMENT_PROJECTS:
            amounts = targets.investments[project]
            weights = rng.uniform(0.0, 1.0, LAST_MONTH) ** 2  # lumpy: few larger invoices
            if amounts["utgifter"] < 10_000_000:  # small outcome: a couple of months only
                weights[weights < np.sort(weights)[-2]] = 0.0
            spend = _allocate(amounts["utgifter"], weights)
            income = _allocate(amounts["inkomster"], np.ones(LAST_MONTH))
            for month in range(1, LAST_MONTH + 1):
                writer.writerow(
                    [
                        YEAR,
                        project,
                        f"{YEAR}-{month:02d}",
                        f"{spend[month - 1] / 100:.2f}",
                        f"{income[month - 1] / 100:.2f}",
                    ]
                )
    return path


def write_investment_budget(out_dir: Path, targets: DemoTargets) -> Path:
    """investeringsbudget_2024.xlsx: frame and forecasts per project and forecast month."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Investeringsbudget"
    ws.append(["ar", "projekt", "ram", "prognos_utgifter", "prognos_inkomster", "prognosmanad"])
    for month in FORECAST_MONTHS:
        for project in INVESTMENT_PROJECTS:
            amounts = targets.investments[project]
            spend = amounts["prognos_utgifter"] // 100
            if month != FORECAST_MONTHS[-1]:
                spend = INVESTMENT_MARCH_KR[project]
            ws.append(
                [
                    YEAR,
                    project,
                    amounts["ram"] // 100,
                    spend,
                    amounts["prognos_inkomster"] // 100,
                    month,
                ]
            )
    path = out_dir / f"investeringsbudget_{YEAR}.xlsx"
    save_workbook(wb, path)
    return path


def write_note(out_dir: Path) -> Path:
    path = out_dir / "DEMODATA.txt"
    path.write_text(NOTE, encoding="utf-8")
    return path


def write_demo_data(out_dir: Path) -> list[Path]:
    """Write all demo exports into `out_dir` (created if missing); returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = solve_targets()
    register = write_demo_placements(out_dir)
    return [
        write_ledger(out_dir, targets, PREVIOUS_YEAR),
        write_ledger(out_dir, targets, YEAR),
        write_budget(out_dir, targets),
        write_forecast(out_dir, targets),
        write_investments(out_dir, targets),
        write_investment_budget(out_dir, targets),
        write_note(out_dir),
        *register,
    ]
