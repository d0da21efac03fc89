"""The demo history (2022 ledger in old codes, 2023 budget and forecasts, plan years, action plan).

Written together with the main demo data, ingested with the real ingest, and checked through the
real code map and report structure, so what a year-end report for 2023 relies on holds.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from uppfoljning.data.config import UNCLASSIFIED_ID, load_code_map, load_structure
from uppfoljning.data.ingest import find_raw_files, ingest
from uppfoljning.demo.economy import write_demo_data
from uppfoljning.demo.economy_spec import ALL_ROWS
from uppfoljning.demo.economy_targets import solve_targets
from uppfoljning.demo.history import (
    CODE_MAP,
    FORECAST_2023_ERRORS,
    FORECAST_2023_MONTHS,
    write_demo_history,
)
from uppfoljning.economy.ledger import apply_code_map, classify

ROOT = Path(__file__).resolve().parents[1]
STRUCTURE = load_structure(ROOT / "params" / "rapportstruktur_2024.yaml")
CODE_MAP_FILE = ROOT / "params" / "kodomlaggning.yaml"
MNKR = 1_000_000
EXPECTED_FILES = {
    "huvudbok_2022.csv",
    "budget_2023.xlsx",
    "budget_plan.xlsx",
    "prognos_2023.csv",
    "investeringar_2023.csv",
    "investeringsbudget_2023.xlsx",
    "atgardsplan_2021.csv",
    "atgardsplan_2024.csv",
}
CALIBRATION = {  # calibration/2024-08/atgardsplan.csv, mnkr
    "LSS": 25,
    "Socialpsykiatri (520)": 10,
    "Vuxna med missbruksproblem (559)": 8,
    "Barn och ungdomsvård (569)": 32,
}


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> tuple[Path, list[Path], Path]:
    """(raw dir, history files, processed dir) with the full demo set ingested."""
    base = tmp_path_factory.mktemp("history")
    raw = base / "raw"
    write_demo_data(raw)
    files = write_demo_history(raw)
    ingest(raw, base / "processed")
    return raw, files, base / "processed"


def _table(processed: Path, name: str) -> pd.DataFrame:
    frame = pq.read_table(processed / f"{name}.parquet").to_pandas()
    frame["_fil"] = frame["_fil"].astype(str)
    return frame


def _rows(lines: pd.DataFrame) -> pd.Series:
    """Net amount (kronor) per top-level report row id."""
    lines = lines.copy()
    for dim in ("verksamhet", "ansvar", "konto"):
        lines[dim] = lines[dim].fillna("").astype(str)
    lines["rad_id"] = classify(lines, STRUCTURE)
    return lines.groupby("rad_id")["belopp"].sum()


def _row_id(row: str) -> str:
    return "egen_regi" if row in ("47", "48") else row


def test_files_written_and_accepted(history):
    raw, files, processed = history
    assert {p.name for p in files} == EXPECTED_FILES
    assert all(p.parent == raw and p.stat().st_size > 0 for p in files)
    state = ingest(raw, processed, force=True)  # raises IngestError on any problem
    for dataset in ("huvudbok", "budget", "prognos", "investeringar", "investeringsbudget"):
        names = {f["fil"] for f in state.datasets[dataset]["files"]}
        assert names >= {p.name for p in files if p.name.startswith(dataset + "_")}
    assert {f["fil"] for f in state.datasets["atgardsplan"]["files"]} == {
        "atgardsplan_2021.csv",
        "atgardsplan_2024.csv",
    }
    assert not [w for w in state.warnings if any(p.name in w for p in files)]
    assert [p.name for p in find_raw_files(raw, "investeringar")] == [
        "investeringar_2023.csv",
        "investeringar_2024.csv",
    ]


def test_code_map_file_matches_generator():
    code_map = load_code_map(CODE_MAP_FILE)
    assert code_map.prefixes == CODE_MAP
    assert code_map.valid_through == 2022


def test_ledger_2022_uses_old_codes_that_map_to_classified_rows(history):
    _, _, processed = history
    ledger = _table(processed, "huvudbok")
    old = ledger[ledger["_fil"] == "huvudbok_2022.csv"]
    assert set(old["period"]) == {f"2022-{m:02d}" for m in range(1, 13)}
    assert not old["ansvar"].str.match(r"^4[1-8]").any()
    assert old["ansvar"].str.match(r"^3[1-8]").any()
    assert not old["verksamhet"].str.startswith(("922", "571")).any()
    assert old["verksamhet"].str.startswith("921").any()
    assert old["verksamhet"].str.startswith("573").any()

    code_map = load_code_map(CODE_MAP_FILE)
    cols = ["period", "ansvar", "verksamhet", "konto", "belopp"]
    mapped = apply_code_map(old[cols], code_map)
    assert UNCLASSIFIED_ID not in set(classify(mapped, STRUCTURE))
    # The new codes are untouched by the map (it is applied to every year).
    new = ledger.loc[ledger["_fil"] != "huvudbok_2022.csv", cols]
    pd.testing.assert_frame_equal(
        apply_code_map(new, code_map), new.groupby(cols[:-1], as_index=False)["belopp"].sum()
    )
    # Mapped, each row is its 2023 outcome ÷ (1 + growth of 2–8 %); unmapped, the own units
    # would vanish into the activity rows.
    rows_2022 = _rows(mapped)
    rows_2023 = _rows(new[new["period"].str.startswith("2023")])
    growth = rows_2023 / rows_2022 - 1
    assert growth.between(0.0199, 0.0801).all(), growth
    assert _rows(old).get("egen_regi", 0.0) == 0.0
    # The 2022 months follow the same seasonal pattern (a usable profile for 2023).
    july = mapped[mapped["period"] == "2022-07"]["belopp"].sum()
    december = mapped[mapped["period"] == "2022-12"]["belopp"].sum()
    assert december > july


def _outcome_2023(processed: Path) -> pd.Series:
    ledger = _table(processed, "huvudbok")
    return _rows(ledger[ledger["period"].str.startswith("2023")])


def test_forecast_errors_shrink_over_2023(history):
    _, _, processed = history
    outcome = _outcome_2023(processed)
    forecasts = _table(processed, "prognos")
    budget = _table(processed, "budget")
    budget_2023 = _rows(budget[(budget["ar"] == 2023) & (budget["version"] == "reviderad")])
    assert set(forecasts["prognosmanad"]) >= set(FORECAST_2023_MONTHS)
    errors = {}
    deviations = []
    for month in FORECAST_2023_MONTHS:
        rows = _rows(forecasts[forecasts["prognosmanad"] == month])
        assert UNCLASSIFIED_ID not in rows.index
        errors[month] = ((rows - outcome) / outcome.abs()).abs()
        deviations.append((budget_2023.sum() - rows.sum()) / MNKR)
    march, august, october = (errors[m] for m in FORECAST_2023_MONTHS)
    assert (march > august).all() and (august > october).all()
    assert march.between(0.0195, 0.0405).all(), march
    assert august.between(0.0095, 0.0205).all(), august
    assert october.between(0.0025, 0.0105).all(), october
    # Signs vary by row, and the total deviation moves towards the final result (−40 mnkr).
    for month in FORECAST_2023_MONTHS:
        signs = {v > 0 for v in FORECAST_2023_ERRORS[month].values()}
        assert signs == {True, False}
    final = (budget_2023.sum() - outcome.sum()) / MNKR
    assert final == pytest.approx(-40.0, abs=0.05)
    gaps = [abs(d - final) for d in deviations]
    assert gaps[0] > gaps[1] > gaps[2]
    assert deviations[0] == pytest.approx(-25, abs=2.5)
    assert deviations[1] == pytest.approx(-35, abs=2.5)
    # Comments are short Swedish text without figures.
    comments = forecasts.loc[forecasts["prognosmanad"].str.startswith("2023"), "kommentar"]
    comments = comments[comments != ""]
    assert len(comments) >= 5
    assert not comments.str.contains(r"\d").any()


def test_budget_2023_overspend_where_expected(history):
    _, _, processed = history
    outcome = _outcome_2023(processed)
    budget = _table(processed, "budget")
    revised = budget[(budget["ar"] == 2023) & (budget["version"] == "reviderad")]
    assert set(revised["period"]) == {f"2023-{m:02d}" for m in range(1, 13)}
    deviation = (_rows(revised) - outcome) / MNKR
    assert UNCLASSIFIED_ID not in deviation.index
    assert deviation["569"] < -10 and deviation["513"] < -10 and deviation["600"] > 0
    original = budget[(budget["ar"] == 2023) & (budget["version"] == "original")]
    assert (original["period"] == "").all()
    assert original["belopp"].sum() < revised["belopp"].sum()


def test_plan_years(history):
    _, _, processed = history
    budget = _table(processed, "budget")
    targets = solve_targets()
    revised_2024 = sum(targets.net["budget"].values()) / 100
    for year, factor in ((2025, 1.02), (2026, 1.04)):
        plan = budget[(budget["ar"] == year)]
        assert set(plan["version"]) == {"plan"}
        assert (plan["period"] == "").all()
        rows = _rows(plan)
        assert UNCLASSIFIED_ID not in rows.index
        assert set(rows.index) == {_row_id(r) for r in ALL_ROWS}
        assert rows.sum() == pytest.approx(revised_2024 * factor, abs=20_000)


def test_action_plan_reproduces_calibration(history):
    _, _, processed = history
    plan = _table(processed, "atgardsplan")
    year = plan[plan["ar"] == 2024]
    assert set(year["period"]) == {"2024-03", "2024-08"}
    august = year[year["period"] == "2024-08"]
    assert august["atgard"].is_unique
    assert set(august["omrade"]) == set(CALIBRATION) | {"Övrigt"}
    assert august["planerad_effekt"].sum() == 121_800_000
    by_area = august.groupby("omrade")[["planerad_effekt", "realiserad_effekt"]].sum()
    for area, mnkr in CALIBRATION.items():
        planned, realised = by_area.loc[area]
        # exact in kronor: planned × 8/12 − realised = published, i.e. × 12 to stay in integers
        assert planned * 8 - realised * 12 == mnkr * MNKR * 12
    # The March follow-up has the same measures, less realised.
    march = year[year["period"] == "2024-03"].set_index("atgard")
    aug = august.set_index("atgard")
    assert set(march.index) == set(aug.index)
    assert (march["planerad_effekt"] == aug["planerad_effekt"]).all()
    assert (march["realiserad_effekt"] <= aug["realiserad_effekt"]).all()
    assert march["realiserad_effekt"].sum() < aug["realiserad_effekt"].sum()
    assert set(year["status"]) == {"Genomförd", "Pågår", "Ej påbörjad"}
    old = plan[plan["ar"] == 2021]
    assert len(old) >= 5 and old["realiserad_effekt"].isna().all()


def test_deterministic(tmp_path, history):
    raw, files, _ = history
    again = write_demo_history(tmp_path / "again")
    assert [p.name for p in again] == [p.name for p in files]
    for first, second in zip(files, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
