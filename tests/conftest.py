"""Shared fixtures: one demo data set per test session (generation and ingest take ~2 s)."""

from __future__ import annotations

import csv
from importlib.resources import files
from pathlib import Path

import pytest

from uppfoljning.data.ingest import ingest
from uppfoljning.demo.suite import write_demo_suite

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    """A data directory with demo `raw/` and ingested `processed/` (treat as read-only)."""
    data = tmp_path_factory.mktemp("demo_data")
    write_demo_suite(data / "raw")
    ingest(data / "raw", data / "processed")
    return data


@pytest.fixture(scope="session")
def demo_reports(tmp_path_factory, demo_data) -> Path:
    """A project copy with the demo's 2024-08 and 2023-12 reports built by `uppfoljning run`.

    Returns the project directory (params/, data/, reports/); treat it as read-only.
    """
    import shutil

    from uppfoljning.run.cli import main

    project = tmp_path_factory.mktemp("demo_reports")
    shutil.copytree(ROOT / "params", project / "params")
    shutil.copytree(demo_data / "raw", project / "data" / "raw")
    for period in ("2023-12", "2024-08"):  # August compares itself with the year end
        args = ["run", period, "--data", str(project / "data"), "--out", str(project / "reports")]
        assert main([*args, "--params", str(project / "params" / f"{period}.yaml")]) == 0
    return project


def reference(name: str) -> list[dict[str, str]]:
    """A published table of the August 2024 report (the calibration copy in the package)."""
    path = files("uppfoljning") / "demo" / "calibration" / "2024-08" / f"{name}.csv"
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# Our column → the published column, per economy table (the reference README's names).
PUBLISHED_COLUMNS = {
    "driftsammandrag_period": {
        "utfall": "utfall_mnkr",
        "budget": "budget_mnkr",
        "avvikelse": "avvikelse_mnkr",
        "utfall_foregaende_ar": "utfall_fg_ar_mnkr",
    },
    "driftsammandrag_prognos": {
        "prognos": "prognos_mnkr",
        "budget": "budget_mnkr",
        "avvikelse": "avvikelse_mnkr",
        "bokslut_foregaende_ar": "bokslut_fg_ar_mnkr",
    },
    "ekonomi_oversikt": {
        "prognos": "prognos_helar_mnkr",
        "budget": "budget_mnkr",
        "avvikelse": "avvikelse_mnkr",
        "avvikelse_foregaende_prognos": "avvikelse_prognos_delar_mars_mnkr",
    },
    "investeringar": {
        "utgifter": "redovisat_utgifter_jan_aug_mnkr",
        "inkomster": "redovisat_inkomster_jan_aug_mnkr",
        "prognos_utgifter": "prognos_utgifter_mnkr",
        "prognos_inkomster": "prognos_inkomster_mnkr",
        "prognos_netto": "prognos_netto_mnkr",
        "ram": "investeringsram_mnkr",
        "avvikelse": "avvikelse_mnkr",
    },
}


def assert_reproduces_published(table_id: str, ours: dict[str, dict[str, float]]) -> None:
    """Every published figure of `table_id` is matched by `ours` ({rad: {column: mnkr}}).

    0,05 mnkr on rows, 0,15 on sums (the reference README). The printed budget "varav" pair is
    a misprint: it breaks budget = forecast + deviation, which every other row satisfies, so
    that identity gives the expected value there.
    """
    import pytest

    columns = PUBLISHED_COLUMNS[table_id]
    for row in reference(table_id):
        rad = row.get("rad") or row["projekt"]
        assert rad in ours, f"{table_id}: raden {rad!r} saknas"
        tol = 0.15 if rad.startswith(("Summa", "varav", "Verksamhetens")) else 0.05
        for col, published in columns.items():
            expected = float(row[published])
            if rad.startswith("varav") and col == "budget":
                expected = float(row["prognos_mnkr"]) + float(row["avvikelse_mnkr"])
            assert ours[rad][col] == pytest.approx(expected, abs=tol), (table_id, rad, col)
