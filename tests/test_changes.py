"""Förändring sedan förra rapporten: hand-made table directories, the previous report, the page."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from uppfoljning.present.changes import (
    CHANGES_TABLE,
    COLUMNS,
    changes,
    comparison_digest,
    previous_report,
    publish_changes,
    start_page_view,
)
from uppfoljning.present.html import write_index


def _table(folder: Path, table_id: str, header: str, *rows: str) -> None:
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    text = "\n".join([header, *rows]) + "\n"
    (folder / "tables" / f"{table_id}.csv").write_text(text, encoding="utf-8")


def _report(out: Path, period: str, *, outcome: tuple[float, float], hvb_days: float) -> Path:
    """A published report with an operating summary, volumes, indicators and HVB key figures."""
    folder = out / period
    big, small = outcome
    _table(
        folder,
        "driftsammandrag_period",
        "rad,utfall,budget,avvikelse,utfall_foregaende_ar",
        f"569 - Barn och unga,{big},100.0,{100.0 - big},1.0",
        f'"513 - LSS, SFB",{small},50.0,{50.0 - small},1.0',
    )
    _table(
        folder,
        "volymer",
        "rad,grupp,utfall_foregaende_ar,utfall,prognos_helar,andel_kvinnor_foregaende_ar,andel_kvinnor",
        "Aktualiseringar,,1,10,,,",
        "Ärenden,IFO,1,20,,,",
        "Ärenden,LSS,1,5,,,",
    )
    _table(
        folder,
        "namndindikatorer",
        "rad,kon,2023,2024,malvarde,onskad_riktning,i_onskad_riktning",
        f"Sjukfrånvaro (%),K,8.0,{7.0 if period > '2024-03' else ''},,Minska,Ja",
    )
    label = "jan–aug 2024" if period == "2024-08" else "jan–mar 2024"
    _table(
        folder,
        "hvb_nyckeltal",
        "rad,nyckel,varde,enhet",
        f"Vårddygn HVB {label},varddygn_hvb,{hvb_days},dygn",
        f"Vårddygn HVB förra året {label},varddygn_hvb_foregaende_ar,1.0,dygn",
        "Mål konsulentstödda,mal_andel_konsulentstodda_familjehem,25.0,procent",
    )
    (folder / "manifest.json").write_text("{}", encoding="utf-8")
    return folder


@pytest.fixture()
def reports(tmp_path: Path) -> Path:
    out = tmp_path / "reports"
    _report(out, "2024-03", outcome=(40.0, 20.0), hvb_days=100.0)
    _report(out, "2024-08", outcome=(110.0, 30.0), hvb_days=150.0)
    return out


def test_each_figure_beside_the_previous_reports_largest_change_first(reports):
    frame = changes(reports / "2024-08" / "tables", reports / "2024-03" / "tables")
    assert tuple(frame.columns) == COLUMNS
    outcome = frame[frame["omrade"] == "Utfall"]
    # 569 moved 70 kr, 513 10 kr: in kronor, the largest first
    assert outcome["rad"].tolist() == ["569 - Barn och unga", "513 - LSS, SFB"]
    assert outcome[["tidigare", "nu", "forandring"]].values.tolist() == [
        [40.0, 110.0, 70.0],
        [20.0, 30.0, 10.0],
    ]
    assert outcome["forandring_procent"].tolist() == [175.0, 50.0]
    deviation = frame[frame["omrade"] == "Avvikelse"].set_index("rad")
    assert deviation.loc["569 - Barn och unga", "forandring"] == -70.0
    # volumes keyed by measure and group, other units by the relative change
    volumes = frame[frame["omrade"] == "Volymer"]
    assert set(volumes["rad"]) == {"Aktualiseringar", "Ärenden (IFO)", "Ärenden (LSS)"}
    assert (volumes["forandring"] == 0).all()
    # the indicator's latest value: 2023's in March, 2024's in August
    indicator = frame[frame["omrade"] == "Indikatorer"].iloc[0]
    assert indicator["rad"] == "Sjukfrånvaro (%), kvinnor"
    assert (indicator["enhet"], indicator["tidigare"], indicator["nu"]) == ("procent", 8.0, 7.0)
    # HVB: matched on the key although the label names other months; last year and targets out
    hvb = frame[frame["omrade"] == "HVB"]
    assert hvb["rad"].tolist() == ["Vårddygn HVB jan–aug 2024"]
    assert hvb[["enhet", "tidigare", "nu", "forandring_procent"]].values.tolist() == [
        ["dygn", 100.0, 150.0, 50.0]
    ]
    assert frame["omrade"].drop_duplicates().tolist() == [
        "Utfall",
        "Avvikelse",
        "Volymer",
        "Indikatorer",
        "HVB",
    ]


def test_figures_in_one_report_only_come_last_without_a_change(reports):
    _table(
        reports / "2024-08",
        "driftsammandrag_prognos",
        "rad,prognos,budget,avvikelse,bokslut_foregaende_ar",
        "Ny rad,5.0,5.0,0.0,",
        "569 - Barn och unga,200.0,150.0,-50.0,",
        "Från noll,3.0,0.0,-3.0,",
    )
    _table(
        reports / "2024-03",
        "driftsammandrag_prognos",
        "rad,prognos,budget,avvikelse,bokslut_foregaende_ar",
        "569 - Barn och unga,190.0,150.0,-40.0,",
        "Borttagen rad,0.0,5.0,5.0,",
        "Från noll,0.0,0.0,0.0,",
    )
    frame = changes(reports / "2024-08" / "tables", reports / "2024-03" / "tables")
    forecast = frame[frame["omrade"] == "Prognos"]
    # kronor: 10 kr before 3 kr; a change from zero has no percentage but is still ranked
    assert forecast["rad"].tolist() == [
        "569 - Barn och unga",
        "Från noll",
        "Ny rad",
        "Borttagen rad",
    ]
    assert forecast.iloc[0]["forandring_procent"] == pytest.approx(10 / 190 * 100)
    assert forecast.iloc[1]["forandring"] == 3.0
    assert math.isnan(forecast.iloc[1]["forandring_procent"])
    new, gone = forecast.iloc[2], forecast.iloc[3]
    assert math.isnan(new["tidigare"]) and math.isnan(new["forandring"]) and new["nu"] == 5.0
    assert gone["tidigare"] == 0.0 and math.isnan(gone["nu"])


def test_previous_report_prefers_the_period_files_previous_forecast(reports, tmp_path):
    _report(reports, "2024-06", outcome=(1.0, 1.0), hvb_days=1.0)
    (reports / "2024-07" / "tables").mkdir(parents=True)  # never published: no manifest
    assert previous_report(reports, "2024-08") == "2024-06"
    assert previous_report(reports, "2024-08", "2024-03") == "2024-03"
    assert previous_report(reports, "2024-08", "2024-05") == "2024-06"  # not published
    assert previous_report(reports, "2024-03") is None
    assert previous_report(tmp_path / "inga", "2024-08") is None


def test_publish_writes_the_table_and_removes_a_stale_one(reports, tmp_path):
    params = tmp_path / "2024-08.yaml"
    params.write_text("foregaende_prognos: 2024-03\nenhet: tkr\n", encoding="utf-8")
    view, compared = publish_changes(reports / "2024-08", reports, "2024-08", params)
    target = reports / "2024-08" / "tables" / f"{CHANGES_TABLE}.csv"
    assert compared == "2024-03"
    with open(target, encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == list(COLUMNS)
    assert len(pd.read_csv(target)) == 9
    first = view["areas"][0]
    assert first["name"] == "Utfall" and first["rows"][0]["enhet"] == "tkr"
    assert first["rows"][0]["forandring"] == "+0,1"  # 70 kr in tkr, with its sign
    assert "mars 2024" in view["text"]
    # the table as shown, for the workbook and the document: each figure in its own unit
    shown = json.loads((reports / "2024-08" / "views" / f"{CHANGES_TABLE}.json").read_text("utf-8"))
    assert [c["name"] for c in shown["columns"]] == list(COLUMNS)
    assert shown["columns"][3]["label"] == "Förra rapporten (mars 2024)"
    cells = {tuple(row["cells"][:2]): row["cells"][2:] for row in shown["rows"]}
    assert cells[("569 - Barn och unga", "Utfall")] == ["tkr", "0,0", "0,1", "0,1", "175,0\u00a0%"]
    assert cells[("Vårddygn HVB jan–aug 2024", "HVB")] == [
        "dygn",
        "100",
        "150",
        "50",
        "50,0\u00a0%",
    ]
    # the first report of a series: a sentence, and no comparison left from an earlier run
    view, compared = publish_changes(reports / "2024-03", reports, "2024-03", params)
    assert compared is None and view["areas"] == []
    assert not (reports / "2024-03" / "views" / f"{CHANGES_TABLE}.json").exists()
    assert "ingen tidigare publicerad rapport" in view["text"]
    (reports / "2024-03" / "tables" / f"{CHANGES_TABLE}.csv").write_text("rad\n", encoding="utf-8")
    publish_changes(reports / "2024-03", reports, "2024-03", params)
    assert not (reports / "2024-03" / "tables" / f"{CHANGES_TABLE}.csv").exists()


def test_start_page_shows_changed_figures_and_the_sentence(reports, tmp_path):
    frame = changes(reports / "2024-08" / "tables", reports / "2024-03" / "tables")
    view = start_page_view(frame, period="2024-08", previous="2024-03", per_area=1)
    # unchanged volumes are not shown; one row per area here
    assert [a["name"] for a in view["areas"]] == ["Utfall", "Avvikelse", "Indikatorer", "HVB"]
    assert view["areas"][0]["more"] == 1
    write_index(
        tmp_path, title="T", notebooks=[], headlines=[], tables=[], xlsx="x.xlsx", changes=view
    )
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Förändring sedan förra rapporten" in page
    assert '<th scope="row">569 - Barn och unga</th>' in page
    assert "<td>+175,0\u00a0%</td>" in page
    assert '<a href="tables/forandring_sedan_forra.csv">forandring_sedan_forra.csv</a>' in page
    empty = start_page_view(None, period="2024-03", previous=None)
    write_index(
        tmp_path, title="T", notebooks=[], headlines=[], tables=[], xlsx="x.xlsx", changes=empty
    )
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "ingen tidigare publicerad rapport före mars 2024" in page
    assert '<table class="forandring">' not in page


def test_the_comparison_digest_follows_the_previous_reports_tables(reports):
    first = comparison_digest(reports, "2024-08")
    assert comparison_digest(reports, "2024-08") == first
    (reports / "2024-03" / "tables" / "r9_rang.csv").write_text("rad\n", encoding="utf-8")
    assert comparison_digest(reports, "2024-08") == first  # a table the comparison does not read
    _table(reports / "2024-03", "personal", "rad,utfall_foregaende_ar,utfall,malvarde", "A,1,2,")
    assert comparison_digest(reports, "2024-08") != first
    changed = comparison_digest(reports, "2024-08")
    _report(reports, "2024-06", outcome=(1.0, 1.0), hvb_days=1.0)  # a later report published
    assert comparison_digest(reports, "2024-08") != changed
    assert comparison_digest(reports, "2024-08", "2024-03") == changed


def test_the_documents_short_list_takes_the_largest_changes_of_each_area():
    from uppfoljning.present.changes import short_view

    def row(name: str, area: str, change: str) -> dict:
        return {"level": "rad", "cells": [name, area, "mnkr", "1", "2", change, ""]}

    names = ["rad", "omrade", "enhet", "tidigare", "nu", "forandring", "forandring_procent"]
    view = {
        "id": "forandring_sedan_forra",
        "caption": "Förändring sedan förra rapporten, jämfört med mars 2024",
        "unit": "mnkr",
        "columns": [{"name": n, "label": n, "kind": "text"} for n in names],
        "rows": [
            row("a1", "Utfall", "9,0"),
            row("a2", "Utfall", "5,0"),
            row("a3", "Utfall", "1,0"),
            row("b0", "Volymer", ""),  # found in one report only
            row("b00", "Volymer", "0,0"),  # did not move
            row("b1", "Volymer", "12"),
        ],
    }
    short = short_view(view, per_area=2)
    assert [r["cells"][0] for r in short["rows"]] == ["a1", "a2", "b1"]
    assert [r["cells"][0] for r in short_view(view, leave_out=("Utfall",))["rows"]] == ["b1"]
    assert short["id"] == "forandring_sedan_forra_kort"
    assert short["caption"].startswith("De största förändringarna per område; förändring")
