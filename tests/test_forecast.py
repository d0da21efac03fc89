"""Computed forecasts, forecast accuracy, the year-end report and the action plan on demo data."""

from __future__ import annotations

import csv

import pytest

import uppfoljning as uf
from uppfoljning.data.config import load_code_map
from uppfoljning.economy.forecast import computed_forecast, forecast_accuracy
from uppfoljning.economy.ledger import LEVEL, Ledger, summarise

from conftest import ROOT, reference

# The README states these: a seasonal forecast made at 2023-08 from 2022's profile lands within
# 1 % of the 2023 outcome in total and within 5 % on every row of at least 10 mnkr.
TOTAL_ERROR, ROW_ERROR = 0.01, 0.05


@pytest.fixture(scope="module")
def ledger_2023(demo_data):
    ctx = uf.open_period(
        "2024-08", params_file=ROOT / "params" / "2024-08.yaml", data_dir=demo_data / "processed"
    )
    ledger = Ledger(ctx.data_dir, load_code_map(ROOT / "params" / "kodomlaggning.yaml"))
    actual = summarise({"utfall": ledger.outcome_year(2023)}, ctx.structure).frame["utfall"]
    return ctx, ledger, actual


def test_seasonal_forecast_at_august_predicts_the_year(ledger_2023):
    ctx, ledger, actual = ledger_2023
    forecast = computed_forecast(ledger, ctx.structure, "2023-08")
    assert forecast.profile_years == [2022]
    f = forecast.frame.join(actual)
    error = (f["prognos_sasong"] - f["utfall"]) / f["utfall"].abs()
    assert abs(error["totalt"]) < TOTAL_ERROR
    big = f[(f[LEVEL] == "rad") & (f["utfall"].abs() >= 10e6)]
    assert (error[big.index].abs() < ROW_ERROR).all(), error[big.index]
    # The run-rate ignores the seasons and misses by more on the total.
    linear = abs(f.loc["totalt", "prognos_linjar"] / f.loc["totalt", "utfall"] - 1)
    assert linear > abs(error["totalt"])
    assert "2022" in forecast.describe()


def test_forecast_accuracy_improves_through_the_year(ledger_2023):
    ctx, ledger, _ = ledger_2023
    accuracy = forecast_accuracy(ledger, ctx.structure, 2023)
    months = [c for c in accuracy.columns if c.startswith("prognosfel_")]
    assert months == ["prognosfel_2023-03", "prognosfel_2023-08", "prognosfel_2023-10"]
    rows = accuracy[accuracy[LEVEL] == "rad"]
    spread = [rows[m].abs().sum() for m in months]
    assert spread[0] > spread[1] > spread[2]


def test_action_plan_reproduces_the_published_unrealised_effect(demo_data):
    ctx = uf.open_period(
        "2024-08", params_file=ROOT / "params" / "2024-08.yaml", data_dir=demo_data / "processed"
    )
    eko = uf.EconomyReport.open(ctx)
    areas, measures = eko.action_plan_tables()
    by_area = areas.set_index("rad")
    for row in reference("atgardsplan"):
        label, value = row["verksamhetsomrade"], float(row["ej_realiserad_effekt_perioden_mnkr"])
        if label.startswith("Totalt"):
            assert by_area.loc["Totalt", "planerad_effekt"] / 1e6 == pytest.approx(value, abs=0.05)
        else:
            got = by_area.loc[label, "ej_realiserad_effekt"] / 1e6
            assert got == pytest.approx(value, abs=0.05), label
    assert by_area.loc["LSS", "avvikelse_perioden"] == pytest.approx(
        eko.period_table().loc[["513", "egen_regi_lss"], "avvikelse"].sum()
    )
    assert "inte fått genomslag" in eko.action_plan_text()
    assert set(measures["status"]) <= {"Genomförd", "Pågår", "Ej påbörjad"}


def test_year_end_report_2023(demo_reports):
    report = demo_reports / "reports" / "2023-12"
    with (report / "tables" / "prognostraffsakerhet.csv").open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == [
        "rad",
        "utfall",
        "prognosfel_2023-03",
        "prognosfel_2023-08",
        "prognosfel_2023-10",
    ]
    with (report / "tables" / "budget_och_plan.csv").open(encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == [
            "rad",
            "budget_2023",
            "budget_2024",
            "plan_2025",
            "plan_2026",
        ]
    with (report / "tables" / "driftsammandrag_period.csv").open(encoding="utf-8") as fh:
        rows = {r["rad"]: r for r in csv.DictReader(fh)}
    assert "Ej klassificerat" not in rows  # 2022's old codes are mapped into this year's rows
    bokslut = {r["rad"]: r for r in reference("driftsammandrag_prognos")}
    for rad in ("569 - Barn och ungdomsvård", "Summa nettokostnader inkl kommunal verks"):
        assert float(rows[rad]["utfall"]) / 1e6 == pytest.approx(
            float(bokslut[rad]["bokslut_fg_ar_mnkr"]), abs=0.15
        )
    html = (report / "ekonomi.html").read_text(encoding="utf-8")
    assert "Prognosträffsäkerhet" in html and "Verksamhet, tkr" in html
