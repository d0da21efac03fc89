"""Deterministic demo history: the earlier years a year-end report and its comparisons need.

`demo.economy.write_demo_data` covers 2023-01..2024-08 as calibrated to the August 2024
report. A year-end report for 2023 (`uppfoljning run 2023-12`) also needs the 2023 budget, the
controllers' 2023 forecasts (forecast accuracy), an earlier ledger year for seasonal forecast
profiles, the plan years after the budget year, and the action plan. This module writes them,
built on the same exact row amounts (`demo.economy_targets.solve_targets`) and the same key,
month-profile and booking-line machinery (`demo.bookings`), each file from its own random
stream, so nothing in `demo.economy`'s files changes and every file is byte-identical from run
to run.

- `huvudbok_2022.csv`: 2022 in the OLD organisation's codes (`CODE_MAP`, mirrored by
  `params/kodomlaggning.yaml`); each row is its 2023 outcome ÷ (1 + `GROWTH_2022_TO_2023`).
- `budget_2023.xlsx`: 2023 outcome plus `BUDGET_2023_DEVIATION_TKR` (total −40 mnkr).
- `budget_plan.xlsx`: plan years = 2024 revised budget × `PLAN_FACTORS`.
- `prognos_2023.csv`: 2023 outcome off by `FORECAST_2023_ERRORS`, shrinking over the year.
- `investeringar_2023.csv`, `investeringsbudget_2023.xlsx`: `INVESTMENTS_2023`.
- `atgardsplan_2024.csv`: `MEASURES_2024`, calibrated so that per area
  ej realiserad effekt = planerad effekt × 8 / 12 − realiserad effekt (follow-up 2024-08)
  reproduces `calibration/2024-08/atgardsplan.csv` exactly; `atgardsplan_2021.csv`:
  measures of the revised action plan of June 2021 (`MEASURES_2021`).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
from openpyxl import Workbook

from uppfoljning.demo.bookings import (
    ForecastLine,
    _allocate,
    _forecast_split_own,
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
    OWN_UNIT_FORECAST_ANSVAR,
    OWN_UNITS,
    PREVIOUS_YEAR,
    ROW_SPECS,
    YEAR,
)
from uppfoljning.demo.economy_targets import DemoTargets, load_published, solve_targets
from uppfoljning.demo.workbook import save_workbook, write_budget_book

__all__ = [
    "CODE_MAP",
    "FORECAST_2023_ERRORS",
    "MEASURES_2021",
    "MEASURES_2024",
    "Measure",
    "measures_2024",
    "to_old_code",
    "write_demo_history",
]

OLD_YEAR = 2022  # last year booked on the old organisation's codes
KR = 100  # öre per krona
TKR = 1_000 * KR
MNKR = 1_000 * TKR

# Reorganisation 2023, old prefix -> new prefix per dimension (params/kodomlaggning.yaml).
CODE_MAP: dict[str, dict[str, str]] = {
    "ansvar": {f"3{d}": f"4{d}" for d in "12345678"},
    "verksamhet": {"921": "922", "573": "571"},
}

# Net cost growth 2022 -> 2023 per row (costs and revenues alike): placements and LSS grew most.
GROWTH_2022_TO_2023: dict[str, float] = {
    "100": 0.030,
    "130": 0.050,
    "267": 0.020,
    "513": 0.060,
    "520": 0.040,
    "559": 0.050,
    "569": 0.080,
    "571": 0.030,
    "575": 0.025,
    "585": 0.040,
    "600": 0.070,
    "922": 0.045,
    "47": 0.035,
    "48": 0.030,
}

# 2023 budget = 2023 outcome + deviation (tkr; avvikelse = budget − utfall, negative =
# overspend). Sums to −40 mnkr: 569 and 513 overspent, 600 under.
BUDGET_2023_DEVIATION_TKR: dict[str, int] = {
    "100": 100,
    "130": -200,
    "267": 100,
    "513": -14_000,
    "520": 1_200,
    "559": -3_500,
    "569": -27_500,
    "571": 2_000,
    "575": 0,
    "585": 300,
    "600": 6_500,
    "922": -1_500,
    "47": -6_000,
    "48": 2_500,
}
BUDGET_2023_REVENUE_FACTOR = 0.95  # revenues were budgeted cautiously
ORIGINAL_2023_CUT_TKR = 8_000  # the original 2023 budget lacked a later frame increase ...
ORIGINAL_2023_KEY = ("41120", "56910", "4611")  # ... put on 569's HVB purchases

PLAN_VERSION = "plan"
PLAN_FACTORS: dict[int, float] = {2025: 1.02, 2026: 1.04}  # × 2024 revised budget per row

FORECAST_2023_MONTHS = ("2023-03", "2023-08", "2023-10")
# (forecast − outcome) / |outcome| per row: March ±2–4 %, August ±1–2 %, October ±0,3–1 %.
# Totals: the forecast deviation against the budget moves −24,9 → −33,7 → −39,6 mnkr (final
# −40,0), towards the result as the year goes on.
FORECAST_2023_ERRORS: dict[str, dict[str, float]] = {
    "2023-03": {
        "100": 0.020,
        "130": -0.030,
        "267": 0.025,
        "513": -0.020,
        "520": 0.035,
        "559": 0.030,
        "569": -0.025,
        "571": 0.035,
        "575": -0.030,
        "585": -0.020,
        "600": 0.040,
        "922": 0.035,
        "47": 0.040,
        "48": -0.030,
    },
    "2023-08": {
        "100": 0.010,
        "130": -0.015,
        "267": 0.012,
        "513": -0.010,
        "520": 0.015,
        "559": 0.015,
        "569": -0.010,
        "571": 0.020,
        "575": -0.015,
        "585": 0.012,
        "600": 0.020,
        "922": 0.020,
        "47": 0.020,
        "48": -0.015,
    },
    "2023-10": {
        "100": 0.004,
        "130": -0.006,
        "267": 0.005,
        "513": -0.003,
        "520": -0.005,
        "559": 0.008,
        "569": 0.003,
        "571": 0.008,
        "575": -0.005,
        "585": 0.004,
        "600": -0.006,
        "922": 0.005,
        "47": 0.010,
        "48": -0.008,
    },
}
# A pessimistic forecaster also underestimates revenues: revenue error = −net error × this.
FORECAST_REVENUE_ERROR_SHARE = 0.2
FORECAST_2023_COMMENTS: dict[tuple[str, str], str] = {
    ("2023-03", "569"): "Ökat antal placeringar på HVB under början av året.",
    ("2023-03", "513"): "Osäkerhet kring kostnaderna för personlig assistans.",
    ("2023-03", "600"): "Färre nyanlända än budgeterat.",
    ("2023-08", "569"): "Fortsatt höga placeringskostnader, fler tilläggsavtal.",
    ("2023-08", "513"): "Fler köpta platser i bostad med särskild service.",
    ("2023-08", "47"): "Höga kostnader för timvikarier och övertid.",
    ("2023-08", "559"): "Kostsamma placeringar enligt LVM.",
    ("2023-10", "569"): "Åtgärdsplanen från augusti har ännu inte gett effekt.",
    ("2023-10", "600"): "Lägre kostnader för mottagandet än budgeterat.",
    ("2023-10", "48"): "Vakanser ger ett överskott.",
}


@dataclass(frozen=True)
class InvestmentSpec:
    """A 2023 investment project (kronor); `months` are the months with invoices."""

    frame: int
    spent: int
    forecasts: Mapping[str, int]  # forecast month -> forecast spending
    months: tuple[int, ...] = tuple(range(1, 13))
    income: int = 0


INVESTMENTS_2023: dict[str, InvestmentSpec] = {
    "Kontorsutrustning": InvestmentSpec(
        1_500_000, 1_236_420, {"2023-03": 1_500_000, "2023-08": 1_400_000, "2023-10": 1_250_000}
    ),
    "Boende Stolplyckan": InvestmentSpec(
        3_000_000,
        2_418_760,
        {"2023-03": 3_000_000, "2023-08": 2_700_000, "2023-10": 2_450_000},
        months=(9, 10, 11, 12),
    ),
    "Övriga investeringar": InvestmentSpec(
        2_000_000, 1_187_305, {"2023-03": 2_000_000, "2023-08": 1_500_000, "2023-10": 1_200_000}
    ),
}

# --------------------------------------------------------------------------- action plan

ACTION_PLAN_YEAR = YEAR
FOLLOW_UPS = ("2024-03", "2024-08")
CALIBRATED_FOLLOW_UP = "2024-08"
PLAN_AUG_2023 = "2023-08"  # decided August 2023, 31 mnkr for 2024
PLAN_Q1_2024 = "2024-03"  # extended plan, first quarter 2024
OTHER_AREA = "Övrigt"
TOTAL_LABEL = "Totalt beslutad effekt 2024"
DONE, ONGOING, NOT_STARTED = "Genomförd", "Pågår", "Ej påbörjad"


@dataclass(frozen=True)
class Measure:
    """One action-plan measure (amounts in tkr, effects for the plan year).

    `planned_tkr` None marks the one measure per area whose planned effect is solved so that
    the area reproduces the published figure (`measures_2024`). `realised_tkr` and `status`
    follow `FOLLOW_UPS` (realised effect January..that month).
    """

    name: str
    area: str
    plan: str
    planned_tkr: int | None
    realised_tkr: tuple[int, ...]
    status: tuple[str, ...]


LSS, PSYK, MISSBR, BARN, OVR = (  # `omrade` labels as in calibration/2024-08/atgardsplan.csv
    "LSS",
    "Socialpsykiatri (520)",
    "Vuxna med missbruksproblem (559)",
    "Barn och ungdomsvård (569)",
    OTHER_AREA,
)
A23, Q124 = PLAN_AUG_2023, PLAN_Q1_2024
NS, NS_ON, ON_ON, ON_DONE = (
    (NOT_STARTED, NOT_STARTED),
    (NOT_STARTED, ONGOING),
    (ONGOING, ONGOING),
    (ONGOING, DONE),
)
# measure -> (area, plan, planned tkr (None: solved), realised tkr, status); the last two per
# follow-up (2024-03, 2024-08). Names after the reference report (demo choice of amounts).
_MEASURES_2024: dict[str, tuple[str, str, int | None, tuple[int, int], tuple[str, str]]] = {
    "Effektivare bemanning i egen regi med färre timvikarier": (LSS, Q124, 15_000, (0, 200), NS_ON),
    "Minskad övertid genom ny schemaläggning i gruppbostäder": (LSS, Q124, 6_000, (0, 100), NS_ON),
    "Hemtagning av externa placeringar till Stolplyckan": (LSS, Q124, 7_500, (0, 100), NS_ON),
    "Översyn av köpta platser i bostad med särskild service": (LSS, A23, 5_400, (200, 400), ON_ON),
    "Samordning av daglig verksamhet": (LSS, Q124, None, (0, 0), NS),
    "Avveckling av boendet Hagaberg": (PSYK, A23, 4_200, (0, 500), ON_DONE),
    "Avveckling av verksamheten Re-aktiva": (PSYK, A23, 2_400, (0, 300), ON_DONE),
    "Externa placeringar erbjuds plats i hemkommunen": (PSYK, Q124, 6_000, (0, 400), NS_ON),
    "Översyn av beviljat boendestöd": (PSYK, Q124, None, (0, 0), NS_ON),
    "Avveckling av verksamheten Lotsen": (MISSBR, A23, 2_100, (0, 400), ON_DONE),
    "Hemmaplanslösningar i stället för HVB och LVM-hem": (MISSBR, A23, 6_300, (200, 400), ON_ON),
    "Kortare placeringar genom tätare uppföljning": (MISSBR, Q124, None, (0, 0), NS_ON),
    "Familjehemsstrategin, färre konsulentstödda familjehem": (BARN, A23, 7_500, (100, 400), ON_ON),
    "Alternativ på hemmaplan i stället för dygnsplacering": (BARN, Q124, 19_800, (0, 0), NS_ON),
    "Kartläggning av placeringar, avslut och hemtagningar": (BARN, Q124, 12_000, (0, 0), NS_ON),
    "Boendeform på hemmaplan för barn med komplexa behov": (BARN, Q124, 4_500, (0, 0), NS_ON),
    "Omförhandling av priser och tilläggsavtal för HVB": (BARN, Q124, None, (0, 0), NS),
    "Vakanshållning av tjänster inom förvaltningen": (OVR, A23, 1_500, (400, 1_000), ON_ON),
    "Minskade externa förhyrningar av lokaler": (OVR, A23, 1_600, (300, 900), ON_DONE),
    "Minskad användning av konsulter och bemanningsföretag": (OVR, Q124, None, (0, 300), NS_ON),
}
MEASURES_2024: tuple[Measure, ...] = tuple(
    Measure(name, *spec) for name, spec in _MEASURES_2024.items()
)
PLAN_AUG_2023_TKR = 31_000  # the August 2023 plan's effect for 2024, as published

# Revised action plan of June 2021 (Dnr SON 2020-331): measure, area, effect 2021 (tkr), status.
MEASURES_2021: tuple[tuple[str, str, int, str], ...] = (
    ("Akutboende", OVR, 1_500, DONE),
    ("Team bo kvar", OVR, 1_400, DONE),
    ("Reducering hyra beroendemottagningen", MISSBR, 600, DONE),
    ("Ny upphandling stödboende för våldsutsatta kvinnor", OVR, 1_600, DONE),
    ("Avslutat uppdrag Barnhemsgatan", BARN, 3_100, DONE),
    ("Systematisk uppföljning och matchning av rätt insats för barn och unga", BARN, 500, ONGOING),
    ("Översyn av arbetssätt och kostnadsmedvetenhet kring placeringar", BARN, 1_000, ONGOING),
    ("Gemensamt HVB", BARN, 500, ONGOING),
    ("Nya riktlinjer för boendestöd", PSYK, 500, DONE),
    ("Nya riktlinjer vid erbjudande om plats i bostad med särskild service", LSS, 500, ONGOING),
    ("Revidera IOP människor i utsatthet", OVR, 500, NOT_STARTED),
    ("Åtgärdsplan förvaltningen (vakansprövning)", OVR, 500, ONGOING),
    ("Minskade förhyrningar av lokaler", OVR, 500, NOT_STARTED),
    ("Försäljning av bostadsrätter", OVR, 4_000, NOT_STARTED),
)


# --------------------------------------------------------------------------- helpers


def _round_to(value: float, grain: int) -> int:
    """Half-up rounding of an öre amount to a multiple of `grain` (deterministic, no banker's)."""
    return int((Decimal(repr(value)) / grain).quantize(Decimal(1), "ROUND_HALF_UP")) * grain


def to_old_code(code: str, mapping: Mapping[str, str]) -> str:
    """The old organisation's code for a new code (inverse prefix replacement)."""
    for old, new in sorted(mapping.items(), key=lambda kv: -len(kv[1])):
        if code.startswith(new):
            return old + code[len(new) :]
    return code


def _mnkr_to_ore(text: str) -> int:
    return int(Decimal(text) * MNKR)


# --------------------------------------------------------------------------- 2022 ledger


def _ledger_2022_parts(targets: DemoTargets) -> list[_Part]:
    """2023's full-year amounts per row, deflated by the row's growth.

    The January–August share differs from 2023's by up to ±3 % per row, as real years do, so
    that a seasonal forecast built on 2022 has an honest error when tested on 2023.
    """
    parts: list[_Part] = []
    season = _rng("season-2022")
    for row in ALL_ROWS:
        factor = 1.0 + GROWTH_2022_TO_2023[row]
        year_total = round(targets.net["bokslut_fg"][row] / factor)
        share_2023 = targets.net["utfall_fg"][row] / targets.net["bokslut_fg"][row]
        parts += _year_parts(
            row,
            round(year_total * share_2023 * (1 + season.uniform(-0.03, 0.03))),
            year_total,
            round(targets.revenue["bokslut_fg"][row] / factor),
            ROW_SPECS[row].revenue_share_jan_aug,
        )
    return parts


def write_ledger_2022(out_dir: Path, targets: DemoTargets) -> Path:
    """huvudbok_2022.csv: as huvudbok_2023.csv (BOM, ';', space thousands) in the old codes."""
    # Keys and month profiles as 2023 (its weight mix), booking lines dated 2022.
    amounts = _seasonal_rows(_ledger_2022_parts(targets), PREVIOUS_YEAR, _rng("ledger-2022"), 1)
    lines = []
    for period, ansvar, verksamhet, *rest in _ledger_lines(amounts, OLD_YEAR, _rng("lines-2022")):
        ansvar = to_old_code(ansvar, CODE_MAP["ansvar"])
        lines.append((period, ansvar, to_old_code(verksamhet, CODE_MAP["verksamhet"]), *rest))
    lines.sort(key=lambda line: (line[0], line[1]))  # stable: by month and (old) ansvar
    path = out_dir / f"huvudbok_{OLD_YEAR}.csv"
    _write_ledger(path, lines, " ")
    return path


# --------------------------------------------------------------------------- budgets


def budget_2023_rows(targets: DemoTargets) -> dict[str, tuple[int, int]]:
    """Row -> (net, revenue) of the 2023 revised budget, öre in whole tkr."""
    rows: dict[str, tuple[int, int]] = {}
    for row in ALL_ROWS:
        net = _round_to(targets.net["bokslut_fg"][row], TKR)
        net += BUDGET_2023_DEVIATION_TKR[row] * TKR
        revenue = _round_to(targets.revenue["bokslut_fg"][row] * BUDGET_2023_REVENUE_FACTOR, TKR)
        rows[row] = (net, revenue)
    return rows


def write_budget_2023(out_dir: Path, targets: DemoTargets) -> Path:
    """budget_2023.xlsx: revised monthly budget per key (smooth month profiles) and original."""
    parts = []
    for row, (net, revenue) in budget_2023_rows(targets).items():
        part = _Part(row, tuple(range(1, 13)), net - revenue, revenue)
        if part.cost <= 0 or part.revenue > 0:
            raise ValueError(f"implausible 2023 budget for {row}: {part}")
        parts.append(part)
    amounts = _seasonal_rows(parts, PREVIOUS_YEAR, None, grain=KR)
    path = out_dir / f"budget_{PREVIOUS_YEAR}.xlsx"
    write_budget_book(
        path, PREVIOUS_YEAR, amounts, (ORIGINAL_2023_KEY, ORIGINAL_2023_CUT_TKR * TKR)
    )
    return path


def _row_lines(row: str, cost: int, revenue: int) -> list[tuple[str, str, int, int]]:
    """(ansvar, 3-digit verksamhet, cost, revenue) lines of a row; own units by their ansvar."""
    if row in OWN_UNITS:
        ansvar = OWN_UNIT_FORECAST_ANSVAR[row]
        return [(ansvar, code, c, r) for code, c, r in _forecast_split_own(row, cost, revenue)]
    return [("", row, cost, revenue)]


def write_budget_plan(out_dir: Path, targets: DemoTargets) -> Path:
    """budget_plan.xlsx: plan years, annual lines per verksamhet; konto 4000 costs, 3000 revenue."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Plan"
    ws.append(["ar", "version", "ansvar", "verksamhet", "konto", "period", "belopp"])
    for year, factor in PLAN_FACTORS.items():
        for row in ALL_ROWS:
            net = _round_to(targets.net["budget"][row] * factor, TKR)
            revenue = _round_to(targets.revenue["budget"][row] * factor, TKR)
            for ansvar, verksamhet, cost, rev in _row_lines(row, net - revenue, revenue):
                ws.append(
                    [year, PLAN_VERSION, ansvar or None, verksamhet, "4000", None, cost // KR]
                )
                if rev:
                    ws.append(
                        [year, PLAN_VERSION, ansvar or None, verksamhet, "3000", None, rev // KR]
                    )
    path = out_dir / "budget_plan.xlsx"
    save_workbook(wb, path)
    return path


# --------------------------------------------------------------------------- forecasts 2023


def forecast_2023_rows(targets: DemoTargets, month: str) -> dict[str, tuple[int, int]]:
    """Row -> (net, revenue) forecast made in `month`, öre in whole tkr."""
    rows: dict[str, tuple[int, int]] = {}
    for row in ALL_ROWS:
        outcome = targets.net["bokslut_fg"][row]
        error = FORECAST_2023_ERRORS[month][row]
        net = _round_to(outcome + error * abs(outcome), TKR)
        revenue_outcome = targets.revenue["bokslut_fg"][row]
        revenue = _round_to(revenue_outcome * (1 - error * FORECAST_REVENUE_ERROR_SHARE), TKR)
        rows[row] = (net, revenue)
    return rows


def write_forecast_2023(out_dir: Path, targets: DemoTargets) -> Path:
    """prognos_2023.csv: as prognos_2024.csv (cp1252, ';', decimal comma, konto 4000/3000)."""

    def lines() -> Iterable[ForecastLine]:
        for month in FORECAST_2023_MONTHS:
            for row, (net, revenue) in forecast_2023_rows(targets, month).items():
                comment = FORECAST_2023_COMMENTS.get((month, row), "")
                for ansvar, verksamhet, cost, rev in _row_lines(row, net - revenue, revenue):
                    yield month, verksamhet, ansvar, cost, rev, comment
                    comment = ""

    return _write_forecast_csv(out_dir / f"prognos_{PREVIOUS_YEAR}.csv", lines())


# --------------------------------------------------------------------------- investments 2023


def write_investments_2023(out_dir: Path) -> Path:
    """investeringar_2023.csv: as investeringar_2024.csv (',' and decimal point), all of 2023."""
    rng = _rng("investments-2023")
    path = out_dir / f"investeringar_{PREVIOUS_YEAR}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["ar", "projekt", "period", "utgifter", "inkomster"])
        for project, spec in INVESTMENTS_2023.items():
            weights = rng.uniform(0.0, 1.0, 12) ** 2  # lumpy: few larger invoices
            weights[[m - 1 for m in range(1, 13) if m not in spec.months]] = 0.0
            spend = _allocate(spec.spent * KR, weights)
            income = _allocate(spec.income * KR, np.ones(12))
            for month in range(1, 13):
                writer.writerow(
                    [
                        PREVIOUS_YEAR,
                        project,
                        f"{PREVIOUS_YEAR}-{month:02d}",
                        f"{spend[month - 1] / KR:.2f}",
                        f"{income[month - 1] / KR:.2f}",
                    ]
                )
    return path


def write_investment_budget_2023(out_dir: Path) -> Path:
    """investeringsbudget_2023.xlsx: frame and forecasts per project and forecast month."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Investeringsbudget"
    ws.append(["ar", "projekt", "ram", "prognos_utgifter", "prognos_inkomster", "prognosmanad"])
    for month in FORECAST_2023_MONTHS:
        for project, spec in INVESTMENTS_2023.items():
            ws.append(
                [PREVIOUS_YEAR, project, spec.frame, spec.forecasts[month], spec.income, month]
            )
    path = out_dir / f"investeringsbudget_{PREVIOUS_YEAR}.xlsx"
    save_workbook(wb, path)
    return path


# --------------------------------------------------------------------------- action plan


def published_unrealised() -> tuple[dict[str, int], int]:
    """(area -> unrealised effect January–August 2024, total planned effect 2024), öre."""
    areas: dict[str, int] = {}
    total = 0
    for rec in load_published("atgardsplan.csv"):
        amount = _mnkr_to_ore(rec["ej_realiserad_effekt_perioden_mnkr"])
        if rec["verksamhetsomrade"] == TOTAL_LABEL:
            total = amount
        else:
            areas[rec["verksamhetsomrade"]] = amount
    return areas, total


def measures_2024() -> list[Measure]:
    """MEASURES_2024 with every open planned effect solved (tkr).

    In an area with a published figure U: Σ planned × 8/12 − Σ realised(2024-08) = U, so the
    open measure gets 12/8 × (U + Σ realised) − Σ other planned. The open measure of
    `OTHER_AREA` takes what the published total planned effect leaves.
    """
    targets, total = published_unrealised()
    open_per_area: dict[str, int] = defaultdict(int)
    for m in MEASURES_2024:
        open_per_area[m.area] += m.planned_tkr is None
    if set(open_per_area.values()) != {1} or set(open_per_area) != {*targets, OTHER_AREA}:
        raise ValueError("every area needs exactly one measure with an open planned effect")
    month = int(CALIBRATED_FOLLOW_UP[-2:])
    idx = FOLLOW_UPS.index(CALIBRATED_FOLLOW_UP)
    solved: dict[str, int] = {}
    for area, unrealised in targets.items():
        members = [m for m in MEASURES_2024 if m.area == area]
        realised = sum(m.realised_tkr[idx] for m in members) * TKR
        known = sum(m.planned_tkr or 0 for m in members) * TKR
        needed, rest = divmod((unrealised + realised) * 12, month)
        if rest or needed % TKR:
            raise ValueError(f"{area}: planned effect not a whole tkr amount")
        solved[area] = (needed - known) // TKR
    other = total // TKR - sum(m.planned_tkr or 0 for m in MEASURES_2024) - sum(solved.values())
    solved[OTHER_AREA] = other
    out = []
    for m in MEASURES_2024:
        if m.planned_tkr is None:
            m = Measure(m.name, m.area, m.plan, solved[m.area], m.realised_tkr, m.status)
        if m.planned_tkr is None or m.planned_tkr <= 0:
            raise ValueError(f"implausible planned effect for {m.name}: {m.planned_tkr}")
        out.append(m)
    if sum(m.planned_tkr for m in out if m.plan == PLAN_AUG_2023) != PLAN_AUG_2023_TKR:
        raise ValueError("the August 2023 plan must sum to its published effect")
    return out


def _write_action_plan(path: Path, encoding: str, rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(
            ["atgard", "omrade", "ar", "planerad_effekt", "realiserad_effekt", "status", "period"]
        )
        writer.writerows(rows)


def write_action_plan_2024(out_dir: Path) -> Path:
    """atgardsplan_2024.csv: every measure once per follow-up (2024-03, 2024-08), kronor."""
    measures = measures_2024()
    rows = [
        [m.name, m.area, ACTION_PLAN_YEAR, m.planned_tkr * 1_000, m.realised_tkr[i] * 1_000]
        + [m.status[i], follow_up]
        for i, follow_up in enumerate(FOLLOW_UPS)
        for m in measures
    ]
    path = out_dir / f"atgardsplan_{ACTION_PLAN_YEAR}.csv"
    _write_action_plan(path, "utf-8-sig", rows)
    return path


def write_action_plan_2021(out_dir: Path) -> Path:
    """atgardsplan_2021.csv: the June 2021 plan's effects for 2021 (no follow-up), cp1252."""
    rows = [
        [name, area, 2021, tkr * 1_000, "", status, ""] for name, area, tkr, status in MEASURES_2021
    ]
    path = out_dir / "atgardsplan_2021.csv"
    _write_action_plan(path, "cp1252", rows)
    return path


# --------------------------------------------------------------------------- entry point


def write_demo_history(out_dir: Path) -> list[Path]:
    """Write the history files into `out_dir` (created if missing); returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = solve_targets()
    return [
        write_ledger_2022(out_dir, targets),
        write_budget_2023(out_dir, targets),
        write_budget_plan(out_dir, targets),
        write_forecast_2023(out_dir, targets),
        write_investments_2023(out_dir),
        write_investment_budget_2023(out_dir),
        write_action_plan_2021(out_dir),
        write_action_plan_2024(out_dir),
    ]
