"""`uppfoljning ny-period`: a new period file and comments file from hand-made earlier periods."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from uppfoljning.data.config import load_period_params
from uppfoljning.run.cli import main
from uppfoljning.run.new_period import (
    NewPeriodError,
    create_period,
    headings_for,
    interim_months,
    report_title,
    report_type,
    rewrite,
)

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

AUGUST = """\
# Delårsrapport augusti 2024. Parametrar för `uppfoljning run 2024-08`.
period: 2024-08                      # rapportperiod, ÅÅÅÅ-MM
rapporttyp: delarsrapport            # manadsuppfoljning | delarsrapport | arsbokslut
rubrik: Delårsrapport augusti 2024   # rubrik i rapporterna
kommun: {kod: "0580", namn: Linköpings kommun}
namnd: Social- och omsorgsnämnden
rapportstruktur: rapportstruktur_2024.yaml   # driftsammandragets rader
budgetversion: reviderad             # budgetversion att jämföra mot
foregaende_prognos: 2024-03          # prognosen som visas som "föregående" (delår mars)
kommentarer: kommentarer/2024-08.md  # ekonomernas egna kommentarer
kodnamn: kodnamn.yaml                # namn på konton (augusti: nya konton)
rapporter: [ekonomi, hvb_placeringar]
diarienummer: SN 2024-0100           # dokumentets diarienummer
"""
MARCH = """\
period: 2024-03
rapporttyp: delarsrapport
rubrik: Delårsrapport mars 2024
kommun: {kod: "0580", namn: Linköpings kommun}
namnd: Social- och omsorgsnämnden
rapportstruktur: rapportstruktur_2024.yaml
budgetversion: reviderad
rapporter: [ekonomi]
"""
YEAR_END = """\
# Verksamhetsberättelse 2023. Parametrar för `uppfoljning run 2023-12`.
period: 2023-12
rapporttyp: arsbokslut
rubrik: Verksamhetsberättelse 2023
kommun: {kod: "0580", namn: Linköpings kommun}
namnd: Social- och omsorgsnämnden
rapportstruktur: rapportstruktur_2024.yaml
budgetversion: reviderad
enhet: tkr                           # årsbokslutet redovisas i tkr
rapporter: [ekonomi]                 # bara ekonomin vid årsbokslut
"""


@pytest.fixture()
def params(tmp_path: Path) -> Path:
    """params/ with December 2023, March and August 2024 and the files they name."""
    folder = tmp_path / "params"
    (folder / "kommentarer").mkdir(parents=True)
    (folder / "rapportstruktur_2024.yaml").write_text("namn: x\n", encoding="utf-8")
    (folder / "kodnamn.yaml").write_text("konto: {}\n", encoding="utf-8")
    (folder / "2023-12.yaml").write_text(YEAR_END, encoding="utf-8")
    (folder / "2024-03.yaml").write_text(MARCH, encoding="utf-8")
    (folder / "2024-08.yaml").write_text(AUGUST, encoding="utf-8")
    (folder / "kommentarer" / "2024-08.md").write_text(
        "# x\n\n## HVB-placeringar\n\nText.\n\n## Analys och kommentar\n\nText.\n",
        encoding="utf-8",
    )
    return folder


def _create(params: Path, period: str, **kw):
    return create_period(params, period, notebooks_dir=NOTEBOOKS, **kw)


def test_report_type_and_title_follow_the_month_and_the_calendar(tmp_path):
    assert [report_type(p) for p in ("2024-12", "2024-03", "2024-08", "2024-10")] == [
        "arsbokslut",
        "delarsrapport",
        "delarsrapport",
        "manadsuppfoljning",
    ]
    assert report_type("2024-04", (4, 8)) == "delarsrapport"
    assert report_type("2024-03", (4, 8)) == "manadsuppfoljning"
    assert report_title("manadsuppfoljning", "2024-10") == "Månadsuppföljning oktober 2024"
    assert report_title("delarsrapport", "2024-08") == "Delårsrapport augusti 2024"
    assert report_title("arsbokslut", "2024-12") == "Verksamhetsberättelse 2024"
    assert interim_months(tmp_path) == (3, 8)  # no calendar file
    (tmp_path / "rapportkalender.yaml").write_text("delarsrapport: [8, 4]\n", encoding="utf-8")
    assert interim_months(tmp_path) == (4, 8)


def test_a_month_after_the_interim_report(params):
    made = _create(params, "2024-10")
    text = made.params_file.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# Månadsuppföljning oktober 2024. Parametrar för `uppfoljning run 2024-10`."
    assert "period: 2024-10                      # rapportperiod, ÅÅÅÅ-MM" in lines
    assert (
        "rapporttyp: manadsuppfoljning        # manadsuppfoljning | delarsrapport | arsbokslut"
        in lines
    )
    assert "rubrik: Månadsuppföljning oktober 2024  # rubrik i rapporterna" in lines
    # the previous report with a forecast, with a comment saying which report that is
    assert (
        "foregaende_prognos: 2024-08          # prognosen som visas som ”föregående” "
        "(delårsrapport augusti 2024)" in lines
    )
    assert "kommentarer: kommentarer/2024-10.md  # ekonomernas egna kommentarer" in lines
    # the other keys are kept as written, comments too; the document's number goes
    assert "rapportstruktur: rapportstruktur_2024.yaml   # driftsammandragets rader" in lines
    assert "kodnamn: kodnamn.yaml                # namn på konton (augusti: nya konton)" in lines
    assert "rapporter: [ekonomi, hvb_placeringar]" in lines
    assert "diarienummer" not in text and "delår mars" not in text and "2024-03" not in text
    loaded = load_period_params(made.params_file, period="2024-10")
    assert (loaded.report_type, loaded.unit, loaded.previous_forecast) == (
        "manadsuppfoljning",
        "mnkr",
        "2024-08",
    )
    assert made.based_on.name == "2024-08.yaml"
    # the previous comments file's order first, then the other headings the reports show
    comments = made.comments_file.read_text(encoding="utf-8")
    assert comments.startswith("# Ekonomernas kommentarer, månadsuppföljning oktober 2024\n")
    headings = [line[3:] for line in comments.splitlines() if line.startswith("## ")]
    assert headings[:3] == ["HVB-placeringar", "Analys och kommentar", "Investeringar"]
    assert list(made.headings) == headings
    assert all(
        not line or line.startswith(("#", "Texten", "inte")) for line in comments.splitlines()
    )


def test_year_end_in_tkr_with_the_year_end_reports_and_a_new_year_without_forecast(params):
    made = _create(params, "2024-12")
    lines = made.params_file.read_text(encoding="utf-8").splitlines()
    assert "rubrik: Verksamhetsberättelse 2024   # rubrik i rapporterna" in lines
    assert "enhet: tkr                           # årsbokslutet redovisas i tkr" in lines
    # the latest year-end file names the year-end reports (the month's have both notebooks)
    assert "rapporter: [ekonomi]" in lines
    assert load_period_params(made.params_file).unit == "tkr"

    january = _create(params, "2025-01")
    text = january.params_file.read_text(encoding="utf-8")
    assert "foregaende_prognos" not in text  # no earlier report of 2025
    assert "enhet" not in text  # back to the default mnkr
    assert "rubrik: Månadsuppföljning januari 2025" in text
    assert load_period_params(january.params_file).unit == "mnkr"


def test_the_previous_forecast_must_be_in_the_data_when_forecasts_are_ingested(params, tmp_path):
    processed = tmp_path / "processed"
    processed.mkdir()
    table = pa.table({"prognosmanad": ["2024-03", "2024-09"], "belopp": [1.0, 2.0]})
    pq.write_table(table, processed / "prognos.parquet")
    made = _create(params, "2024-10", processed=processed)
    # 2024-08 has a period file but no forecast in the data: the March report's is shown
    assert made.previous_forecast == "2024-03"
    (params / "2024-10.yaml").unlink()
    (params / "kommentarer" / "2024-10.md").unlink()
    (params / "2024-03.yaml").unlink()
    # no report of the year with a forecast in the data: the latest forecast month before
    assert _create(params, "2024-10", processed=processed).previous_forecast == "2024-09"


def test_existing_files_are_never_overwritten(params):
    before = (params / "2024-08.yaml").read_bytes()
    with pytest.raises(NewPeriodError, match="finns redan"):
        _create(params, "2024-08")
    assert (params / "2024-08.yaml").read_bytes() == before
    (params / "kommentarer" / "2024-10.md").write_text("egen text\n", encoding="utf-8")
    with pytest.raises(NewPeriodError, match="kommentarer/2024-10.md finns redan"):
        _create(params, "2024-10")
    assert not (params / "2024-10.yaml").exists()
    assert (params / "kommentarer" / "2024-10.md").read_text(encoding="utf-8") == "egen text\n"


def test_a_result_that_does_not_validate_leaves_nothing_behind(params):
    (params / "kodnamn.yaml").unlink()  # named by 2024-08.yaml, so the new file names it too
    with pytest.raises(NewPeriodError, match=r"inte giltig(.|\n)*kodnamn"):
        _create(params, "2024-10")
    assert sorted(p.name for p in params.glob("*2024-10*")) == []
    assert not (params / "kommentarer" / "2024-10.md").exists()


def test_no_earlier_period_file(params):
    with pytest.raises(NewPeriodError, match="ingen periodfil före 2023-01"):
        _create(params, "2023-01")


def test_rewrite_inserts_added_keys_in_model_order_and_drops_continuation_lines():
    text = "period: 2024-02\nrapporttyp: x\nbudgetversion: b\ndatum:\n  - 2024\nrapporter: [e]\n"
    out = rewrite(
        text,
        {"period": "2024-03", "kommentarer": "k.md", "datum": None},
        stale=["2024-02"],
        comments={"kommentarer": "egna"},
        header="# H",
    )
    assert out.splitlines() == [
        "period: 2024-03",
        "rapporttyp: x",
        "budgetversion: b",
        "kommentarer: k.md                    # egna",
        "rapporter: [e]",
    ]


def test_document_headings_come_first_and_once():
    headings = headings_for(NOTEBOOKS, ["ekonomi"], document=["Året i korthet", "Investeringar"])
    assert headings[:2] == ["Året i korthet", "Investeringar"]
    assert "Analys och kommentar" in headings and headings.count("Investeringar") == 1


def test_command_writes_and_says_what_to_run_next(params, monkeypatch, capsys):
    monkeypatch.setenv("UPPFOLJNING_HOME", str(params.parent))
    assert main(["ny-period", "2024-09"]) == 0
    out = capsys.readouterr().out
    assert "Skrev params/2024-09.yaml: månadsuppföljning" in out
    assert "params/kommentarer/2024-09.md" in out
    assert "uppfoljning check 2024-09" in out
    assert main(["ny-period", "2024-09"]) == 1
    assert "finns redan" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["ny-period", "2024-13"])
    assert info.value.code == 2
