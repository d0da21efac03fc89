"""The R9 notebook end to end on demo data: tables, headlines, source labels and charts."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest
from IPython.display import Markdown
from matplotlib.figure import Figure

from uppfoljning.demo import kolada as kolada_demo
from uppfoljning.peers import catalogue, r9, sources
from uppfoljning.peers import plots as r9_plots
from uppfoljning.peers import report as r9_report
from uppfoljning.present.formatting import NBSP

from conftest import ROOT, reference

NOTEBOOK = ROOT / "notebooks" / "r9_jamforelser.ipynb"
TABLES = {
    "r9_jamforelse": r9.TABLE_COLUMNS,
    "r9_mal": [
        "rad",
        "kpi",
        "ar",
        "kommunens_varde",
        "r9_snitt",
        "skillnad",
        "skillnad_procent",
        "skillnad_belopp",
        "rang",
        "antal",
        "malvarde",
        "status",
    ],
    "r9_gap": [
        "rad",
        "kpi",
        "ar",
        "enhet",
        "kommunens_varde",
        "r9_snitt",
        "skillnad",
        "skillnad_procent",
        "befolkning",
        "skillnad_belopp",
        "rang",
        "antal",
    ],
    "r9_rang": ["rad", "kpi", "ar", "kommun", "namn", "varde", "rang", "antal"],
    "r9_placeringar": ["rad", "kommun", "ar", "kostnad", "placerade", "kostnad_per_placerad"],
    "r9_nedbrytning": [
        "rad",
        "ar",
        "placerade",
        "placerade_r9",
        "kostnad_per_placerad",
        "kostnad_per_placerad_r9",
        "skillnad",
        "volymeffekt",
        "priseffekt",
        "invanare_0_20",
        "skillnad_belopp",
        "volymeffekt_belopp",
        "priseffekt_belopp",
    ],
    "r9_kon": ["rad", "kpi", "ar", "kommun", "namn", "kvinnor", "man", "totalt"],
    "r9_kontroll": [
        "rad",
        "kpi",
        "ar",
        "r9_snitt",
        "antal",
        "koladas_snitt",
        "antal_koladas",
        "skillnad",
    ],
}


@pytest.fixture(scope="module")
def report(demo_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Execute the notebook once on the session's demo data; returns the output directory."""
    out = tmp_path_factory.mktemp("r9_report")
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out / "r9_jamforelser.ipynb"),
        kernel_name="python3",
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
        parameters={
            "period": "2024-08",
            "params_file": str(ROOT / "params" / "2024-08.yaml"),
            "data_dir": str(demo_data / "processed"),
            "output_dir": str(out / "report"),
        },
    )
    return out


