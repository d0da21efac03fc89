"""Exact row amounts for the demo ledger: every published figure of the August 2024 report
(calibration/2024-08) reproduced after rounding to 0,1 mnkr (`calibrate.RoundedFit`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from uppfoljning.demo import published_text
from uppfoljning.demo.bookings import _allocate, _rng
from uppfoljning.demo.calibrate import RoundedFit, to_steps
from uppfoljning.demo.economy_spec import (
    ALL_ROWS,
    CALIBRATION,
    DEVIATIONS,
    FORECAST_TABLE,
    INVESTMENT_PROJECTS,
    INVESTMENT_SUM,
    MARCH_SHIFT_TKR,
    OWN_TOTAL,
    OWN_UNIT_SPLIT,
    OWN_UNITS,
    QUANTITIES,
    ROW_SPECS,
    ROWS,
    SEED,
    SPREAD,
    STEP,
    SUM_NET,
    TOTAL,
    UNIT_ORE,
    VARAV_COSTS,
    VARAV_REVENUES,
)


def load_published(name: str) -> list[dict[str, str]]:
    """Rows of one calibration CSV (the published tables of the August 2024 report)."""
    text = published_text(name, CALIBRATION)
    return list(csv.DictReader(io.StringIO(text)))


def _published_steps(name: str) -> dict[str, dict[str, int]]:
    """Table keyed by verksamhet code (or row label for sum rows), values in 0,1 steps."""
    table: dict[str, dict[str, int]] = {}
    for rec in load_published(name):
        key = rec.get("verksamhet") or rec["rad"]
        table[key] = {
            col: to_steps(val)
            for col, val in rec.items()
            if col.endswith("_mnkr") and val not in ("", None)
        }
    return table


@dataclass
class DemoTargets:
    """Exact amounts (öre) per quantity and row, plus the revenue part where it is fixed."""

    net: dict[str, dict[str, int]]
    revenue: dict[str, dict[str, int]] = field(default_factory=dict)
    investments: dict[str, dict[str, int]] = field(default_factory=dict)


def _terms(quantity: str, rows: Iterable[str], coef: int = 1) -> dict[str, int]:
    return {f"{quantity}:{row}": coef for row in rows}


def solve_targets(seed: int = SEED) -> DemoTargets:
    """Row amounts reproducing every published figure after rounding (see module docstring)."""
    fit = RoundedFit(step=STEP, spread=SPREAD)
    for table, (budget_q, outcome_q) in DEVIATIONS.items():
        pub = _published_steps(table)
        for quantity, (q_table, col) in QUANTITIES.items():
            if q_table != table:
                continue
            for row in ROWS:
                fit.add(f"{quantity}:{row}", pub[row][col])
            for unit in OWN_UNITS:
                fit.add(f"{quantity}:{unit}", base=to_steps(OWN_UNIT_SPLIT[quantity][unit]) * STEP)
            for label, rows in ((SUM_NET, ROWS), (OWN_TOTAL, OWN_UNITS), (TOTAL, ALL_ROWS)):
                fit.rounds_to(_terms(quantity, rows), pub[label][col], f"{table} {label} {col}")
        groups = [(row, (row,)) for row in ROWS]
        groups += [(SUM_NET, ROWS), (OWN_TOTAL, OWN_UNITS), (TOTAL, ALL_ROWS)]
        for label, rows in groups:
            terms = _terms(budget_q, rows) | _terms(outcome_q, rows, -1)
            fit.rounds_to(terms, pub[label]["avvikelse_mnkr"], f"{table} {label} avvikelse")

    for rec in load_published("egen_regi_enheter.csv"):
        unit = rec["ansvar_prefix"]
        terms = {f"budget_period:{unit}": 1, f"utfall:{unit}": -1}
        fit.rounds_to(terms, to_steps(rec["avvikelse_period_mnkr"]), f"egen regi {unit}")

    # varav kostnader / intäkter over the whole total. The printed budget pair is a misprint
    # (calibration/README.md): budget varav = forecast varav + published deviation.
    pub = _published_steps(FORECAST_TABLE)
    costs, revenues = pub[VARAV_COSTS], pub[VARAV_REVENUES]
    budget_costs = costs["prognos_mnkr"] + costs["avvikelse_mnkr"]
    budget_revenues = revenues["prognos_mnkr"] + revenues["avvikelse_mnkr"]
    for quantity, cost_steps, revenue_steps in (
        ("prognos", costs["prognos_mnkr"], revenues["prognos_mnkr"]),
        ("budget", budget_costs, budget_revenues),
        ("bokslut_fg", costs["bokslut_fg_ar_mnkr"], revenues["bokslut_fg_ar_mnkr"]),
    ):
        fit.add(f"kostnader:{quantity}", cost_steps)
        terms = _terms(quantity, ALL_ROWS) | {f"kostnader:{quantity}": -1}
        fit.rounds_to(terms, revenue_steps, f"varav intäkter {quantity}")
    fit.rounds_to(
        {"kostnader:budget": 1, "kostnader:prognos": -1},
        costs["avvikelse_mnkr"],
        "varav kostnader avvikelse",
    )
    terms = _terms("budget", ALL_ROWS) | _terms("prognos", ALL_ROWS, -1)
    terms |= {"kostnader:budget": -1, "kostnader:prognos": 1}
    fit.rounds_to(terms, revenues["avvikelse_mnkr"], "varav intäkter avvikelse")

    # ekonomi_oversikt: net totals (redundant with the total row) and the March deviation,
    # which the March forecast (August + MARCH_SHIFT_TKR) must also reproduce.
    overview = {rec["rad"]: rec for rec in load_published("ekonomi_oversikt.csv")}
    net = overview["Verksamhetens nettokostnader"]
    fit.rounds_to(_terms("prognos", ALL_ROWS), to_steps(net["prognos_helar_mnkr"]), "översikt")
    fit.rounds_to(_terms("budget", ALL_ROWS), to_steps(net["budget_mnkr"]), "översikt budget")
    dev = _terms("budget", ALL_ROWS) | _terms("prognos", ALL_ROWS, -1)
    fit.rounds_to(dev, to_steps(net["avvikelse_mnkr"]), "översikt avvikelse")
    march = to_steps(net["avvikelse_prognos_delar_mars_mnkr"]) * STEP
    shift = sum(MARCH_SHIFT_TKR.values())
    fit.between(dev, march + shift - fit.half_window, march + shift + fit.half_window, "mars")

    amounts = fit.solve(seed=seed)
    targets = DemoTargets(
        net={q: {row: amounts[f"{q}:{row}"] * UNIT_ORE for row in ALL_ROWS} for q in QUANTITIES}
    )
    weights_rng = _rng("revenue-weights")
    for quantity in ("prognos", "budget", "bokslut_fg"):
        total_revenue = (
            sum(targets.net[quantity].values()) - amounts[f"kostnader:{quantity}"] * UNIT_ORE
        )
        weights = np.array([ROW_SPECS[row].revenue_weight for row in ALL_ROWS])
        weights = weights * weights_rng.lognormal(0.0, 0.03, len(weights))
        parts = _allocate(total_revenue, weights, UNIT_ORE)
        targets.revenue[quantity] = dict(zip(ALL_ROWS, (int(p) for p in parts), strict=True))
    targets.investments = _solve_investments(seed)
    return targets


def _solve_investments(seed: int) -> dict[str, dict[str, int]]:
    """January-August outcome per project (öre) and frames/forecasts from investeringar.csv."""
    pub = {rec["projekt"]: rec for rec in load_published("investeringar.csv")}
    fit = RoundedFit(step=100_000, spread=40_000)  # units of 1 kr, published in 0,1 mnkr
    for project in INVESTMENT_PROJECTS:
        steps = to_steps(pub[project]["redovisat_utgifter_jan_aug_mnkr"])
        # keep small projects' outcome positive: centre at 20 tkr when 0,0 was published
        fit.add(f"utgifter:{project}", base=max(steps * 100_000, 20_000), spread=10_000)
        fit.rounds_to({f"utgifter:{project}": 1}, steps, project)
    total = to_steps(pub[INVESTMENT_SUM]["redovisat_utgifter_jan_aug_mnkr"])
    fit.rounds_to([f"utgifter:{p}" for p in INVESTMENT_PROJECTS], total, INVESTMENT_SUM)
    amounts = fit.solve(seed=seed)
    result: dict[str, dict[str, int]] = {}
    for project in INVESTMENT_PROJECTS:
        rec = pub[project]
        result[project] = {
            "utgifter": amounts[f"utgifter:{project}"] * 100,
            "inkomster": to_steps(rec["redovisat_inkomster_jan_aug_mnkr"]) * 10_000_000,
            "ram": to_steps(rec["investeringsram_mnkr"]) * 10_000_000,
            "prognos_utgifter": to_steps(rec["prognos_utgifter_mnkr"]) * 10_000_000,
            "prognos_inkomster": to_steps(rec["prognos_inkomster_mnkr"]) * 10_000_000,
        }
    return result