def read_table(report: Path, table_id: str) -> list[dict[str, str]]:
    with (report / "report" / "tables" / f"{table_id}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def shown_text(report: Path) -> str:
    """Everything the executed notebook shows a reader: markdown cells and rich outputs."""
    nb = nbformat.read(report / "r9_jamforelser.ipynb", as_version=4)
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            parts += [data.get(kind, "") for kind in ("text/markdown", "text/html")]
    return "\n".join(parts)


def test_r9_jamforelse_has_the_contracted_columns(report: Path) -> None:
    path = report / "report" / "tables" / "r9_jamforelse.csv"
    assert path.is_file()
    with path.open(encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ["rad", "kpi", "ar", "kommun", "varde"]


def test_r9_jamforelse_reproduces_the_published_figures(report: Path) -> None:
    rows = read_table(report, "r9_jamforelse")
    values = {(r["kpi"], int(r["ar"]), r["kommun"]): float(r["varde"] or "nan") for r in rows}
    labels = {r["kpi"]: r["rad"] for r in rows}
    published = reference("r9")
    assert {int(p["ar"]) for p in published} == {2022, 2023}
    for p in published:
        key = (p["kpi"], int(p["ar"]))
        assert labels[p["kpi"]] == p["titel"]
        assert values[(*key, "0580")] == float(p["linkoping_kr_per_inv"]), key
        assert values[(*key, "R9")] == float(p["r9_snitt_kr_per_inv"]), key
        assert values[(*key, "G96092")] == float(p["r9_snitt_kr_per_inv"]), key


def test_every_table_is_written_and_starts_with_rad(report: Path) -> None:
    written = sorted(p.stem for p in (report / "report" / "tables").glob("*.csv"))
    assert written == sorted(TABLES)
    for table_id, columns in TABLES.items():
        path = report / "report" / "tables" / f"{table_id}.csv"
        with path.open(encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        assert header[0] == "rad", table_id
        assert header == columns, table_id


def test_goal_status_matches_the_published_report(report: Path) -> None:
    goals = {(r["kpi"], int(r["ar"])): r for r in read_table(report, "r9_mal")}
    for p in reference("r9"):
        row = goals[(p["kpi"], int(p["ar"]))]
        met = float(p["linkoping_kr_per_inv"]) <= float(p["r9_snitt_kr_per_inv"])
        assert row["status"] == (r9.GOAL_MET if met else r9.GOAL_NOT_MET)
        assert row["malvarde"] == p["malvarde"]


def test_decomposition_effects_add_up(report: Path) -> None:
    rows = read_table(report, "r9_nedbrytning")
    assert len(rows) >= 5
    for r in rows:
        assert math.isclose(
            float(r["volymeffekt"]) + float(r["priseffekt"]), float(r["skillnad"]), abs_tol=1e-5
        )
        assert math.isclose(
            float(r["volymeffekt_belopp"]) + float(r["priseffekt_belopp"]),
            float(r["skillnad_belopp"]),
            abs_tol=1e-3,
        )
        cost = float(r["kostnad_per_placerad"]) * float(r["placerade"]) / 1000
        gap = float(r["skillnad"])
        peer = float(r["kostnad_per_placerad_r9"]) * float(r["placerade_r9"]) / 1000
        # The identity holds on both sides (up to the CSV's six decimals).
        assert math.isclose(cost - peer, gap, abs_tol=0.01)


def test_headlines(report: Path) -> None:
    headlines = {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in (report / "report" / "headlines").glob("*.json")
    }
    assert set(headlines) == {"r9_mal_uppfyllda", "r9_skillnad_placeringar", "r9_rang_placeringar"}
    assert {h["section"] for h in headlines.values()} == {"R9-jämförelser"}
    assert headlines["r9_mal_uppfyllda"]["text"] == "2 av 3"
    # N33022 2023: (9 643 − 10 666) kr × about 41 000 inhabitants aged 0–20.
    assert headlines["r9_skillnad_placeringar"]["text"].endswith("mnkr lägre")


def test_notebook_labels_sources_and_the_kolada_date(report: Path) -> None:
    text = shown_text(report)
    assert r9.SOURCE_RAW in text
    assert r9.SOURCE_DERIVED in text
    assert "Kolada-data hämtad 2024-09-02" in text
    assert "Jämförelsekommunernas värden är påhittade" in text
    assert "N33100" in text and "HVB-placeringar" in text
    assert "Linköping ingår i R9-snittet" in text
    # The formulas are shown where the figures are, and the decomposition is computed.
    assert text.count("Så räknas siffrorna:") == 5
    assert "L × ln(p ÷ p̄)" in text and "Nedbrytningen beräknas inte" not in text
    assert "öppna insatser för barn och unga per invånare 0–20 år (N33021" in text


def test_notebook_runs_clean_and_shows_each_chart_once(report: Path) -> None:
    nb = nbformat.read(report / "r9_jamforelser.ipynb", as_version=4)
    outputs = [out for cell in nb.cells for out in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    # Trend and ranking for three goal figures, the placement scatter and the decomposition.
    assert len(images) == 8


def test_axis_formatters_are_swedish() -> None:
    assert r9_plots.number_axis(0)(12345.0, None) == f"12{NBSP}345"
    assert r9_plots.number_axis(1)(8.25, None) == "8,3"


# --------------------------------------------------------------------------- without papermill

FIXTURES = Path(__file__).parent / "fixtures" / "kolada"


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> r9_report.R9Report:
    """An R9Report on a demo Kolada cache, without a period context (tables and texts only)."""
    config = catalogue.load_config(ROOT / "params" / catalogue.CONFIG_FILE)
    cache = kolada_demo.write_demo_kolada_cache(tmp_path_factory.mktemp("kolada"), config)
    years = catalogue.report_years(config, "2024-08")
    return r9_report.R9Report(None, config, years, sources.load_kolada(config, years, cache))  # type: ignore[arg-type]


def with_bundle(report: r9_report.R9Report, **changes: object) -> r9_report.R9Report:
    bundle = dataclasses.replace(report.bundle, **changes)
    return r9_report.R9Report(report.ctx, report.config, report.years, bundle)


def test_report_refuses_the_decomposition_on_contradicting_titles(demo_report) -> None:
    body = json.loads((FIXTURES / "kpi_r9_swapped.json").read_text(encoding="utf-8"))
    swapped = with_bundle(demo_report, kpi_metadata=pd.DataFrame(body["values"]))
    assert not demo_report.decomposition_refused and len(demo_report.decomposition_table()) == 9
    assert swapped.decomposition_refused
    for table in (swapped.decomposition_table(), swapped.placement_table()):
        assert table.empty
    assert list(swapped.decomposition_table().columns) == TABLES["r9_nedbrytning"]
    text = swapped.decomposition_text()
    assert text.startswith("**Nedbrytningen beräknas inte.**")
    assert (
        "N33818: Koladas titel är ”Barn och unga 0-20 år som har varit placerade på HVB någon "
        "gång under året, antal/1000 inv”, men params/jamforelsegrupper.yaml använder "
        "nyckeltalet som placerade barn och unga 0–20 år i HVB eller familjehem (alla "
        "placerade) (titeln nämner inte familjehem)."
    ) in text
    assert "Rätta Kolada-id:t i params/jamforelsegrupper.yaml" in text
    for chart in (swapped.placement_chart(), swapped.decomposition_chart()):
        assert isinstance(chart, Markdown) and "ritas inte" in chart.data
    assert isinstance(demo_report.decomposition_chart(), Figure)
    about = swapped.about()
    assert (
        "N33816: Koladas titel är ”Barn och unga 0-20 år som har varit placerade på HVB eller"
        in about
    )
    assert "titeln nämner familjehem, vilket rollen utesluter" in about
    # Everything that does not depend on the placements figure is still computed.
    assert not swapped.goal_table().empty and not swapped.check_table().empty


def test_check_table_compares_with_koladas_own_value(demo_report) -> None:
    check = demo_report.check_table().set_index("kpi")
    assert (check["skillnad"].abs() < 1e-6).all()
    assert (check["antal"] == check["antal_koladas"]).all()
    assert check.at["N35025", "antal"] == 8  # Södertälje lacks a value in 2023
    assert "De stämmer överens för alla" in demo_report.check_text()


def test_check_detects_an_injected_difference(demo_report) -> None:
    data = demo_report.data.copy()
    year = demo_report.latest_year
    one = (data["kpi"] == "N33022") & (data["municipality"] == "0181") & (data["year"] == year)
    data.loc[one & (data["gender"] == "T"), "value"] += 90
    dropped = (data["kpi"] == "N33009") & (data["municipality"] == "0380") & (data["year"] == year)
    data.loc[dropped, "value"] = math.nan
    changed = with_bundle(demo_report, data=data)
    check = changed.check_table().set_index("kpi")
    assert check.at["N33022", "skillnad"] == pytest.approx(-10.0)  # Kolada − ours = −90 / 9
    assert check.at["N33009", "antal"] == 8 and check.at["N33009", "antal_koladas"] == 9
    assert abs(check.at["N33009", "skillnad"]) > r9_report.CHECK_TOLERANCE
    text = changed.check_text()
    assert f"N33022 {year}" in text and f"N33009 {year}" in text
    assert "Kontrollera om Kolada saknar värden för någon medlem" in text


def test_explanations_state_the_formulas_the_tables_use(demo_report) -> None:
    texts = {
        t: demo_report.explanation(t)
        for t in ("r9_mal", "r9_gap", "r9_placeringar", "r9_nedbrytning", "r9_kontroll")
    }
    assert all(t.startswith("*Så räknas siffrorna:*") for t in texts.values())
    assert "Skillnad = Linköpings värde − R9-snitt" in texts["r9_gap"]
    assert "× andel 0–20 år (N33900) ÷ 100" in texts["r9_gap"]
    assert "× 1 000 ÷ placerade per 1 000 invånare 0–20 år (N33818)" in texts["r9_placeringar"]
    assert "L = (c − c̄) ÷ (ln c − ln c̄)" in texts["r9_nedbrytning"]
    assert "= L × ln(p ÷ p̄)" in texts["r9_nedbrytning"]
    assert "Skillnad = Koladas värde − egen beräkning" in texts["r9_kontroll"]
    # The formulas as written reproduce the published columns.
    t = demo_report.decomposition_table()
    c = t["placerade"] * t["kostnad_per_placerad"] / 1000
    c_bar = t["placerade_r9"] * t["kostnad_per_placerad_r9"] / 1000
    log_mean = (c - c_bar) / (c.map(math.log) - c_bar.map(math.log))
    volume = log_mean * (t["placerade"] / t["placerade_r9"]).map(math.log)
    assert volume.to_numpy() == pytest.approx(t["volymeffekt"].to_numpy())
    price = log_mean * (t["kostnad_per_placerad"] / t["kostnad_per_placerad_r9"]).map(math.log)
    assert price.to_numpy() == pytest.approx(t["priseffekt"].to_numpy())
    assert (t["volymeffekt_belopp"]).to_numpy() == pytest.approx(
        (t["volymeffekt"] * t["invanare_0_20"]).to_numpy()
    )
    g = demo_report.gap_table()
    assert g["skillnad_procent"].to_numpy() == pytest.approx(
        (g["skillnad"] / g["r9_snitt"] * 100).to_numpy()
    )
